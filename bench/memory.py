"""Peak RSS of the bot with N active pairs, and its growth per extra 1,000 pairs.

Why a child process: the fake Telegram keeps every message it was sent (thousands of prompts),
so in one process its memory would be counted as the bot's. Here the parent seeds the night
(bench/world.py), serves the fake Telegram and plays the people; bench/memory_child.py runs
the real bot and reports its own VmHWM (peak RSS). The night: every pair walking, check-in 1's
prompts fire at the bot's start + 5 s and are all delivered, then a coordinator sends /tonight
and gets the board; the child then stops and reports.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dtm
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.clock import ShiftedClock
from bench.dbs import fresh_db, pg_available
from bench.results import Result
from bench.running import strict_fake
from bench.world import World, build_world

NAME = "memory"
HELP = "peak RSS of the bot process with N active pairs; growth per 1,000 more pairs"
FULL = [1000, 2000]
QUICK = [10, 20]
GOAL_MB = 150.0
ROOT = Path(__file__).resolve().parent.parent


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--memory-pairs",
        type=int,
        action="append",
        help=f"night sizes (default {FULL}; quick {QUICK})",
    )


async def run(args: argparse.Namespace) -> list[Result]:
    sizes: list[int] = getattr(args, "memory_pairs", None) or (QUICK if args.quick else FULL)
    results: list[Result] = []
    # The bot's memory hardly depends on the database's driver, and a full night's prompts
    # take minutes at Telegram's pace: a run of everything measures it on one database
    # (SQLite, the embedded default, whose engine lives in the bot's process).
    kinds = args.dbs if args.quick else args.dbs[:1]  # --db postgresql chooses that one
    for kind in kinds:
        if kind == "postgresql" and not await pg_available():
            results.append(
                Result(NAME, {"db": kind}, {}, note="PostgreSQL not reachable: skipped")
            )
            continue
        peaks: dict[int, float] = {}
        if args.quick:  # each night's bot is its own process: running them side by side
            rows = await asyncio.gather(*(measure(kind, p, quick=True) for p in sorted(sizes)))
        else:  # changes no peak, only the time (the full sizes are kept apart all the same)
            rows = [await measure(kind, p, quick=False) for p in sorted(sizes)]
        for pairs, row in zip(sorted(sizes), rows, strict=True):
            peak = row.metrics.get("peak_rss_mb")
            if isinstance(peak, float):
                peaks[pairs] = peak
            results.append(row)
        if len(peaks) >= 2:
            (a, pa), (b, pb) = sorted(peaks.items())[0], sorted(peaks.items())[-1]
            results.append(
                Result(
                    measurement=NAME,
                    params={"db": kind, "growth_between": f"{a}-{b} pairs"},
                    metrics={"growth_mb_per_1000_pairs": round((pb - pa) * 1000 / (b - a), 1)},
                    note="linear estimate from the two sizes measured",
                )
            )
    return results


async def _prompts_delivered(world: World, limit_s: float, poll_s: float) -> int:
    """Wait until every walker has had check-in 1's prompt; returns how many have."""
    deadline = time.monotonic() + limit_s
    while True:
        got = sum(
            1
            for person in world.walkers
            if any(
                "ci:o:" in (b.callback_data or "")
                for m in world.user(person).messages()
                for row in m.buttons
                for b in row
            )
        )
        if got == len(world.walkers) or time.monotonic() > deadline:
            return got
        await asyncio.sleep(poll_s)


async def measure(kind: str, pairs: int, *, quick: bool) -> Result:
    async with fresh_db(kind) as db:
        world = await build_world(db, pairs)
        await world.deliver_pending(world.starts_at)
        start = world.due(1) - dtm.timedelta(seconds=2 if quick else 5)
        clock = ShiftedClock(start)
        async with strict_fake(clock) as tg:
            world.attach(tg)
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p
            )
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.memory_child",
                "--kind", kind,
                "--url", db.url,
                "--kwargs", json.dumps(db.kwargs),
                "--start", start.isoformat(),
                "--token", tg.token,
                "--base-url", tg.base_url,
                "--pairs", str(pairs),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                env=env,
                cwd=str(ROOT),
            )  # fmt: skip
            assert child.stdin is not None
            assert child.stdout is not None
            try:
                await asyncio.wait_for(child.stdout.readline(), timeout=120)  # ready
                delivered = await _prompts_delivered(
                    world, limit_s=60 + 2 * pairs / 25, poll_s=0.25 if quick else 1.0
                )
                admin = world.user(world.admin)
                before = len(admin.messages())
                await admin.send("/tonight")
                try:
                    await admin.wait_for_count(before + 1, timeout=60)
                    tonight = True
                except (AssertionError, TimeoutError):
                    tonight = False
                await asyncio.sleep(0.5 if quick else 2.0)
                child.stdin.write(b"stop\n")
                await child.stdin.drain()
                line = await asyncio.wait_for(child.stdout.readline(), timeout=60)
                await asyncio.wait_for(child.wait(), timeout=30)
            finally:
                if child.returncode is None:
                    child.kill()
                    await child.wait()
    report: dict[str, Any] = json.loads(line)
    peak_mb = report["vmhwm_kb"] / 1024
    return Result(
        measurement=NAME,
        params={"db": kind, "pairs": pairs},
        metrics={
            "peak_rss_mb": round(peak_mb, 1),
            "rss_after_start_mb": round(report["rss_start_kb"] / 1024, 1),
            "rss_end_mb": round(report["rss_end_kb"] / 1024, 1),
            "prompts_delivered": delivered,
            "walkers": len(world.walkers),
            "tonight_answered": tonight,
        },
        goal=f"< {GOAL_MB:.0f} MB at 1,000 pairs" if pairs == 1000 else "",
        met=(peak_mb < GOAL_MB) if pairs == 1000 else None,
        note="VmHWM of the bot process; the fake Telegram runs in the parent",
    )
