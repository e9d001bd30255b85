"""Handle updates from different people at once, each person's in order, safety presses first.

PTB handles one update at a time by default: while one handler waits on the database, every
other volunteer waits too (measured: 15 presses a second against 25 for a bare echo bot).
Handling everything concurrently could answer one person's two quick presses out of order.
So: concurrent across people, in order per person. The rules themselves never relied on
order: every change is a guarded update in the database.

A flood must not stall anyone else (issue 11: a stranger and a volunteer sending 40 messages
each held another volunteer's /me for 37 s, and a We're OK press for longer). PTB's processor
takes its slot *before* the update waits for its sender's earlier ones, so a flooder's queue
held every slot. Here an update first waits in its sender's queue, holding nothing, and only
then takes one of the few slots: a person's queue holds at most one slot. Safety updates
(check-in, Need help, /ok, /sos, alarm buttons, the duress word, locations) have a queue of
their own per person, are handed a free slot before anything else waiting, and may use a few
slots ordinary updates cannot take, so one arrives even while every slot is busy. They are
recognised from the update alone (no database), so recognising them costs nothing. And the
ordinary updates of everyone flooding (a long queue) go through one shared lane, one at a
time, in the bot's idle moments: a flood is worked off with what time the others leave (on
SQLite, whose single writer lock every handler takes, a flood handled at full speed pushed
others' answers past 3 s).
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import BaseUpdateProcessor

from bot.safety import keyboards as safety_keyboards

MAX_CONCURRENT = 32
# SQLite takes one writer at a time and lets the others poll for the lock, unfairly: with 50
# volunteers pressing at once, a sweep waited past the 10 s busy timeout and failed
# (measured). A few handlers at a time keep its queue short; PostgreSQL takes them all.
SQLITE_CONCURRENT = 4
# Slots only safety updates may take, beyond the shared ones: a safety press never waits for
# an ordinary handler to finish.
SAFETY_RESERVE = 2
# Someone with more than this many ordinary updates queued is flooding. Everyone flooding
# shares one lane: one update at a time, at most FLOOD_RATE a second in all, and only when no
# other update is being handled, or after FLOOD_PATIENCE seconds of waiting for such a moment
# (so a flood on a busy bot still moves). Their replies are mostly dropped (bot/pacing.py).
FLOOD_BACKLOG = 3
FLOOD_RATE = 10.0
FLOOD_PATIENCE = 1.0
SAFETY, ORDINARY, FLOOD = 0, 1, 2  # who is served first when a slot frees

# Callback prefixes of the walk's safety buttons: check-in (We're OK / Need help), the alarm
# buttons (acknowledge, resolve, digests), home safe, and ending the walk.
SAFETY_BUTTONS = tuple(
    f"{spec.prefix}:"
    for spec in (
        safety_keyboards.CHECKIN,
        safety_keyboards.ALARM,
        safety_keyboards.HOME_SAFE,
        safety_keyboards.END_WALK,
    )
)
SAFETY_COMMANDS = frozenset({"ok", "sos", "endwalk"})


def updates_at_once(database_url: str) -> int:
    """How many people's updates are handled at once on this database."""
    return SQLITE_CONCURRENT if database_url.strip().startswith("sqlite") else MAX_CONCURRENT


@dataclass(slots=True)
class _Queue:
    """One person's updates of one lane: handled one at a time, in the order they came."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0  # updates in it, the one being handled included


@dataclass(frozen=True, slots=True)
class Handling:
    """The update a task is handling: whose, and whether it is a safety update.

    The pacer (bot/pacing.py) reads it to tell a handler's reply to a flooder, which may be
    dropped, from a safety reply or an outbox message, which never are. `task` is the task
    handling the update: a job started from inside a handler inherits the context variable,
    but runs in a task of its own, so its messages are not taken for the handler's.
    """

    person: int | None
    safety: bool
    task: asyncio.Task[Any] | None
    queue: _Queue | None = None

    @property
    def more_queued(self) -> bool:
        """Whether the same person has more updates waiting behind this one."""
        return self.queue is not None and self.queue.waiting > 1


HANDLING: contextvars.ContextVar[Handling | None] = contextvars.ContextVar(
    "rotabot_handling", default=None
)


def handling_now() -> Handling | None:
    """The update this very task is handling, if it is handling one."""
    current = HANDLING.get()
    if current is None or current.task is not asyncio.current_task():
        return None
    return current


def _person(update: object) -> int | None:
    """Whose update this is: the user, else the chat (a channel post), else nobody."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


def _normal(text: str) -> str:
    """Text as the duress word is compared (rota.safety.checkins.duress)."""
    return " ".join(text.lower().split())


def is_safety(update: object, duress_words: frozenset[str] = frozenset()) -> bool:
    """Whether the update may be part of keeping someone safe; cheap, from the update alone."""
    if not isinstance(update, Update):
        return False
    query = update.callback_query
    if query is not None:
        return (query.data or "").startswith(SAFETY_BUTTONS)
    message = update.effective_message
    if message is None:
        return False
    if message.location is not None or message.venue is not None:
        return message.chat.type == ChatType.PRIVATE  # where a walker shares a location
    text = message.text
    if not text:
        return False
    if text.startswith("/"):
        command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        return command in SAFETY_COMMANDS
    return (
        bool(duress_words)
        and message.chat.type == ChatType.PRIVATE
        and (_normal(text) in duress_words)
    )


@dataclass(order=True)
class _Waiter:
    rank: int  # SAFETY, ORDINARY or FLOOD
    seq: int
    ready: asyncio.Future[None] = field(compare=False)


class Slots:
    """`shared` slots for any update plus `reserve` that only safety updates may take; a
    flood update takes one only when none is in use.

    Waiters are served by rank (SAFETY, ORDINARY, FLOOD), then first come, first served.
    """

    def __init__(self, shared: int, reserve: int) -> None:
        self.shared = shared
        self.reserve = reserve
        self.in_use = 0
        self._waiting: list[_Waiter] = []
        self._seq = itertools.count()

    def _room(self, rank: int) -> bool:
        if rank == FLOOD:
            return self.in_use == 0
        return self.in_use < self.shared + (self.reserve if rank == SAFETY else 0)

    async def acquire(self, rank: int) -> None:
        """Wait for a slot: at once if one is free and nobody ahead of us waits for one."""
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, _Waiter(rank, next(self._seq), ready))
        self._hand_out()
        try:
            await ready
        except asyncio.CancelledError:
            if ready.done() and not ready.cancelled():  # handed a slot as it was cancelled
                self.release()
            raise

    def release(self) -> None:
        """Give the slot back, to the first waiter it suits."""
        self.in_use -= 1
        self._hand_out()

    def _hand_out(self) -> None:
        while self._waiting:
            first = self._waiting[0]
            if first.ready.done():  # its update was cancelled while waiting
                heapq.heappop(self._waiting)
                continue
            if not self._room(first.rank):
                return
            heapq.heappop(self._waiting)
            self.in_use += 1
            first.ready.set_result(None)


class InOrderPerPerson(BaseUpdateProcessor):
    """A PTB update processor: a queue per person, at most one slot per queue, safety first."""

    def __init__(
        self,
        max_concurrent_updates: int = MAX_CONCURRENT,
        *,
        duress_words: Iterable[str | None] = (),
        safety_reserve: int = SAFETY_RESERVE,
        flood_rate: float = FLOOD_RATE,
        flood_patience: float = FLOOD_PATIENCE,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.duress_words = frozenset(_normal(w) for w in duress_words if w)
        self.slots = Slots(max_concurrent_updates, safety_reserve)
        self.flood_rate = flood_rate
        self.flood_patience = flood_patience
        self._queues: dict[tuple[int, bool], _Queue] = {}
        self._flood_lane = asyncio.Lock()
        self._flood_next = 0.0  # loop time the flood lane's next update may start

    def is_safety(self, update: object) -> bool:
        """Whether this update goes in the safety lane."""
        return is_safety(update, self.duress_words)

    @property
    def current_concurrent_updates(self) -> int:
        """Updates holding a slot now."""
        return self.slots.in_use

    async def process_update(  # type: ignore[misc]  # PTB marks it final; see the docstring
        self, update: object, coroutine: Awaitable[Any]
    ) -> None:
        """Wait in the sender's queue holding nothing, then take a slot (safety first).

        PTB's own version takes the slot first, which is what let one person's queue fill
        every slot. The slot count is still `max_concurrent_updates`.
        """
        safety = self.is_safety(update)
        person = _person(update)
        started = False
        try:
            if person is None:
                await self.slots.acquire(SAFETY if safety else ORDINARY)
                started = True
                await self._run(update, coroutine, Handling(None, safety, asyncio.current_task()))
                return
            key = (person, safety)
            queue = self._queues.setdefault(key, _Queue())
            queue.waiting += 1
            try:
                async with queue.lock:  # asyncio.Lock wakes its waiters first come, first served
                    if safety:
                        await self.slots.acquire(SAFETY)
                    elif queue.waiting > FLOOD_BACKLOG:
                        await self._flood_turn()
                    else:
                        await self.slots.acquire(ORDINARY)
                    started = True
                    handling = Handling(person, safety, asyncio.current_task(), queue)
                    await self._run(update, coroutine, handling)
            finally:
                queue.waiting -= 1
                if not queue.waiting:  # nobody else queued: forget the person
                    del self._queues[key]
        finally:
            if not started and asyncio.iscoroutine(coroutine):
                coroutine.close()  # cancelled while queued: never awaited, say nothing

    async def _flood_turn(self) -> None:
        """Take a slot through the flood lane (see FLOOD_BACKLOG)."""
        async with self._flood_lane:
            loop = asyncio.get_running_loop()
            delay = self._flood_next - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await asyncio.wait_for(self.slots.acquire(FLOOD), self.flood_patience)
            except TimeoutError:  # never idle: take an ordinary turn
                await self.slots.acquire(ORDINARY)
            self._flood_next = loop.time() + 1 / self.flood_rate

    async def _run(self, update: object, coroutine: Awaitable[Any], handling: Handling) -> None:
        token = HANDLING.set(handling)
        try:
            await self.do_process_update(update, coroutine)
        finally:
            HANDLING.reset(token)
            self.slots.release()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handle it: the queue and the slot are already held."""
        await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: pending updates are PTB's to drop."""
