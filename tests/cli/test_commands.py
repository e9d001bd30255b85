"""The real `rotabot` console script as a process: help, settings errors, .env, db, check.

Every command runs in the test's temporary directory with a minimal environment, exactly as
a new user would run it from a shell, so these tests see what that user sees.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path

import pytest

from bot.fake_telegram import FakeTelegram
from rota.kernel.template import example_template_path
from rota.storage.engine import create_engine
from rota.storage.migrate import head_revision, upgrade
from rota.storage.tables import Base
from tests.cli.conftest import (
    SHAPED_TOKEN,
    assert_one_line_error,
    clean_env,
    rotabot,
    rotabot_async,
    sqlite_url,
)

REPO = Path(__file__).resolve().parents[2]
HEAD = head_revision()


def tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


def free_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------------------ --help
# Each process takes most of a second to import PTB and SQLAlchemy, so independent commands
# run concurrently and every failure is reported together.


async def gather_failures(checks: dict[str, Coroutine[None, None, None]]) -> None:
    """Run independent checks concurrently (a few at a time); fail listing every failure."""
    limit = asyncio.Semaphore(max(2, os.cpu_count() or 2))

    async def one(name: str, check: Coroutine[None, None, None]) -> str | None:
        async with limit:
            try:
                await check
            except (AssertionError, pytest.fail.Exception) as err:
                # Every check is awaited to its end: none is left running into the teardown.
                return f"[{name}] {err}"
        return None

    failures = await asyncio.gather(*(one(n, c) for n, c in checks.items()))
    problems = [f for f in failures if f is not None]
    assert not problems, "\n\n".join(problems)


HELP = {
    "--help": ["usage: rotabot", "run", "db", "check", "--env-file", ".env.example"],
    "run --help": ["usage: rotabot run", "long polling", "SQLite", "rotabot db upgrade"],
    "db --help": ["usage: rotabot db", "upgrade"],
    "db upgrade --help": ["usage: rotabot db upgrade", "migration", "DATABASE_URL"],
    "check --help": ["usage: rotabot check", "template", "Telegram", "getMe"],
}


async def test_help_for_every_command(tmp_path: Path) -> None:
    async def check(args: str, words: list[str]) -> None:
        result = await rotabot_async(*args.split(), env=clean_env(tmp_path), cwd=tmp_path)
        assert result.code == 0, result.describe()
        assert result.stderr == "", result.describe()
        flat = " ".join(result.stdout.split())  # argparse wraps lines
        missing = [word for word in words if word not in flat]
        assert missing == [], f"{missing} not in:\n{result.stdout}"

    await gather_failures({args: check(args, words) for args, words in HELP.items()})


def test_no_command_shows_usage(tmp_path: Path) -> None:
    result = rotabot(env=clean_env(tmp_path), cwd=tmp_path)
    assert result.code == 2
    assert "usage: rotabot" in result.stderr
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------------------ bad settings


def _file(name: str, text: str) -> Callable[[Path], dict[str, str]]:
    def make(tmp: Path) -> dict[str, str]:
        path = tmp / name
        path.write_text(text, encoding="utf-8")
        return {"ROTABOT_CONFIG": str(path)}

    return make


_EXAMPLE = example_template_path().read_text(encoding="utf-8")
Change = dict[str, str] | Callable[[Path], dict[str, str]]

# case: (setting named in the error, env changes or a function of the directory making them)
BAD_SETTINGS: dict[str, tuple[str, Change]] = {
    "missing-token": ("TELEGRAM_BOT_TOKEN", {"TELEGRAM_BOT_TOKEN": ""}),
    "malformed-token": ("TELEGRAM_BOT_TOKEN", {"TELEGRAM_BOT_TOKEN": "not-a-token"}),
    "zone": ("ROTABOT_TIMEZONE", {"ROTABOT_TIMEZONE": "Mars/Olympus"}),
    "admin-id": ("ROTABOT_ADMIN_IDS", {"ROTABOT_ADMIN_IDS": "123,12a"}),
    "team-chat": ("ROTABOT_TEAM_CHAT_ID", {"ROTABOT_TEAM_CHAT_ID": "abc"}),
    "mysql": ("DATABASE_URL", {"DATABASE_URL": "mysql://x"}),
    "sqlite-no-path": ("DATABASE_URL", {"DATABASE_URL": "sqlite://"}),
    "bad-port": ("DATABASE_URL", {"DATABASE_URL": "postgresql://u:pw@localhost:port/db"}),
    "config-missing": ("ROTABOT_CONFIG", lambda tmp: {"ROTABOT_CONFIG": str(tmp / "no.toml")}),
    "config-syntax": ("ROTABOT_CONFIG", _file("broken.toml", 'late_notice = "48h\n')),
    "config-key": ("ROTABOT_CONFIG", _file("typo.toml", "colour = 'red'\n" + _EXAMPLE)),
}
# Every case through `check`, one through `run` (same parsing; `run` imports more first).
# `db upgrade` gets one from .env below.
BAD_RUNS = [("check", case) for case in BAD_SETTINGS] + [("run", "bad-port")]


def _bad_env(directory: Path, change: Change) -> dict[str, str]:
    env = clean_env(
        directory,
        TELEGRAM_BOT_TOKEN=SHAPED_TOKEN,
        # Nothing may be reached: a settings error must stop rotabot before any I/O.
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{free_port()}/bot",
        DATABASE_URL=sqlite_url(directory / "untouched.db"),
    )
    env.update(change(directory) if callable(change) else change)
    return env


async def test_each_bad_setting_exits_2_with_one_line_naming_it(tmp_path: Path) -> None:
    async def check(command: str, case: str) -> None:
        setting, change = BAD_SETTINGS[case]
        directory = tmp_path / f"{command.replace(' ', '-')}-{case}"
        directory.mkdir()
        env = _bad_env(directory, change)
        result = await rotabot_async(*command.split(), env=env, cwd=directory)
        line = assert_one_line_error(result, 2, setting)
        assert result.stderr_lines == [line], result.describe()  # not even a log record
        assert line.startswith(f"rotabot: {setting}"), line
        assert "pw@" not in line  # a database password is never echoed
        assert not (directory / "untouched.db").exists()
        assert not (directory / "rotabot.db").exists()

    await gather_failures({f"{cmd}: {case}": check(cmd, case) for cmd, case in BAD_RUNS})


# ------------------------------------------------------------------------------ .env


def test_dotenv_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"# settings\nDATABASE_URL={sqlite_url(tmp_path / 'from_dotenv.db')}\n"
        "ROTABOT_TIMEZONE='Europe/Paris'\n",
        encoding="utf-8",
    )
    result = rotabot("db", "upgrade", env=clean_env(tmp_path), cwd=tmp_path)
    assert result.code == 0, result.describe()
    assert (tmp_path / "from_dotenv.db").exists()


def test_a_bad_value_in_dotenv_stops_db_upgrade_with_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ROTABOT_TIMEZONE=Mars/Olympus\n", encoding="utf-8")
    result = rotabot("db", "upgrade", env=clean_env(tmp_path), cwd=tmp_path)
    line = assert_one_line_error(result, 2, "ROTABOT_TIMEZONE", "Mars/Olympus")
    assert result.stderr_lines == [line], result.describe()
    assert not (tmp_path / "rotabot.db").exists()


def test_real_environment_overrides_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"DATABASE_URL={sqlite_url(tmp_path / 'from_dotenv.db')}\nROTABOT_TIMEZONE=Mars/Olympus\n",
        encoding="utf-8",
    )
    env = clean_env(
        tmp_path,
        DATABASE_URL=sqlite_url(tmp_path / "from_env.db"),
        ROTABOT_TIMEZONE="Europe/London",
    )
    result = rotabot("db", "upgrade", env=env, cwd=tmp_path)
    assert result.code == 0, result.describe()
    assert (tmp_path / "from_env.db").exists()
    assert not (tmp_path / "from_dotenv.db").exists()


def test_env_file_option(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ROTABOT_TIMEZONE=Mars/Olympus\n", encoding="utf-8")
    other = tmp_path / "staging.env"
    other.write_text(f"DATABASE_URL={sqlite_url(tmp_path / 'staging.db')}\n", encoding="utf-8")
    args = ["--env-file", str(other), "db", "upgrade"]
    result = rotabot(*args, env=clean_env(tmp_path), cwd=tmp_path)
    assert result.code == 0, result.describe()
    assert (tmp_path / "staging.db").exists()


def test_the_shipped_env_example_copied_as_is_gives_the_defaults(tmp_path: Path) -> None:
    """README step 3 starts from `cp .env.example .env`: its empty values mean the defaults."""
    (tmp_path / ".env").write_text(
        (REPO / ".env.example").read_text(encoding="utf-8"), encoding="utf-8"
    )
    result = rotabot("db", "upgrade", env=clean_env(tmp_path), cwd=tmp_path)
    assert result.code == 0, result.describe()
    assert "alembic_version" in tables(tmp_path / "rotabot.db")  # the default database


# ------------------------------------------------------------------------------ db upgrade


def test_db_upgrade_creates_the_tables_and_can_run_twice(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    env = clean_env(tmp_path, DATABASE_URL=sqlite_url(db))  # no token: not needed here
    first = rotabot("db", "upgrade", env=env, cwd=tmp_path)
    assert first.code == 0, first.describe()
    assert f"database is at revision {HEAD}" in first.stdout
    assert set(Base.metadata.tables) | {"alembic_version"} <= tables(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]

    second = rotabot("db", "upgrade", env=env, cwd=tmp_path)
    assert second.code == 0, second.describe()
    assert f"database is at revision {HEAD}" in second.stdout
    assert "Traceback" not in second.stderr


def test_db_upgrade_sqlite_in_a_missing_folder(tmp_path: Path) -> None:
    env = clean_env(tmp_path, DATABASE_URL=sqlite_url(tmp_path / "no" / "such" / "x.db"))
    result = rotabot("db", "upgrade", env=env, cwd=tmp_path)
    assert_one_line_error(result, 1, "DATABASE_URL")


def test_db_upgrade_unreachable_postgresql(tmp_path: Path) -> None:
    env = clean_env(tmp_path, DATABASE_URL=f"postgresql://u:pw@127.0.0.1:{free_port()}/rota")
    result = rotabot("db", "upgrade", env=env, cwd=tmp_path)
    assert_one_line_error(result, 1, "DATABASE_URL")
    assert ":pw@" not in result.stderr


# ------------------------------------------------------------------------------ check


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()
    assert fake.internal_errors == []
    assert fake.unknown_calls == []


async def migrate(url: str) -> None:
    """Upgrade in-process (the command itself is tested above): one process fewer per test."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _check_env(tmp_path: Path, tg: FakeTelegram, **over: str) -> dict[str, str]:
    settings = {
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "TELEGRAM_BOT_TOKEN": tg.token,
        "DATABASE_URL": sqlite_url(tmp_path / "x.db"),
        "ROTABOT_ADMIN_IDS": "999001, 999002",
    }
    settings.update(over)
    return clean_env(tmp_path, **settings)


async def test_check_all_good(tmp_path: Path, tg: FakeTelegram) -> None:
    env = _check_env(tmp_path, tg)
    await migrate(env["DATABASE_URL"])

    result = await rotabot_async("check", env=env, cwd=tmp_path)
    assert result.code == 0, result.describe()
    out = result.stdout
    assert f"@{tg.bot_username}" in out
    assert f"template: {example_template_path()}" in out
    assert "session wednesday: weekday 2 19:00-23:00" in out
    assert "walker (8)" in out
    assert "time zone: Europe/London" in out
    assert "coordinators from ROTABOT_ADMIN_IDS: 2" in out
    assert f"database: revision {HEAD}" in out
    assert out.rstrip().endswith("all good")
    assert result.error_lines() == []
    assert "Traceback" not in result.stderr
    assert [c.method for c in tg.calls] == ["getMe"]


async def test_check_warns_when_nobody_is_a_coordinator(tmp_path: Path, tg: FakeTelegram) -> None:
    env = _check_env(tmp_path, tg, ROTABOT_ADMIN_IDS="")
    await migrate(env["DATABASE_URL"])
    result = await rotabot_async("check", env=env, cwd=tmp_path)
    assert result.code == 0, result.describe()
    assert "warning: nobody is a coordinator yet; set ROTABOT_ADMIN_IDS" in result.stdout


async def test_check_on_a_new_sqlite_file_says_run_will_create_it(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """The README's order (check, then run) works for a new user: check only looks."""
    env = _check_env(tmp_path, tg)
    result = await rotabot_async("check", env=env, cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert "does not exist yet; `rotabot run` creates it" in result.stdout
    assert "all good" in result.stdout
    assert not (tmp_path / "x.db").exists()  # nothing created by looking


async def test_check_on_an_empty_sqlite_file_says_run_will_upgrade_it(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    env = _check_env(tmp_path, tg)
    (tmp_path / "x.db").touch()
    result = await rotabot_async("check", env=env, cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert "`rotabot run` brings it up to date" in result.stdout
    assert "alembic_version" not in tables(tmp_path / "x.db")


async def test_check_wrong_token(tmp_path: Path, tg: FakeTelegram) -> None:
    wrong = "987654:WrongTokenWrongTokenWrongToken"
    env = _check_env(tmp_path, tg, TELEGRAM_BOT_TOKEN=wrong)
    await migrate(env["DATABASE_URL"])
    result = await rotabot_async("check", env=env, cwd=tmp_path)
    line = assert_one_line_error(result, 1, "TELEGRAM_BOT_TOKEN")
    assert line.startswith("rotabot: TELEGRAM_BOT_TOKEN")
    assert [c.status for c in tg.calls] == [401]
    # The token is a secret ("whoever has it controls the bot"): never echo it to the logs.
    assert wrong not in result.stdout + result.stderr
    assert "all good" not in result.stdout


async def test_run_with_a_wrong_token(tmp_path: Path, tg: FakeTelegram) -> None:
    """The most likely first-run mistake gets the same one line as in `check`."""
    wrong = "987654:WrongTokenWrongTokenWrongToken"
    env = _check_env(tmp_path, tg, TELEGRAM_BOT_TOKEN=wrong)
    result = await rotabot_async("run", env=env, cwd=tmp_path)
    line = assert_one_line_error(result, 1, "TELEGRAM_BOT_TOKEN")
    assert line.startswith("rotabot: TELEGRAM_BOT_TOKEN")
    assert wrong not in result.stdout + result.stderr
