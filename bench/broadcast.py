"""Measurement 5: the briefing broadcast. N volunteers on one Wednesday; the briefing falls
due (`send_before` the start); how long until the last briefing reaches Telegram, against
the floor of N/30 s?

The bot is started well before the briefing and the measurement waits for its start-up
reachability probe (one sendChatAction per rostered person; under PTB's AIORateLimiter it
shared the limiter with messages) to finish, then moves the clock to just before the
briefing: what is measured is the broadcast of a bot that has been running, not a restart
(that is bench/recovery.py). The quick version starts the bot 3 s before the round instead:
its 20 briefings take 0.7 s at Telegram's pace, so its ratio is a smoke check, not a figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dtm
import time
from collections import Counter
from dataclasses import dataclass

from bench.clock import ShiftedClock
from bench.dbs import BenchDb, fresh_db
from bench.results import Result, percentile, send_floor
from bench.running import ADMIN_ID, Arrivals, running_bot, strict_fake, wednesday_after
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
from bot.fake_telegram import FakeTelegram
from rota.kernel.config import RotaConfig
from rota.people import membership as people
from rota.roster import signups
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory

NAME = "broadcast"
HELP = "briefing N volunteers (600; quick 20): total time vs the N/30 s floor, 429s"
GOAL = "within 1.2x the floor, zero 429s, zero duplicates"
GOAL_RATIO = 1.2
FULL_N, QUICK_N = 600, 20
LEAD_IN = dtm.timedelta(minutes=10)  # the bot starts this long before the briefing is due
# Then the clock moves to this long before it: more than one sweep (5 s) ahead, so a sweep
# sees the round coming and arms the exact wake-up, as it does a minute ahead on a real clock
# (2 s, as first measured, skipped that moment and left the round to the next sweep).
JUMP_TO = dtm.timedelta(seconds=8)
# Quick: the bot starts this long before the round, no jump; its first shift sweep (2 s after
# start) arms the exact wake-up. The start-up probe then runs during the round.
QUICK_LEAD_IN = dtm.timedelta(seconds=3)
SETTLE_S = 2.0  # after the last briefing, keep watching for duplicates


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--volunteers N: brief N people instead of 600 (quick: 20)."""
    parser.add_argument(
        "--volunteers",
        dest="broadcast_n",
        type=int,
        default=None,
        metavar="N",
        help="broadcast: volunteers to brief (default 600; --quick: 20)",
    )


@dataclass
class Crowd:
    """Who was signed up, to which role, and how long seeding took."""

    people: list[tuple[int, str]]
    roles: Counter[str]
    session_start: dtm.datetime
    seconds: float


def role_plan(n: int) -> list[str]:
    """One lead, one on-call coordinator, two thirds of the rest walking (in pairs)."""
    rest = max(0, n - 2)
    walkers = (rest * 2 // 3) // 2 * 2
    return (
        ["lead", "oncall"][:n] + role_keys("walker", walkers) + role_keys("dropin", rest - walkers)
    )


ROLE_TAGS = {
    "lead": frozenset({"lead"}),
    "oncall": frozenset({"coordinator"}),
    "walker": frozenset({"trained"}),
    "dropin": frozenset(),
}


def tags_for(role_key: str) -> frozenset[str]:
    """The tags an invite gives someone meant for this role (`walker3` is a walker)."""
    return ROLE_TAGS[role_key.rstrip("0123456789")]


async def seed_crowd(db: BenchDb, config: RotaConfig, night: dtm.date, n: int) -> Crowd:
    """Through the services, as in life: admin /start, then invite, join, sign up, per person.

    The week's reminder and staffing alerts are recorded as done (milestones claimed through
    the repository, as those services do first): a bot that ran all week sent them days ago.
    """
    started = time.monotonic()
    engine = db.engine()
    try:
        uow = SqlAlchemyUnitOfWorkFactory(engine)
        session = await wednesday_session(uow, config, night)
        monday = session.starts_at - dtm.timedelta(days=2, hours=7)
        await people.start(
            uow(),
            telegram_id=ADMIN_ID,
            first_name="Admin",
            last_name=None,
            username=None,
            config=config,
            now=monday,
        )
        async with uow() as work:
            role_ids = {r.key: r.id for r in await work.sessions.roles([session.id])}
        plan = role_plan(n)
        crowd = [(tid, f"Volunteer {i + 1}") for i, tid in enumerate(user_ids(n))]
        for (telegram_id, name), role in zip(crowd, plan, strict=True):
            invite = await people.create_invite(
                uow(), telegram_id=ADMIN_ID, tags=tags_for(role), config=config, now=monday
            )
            await people.accept_invite(
                uow(),
                code=invite.code,
                telegram_id=telegram_id,
                first_name=name,
                last_name=None,
                username=None,
                config=config,
                now=monday,
            )
            await signups.join_role(
                uow(), telegram_id=telegram_id, role_id=role_ids[role], config=config, now=monday
            )
        async with uow() as work:
            for milestone in EARLIER_MILESTONES:
                await work.safety.claim_milestone(session.id, milestone, at=monday)
            await work.commit()
        return Crowd(crowd, Counter(plan), session.starts_at, time.monotonic() - started)
    finally:
        await engine.dispose()


async def _wait_for_probe(tg: FakeTelegram, expected: int, limit: float) -> int:
    """Wait until the start-up probe has sent `expected` chat actions (or `limit` passed)."""
    deadline = time.monotonic() + limit
    seen = 0
    for _ in range(int(limit / 0.1) + 1):
        seen = len(tg.calls_to("sendChatAction"))
        if seen >= expected or time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)  # let the last probe's reply settle
    return seen


async def measure(kind: str, n: int, *, quick: bool) -> Result:
    """Seed N volunteers, start the bot, jump to the briefing, time the broadcast."""
    plan = Counter(key.rstrip("0123456789") for key in role_plan(n))
    toml = template_toml(walkers=plan["walker"], dropin=plan["dropin"])
    config = make_config(toml)
    night = wednesday_after(dtm.datetime.now(dtm.UTC).date() + dtm.timedelta(days=1))
    async with fresh_db(kind) as db:
        crowd = await seed_crowd(db, config, night, n)
        due = crowd.session_start - config.template.briefing.send_before
        expected = {tid for tid, _ in crowd.people}
        clock = ShiftedClock(due - (QUICK_LEAD_IN if quick else LEAD_IN))
        async with strict_fake(clock) as tg:
            add_fake_users(tg, crowd.people)
            arrivals = Arrivals()
            tg.observers.append(arrivals.observe)
            async with running_bot(tg, db, config, clock):
                probed = 0
                if not quick:
                    probed = await _wait_for_probe(tg, n + 1, limit=n / 20 + 30)
                before = len(arrivals.sent)
                first = FirstArrivals(expected)
                tg.observers.append(first.observe)
                if not quick:
                    clock.set(due - JUMP_TO)
                t_due = clock.real_time_at(due)
                limit = send_floor(dict.fromkeys(expected, 1)) * 4 + 30
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(first.all_there.wait(), limit)
                t_done = time.monotonic()
                await asyncio.sleep(0.5 if quick else SETTLE_S)
            rate_limited = len(tg.rate_limited)
            sent = arrivals.sent[before:]
    delivered = len(first.first)
    complete = delivered == n
    to_crowd = [(m.chat_id, m.text) for _, m in sent if m.chat_id in expected]
    duplicates = sum(c - 1 for c in Counter(to_crowd).values())
    per_chat = Counter(chat for chat, _ in to_crowd)
    floor = send_floor(dict(per_chat)) if per_chat else send_floor(dict.fromkeys(expected, 1))
    briefed = sorted(first.first.values())
    last = briefed[-1] if complete else t_done
    total = last - t_due
    ratio = total / floor if complete else None
    spread = briefed[-1] - briefed[0] if len(briefed) > 1 else 0.0
    since_due = [t - t_due for t in briefed]
    other = [m for _, m in sent if m.chat_id not in expected]
    briefing_texts = Counter((m.text or "").split("\n", 1)[0][:40] for _, m in sent)
    return Result(
        measurement=NAME,
        params={"volunteers": n, "db": kind, "quick": quick},
        metrics={
            "total_s": round(total, 3),
            "floor_s": round(floor, 3),
            "ratio": round(ratio, 3) if ratio is not None else None,
            "rate_limited_429": rate_limited,
            "duplicates": duplicates,
            "delivered": delivered,
            "send_ratio": round(spread / floor, 3) if complete else None,
            "messages_per_s": round((len(briefed) - 1) / spread, 2) if spread > 0 else None,
            "first_after_due_s": round(since_due[0], 3) if since_due else None,
            "p50_s": round(percentile(since_due, 50), 3) if since_due else None,
            "p99_s": round(percentile(since_due, 99), 3) if since_due else None,
            "messages_to_crowd": len(to_crowd),
            "other_messages": len(other),
        },
        goal=GOAL,
        met=complete
        and ratio is not None
        and ratio <= GOAL_RATIO
        and rate_limited == 0
        and duplicates == 0,
        note=(
            "Seeded through the services (admin /start, then create_invite, accept_invite, "
            f"join_role per person: {crowd.seconds:.1f} s); roles {dict(crowd.roles)} (a "
            "template role holds at most 100 places); the reminder and staffing-alert "
            "milestones recorded as done. Clock from the briefing's due instant; "
            + (
                f"the bot starts {QUICK_LEAD_IN.seconds} s before it (quick), "
                if quick
                else f"the clock jumps to {JUMP_TO.seconds} s before it, "
            )
            + "so a shift sweep (every 5 s) arms the exact wake-up; send_ratio = first-to-last "
            "briefing / floor. Floor over the messages the crowd received. Duplicate = the same "
            "(chat, text) twice. "
            + (
                "The start-up probe ran during the round (it gives way to the dispatcher)."
                if quick
                else f"Start-up probe: {probed} chat actions, finished before the clock jump."
            )
            + ("" if complete else f" INCOMPLETE: {delivered}/{n} within {limit:.0f} s.")
        ),
        extra={
            "first_lines": dict(briefing_texts.most_common(4)),
            "other_samples": [(m.chat_id, (m.text or "")[:60]) for m in other[:5]],
        },
    )


async def run(args: argparse.Namespace) -> list[Result]:
    """The runner's entry point: one Result per database."""
    chosen: int | None = getattr(args, "broadcast_n", None)
    n = chosen if chosen is not None else (QUICK_N if args.quick else FULL_N)
    return [await measure(kind, n, quick=bool(args.quick)) for kind in args.dbs]
