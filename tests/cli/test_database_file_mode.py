"""The SQLite file holds phone numbers: created 0600 (with its -wal and -shm), and `rotabot
check` warns, in one line with the fix, when others can read it."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.fake_telegram import FakeTelegram
from rota.storage.engine import create_engine
from rota.storage.migrate import upgrade
from tests.cli.conftest import clean_env, rotabot, rotabot_async, sqlite_url


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common umask 022: a file created without care is 0644."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("open_umask")
async def test_a_new_database_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    db = tmp_path / "rotabot.db"
    engine = create_engine(sqlite_url(db))
    try:
        await upgrade(engine)
        async with engine.begin() as conn:  # WAL mode: the -wal and -shm exist while open
            await conn.execute(text("SELECT 1"))
            siblings = [db.with_name(db.name + end) for end in ("-wal", "-shm")]
            assert all(s.exists() for s in siblings)
            assert {mode(p) for p in (db, *siblings)} == {0o600}
    finally:
        await engine.dispose()
    assert mode(db) == 0o600


@pytest.mark.usefixtures("open_umask")
async def test_an_existing_database_keeps_its_mode(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    db.touch(mode=0o640)
    db.chmod(0o640)  # someone chose this; the bot does not silently change it
    engine = create_engine(sqlite_url(db))
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    assert mode(db) == 0o640


@pytest.mark.usefixtures("open_umask")
def test_db_upgrade_creates_a_private_file(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    result = rotabot(
        "db", "upgrade", env=clean_env(tmp_path, DATABASE_URL=sqlite_url(db)), cwd=tmp_path
    )
    assert result.code == 0, result.describe()
    assert mode(db) == 0o600


# ------------------------------------------------------------------------------ check


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


async def _check(tmp_path: Path, tg: FakeTelegram, db: Path) -> str:
    env = clean_env(
        tmp_path,
        TELEGRAM_API_BASE_URL=tg.base_url,
        TELEGRAM_BOT_TOKEN=tg.token,
        DATABASE_URL=sqlite_url(db),
        ROTABOT_ADMIN_IDS="999001",
    )
    result = await rotabot_async("check", env=env, cwd=tmp_path)
    assert result.code == 0, result.describe()
    assert "all good" in result.stdout
    return result.stdout


async def _migrated(db: Path) -> None:
    engine = create_engine(sqlite_url(db))
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def test_check_warns_when_others_can_read_the_database(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    db = tmp_path / "x.db"
    await _migrated(db)
    db.chmod(0o644)
    out = await _check(tmp_path, tg, db)
    warnings = [line for line in out.splitlines() if "chmod" in line]
    assert warnings == [
        f"  warning: other users of this machine can read {db}; run chmod 600 {db}"
    ], out


async def test_check_is_quiet_about_a_private_database(tmp_path: Path, tg: FakeTelegram) -> None:
    db = tmp_path / "x.db"
    await _migrated(db)
    assert mode(db) == 0o600
    out = await _check(tmp_path, tg, db)
    assert "chmod" not in out
    assert "warning: other users" not in out
