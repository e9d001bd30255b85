"""Issue 11, items 1, 8 and 9, end to end: forged check-in presses, a live location during an
SOS, and what the team group's copy of an alarm shows.

Ana and Bea walk, Lee leads, Cora (the bootstrap coordinator) is on call, Dee is another
coordinator; Cora, Dee and Lee are in the team group, which gets step 3 and SOS alarms.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.fake_telegram import BotMessage, FakeGroup, FakeTelegram, FakeUser
from bot.safety.texts import TEAM_DETAILS
from bot.texts import PRESS_REFUSED
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from tests.conftest import DbInfo
from tests.e2e.conftest import (
    Harness,
    eventually,
    night,
    outbox_settled,
    running_bot,
    sends_landed,
    sign_up,
    tick,
)

pytestmark = pytest.mark.e2e

OK = "✅ We're OK"
HELP = "🆘 Need help"
ANA_PHONE, BEA_PHONE = "+447700900111", "+447700900222"
HERE = (51.5101, -0.134)
TOO_EARLY = re.compile(r"That check-in isn't due until \d\d:\d\d, so I've left it open")


@pytest.fixture
async def team_bot(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> AsyncIterator[Harness]:
    """The bot with a team chat."""
    team = tg.group("Outreach team")
    async with running_bot(tg, db, config, clock, team_chat_id=team.chat_id) as bot:
        yield bot


class Crew:
    """The night's people, signed up, with the walk on and check-in 1 asked at 19:30."""

    def __init__(self, bot: Harness) -> None:
        self.bot = bot
        self.cora = bot.coordinator
        (self.team,) = bot.tg.groups.values()

    async def setup(self, *, phones: bool = False) -> Crew:
        bot = self.bot
        self.ana = await bot.join("Ana", "trained")
        self.bea = await bot.join("Bea", "new")
        self.lee = await bot.join("Lee", "lead")
        self.dee = await bot.join("Dee", "coordinator")
        if phones:
            for walker, phone in ((self.ana, ANA_PHONE), (self.bea, BEA_PHONE)):
                await walker.share_contact(phone)
                await walker.wait_for("Your number is saved")
        await sign_up(bot, self.ana, "Walker")
        await sign_up(bot, self.bea, "Walker")
        await sign_up(bot, self.lee, "Team lead")
        await sign_up(bot, self.cora, "On-call coordinator")
        for person in (self.cora, self.dee, self.lee):
            self.team.add(person)
        await tick(bot, night(19))
        await self.ana.wait_for("The walk has started")
        return self

    async def asked(self) -> BotMessage:
        """19:30: check-in 1; returns Ana's prompt."""
        await tick(self.bot, night(19, 30))
        await self.bea.wait_for("Check-in 1 of 7")
        return await self.ana.wait_for("Check-in 1 of 7")

    @property
    def responders(self) -> list[FakeUser]:
        return [self.cora, self.dee, self.lee]


def _checkin_id(prompt: BotMessage) -> int:
    button = prompt.find_button(OK)
    assert button is not None
    assert button.callback_data is not None
    return int(button.callback_data.rsplit(":", 1)[1])


def _locations(tg: FakeTelegram, chat_id: int) -> list[BotMessage]:
    return [m for m in tg.messages(chat_id) if m.kind == "location"]


def _calls_to(tg: FakeTelegram, chat_id: int, method: str) -> int:
    return sum(1 for c in tg.calls_to(method) if c.ok and c.params.get("chat_id") == chat_id)


def _team_saw_no_details(tg: FakeTelegram, team: FakeGroup) -> None:
    """Nothing the bot ever sent the group (edits included) held a phone or a place."""
    assert _locations(tg, team.chat_id) == []
    for call in tg.calls:
        if call.params.get("chat_id") != team.chat_id:
            continue
        assert "location" not in call.method.lower(), call
        text = str(call.params.get("text", ""))
        for secret in (ANA_PHONE, BEA_PHONE, "51.51", "0.134"):
            assert secret not in text, text


# --- item 1 ---------------------------------------------------------------------------------


async def test_forged_presses_for_later_checkins_change_nothing_and_they_are_still_asked(
    team_bot: Harness,
) -> None:
    bot = team_bot
    crew = await Crew(bot).setup()
    prompt = await crew.asked()
    first = _checkin_id(prompt)
    bot.clock.set(night(19, 31))
    assert await outbox_settled(bot)
    with bot.jobs_paused():
        before = await bot.snapshot()
        for later in range(first + 1, first + 7):  # ids are consecutive: the whole night
            answer = await crew.ana.press_data(prompt, f"ci:o:{later}")
            assert answer.show_alert is True
            # The press guard (the button is not on this message) or the domain's window.
            assert answer.text == PRESS_REFUSED or TOO_EARLY.match(answer.text or ""), answer
        assert await bot.snapshot() == before
    answer = await crew.ana.tap(OK, message=prompt)
    assert answer.text == "✓ Checked in at 19:31. Thank you, stay safe!"

    # Check-in 2 is asked at 20:00 as planned, and its silence reaches the on-call at 20:10.
    await tick(bot, night(20))
    await crew.ana.wait_for("Check-in 2 of 7")
    await crew.bea.wait_for("Check-in 2 of 7")
    await tick(bot, night(20, 5))
    await tick(bot, night(20, 10))
    alert = await crew.cora.wait_for("MISSED CHECK-IN: Ana and Bea")
    assert "Check-in 2 of 7 was due at 20:00" in alert.text


async def test_a_checkin_button_pressed_after_the_session_ended_changes_nothing(
    team_bot: Harness,
) -> None:
    """The real button, still on the real prompt: the domain refuses it, the walk being over."""
    bot = team_bot
    crew = await Crew(bot).setup()
    prompt = await crew.asked()
    await tick(bot, night(19, 35))
    await tick(bot, night(19, 40))
    await crew.cora.wait_for("MISSED CHECK-IN: Ana and Bea")
    ended = await bot.ask(crew.lee, "/endwalk")
    assert ended.text.startswith("The walk is over")
    await tick(bot, night(23))
    await crew.ana.wait_for("home safe")
    bot.clock.set(night(23, 1))
    assert await outbox_settled(bot)
    with bot.jobs_paused():
        before = await bot.snapshot()
        answer = await crew.ana.tap(OK, message=prompt)
        assert answer.text == (
            "The walk is over, so check-ins have stopped and I've left this one as it was. "
            "If you need help, send /sos."
        )
        assert answer.show_alert is True
        assert await bot.snapshot() == before


# --- item 8 ---------------------------------------------------------------------------------


async def test_a_live_location_during_an_sos_is_one_message_per_coordinator_moved_by_edits(
    team_bot: Harness,
) -> None:
    bot, tg = team_bot, team_bot.tg
    crew = await Crew(bot).setup()
    prompt = await crew.asked()
    bot.clock.set(night(19, 31))
    await crew.ana.tap(HELP, message=prompt)
    for chat in [*crew.responders, crew.team]:
        await chat.wait_for("SOS from Ana")

    await crew.ana.share_location(*HERE, live_period=3600)
    await crew.ana.wait_for("📍 Your location has gone to the coordinators.")

    async def each_has_its_place() -> bool:
        return all(len(_locations(tg, p.chat_id)) == 1 for p in crew.responders)

    assert await eventually(each_has_its_place)
    assert await sends_landed(bot)
    last = (HERE[0] + 0.01, HERE[1])
    for step in range(1, 11):  # ten moves of the live location (edited_message updates)
        await crew.ana.update_live_location(HERE[0] + step / 1000, HERE[1])

    async def all_ten_recorded() -> bool:
        rows = await bot.rows("outbox")
        moves = [r for r in rows if r["kind"] == "alert_location_move"]
        pending = [r for r in moves if r["state"] == "pending"]
        return (
            len(moves) == 30
            and len(pending) == 3
            and all(str(last[0]) in r["payload"] for r in pending)
        )

    assert await eventually(all_ten_recorded)
    # The moves wait for the end of their slot: one edit per chat, with the latest place.
    bot.clock.set(night(19, 31, 10))
    await bot.run_job("dispatch")
    assert await outbox_settled(bot)
    for person in crew.responders:
        (place,) = _locations(tg, person.chat_id)
        assert (place.latitude, place.longitude) == last
        assert place.live_period is not None
        assert _calls_to(tg, person.chat_id, "sendLocation") == 1
        assert _calls_to(tg, person.chat_id, "editMessageLiveLocation") == 1
    _team_saw_no_details(tg, crew.team)


# --- item 9 ---------------------------------------------------------------------------------


async def test_the_team_groups_copies_of_a_step_3_alarm_and_an_sos_hold_no_phone_or_place(
    team_bot: Harness,
) -> None:
    bot, tg = team_bot, team_bot.tg
    crew = await Crew(bot).setup(phones=True)
    bot.clock.set(night(19, 20))
    await crew.ana.share_location(*HERE)
    await crew.ana.wait_for("Got your location")
    prompt = await crew.asked()
    for minute in (35, 40, 45, 50):  # reminder, then steps 1, 2 and 3
        await tick(bot, night(19, minute))
    team_alert = await crew.team.wait_for("MISSED CHECK-IN: Ana and Bea")
    assert "step 3" in team_alert.text
    assert TEAM_DETAILS in team_alert.text
    dee_alert = await crew.dee.wait_for("MISSED CHECK-IN: Ana and Bea")
    assert f"• Ana: {ANA_PHONE}" in dee_alert.text
    assert f"• Bea: {BEA_PHONE}" in dee_alert.text
    assert await outbox_settled(bot)
    for person in crew.responders:
        assert _locations(tg, person.chat_id), person

    # Bea asks for help: the team group hears who, the responders get the numbers.
    bot.clock.set(night(19, 51))
    bea_prompt = await crew.bea.wait_for("Check-in 1 of 7")
    await crew.bea.tap(HELP, message=bea_prompt)
    team_sos = await crew.team.wait_for("SOS from Bea")
    assert TEAM_DETAILS in team_sos.text
    cora_sos = await crew.cora.wait_for("SOS from Bea")
    assert BEA_PHONE in cora_sos.text
    assert ANA_PHONE in cora_sos.text
    await crew.bea.share_location(HERE[0] + 0.002, HERE[1])
    await crew.bea.wait_for("📍 Your location has gone to the coordinators.")
    bot.clock.set(night(19, 51, 10))  # the end of the slot: the responders' pins move
    await bot.run_job("dispatch")
    assert await outbox_settled(bot)
    for person in crew.responders:
        (place,) = [p for p in _locations(tg, person.chat_id) if p.live_period]
        assert (place.latitude, place.longitude) == (HERE[0] + 0.002, HERE[1])
    _team_saw_no_details(tg, crew.team)
    # ... and in the database: no outbox row for the group holds a number or a place.
    for row in await bot.rows("outbox"):
        if row["chat_id"] == crew.team.chat_id:
            for secret in (ANA_PHONE, BEA_PHONE, "latitude", "members"):
                assert secret not in row["payload"], row
    assert prompt.find_button(OK) is not None  # nobody checked in: the alarm stands


async def test_a_live_location_on_the_greenwich_meridian_still_reaches_the_coordinators(
    team_bot: Harness,
) -> None:
    """Found by the fuzz run: longitude 0.0 made the edit raise and stalled its whole batch."""
    bot, tg = team_bot, team_bot.tg
    crew = await Crew(bot).setup()
    prompt = await crew.asked()
    bot.clock.set(night(19, 31))
    await crew.ana.tap(HELP, message=prompt)
    await crew.ana.share_location(51.4779, -0.0015, live_period=3600)
    await crew.ana.wait_for("📍 Your location has gone to the coordinators.")
    assert await sends_landed(bot)
    await crew.ana.update_live_location(51.4779, 0.0)

    async def moved() -> bool:
        moves = [r for r in await bot.rows("outbox") if r["kind"] == "alert_location_move"]
        return len(moves) == len(crew.responders)

    assert await eventually(moved)
    bot.clock.set(night(19, 31, 10))
    await bot.run_job("dispatch")
    assert await outbox_settled(bot)
    for person in crew.responders:
        (place,) = _locations(tg, person.chat_id)
        assert (place.latitude, place.longitude) == (51.4779, 0.0)
    assert not [r for r in await bot.rows("outbox") if r["state"] in ("sending", "failed")]
