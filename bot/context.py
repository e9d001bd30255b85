"""Typed dependencies for handlers and jobs, reachable as `context.deps`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import CallbackContext, ExtBot

from bot.config import Settings
from rota.kernel.clock import Clock
from rota.kernel.config import RotaConfig
from rota.kernel.uow import UnitOfWorkFactory

# The task handling an update (each update has its own). A task, not a flag: the scheduler's
# callbacks armed during an update copy its context, and a job run from them is no update.
HANDLING_UPDATE: ContextVar[asyncio.Task[Any] | None] = ContextVar("handling_update", default=None)


@dataclass(slots=True)
class BotDeps:
    """What every handler and job needs: the clock, storage and configuration."""

    clock: Clock
    uow: UnitOfWorkFactory
    settings: Settings
    config: RotaConfig
    bot_username: str = ""
    ring: Callable[[], None] = field(default=lambda: None)
    # Outbox rows this process has claimed and not yet recorded: never claimed again by it.
    held: set[int] = field(default_factory=set)
    # Groups told "I only work in the team's group" by this process: a flood gets one reply.
    told_groups: set[int] = field(default_factory=set)
    _idle: asyncio.Event = field(default_factory=asyncio.Event)
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    def outbox_committed(self) -> None:
        """A commit recorded outbox rows: while handling an update, deliver them at once.

        Wired to the unit of work's post-commit hook, so no handler has to remember it. A
        job's rows go as they always did: the job dispatches them itself, or the sweep does.
        """
        task = HANDLING_UPDATE.get()
        if task is not None and task is asyncio.current_task():
            self.ring()

    def hold(self, outbox_ids: Iterable[int]) -> None:
        """The dispatcher claimed these rows; they are this process's until `release`."""
        self.held.update(outbox_ids)
        if self.held:
            self._idle.clear()

    def release(self, outbox_ids: Iterable[int]) -> None:
        """Their outcomes are recorded: wake whoever waits for one of them."""
        self.held.difference_update(outbox_ids)
        if not self.held:
            self._idle.set()
        released, self._released = self._released, asyncio.Event()
        released.set()

    async def released(self, outbox_id: int, *, within: float) -> bool:
        """Wait (real time, at most `within` seconds) until this process no longer holds
        the row; False if it still does."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while outbox_id in self.held:
            left = deadline - loop.time()
            if left <= 0:
                return False
            try:
                await asyncio.wait_for(self._released.wait(), left)
            except TimeoutError:
                return False
        return True

    async def dispatcher_idle(self) -> None:
        """Return once the dispatcher holds no rows (at once if it holds none now)."""
        if self.held:
            await self._idle.wait()


class BotData:
    """PTB's bot_data, typed; build_application fills in `deps`."""

    deps: BotDeps


class RotaContext(CallbackContext[ExtBot[None], dict, dict, BotData]):  # type: ignore[type-arg]
    """CallbackContext with a typed `deps` shortcut."""

    @classmethod
    def from_update(cls, update: object, application: Any) -> RotaContext:
        """The context of one update; marks this update's task as handling an update."""
        HANDLING_UPDATE.set(asyncio.current_task())
        context: RotaContext = super().from_update(update, application)
        return context

    @property
    def deps(self) -> BotDeps:
        return self.bot_data.deps
