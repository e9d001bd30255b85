"""APScheduler's 'skipped: maximum number of running instances' for our sweeps is dropped."""

from __future__ import annotations

import logging

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.jobs import BusySweepFilter, quiet_busy_sweeps


class _Job:
    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return f"{self.name} (trigger: interval[0:00:01])"


def _skip_record(job_name: str) -> logging.LogRecord:
    """The record APScheduler logs when a job's turn comes while it is still running."""
    return logging.LogRecord(
        "apscheduler.scheduler",
        logging.WARNING,
        __file__,
        1,
        'Execution of job "%s" skipped: maximum number of running instances reached (%d)',
        (_Job(job_name), 1),
        None,
    )


@pytest.mark.parametrize("sweep", ["dispatch", "safety", "shift", "refresh-posts"])
def test_a_busy_sweep_is_not_logged(sweep: str) -> None:
    assert BusySweepFilter().filter(_skip_record(sweep)) is False


def test_other_jobs_skips_and_other_warnings_are_kept() -> None:
    keep = BusySweepFilter()
    assert keep.filter(_skip_record("reachability")) is True
    other = logging.LogRecord(
        "apscheduler.scheduler", logging.WARNING, __file__, 1, "Run time of job %s was missed",
        (_Job("safety"),), None,
    )  # fmt: skip
    assert keep.filter(other) is True


def test_installed_once_on_the_logger_apscheduler_uses(caplog: pytest.LogCaptureFixture) -> None:
    quiet_busy_sweeps()
    quiet_busy_sweeps()
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    assert AsyncIOScheduler()._logger is scheduler_log  # the scheduler PTB's JobQueue runs
    assert sum(isinstance(f, BusySweepFilter) for f in scheduler_log.filters) == 1
    with caplog.at_level(logging.WARNING, logger="apscheduler.scheduler"):
        scheduler_log.handle(_skip_record("dispatch"))
        scheduler_log.handle(_skip_record("reachability"))
    assert [r.args[0].name for r in caplog.records] == ["reachability"]  # type: ignore[index]
