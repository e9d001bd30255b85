"""The day-before reminder on Telegram: sent once, Still coming, Can't make it, and bad presses."""

from __future__ import annotations

import datetime as dtm
from collections.abc import AsyncIterator

import pytest

from bot.fake_telegram import BotMessage, FakeGroup, FakeTelegram, FakeUser
from bot.texts import PRESS_REFUSED
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from tests.conftest import DbInfo
from tests.e2e.conftest import (
    Harness,
    another_app,
    eventually,
    running_bot,
    sends_to,
    sign_up,
)

pytestmark = pytest.mark.e2e

DAY_BEFORE = dtm.datetime(2026, 12, 1, 19, 0, tzinfo=dtm.UTC)  # 24 h before Wed 2 Dec 19:00
WHEN = "Wed 2 Dec 19:00–23:00"
STALE = "That button is out of date. Send /rota or /myshifts for a fresh one."


def reminder_text(name: str, role: str = "Walker") -> str:
    return (
        f"👋 See you tomorrow, {name}?\n"
        f"You're down as {role} on {WHEN}.\n"
        "Meet: St Anne's Hall\n\n"
        "Tap Still coming to let us know, or Can't make it if something has come up."
    )


async def shows(message: BotMessage, needle: str) -> BotMessage:
    """Wait until this very message (edited in place) shows `needle`."""

    async def edited() -> bool:
        return needle in message.text

    assert await eventually(edited), f"never edited to {needle!r}: {message.text!r}"
    return message


async def remind(bot: Harness) -> None:
    """24 hours before the start: the shift sweep sends the reminders (and delivers them)."""
    bot.clock.set(DAY_BEFORE)
    await bot.run_job("shift")


async def reminder_of(user: FakeUser) -> BotMessage:
    return await user.wait_for("See you tomorrow")


@pytest.fixture
async def team_bot(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> AsyncIterator[tuple[Harness, FakeGroup]]:
    """A bot whose settings name a group as the team chat."""
    team = tg.group("Outreach team")
    async with running_bot(tg, db, config, clock, team_chat_id=team.chat_id) as harness:
        team.add(harness.coordinator)
        yield harness, team


async def test_each_volunteer_gets_one_reminder_even_across_a_restart(
    bot: Harness, tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    ana, ben = await bot.join("Ana"), await bot.join("Ben")
    dan = await bot.join("Dan")  # on the team, not on the rota
    await sign_up(bot, ana, "Walker")
    await sign_up(bot, ben, "Drop-in")

    await remind(bot)
    message = await reminder_of(ana)
    await bot.run_job("shift")
    async with another_app(tg, db, config, clock, poll=False) as second_worker:
        await second_worker.run_job("shift")
        await second_worker.run_job("dispatch")
    await bot.run_job("dispatch")

    assert message.text == reminder_text("Ana")
    assert message.button_texts == ["✅ Still coming", "❌ Can't make it"]
    assert (await reminder_of(ben)).text == reminder_text("Ben", "Drop-in")
    for user in (ana, ben):
        assert sends_to(tg, user.id, "See you tomorrow") == 1
    assert sends_to(tg, dan.id, "See you tomorrow") == 0
    assert sorted(r["answer"] for r in await bot.rows("reminder_answers")) == ["asked", "asked"]


async def test_still_coming_records_it_and_edits_the_reminder(bot: Harness) -> None:
    ana = await bot.join("Ana")
    await sign_up(bot, ana, "Walker")
    await remind(bot)
    message = await reminder_of(ana)

    answer = await ana.tap("✅ Still coming", message=message)

    assert answer.text == "Thanks, see you there!"
    await shows(message, "✅ Thanks, Ana!")
    assert message.text == (
        f"✅ Thanks, Ana! You're down as Walker on {WHEN}. See you there.\nMeet: St Anne's Hall"
    )
    assert message.button_texts == []
    (row,) = await bot.rows("reminder_answers")
    assert (row["answer"], row["answered_at"]) == ("coming", DAY_BEFORE)


async def test_cant_make_it_asks_then_withdraws_by_the_rota_rules(
    team_bot: tuple[Harness, FakeGroup],
) -> None:
    bot, team = team_bot
    ana, ben, cat = await bot.join("Ana"), await bot.join("Ben"), await bot.join("Cat")
    team.add(ana)
    await sign_up(bot, ana, "Walker")
    await sign_up(bot, ben, "Walker")
    listing = await bot.open_session(cat, "Wed 2 Dec")
    assert (await cat.tap("Walker: full, join waitlist", message=listing)).text == (
        "You're on the waitlist for Walker on Wed 2 Dec."
    )
    await remind(bot)
    message = await reminder_of(ana)

    await ana.tap("❌ Can't make it", message=message)
    await shows(message, "Can't make it to Walker")
    assert message.text == (
        f"Can't make it to Walker on {WHEN}?\n\n"
        "Withdraw: your place goes to the first person on the waitlist, if there is one and, "
        "as it's so close to the start, the coordinators are told.\n"
        "Ask for cover: I ask everyone who can do Walker; you stay on the rota until one of "
        "them takes your place."
    )
    assert message.button_texts == [
        "Yes, withdraw",
        "🙋 Ask for cover instead",
        "No, I'm still coming",
    ]
    assert [s["status"] for s in await bot.rows("signups")] == ["confirmed"] * 2 + ["waitlisted"]

    answer = await ana.tap("Yes, withdraw", message=message)

    assert answer.text == "Withdrawn."
    await shows(message, "You've withdrawn")
    assert message.text == (
        f"You've withdrawn from Walker on {WHEN}. Cat from the waitlist takes your place. "
        "The coordinators have been told."
    )
    assert (await cat.wait_for("Good news")).text.startswith(
        "Good news: a place opened up and you're now down as Walker on Wed 2 Dec"
    )
    late = f"⚠ Late notice: Ana withdrew from Walker on {WHEN}. Cat moved up from the waitlist."
    assert (await bot.coordinator.wait_for("Late notice")).text == late
    assert (await team.wait_for("Late notice")).text == late
    assert [s["status"] for s in await bot.rows("signups")] == [
        "withdrawn",
        "confirmed",
        "confirmed",
    ]
    assert [r["answer"] for r in await bot.rows("reminder_answers")] == ["withdrawn", "asked"]


async def test_no_im_still_coming_goes_back_to_the_answer(bot: Harness) -> None:
    ana = await bot.join("Ana")
    await sign_up(bot, ana, "Walker")
    await remind(bot)
    message = await reminder_of(ana)
    await ana.tap("❌ Can't make it", message=message)
    await shows(message, "Can't make it to")

    await ana.tap("No, I'm still coming", message=message)

    await shows(message, "✅ Thanks, Ana!")
    assert [s["status"] for s in await bot.rows("signups")] == ["confirmed"]


async def test_bad_presses_are_refused_and_change_nothing(bot: Harness) -> None:
    ana, ben, dan = await bot.join("Ana"), await bot.join("Ben"), await bot.join("Dan")
    await sign_up(bot, ana, "Walker")
    await sign_up(bot, ben, "Walker")
    await remind(bot)
    message = await reminder_of(ana)
    await reminder_of(ben)
    (session_id,) = {r["session_id"] for r in await bot.rows("reminder_answers")}
    await bot.run_job("dispatch")

    with bot.jobs_paused():
        before = await bot.snapshot()
        # None of these is a button of the pressed message in the presser's own chat: each
        # is refused before anything is read (the domain's checks stay behind the guard).
        refusals = [
            # someone else pressing Ana's buttons (a modified client can)
            (ben, message, f"rm:y:{session_id}", PRESS_REFUSED),
            (ben, message, f"rm:w:{session_id}", PRESS_REFUSED),
            # Dan was sent no reminder; forged onto a message of his own
            (dan, dan.last(), f"rm:w:{session_id}", PRESS_REFUSED),
            (dan, dan.last(), f"rm:y:{session_id}", PRESS_REFUSED),
            # a session Ana was not reminded about, and malformed data
            (ana, message, f"rm:y:{session_id + 1}", PRESS_REFUSED),
            (ana, message, "rm:y:999999", PRESS_REFUSED),
            (ana, message, "rm:y:999999999999", PRESS_REFUSED),  # beyond a 32-bit id: forged
            (ana, message, "rm:y", PRESS_REFUSED),
            (ana, message, "rm:q:1", PRESS_REFUSED),
            (ana, message, f"rm:y:{session_id}:1", PRESS_REFUSED),
            (ana, message, "rm:y:-1", PRESS_REFUSED),
            (ana, message, "rm:y:abc", PRESS_REFUSED),
        ]
        for user, where, data, expected in refusals:
            answer = await user.press_data(where, data)
            assert (answer.text, answer.show_alert) == (expected, True), data
        assert await bot.snapshot() == before
    assert message.text == reminder_text("Ana")


async def test_buttons_of_a_reminder_refuse_once_the_place_is_given_up(bot: Harness) -> None:
    ana = await bot.join("Ana")
    await sign_up(bot, ana, "Walker")
    await remind(bot)
    message = await reminder_of(ana)
    await ana.tap("❌ Can't make it", message=message)
    await shows(message, "Can't make it to")
    await ana.tap("Yes, withdraw", message=message)
    await shows(message, "You've withdrawn")
    await bot.run_job("dispatch")
    (answered,) = await bot.rows("reminder_answers")

    with bot.jobs_paused():
        before = await bot.snapshot()
        for data in ("rm:y", "rm:w", "rm:c", "rm:n"):
            answer = await ana.press_data(message, f"{data}:{answered['session_id']}")
            assert answer.text == PRESS_REFUSED, data  # the buttons are gone
        assert await bot.snapshot() == before


async def test_the_reminder_buttons_refuse_once_the_session_started(bot: Harness) -> None:
    ana = await bot.join("Ana")
    await sign_up(bot, ana, "Walker")
    await remind(bot)
    message = await reminder_of(ana)
    bot.clock.set(DAY_BEFORE + dtm.timedelta(days=1, minutes=1))

    answer = await ana.tap("❌ Can't make it", message=message)

    assert answer.text == "That session has already started. Please tell the team lead directly."
    assert message.text == reminder_text("Ana")
