"""Measurement 4: restart recovery. K overdue safety actions wait in the database; the bot
starts; how long until every one has reached Telegram, against the rate-limit floor?

The state is the one a crash in the middle of a walk leaves behind: tonight's walk is on,
K walkers in K/2 pairs, each pair's first check-in fell due a minute ago and nobody has been
prompted. Half the pairs still have their PROMPT timer pending (the bot died before firing
it); the other half had it fired, so their prompts sit in the outbox unsent (the bot died
before delivering). Both recovery paths run: fire_due_timers, then the outbox dispatcher.
One prompt per walker, K distinct private chats, so the floor is K/30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dtm
import time
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.clock import ShiftedClock
from bench.dbs import BenchDb, fresh_db
from bench.results import Result, percentile, send_floor
from bench.running import Arrivals, running_bot, strict_fake, wednesday_after
from bench.seed_people import (
    EARLIER_MILESTONES,
    FirstArrivals,
    add_fake_users,
    make_config,
    role_keys,
    template_toml,
    user_ids,
    wednesday_session,
)
from rota.kernel.config import RotaConfig
from rota.safety.checkin_plan import due_times
from rota.safety.model import TimerKind
from rota.storage import seeding
from rota.storage.tables import OutboxRow
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory

NAME = "recovery"
HELP = "restart with K overdue check-in prompts: time to deliver all vs the 30/s floor"
GOAL = "within 1.2x the floor, zero 429s, zero duplicates"
FULL_K = (100, 10_000)
BIG_K_DB = "postgresql"  # 10,000 only here by default: its floor alone is 333 s
QUICK_K = 60
OVERDUE_BY = dtm.timedelta(minutes=1)
# Stretched from 5m/10m so no reminder or escalation falls due during even a 10,000 run:
# the measurement is of the K overdue prompts, not of what the walk does next.
GRACE, ESCALATE_AFTER = "25m", "28m"
# Past 1.5x the floor the goal is missed anyway; stopping there keeps the 10,000 row (floor
# 333 s) inside the suite's time, and `delivered` still tells how far it got.
GIVE_UP_FLOORS = 1.5
SETTLE_S = 2.0  # after the last expected message, keep watching for duplicates


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--k N (repeatable): run exactly these sizes on every chosen database."""
    parser.add_argument(
        "--k",
        dest="recovery_k",
        type=int,
        action="append",
        metavar="K",
        help="recovery: overdue actions (even; repeatable). Default 100 on each db and "
        "10000 on postgresql; --quick: 60",
    )
    parser.add_argument(
        "--recovery-timeout",
        type=float,
        default=None,
        metavar="S",
        help="recovery: give up waiting after S seconds (default 1.5x the floor + 30 s)",
    )


def plan_runs(args: argparse.Namespace) -> list[tuple[str, int]]:
    """(db, K) pairs to run: explicit --k everywhere, else the issue's sizes."""
    dbs: list[str] = list(args.dbs)
    chosen: list[int] | None = getattr(args, "recovery_k", None)
    if chosen:
        return [(db, k) for k in chosen for db in dbs]
    if args.quick:
        return [(db, QUICK_K) for db in dbs]
    runs = [(db, FULL_K[0]) for db in dbs]
    runs += [(db, k) for k in FULL_K[1:] for db in dbs if db == BIG_K_DB]
    return runs


@dataclass
class Seeded:
    """What the database holds: who must be prompted, by which path, and when it was due."""

    due: dtm.datetime
    people: list[tuple[int, str]]
    via_timer: set[int] = field(default_factory=set)
    via_outbox: set[int] = field(default_factory=set)
    seconds: float = 0.0


async def seed_overdue(db: BenchDb, config: RotaConfig, night: dtm.date, k: int) -> Seeded:
    """A walk in progress with K overdue prompts, seeded in bulk as the services write it.

    The session comes from the real session sync; people, places, briefings, the walk's
    start and the half of the prompts already fired go in through rota/storage/seeding.py
    (10,000 service calls, each a transaction, would take minutes and measure the seeding).
    """
    started = time.monotonic()
    engine = db.engine()
    try:
        uow = SqlAlchemyUnitOfWorkFactory(engine)
        session = await wednesday_session(uow, config, night)
        async with uow() as work:
            role_ids = {r.key: r.id for r in await work.sessions.roles([session.id])}
        dues = due_times(session.starts_at, session.ends_at, config.template.checkins.interval)
        walk_start = session.starts_at + dtm.timedelta(seconds=5)
        people = [(tid, f"Walker {i + 1}") for i, tid in enumerate(user_ids(k))]
        await _before_the_walk(engine, session.id, people, role_ids, config, walk_start)
        async with seeding.transaction(engine) as db_session:
            pairs = await seeding.start_walk(
                db_session, session.id, plan=config.template.checkins, now=walk_start
            )
            # Their walk_started messages went out as the walk began.
            await seeding.mark_outbox_sent(db_session, now=walk_start + dtm.timedelta(seconds=1))
        # The first half of the pairs: the PROMPT timer is still pending (the bot died before
        # firing it). The rest: it fired at the due time and its two prompts are in the
        # outbox, unsent (the bot died before delivering them).
        half = len(pairs) // 2
        async with uow() as work:
            first = {c.pair_id: c.id for c in await work.safety.checkins(session.id) if c.seq == 1}
        async with seeding.transaction(engine) as db_session:
            await seeding.fire_checkin_timers(
                db_session,
                TimerKind.PROMPT,
                [first[p.id] for p in pairs[half:]],
                now=dues[0] + dtm.timedelta(milliseconds=200),
            )
        seeded = Seeded(due=dues[0], people=people)
        for n, pair in enumerate(pairs):
            chats = {m.telegram_id for m in pair.members if m.telegram_id is not None}
            (seeded.via_timer if n < half else seeded.via_outbox).update(chats)
        seeded.seconds = time.monotonic() - started
        return seeded
    finally:
        await engine.dispose()


async def _before_the_walk(
    engine: AsyncEngine,
    session_id: int,
    people: list[tuple[int, str]],
    role_ids: dict[str, int],
    config: RotaConfig,
    walk_start: dtm.datetime,
) -> None:
    """Walkers who joined a week ago, signed up, briefed (and read it) this afternoon; the
    week's reminder and staffing alerts done earlier."""
    briefed_at = walk_start - config.template.briefing.send_before
    week_before = walk_start - dtm.timedelta(days=7)
    async with seeding.transaction(engine) as db_session:
        ids = await seeding.add_volunteers(
            db_session,
            [seeding.NewPerson(tid, name, frozenset({"trained"})) for tid, name in people],
            now=week_before,
        )
        walker_roles = role_keys("walker", len(people))
        await seeding.add_signups(
            db_session,
            session_id,
            [
                (ids[tid], role_ids[key])
                for (tid, _), key in zip(people, walker_roles, strict=True)
            ],
            now=week_before,
        )
        await seeding.add_briefings(
            db_session,
            session_id,
            ids.values(),
            sent_at=briefed_at,
            read_at=briefed_at + dtm.timedelta(minutes=10),
        )
        await seeding.claim_milestones(db_session, session_id, ("briefing",), at=briefed_at)
        await seeding.claim_milestones(
            db_session,
            session_id,
            ("unread_alert",),
            at=walk_start - dtm.timedelta(minutes=30),
        )
        await seeding.claim_milestones(db_session, session_id, EARLIER_MILESTONES, at=week_before)


async def _outbox_figures(db: BenchDb) -> dict[str, int]:
    """After the run: prompts by state, and how many took more than one attempt."""
    engine = db.engine()
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(OutboxRow.state, func.count(), func.max(OutboxRow.attempts))
                .where(OutboxRow.kind == "checkin_prompt")
                .group_by(OutboxRow.state)
            )
            figures = {f"prompt_rows_{state}": n for state, n, _ in rows}
            retried = await conn.scalar(
                select(func.count()).where(
                    OutboxRow.kind == "checkin_prompt", OutboxRow.attempts > 1
                )
            )
            figures["prompt_rows_retried"] = int(retried or 0)
            return figures
    finally:
        await engine.dispose()


async def measure(kind: str, k: int, *, quick: bool, give_up_after: float | None) -> Result:
    """Seed a fresh database, start the bot, and time the recovery."""
    if k < 4 or k % 2:
        raise ValueError("K must be an even number of at least 4 (walkers go in pairs)")
    config = make_config(template_toml(walkers=k, grace=GRACE, escalate_after=ESCALATE_AFTER))
    day = dtm.datetime.now(dtm.UTC).date()
    night = wednesday_after(day + dtm.timedelta(days=1))
    async with fresh_db(kind) as db:
        seeded = await seed_overdue(db, config, night, k)
        expected = {tid for tid, _ in seeded.people}
        floor = send_floor(dict.fromkeys(expected, 1))
        limit = give_up_after if give_up_after is not None else floor * GIVE_UP_FLOORS + 30
        clock = ShiftedClock(seeded.due + OVERDUE_BY)
        async with strict_fake(clock) as tg:
            add_fake_users(tg, seeded.people)
            arrivals = Arrivals()
            tg.observers.append(arrivals.observe)
            first = FirstArrivals(expected)
            tg.observers.append(first.observe)
            t0 = time.monotonic()  # the process starts: initialize, post_init, app.start
            async with running_bot(tg, db, config, clock) as bot:
                t_started = time.monotonic()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(first.all_there.wait(), limit - (t_started - t0))
                t_done = time.monotonic()
                await asyncio.sleep(SETTLE_S)
                if not first.all_there.is_set():
                    # Stopping waits for running jobs, and an unfinished sweep may have an
                    # hour of work left: cancel them so the benchmark ends.
                    await bot.app.job_queue.stop(wait=False)
            chat_actions = len(tg.calls_to("sendChatAction"))
            rate_limited = len(tg.rate_limited)
            sent = list(arrivals.sent)
        figures = await _outbox_figures(db)
    delivered = len(first.first)
    complete = delivered == k
    times = sorted(t - t0 for t in first.first.values())
    total = (max(first.first.values()) - t0) if complete else t_done - t0
    to_expected = [(m.chat_id, m.text) for _, m in sent if m.chat_id in expected]
    duplicates = sum(n - 1 for n in Counter(to_expected).values())
    per_chat = Counter(chat for chat, _ in to_expected)
    first_text: dict[int, str | None] = {}
    for chat, text in to_expected:
        first_text.setdefault(chat, text)
    # Anything else the bot sent: to other chats, or a different text to a walker.
    other = [
        m for _, m in sent if m.chat_id not in expected or m.text != first_text.get(m.chat_id)
    ]
    ratio = total / floor if complete else None
    met = complete and ratio is not None and ratio <= 1.2 and rate_limited == 0 and not duplicates
    last = {
        path: max((first.first[c] - t0 for c in chats if c in first.first), default=None)
        for path, chats in (("timer", seeded.via_timer), ("outbox", seeded.via_outbox))
    }
    return Result(
        measurement=NAME,
        params={"k": k, "db": kind, "quick": quick},
        metrics={
            "total_s": round(total, 3),
            "floor_s": round(floor, 3),
            "ratio": round(ratio, 3) if ratio is not None else None,
            "rate_limited_429": rate_limited,
            "duplicates": duplicates,
            "delivered": delivered,
            "p50_s": round(percentile(times, 50), 3) if times else None,
            "p99_s": round(percentile(times, 99), 3) if times else None,
            "startup_s": round(t_started - t0, 3),
            "first_message_s": round(times[0], 3) if times else None,
            "chats_with_more_than_one": sum(1 for n in per_chat.values() if n > 1),
            "other_messages": len(other),
            "first_not_prompt": sum(
                1 for text in first_text.values() if not (text or "").startswith("Check-in 1 ")
            ),
            "chat_actions": chat_actions,
        },
        goal=GOAL,
        met=met,
        note=(
            f"Seeded in bulk by rota/storage/seeding.py ({seeded.seconds:.1f} s): a walk "
            f"in progress, {k // 2} pairs, check-in 1 due {OVERDUE_BY} before start; "
            f"{len(seeded.via_timer)} prompts behind pending PROMPT timers, "
            f"{len(seeded.via_outbox)} already in the outbox unsent. Clock from process start "
            "(before initialize). Duplicate = the same (chat, text) arriving twice. Floor "
            "K/30 s (one message per chat). chat_actions = the start-up reachability probe."
            + ("" if complete else f" INCOMPLETE: {delivered}/{k} within {limit:.0f} s.")
        ),
        extra={
            "last_via_timer_s": round(last["timer"], 3) if last["timer"] is not None else None,
            "last_via_outbox_s": round(last["outbox"], 3) if last["outbox"] is not None else None,
            "other_samples": [(m.chat_id, (m.text or "")[:60]) for m in other[:5]],
            **figures,
        },
    )


async def run(args: argparse.Namespace) -> list[Result]:
    """The runner's entry point: one Result per (db, K)."""
    timeout: float | None = getattr(args, "recovery_timeout", None)
    return [
        await measure(kind, k, quick=bool(args.quick), give_up_after=timeout)
        for kind, k in plan_runs(args)
    ]
