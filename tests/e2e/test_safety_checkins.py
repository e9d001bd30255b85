"""Check-ins on the night, pressed by the walkers and coordinators on the buttons the bot sent.

Wednesday 2 Dec 2026, 19:00-23:00 London (= UTC): check-ins every 30 minutes, a reminder 5
minutes after each, the on-call coordinator alerted after 10, then the chain climbs every 5.
The domain clock only moves when a test moves it; each move is followed by one safety sweep.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.fake_telegram import FakeTelegram, FakeUser
from bot.texts import PRESS_REFUSED
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from tests.conftest import DbInfo
from tests.e2e.conftest import (
    Harness,
    count_of,
    edited_to,
    night,
    outbox_settled,
    running_bot,
    sends_to,
    sign_up,
    tick,
)

pytestmark = pytest.mark.e2e

MISSED = "MISSED CHECK-IN: Ana and Bea"
OK = "✅ We're OK"
HELP = "🆘 Need help"
ACK = "✋ Acknowledge"
SAFE = "✅ They're safe (resolve)"


async def _pair(bot: Harness) -> tuple[FakeUser, FakeUser]:
    """Ana (trained) and Bea (new) walk; the bootstrap coordinator is on call."""
    ana, bea = await bot.join("Ana", "trained"), await bot.join("Bea", "new")
    await sign_up(bot, ana, "Walker")
    await sign_up(bot, bea, "Walker")
    await sign_up(bot, bot.coordinator, "On-call coordinator")
    return ana, bea


async def test_one_tap_checks_in_the_pair_and_a_silence_reaches_the_oncall(bot: Harness) -> None:
    ana, bea = await _pair(bot)
    cora = bot.coordinator
    await ana.share_contact("+447700900123")
    await ana.wait_for("Your number is saved")

    # 19:00: the walk starts; each walker is told who they walk with.
    await tick(bot, night(19))
    started_ana = await ana.wait_for("The walk has started")
    started_bea = await bea.wait_for("The walk has started")
    assert "You're with Bea." in started_ana.text
    assert "You're with Ana." in started_bea.text
    assert "every 30m (first at 19:30)" in started_ana.text

    # 19:30: both are asked.
    await tick(bot, night(19, 30))
    prompt_ana = await ana.wait_for("Check-in 1 of 7")
    prompt_bea = await bea.wait_for("Check-in 1 of 7")
    for prompt in (prompt_ana, prompt_bea):
        assert prompt.text == "Check-in 1 of 7 — tap when you're both OK."
        assert prompt.button_texts == [OK, HELP]
    stale_ok = prompt_bea.find_button(OK)
    assert stale_ok is not None
    assert stale_ok.callback_data is not None

    # 19:31: Ana taps We're OK; the answer confirms and BOTH prompts turn into the record.
    bot.clock.set(night(19, 31))
    answer = await ana.tap(OK, message=prompt_ana)
    assert answer.text == "✓ Checked in at 19:31. Thank you, stay safe!"
    done = "✓ Check-in 1 of 7: Ana checked in at 19:31."
    await edited_to(prompt_ana, done)
    await edited_to(prompt_bea, done)
    assert prompt_ana.buttons == prompt_bea.buttons == []

    # Bea's phone had not caught up yet: her tap on the button that is gone changes nothing.
    again = await bea.press_data(prompt_bea, stale_ok.callback_data)
    assert again.text == PRESS_REFUSED
    (checkin,) = [c for c in await bot.rows("checkins") if c["seq"] == 1]
    assert (checkin["state"], checkin["checked_by"]) == ("ok", await bot.volunteer_id(ana))

    # Past the reminder and escalation times: silence.
    await tick(bot, night(19, 35))
    await tick(bot, night(19, 40))
    await tick(bot, night(19, 45))
    for walker in (ana, bea):
        assert count_of(walker, "⏰") == 0
    assert count_of(cora, "MISSED") == 0

    # Check-in 2 is missed: the reminder at 20:05, the on-call at 20:10.
    await tick(bot, night(20))
    await ana.wait_for("Check-in 2 of 7")
    await tick(bot, night(20, 5))
    for walker in (ana, bea):
        reminder = await walker.wait_for("⏰")
        assert reminder.text == (
            "⏰ Check-in 2 of 7 was due at 20:00 and nobody has checked in yet. "
            "Tap when you're both OK."
        )
        assert reminder.button_texts == [OK, HELP]
    assert count_of(cora, "MISSED") == 0
    await tick(bot, night(20, 10))
    alert = await cora.wait_for(MISSED)
    assert alert.text.splitlines() == [
        "🚨 MISSED CHECK-IN: Ana and Bea",
        "Check-in 2 of 7 was due at 20:00 and nobody in the pair has answered.",
        "• Ana: +447700900123",
        "• Bea: no phone number shared",
        "Last check-in: 19:31 by Ana",
        "Session: Wed 2 Dec 19:00–23:00",
        "Meeting point: St Anne's Hall",
        "You're the on-call coordinator for tonight.",
        "Tap Acknowledge if you're dealing with it.",
    ]
    assert alert.button_texts == [ACK, SAFE]
    for walker in (ana, bea):
        assert count_of(walker, "MISSED") == 0

    # Cora takes it: her alert shows it, and the pair hears someone is on it.
    bot.clock.set(night(20, 11))
    taken = await cora.tap(ACK, message=alert)
    assert taken.text == "It's yours. Everyone alerted can see you took it."
    await edited_to(alert, "✋ Cora is dealing with the alert about Ana and Bea (since 20:11)")
    assert alert.button_texts == [SAFE]
    for walker in (ana, bea):
        await walker.wait_for("A coordinator (Cora) is following up on your check-in.")

    # A late We're OK from the pair: the coordinator hears of it.
    bot.clock.set(night(20, 12))
    late = await bea.tap(OK)  # on the reminder, her newest message with the button
    assert late.text == "✓ Checked in at 20:12. Thank you, stay safe!"
    update = await cora.wait_for("✓ Update: Bea checked in for Ana and Bea at 20:12.")
    assert "stays open until a coordinator resolves it" in update.text
    await tick(bot, night(20, 15))  # acknowledged: the chain does not climb
    assert await outbox_settled(bot)
    assert sends_to(bot.tg, cora.id, "MISSED") == 1

    # They're safe: resolved.
    bot.clock.set(night(20, 16))
    resolved = await cora.tap(SAFE, message=alert)
    assert resolved.text == "Resolved. Thank you."
    await edited_to(alert, "✅ Resolved by Cora at 20:16: Ana and Bea safe.")
    assert alert.buttons == []
    (escalation,) = await bot.rows("escalations")
    assert escalation["state"] == "resolved"
    assert sends_to(bot.tg, cora.id, "MISSED") == 1
    for walker in (ana, bea):
        assert sends_to(bot.tg, walker.id, "following up") == 1


@pytest.fixture
async def team_night(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> AsyncIterator[Harness]:
    team = tg.group("Outreach team")
    async with running_bot(tg, db, config, clock, team_chat_id=team.chat_id) as bot:
        yield bot


async def test_an_unanswered_alert_climbs_to_the_lead_every_coordinator_and_the_team(
    team_night: Harness,
) -> None:
    bot = team_night
    ana, bea = await _pair(bot)
    lee = await bot.join("Lee", "lead trained")
    dee = await bot.join("Dee", "coordinator")
    await sign_up(bot, lee, "Team lead")
    cora = bot.coordinator
    (team,) = bot.tg.groups.values()
    for person in (cora, dee, lee):
        team.add(person)

    await tick(bot, night(19))
    await tick(bot, night(19, 30))
    await tick(bot, night(19, 35))
    await ana.wait_for("⏰ Check-in 1 of 7")

    # Step 1: the on-call alone.
    await tick(bot, night(19, 40))
    first = await cora.wait_for(MISSED)
    assert "You're the on-call coordinator for tonight." in first.text
    for chat in (dee, lee, team, ana, bea):
        assert count_of(chat, "MISSED") == 0

    # Step 2, five minutes later: the team lead and every coordinator.
    await tick(bot, night(19, 45))
    step2 = "Nobody acknowledged the first alert: now alerting the team lead and all coordinators."
    second = await cora.wait_for(step2)
    for person in (dee, lee):
        assert step2 in (await person.wait_for(MISSED)).text
    assert count_of(team, "MISSED") == 0

    # Step 3: the team chat too.
    await tick(bot, night(19, 50))
    in_team = await team.wait_for(MISSED)
    assert "Still nobody has acknowledged (step 3)." in in_team.text
    assert in_team.button_texts == [ACK, SAFE]
    for person in (cora, dee, lee):
        await person.wait_for("(step 3)")

    # The team lead is not a coordinator: the group's button refuses her, and nothing changes.
    assert await outbox_settled(bot)
    with bot.jobs_paused():  # the clock jobs' own writes are not the refusal changing things
        before = await bot.snapshot()
        refused = await lee.tap(ACK, message=in_team)
        assert refused.text == "Only coordinators can acknowledge or resolve alerts."
        assert refused.show_alert is True
        assert await bot.snapshot() == before
    assert in_team.button_texts == [ACK, SAFE]

    # Dee presses first in the group; Cora's press, a moment later, finds it taken.
    stale = first.find_button(ACK)
    assert stale is not None
    assert stale.callback_data is not None
    bot.clock.set(night(19, 51))
    won = await dee.tap(ACK, message=in_team)
    assert won.text == "It's yours. Everyone alerted can see you took it."
    lost = await cora.press_data(first, stale.callback_data)
    assert lost.text == "Already acknowledged by Dee."
    assert lost.show_alert is True
    (escalation,) = await bot.rows("escalations")
    assert (escalation["state"], escalation["acknowledged_by"]) == (
        "acknowledged",
        await bot.volunteer_id(dee),
    )

    # Every alert already delivered now says who took it; the chain stops.
    taken = "✋ Dee is dealing with the alert about Ana and Bea"
    for message in (first, second, in_team):
        await edited_to(message, taken)
        assert message.button_texts == [SAFE]
    await tick(bot, night(19, 55))
    assert sends_to(bot.tg, team.chat_id, "MISSED") == 1
    assert sends_to(bot.tg, cora.id, "MISSED") == 3  # steps 1, 2 and 3
    assert sends_to(bot.tg, dee.id, "MISSED") == 2  # steps 2 and 3
    for walker in (ana, bea):
        await walker.wait_for("A coordinator (Dee) is following up")
        assert sends_to(bot.tg, walker.id, "following up") == 1


async def test_a_check_in_while_the_partners_prompt_is_still_being_sent_updates_it_too(
    bot: Harness,
) -> None:
    """Telegram has both prompts but its answers are slow when Ana sends /ok: Bea's prompt,
    still on its way by the outbox, is turned into the record as well, not left with buttons."""
    ana, bea = await _pair(bot)
    await tick(bot, night(19))
    await bea.wait_for("The walk has started")
    bot.tg.set_delay("sendMessage", 1.0)  # each message arrives at once, its answer late
    bot.clock.set(night(19, 30))
    sweep = asyncio.create_task(bot.run_job("safety"))
    prompt_bea = await bea.wait_for("Check-in 1 of 7")
    in_flight = [r for r in await bot.rows("outbox") if r["kind"] == "checkin_prompt"]
    assert "sending" in {r["state"] for r in in_flight}

    await ana.send("/ok")

    await edited_to(prompt_bea, "✓ Check-in 1 of 7: Ana checked in")
    assert prompt_bea.button_texts == []
    await sweep
    bot.tg.set_delay("sendMessage", 0)
