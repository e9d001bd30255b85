"""The real rotabot Application against the fake Telegram, with simulated people."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from bot.config import Settings
from rota.clock import FakeClock
from rota.config import RotaConfig
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from tests.conftest import ADMIN_ID, ZONE, DbInfo
from tests.fake_telegram import FakeTelegram, FakeUser


@dataclasses.dataclass
class Harness:
    """A running bot, its fake Telegram, its clock and the bootstrap coordinator."""

    app: Any
    tg: FakeTelegram
    clock: FakeClock
    coordinator: FakeUser
    uow: SqlAlchemyUnitOfWorkFactory

    async def run_job(self, name: str) -> None:
        """Force a named job to run now instead of waiting for its timer."""
        for job in self.app.job_queue.get_jobs_by_name(name):
            await job.run(self.app)

    async def invite(self, tags: str = "") -> str:
        """The coordinator makes an invite; returns the start code from the deep link."""
        before = self.coordinator.messages()[-1].message_id if self.coordinator.messages() else 0
        await self.coordinator.send(f"/invite {tags}".strip())
        reply = await self.coordinator.wait_for("t.me/", after=before)
        return reply.text.split("?start=")[1].split()[0]

    async def join(self, name: str, tags: str = "trained", **kw: Any) -> FakeUser:
        """A new volunteer opens an invite link."""
        user = self.tg.user(name, **kw)
        code = await self.invite(tags)
        await user.send(f"/start {code}")
        await user.wait_for("Welcome to the team")
        return user


def make_settings(tg: FakeTelegram, db: DbInfo, config: RotaConfig, **over: Any) -> Settings:
    """Settings as if read from the environment, pointing at the fake Telegram."""
    values: dict[str, Any] = dict(
        token=tg.token,
        api_base_url=tg.base_url,
        database_url=db.url,
        template_path=Path("test.toml"),
        template=config.template,
        timezone=ZONE,
        admin_ids=frozenset({ADMIN_ID}),
        team_chat_id=None,
    )
    values.update(over)
    return Settings(**values)


@pytest.fixture
async def tg(clock: FakeClock) -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(clock=lambda: clock.now().timestamp())
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
    assert fake.internal_errors == []
    assert fake.unknown_calls == []


@pytest.fixture
async def bot(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> AsyncIterator[Harness]:
    coordinator = tg.user("Cora", username="cora", user_id=ADMIN_ID)
    engine = db.engine()
    uow = SqlAlchemyUnitOfWorkFactory(engine)
    app = build_application(make_settings(tg, db, config), clock=clock, uow=uow)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    harness = Harness(app=app, tg=tg, clock=clock, coordinator=coordinator, uow=uow)
    await harness.run_job("sync-sessions-start")
    await coordinator.send("/start")
    await coordinator.wait_for("Welcome")
    try:
        yield harness
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await engine.dispose()
