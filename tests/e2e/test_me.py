"""Issue 12, items 4 and 5, end to end: /me shows everything, /me export sends all of it and
nothing about anyone else, and what docs/privacy.md marks "never the team group" never
reaches the team group.

Ana and Bea walk (Ana's phone is on file), Lee leads, Cora is on call; Cora, Dee and Lee are
in the team group.
"""

from __future__ import annotations

import datetime as dtm
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.fake_telegram import BotMessage, FakeTelegram, FakeUser
from bot.fake_telegram.server import UploadedFile
from bot.privacy import texts as privacy_texts
from bot.texts import SEND_PRIVATELY
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.template import parse_template
from tests.conftest import TEMPLATE, DbInfo
from tests.e2e.conftest import (
    Harness,
    eventually,
    night,
    outbox_settled,
    running_bot,
    sign_up,
    tick,
)
from tests.unit.test_privacy_inventory import never_the_team_group

pytestmark = pytest.mark.e2e

OK = "✅ We're OK"
HELP = "🆘 Need help"
ANA_PHONE, BEA_PHONE = "+447700900111", "+447700900222"
HERE = (51.5101, -0.1342)
NOT_ON_TEAM = "You're not on the team yet"
DURESS_WORD = "pineapple"


@pytest.fixture
async def team_bot(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> AsyncIterator[Harness]:
    """The bot with a team chat."""
    team = tg.group("Outreach team")
    async with running_bot(tg, db, config, clock, team_chat_id=team.chat_id) as bot:
        yield bot


@pytest.fixture
async def duress_bot(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> AsyncIterator[Harness]:
    """The bot with a team chat and a duress word."""
    team = tg.group("Outreach team")
    template = parse_template(
        TEMPLATE + f'\n[checkins]\nduress_word = "{DURESS_WORD}"\n', source="test.toml"
    )
    chosen = RotaConfig(template=template, zone=config.zone, admin_ids=config.admin_ids)
    async with running_bot(tg, db, chosen, clock, team_chat_id=team.chat_id) as bot:
        yield bot


class Night:
    """The people of the night, signed up; the walk has started at 19:00."""

    def __init__(self, bot: Harness) -> None:
        self.bot = bot
        self.cora = bot.coordinator
        (self.team,) = bot.tg.groups.values()

    async def setup(self, *, bea_phone: bool = False) -> Night:
        bot = self.bot
        self.ana = await bot.join("Ana", "trained", username="ana_walks")
        self.bea = await bot.join("Bea", "new", username="bea_walks")
        self.lee = await bot.join("Lee", "lead", username="lee_leads")
        self.dee = await bot.join("Dee", "coordinator", username="dee_coord")
        phones = [(self.ana, ANA_PHONE)] + ([(self.bea, BEA_PHONE)] if bea_phone else [])
        for person, phone in phones:
            await person.share_contact(phone)
            await person.wait_for("Your number is saved")
        await sign_up(bot, self.ana, "Walker")
        await sign_up(bot, self.bea, "Walker")
        await sign_up(bot, self.lee, "Team lead")
        await sign_up(bot, self.cora, "On-call coordinator")
        for person in (self.cora, self.dee, self.lee):
            self.team.add(person)
        await tick(bot, night(19))
        await self.ana.wait_for("The walk has started")
        return self

    async def ana_checks_in_then_the_pair_misses_one(self) -> None:
        """Ana shares her place, checks in at 19:30, and nobody answers at 20:00 (an alert)."""
        bot = self.bot
        bot.clock.set(night(19, 21, 13))
        await self.ana.share_location(*HERE)
        await self.ana.wait_for("Got your location")
        await tick(bot, night(19, 30))
        prompt = await self.ana.wait_for("Check-in 1 of")
        answer = await self.ana.tap(OK, message=prompt)
        assert (answer.text or "").startswith("✓ Checked in at"), answer
        for minute in (0, 5, 10):  # check-in 2, its reminder, then step 1 of the alarm
            await tick(bot, night(20, minute))
        await self.cora.wait_for("MISSED CHECK-IN: Ana and Bea")
        assert await outbox_settled(bot)


async def _export_of(user: FakeUser, bot: Harness) -> tuple[BotMessage, dict[str, Any], str]:
    """Send /me export; the document message, its parsed JSON and its raw text."""
    sent = await user.send("/me export")

    async def document() -> BotMessage | None:
        found = [
            m
            for m in user.messages()
            if m.message_id > sent["message_id"] and m.kind == "document" and m.file_id
        ]
        return found[0] if found else None

    message = await eventually(document)
    assert message is not None, "no document came back"
    upload = bot.tg.files[message.file_id or ""]
    assert isinstance(upload, UploadedFile)
    raw = upload.data.decode("utf-8")
    return message, json.loads(raw), raw


def _appears(value: str, text: str) -> bool:
    """Whether `value` is in `text` as a whole token (an id 1002 is not inside 21002)."""
    return re.search(rf"(?<![\w.]){re.escape(value)}(?![\w])", text) is not None


async def test_me_after_a_night_shows_each_kind_of_item(team_bot: Harness) -> None:
    bot = team_bot
    n = await Night(bot).setup()
    await sign_up(bot, n.ana, "Walker", day="Wed 9 Dec")
    await sign_up(bot, n.ana, "Walker", day="Wed 16 Dec")
    await n.ana_checks_in_then_the_pair_misses_one()
    with bot.jobs_paused():  # the cancellation notice stays in the outbox: owed to Ana
        sent = await n.cora.send("/cancelsession 2026-12-16")
        await n.cora.wait_for("Cancelled the session", after=sent["message_id"])
        me = await bot.ask(n.ana, "/me")

    text = me.text
    for line in (
        "What I keep about you",
        "Name: Ana",
        f"Telegram: @ana_walks (id {n.ana.id})",
        f"Phone: {ANA_PHONE}",
        "Tags: trained",
        "Upcoming shifts: 1: Wed 9 Dec Walker",
        "Past shifts: 1, on Wed 2 Dec",
        "1 check-in you sent",
        "1 alert about you",
        "Locations: 1, deleted when the walk ends",
        "Messages I still owe you\n1: a cancelled session",
        "How long I keep it",
        "what messages said: 3 days after delivery; that they were sent: 35 days",
        "names in the safety log: 90 days",
        "/me export",
    ):
        assert line in text, f"{line!r} not in:\n{text}"
    for other in ("Bea", BEA_PHONE, "bea_walks", str(n.bea.id), "Lee", "Cora"):
        assert not _appears(other, text), f"{other!r} in Ana's /me:\n{text}"
    assert len(text) < 1200, f"{len(text)} characters: more than a phone screen"


async def test_me_export_is_a_json_file_of_everything_and_nothing_about_anyone_else(
    team_bot: Harness,
) -> None:
    bot = team_bot
    n = await Night(bot).setup(bea_phone=True)
    await sign_up(bot, n.ana, "Walker", day="Wed 9 Dec")
    await n.ana_checks_in_then_the_pair_misses_one()

    message, doc, raw = await _export_of(n.ana, bot)

    assert message.text == privacy_texts.EXPORT_CAPTION
    assert (message.filename or "").endswith(".json")
    assert doc["format"] == "rotabot-my-data/1"
    assert doc["profile"] == {
        "name": "Ana",
        "username": "ana_walks",
        "telegram_id": n.ana.id,
        "phone": ANA_PHONE,
        "tags": ["trained"],
        "status": "active",
        "joined_at": doc["profile"]["joined_at"],
    }
    records = doc["records"]
    assert [(s["session_date"], s["role"], s["status"]) for s in records["sign_ups"]] == [
        ("2026-12-02", "Walker", "confirmed"),
        ("2026-12-09", "Walker", "confirmed"),
    ]
    assert records["pairs"] == [
        {
            "session_date": "2026-12-02",
            "pair_number": 1,
            "others_in_pair": 1,
            "made_by_hand": False,
        }
    ]
    (checkin,) = records["checkins_closed"]
    assert (checkin["seq"], checkin["checked_at"]) == (1, "2026-12-02T19:30:00Z")
    (alarm,) = records["escalations"]
    assert (alarm["kind"], alarm["about"], alarm["state"]) == (
        "missed_checkin",
        "your pair",
        "open",
    )
    (place,) = records["locations"]
    assert (place["latitude"], place["longitude"], place["at"]) == (*HERE, "2026-12-02T19:21:13Z")
    events = {(e["event"], e["relation"]) for e in records["safety_log"]}
    assert ("checked_in", "by or about you") in events
    assert ("missed_checkin_opened", "about your pair") in events
    assert records["invite_used"]
    assert records["invite_used"][0]["tags"] == ["trained"]
    assert {r["data"] for r in doc["retention"]} >= {"locations you share", "invites"}
    assert doc["not_included"]
    # Nothing about the partner, the lead or the coordinators: names, handles, numbers, ids.
    others = [n.bea, n.lee, n.cora, n.dee]
    for secret in [
        BEA_PHONE,
        *(p.first_name for p in others),
        *(p.username or "" for p in others),
        *(str(p.id) for p in others),
    ]:
        assert secret, "every one of them has a name, a username and an id"
        assert not _appears(secret, raw), f"{secret!r} is in Ana's export"


async def test_me_export_in_the_team_group_is_refused_and_sends_nothing(
    team_bot: Harness,
) -> None:
    bot = team_bot
    n = await Night(bot).setup()
    with bot.jobs_paused():
        before = await bot.snapshot()
        documents = len(bot.tg.calls_to("sendDocument"))
        for text in ("/me export", "/me"):
            sent = await n.lee.send_in(n.team, text)
            reply = await n.team.wait_for("", after=sent["message_id"])
            assert reply.text == SEND_PRIVATELY.format(command="/me")
            assert reply.kind == "text"
        assert len(bot.tg.calls_to("sendDocument")) == documents
        assert await bot.snapshot() == before
    for message in n.team.messages():
        assert "lee_leads" not in message.text
        assert str(n.lee.id) not in message.text


@pytest.mark.parametrize("text", ["/me", "/me export"])
async def test_a_stranger_gets_a_polite_reply_and_nothing_is_sent_or_stored(
    bot: Harness, text: str
) -> None:
    stranger = bot.tg.user("Sid")
    with bot.jobs_paused():
        before = await bot.snapshot()
        documents = len(bot.tg.calls_to("sendDocument"))
        reply = await bot.ask(stranger, text)
        assert reply.text.startswith(NOT_ON_TEAM)
        assert len(bot.tg.calls_to("sendDocument")) == documents
        assert await bot.snapshot() == before


@pytest.mark.parametrize("text", ["/me please", "/me export now", "/me exports"])
async def test_me_with_anything_else_after_it_explains_and_changes_nothing(
    bot: Harness, text: str
) -> None:
    ana = await bot.join("Ana")
    with bot.jobs_paused():
        before = await bot.snapshot()
        reply = await bot.ask(ana, text)
        assert reply.text == privacy_texts.ME_USAGE
        assert await bot.snapshot() == before


def _stored_values(column: str, rows: list[dict[str, Any]]) -> list[str]:
    """How each value stored in one column could show in a message."""
    field = column.split(".", 1)[1]
    shown: list[str] = []
    for row in rows:
        value = row[field]
        if value is None or value == "":
            continue
        if isinstance(value, float):
            shown += [f"{value:.2f}", repr(value)]
        elif isinstance(value, dtm.datetime):
            shown += [value.replace(tzinfo=None).isoformat(), value.strftime("%H:%M:%S")]
        else:
            shown.append(str(value))
    return shown


async def test_never_the_team_group_columns_never_reach_the_team_group(
    team_bot: Harness,
) -> None:
    """docs/privacy.md's `never` column, against everything the team group was sent."""
    bot, tg = team_bot, team_bot.tg
    n = await Night(bot).setup(bea_phone=True)
    bot.clock.set(night(19, 21, 13))
    await n.ana.share_location(*HERE)
    await n.ana.wait_for("Got your location")
    await tick(bot, night(19, 30))
    await n.ana.wait_for("Check-in 1 of")
    for minute in (35, 40, 45, 50):  # reminder, then steps 1, 2 and 3 (the group's copy)
        await tick(bot, night(19, minute))
    await n.team.wait_for("MISSED CHECK-IN: Ana and Bea")
    bot.clock.set(night(19, 51, 29))
    prompt = await n.bea.wait_for("Check-in 1 of")
    await n.bea.tap(HELP, message=prompt)
    await n.team.wait_for("SOS from Bea")
    bot.clock.set(night(19, 51, 35))  # a place stored at its own second, told apart below
    await n.bea.share_location(HERE[0] + 0.002, HERE[1])
    await n.bea.wait_for("Your location has gone to the coordinators")
    bot.clock.set(night(19, 51, 40))
    await bot.run_job("dispatch")
    assert await outbox_settled(bot)

    never = sorted(never_the_team_group())
    assert never, "docs/privacy.md marks no column `never` for the team group"
    # What the team group received: every call to it (texts, edits, files, places) and the
    # outbox rows queued for it.
    to_group = [c for c in tg.calls if str(c.params.get("chat_id")) == str(n.team.chat_id)]
    assert to_group, "the team group got nothing: the night did not reach step 3"
    assert not [c.method for c in to_group if "location" in c.method.lower()]
    received = "\n".join(
        json.dumps({k: v for k, v in c.params.items() if k != "chat_id"}, default=str)
        for c in to_group
    )
    received += "\n".join(
        f"{row['payload']} {row['dedupe_key']}"
        for row in await bot.rows("outbox")
        if row["chat_id"] == n.team.chat_id
    )
    checked = 0
    for column in never:
        table = column.split(".", 1)[0]
        for value in _stored_values(column, await bot.rows(table)):
            checked += 1
            assert not _appears(value, received), f"{column} value {value!r} reached the group"
    # The night put phones, places, usernames and ids in the database: they were checked.
    assert checked >= 10, checked
    responders = "\n".join(
        str(c.params.get("text", ""))
        for c in tg.calls
        if str(c.params.get("chat_id")) == str(n.cora.id)
    )
    assert ANA_PHONE in responders  # the details did go, to the people who act


async def test_a_duress_alarm_never_shows_in_me_and_is_exported_only_once_resolved(
    duress_bot: Harness,
) -> None:
    """Whoever made Ana use the duress word must not learn from /me that it raised an alarm."""
    bot = duress_bot
    n = await Night(bot).setup()
    await tick(bot, night(19, 30))
    await n.ana.wait_for("Check-in 1 of")
    bot.clock.set(night(19, 32))
    sent = await n.ana.send(DURESS_WORD)
    await n.ana.wait_for("Checked in", after=sent["message_id"])
    alarm = await n.cora.wait_for("SILENT ALARM: Ana")
    assert await outbox_settled(bot)

    me = await bot.ask(n.ana, "/me")
    assert "0 alerts about you" in me.text
    _, doc, raw = await _export_of(n.ana, bot)
    assert doc["records"]["escalations"] == []
    assert "duress" not in raw
    assert ("checked_in", "by or about you") in {
        (e["event"], e["relation"]) for e in doc["records"]["safety_log"]
    }  # the check-in it looked like is there, as the walker saw it

    answer = await n.cora.tap("✅ They're safe (resolve)", message=alarm)
    assert answer.text is not None
    assert await outbox_settled(bot)
    me = await bot.ask(n.ana, "/me")
    assert "0 alerts about you" in me.text
    assert "duress" not in me.text.lower()
    _, doc, raw = await _export_of(n.ana, bot)
    (escalation,) = doc["records"]["escalations"]
    assert (escalation["kind"], escalation["about"], escalation["state"]) == (
        "duress",
        "you",
        "resolved",
    )
    assert "duress_opened" in {e["event"] for e in doc["records"]["safety_log"]}
