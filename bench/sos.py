"""SOS latency: from a Need-help press reaching the fake Telegram to the first alert reaching it.

Why this way: the press is `ci:h:<checkin id>` on the walker's real check-in prompt (the bot
delivers check-in 1's prompts live first), exactly what a walker's phone sends. Each press is
by a different walker (a second SOS from the same person is deduplicated), and presses are
spaced (default 1.05 s) because every SOS alerts every coordinator and the team lead: at 1/s
per private chat, faster presses would measure queueing behind Telegram's limit, not the bot.

Scenarios: "idle" (nothing else happening) and "busy" (meanwhile 100 other pairs press
We're OK on their prompts, in an even stream over the same window). The first alert is the
first message to a coordinator's or the lead's chat, arriving after the press, naming the
presser. The plan's grace is set to 25 min so no reminder falls inside the window.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dtm
import time
from typing import Any

from bench.clock import ShiftedClock
from bench.dbs import fresh_db, pg_available
from bench.results import Result, percentile
from bench.running import Arrivals, running_bot, strict_fake
from bench.world import Person, World, build_world
from bot.fake_telegram import BotMessage, FakeUser

NAME = "sos"
HELP = "SOS press -> first alert latency, idle and while 100 pairs check in"
GOAL = "p99 < 1 s"
QUIET_PLAN = {
    "grace": dtm.timedelta(minutes=25),
    "escalate_after": dtm.timedelta(minutes=29),
}


SCENARIOS = ("idle", "busy")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--presses",
        type=int,
        default=None,
        help="SOS presses (200 on PostgreSQL, 50 on SQLite; quick 3)",
    )
    parser.add_argument(
        "--sos-spacing",
        type=float,
        default=None,
        help=(
            "seconds between SOS presses (default 1.05: above the 1/s per-chat limit; quick "
            "0.4: three presses fit Telegram's burst of 3 per chat)"
        ),
    )
    parser.add_argument(
        "--busy-pairs",
        type=int,
        default=None,
        help="pairs checking in meanwhile in the busy scenario (100; quick 3)",
    )
    parser.add_argument(
        "--scenario",
        choices=SCENARIOS,
        action="append",
        default=None,
        help="run only this scenario (repeatable; default both)",
    )


FULL_PRESSES = {"postgresql": 200, "sqlite": 50}


async def run(args: argparse.Namespace) -> list[Result]:
    chosen: int | None = getattr(args, "presses", None)
    busy: int = getattr(args, "busy_pairs", None) or (3 if args.quick else 100)
    spacing: float = getattr(args, "sos_spacing", None) or (0.4 if args.quick else 1.05)
    scenarios: list[str] = getattr(args, "scenario", None) or list(SCENARIOS)
    results: list[Result] = []
    for kind in args.dbs:
        if kind == "postgresql" and not await pg_available():
            results.append(
                Result(NAME, {"db": kind}, {}, note="PostgreSQL not reachable: skipped")
            )
            continue
        # 200 presses a second apart take 3.5 minutes per scenario (every SOS alerts every
        # coordinator, one message a second per chat): the full 200 on PostgreSQL, the
        # production database; 50 on SQLite, to keep the whole run within reach.
        presses = chosen or (3 if args.quick else FULL_PRESSES.get(kind, 50))
        for scenario in scenarios:
            checking = busy if scenario == "busy" else 0
            results.append(
                await measure(kind, scenario, presses, checking, spacing, quick=args.quick)
            )
    return results


def _prompt_of(user: FakeUser) -> tuple[BotMessage, int] | None:
    """The user's check-in prompt and its check-in id (from the ci:h:<id> button)."""
    for message in reversed(user.messages()):
        for row in message.buttons:
            for button in row:
                data = button.callback_data or ""
                if data.startswith("ci:h:"):
                    return message, int(data.rsplit(":", 1)[1])
    return None


async def _wait_prompts(world: World, people: list[Person], limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while True:
        missing = [p for p in people if _prompt_of(world.user(p)) is None]
        if not missing:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(missing)} walkers got no check-in prompt in {limit_s} s")
        await asyncio.sleep(0.25)


async def measure(
    kind: str, scenario: str, presses: int, checking: int, spacing: float, *, quick: bool
) -> Result:
    sos_pairs = (presses + 1) // 2
    async with fresh_db(kind) as db:
        world = await build_world(db, sos_pairs + checking, plan=QUIET_PLAN)
        await world.deliver_pending(world.starts_at)
        # The bot starts shortly before check-in 1 falls due (quick: less, a small night).
        clock = ShiftedClock(world.due(1) - dtm.timedelta(seconds=1.5 if quick else 3))
        arrivals = Arrivals()
        async with strict_fake(clock) as tg:
            world.attach(tg)
            tg.observers.append(arrivals.observe)
            async with running_bot(tg, db, world.config, clock):
                await _wait_prompts(world, world.walkers, limit_s=30 + len(world.walkers) / 10)
                await asyncio.sleep(0.5 if quick else 2.0)  # let the last prompts settle
                sosers = [m for p in world.pairs[:sos_pairs] for m in p.members][:presses]
                checkers = [p.members[0] for p in world.pairs[sos_pairs:]]
                press_at: dict[int, float] = {}
                answers: list[float] = []
                window = presses * spacing
                t0 = time.monotonic() + 0.5
                tasks = [
                    asyncio.create_task(_sos(world, person, t0 + i * spacing, press_at))
                    for i, person in enumerate(sosers)
                ]
                tasks += [
                    asyncio.create_task(
                        _check_in(world, person, t0 + (j + 0.5) * window / len(checkers), answers)
                    )
                    for j, person in enumerate(checkers)
                ]
                await asyncio.gather(*tasks, return_exceptions=True)
                latency = await _wait_alerts(world, arrivals, sosers, press_at, limit_s=30)
                rate_limited = len(tg.rate_limited)
    return _row(kind, scenario, presses, checking, spacing, latency, answers, rate_limited)


async def _sos(world: World, person: Person, at: float, press_at: dict[int, float]) -> None:
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    user = world.user(person)
    found = _prompt_of(user)
    if found is None:
        return
    message, checkin_id = found
    press_at[person.telegram_id] = time.monotonic()
    await user.press_data(message, f"ci:h:{checkin_id}", timeout=30)


async def _check_in(world: World, person: Person, at: float, answers: list[float]) -> None:
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    user = world.user(person)
    found = _prompt_of(user)
    if found is None:
        return
    message, checkin_id = found
    began = time.monotonic()
    await user.press_data(message, f"ci:o:{checkin_id}", timeout=30)
    answers.append(time.monotonic() - began)


def _first_alert(world: World, arrivals: Arrivals, person: Person, since: float) -> float | None:
    chats = {world.admin.telegram_id, world.oncall.telegram_id, world.lead.telegram_id}
    for at, message in arrivals.sent:
        if at >= since and message.chat_id in chats and person.name in (message.text or ""):
            return at
    return None


async def _wait_alerts(
    world: World,
    arrivals: Arrivals,
    sosers: list[Person],
    press_at: dict[int, float],
    limit_s: float,
) -> dict[int, float]:
    deadline = time.monotonic() + limit_s
    while True:
        latency: dict[int, float] = {}
        for person in sosers:
            pressed = press_at.get(person.telegram_id)
            if pressed is None:
                continue
            first = _first_alert(world, arrivals, person, pressed)
            if first is not None:
                latency[person.telegram_id] = first - pressed
        if len(latency) == len(sosers) or time.monotonic() > deadline:
            return latency
        await asyncio.sleep(0.25)


def _row(
    kind: str,
    scenario: str,
    presses: int,
    checking: int,
    spacing: float,
    latency: dict[int, float],
    answers: list[float],
    rate_limited: int,
) -> Result:
    values = list(latency.values())
    missing = presses - len(values)
    metrics: dict[str, Any] = {
        "presses": presses,
        "alerted": len(values),
        "missing": missing,
        "p50_s": round(percentile(values, 50), 3) if values else None,
        "p99_s": round(percentile(values, 99), 3) if values else None,
        "max_s": round(max(values), 3) if values else None,
        "checkins_pressed": len(answers),
        "checkin_answer_p50_s": round(percentile(answers, 50), 3) if answers else None,
        "checkin_answer_p99_s": round(percentile(answers, 99), 3) if answers else None,
        "http_429": rate_limited,
    }
    p99 = metrics["p99_s"]
    return Result(
        measurement=NAME,
        params={"db": kind, "scenario": scenario, "checking_pairs": checking},
        metrics=metrics,
        goal=GOAL,
        met=missing == 0 and p99 is not None and p99 < 1.0,
        note=(
            f"one SOS every {spacing} s by distinct walkers (every SOS alerts 2 coordinators "
            "and the lead: 1 msg/s per private chat is the floor)"
            + (
                f"; {checking} pairs pressed We're OK in an even stream meanwhile"
                if checking
                else ""
            )
            + (f"; {missing} SOS without an alert within 30 s (failure)" if missing else "")
        ),
        extra={"latency": values},
    )
