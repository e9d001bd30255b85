"""The `rotabot` command: run, db upgrade, check. The only place that reads os.environ."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from dotenv import dotenv_values
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, User
from telegram.error import InvalidToken, TelegramError

from bot.config import ConfigError, Settings
from rota.clock import SystemClock
from rota.storage.engine import create_engine, is_sqlite, normalise_url
from rota.storage.migrate import current_revision, head_revision, upgrade
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory

log = logging.getLogger("rotabot")

DESCRIPTION = """rotabot: a Telegram bot for the street-outreach rota and the safety of walking
pairs. Settings come from the environment and from a .env file in the current directory
(see .env.example)."""


class CliError(Exception):
    """A problem to report in one line, with an exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def load_env(env_file: Path) -> dict[str, str]:
    """The process environment over the .env file: a real variable always wins."""
    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    values.update(os.environ)
    return values


def _settings(env: Mapping[str, str], *, require_token: bool = True) -> Settings:
    try:
        settings = Settings.from_env(env, require_token=require_token)
    except ConfigError as err:
        raise CliError(str(err), code=2) from None
    try:
        normalise_url(settings.database_url)  # the full parse needs SQLAlchemy, so it is here
    except ValueError as err:  # e.g. postgresql://u@host:port/db: SQLAlchemy's int() fails
        raise CliError(f"DATABASE_URL: not a database URL SQLAlchemy can read: {err}", 2) from None
    return settings


def _brief(err: Exception) -> str:
    """The first line of a database error: SQLAlchemy appends "(Background on ...)" lines."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else err.__class__.__name__


async def _identity(settings: Settings) -> User:
    """Ask Telegram who the bot is (getMe); the token is never repeated in the message."""
    assert settings.token is not None
    bot = Bot(settings.token, base_url=settings.api_base_url)
    try:
        async with bot:
            return bot.bot
    except InvalidToken:
        raise CliError(
            "TELEGRAM_BOT_TOKEN: Telegram rejected the token (401 Unauthorized); copy it again "
            "from @BotFather"
        ) from None
    except TelegramError as err:
        detail = str(err).replace(settings.token, "<token>")
        raise CliError(
            f"TELEGRAM_BOT_TOKEN: Telegram refused the token or could not be reached: {detail}"
        ) from None


async def _let_sqlite_threads_end(url: str, before: set[threading.Thread]) -> None:
    """Keep the loop running until the SQLite worker threads started since `before` have ended.

    aiosqlite (0.22) stops the thread of a connection that failed to open (a missing folder,
    no permission) without waiting for it; if asyncio.run closes the loop first, that thread
    dies with "Event loop is closed" and prints a traceback after our one-line error.
    """
    if not is_sqlite(normalise_url(url)):
        return
    started = [t for t in threading.enumerate() if t not in before]

    def join() -> None:
        for thread in started:
            thread.join(timeout=2.0)

    if started:
        await asyncio.to_thread(join)


async def _prepare_database(settings: Settings, *, auto_upgrade: bool) -> str:
    """Migrate an embedded SQLite database; refuse to run a server database that lags."""
    threads = set(threading.enumerate())
    engine = create_engine(settings.database_url)
    try:
        if auto_upgrade and is_sqlite(normalise_url(settings.database_url)):
            await upgrade(engine)
        current, head = await current_revision(engine), head_revision()
        if current != head:
            raise CliError(
                f"DATABASE_URL: the database is at revision {current or 'none'} but this "
                f"version needs {head}: run `rotabot db upgrade` first"
            )
        return current or ""
    except SQLAlchemyError as err:
        raise CliError(
            f"DATABASE_URL: cannot use the database: {err.__class__.__name__}: {_brief(err)}"
        ) from None
    except OSError as err:
        raise CliError(f"DATABASE_URL: cannot reach the database: {err}") from None
    finally:
        await engine.dispose()
        await _let_sqlite_threads_end(settings.database_url, threads)


def _database_state(settings: Settings) -> str:
    """What `check` says about the database; an embedded one `run` will create or migrate."""
    url = normalise_url(settings.database_url)
    if is_sqlite(url):
        path = Path(url.database or "")
        if not path.exists():
            return f"{path} does not exist yet; `rotabot run` creates it"
        try:
            return f"revision {asyncio.run(_prepare_database(settings, auto_upgrade=False))}"
        except CliError:
            return f"{path} is behind this version; `rotabot run` brings it up to date"
    revision = asyncio.run(_prepare_database(settings, auto_upgrade=False))
    return f"revision {revision} (up to date)"


def cmd_run(env: Mapping[str, str]) -> int:
    """Run the bot with long polling until Ctrl+C."""
    from bot.app import ALLOWED_UPDATES, build_application  # late: `check` and `db` stay light

    settings = _settings(env)
    asyncio.run(_prepare_database(settings, auto_upgrade=True))
    me = asyncio.run(_identity(settings))  # a wrong token: one line, not PTB's traceback
    engine = create_engine(settings.database_url)
    app = build_application(
        settings,
        clock=SystemClock(),
        uow=SqlAlchemyUnitOfWorkFactory(engine),
        on_stop=engine.dispose,
    )
    log.info(
        "starting as @%s; template %s, zone %s",
        me.username,
        settings.template_path,
        settings.timezone,
    )
    try:
        app.run_polling(allowed_updates=ALLOWED_UPDATES)
    except InvalidToken:  # revoked between the check above and the start
        raise CliError("TELEGRAM_BOT_TOKEN: Telegram rejected the token") from None
    except TelegramError as err:
        raise CliError(f"TELEGRAM_BOT_TOKEN: could not start: {err}") from None
    return 0


def cmd_db_upgrade(env: Mapping[str, str]) -> int:
    """Apply the schema migrations to DATABASE_URL."""
    settings = _settings(env, require_token=False)

    async def go() -> str | None:
        threads = set(threading.enumerate())
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            return await current_revision(engine)
        except SQLAlchemyError as err:
            raise CliError(f"DATABASE_URL: migration failed: {_brief(err)}") from None
        except OSError as err:  # asyncpg's refused connection is not wrapped by SQLAlchemy
            raise CliError(f"DATABASE_URL: cannot reach the database: {err}") from None
        finally:
            await engine.dispose()
            await _let_sqlite_threads_end(settings.database_url, threads)

    print(f"database is at revision {asyncio.run(go())} (newest)")
    return 0


def cmd_check(env: Mapping[str, str]) -> int:
    """Validate settings, template and database, and ask Telegram who the bot is."""
    settings = _settings(env)
    template = settings.template
    print(f"template: {settings.template_path}")
    for spec in template.sessions:
        print(f"  session {spec.key}: weekday {spec.weekday} {spec.start:%H:%M}-{spec.end:%H:%M}")
    roles = ", ".join(f"{r.key} ({r.capacity})" for r in template.roles)
    print(f"  roles: {roles}")
    print(f"time zone: {settings.timezone}")
    print(f"coordinators from ROTABOT_ADMIN_IDS: {len(settings.admin_ids)}")
    if not settings.admin_ids:
        print("  warning: nobody is a coordinator yet; set ROTABOT_ADMIN_IDS")
    print(f"database: {_database_state(settings)}")

    me = asyncio.run(_identity(settings))
    print(f"bot: @{me.username} ({me.first_name}, id {me.id})")
    print("all good")
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser, with --help for every subcommand."""
    top = argparse.ArgumentParser(prog="rotabot", description=DESCRIPTION)
    top.add_argument(
        "--env-file", type=Path, default=Path(".env"), help="settings file (default .env)"
    )
    top.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser(
        "run",
        help="run the bot (long polling)",
        description="Run the bot with long polling. An embedded SQLite database is created or "
        "migrated on start; a PostgreSQL database must be migrated with `rotabot db upgrade`.",
    )
    db = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser(
        "upgrade",
        help="apply schema migrations to DATABASE_URL",
        description="Apply every schema migration to the database named by DATABASE_URL.",
    )
    sub.add_parser(
        "check",
        help="validate the settings and template, and show the bot's identity",
        description="Validate the settings, the rota template and the database, then ask "
        "Telegram who the bot is (getMe). Exits non-zero with one clear line on any problem.",
    )
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rotabot` console script."""
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    env = load_env(args.env_file)
    commands = {"run": cmd_run, "check": cmd_check}
    try:
        if args.command == "db":
            return cmd_db_upgrade(env)
        return commands[args.command](env)
    except CliError as err:
        print(f"rotabot: {' '.join(str(err).splitlines())}", file=sys.stderr)
        return err.code
    except KeyboardInterrupt:
        return 130
