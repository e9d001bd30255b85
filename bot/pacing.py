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

Someone who floods the bot must not make it queue their replies behind their own chat's pace:
each waiting reply held a processing slot (bot/updates.py), and forty of them stalled everyone
(issue 11). So a handler's reply that would wait for its chat's pace is dropped
(`ReplyDropped`) when the same person has more updates queued (the reply to the last of them
answers for all), or when it would wait longer than a couple of seconds; and a stranger gets
one answer a minute. Outbox messages (they carry their priority in `rate_limit_args`) and
replies to safety updates are never dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram.error import RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

from bot.updates import Handling, handling_now

log = logging.getLogger(__name__)

ALARM = 0  # rate_limit_args for alarms: released before anything else waiting
SAFETY_REPLY = 1  # a handler's reply to a safety update (check-in, SOS): right after alarms
NORMAL = 5
KNOWN_FOR = 600.0  # seconds a person found on the team is not looked up again


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
    once then one every 3.05 s (20 a minute). A handler's reply waits at most `reply_wait`
    seconds for its chat's pace (else it is dropped; about two private slots), and a stranger
    is answered at most once every `stranger_gap` seconds (0: no limit).
    """

    overall_interval: float = 1 / 29.4
    overall_burst: int = 5
    private_interval: float = 1.02
    private_burst: int = 3
    group_interval: float = 3.05
    group_burst: int = 19
    reply_wait: float = 2.5
    stranger_gap: float = 60.0


# Telegram's overall rate without per-chat spacing: for fakes that do not enforce the
# limits and whose clock jumps (the demo, the end-to-end tests), where a real second per
# chat would only be waited out. Nothing is dropped: no chat ever has to wait.
UNPACED_CHATS = Limits(
    private_interval=0.0, private_burst=1, group_interval=0.0, group_burst=1, stranger_gap=0.0
)

StrangerCheck = Callable[[int], Awaitable[bool]]


class ReplyDropped(TelegramError):
    """A reply to someone flooding the bot, dropped rather than queued behind their chat."""


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

    `rate_limit_args` is the priority (lower goes first; see ALARM and NORMAL).
    A 429 holds every paced request for the time Telegram asked, then is raised to the
    caller (the outbox retries it); nothing is retried here, so nothing is sent twice.
    A handler's reply (no `rate_limit_args`) to an ordinary update is dropped (`ReplyDropped`)
    if it would wait for its chat while its sender has more updates queued, or wait longer
    than `reply_wait`, or if its sender is a stranger answered in the last `stranger_gap`
    seconds. `is_stranger` says who is not on the team.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        is_stranger: StrangerCheck | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.is_stranger = is_stranger
        self._clock = clock
        self._answered: dict[int, float] = {}  # person -> when their last reply was let go
        self._known: dict[int, float] = {}  # person on the team -> until when we trust that
        self.dropped = 0
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
        handling = handling_now() if rate_limit_args is None else None
        if handling is not None:  # a handler's reply, not an outbox message
            if handling.safety:
                priority = SAFETY_REPLY
            else:
                await self._admit_reply(data["chat_id"], handling)
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

    async def _admit_reply(self, chat_id: int | str, handling: Handling) -> None:
        """Let a reply to an ordinary update go, or raise ReplyDropped (see the class)."""
        limits = self.limits
        person = handling.person
        last = self._answered.get(person) if person is not None else None
        if (
            person is not None
            and last is not None
            and self._clock() - last < limits.stranger_gap
            and await self._stranger(person)
        ):
            self.dropped += 1
            raise ReplyDropped("a stranger is answered once a minute")
        # A flooder's chat would otherwise run at exactly Telegram's pace, where a little
        # jitter between our clock and theirs costs a 429 (which holds every message): their
        # replies keep half a slot clear.
        if handling.more_queued and self.chat_wait(chat_id, slack=0.5) > 0:
            self.dropped += 1
            raise ReplyDropped("a later reply to the same person answers for this one")
        if self.chat_wait(chat_id) > limits.reply_wait:
            self.dropped += 1
            raise ReplyDropped("a reply would wait too long for its chat's pace")
        if person is not None:
            self._answered[person] = self._clock()

    def chat_wait(self, chat_id: int | str, *, slack: float = 0.0) -> float:
        """How long one more message to the chat would wait for the chat's own pace, with
        `slack` slots (a fraction of one) to be kept clear after it."""
        key = _chat_key(chat_id)
        schedule = self._chats.get(key) or self._chat_schedule(key)
        now = self._clock()
        ahead = self._chat_users.get(key, 0)  # queued for the chat, slots not yet booked
        virtual = max(schedule.next_slot, now) + (ahead + slack) * schedule.interval
        return max(0.0, virtual - (schedule.burst - 1) * schedule.interval - now)

    async def _stranger(self, person: int) -> bool:
        if self.is_stranger is None:
            return False
        if self._known.get(person, 0.0) > self._clock():
            return False
        try:
            stranger = await self.is_stranger(person)
        except Exception:  # a failed look-up must not cost anyone their answer
            log.warning("could not tell whether %s is on the team", person, exc_info=True)
            return False
        if not stranger:
            self._known[person] = self._clock() + KNOWN_FOR
        return stranger

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
        now = self._clock()
        cutoff = now - older_than
        for key in [k for k, s in self._chats.items() if s.next_slot < cutoff]:
            if key not in self._chat_locks:
                del self._chats[key]
        gap = self.limits.stranger_gap
        self._answered = {p: t for p, t in self._answered.items() if now - t < gap}
        self._known = {p: t for p, t in self._known.items() if t > now}


def _chat_key(chat_id: int | str) -> int | str:
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        return str(chat_id)
