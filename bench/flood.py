"""A flood: what two people sending 100 messages each cost everyone else (issue 11).

Why: one person's flood used to stall everybody. Each update held one of the bot's few
processing slots while it waited for its sender's earlier ones and for its reply's turn at
the one-message-a-second pace of the sender's chat; forty messages from each of two people
held another volunteer's /me for 37 s, and a We're OK press longer.

The night: P pairs walking, their check-in 1 prompts delivered (the bot starts just before
they fall due, as in bench/sos.py), 20 other volunteers on the team, and a stranger. During a
window of W seconds, in both scenarios:

- **others**: each of the 20 sends a command (/me, /myshifts, /rota, /help in turn), waits for
  the answer, pauses 1.5-2.5 s (seeded), and again; latency: the message queued at the fake
  to the bot's answer reaching it.
- **We're OK**: every walker of 5 pairs presses We're OK on their prompt every ~2 s (the first
  press checks the pair in, the later ones are answered "Already checked in": the same safety
  path); latency: press to the answerCallbackQuery.
- **Need help**: walkers of further pairs press Need help, one every 1.05 s, each a different
  walker (as in bench/sos.py: every SOS alerts both coordinators and the lead, one message a
  second per chat); latency: the press to the first alert naming them reaching a
  coordinator's or the lead's chat.
- **flood** (the "flood" scenario only): a volunteer and a stranger each send 100 messages
  (commands and chatter) in bursts of 20, spread over the window.

The "quiet" scenario is the same night without the flood, on a fresh database and bot. The
goal: the flood adds at most 0.5 s to each p99. Also counted: what the flooders were sent
(the bot drops replies to a flood beyond the chat's burst, and answers a stranger once a
minute), the replies dropped, and 429s (must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dtm
import random
import time
from dataclasses import dataclass, field
from typing import Any

from bench.clock import ShiftedClock
from bench.dbs import fresh_db, pg_available
from bench.results import Result, percentile
from bench.running import Arrivals, running_bot, strict_fake
from bench.world import Person, World, build_world
from bot.fake_telegram import BotMessage, FakeUser
from rota.storage import seeding

NAME = "flood"
HELP = "p99 of others' commands, We're OK and Need help, with and without 2 people flooding"
GOAL = "the flood adds ≤ 0.5 s to each p99"
GOAL_ADDED_S = 0.5
SCENARIOS = ("quiet", "flood")
# As in bench/sos.py: no reminder or escalation falls inside the window.
QUIET_PLAN = {
    "grace": dtm.timedelta(minutes=25),
    "escalate_after": dtm.timedelta(minutes=29),
}
OTHERS_BASE = 2_000_000  # Telegram ids of the other volunteers
FLOODER_ID = 2_100_000  # a volunteer
STRANGER_ID = 2_100_001  # on no team
COMMANDS = ("/me", "/myshifts", "/rota", "/help")
FLOOD_TEXTS = ("/me", "hello?", "/rota", "are you there", "/myshifts")
STRANGER_TEXTS = ("hi", "/rota", "/me", "hello", "/start")


@dataclass(frozen=True)
class Size:
    """How big a run is."""

    flood: int  # messages per flooder
    burst: int  # flood messages sent at once
    others: int
    checking_pairs: int
    sos: int  # Need help presses (distinct walkers)
    sos_spacing: float
    window: float  # seconds


FULL = Size(flood=100, burst=20, others=20, checking_pairs=5, sos=20, sos_spacing=1.05, window=21)
QUICK = Size(flood=20, burst=10, others=5, checking_pairs=2, sos=3, sos_spacing=0.4, window=4)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--messages", type=int, default=None, help="messages per flooder (100; quick 20)"
    )
    parser.add_argument(
        "--others", type=int, default=None, help="other volunteers using the bot (20; quick 5)"
    )
    parser.add_argument(
        "--scenario",
        choices=SCENARIOS,
        action="append",
        default=None,
        help="run only this scenario (repeatable; default both, needed for the goal)",
    )
    parser.add_argument("--seed", type=int, default=11, help="the others' pauses (default 11)")


async def run(args: argparse.Namespace) -> list[Result]:
    base = QUICK if args.quick else FULL
    size = Size(
        flood=getattr(args, "messages", None) or base.flood,
        burst=base.burst,
        others=getattr(args, "others", None) or base.others,
        checking_pairs=base.checking_pairs,
        sos=base.sos,
        sos_spacing=base.sos_spacing,
        window=base.window,
    )
    scenarios: list[str] = getattr(args, "scenario", None) or list(SCENARIOS)
    seed: int = getattr(args, "seed", 11)
    results: list[Result] = []
    for kind in args.dbs:
        if kind == "postgresql" and not await pg_available():
            results.append(
                Result(NAME, {"db": kind}, {}, note="PostgreSQL not reachable: skipped")
            )
            continue
        runs = {s: await measure(kind, s, size, seed, quick=args.quick) for s in scenarios}
        results.append(_row(kind, size, runs))
    return results


@dataclass
class Figures:
    """One scenario's samples (seconds) and counts."""

    others: list[float] = field(default_factory=list)
    ok: list[float] = field(default_factory=list)
    sos: dict[int, float] = field(default_factory=dict)
    sos_pressed: int = 0
    unanswered: int = 0  # commands or presses without an answer within the time allowed
    flood_sent: int = 0
    flood_replies: int = 0
    stranger_replies: int = 0
    dropped: int = 0
    http_429: int = 0
    limited: list[str] = field(default_factory=list)  # "<method> <chat>" of each 429
    seconds: float = 0.0


async def measure(kind: str, scenario: str, size: Size, seed: int, *, quick: bool) -> Figures:
    """One scenario on a fresh database and bot."""
    began = time.monotonic()
    sos_pairs = (size.sos + 1) // 2
    async with fresh_db(kind) as db:
        world = await build_world(db, size.checking_pairs + sos_pairs, plan=QUIET_PLAN)
        await world.deliver_pending(world.starts_at)
        others = [(OTHERS_BASE + i, f"Other{i:02d}") for i in range(size.others)]
        engine = db.engine()
        try:
            async with seeding.transaction(engine) as db_session:
                await seeding.add_volunteers(
                    db_session,
                    [
                        seeding.NewPerson(tid, name, frozenset({"trained"}))
                        for tid, name in [*others, (FLOODER_ID, "Flo Flood")]
                    ],
                    now=world.starts_at - dtm.timedelta(days=7),
                )
        finally:
            await engine.dispose()
        clock = ShiftedClock(world.due(1) - dtm.timedelta(seconds=1.5 if quick else 3))
        arrivals = Arrivals()
        async with strict_fake(clock) as tg:
            world.attach(tg)
            tg.observers.append(arrivals.observe)
            people = {tid: tg.user(name, user_id=tid) for tid, name in others}
            flooder = tg.user("Flo Flood", user_id=FLOODER_ID)
            stranger = tg.user("Stan Stranger", user_id=STRANGER_ID)
            for user in (*people.values(), flooder, stranger):
                tg.mark_started(user)
            async with running_bot(tg, db, world.config, clock) as bot:
                await _wait_prompts(world, world.walkers, limit_s=30 + len(world.walkers) / 10)
                await asyncio.sleep(0.5 if quick else 2.0)  # let the last prompts settle
                figures = Figures()
                checking = [m for p in world.pairs[: size.checking_pairs] for m in p.members]
                sosers = [m for p in world.pairs[size.checking_pairs :] for m in p.members]
                sosers = sosers[: size.sos]
                rng = random.Random(seed)
                t0 = time.monotonic() + 0.5
                end = t0 + size.window
                press_at: dict[int, float] = {}
                tasks = [
                    _other(user, arrivals, t0 + rng.uniform(0, 2), end, rng.random(), figures)
                    for user in people.values()
                ]
                tasks += [
                    _we_are_ok(world, p, t0 + rng.uniform(0, 2), end, figures) for p in checking
                ]
                tasks += [
                    _need_help(world, p, t0 + 1 + i * size.sos_spacing, press_at, figures)
                    for i, p in enumerate(sosers)
                ]
                if scenario == "flood":
                    tasks += [
                        _flood(flooder, FLOOD_TEXTS, size, t0, figures),
                        _flood(stranger, STRANGER_TEXTS, size, t0, figures),
                    ]
                await asyncio.gather(*tasks)
                figures.sos_pressed = len(press_at)
                figures.sos = await _wait_alerts(world, arrivals, sosers, press_at, limit_s=90)
                await asyncio.sleep(1.5)  # the last replies to the flood, if any
                figures.flood_replies = len(arrivals.to_chat(FLOODER_ID))
                figures.stranger_replies = len(arrivals.to_chat(STRANGER_ID))
                figures.dropped = getattr(bot.app.bot.rate_limiter, "dropped", 0)
                figures.http_429 = len(tg.rate_limited)
                figures.limited = [f"{method} {chat}" for method, chat in tg.rate_limited]
    figures.seconds = time.monotonic() - began
    return figures


async def _sleep_until(at: float) -> None:
    await asyncio.sleep(max(0.0, at - time.monotonic()))


async def _other(
    user: FakeUser, arrivals: Arrivals, start: float, end: float, phase: float, fig: Figures
) -> None:
    """A volunteer using the bot: a command, its answer, a pause of 1.5-2.5 s, and again."""
    rng = random.Random(user.id)
    await _sleep_until(start)
    i = int(phase * len(COMMANDS))
    while time.monotonic() < end:
        sent_at = time.monotonic()
        sent = await user.send(COMMANDS[i % len(COMMANDS)])
        i += 1
        try:
            reply = await user.wait_for("", after=sent["message_id"], timeout=60)
        except AssertionError:
            fig.unanswered += 1
            continue
        fig.others.append(_arrived(arrivals, reply, time.monotonic()) - sent_at)
        await asyncio.sleep(rng.uniform(1.5, 2.5))


def _arrived(arrivals: Arrivals, message: BotMessage, fallback: float) -> float:
    """When the bot's message reached the fake (what the person would see)."""
    for at, seen in reversed(arrivals.sent):
        if seen.chat_id == message.chat_id and seen.message_id == message.message_id:
            return at
    return fallback


def _prompt_of(user: FakeUser) -> tuple[BotMessage, int] | None:
    """The user's check-in prompt and its check-in id (from the ci:h:<id> button)."""
    for message in reversed(user.messages()):
        for row in message.buttons:
            for button in row:
                data = button.callback_data or ""
                if data.startswith("ci:h:"):
                    return message, int(data.rsplit(":", 1)[1])
    return None


async def _wait_prompts(world: World, walkers: list[Person], limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while [p for p in walkers if _prompt_of(world.user(p)) is None]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"walkers got no check-in prompt in {limit_s} s")
        await asyncio.sleep(0.25)


async def _we_are_ok(world: World, person: Person, start: float, end: float, fig: Figures) -> None:
    """A walker pressing We're OK on their prompt every ~2 s."""
    user = world.user(person)
    rng = random.Random(person.telegram_id)
    found = _prompt_of(user)
    if found is None:
        return
    # The prompt loses its buttons once the pair has checked in; a press on it is still a
    # safety press (a second tap, or a slow network's retry), answered "Already checked in".
    message, checkin_id = found
    await _sleep_until(start)
    while time.monotonic() < end:
        began = time.monotonic()
        try:
            await user.press_data(message, f"ci:o:{checkin_id}", timeout=60)
        except AssertionError:
            fig.unanswered += 1
            continue
        fig.ok.append(time.monotonic() - began)
        await asyncio.sleep(rng.uniform(1.5, 2.5))


async def _need_help(
    world: World, person: Person, at: float, press_at: dict[int, float], fig: Figures
) -> None:
    await _sleep_until(at)
    user = world.user(person)
    found = _prompt_of(user)
    if found is None:
        return
    message, checkin_id = found
    press_at[person.telegram_id] = time.monotonic()
    try:
        await user.press_data(message, f"ci:h:{checkin_id}", timeout=60)
    except AssertionError:  # never answered (the alert is measured on its own)
        fig.unanswered += 1


async def _flood(
    user: FakeUser, texts: tuple[str, ...], size: Size, t0: float, fig: Figures
) -> None:
    """`size.flood` messages in bursts of `size.burst`, the bursts spread over the window."""
    bursts = max(1, -(-size.flood // size.burst))
    gap = size.window / bursts
    sent = 0
    for b in range(bursts):
        await _sleep_until(t0 + b * gap)
        for _ in range(min(size.burst, size.flood - sent)):
            await user.send(texts[sent % len(texts)])
            sent += 1
    fig.flood_sent += sent


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
        if len(latency) == len(press_at) or time.monotonic() > deadline:
            return latency
        await asyncio.sleep(0.25)


def _p99(values: list[float]) -> float | None:
    return round(percentile(values, 99), 3) if values else None


def _row(kind: str, size: Size, runs: dict[str, Figures]) -> Result:
    metrics: dict[str, Any] = {}
    for scenario, fig in runs.items():
        metrics[f"{scenario}_others_p99_s"] = _p99(fig.others)
        metrics[f"{scenario}_ok_p99_s"] = _p99(fig.ok)
        metrics[f"{scenario}_sos_p99_s"] = _p99(list(fig.sos.values()))
    quiet, flood = runs.get("quiet"), runs.get("flood")
    added: list[float] = []
    if quiet is not None and flood is not None:
        for what in ("others", "ok", "sos"):
            before, after = metrics[f"quiet_{what}_p99_s"], metrics[f"flood_{what}_p99_s"]
            if before is not None and after is not None:
                metrics[f"added_{what}_s"] = round(after - before, 3)
                added.append(after - before)
    missing = sum(
        f.unanswered + (f.sos_pressed - len(f.sos)) + (size.sos - f.sos_pressed)
        for f in runs.values()
    )
    if flood is not None:
        metrics |= {
            "others_n": len(flood.others),
            "ok_n": len(flood.ok),
            "sos_n": len(flood.sos),
            "flood_sent": flood.flood_sent,
            "replies_to_flooder": flood.flood_replies,
            "replies_to_stranger": flood.stranger_replies,
            "replies_dropped": flood.dropped,
        }
    metrics["missing"] = missing
    metrics["http_429"] = sum(f.http_429 for f in runs.values())
    met = (
        None
        if len(added) < 3
        else missing == 0 and metrics["http_429"] == 0 and max(added) <= GOAL_ADDED_S
    )
    return Result(
        measurement=NAME,
        params={"db": kind, "flood": f"2×{size.flood}", "others": size.others},
        metrics=metrics,
        goal=GOAL,
        met=met,
        note=(
            f"{size.checking_pairs} pairs pressing We're OK every ~2 s, {size.sos} Need help "
            f"presses {size.sos_spacing} s apart, {size.others} others sending a command every "
            f"~2 s, over {size.window:.0f} s; the flood: a volunteer and a stranger, "
            f"{size.flood} messages each in bursts of {size.burst}; below 100 samples a p99 is "
            "the largest (Need help: one per press)"
            + (f"; {missing} without an answer or alert (failure)" if missing else "")
        ),
        extra={
            scenario: {
                "others": fig.others,
                "ok": fig.ok,
                "sos": list(fig.sos.values()),
                "seconds": round(fig.seconds, 1),
                "http_429": fig.limited,
            }
            for scenario, fig in runs.items()
        },
    )
