"""Asking for help: Need help and /sos alert everyone at once; the duress word does it silently.

The duress word looks exactly like a check-in to whoever holds the phone: the same reply as
/ok, the same edit of the prompt, no follow-up message to the pair, nothing in the team chat.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.fake_telegram import FakeGroup, FakeTelegram, FakeUser
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.template import parse_template
from tests.conftest import TEMPLATE, DbInfo
from tests.e2e.conftest import (
    Harness,
    count_of,
    edited_to,
    eventually,
    night,
    outbox_settled,
    running_bot,
    sends_to,
    sign_up,
    tick,
)

pytestmark = pytest.mark.e2e

DURESS_WORD = "pineapple"
SOS_REPLY = (
    "🆘 The coordinators have been alerted and someone will contact you. "
    "If you can, share your location with the button below. If you're in danger, call 999."
)


def _with_duress(config: RotaConfig) -> RotaConfig:
    template = parse_template(
        TEMPLATE + f'\n[checkins]\nduress_word = "{DURESS_WORD.capitalize()}"\n',
        source="test.toml",
    )
    return RotaConfig(template=template, zone=config.zone, admin_ids=config.admin_ids)


@pytest.fixture(params=["plain", "duress"])
async def night_bot(
    request: pytest.FixtureRequest,
    tg: FakeTelegram,
    db: DbInfo,
    config: RotaConfig,
    clock: FakeClock,
) -> AsyncIterator[Harness]:
    """The bot with a team chat; with a duress word in [checkins] when the test asks for it."""
    team = tg.group("Outreach team")
    chosen = _with_duress(config) if request.param == "duress" else config
    async with running_bot(tg, db, chosen, clock, team_chat_id=team.chat_id) as bot:
        yield bot


class Night:
    """Ana and Bea walk, Lee leads, Cora is on call, Dee is another coordinator."""

    def __init__(self, bot: Harness) -> None:
        self.bot = bot
        self.cora = bot.coordinator
        (self.team,) = bot.tg.groups.values()

    async def setup(self) -> Night:
        bot = self.bot
        self.ana = await bot.join("Ana", "trained")
        self.bea = await bot.join("Bea", "new")
        self.lee = await bot.join("Lee", "lead")
        self.dee = await bot.join("Dee", "coordinator")
        await sign_up(bot, self.ana, "Walker")
        await sign_up(bot, self.bea, "Walker")
        await sign_up(bot, self.lee, "Team lead")
        await sign_up(bot, self.cora, "On-call coordinator")
        for person in (self.cora, self.dee, self.lee):
            self.team.add(person)
        await tick(bot, night(19))
        # The crew's briefing now, not from the shift sweep at a random moment of the test
        # (it once arrived as the answer a test was waiting for).
        await bot.run_job("shift")
        for person in (self.ana, self.bea, self.lee, self.cora):
            await person.wait_for("Briefing:")
        await tick(bot, night(19, 30))
        await self.ana.wait_for("Check-in 1 of 7")
        await self.bea.wait_for("Check-in 1 of 7")
        return self

    @property
    def chain(self) -> list[FakeUser | FakeGroup]:
        return [self.cora, self.dee, self.lee, self.team]


@pytest.mark.parametrize("night_bot", ["plain"], indirect=True)
async def test_need_help_alerts_everyone_at_once_and_the_location_follows(
    night_bot: Harness,
) -> None:
    bot = night_bot
    n = await Night(bot).setup()
    prompt = n.ana.last()

    bot.clock.set(night(19, 31))
    answer = await n.ana.tap("🆘 Need help", message=prompt)
    assert answer.text == "Alerting the coordinators now."
    asked = await n.ana.wait_for("🆘 The coordinators have been alerted")
    assert asked.text == SOS_REPLY
    assert asked.keyboard == [["📍 Share my location"]]
    assert asked.reply_markup is not None
    assert asked.reply_markup["keyboard"][0][0]["request_location"] is True

    # No clock move: every step of the chain has it now, with the buttons.
    for chat in n.chain:
        alert = await chat.wait_for("🆘 SOS from Ana")
        assert "Sent to everyone on the chain at once." in alert.text
        people = "• Ana: no phone number shared\n• Bea: no phone number shared"
        # Phone numbers (and places) go to the responders; the team group is told who has them.
        assert (people in alert.text) is (chat is not n.team)
        assert alert.button_texts == ["✋ Acknowledge", "✅ They're safe (resolve)"]
    assert count_of(n.bea, "SOS") == 0

    # Her location goes on to everyone alerted but the team group, as a Telegram location.
    await n.ana.share_location(51.5101, -0.1340)
    await n.ana.wait_for("📍 Your location has gone to the coordinators.")
    for chat in n.chain:
        if chat is not n.team:
            await _location_in(bot.tg, chat.chat_id)

    # /sos again: already with them, and no second alert.
    again = await bot.ask(n.ana, "/sos")
    assert again.text == (
        "🆘 Your alert is already with the coordinators; help is on the way. "
        "Call 999 if you're in danger."
    )
    assert await outbox_settled(bot)
    assert not any(m.kind == "location" for m in bot.tg.messages(n.team.chat_id))
    for chat in n.chain:
        assert sends_to(bot.tg, chat.chat_id, "SOS from Ana") == 1
    (escalation,) = await bot.rows("escalations")
    assert escalation["kind"] == "sos"

    # The team lead is not walking: her location is politely not kept.
    await n.lee.share_location(51.5, -0.13)
    refused = await n.lee.wait_for("location")
    assert refused.text == "You're not walking tonight, so I haven't kept your location."
    assert [r["volunteer_id"] for r in await bot.rows("locations")] == [
        await bot.volunteer_id(n.ana)
    ]


async def _location_in(tg: FakeTelegram, chat_id: int) -> None:
    async def found() -> bool:
        return any(m.kind == "location" for m in tg.messages(chat_id))

    assert await eventually(found), f"no location in chat {chat_id}"
    located = [m for m in tg.messages(chat_id) if m.kind == "location"]
    (location,) = located
    assert (location.latitude, location.longitude) == (51.5101, -0.134)


@pytest.mark.parametrize("night_bot", ["plain"], indirect=True)
async def test_sos_and_a_location_with_no_walk_on_are_refused_politely(
    night_bot: Harness,
) -> None:
    bot = night_bot
    ana = await bot.join("Ana", "trained")
    await sign_up(bot, ana, "Walker")

    reply = await bot.ask(ana, "/sos")  # Monday noon: nothing is on

    assert reply.text == (
        "There's no session on right now, so I can't alert the team. "
        "If you are in danger, call 999."
    )
    await ana.share_location(51.5, -0.13)
    kept = await ana.wait_for("location", after=reply.message_id)
    assert kept.text == "You're not on tonight's walk, so I haven't kept your location."
    assert await bot.rows("escalations") == []
    assert await bot.rows("locations") == []
    assert count_of(bot.coordinator, "SOS") == 0


@pytest.mark.parametrize("night_bot", ["duress"], indirect=True)
async def test_the_duress_word_looks_like_a_check_in_and_silently_alerts(
    night_bot: Harness,
) -> None:
    bot = night_bot
    n = await Night(bot).setup()
    prompt = n.ana.last()

    bot.clock.set(night(19, 32))
    sent = await n.ana.send("  PineApple ")
    reply = await n.ana.wait_for("Checked in", after=sent["message_id"])

    # To whoever holds the phone it is an ordinary check-in ...
    assert reply.text == "✓ Checked in at 19:32. Thank you, stay safe!"
    assert reply.reply_markup is None
    done = "✓ Check-in 1 of 7: Ana checked in at 19:32."
    await edited_to(prompt, done)
    await n.bea.wait_for(done)

    # ... while the on-call and every coordinator get the silent alarm; nobody else does.
    alarms = {}
    for person in (n.cora, n.dee):
        alarms[person.id] = await person.wait_for("🤫 SILENT ALARM: Ana")
        assert "do not contact them in a way that gives it away" in alarms[person.id].text
    for chat in (n.lee, n.team, n.ana, n.bea):
        assert count_of(chat, "ALARM") == 0

    # /ok from Bea at the next check-in reads exactly the same.
    await tick(bot, night(20))
    await n.bea.wait_for("Check-in 2 of 7")
    assert count_of(n.ana, "⏰") == count_of(n.cora, "MISSED") == 0  # check-in 1 counted
    bot.clock.set(night(20, 2))
    ok = await bot.ask(n.bea, "/ok")
    assert ok.text == "✓ Checked in at 20:02. Thank you, stay safe!"

    # Cora takes it: the walkers hear nothing (the phone may not be in friendly hands).
    taken = await n.cora.tap("✋ Acknowledge", message=alarms[n.cora.id])
    assert taken.text == "It's yours. Everyone alerted can see you took it."
    await n.dee.wait_for("✋ Cora is dealing with the alert about Ana")
    await tick(bot, night(20, 15))  # no escalation steps for a duress alarm either
    assert await outbox_settled(bot)
    for walker in (n.ana, n.bea):
        texts = [m.text for m in walker.messages()]
        assert not [t for t in texts if "coordinator (" in t or "ALARM" in t]
        assert sends_to(bot.tg, walker.id, "following up") == 0
    # The group may hear the night is short-staffed, never of the alarm.
    group = [m.text for m in bot.tg.messages(n.team.chat_id)]
    assert [t for t in group if not t.startswith("📣 Help needed")] == []
    assert sends_to(bot.tg, n.cora.id, "SILENT ALARM") == 1
    assert sends_to(bot.tg, n.lee.id, "SILENT ALARM") == 0
    (escalation,) = await bot.rows("escalations")
    assert (escalation["kind"], escalation["state"]) == ("duress", "acknowledged")
