"""Fresh, migrated databases for one benchmark run: a SQLite file or a PostgreSQL schema."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rota.storage.engine import create_engine
from rota.storage.migrate import upgrade

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
KINDS = ("sqlite", "postgresql")
# Alembic keeps the migration it runs in module state: two upgrades interleaving in one
# process (measurements side by side) ran one database's migrations on the other's.
# One lock per event loop: each measurement runs in a loop of its own.
_MIGRATING: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def _migrate(db: BenchDb) -> None:
    lock = _MIGRATING.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    engine = db.engine()
    try:
        async with lock:
            await upgrade(engine)
    finally:
        await engine.dispose()


def pg_url() -> str:
    """Where PostgreSQL is: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else this machine's."""
    for name in ("BENCH_DATABASE_URL", "TEST_DATABASE_URL"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return DEFAULT_PG_URL


async def pg_available() -> bool:
    """Whether PostgreSQL answers (benchmarks on it are skipped, and said so, if not)."""
    engine = create_engine(pg_url(), connect_args={"timeout": 3})
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False
    finally:
        await engine.dispose()


@dataclass
class BenchDb:
    """A migrated, empty database: its URL, engine options, and a way to open engines."""

    kind: str
    url: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def engine(self, **more: Any) -> AsyncEngine:
        return create_engine(self.url, **(self.kwargs | more))


@contextlib.asynccontextmanager
async def fresh_db(kind: str) -> AsyncIterator[BenchDb]:
    """A new database for one run, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="rotabench-") as tmp:
            db = BenchDb(kind, f"sqlite:///{Path(tmp) / 'rota.db'}")
            await _migrate(db)
            yield db
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r}")
    schema = f"rotabench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url())
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = BenchDb(kind, pg_url(), {"connect_args": {"server_settings": {"search_path": schema}}})
    try:
        await _migrate(db)
        yield db
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()
