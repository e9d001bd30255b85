"""`rotabot privacy purge [--dry-run]` as a user runs it, against a SQLite file.

The command uses the real clock, so the rows are placed relative to it: far past every
period, or an hour old.
"""

from __future__ import annotations

import datetime as dtm
import sqlite3
from pathlib import Path

import pytest

from rota.kernel.outbox import Notice
from rota.storage.engine import create_engine
from rota.storage.migrate import upgrade
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from tests.cli.conftest import assert_one_line_error, clean_env, rotabot, sqlite_url
from tests.notices import raw

NOW = dtm.datetime.now(dtm.UTC)
OLD = NOW - dtm.timedelta(days=400)
FRESH = NOW - dtm.timedelta(hours=1)


@pytest.fixture
async def database(tmp_path: Path) -> Path:
    """Two old delivered messages, one fresh one, one waiting; an old invite and log line."""
    path = tmp_path / "rota.db"
    engine = create_engine(sqlite_url(path))
    uow = SqlAlchemyUnitOfWorkFactory(engine)
    try:
        await upgrade(engine)
        async with uow() as u:
            for when, chat in ((OLD, 1), (OLD, 2), (FRESH, 3), (OLD, 4)):
                await u.outbox.add(
                    Notice(payload=raw("briefing", names="Zephyrine"), chat_id=chat),
                    now=when,
                    due_at=None,
                )
            await u.commit()
        for when in (OLD, FRESH):
            async with uow() as u:
                items = await u.outbox.claim_due(
                    now=when, lease=dtm.timedelta(seconds=30), limit=2
                )
                for item in items:
                    await u.outbox.mark_sent(item.id, now=when, message_id=9)
                await u.commit()
        async with uow() as u:
            await u.invites.add(
                code="old", tags=frozenset(), created_by=None, now=OLD, expires_at=OLD
            )
            await u.safety.log(1, "walk_started", at=OLD, detail="Zephyrine <-> Tia")
            await u.commit()
    finally:
        await engine.dispose()
    return path


def _rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as db:
        return {
            table: sorted(db.execute(f"SELECT * FROM {table}").fetchall())  # noqa: S608
            for table in ("outbox", "invites", "safety_log", "volunteers", "locations")
        }


def _counts(stdout: str) -> dict[str, int]:
    """'table what count' lines as {'table what': count}."""
    found = {}
    for line in stdout.splitlines()[2:-1]:
        *words, count = line.split()
        found[" ".join(words)] = int(count)
    return found


def test_a_dry_run_shows_what_would_go_and_changes_nothing(tmp_path: Path, database: Path) -> None:
    before = _rows(database)
    result = rotabot(
        "privacy",
        "purge",
        "--dry-run",
        env=clean_env(tmp_path, DATABASE_URL=sqlite_url(database)),
        cwd=tmp_path,
    )
    assert result.code == 0, result.describe()
    lines = result.stdout.splitlines()
    assert lines[0].startswith("retention (")
    assert "message_bodies 3d, message_rows 35d, safety_log_details 90d" in lines[0]
    assert lines[1].split() == ["table", "what", "would", "remove"]
    counts = _counts(result.stdout)
    assert counts["outbox messages deleted"] == 2
    assert counts["outbox message texts wiped"] == 0
    assert counts["invites invites deleted"] == 1
    assert counts["safety_log details and names wiped"] == 1
    assert lines[-1] == "dry run: nothing was changed; 4 rows would be removed or wiped"
    assert _rows(database) == before
    assert "Zephyrine" not in result.stdout + result.stderr


def test_a_purge_removes_what_the_dry_run_showed_then_nothing(
    tmp_path: Path, database: Path
) -> None:
    env = clean_env(tmp_path, DATABASE_URL=sqlite_url(database))
    dry = rotabot("privacy", "purge", "--dry-run", env=env, cwd=tmp_path)
    done = rotabot("privacy", "purge", env=env, cwd=tmp_path)
    assert done.code == 0, done.describe()
    assert done.stdout.splitlines()[1].split() == ["table", "what", "removed"]
    assert _counts(done.stdout) == _counts(dry.stdout)
    assert done.stdout.splitlines()[-1] == "4 rows removed or wiped"
    rows = _rows(database)
    assert sorted(r[2] for r in rows["outbox"]) == [3, 4]  # the fresh one and the waiting one
    assert rows["invites"] == []
    assert [(r[3], r[4], r[6]) for r in rows["safety_log"]] == [("walk_started", "", None)]

    again = rotabot("privacy", "purge", env=env, cwd=tmp_path)
    assert again.code == 0, again.describe()
    assert set(_counts(again.stdout).values()) == {0}
    assert again.stdout.splitlines()[-1] == "0 rows removed or wiped"


def test_the_help_says_what_it_does(tmp_path: Path) -> None:
    result = rotabot("privacy", "purge", "--help", env=clean_env(tmp_path), cwd=tmp_path)
    assert result.code == 0, result.describe()
    text = " ".join(result.stdout.split())
    assert "usage: rotabot privacy purge [-h] [--dry-run]" in text
    assert "every night at 03:30" in text
    assert "--dry-run only count what would be removed; change nothing" in text
    top = rotabot("--help", env=clean_env(tmp_path), cwd=tmp_path)
    assert "privacy" in top.stdout


def test_a_missing_database_is_a_one_line_error_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    result = rotabot(
        "privacy", "purge", env=clean_env(tmp_path, DATABASE_URL=sqlite_url(missing)), cwd=tmp_path
    )
    assert_one_line_error(result, 1, "DATABASE_URL", "does not exist")
    assert not missing.exists()


def test_privacy_needs_an_action(tmp_path: Path) -> None:
    result = rotabot("privacy", env=clean_env(tmp_path), cwd=tmp_path)
    assert result.code == 2
    assert "the following arguments are required: ACTION" in result.stderr
    wrong = rotabot("privacy", "purge", "--everything", env=clean_env(tmp_path), cwd=tmp_path)
    assert wrong.code == 2
    assert "unrecognized arguments: --everything" in wrong.stderr
