"""The real rotabot Application against the fake Telegram, with simulated people."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dtm
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from apscheduler.schedulers.base import STATE_PAUSED
from sqlalchemy import select

from bot.app import running_jobs_done, start_app
from bot.config import Settings
from bot.fake_telegram import BotMessage, FakeTelegram, FakeUser
from bot.pacing import UNPACED_CHATS, Limits
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.roster.model import Role
from rota.storage.tables import Base
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from tests.conftest import ADMIN_ID, ZONE, DbInfo

T = TypeVar("T")
# The long-poll the tests have always used against the fake (`rotabot run` waits 10 s).
POLL_TIMEOUT = dtm.timedelta(seconds=1)
Snapshot = dict[str, list[tuple[Any, ...]]]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give each end-to-end test one rerun, reported as "rerun" in pytest's summary.

    These tests run the real bot, whose sweeps run on real time beside the test: on a loaded
    2-core machine a broadcast sometimes lands where a test did not expect it. Each such race
    found is fixed in the test (see the closing notes of issue 13); the rerun keeps one that
    is not yet found from failing CI, and the summary still shows it, to be fixed.
    """
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.flaky(reruns=1))


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

    # ------------------------------------------------------------ conversation helpers

    async def ask(self, user: FakeUser, text: str, expect: str = "") -> BotMessage:
        """Send a private message and return the bot's first reply after it (containing
        `expect`).

        A message the outbox sent (a briefing, an alert, a reminder landing at that moment) is
        never the reply: replies are sent directly by the handler, so it is skipped.
        """
        sent = await user.send(text)
        after = sent["message_id"]
        while True:
            reply = await user.wait_for(expect, after=after)
            if not await self.sent_by_outbox(user.id, reply.message_id):
                return reply
            after = reply.message_id

    async def sent_by_outbox(self, chat_id: int, message_id: int) -> bool:
        """Whether the dispatcher sent this message (once its sends in flight are recorded)."""

        async def recorded() -> tuple[bool] | None:
            rows = [r for r in await self.rows("outbox") if r["chat_id"] == chat_id]
            if any(r["state"] == "sending" for r in rows):
                return None
            return (any(r["message_id"] == message_id for r in rows),)

        found = await eventually(recorded)
        return found is not None and found[0]

    async def open_session(self, user: FakeUser, day: str) -> BotMessage:
        """/rota, then the day's button: the session view with its join buttons."""
        listing = await self.ask(user, "/rota", expect="Upcoming sessions")
        answer = await user.tap(day, message=listing)
        assert answer.text is None, answer
        return await user.wait_for("Meet:", after=listing.message_id - 1)

    # ------------------------------------------------------------ the database, read directly

    async def snapshot(self) -> Snapshot:
        """Every row of every table, to prove that nothing changed.

        While the app runs, only inside jobs_paused, and only once the jobs already running
        have finished (pausing stops new runs, not a sweep under way): otherwise a sweep's
        writes land between two snapshots (CI saw it).
        """
        scheduler = self.app.job_queue.scheduler
        if scheduler.running:
            if scheduler.state != STATE_PAUSED:
                raise AssertionError("take snapshots inside `with bot.jobs_paused():`")
            await running_jobs_done(self.app, 10.0)
        tables: Snapshot = {}
        async with self.uow.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                result = await conn.execute(select(table).order_by(*table.primary_key.columns))
                tables[table.name] = [tuple(row) for row in result]
        return tables

    async def rows(self, table: str) -> list[dict[str, Any]]:
        """The rows of one table as dicts, in primary-key order."""
        found = Base.metadata.tables[table]
        async with self.uow.engine.connect() as conn:
            result = await conn.execute(select(found).order_by(*found.primary_key.columns))
            return [dict(row) for row in result.mappings()]

    async def role(self, day: dtm.date, key: str) -> Role:
        """The role `key` of the (uncancelled) session on a local date."""
        async with self.uow() as uow:
            sessions = [s for s in await uow.sessions.on_date(day) if not s.is_cancelled]
            assert sessions, f"no session on {day}"
            roles = await uow.sessions.roles([sessions[0].id])
        return next(r for r in roles if r.key == key)

    async def volunteer_id(self, user: FakeUser) -> int | None:
        """The volunteer row id of a Telegram user, None if they are not registered."""
        async with self.uow() as uow:
            volunteer = await uow.volunteers.by_telegram_id(user.id)
        return volunteer.id if volunteer else None

    @contextlib.contextmanager
    def jobs_paused(self) -> Any:
        """Stop the job queue's timers, so only run_job delivers; they resume afterwards."""
        scheduler = self.app.job_queue.scheduler
        scheduler.pause()
        try:
            yield
        finally:
            scheduler.resume()


async def eventually(check: Callable[[], Awaitable[T]], *, within: float = 15.0) -> T:
    """Re-run an async check until it returns something truthy (for state kept in the DB)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = await check()
        if result or loop.time() >= deadline:
            return result
        await asyncio.sleep(0.02)


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


@contextlib.asynccontextmanager
async def running_bot(
    tg: FakeTelegram,
    db: DbInfo,
    config: RotaConfig,
    clock: FakeClock,
    *,
    pacing: Limits = UNPACED_CHATS,
    **settings: Any,
) -> AsyncIterator[Harness]:
    """Start the real Application polling `tg`; the coordinator has sent /start.

    Chats are not paced unless a test asks (`pacing=Limits()`): the plain fake does not
    enforce Telegram's limits, and a second's spacing would only slow the suite down.
    """
    coordinator = tg.user("Cora", username="cora", user_id=ADMIN_ID)
    engine = db.engine()
    uow = SqlAlchemyUnitOfWorkFactory(engine)
    try:
        async with start_app(
            make_settings(tg, db, config, **settings),
            clock=clock,
            uow=uow,
            pacing=pacing,
            poll_timeout=POLL_TIMEOUT,
        ) as app:
            harness = Harness(app=app, tg=tg, clock=clock, coordinator=coordinator, uow=uow)
            await coordinator.send("/start")
            await coordinator.wait_for("Welcome")
            yield harness
    finally:
        await engine.dispose()


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
    async with running_bot(tg, db, config, clock) as harness:
        yield harness


# ------------------------------------------------------------------ the safety night (helpers)

# Wednesday 2 Dec 2026: London is on GMT, so local times are UTC times.
WALK_DAY = "Wed 2 Dec"


def night(hour: int, minute: int = 0, second: int = 0) -> dtm.datetime:
    """An instant of the Wednesday walk night; hours before 12 are after midnight."""
    day = 3 if hour < 12 else 2
    return dtm.datetime(2026, 12, day, hour, minute, second, tzinfo=dtm.UTC)


async def sign_up(bot: Harness, user: FakeUser, role: str, day: str = WALK_DAY) -> None:
    """/rota, the day, then "Join <role>": the person has a confirmed place."""
    await bot.open_session(user, day)
    answer = await user.tap(f"Join {role} (", contains=True)
    assert (answer.text or "").startswith("You're down as"), answer


async def tick(bot: Harness, when: dtm.datetime) -> None:
    """Move the domain clock and run one safety sweep (which also delivers what it made).

    Sends still in flight (a handler's reply woke the dispatcher) finish first: a clock that
    jumps minutes ahead in a millisecond would run their 30 s lease out under them, which no
    real clock does.
    """
    await sends_landed(bot)
    bot.clock.set(when)
    await bot.run_job("safety")


async def sends_landed(bot: Harness) -> bool:
    """Wait until no outbox row is in flight (claimed, its outcome not yet recorded).

    Call it before moving the clock by more than the 30 s lease: a send under way whose lease
    the jump runs out is claimed again by another worker (a duplicate no real clock makes).
    """

    async def nothing_in_flight() -> bool:
        return not [r for r in await bot.rows("outbox") if r["state"] == "sending"]

    return await eventually(nothing_in_flight)


def texts_of(chat: Any) -> list[str]:
    """The current text of every bot message in a FakeUser's or FakeGroup's chat."""
    return [m.text for m in chat.messages()]


def count_of(chat: Any, needle: str) -> int:
    """How many bot messages in the chat contain `needle` now."""
    return sum(needle in text for text in texts_of(chat))


def sent_text(call: Any) -> str:
    """The text a call sent, without its HTML tags (the params hold what the bot wrote)."""
    return re.sub(r"<[^>]+>", "", str(call.params.get("text", "")))


def sends_to(tg: FakeTelegram, chat_id: int, needle: str, method: str = "sendMessage") -> int:
    """Accepted `method` calls to a chat whose text contains `needle` (a stricter count than
    the chat view: a message edited afterwards still counts as sent)."""
    return sum(
        1
        for c in tg.calls_to(method)
        if c.ok and c.params.get("chat_id") == chat_id and needle in sent_text(c)
    )


@contextlib.asynccontextmanager
async def another_app(
    tg: FakeTelegram,
    db: DbInfo,
    config: RotaConfig,
    clock: FakeClock,
    *,
    poll: bool = True,
    pacing: Limits = UNPACED_CHATS,
    **settings: Any,
) -> AsyncIterator[Harness]:
    """A new Application over the same database and fake: a restart, or a second worker.

    The people already exist in `tg` and nothing is sent on start. With `poll` it starts like
    `rotabot run` (post_init syncs, drains the updates that waited, then arms the jobs);
    without it, it is a worker that only sweeps: it never calls getUpdates, so it does not
    fight the first one for updates (Telegram answers a second poller with 409 Conflict).
    """
    engine = db.engine()
    uow = SqlAlchemyUnitOfWorkFactory(engine)
    try:
        async with start_app(
            make_settings(tg, db, config, **settings),
            clock=clock,
            uow=uow,
            pacing=pacing,
            poll=poll,
            poll_timeout=POLL_TIMEOUT,
        ) as app:
            yield Harness(app=app, tg=tg, clock=clock, coordinator=tg.users[ADMIN_ID], uow=uow)
    finally:
        await engine.dispose()


async def outbox_settled(bot: Harness, within: float = 15.0) -> bool:
    """Wait until the outbox has nothing pending or in flight (a send may still be recording)."""

    async def nothing_left() -> bool:
        rows = await bot.rows("outbox")
        return not [r for r in rows if r["state"] in ("pending", "sending")]

    return await eventually(nothing_left, within=within)


async def edited_to(message: BotMessage, needle: str, within: float = 15.0) -> BotMessage:
    """Wait until this very message (edited in place) shows `needle`; fail if it never does."""

    async def shows() -> bool:
        return needle in message.text

    assert await eventually(shows, within=within), f"never edited to {needle!r}: {message}"
    return message
