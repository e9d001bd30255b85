"""Shared fixtures: a clock, a rota config, and a migrated database on SQLite and PostgreSQL.

Every database test runs twice: on a SQLite file and on PostgreSQL when TEST_DATABASE_URL
is set (CI sets it). Each pytest process gets its own PostgreSQL schema, so two runs on one
machine never see each other's rows.
"""

from __future__ import annotations

import datetime as dtm
import os
import shutil
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.template import RotaTemplate, parse_template
from rota.storage.engine import create_engine
from rota.storage.migrate import upgrade
from rota.storage.tables import Base
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory

# PTB's RetryAfter.retry_after warns unless the timedelta behaviour is chosen; choose it.
os.environ.setdefault("PTB_TIMEDELTA", "true")


def _share_default_ssl_context() -> None:
    """Build httpx's default SSL context once per test process instead of once per client.

    httpx loads certifi's whole CA bundle for every client it makes (30-130 ms of CPU), PTB
    makes two clients per Application, and the suite starts well over a thousand
    Applications that only ever speak plain HTTP to the fake on 127.0.0.1: that was the
    largest single cost of an end-to-end test's set-up. An SSLContext is safe to share.
    """
    from httpx._transports import default as transport  # no public hook for this

    make: Callable[..., ssl.SSLContext] | None = getattr(transport, "create_ssl_context", None)
    if make is None:  # another httpx layout: leave it alone, only slower
        return
    shared = make()

    def create_ssl_context(
        verify: Any = True, cert: Any = None, trust_env: bool = True
    ) -> ssl.SSLContext:
        if verify is True and cert is None and trust_env:
            return shared
        return make(verify=verify, cert=cert, trust_env=trust_env)

    transport.create_ssl_context = create_ssl_context  # type: ignore[attr-defined]


_share_default_ssl_context()

ZONE = "Europe/London"
ADMIN_ID = 999_001
PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
PG_SCHEMA = f"rotabot_test_{os.getpid()}"

TEMPLATE = """
late_notice = "48h"

[[session]]
key = "wednesday"
weekday = "wednesday"
start = "19:00"
end = "23:00"
meeting_point = "St Anne's Hall"
weeks_ahead = 3

[[role]]
key = "lead"
label = "Team lead"
capacity = 1
minimum = 1
requires = ["lead"]

[[role]]
key = "walker"
label = "Walker"
capacity = 2
minimum = 2
pairs = true
requires = ["trained", "new"]

[[role]]
key = "dropin"
label = "Drop-in"
capacity = 2
minimum = 1

[[role]]
key = "oncall"
label = "On-call coordinator"
capacity = 1
minimum = 1
requires = ["coordinator"]
"""

# Monday 30 Nov 2026, noon: the next Wednesday session is 2 Dec 2026, 19:00 GMT.
MONDAY_NOON = dtm.datetime(2026, 11, 30, 12, 0, tzinfo=dtm.UTC)


@pytest.fixture
def template() -> RotaTemplate:
    return parse_template(TEMPLATE, source="test.toml")


@pytest.fixture
def config(template: RotaTemplate) -> RotaConfig:
    return RotaConfig(template=template, zone=ZONE, admin_ids=frozenset({ADMIN_ID}))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_NOON)


def _pg_kwargs() -> dict[str, Any]:
    return {"connect_args": {"server_settings": {"search_path": PG_SCHEMA}}}


_pg_ready = False
_sqlite_migrated: Path | None = None

# Resetting sequences by hand is what TRUNCATE ... RESTART IDENTITY did, at a third of the cost.
_RESET_SEQUENCES = """
SELECT setval(c.oid, 1, false) FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'S' AND n.nspname = current_schema()
"""


async def _prepare_pg() -> None:
    """Create this process's schema and migrate it once; later tests only empty the tables.

    DELETE is used rather than TRUNCATE: on tables this small it is several times faster.
    """
    global _pg_ready
    if not _pg_ready:
        admin = create_engine(PG_URL)
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
            await conn.execute(text(f'CREATE SCHEMA "{PG_SCHEMA}"'))
        await admin.dispose()
    engine = create_engine(PG_URL, **_pg_kwargs())
    if not _pg_ready:
        await upgrade(engine)
        _pg_ready = True
    else:
        async with engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(table.delete())
            await conn.execute(text(_RESET_SEQUENCES))
    await engine.dispose()


async def _prepare_sqlite(target: Path, factory: pytest.TempPathFactory) -> None:
    """Migrate one SQLite file per pytest process, then give each test a copy of it."""
    global _sqlite_migrated
    if _sqlite_migrated is None:
        migrated = factory.mktemp("migrated") / "rota.db"
        engine = create_engine(f"sqlite:///{migrated}")
        await upgrade(engine)
        await engine.dispose()
        _sqlite_migrated = migrated
    for suffix in ("-wal", "-shm"):  # the previous test's, if its last close kept them
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    for suffix in ("", "-wal"):  # the WAL is normally checkpointed away on close
        source = _sqlite_migrated.with_name(_sqlite_migrated.name + suffix)
        if source.exists():
            shutil.copyfile(source, target.with_name(target.name + suffix))


# The longest tests (measured with --durations; each 10-90 s on 2 cores), started first under
# pytest-xdist so none of them is left running alone at the end while the other workers idle.
SLOW_FIRST = (
    "tests/e2e/test_authorization_matrix.py",
    "tests/e2e/test_fuzz.py",
    "tests/integration/test_concurrency.py",
    "tests/demo/",
    "tests/cli/test_commands.py",
    "tests/cli/test_report_cli.py",
    "tests/e2e/test_safety_failures.py",
    "tests/e2e/test_flood.py",
    "tests/e2e/test_briefing_delivery.py",
    "tests/e2e/test_briefing_broadcast.py",
)


def _slow_rank(item: pytest.Item) -> int:
    for rank, prefix in enumerate(SLOW_FIRST):
        if item.nodeid.startswith(prefix):
            return rank
    return len(SLOW_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, run the slowest tests first (a stable sort: the rest keep order)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=_slow_rank)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop this process's PostgreSQL schema."""
    if PG_URL and _pg_ready:
        import asyncio

        async def drop() -> None:
            admin = create_engine(PG_URL)
            async with admin.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
            await admin.dispose()

        asyncio.run(drop())


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DbInfo]:
    """A freshly migrated, empty database; the URL and engine kwargs let tests open more.

    The database is at the same place for every test of this process (SQLite: one file path
    per process, copied afresh), so the engines the tests open can be kept from one test to
    the next (see `DbInfo.engine`).
    """
    if request.param == "sqlite":
        path = tmp_path_factory.getbasetemp() / "db" / "rota.db"
        path.parent.mkdir(exist_ok=True)
        await _prepare_sqlite(path, tmp_path_factory)
        info = DbInfo(url=f"sqlite:///{path}", kwargs={})
    else:
        if not PG_URL:
            pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL to run these too")
        await _prepare_pg()
        info = DbInfo(url=PG_URL, kwargs=_pg_kwargs(), schema=PG_SCHEMA)
    try:
        yield info
    finally:
        await info.dispose()


# Engines kept for the next test of this process, by URL: the n-th engine a test opens is
# the n-th one the previous test opened, its pool emptied (disposed) in between.
_kept_engines: dict[str, list[AsyncEngine]] = {}


class DbInfo:
    """Where the test database is and how to connect to it."""

    def __init__(self, url: str, kwargs: dict[str, Any], schema: str | None = None) -> None:
        self.url = url
        self.kwargs = kwargs
        self.schema = schema
        self._handed_out = 0

    def engine(self) -> AsyncEngine:
        """An engine on the test database: each call a separate one (its own pool).

        Engines are reused across tests after `dispose()`, which closes every pooled
        connection, so no connection outlives its test's event loop. What is kept is the
        engine's compiled-statement cache: a new engine compiles each of the bot's statements
        again, which was a tenth of an end-to-end test's CPU time.
        """
        kept = _kept_engines.setdefault(self.url, [])
        if self._handed_out == len(kept):
            kept.append(create_engine(self.url, **self.kwargs))
        engine = kept[self._handed_out]
        self._handed_out += 1
        return engine

    async def dispose(self) -> None:
        """Close every connection the test's engines hold (their owners usually did)."""
        for engine in _kept_engines.get(self.url, [])[: self._handed_out]:
            await engine.dispose()


@pytest.fixture
async def engine(db: DbInfo) -> AsyncIterator[AsyncEngine]:
    engine = db.engine()
    yield engine
    await engine.dispose()


@pytest.fixture
def uow(engine: AsyncEngine) -> SqlAlchemyUnitOfWorkFactory:
    return SqlAlchemyUnitOfWorkFactory(engine)
