"""Keep every message under Telegram's flood limits, alarms first.

PTB's AIORateLimiter spaces requests overall and per group, but not per private chat, and
serves them first come, first served. Telegram allows about 30 messages a second overall,
one a second to a private chat (short bursts tolerated) and 20 a minute to a group; a 429
costs seconds for everything. This limiter books each message a slot on its chat's schedule
and on the overall schedule, and hands out overall slots by priority, so an SOS queued behind
a broadcast of briefings goes next. Schedules are GCRA ("virtual scheduling"): each keeps the
theoretical time of the next slot and lets `burst` slots be taken early.

Slots are booked at the moment a request is released, never ahead, so a message that waited
for the overall schedule cannot end up closer than a second to its chat's previous one.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

ALARM = 0  # rate_limit_args for alarms: released before anything else waiting
NORMAL = 5
BACKGROUND = 9  # broadcasts that can wait behind replies to people


@dataclass(slots=True)
class Schedule:
    """One GCRA schedule: `interval` seconds a slot, up to `burst` slots taken at once."""

    interval: float
    burst: int
    next_slot: float = 0.0  # the theoretical time of the next slot

    def ready_at(self, now: float) -> float:
        """The earliest moment a message may go."""
        return max(now, self.next_slot - (self.burst - 1) * self.interval)

    def book(self, now: float) -> None:
        """Take the slot at `now` (call only when ready_at(now) <= now)."""
        self.next_slot = max(self.next_slot, now) + self.interval


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's limits with a margin: jitter between our clock and theirs must not cost a 429.

    Overall 29.4/s (30 less 2 %); private chats 3 at once then one every 1.02 s; groups 19 at
    once then one every 3.05 s (20 a minute).
    """

    overall_interval: float = 1 / 29.4
    overall_burst: int = 5
    private_interval: float = 1.02
    private_burst: int = 3
    group_interval: float = 3.05
    group_burst: int = 19


# Telegram's overall rate without per-chat spacing: for fakes that do not enforce the
# limits and whose clock jumps (the demo, the end-to-end tests), where a real second per
# chat would only be waited out.
UNPACED_CHATS = Limits(private_interval=0.0, private_burst=1, group_interval=0.0, group_burst=1)


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    ready: asyncio.Future[None] = field(compare=False)


def is_paced(endpoint: str, data: dict[str, Any]) -> bool:
    """Messages and edits count against the limits; answers, deletes and typing do not."""
    if data.get("chat_id") in (None, ""):
        return False
    if endpoint in ("sendChatAction", "sendchataction"):
        return False
    return endpoint.lower().startswith(("send", "edit", "copy", "forward"))


class Pacer(BaseRateLimiter[int]):
    """A rate limiter for PTB: per-chat spacing, an overall rate, and alarms first.

    `rate_limit_args` is the priority (lower goes first; see ALARM, NORMAL, BACKGROUND).
    A 429 holds every paced request for the time Telegram asked, then is raised to the
    caller (the outbox retries it); nothing is retried here, so nothing is sent twice.
    """

    def __init__(
        self, limits: Limits | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or Limits()
        self._clock = clock
        self._overall = Schedule(self.limits.overall_interval, self.limits.overall_burst)
        self._chats: dict[int | str, Schedule] = {}
        self._chat_locks: dict[int | str, asyncio.Lock] = {}
        self._chat_users: dict[int | str, int] = {}
        self._waiting: list[_Waiter] = []
        self._seq = itertools.count()
        self._pump: asyncio.Task[None] | None = None
        self._hold_until = 0.0
        self.released = 0

    async def initialize(self) -> None:
        """Nothing to open: schedules start empty."""

    async def shutdown(self) -> None:
        """Stop handing out slots; whoever still waits is cancelled with the application."""
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if not is_paced(endpoint, data):
            return await callback(*args, **kwargs)
        priority = NORMAL if rate_limit_args is None else rate_limit_args
        await self.wait_turn(data["chat_id"], priority)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as err:
            wait = err.retry_after
            seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
            self._hold_until = max(self._hold_until, self._clock() + seconds)
            log.warning("Telegram asked to slow down: holding messages for %s s", seconds)
            raise

    async def wait_turn(self, chat_id: int | str, priority: int = NORMAL) -> None:
        """Return when a message to `chat_id` may go; its slots are then booked."""
        key = _chat_key(chat_id)
        lock = self._chat_locks.setdefault(key, asyncio.Lock())
        schedule = self._chats.get(key)
        if schedule is None:
            schedule = self._chats[key] = self._chat_schedule(key)
        self._chat_users[key] = self._chat_users.get(key, 0) + 1
        try:
            async with lock:  # one message per chat in the pipeline keeps the chat's order
                # Only time frees the chat's next slot (the lock already orders its senders).
                delay = schedule.ready_at(self._clock()) - self._clock()
                if delay > 0:
                    await asyncio.sleep(delay)
                await self._overall_turn(priority)
                schedule.book(self._clock())
        finally:
            self._chat_users[key] -= 1
            if not self._chat_users[key]:  # idle chats keep no lock
                del self._chat_users[key], self._chat_locks[key]
        if self.released % 1000 == 0:
            self.forget_idle_chats()

    def _chat_schedule(self, key: int | str) -> Schedule:
        limits = self.limits
        if isinstance(key, int) and key > 0:
            return Schedule(limits.private_interval, limits.private_burst)
        return Schedule(limits.group_interval, limits.group_burst)

    async def _overall_turn(self, priority: int) -> None:
        now = self._clock()
        if not self._waiting and now >= self._hold_until and self._overall.ready_at(now) <= now:
            self._overall.book(now)
            self.released += 1
            return
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, _Waiter(priority, next(self._seq), ready))
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._release_in_order(), name="pacer")
        await ready

    async def _release_in_order(self) -> None:
        """Hand out overall slots to the waiters, lowest priority number first."""
        while self._waiting:
            now = self._clock()
            start = max(self._overall.ready_at(now), self._hold_until)
            if start > now:
                await asyncio.sleep(start - now)
                continue
            waiter = heapq.heappop(self._waiting)
            if waiter.ready.done():  # its sender was cancelled
                continue
            self._overall.book(now)
            self.released += 1
            waiter.ready.set_result(None)

    def forget_idle_chats(self, older_than: float = 60.0) -> None:
        """Drop schedules of chats quiet for a while (their next slot is long past)."""
        cutoff = self._clock() - older_than
        for key in [k for k, s in self._chats.items() if s.next_slot < cutoff]:
            if key not in self._chat_locks:
                del self._chats[key]


def _chat_key(chat_id: int | str) -> int | str:
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        return str(chat_id)
