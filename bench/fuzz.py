"""The fuzz run at full size (issue 11): 10,000 random hostile updates during a walk.

The engine is tests/e2e/fuzz.py (the test suite runs it small, in CI): the real Application
against the plain fake Telegram (chats unpaced, as in the end-to-end tests: a reply a second
per chat would only make 10,000 updates take hours), one update at a time, each checked before
the next. Figures: updates handled per second (checks included), exceptions, unanswered
presses, stalls (an update not handled within 15 s), changes the rules do not allow, leaks to
groups. The goal is zero of each; a finding is printed with its seed and update, to replay.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from bench.dbs import fresh_db, pg_available
from bench.results import Result
from bot.fake_telegram import FakeTelegram
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.template import parse_template
from tests.conftest import ADMIN_ID, MONDAY_NOON, TEMPLATE, ZONE, DbInfo

NAME = "fuzz"
HELP = "10,000 random hostile updates during a walk: 0 exceptions, every press answered"
GOAL = "0 exceptions, 0 unanswered presses, 0 stalls, 0 changes or leaks the rules forbid"
FULL = 10_000
QUICK = 150  # the world (~4 s) and 150 updates: --quick stays under a minute in all
SEED = 20261202


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--updates",
        type=int,
        default=None,
        help=f"random updates per database (default {FULL:,}; quick {QUICK})",
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"the random seed (default {SEED})")


async def run(args: argparse.Namespace) -> list[Result]:
    count: int = getattr(args, "updates", None) or (QUICK if args.quick else FULL)
    seed: int = getattr(args, "seed", SEED)
    results: list[Result] = []
    for kind in args.dbs:
        if kind == "postgresql" and not await pg_available():
            results.append(Result(NAME, {"db": kind}, {}, note="PostgreSQL not reachable"))
            continue
        report, fake_errors = await _one(kind, seed, count)
        print(report.summary(), flush=True)
        results.append(_result(kind, report, fake_errors))
    return results


def _engine() -> Any:
    """tests/e2e/fuzz.py, loaded at run time: it stands on the end-to-end harness
    (tests/e2e/conftest.py), which mypy's check of bench/ should not take in."""
    return importlib.import_module("tests.e2e.fuzz")


async def _one(kind: str, seed: int, count: int) -> tuple[Any, int]:
    config = RotaConfig(
        template=parse_template(TEMPLATE, source="test.toml"),
        zone=ZONE,
        admin_ids=frozenset({ADMIN_ID}),
    )
    clock = FakeClock(MONDAY_NOON)
    async with fresh_db(kind) as bench_db:
        db = DbInfo(url=bench_db.url, kwargs=bench_db.kwargs)
        tg = FakeTelegram(clock=lambda: clock.now().timestamp())
        await tg.start()
        try:
            engine = _engine()
            async with engine.fuzz_bot(tg, db, config, clock) as bot:
                report = await engine.fuzz(bot, seed=seed, count=count)
        finally:
            await tg.stop()
    return report, len(tg.internal_errors) + len(tg.unknown_calls)


def _result(kind: str, report: Any, fake_errors: int) -> Result:
    distinct = report.distinct()
    metrics: dict[str, Any] = {
        "sent": report.sent,
        "handled": report.handled,
        "presses": report.presses,
        "updates_per_s": round(report.updates_per_s, 1),
        "exceptions": report.exceptions,
        "unanswered": report.unanswered,
        "stalls": report.stalls,
        "violations": report.violations,
        "leaks": report.leaks,
        "distinct_findings": len(distinct),
        "responsive_after": report.responsive,
        "fake_errors": fake_errors,
    }
    found = "; ".join(f"{len(v)}x {k}" for k, v in list(distinct.items())[:8])
    not_delivered = dict(report.not_requested)
    note = (
        f"seed {report.seed}, one update at a time, {report.elapsed_s:.0f} s; "
        f"never delivered: {not_delivered or 'none'} not asked for by the bot, "
        f"{report.not_delivered} in a group the bot had left; "
        f"findings: {found or 'none'}"
    )
    return Result(
        measurement=NAME,
        params={"db": kind, "updates": report.count},
        metrics=metrics,
        goal=GOAL,
        met=report.ok and fake_errors == 0,
        note=note,
        extra={"labels": dict(report.labels), "summary": report.summary()},
    )
