"""Escalation lateness: P pairs all miss the same check-in; how late does each alert arrive?

Method: the world (bench/world.py) at "check-in 1 prompted and reminded, delivered; the
escalation of every pair due at T"; the real bot starts with a ShiftedClock at T - lead-in
(default 8 s, so start-up work — reachability probe, session sync — settles first). The
lateness of a pair's escalation is the arrival (time.monotonic at the fake server) of the
first message in the on-call coordinator's chat naming one of the pair's walkers, minus the
monotonic time at which the clock showed T. Names are matched in the text (Walker0001...), so
merged alerts naming many pairs count for each of them.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dtm
import re
import time
from typing import Any

from bench.clock import ShiftedClock
from bench.dbs import fresh_db, pg_available
from bench.results import Result, percentile, send_floor
from bench.running import Arrivals, running_bot, strict_fake
from bench.world import World, build_world

NAME = "escalation"
HELP = "time from each missed check-in's escalation due moment to the fake Telegram receiving it"
FULL = [1, 10, 100, 1000]
QUICK = [10]  # the quick run only keeps the harness working (CI: under a minute in all)
QUICK_LEAD_IN = 2.0  # seconds: enough for the start-up work of a small night
WALKER = re.compile(r"Walker\d{4}")
GOAL_SMALL = "p99 <= 2 s after due"
GOAL_LARGE = "p99 <= 1.2 x floor"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pairs",
        type=int,
        action="append",
        help=f"pairs missing the same check-in (repeatable; default {FULL}, quick {QUICK})",
    )
    parser.add_argument(
        "--lead-in",
        type=float,
        default=None,
        help="seconds between the bot's start and the escalations' due moment (default 8; "
        "quick 3)",
    )
    parser.add_argument(
        "--escalation-timeout",
        type=float,
        default=None,
        help="seconds after due to wait for every escalation (default 30 + 3 x P/30)",
    )


async def run(args: argparse.Namespace) -> list[Result]:
    sizes: list[int] = getattr(args, "pairs", None) or (QUICK if args.quick else FULL)
    results: list[Result] = []
    for kind in args.dbs:
        if kind == "postgresql" and not await pg_available():
            results.append(
                Result(NAME, {"db": kind}, {}, note="PostgreSQL not reachable: skipped")
            )
            continue
        for pairs in sizes:
            results.append(await measure(kind, pairs, args))
    return results


async def measure(kind: str, pairs: int, args: argparse.Namespace) -> Result:
    """One row: P pairs on one database."""
    lead_in: float = getattr(args, "lead_in", None) or (QUICK_LEAD_IN if args.quick else 8.0)
    timeout: float | None = getattr(args, "escalation_timeout", None)
    if timeout is None:
        timeout = 30.0 + 3 * pairs / 30
    async with fresh_db(kind) as db:
        began = time.perf_counter()
        world = await build_world(db, pairs)
        await world.advance(1)
        setup = time.perf_counter() - began
        due = world.escalate_at(1)
        clock = ShiftedClock(due - dtm.timedelta(seconds=lead_in))
        arrivals = Arrivals()
        async with strict_fake(clock) as tg:
            world.attach(tg)
            tg.observers.append(arrivals.observe)
            started = time.perf_counter()
            async with running_bot(tg, db, world.config, clock):
                start_up = time.perf_counter() - started
                due_mono = clock.real_time_at(due)
                tail = 0.5 if args.quick else 1.5
                first = await _wait_all(world, arrivals, due_mono, timeout, tail)
                late_429 = list(tg.rate_limited)
                # Messages that land while the bot stops are not part of the window measured.
                window = Arrivals(sent=list(arrivals.sent))
                stopping = time.perf_counter()
            stop_s = time.perf_counter() - stopping
    row = _row(kind, world, window, first, due_mono, late_429, setup, start_up, timeout)
    # A bot still firing escalations when asked to stop finishes its tick first.
    row.metrics["bot_stop_s"] = round(stop_s, 2)
    return row


def _pairs_named(world: World) -> dict[str, int]:
    """Walker name -> pair number."""
    return {name: p.number for p in world.pairs for name in p.names}


def _first_arrivals(world: World, arrivals: Arrivals, since: float) -> dict[int, float]:
    """Pair number -> first arrival in the on-call's chat naming one of its walkers."""
    named = _pairs_named(world)
    first: dict[int, float] = {}
    for at, message in arrivals.to_chat(world.oncall.telegram_id):
        if at < since:
            continue
        for name in WALKER.findall(message.text or ""):
            number = named.get(name)
            if number is not None and number not in first:
                first[number] = at
    return first


async def _wait_all(
    world: World, arrivals: Arrivals, due_mono: float, wait_s: float, tail_s: float
) -> dict[int, float]:
    """Poll until every pair's escalation reached the on-call, or `wait_s` after due."""
    deadline = due_mono + wait_s
    since = due_mono - 5.0  # a message naming a walker before due would be a bug; keep it
    while True:
        first = _first_arrivals(world, arrivals, since)
        if len(first) == len(world.pairs) or time.monotonic() > deadline:
            await asyncio.sleep(tail_s)  # let follow-ups (other coordinators' copies) land
            return _first_arrivals(world, arrivals, since)
        await asyncio.sleep(0.2)


def _row(
    kind: str,
    world: World,
    arrivals: Arrivals,
    first: dict[int, float],
    due_mono: float,
    rate_limited: list[tuple[str, Any]],
    setup: float,
    start_up: float,
    timeout: float,
) -> Result:
    pairs = len(world.pairs)
    lateness = [first[p.number] - due_mono for p in world.pairs if p.number in first]
    missing = pairs - len(lateness)
    # Alert messages actually sent: anything after due - 1 s naming a walker or saying
    # MISSED (the merged form may not name everyone).
    per_chat: dict[int, int] = {}
    to_oncall = 0
    for at, message in arrivals.sent:
        text = message.text or ""
        if at < due_mono - 1.0:
            continue
        if WALKER.search(text) or "MISSED" in text.upper():
            per_chat[message.chat_id] = per_chat.get(message.chat_id, 0) + 1
            if message.chat_id == world.oncall.telegram_id:
                to_oncall += 1
    floor = send_floor(per_chat)
    metrics: dict[str, Any] = {
        "escalations": pairs,
        "arrived": len(lateness),
        "missing": missing,
        "p50_s": round(percentile(lateness, 50), 3) if lateness else None,
        "p99_s": round(percentile(lateness, 99), 3) if lateness else None,
        "max_s": round(max(lateness), 3) if lateness else None,
        "alert_messages": sum(per_chat.values()),
        "to_oncall": to_oncall,
        "floor_s": round(floor, 3),
        "unmerged_floor_s": float(max(pairs - 1, pairs / 30)),
        "ratio_p99_to_floor": None,
        "http_429": len(rate_limited),
        "setup_s": round(setup, 2),
        "bot_start_s": round(start_up, 2),
    }
    p99 = metrics["p99_s"]
    if p99 is not None and floor > 0:
        metrics["ratio_p99_to_floor"] = round(p99 / floor, 2)
    if pairs <= 100:
        goal = GOAL_SMALL
        met = missing == 0 and p99 is not None and p99 <= 2.0
    else:
        goal = GOAL_LARGE
        # A floor under 1 s (merged alerts) is not a fair yardstick: allow the 2 s bound too.
        bound = max(1.2 * floor, 2.0)
        met = missing == 0 and p99 is not None and p99 <= bound
    note = "messages per coordinator chat: " + ", ".join(
        f"{chat}={n}" for chat, n in sorted(per_chat.items())
    )
    if missing:
        note += f"; {missing} escalation(s) had not arrived {timeout:.0f} s after due (failure)"
    return Result(
        measurement=NAME,
        params={"db": kind, "pairs": pairs},
        metrics=metrics,
        goal=goal,
        met=met,
        note=note,
        extra={"per_chat": {str(k): v for k, v in per_chat.items()}, "lateness": lateness},
    )
