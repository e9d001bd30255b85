"""The outbox against Telegram's failures: blocked users, flood limits, outages, crashes.

A promotion notice (Ana withdraws, Cat moves up from the waitlist) is the message under test.
Where timing matters the job queue's timers are paused and the dispatcher is run by hand, so
each step is deterministic; the injected clock decides what is due.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
from typing import Any

import pytest

from bot.app import running_jobs_done
from bot.fake_telegram import BotMessage, FakeUser
from rota.kernel import delivery
from tests.e2e.conftest import Harness, eventually, sends_landed

pytestmark = pytest.mark.e2e

PROMOTED = "Good news: a place opened up"


async def _ready_to_withdraw(bot: Harness) -> tuple[FakeUser, FakeUser, BotMessage]:
    """Ana and Ben walk on Wed 2 Dec, Cat waits; Ana is asked to confirm her withdrawal."""
    ana, ben, cat = await bot.join("Ana"), await bot.join("Ben"), await bot.join("Cat")
    for person in (ana, ben):
        await bot.open_session(person, "Wed 2 Dec")
        await person.tap("Join Walker", contains=True)
    await bot.open_session(cat, "Wed 2 Dec")
    await cat.tap("Walker: full, join waitlist")
    shifts = await bot.ask(ana, "/myshifts")
    await ana.tap("Withdraw: Wed 2 Dec Walker", message=shifts)
    question = await ana.wait_for("Withdraw from Walker", after=shifts.message_id - 1)
    return ana, cat, question


async def _withdraw(ana: FakeUser, question: BotMessage) -> None:
    answer = await ana.tap("Yes, withdraw", message=question)
    assert answer.text == "Withdrawn."
    done = await ana.wait_for("You've withdrawn", after=question.message_id - 1)
    assert "Cat from the waitlist takes your place." in done.text


async def _promotion(bot: Harness) -> dict[str, Any]:
    # (The clock jobs may add a staffing alert for the now short-staffed night meanwhile.)
    (row,) = [r for r in await bot.rows("outbox") if r["kind"] == "promoted"]
    return row


def _sends_to(bot: Harness, user: FakeUser, since: int) -> list[int]:
    """HTTP statuses of the sendMessage calls to the user's chat from call `since` on."""
    return [
        c.status
        for c in bot.tg.calls[since:]
        if c.method == "sendMessage" and c.params["chat_id"] == user.id
    ]


def _promotions_seen(user: FakeUser) -> int:
    return sum(PROMOTED in m.text for m in user.messages())


async def test_a_notice_to_someone_who_blocked_the_bot_is_marked_unreachable(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    ana, cat, question = await _ready_to_withdraw(bot)
    mark = len(bot.tg.calls)
    bot.tg.block(cat)

    with caplog.at_level(logging.WARNING):
        await _withdraw(ana, question)  # the handler wakes the dispatcher itself

        async def settled() -> dict[str, Any] | None:
            row = await _promotion(bot)
            return row if row["state"] not in ("pending", "sending") else None

        row = await eventually(settled)
        await bot.run_job("dispatch")

    assert row is not None
    assert row["state"] == "unreachable"
    assert row["attempts"] == 1
    assert row["last_error"].startswith("403: ")
    assert _sends_to(bot, cat, mark) == [403]
    assert _promotions_seen(cat) == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    rota = await bot.ask(ana, "/rota", expect="Upcoming sessions")  # the bot carries on
    assert rota.text.startswith("Upcoming sessions")
    roster = await bot.ask(bot.coordinator, "/session 2026-12-02")
    assert "Walker 2/2\n• Ben\n• Cat" in roster.text


async def test_a_429_is_retried_after_the_pause_and_delivered_once(bot: Harness) -> None:
    ana, cat, question = await _ready_to_withdraw(bot)
    mark = len(bot.tg.calls)

    with bot.jobs_paused():
        # Whatever a sweep queued before the pause (a staffing call-out on a slow machine) is
        # delivered first, so the 429 lands on the promotion this test is about.
        await running_jobs_done(bot.app, 10.0)
        await bot.run_job("dispatch")
        await sends_landed(bot)
        await _withdraw(ana, question)
        bot.tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        await bot.run_job("dispatch")
        waiting = await _promotion(bot)
        await bot.run_job("dispatch")  # still inside Telegram's pause: not sent again
        assert _sends_to(bot, cat, mark) == [429]
        bot.clock.advance(seconds=1)
        await bot.run_job("dispatch")
        await bot.run_job("dispatch")

    assert waiting["state"] == "pending"
    assert waiting["last_error"].startswith("429: ")
    assert waiting["due_at"] == bot.clock.now()  # exactly the second Telegram asked for
    await cat.wait_for(PROMOTED)
    assert _promotions_seen(cat) == 1
    assert _sends_to(bot, cat, mark) == [429, 200]
    sent = await _promotion(bot)
    assert (sent["state"], sent["attempts"]) == ("sent", 2)


async def test_an_outage_delays_delivery_which_arrives_once_after_recovery(bot: Harness) -> None:
    ana, cat, question = await _ready_to_withdraw(bot)
    mark = len(bot.tg.calls)

    with bot.jobs_paused():
        await _withdraw(ana, question)
        bot.tg.set_outage(True)
        start = bot.clock.now()
        await bot.run_job("dispatch")
        first = await _promotion(bot)
        bot.clock.advance(seconds=1)  # the first backoff has passed; Telegram is still down
        await bot.run_job("dispatch")
        second = await _promotion(bot)
        bot.tg.set_outage(False)
        await bot.run_job("dispatch")  # back up, but the row waits out its backoff
        assert _promotions_seen(cat) == 0
        bot.clock.advance(seconds=2)
        await bot.run_job("dispatch")
        await bot.run_job("dispatch")

    assert (first["state"], first["attempts"]) == ("pending", 1)
    assert first["last_error"] == "network: Bad Gateway"
    assert first["due_at"] == start + dtm.timedelta(seconds=1)
    assert (second["state"], second["attempts"]) == ("pending", 2)
    assert second["due_at"] == start + dtm.timedelta(seconds=3)  # the backoff doubled
    await cat.wait_for(PROMOTED)
    assert _promotions_seen(cat) == 1
    assert _sends_to(bot, cat, mark) == [502, 502, 200]
    sent = await _promotion(bot)
    assert (sent["state"], sent["attempts"]) == ("sent", 3)


async def test_a_row_claimed_by_a_crashed_worker_is_sent_once_after_the_lease(
    bot: Harness,
) -> None:
    ana, cat, question = await _ready_to_withdraw(bot)
    mark = len(bot.tg.calls)

    with bot.jobs_paused():
        await _withdraw(ana, question)
        claimed = await delivery.claim_due(bot.uow(), now=bot.clock.now())
        assert [item.kind for item in claimed] == ["promoted"]
        # ...and that worker dies here: it never sends and never records an outcome.
        await bot.run_job("dispatch")
        leased = await _promotion(bot)
        bot.clock.advance(seconds=29)
        await bot.run_job("dispatch")
        assert _sends_to(bot, cat, mark) == []
        bot.clock.advance(seconds=2)  # 31 s after the claim: the 30 s lease has expired
        await bot.run_job("dispatch")
        await bot.run_job("dispatch")

    assert (leased["state"], leased["attempts"]) == ("sending", 1)
    await cat.wait_for(PROMOTED)
    assert _promotions_seen(cat) == 1
    assert _sends_to(bot, cat, mark) == [200]
    sent = await _promotion(bot)
    assert (sent["state"], sent["attempts"]) == ("sent", 2)


async def test_a_row_still_being_sent_is_not_claimed_again_when_the_clock_passes_its_lease(
    bot: Harness,
) -> None:
    """Telegram took the message but its answer is slow; meanwhile the clock jumps (or a flood
    hold outlasts the lease) and another sweep of the same bot runs: no second copy."""
    ana, cat, question = await _ready_to_withdraw(bot)
    mark = len(bot.tg.calls)

    with bot.jobs_paused():
        await _withdraw(ana, question)
        bot.tg.set_delay("sendMessage", 1.5)  # the message arrives at once, the answer late
        first = asyncio.create_task(bot.run_job("dispatch"))
        await cat.wait_for(PROMOTED)
        bot.clock.advance(seconds=90)  # three leases later, by the clock
        await bot.run_job("dispatch")
        await first
        bot.tg.set_delay("sendMessage", 0)
        await bot.run_job("dispatch")

    assert _promotions_seen(cat) == 1
    assert _sends_to(bot, cat, mark) == [200]
    sent = await _promotion(bot)
    assert (sent["state"], sent["attempts"]) == ("sent", 1)


async def test_the_application_handles_as_many_people_at_once_as_its_database_takes(
    bot: Harness,
) -> None:
    url = bot.app.bot_data.deps.settings.database_url
    expected = 4 if url.startswith("sqlite") else 32
    assert bot.app.update_processor.max_concurrent_updates == expected
