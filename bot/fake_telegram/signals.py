"""A wake-everyone signal: how long polls and test waits learn that something changed.

Tests wait on the chat (``wait_for``) and the bot long-polls for updates; both sleep here
instead of polling in a loop, so a fast bot is seen at once and a slow one times out cleanly.
"""

# The waits take ``timeout`` on purpose: tests read better as wait_for(..., timeout=2).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Signal:
    """Wakes every waiter at once.

    Works like ``asyncio.Condition.notify_all`` but ``fire`` is synchronous, so plain methods
    such as ``tg.block(user)`` can wake a long poll without awaiting a lock.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake everyone waiting now; later waiters wait for the next fire."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Return at the next ``fire`` or after ``timeout`` seconds, whichever is first."""
        if timeout <= 0:
            return
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return

    async def wait_until(self, predicate: Callable[[], T], timeout: float) -> T:
        """Re-check ``predicate`` at every fire until it is truthy or the time is up."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            remaining = deadline - loop.time()
            if result or remaining <= 0:
                return result
            await self.wait(remaining)
