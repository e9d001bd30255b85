"""Understaffed alerts on Telegram: the coordinators' alert, the team chat's call-out and its
join buttons, at 72 hours and again at 24 hours only if the night is still short."""

from __future__ import annotations

import datetime as dtm
from collections.abc import AsyncIterator

import pytest

from bot.fake_telegram import FakeGroup, FakeTelegram
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from tests.conftest import DbInfo
from tests.e2e.conftest import Harness, eventually, running_bot, sends_to, sign_up

pytestmark = pytest.mark.e2e

START = dtm.datetime(2026, 12, 2, 19, 0, tzinfo=dtm.UTC)
WHEN = "Wed 2 Dec 19:00–23:00"


def before(hours: float) -> dtm.datetime:
    return START - dtm.timedelta(hours=hours)


@pytest.fixture
def clock() -> FakeClock:
    """Saturday noon: 79 hours before Wed 2 Dec, so no alert is due when the bot starts."""
    return FakeClock(before(79))


@pytest.fixture
async def team_bot(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> AsyncIterator[tuple[Harness, FakeGroup]]:
    team = tg.group("Outreach team")
    async with running_bot(tg, db, config, clock, team_chat_id=team.chat_id) as harness:
        team.add(harness.coordinator)
        yield harness, team


async def sweep(bot: Harness, when: dtm.datetime) -> None:
    bot.clock.set(when)
    await bot.run_job("shift")


async def test_at_72_hours_the_coordinators_hear_and_the_team_chat_is_asked(
    team_bot: tuple[Harness, FakeGroup],
) -> None:
    bot, team = team_bot
    ana, ben = await bot.join("Ana"), await bot.join("Ben")
    team.add(ben)
    await sign_up(bot, ana, "Walker")

    await sweep(bot, before(72) - dtm.timedelta(seconds=1))
    assert sends_to(bot.tg, bot.coordinator.id, "hort-staffed") == 0
    await sweep(bot, before(72))

    alert = await bot.coordinator.wait_for("Short-staffed")
    assert alert.text == (
        f"⚠ Short-staffed: {WHEN}\n"
        "• Team lead: 0 of the 1 needed.\n"
        "• Walker: 1 of the 2 needed.\n"
        "• Drop-in: 0 of the 1 needed.\n"
        "• On-call coordinator: 0 of the 1 needed.\n"
        "\n"
        "I've asked the team chat for help.\n"
        "/session 2026-12-02 shows who is on."
    )
    callout = await team.wait_for("Help needed")
    assert callout.text == (
        f"📣 Help needed on {WHEN}\n"
        "• Team lead: 1 more needed\n"
        "• Walker: 1 more needed\n"
        "• Drop-in: 1 more needed\n"
        "• On-call coordinator: 1 more needed\n"
        "Tap a button to sign up (it signs up whoever taps it)."
    )
    assert callout.button_texts == [
        "Wed 2 Dec · Join Team lead (0/1)",
        "Wed 2 Dec · Join Walker (1/2)",
        "Wed 2 Dec · Join Drop-in (0/2)",
        "Wed 2 Dec · Join On-call coordinator (0/1)",
    ]

    answer = await ben.tap("Wed 2 Dec · Join Walker (1/2)", message=callout)

    assert answer.text == "You're down as Walker on Wed 2 Dec. Thank you!"
    ben_id = await bot.volunteer_id(ben)
    assert [(s["volunteer_id"], s["status"]) for s in await bot.rows("signups")][-1] == (
        ben_id,
        "confirmed",
    )
    await sweep(bot, before(50))
    await bot.run_job("dispatch")
    assert sends_to(bot.tg, bot.coordinator.id, "hort-staffed") == 1
    assert sends_to(bot.tg, team.chat_id, "Help needed") == 1


async def test_at_24_hours_the_alert_comes_again_only_while_still_short(
    team_bot: tuple[Harness, FakeGroup],
) -> None:
    bot, team = team_bot
    ana, ben, lea = await bot.join("Ana"), await bot.join("Ben"), await bot.join("Lea", "lead")
    await sign_up(bot, ana, "Walker")
    await sweep(bot, before(72))
    await team.wait_for("Help needed")
    await sign_up(bot, ben, "Walker")
    await sign_up(bot, lea, "Team lead")

    await sweep(bot, before(24))

    again = await bot.coordinator.wait_for("Still short-staffed")
    assert again.text == (
        f"⚠ Still short-staffed: {WHEN}\n"
        "• Drop-in: 0 of the 1 needed.\n"
        "• On-call coordinator: 0 of the 1 needed.\n"
        "\n"
        "I've asked the team chat for help.\n"
        "/session 2026-12-02 shows who is on."
    )
    second = await team.wait_for(
        "Help needed", after=(await team.wait_for("Help needed")).message_id
    )
    assert second.button_texts == [
        "Wed 2 Dec · Join Drop-in (0/2)",
        "Wed 2 Dec · Join On-call coordinator (0/1)",
    ]
    answer = await bot.coordinator.tap(
        "Wed 2 Dec · Join On-call coordinator (0/1)", message=second
    )
    assert answer.text == "You're down as On-call coordinator on Wed 2 Dec. Thank you!"


async def test_a_night_filled_before_24_hours_gets_no_second_alert(
    team_bot: tuple[Harness, FakeGroup],
) -> None:
    bot, team = team_bot
    ana, ben = await bot.join("Ana"), await bot.join("Ben")
    lea, dee = await bot.join("Lea", "lead"), await bot.join("Dee", "")
    await sign_up(bot, ana, "Walker")
    await sweep(bot, before(72))
    await bot.coordinator.wait_for("Short-staffed")
    await sign_up(bot, ben, "Walker")
    await sign_up(bot, lea, "Team lead")
    await sign_up(bot, dee, "Drop-in")
    await sign_up(bot, bot.coordinator, "On-call coordinator")

    await sweep(bot, before(24))
    await sweep(bot, before(23))
    await bot.run_job("dispatch")

    async def reminded() -> bool:
        return sends_to(bot.tg, ana.id, "See you tomorrow") == 1

    assert await eventually(reminded)  # the sweep ran: the day-before reminder went out
    assert sends_to(bot.tg, bot.coordinator.id, "hort-staffed") == 1
    assert sends_to(bot.tg, team.chat_id, "Help needed") == 1


async def test_a_fully_staffed_night_sends_no_alert_at_all(
    team_bot: tuple[Harness, FakeGroup],
) -> None:
    bot, team = team_bot
    ana, ben = await bot.join("Ana"), await bot.join("Ben")
    lea, dee = await bot.join("Lea", "lead"), await bot.join("Dee", "")
    for user, role in ((ana, "Walker"), (ben, "Walker"), (lea, "Team lead"), (dee, "Drop-in")):
        await sign_up(bot, user, role)
    await sign_up(bot, bot.coordinator, "On-call coordinator")

    await sweep(bot, before(72))
    await sweep(bot, before(24))
    await bot.run_job("dispatch")

    assert await eventually(lambda: _sent(bot, ana.id, "See you tomorrow"))
    assert sends_to(bot.tg, bot.coordinator.id, "hort-staffed") == 0
    assert sends_to(bot.tg, team.chat_id, "Help needed") == 0
    assert {r["kind"] for r in await bot.rows("outbox")} == {"reminder"}


async def _sent(bot: Harness, chat_id: int, needle: str) -> bool:
    return sends_to(bot.tg, chat_id, needle) > 0


async def test_a_new_walker_without_a_trained_partner_is_named_to_the_coordinators(
    bot: Harness,
) -> None:
    ana, nia = await bot.join("Ana", "new"), await bot.join("Nia", "new")
    await sign_up(bot, ana, "Walker")
    await sign_up(bot, nia, "Walker")

    await sweep(bot, before(72))

    alert = await bot.coordinator.wait_for("Short-staffed")
    assert "• Not enough trained walkers: Ana and Nia (new) have no trained partner." in (
        alert.text.splitlines()
    )
    assert "team chat" not in alert.text  # no team chat configured: no call-out
