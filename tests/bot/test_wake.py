"""A sweep's wake-up: set once for the next due row, replaced, or left to the periodic sweep."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from bot.jobs.wake import wake_at

NOW = dtm.datetime(2026, 12, 2, 19, 0, tzinfo=dtm.UTC)


@dataclass
class _Job:
    name: str
    removed: bool = False

    def schedule_removal(self) -> None:
        self.removed = True


@dataclass
class _JobQueue:
    jobs: list[_Job] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)

    def get_jobs_by_name(self, name: str) -> list[_Job]:
        return [j for j in self.jobs if j.name == name and not j.removed]

    def run_once(self, callback: Any, when: dtm.timedelta, *, name: str, **_: Any) -> None:
        self.jobs.append(_Job(name))
        self.delays.append(when.total_seconds())


def _context(queue: _JobQueue) -> Any:
    clock = SimpleNamespace(now=lambda: NOW)
    return cast(Any, SimpleNamespace(job_queue=queue, deps=SimpleNamespace(clock=clock)))


async def _job(context: Any) -> None:
    """Never run here."""


def test_the_next_due_row_sets_one_wake_up_replacing_the_earlier_one() -> None:
    queue = _JobQueue()
    wake_at(_context(queue), _job, "next", NOW + dtm.timedelta(seconds=30))
    wake_at(_context(queue), _job, "next", NOW + dtm.timedelta(seconds=5))

    assert queue.delays == [30.0, 5.0]
    assert [j.removed for j in queue.jobs] == [True, False]


def test_overdue_wakes_at_once_and_nothing_due_sets_nothing() -> None:
    queue = _JobQueue()
    wake_at(_context(queue), _job, "next", NOW - dtm.timedelta(minutes=5))
    wake_at(_context(queue), _job, "next", None)

    assert queue.delays == [0.0]


def test_beyond_the_horizon_the_periodic_sweep_is_left_to_it() -> None:
    queue = _JobQueue()
    wake_at(_context(queue), _job, "next", NOW + dtm.timedelta(seconds=61), horizon=60)
    wake_at(_context(queue), _job, "next", NOW + dtm.timedelta(seconds=60), horizon=60)

    assert queue.delays == [60.0]
