"""The pacer: per-chat spacing, the overall rate, alarms first, and a 429 holds everyone.

Intervals are shrunk to tens of milliseconds so the tests measure the schedule, not wait it.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.pacing import (
    ALARM,
    NORMAL,
    UNPACED_CHATS,
    Limits,
    Pacer,
    ReplyDropped,
    Schedule,
    is_paced,
)
from bot.updates import HANDLING, Handling, _Queue

FAST = Limits(
    overall_interval=0.01,
    overall_burst=1,
    private_interval=0.05,
    private_burst=3,
    group_interval=0.1,
    group_burst=2,
)


class Recorder:
    """A stand-in for PTB's request: records when (and in which order) each call went out."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, str]] = []

    def call(self, label: str) -> Any:
        async def send() -> bool:
            self.calls.append((time.monotonic(), label))
            return True

        return send


async def _send(
    pacer: Pacer, rec: Recorder, label: str, chat: int, priority: int | None = None
) -> None:
    await pacer.process_request(
        rec.call(label), (), {}, "sendMessage", {"chat_id": chat, "text": label}, priority
    )


def _within_bucket(times: list[float], *, interval: float, burst: int) -> None:
    """What Telegram's token bucket allows: in any stretch, at most burst + length/interval."""
    slack = 0.005  # timer jitter
    for i, first in enumerate(times):
        for j in range(i, len(times)):
            allowed = burst + (times[j] - first + slack) / interval
            assert j - i + 1 <= allowed, (i, j, times)


def test_a_schedule_lets_a_burst_through_then_spaces_the_rest() -> None:
    schedule = Schedule(interval=1.0, burst=3)
    times = []
    now = 10.0
    for _ in range(5):
        at = schedule.ready_at(now)
        schedule.book(at)
        times.append(at)
    assert times == [10.0, 10.0, 10.0, 11.0, 12.0]


async def test_messages_to_one_private_chat_go_a_burst_then_one_interval_apart() -> None:
    pacer, rec = Pacer(FAST), Recorder()
    await asyncio.gather(*(_send(pacer, rec, f"m{i}", 42) for i in range(6)))
    assert [label for _, label in rec.calls] == [f"m{i}" for i in range(6)]  # chat order kept
    _within_bucket([t for t, _ in rec.calls], interval=0.05, burst=3)
    assert rec.calls[-1][0] - rec.calls[0][0] >= 3 * 0.05 * 0.9


async def test_groups_are_spaced_by_their_own_slower_interval() -> None:
    pacer, rec = Pacer(FAST), Recorder()
    await asyncio.gather(*(_send(pacer, rec, f"g{i}", -100) for i in range(4)))
    _within_bucket([t for t, _ in rec.calls], interval=0.1, burst=2)
    assert rec.calls[-1][0] - rec.calls[0][0] >= 2 * 0.1 * 0.9


async def test_different_chats_are_not_held_behind_one_busy_chat() -> None:
    pacer, rec = Pacer(FAST), Recorder()
    busy = [_send(pacer, rec, f"busy{i}", 1) for i in range(8)]
    others = [_send(pacer, rec, f"other{i}", 100 + i) for i in range(5)]
    await asyncio.gather(*busy, *others)
    order = [label for _, label in rec.calls]
    # The busy chat's tail (spaced 50 ms apart) comes after every other chat's only message.
    assert max(order.index(f"other{i}") for i in range(5)) < order.index("busy7")


async def test_an_alarm_overtakes_everything_waiting_for_the_overall_rate() -> None:
    slow = Limits(overall_interval=0.02, overall_burst=1, private_interval=0.0, private_burst=1)
    pacer, rec = Pacer(slow), Recorder()
    crowd = [
        asyncio.create_task(_send(pacer, rec, f"brief{i}", 1000 + i, NORMAL)) for i in range(20)
    ]
    await asyncio.sleep(0.05)  # the crowd is queued
    await _send(pacer, rec, "SOS", 7, ALARM)
    await asyncio.gather(*crowd)
    order = [label for _, label in rec.calls]
    assert order.index("SOS") <= 5, order  # at most the few already released went first
    # The overall rate held throughout.
    times = [t for t, _ in rec.calls]
    assert times[-1] - times[0] >= (len(times) - 1) * 0.02 * 0.9


async def test_answers_and_typing_are_not_paced() -> None:
    assert not is_paced("answerCallbackQuery", {"callback_query_id": "1"})
    assert not is_paced("sendChatAction", {"chat_id": 5, "action": "typing"})
    assert not is_paced("getUpdates", {})
    assert is_paced("sendMessage", {"chat_id": 5})
    assert is_paced("editMessageText", {"chat_id": 5})
    pacer, rec = Pacer(Limits(private_interval=10.0, private_burst=1)), Recorder()
    await _send(pacer, rec, "first", 5)
    started = time.monotonic()
    await pacer.process_request(
        rec.call("typing"), (), {}, "sendChatAction", {"chat_id": 5, "action": "typing"}, None
    )
    assert time.monotonic() - started < 0.5


async def test_a_429_holds_every_later_message_for_the_time_telegram_asked() -> None:
    pacer, rec = Pacer(FAST), Recorder()

    async def refused() -> bool:
        raise RetryAfter(dtm.timedelta(seconds=0.3))  # type: ignore[arg-type]

    with pytest.raises(RetryAfter):
        await pacer.process_request(refused, (), {}, "sendMessage", {"chat_id": 1}, None)
    started = time.monotonic()
    await _send(pacer, rec, "next", 2)
    assert time.monotonic() - started >= 0.25


# ------------------------------------------------------------------ replies to a flood


class Person:
    """A person's queue in the update processor, as the pacer sees it while handling."""

    def __init__(self, person: int, *, safety: bool = False) -> None:
        self.queue = _Queue()
        self.queue.waiting = 1
        self.person = person
        self.safety = safety

    def more(self, n: int) -> Person:
        """`n` more of their updates are queued behind the one being handled."""
        self.queue.waiting = 1 + n
        return self

    def handling(self) -> Handling:
        return Handling(self.person, self.safety, asyncio.current_task(), self.queue)


async def _reply(pacer: Pacer, rec: Recorder, label: str, chat: int, who: Person | None) -> str:
    """Send a handler's reply as `who`'s update would (None: outside any handler)."""
    token = HANDLING.set(who.handling() if who is not None else None)
    try:
        await _send(pacer, rec, label, chat)
    except ReplyDropped:
        return "dropped"
    finally:
        HANDLING.reset(token)
    return "sent"


UNPACED = Limits(overall_interval=0.0001, private_interval=0.0, private_burst=1)
SLOW = Limits(overall_interval=0.001, overall_burst=5, private_interval=0.3, private_burst=3)


async def test_a_reply_to_someone_with_more_queued_is_dropped_rather_than_waited_for() -> None:
    pacer, rec = Pacer(SLOW), Recorder()
    flooder = Person(7).more(10)
    outcomes = [await _reply(pacer, rec, f"r{i}", 7, flooder) for i in range(6)]
    # The chat's burst less half a slot (kept clear against clock jitter), then nothing waits.
    assert outcomes == ["sent"] * 2 + ["dropped"] * 4
    assert pacer.dropped == 4
    await asyncio.sleep(0.3 * 1.6)  # the chat's bucket refills by more than one and a half
    assert await _reply(pacer, rec, "r6", 7, flooder) == "sent"

    await asyncio.gather(*(_send(pacer, rec, f"out{i}", 7, NORMAL) for i in range(3)))
    flooder.more(0)  # the last of their updates: its reply waits its turn and answers for all
    started = time.monotonic()
    assert await _reply(pacer, rec, "last", 7, flooder) == "sent"
    assert time.monotonic() - started >= 0.2


async def test_a_reply_that_would_wait_too_long_is_dropped_even_with_nothing_queued() -> None:
    limits = Limits(overall_interval=0.001, private_interval=0.3, private_burst=1, reply_wait=0.5)
    pacer, rec = Pacer(limits), Recorder()
    who = Person(7)
    # Two outbox messages ahead of the reply take the chat's next 0.6 s.
    await asyncio.gather(*(_send(pacer, rec, f"out{i}", 7, NORMAL) for i in range(2)))
    assert await _reply(pacer, rec, "reply", 7, who) == "sent"  # 0.3 s: within reply_wait
    backlog = [asyncio.create_task(_send(pacer, rec, f"more{i}", 7, NORMAL)) for i in range(3)]
    await asyncio.sleep(0)
    assert await _reply(pacer, rec, "reply2", 7, who) == "dropped"  # > 0.5 s behind them
    await asyncio.gather(*backlog)


async def test_outbox_messages_safety_replies_and_jobs_are_never_dropped() -> None:
    pacer, rec = Pacer(SLOW), Recorder()
    flooder = Person(7).more(10)
    for i in range(3):
        await _reply(pacer, rec, f"r{i}", 7, flooder)  # the chat's burst is used up
    walker = Person(7, safety=True).more(10)
    results = await asyncio.gather(
        _send(pacer, rec, "prompt", 7, 1),  # an outbox row carries its priority
        _reply(pacer, rec, "checked in", 7, walker),
        _reply(pacer, rec, "rota post refresh", 7, None),  # a job: no update being handled
    )
    assert results[1:] == ["sent", "sent"]
    assert {label for _, label in rec.calls} >= {"prompt", "checked in", "rota post refresh"}


async def test_a_safety_reply_goes_before_ordinary_messages_waiting_for_the_overall_rate() -> None:
    slow = Limits(overall_interval=0.02, overall_burst=1, private_interval=0.0, private_burst=1)
    pacer, rec = Pacer(slow), Recorder()
    crowd = [asyncio.create_task(_send(pacer, rec, f"n{i}", 1000 + i)) for i in range(15)]
    await asyncio.sleep(0.05)
    assert await _reply(pacer, rec, "SOS reply", 7, Person(7, safety=True)) == "sent"
    await asyncio.gather(*crowd)
    order = [label for _, label in rec.calls]
    assert order.index("SOS reply") <= 5, order


async def test_a_stranger_is_answered_once_a_minute_and_a_volunteer_every_time() -> None:
    now = [100.0]
    looked_up: list[int] = []

    async def is_stranger(person: int) -> bool:
        looked_up.append(person)
        return person == 666

    pacer = Pacer(UNPACED, clock=lambda: now[0], is_stranger=is_stranger)
    rec = Recorder()
    stranger, volunteer = Person(666), Person(8)
    assert [await _reply(pacer, rec, "s", 666, stranger) for _ in range(3)] == [
        "sent",
        "dropped",
        "dropped",
    ]
    assert [await _reply(pacer, rec, "v", 8, volunteer) for _ in range(3)] == ["sent"] * 3
    assert looked_up.count(8) == 1  # found on the team once, then trusted for a while
    now[0] += 61
    assert await _reply(pacer, rec, "s", 666, stranger) == "sent"


async def test_without_a_stranger_check_or_a_gap_nobody_is_limited() -> None:
    pacer, rec = Pacer(UNPACED_CHATS), Recorder()

    async def always(_person: int) -> bool:
        return True

    pacer.is_stranger = always
    who = Person(666).more(5)
    assert [await _reply(pacer, rec, "x", 666, who) for _ in range(5)] == ["sent"] * 5
