"""The `rotabot` command: run, db upgrade, check, report, export, privacy purge, demo. The only
place that reads os.environ."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dtm
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from dotenv import dotenv_values

from bot.config import ConfigError, Settings
from rota.kernel.clock import SystemClock
from rota.kernel.durations import format_duration
from rota.kernel.errors import InvalidInput
from rota.kernel.localtime import LocalTimeError, local_today, parse_date

# PTB, SQLAlchemy, Alembic and the report stack are imported by the commands that use them
# (each costs most of a second of CPU to import): `--help` and a settings error need none.
if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine
    from telegram import User

    from rota.privacy import retention
    from rota.storage.uow import SqlAlchemyUnitOfWorkFactory

log = logging.getLogger("rotabot")
CurrentRevision = Callable[["AsyncEngine"], Awaitable[str | None]]
HeadRevision = Callable[[], str | None]
Upgrade = Callable[["AsyncEngine"], Awaitable[None]]
T = TypeVar("T")
EXPORT_FORMATS = ("csv", "ics")
EXPORT_DAYS = 42  # `export rota` without --to: six weeks
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

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
    from bot.logprivacy import protect_logs

    try:
        settings = Settings.from_env(env, require_token=require_token)
    except ConfigError as err:
        raise CliError(str(err), code=2) from None
    from rota.storage.engine import normalise_url  # SQLAlchemy: only once the settings parse

    protect_logs(settings.token)  # redacted by value too, whatever its shape
    try:
        normalise_url(settings.database_url)  # the full parse needs SQLAlchemy, so it is here
    except ValueError as err:  # e.g. postgresql://u@host:port/db: SQLAlchemy's int() fails
        raise CliError(f"DATABASE_URL: not a database URL SQLAlchemy can read: {err}", 2) from None
    return settings


def _migrations() -> tuple[CurrentRevision, HeadRevision, Upgrade]:
    """rota.storage.migrate's current_revision, head_revision and upgrade, imported late.

    Alembic logs its plugin set-up at INFO when first imported; imported at the top of this
    module that happened before logging was configured, unseen, and so it stays.
    """
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(logging.WARNING)
    try:
        from rota.storage import migrate
    finally:
        alembic_log.setLevel(level)
    return migrate.current_revision, migrate.head_revision, migrate.upgrade


def _brief(err: Exception) -> str:
    """The first line of a database error: SQLAlchemy appends "(Background on ...)" lines."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else err.__class__.__name__


async def _identity(settings: Settings) -> User:
    """Ask Telegram who the bot is (getMe); the token is never repeated in the message."""
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

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
    from rota.storage.engine import is_sqlite, normalise_url

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
    from sqlalchemy.exc import SQLAlchemyError

    from rota.storage.engine import create_engine, is_sqlite, normalise_url

    current_revision, head_revision, upgrade = _migrations()

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
    from rota.storage.engine import is_sqlite, normalise_url

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


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)  # as PTB's run_polling


async def _serve(settings: Settings) -> None:
    """Run the bot (bot.app.start_app, as the demo and tests do) until a stop signal.

    PTB's run_polling would own the event loop; here the signals only set an event, so the
    stop runs start_app's own shutdown: polling stopped, a running sweep let finish, the
    application stopped, then the database engine disposed.
    """
    from bot.app import start_app  # late: `check` and `db` stay light
    from rota.storage.engine import create_engine
    from rota.storage.uow import SqlAlchemyUnitOfWorkFactory

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    engine = create_engine(settings.database_url)
    try:
        async with start_app(
            settings, clock=SystemClock(), uow=SqlAlchemyUnitOfWorkFactory(engine)
        ):
            await stop.wait()
            log.info("stopping")
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
        await engine.dispose()


def cmd_run(env: Mapping[str, str]) -> int:
    """Run the bot with long polling until Ctrl+C (or SIGTERM)."""
    from telegram.error import InvalidToken, TelegramError

    settings = _settings(env)
    asyncio.run(_prepare_database(settings, auto_upgrade=True))
    me = asyncio.run(_identity(settings))  # a wrong token: one line, not PTB's traceback
    log.info(
        "starting as @%s; template %s, zone %s",
        me.username,
        settings.template_path,
        settings.timezone,
    )
    try:
        asyncio.run(_serve(settings))
    except InvalidToken:  # revoked between the check above and the start
        raise CliError("TELEGRAM_BOT_TOKEN: Telegram rejected the token") from None
    except TelegramError as err:
        raise CliError(f"TELEGRAM_BOT_TOKEN: could not start: {err}") from None
    return 0


def cmd_db_upgrade(env: Mapping[str, str]) -> int:
    """Apply the schema migrations to DATABASE_URL."""
    settings = _settings(env, require_token=False)
    from sqlalchemy.exc import SQLAlchemyError

    from rota.storage.engine import create_engine

    current_revision, _, upgrade = _migrations()

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


def _readable_by_others(settings: Settings) -> list[Path]:
    """The SQLite file (and its -wal, -shm) if its group or others have any access to it.

    It holds phone numbers and where people walked; `rotabot run` creates it 0600, but an
    older or copied file may be 0644.
    """
    from rota.storage.engine import is_sqlite, normalise_url

    url = normalise_url(settings.database_url)
    if not is_sqlite(url) or not url.database or url.database == ":memory:":
        return []
    main = Path(url.database)
    files = [main, *(main.with_name(main.name + end) for end in ("-wal", "-shm", "-journal"))]
    exposed = []
    for file in files:
        try:
            mode = file.stat().st_mode
        except OSError:
            continue
        if mode & 0o077:
            exposed.append(file)
    return exposed


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
    exposed = _readable_by_others(settings)
    if exposed:
        names = " ".join(str(f) for f in exposed)
        print(f"  warning: other users of this machine can read {names}; run chmod 600 {names}")

    me = asyncio.run(_identity(settings))
    print(f"bot: @{me.username} ({me.first_name}, id {me.id})")
    print("all good")
    return 0


def _read_database(
    settings: Settings, work: Callable[[SqlAlchemyUnitOfWorkFactory], Awaitable[T]]
) -> T:
    """Run a read-only use case against DATABASE_URL, which must exist and be up to date.

    A missing SQLite file is refused rather than created empty.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from rota.storage.engine import create_engine, is_sqlite, normalise_url

    current_revision, head_revision, _ = _migrations()
    from rota.storage.uow import SqlAlchemyUnitOfWorkFactory

    url = normalise_url(settings.database_url)
    if is_sqlite(url) and not Path(url.database or "").exists():
        raise CliError(
            f"DATABASE_URL: {url.database} does not exist; `rotabot run` creates the database"
        )

    async def go() -> T:
        threads = set(threading.enumerate())
        engine = create_engine(settings.database_url)
        try:
            current, head = await current_revision(engine), head_revision()
            if current != head:
                raise CliError(
                    f"DATABASE_URL: the database is at revision {current or 'none'} but this "
                    f"version needs {head}: run `rotabot db upgrade` first"
                )
            return await work(SqlAlchemyUnitOfWorkFactory(engine))
        except SQLAlchemyError as err:
            raise CliError(
                f"DATABASE_URL: cannot read the database: {err.__class__.__name__}: {_brief(err)}"
            ) from None
        except OSError as err:
            raise CliError(f"DATABASE_URL: cannot reach the database: {err}") from None
        finally:
            await engine.dispose()
            await _let_sqlite_threads_end(settings.database_url, threads)

    return asyncio.run(go())


def _write(path: Path, data: bytes, option: str) -> None:
    try:
        path.write_bytes(data)
    except OSError as err:
        raise CliError(f"{option}: cannot write {path}: {err.strerror or err}") from None


def cmd_report(env: Mapping[str, str], args: argparse.Namespace) -> int:
    """Print a month's report; with --csv / --png also write it as a CSV and a chart."""
    from bot import texts
    from bot.reports import chart, exports
    from bot.reports import texts as report_texts
    from rota.reports import services as reports

    if args.month is not None:
        try:
            reports.parse_month(args.month)
        except InvalidInput as err:
            raise CliError(f"--month: {texts.refusal_plain(err)}", code=2) from None
    settings = _settings(env, require_token=False)
    zone = settings.timezone
    now = SystemClock().now()
    month = args.month or reports.month_of(now, zone).key
    report = _read_database(
        settings,
        lambda uow: reports.monthly_report(
            uow(), month=month, now=now, plan=settings.template.checkins
        ),
    )
    print(report_texts.report_table(report, zone))
    if args.csv is not None:
        _write(args.csv, exports.report_csv(report), "--csv")
        print(f"wrote {args.csv}")
    if args.png is not None:
        _write(args.png, chart.report_png(report), "--png")
        print(f"wrote {args.png}")
    return 0


def _day(text: str, option: str) -> dtm.date:
    try:
        return parse_date(text)
    except LocalTimeError as err:
        from bot import texts

        raise CliError(f"{option}: {texts.refusal_plain(err)}", code=2) from None


def cmd_export(env: Mapping[str, str], args: argparse.Namespace) -> int:
    """Export the rota (sessions with roles and names) between two dates, as CSV or .ics."""
    from bot import texts
    from bot.reports import exports
    from rota.reports import services as reports
    from rota.roster import calendar as ics

    if args.format not in EXPORT_FORMATS:
        raise CliError(
            f"--format: {args.format!r} is not a format; use one of {', '.join(EXPORT_FORMATS)}",
            code=2,
        )
    first = _day(args.date_from, "--from") if args.date_from is not None else None
    last = _day(args.date_to, "--to") if args.date_to is not None else None
    settings = _settings(env, require_token=False)
    zone = settings.timezone
    now = SystemClock().now()
    first = first or local_today(now, zone)
    last = last or first + dtm.timedelta(days=EXPORT_DAYS - 1)
    try:
        first, last = reports.parse_range(first.isoformat(), last.isoformat())
    except InvalidInput as err:
        raise CliError(f"--from/--to: {texts.refusal_plain(err)}", code=2) from None
    boards = _read_database(
        settings, lambda uow: reports.rota_between(uow(), first=first, last=last)
    )
    if args.format == "csv":
        data = exports.rota_csv(boards, zone)
    else:
        data = ics.build_ics(ics.rota_events(boards), name="Outreach rota", stamp=now)
    if args.out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        _write(args.out, data, "--out")
        print(f"wrote {len(boards)} session(s) from {first} to {last} to {args.out}")
    return 0


def purge_table(report: retention.PurgeReport, *, dry_run: bool) -> str:
    """The purge's counts, one line per table and kind of data, for the console."""
    head = "would remove" if dry_run else "removed"
    rows = report.as_lines()
    width = max(len(what) for _, what, _ in rows)
    lines = [f"{'table':<11} {'what':<{width}} {head}"]
    lines += [f"{table:<11} {what:<{width}} {count}" for table, what, count in rows]
    if dry_run:
        lines.append(
            f"dry run: nothing was changed; {report.total} rows would be removed or wiped"
        )
    else:
        lines.append(f"{report.total} rows removed or wiped")
    return "\n".join(lines)


def cmd_privacy_purge(env: Mapping[str, str], args: argparse.Namespace) -> int:
    """Apply the template's [retention] periods now, as the nightly job does; or only count."""
    from rota.privacy import retention

    settings = _settings(env, require_token=False)
    now = SystemClock().now()
    report = _read_database(
        settings,
        lambda uow: retention.purge(
            uow, policy=settings.template.retention, now=now, dry_run=args.dry_run
        ),
    )
    policy = settings.template.retention
    periods = ", ".join(
        f"{f.name} {format_duration(getattr(policy, f.name))}" for f in fields(policy)
    )
    print(f"retention ({settings.template_path}): {periods}")
    print(purge_table(report, dry_run=args.dry_run))
    return 0


MAX_SPEED = 100.0


def _speed(text: str) -> float:
    try:
        speed = float(text)
    except ValueError:
        raise CliError(f"--speed: {text!r} is not a number; use e.g. 1 or 2.5", code=2) from None
    if not math.isfinite(speed) or speed <= 0 or speed > MAX_SPEED:
        raise CliError(
            f"--speed: {text!r} is out of range; use a number above 0 and at most {MAX_SPEED:g}",
            code=2,
        )
    return speed


def _writable(path: Path, option: str) -> None:
    """Refuse a path the demo could not write at the end, before anything starts."""
    if path.is_dir():
        raise CliError(f"{option}: {path} is a folder, not a file", code=2)
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as err:
        raise CliError(f"{option}: cannot write {path}: {err.strerror or err}", code=2) from None
    if not existed:
        path.unlink()


def _keep_folder(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CliError(f"--keep: cannot create {folder}: {err.strerror or err}", code=2) from None
    if (folder / "rotabot.db").exists():
        raise CliError(f"--keep: {folder / 'rotabot.db'} already exists; choose another", code=2)
    if not os.access(folder, os.W_OK):
        raise CliError(f"--keep: cannot write in {folder}", code=2)
    return folder


def cmd_demo(args: argparse.Namespace) -> int:
    """Play a whole Wednesday night: the real bot against the in-process fake Telegram."""
    from bot.demo import DemoOptions, run_demo  # late: the other commands stay light

    speed = _speed(args.speed)
    if args.html is not None:
        _writable(args.html, "--html")
    keep = _keep_folder(args.keep) if args.keep is not None else None
    options = DemoOptions(seed=args.seed, speed=speed, html=args.html, keep=keep)
    return asyncio.run(run_demo(options, sys.stdout, colour=sys.stdout.isatty()))


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
    report = sub.add_parser(
        "report",
        help="a month's report: sessions, volunteer hours, check-ins, debrief totals",
        description="Print the monthly report for DATABASE_URL: sessions held, volunteer "
        "hours by role, check-ins on time, late and missed, escalations, and the debrief "
        "totals (anonymous counts only). Optionally write it as a CSV and a PNG chart.",
    )
    report.add_argument(
        "--month", metavar="YYYY-MM", help="the month, e.g. 2026-11 (default: this month)"
    )
    report.add_argument("--csv", type=Path, metavar="FILE", help="also write the report as CSV")
    report.add_argument(
        "--png", type=Path, metavar="FILE", help="also write a chart of it as a PNG image"
    )
    export = sub.add_parser(
        "export", help="export data for coordinators", description="Export data."
    )
    export_sub = export.add_subparsers(dest="export_what", required=True, metavar="WHAT")
    rota = export_sub.add_parser(
        "rota",
        help="sessions with their roles and names, as CSV or iCalendar",
        description="Export every session between two local dates (cancelled ones too) with "
        "its roles and the names in them: CSV (one row per session and role) or iCalendar "
        "(.ics, one event per session with the roster in its description).",
    )
    rota.add_argument(
        "--from", dest="date_from", metavar="YYYY-MM-DD", help="first day (default: today)"
    )
    rota.add_argument(
        "--to",
        dest="date_to",
        metavar="YYYY-MM-DD",
        help=f"last day, included (default: {EXPORT_DAYS} days from the first)",
    )
    rota.add_argument("--format", default="csv", metavar="csv|ics", help="csv (default) or ics")
    rota.add_argument("--out", type=Path, metavar="FILE", help="write here instead of stdout")
    privacy = sub.add_parser(
        "privacy", help="personal data housekeeping", description="Personal data housekeeping."
    )
    privacy_sub = privacy.add_subparsers(dest="privacy_command", required=True, metavar="ACTION")
    purge = privacy_sub.add_parser(
        "purge",
        help="delete personal data past the template's [retention] periods now",
        description="Do now what the bot does every night at 03:30: wipe the text of "
        "messages delivered, given up or cancelled longer ago than message_bodies, delete "
        "them after message_rows, delete positions of walks that are over (unless an alert "
        "about the person is still open), wipe the safety log's details and names after "
        "safety_log_details, erase volunteers removed longer ago than removed_volunteers, "
        "and delete old invites. Messages still waiting or being sent are never touched; "
        "the monthly report's counts stay. Prints what it removed per table.",
    )
    purge.add_argument(
        "--dry-run",
        action="store_true",
        help="only count what would be removed; change nothing",
    )
    demo = sub.add_parser(
        "demo",
        help="play a whole Wednesday night on a fake Telegram (no token needed)",
        description="Start the real bot (same handlers, jobs, database code and outbox as "
        "`rotabot run`) against a fake Telegram on 127.0.0.1 with simulated volunteers and a "
        "temporary SQLite database, and play a compressed Wednesday night: invites, sign-ups, "
        "the briefing, check-ins with an escalation, an SOS drill, home safe, the debrief and "
        "the month's report. Prints a transcript and a checklist; exits 0 only if every "
        "expected event happened in order.",
    )
    demo.add_argument("--seed", type=int, default=1, help="who plays what (default 1)")
    demo.add_argument(
        "--speed",
        default="1",
        metavar="X",
        help="scale the pauses between scenes: 2 is twice as fast (above 0, at most 100)",
    )
    demo.add_argument("--html", type=Path, metavar="FILE", help="also write the transcript here")
    demo.add_argument(
        "--keep", type=Path, metavar="DIR", help="keep the database as DIR/rotabot.db"
    )
    return top


def configure_logging(*, verbose: bool, quiet: bool = False) -> None:
    """Log to stderr at INFO (DEBUG with -v, WARNING if quiet), never a secret or what people
    sent: the token is redacted and content replaced by ids and kinds (bot.logprivacy)."""
    from bot.logprivacy import protect_logs

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO,
        format=LOG_FORMAT,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    protect_logs()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rotabot` console script."""
    args = parser().parse_args(argv)
    # The demo's transcript is the output; the bot's log only with -v.
    configure_logging(verbose=args.verbose, quiet=args.command == "demo")
    env = load_env(args.env_file)
    commands = {"run": cmd_run, "check": cmd_check}
    try:
        if args.command == "db":
            return cmd_db_upgrade(env)
        if args.command == "report":
            return cmd_report(env, args)
        if args.command == "export":
            return cmd_export(env, args)
        if args.command == "privacy":
            return cmd_privacy_purge(env, args)
        if args.command == "demo":
            return cmd_demo(args)
        return commands[args.command](env)
    except CliError as err:
        print(f"rotabot: {' '.join(str(err).splitlines())}", file=sys.stderr)
        return err.code
    except KeyboardInterrupt:
        return 130
