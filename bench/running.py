"""Start the real Application against a strict fake Telegram, the way `rotabot run` would."""

from __future__ import annotations

import contextlib
import datetime as dtm
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.dbs import BenchDb
from bot.app import start_app
from bot.config import Settings
from bot.fake_telegram import BotMessage, FakeTelegram
from rota.kernel.clock import Clock
from rota.kernel.config import RotaConfig
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory

ZONE = "Europe/London"
ADMIN_ID = 999_001


@dataclass
class Arrivals:
    """When (time.monotonic) each bot message reached the fake server, by chat."""

    sent: list[tuple[float, BotMessage]] = field(default_factory=list)

    def observe(self, message: BotMessage, change: str) -> None:
        if change == "sent":
            self.sent.append((time.monotonic(), message))

    def to_chat(self, chat_id: int) -> list[tuple[float, BotMessage]]:
        return [(t, m) for t, m in self.sent if m.chat_id == chat_id]


def settings_for(tg: FakeTelegram, db: BenchDb, config: RotaConfig, **over: Any) -> Settings:
    """Settings as if read from the environment, pointing at the fake Telegram."""
    values: dict[str, Any] = dict(
        token=tg.token,
        api_base_url=tg.base_url,
        database_url=db.url,
        template_path=Path("bench.toml"),
        template=config.template,
        timezone=ZONE,
        admin_ids=frozenset({ADMIN_ID}),
        team_chat_id=None,
    )
    values.update(over)
    return Settings(**values)


@contextlib.asynccontextmanager
async def strict_fake(clock: Clock) -> AsyncIterator[FakeTelegram]:
    """The fake Bot API with Telegram's flood limits enforced (429s are counted)."""
    tg = FakeTelegram(strict=True, clock=lambda: clock.now().timestamp())
    await tg.start()
    try:
        yield tg
    finally:
        await tg.stop()


@dataclass
class RunningBot:
    """The started Application, the fake it polls, and its database access."""

    app: Any
    tg: FakeTelegram
    uow: SqlAlchemyUnitOfWorkFactory


@contextlib.asynccontextmanager
async def running_bot(
    tg: FakeTelegram,
    db: BenchDb,
    config: RotaConfig,
    clock: Clock,
    *,
    run_jobs: bool = True,
    **settings: Any,
) -> AsyncIterator[RunningBot]:
    """The Application polling `tg` with its jobs running; stopped and disposed afterwards.

    Started by bot.app.start_app, exactly as `rotabot run` starts it (a shorter long-poll, so
    stopping does not wait for one to time out).
    """
    engine = db.engine()
    uow = SqlAlchemyUnitOfWorkFactory(engine)
    try:
        async with start_app(
            settings_for(tg, db, config, **settings),
            clock=clock,
            uow=uow,
            run_jobs=run_jobs,
            poll_timeout=dtm.timedelta(seconds=1),
        ) as app:
            yield RunningBot(app=app, tg=tg, uow=uow)
    finally:
        await engine.dispose()


def wednesday_after(day: dtm.date) -> dtm.date:
    """The first Wednesday on or after `day` (the benchmarks' night)."""
    return day + dtm.timedelta(days=(2 - day.weekday()) % 7)
