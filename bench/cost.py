"""SQL statements per button press and per scheduler tick, at 10 and at 1,000 pairs.

Why count statements: on PostgreSQL each one is a network round trip, and a cost that grows
with the number of pairs turns into lateness on a big night. A `before_cursor_execute`
listener on the bot's own engine counts them; the bot runs with its jobs OFF so that only
the thing measured touches the database, and the ticks are called directly
(`run_safety_tick`, `run_dispatch`), as the jobs would call them.

The night: every pair but the first checked in to check-in 1; pair 1 did not, so the tick at
its escalation moment opens ONE escalation; check-in 2's prompt already fired for every pair
but pair 1, so the tick at 20:00 fires ONE prompt. Presses: the on-call's Acknowledge on the
real alert, pair 1's We're OK on its real check-in 2 prompt, and a walker's Join on next
week's walker role (from /rota).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dtm
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.engine import Engine

from bench.clock import ShiftedClock
from bench.dbs import fresh_db, pg_available
from bench.results import Result
from bench.running import running_bot, strict_fake
from bench.world import World, build_world
from bot.fake_telegram import BotMessage, FakeUser
from bot.jobs.dispatch import run_dispatch
from bot.jobs.safety import run_safety_tick
from rota.safety import walks
from rota.safety.model import TimerKind
from rota.storage.tables import CheckInRow, RoleRow, SessionRow, TimerRow

NAME = "cost"
HELP = "SQL statements per button press and per scheduler tick at 10 vs 1,000 pairs"
FULL = [10, 1000]
QUICK = [10, 30]
ITEMS = (
    "tick_fires_one_escalation",
    "safety_tick_idle",
    "dispatch_idle",
    "tick_fires_one_prompt",
    "press_acknowledge",
    "press_checkin_ok",
    "press_join",
)


class Counter:
    """Statements executed on one engine since the last `take()`."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.count += 1
        self.statements.append(statement.split("\n", 1)[0][:80])

    def take(self) -> int:
        n, self.count = self.count, 0
        self.statements = []
        return n


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cost-pairs",
        type=int,
        action="append",
        help=f"night sizes to compare (default {FULL}; quick {QUICK})",
    )


async def run(args: argparse.Namespace) -> list[Result]:
    sizes: list[int] = getattr(args, "cost_pairs", None) or (QUICK if args.quick else FULL)
    results: list[Result] = []
    for kind in args.dbs:
        if kind == "postgresql" and not await pg_available():
            results.append(
                Result(NAME, {"db": kind}, {}, note="PostgreSQL not reachable: skipped")
            )
            continue
        if args.quick:  # statement counts are per engine: side by side changes none
            found = await asyncio.gather(*(measure(kind, p) for p in sizes))
            counts = dict(zip(sizes, found, strict=True))
        else:
            counts = {pairs: await measure(kind, pairs) for pairs in sizes}
        small, large = min(sizes), max(sizes)
        for item in ITEMS:
            a, b = counts[small].get(item), counts[large].get(item)
            grows = a is not None and b is not None and b > a
            metrics: dict[str, Any] = {f"statements_at_{p}": counts[p].get(item) for p in sizes}
            metrics["grows"] = grows
            results.append(
                Result(
                    measurement=NAME,
                    params={"db": kind, "item": item},
                    metrics=metrics,
                    goal="does not grow with the number of pairs",
                    met=None if a is None or b is None else not grows,
                )
            )
    return results


async def _settled(counter: Counter, quiet: float = 0.4, limit: float = 20.0) -> None:
    """Wait until no statement ran for `quiet` s (a handler may go on after its answer)."""
    waited = 0.0
    last = -1
    while waited < limit:
        if counter.count == last:
            return
        last = counter.count
        await asyncio.sleep(quiet)
        waited += quiet


async def _count(counter: Counter, action: Callable[[], Awaitable[Any]]) -> int:
    counter.take()
    await action()
    await _settled(counter)
    return counter.take()


def _with_button(user: FakeUser, prefix: str) -> tuple[BotMessage, str]:
    for message in reversed(user.messages()):
        for row in message.buttons:
            for button in row:
                if (button.callback_data or "").startswith(prefix):
                    return message, button.callback_data or ""
    raise RuntimeError(f"{user} has no button {prefix}...")


async def _prepare(world: World) -> None:
    """Pairs 2..P checked in to check-in 1; their check-in 2 prompts already fired."""
    engine = world.db.engine()
    others1 = [p.checkin_ids[0] for p in world.pairs[1:]]
    others2 = [p.checkin_ids[1] for p in world.pairs[1:]]
    try:
        async with engine.begin() as conn:
            for i in range(0, len(others1), 500):
                chunk1, chunk2 = others1[i : i + 500], others2[i : i + 500]
                await conn.execute(
                    update(CheckInRow)
                    .where(CheckInRow.id.in_(chunk1), CheckInRow.state == "open")
                    .values(state="ok", checked_by=None, checked_at=world.due(1))
                )
                await conn.execute(
                    update(TimerRow)
                    .where(
                        TimerRow.kind.in_([k.value for k in walks.CHECKIN_TIMERS]),
                        TimerRow.ref_id.in_(chunk1),
                        TimerRow.state == "pending",
                    )
                    .values(state="cancelled")
                )
                await conn.execute(
                    update(TimerRow)
                    .where(
                        TimerRow.kind == TimerKind.PROMPT.value,
                        TimerRow.ref_id.in_(chunk2),
                        TimerRow.state == "pending",
                    )
                    .values(state="done", fired_at=world.due(2))
                )
    finally:
        await engine.dispose()


async def measure(kind: str, pairs: int) -> dict[str, int | None]:
    """Statement counts for each item on a night of `pairs` pairs."""
    counts: dict[str, int | None] = dict.fromkeys(ITEMS)
    async with fresh_db(kind) as db:
        world = await build_world(db, pairs)
        await world.advance(1)
        await _prepare(world)
        t = world.escalate_at(1)
        clock = ShiftedClock(t - dtm.timedelta(seconds=2))
        async with strict_fake(clock) as tg:
            world.attach(tg)
            async with running_bot(tg, db, world.config, clock, run_jobs=False) as bot:
                deps, tbot = bot.app.bot_data.deps, bot.app.bot
                counter = Counter(bot.uow.engine.sync_engine)
                await asyncio.sleep(1.0)
                await _settled(counter)
                clock.set(t)
                counts["tick_fires_one_escalation"] = await _count(
                    counter, lambda: run_safety_tick(deps, tbot)
                )
                await run_dispatch(deps, tbot)
                clock.set(t + dtm.timedelta(seconds=5))
                counts["safety_tick_idle"] = await _count(
                    counter, lambda: run_safety_tick(deps, tbot)
                )
                counts["dispatch_idle"] = await _count(counter, lambda: run_dispatch(deps, tbot))

                oncall = world.user(world.oncall)
                alert, data = _with_button(oncall, "es:a:")
                counts["press_acknowledge"] = await _count(
                    counter, lambda: oncall.press_data(alert, data, timeout=30)
                )
                await run_dispatch(deps, tbot)

                clock.set(world.due(2) + dtm.timedelta(seconds=1))
                counts["tick_fires_one_prompt"] = await _count(
                    counter, lambda: run_safety_tick(deps, tbot)
                )
                walker = world.pair_users(world.pairs[0])[0]
                prompt, data_ok = _with_button(walker, "ci:o:")
                counts["press_checkin_ok"] = await _count(
                    counter, lambda: walker.press_data(prompt, data_ok, timeout=30)
                )
                await run_dispatch(deps, tbot)

                role_id = await _next_week_walker_role(world)
                if role_id is not None:
                    joiner = world.user(world.walkers[-1])
                    await joiner.send("/rota")
                    await _settled(counter)
                    await run_dispatch(deps, tbot)
                    shown = joiner.last()
                    counts["press_join"] = await _count(
                        counter,
                        lambda: joiner.press_data(shown, f"ro:j:{role_id}", timeout=30),
                    )
    return counts


async def _next_week_walker_role(world: World) -> int | None:
    """The walker role of a later session (made by the bot's session sync), if any."""
    engine = world.db.engine()
    try:
        async with engine.connect() as conn:
            return await conn.scalar(
                select(RoleRow.id)
                .join(SessionRow, SessionRow.id == RoleRow.session_id)
                .where(SessionRow.id != world.session_id, RoleRow.key == "walker")
                .order_by(SessionRow.starts_at)
                .limit(1)
            )
    finally:
        await engine.dispose()


__all__ = ["NAME", "HELP", "add_arguments", "run"]
