"""Handle updates from different people at once, and each person's in the order they sent them.

PTB handles one update at a time by default: while one handler waits on the database, every
other volunteer waits too (measured: 15 presses a second against 25 for a bare echo bot).
Handling everything concurrently could answer one person's two quick presses out of order.
So: concurrent across people, in order per person. The rules themselves never relied on
order: every change is a guarded update in the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT = 32
# SQLite takes one writer at a time and lets the others poll for the lock, unfairly: with 50
# volunteers pressing at once, a sweep waited past the 10 s busy timeout and failed
# (measured). A few handlers at a time keep its queue short; PostgreSQL takes them all.
SQLITE_CONCURRENT = 4


def updates_at_once(database_url: str) -> int:
    """How many people's updates are handled at once on this database."""
    return SQLITE_CONCURRENT if database_url.strip().startswith("sqlite") else MAX_CONCURRENT


def _person(update: object) -> int | None:
    """Whose update this is: the user, else the chat (a channel post), else nobody."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class InOrderPerPerson(BaseUpdateProcessor):
    """A PTB update processor: one lock per person, held while their update is handled."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        person = _person(update)
        if person is None:
            await coroutine
            return
        lock = self._locks.setdefault(person, asyncio.Lock())
        self._waiting[person] = self._waiting.get(person, 0) + 1
        try:
            async with lock:  # asyncio.Lock wakes its waiters first come, first served
                await coroutine
        finally:
            self._waiting[person] -= 1
            if not self._waiting[person]:  # nobody else queued: forget the person
                del self._waiting[person], self._locks[person]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: pending updates are PTB's to drop."""
