"""Typed dependencies for handlers and jobs, reachable as `context.deps`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from telegram.ext import CallbackContext, ExtBot

from bot.config import Settings
from rota.clock import Clock
from rota.config import RotaConfig
from rota.ports import UnitOfWorkFactory


@dataclass(slots=True)
class BotDeps:
    """What every handler and job needs: the clock, storage and configuration."""

    clock: Clock
    uow: UnitOfWorkFactory
    settings: Settings
    config: RotaConfig
    bot_username: str = ""
    ring: Callable[[], None] = field(default=lambda: None)

    def outbox_changed(self) -> None:
        """Wake the dispatcher now: a handler just recorded messages to deliver."""
        self.ring()


class BotData:
    """PTB's bot_data, typed; build_application fills in `deps`."""

    deps: BotDeps


class RotaContext(CallbackContext[ExtBot[None], dict, dict, BotData]):  # type: ignore[type-arg]
    """CallbackContext with a typed `deps` shortcut."""

    @property
    def deps(self) -> BotDeps:
        return self.bot_data.deps
