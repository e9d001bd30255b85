"""The retention purge (issue 12) on a big outbox while alarms keep going out.

N old, finished outbox rows (half past message_rows, to delete; half past message_bodies, to
wipe) are purged by `rota.privacy.retention.purge` with its nightly settings (windows of 500
rows, each its own transaction, a pause between), while a dispatcher keeps raising alarms:
every 50 ms one alert row is written, claimed and marked sent, three short transactions, as
the bot does. Figures: the purge's total time and its longest transaction (on SQLite that is
how long it holds the one write lock), and how long each alarm took from being raised to
being marked sent, against the same alarms with no purge running.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dtm
import json
import time
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Self

from sqlalchemy import func, insert, select

from bench.dbs import BenchDb, fresh_db, pg_available
from bench.results import Result, percentile
from rota.kernel.outbox import Notice, Priority
from rota.kernel.template import RetentionPolicy
from rota.kernel.uow import UnitOfWork
from rota.privacy import retention
from rota.safety.notices import AlertTaken
from rota.storage.tables import OutboxRow
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory

NAME = "purge"
HELP = "the nightly retention purge of 100,000 old outbox rows while alarms keep going out"
GOAL = (
    "SQLite: the purge holds the one write lock <= 100 ms at a time; both: the slowest alarm "
    "during the purge <= 250 ms slower than the slowest with no purge"
)
TX_GOAL = 0.1  # s: on SQLite a purge transaction is the write lock held; PostgreSQL locks rows
DELAY_GOAL = 0.25
FULL = 100_000
QUICK = 5_000
ALARM_EVERY = 0.05  # s between two alarms raised by the dispatcher
IDLE_ALARMS = 100  # the baseline: alarms with no purge running
SEED_CHUNK = 5_000
NOW = dtm.datetime(2027, 1, 20, 3, 30, tzinfo=dtm.UTC)
POLICY = RetentionPolicy()
LEASE = dtm.timedelta(seconds=30)
PAYLOAD = json.dumps(
    {
        "names": "Zephyrine Example and Tia Example",
        "members": [{"name": "Zephyrine Example", "phone": "+44 7700 900123"}],
        "meeting_point": "St Anne's Hall, side door, 12 Church Lane",
        "starts_at": "2026-11-25T19:00:00+00:00",
        "notes": ["A regular asked after the woman in the red coat near the arches."],
    },
    sort_keys=True,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rows",
        type=int,
        default=None,
        help=f"old outbox rows (default {FULL:,}; quick {QUICK:,})",
    )
    parser.add_argument(
        "--batch", type=int, default=retention.BATCH, help="rows per purge transaction"
    )
    parser.add_argument(
        "--pause",
        type=float,
        default=retention.PAUSE,
        help="seconds between two purge transactions (the nightly job's default)",
    )


async def run(args: argparse.Namespace) -> list[Result]:
    rows: int = getattr(args, "rows", None) or (QUICK if args.quick else FULL)
    batch: int = getattr(args, "batch", retention.BATCH)
    pause: float = getattr(args, "pause", retention.PAUSE)
    results: list[Result] = []
    for kind in args.dbs:
        if kind == "postgresql" and not await pg_available():
            results.append(Result(NAME, {"db": kind}, {}, note="PostgreSQL not reachable"))
            continue
        async with fresh_db(kind) as db:
            results.append(await _one(db, rows, batch, pause))
        print(f"purge {kind}: {results[-1].metrics}", flush=True)
    return results


# --- timing the purge's transactions -----------------------------------------------------


class _TimedUow:
    """A unit of work that records how long it was open (enter to exit: one transaction)."""

    def __init__(self, inner: Any, spans: list[float]) -> None:
        self._inner = inner
        self._spans = spans
        self._started = 0.0

    async def __aenter__(self) -> Self:
        self._started = time.perf_counter()
        await self._inner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._inner.__aexit__(exc_type, exc, tb)
        finally:
            self._spans.append(time.perf_counter() - self._started)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _TimedFactory:
    def __init__(self, inner: SqlAlchemyUnitOfWorkFactory) -> None:
        self._inner = inner
        self.spans: list[float] = []

    def __call__(self) -> UnitOfWork:
        return _TimedUow(self._inner(), self.spans)


# --- the world --------------------------------------------------------------------------


async def _seed(db: BenchDb, rows: int) -> None:
    """`rows` delivered rows: even ones 40-60 days old (to delete), odd ones 4-30 (to wipe)."""
    engine = db.engine()
    try:
        for start in range(0, rows, SEED_CHUNK):
            values = []
            for n in range(start, min(rows, start + SEED_CHUNK)):
                days = 40 + n % 20 if n % 2 == 0 else 4 + n % 26
                at = NOW - dtm.timedelta(days=days, seconds=n % 3_600)
                values.append(
                    {
                        "kind": "briefing",
                        "chat_id": 10_000 + n % 600,
                        "payload": PAYLOAD,
                        "dedupe_key": f"bench:{n}",
                        "priority": 5,
                        "state": "sent",
                        "due_at": at,
                        "attempts": 1,
                        "created_at": at,
                        "sent_at": at,
                        "message_id": n,
                    }
                )
            async with engine.begin() as conn:
                await conn.execute(insert(OutboxRow), values)
    finally:
        await engine.dispose()


async def _alarm(uows: SqlAlchemyUnitOfWorkFactory, n: int) -> float:
    """One alarm as the bot handles it: recorded, claimed, marked sent; seconds it took."""
    started = time.perf_counter()
    async with uows() as uow:
        await uow.outbox.add(
            Notice(
                chat_id=900_000 + n % 5,
                payload=AlertTaken(escalation_id=n, by="Cora", at=NOW, names="Tia and Nell"),
                priority=Priority.SAFETY,
            ),
            now=NOW,
            due_at=None,
        )
        await uow.commit()
    async with uows() as uow:
        items = await uow.outbox.claim_due(
            now=NOW, lease=LEASE, limit=20, max_priority=Priority.SAFETY
        )
        await uow.commit()
    async with uows() as uow:
        for item in items:
            await uow.outbox.mark_sent(item.id, now=NOW, message_id=n)
        await uow.commit()
    return time.perf_counter() - started


@contextlib.asynccontextmanager
async def _alarms(uows: SqlAlchemyUnitOfWorkFactory) -> AsyncIterator[list[float]]:
    """Raise an alarm every ALARM_EVERY s in the background; yields their times as they come."""
    waits: list[float] = []
    stop = asyncio.Event()

    async def loop() -> None:
        n = 0
        while not stop.is_set():
            waits.append(await _alarm(uows, n))
            n += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), ALARM_EVERY)

    task = asyncio.create_task(loop())
    try:
        yield waits
    finally:
        stop.set()
        await task


async def _one(db: BenchDb, rows: int, batch: int, pause: float) -> Result:
    await _seed(db, rows)
    engine = db.engine()
    try:
        uows = SqlAlchemyUnitOfWorkFactory(engine)
        idle = [await _alarm(uows, -n - 1) for n in range(IDLE_ALARMS)]
        timed = _TimedFactory(uows)
        async with _alarms(uows) as waits:
            started = time.perf_counter()
            report = await retention.purge(timed, policy=POLICY, now=NOW, batch=batch, pause=pause)
            purge_s = time.perf_counter() - started
        async with engine.connect() as conn:
            left = await conn.scalar(select(func.count()).select_from(OutboxRow))
            wordy = await conn.scalar(select(func.count()).where(OutboxRow.payload == PAYLOAD))
    finally:
        await engine.dispose()
    expected_deleted = (rows + 1) // 2
    correct = (
        report.outbox_rows_deleted == expected_deleted
        and report.outbox_bodies_wiped == rows - expected_deleted
        and wordy == 0
    )
    spans = timed.spans
    delay = max(waits) - max(idle)
    metrics: dict[str, Any] = {
        "purge_s": round(purge_s, 2),
        "rows_per_s": round(rows / purge_s),
        "transactions": len(spans),
        "tx_p50_ms": round(percentile(spans, 50) * 1000, 1),
        "tx_p99_ms": round(percentile(spans, 99) * 1000, 1),
        "tx_max_ms": round(max(spans) * 1000, 1),
        "alarms": len(waits),
        "alarm_p50_ms": round(percentile(waits, 50) * 1000, 1),
        "alarm_p99_ms": round(percentile(waits, 99) * 1000, 1),
        "alarm_max_ms": round(max(waits) * 1000, 1),
        "idle_alarm_max_ms": round(max(idle) * 1000, 1),
        "alarm_delay_ms": round(delay * 1000, 1),
        "deleted": report.outbox_rows_deleted,
        "wiped": report.outbox_bodies_wiped,
        "rows_left": left,
    }
    return Result(
        measurement=NAME,
        params={"db": db.kind, "rows": rows, "batch": batch, "pause_s": pause},
        metrics=metrics,
        goal=GOAL,
        met=correct and delay <= DELAY_GOAL and (db.kind != "sqlite" or max(spans) <= TX_GOAL),
        note=(
            f"an alarm = write + claim + mark sent (3 transactions), one every "
            f"{ALARM_EVERY * 1000:.0f} ms during the purge; idle = {IDLE_ALARMS} alarms before "
            f"it; {'every row purged as expected' if correct else 'WRONG COUNTS'}"
        ),
    )
