"""The alarm clock: which jobs run when. The truth is in the database, not in these timers."""

from __future__ import annotations

import datetime as dtm
import logging
from zoneinfo import ZoneInfo

from telegram.ext import JobQueue

from bot.jobs.dispatch import dispatch_job
from bot.jobs.posts import refresh_posts_job
from bot.jobs.retention import retention_job
from bot.jobs.safety import reachability_job, safety_job
from bot.jobs.sessions import sync_sessions_job
from bot.jobs.shift import shift_job

MUST_RUN = {"misfire_grace_time": None, "coalesce": True}
DISPATCH_SWEEP_SECONDS = 2.0
SAFETY_SWEEP_SECONDS = 1.0
SHIFT_SWEEP_SECONDS = 5.0
POST_REFRESH_SECONDS = 2.0
NIGHTLY_SYNC = dtm.time(3, 0)
# After the sync, at the quietest hour: nobody walks, few messages are owed.
NIGHTLY_RETENTION = dtm.time(3, 30)
SWEEPS = frozenset({"dispatch", "refresh-posts", "safety", "shift"})


class BusySweepFilter(logging.Filter):
    """Drops APScheduler's warning that a sweep's turn came while it was still running.

    That is normal and harmless: the running sweep does the work, and the next turn comes a
    second or two later. During a long catch-up it was logged again and again (measured: 196
    lines in a restart with 10,000 messages owed, 12 with 1,000; none with this filter),
    hiding the warnings that matter. Other jobs' skips are still logged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if "maximum number of running instances" not in str(record.msg):
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        return getattr(args[0] if args else None, "name", None) not in SWEEPS


def quiet_busy_sweeps() -> None:
    """Install BusySweepFilter on APScheduler's logger (once)."""
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, BusySweepFilter) for f in scheduler_log.filters):
        scheduler_log.addFilter(BusySweepFilter())


def schedule(job_queue: JobQueue, zone: str) -> None:  # type: ignore[type-arg]
    """Arm the recurring jobs; a missed run is run late, never skipped."""
    quiet_busy_sweeps()
    job_queue.run_once(sync_sessions_job, 0, name="sync-sessions-start", job_kwargs=MUST_RUN)
    job_queue.run_daily(
        sync_sessions_job,
        NIGHTLY_SYNC.replace(tzinfo=ZoneInfo(zone)),
        name="sync-sessions",
        job_kwargs=MUST_RUN,
    )
    job_queue.run_daily(
        retention_job,
        NIGHTLY_RETENTION.replace(tzinfo=ZoneInfo(zone)),
        name="retention",
        job_kwargs=MUST_RUN,
    )
    # A repeating job armed before the scheduler starts first runs one interval late (its
    # first time has passed by then): a restart's backlog would wait a second for nothing.
    job_queue.run_once(safety_job, 0, name="safety-start", job_kwargs=MUST_RUN)
    job_queue.run_once(dispatch_job, 0, name="dispatch-start", job_kwargs=MUST_RUN)
    job_queue.run_repeating(
        dispatch_job, DISPATCH_SWEEP_SECONDS, first=0, name="dispatch", job_kwargs=MUST_RUN
    )
    job_queue.run_repeating(
        refresh_posts_job, POST_REFRESH_SECONDS, first=1, name="refresh-posts", job_kwargs=MUST_RUN
    )
    job_queue.run_repeating(
        safety_job, SAFETY_SWEEP_SECONDS, first=0, name="safety", job_kwargs=MUST_RUN
    )
    job_queue.run_once(reachability_job, 5, name="reachability", job_kwargs=MUST_RUN)
    job_queue.run_repeating(
        shift_job, SHIFT_SWEEP_SECONDS, first=2, name="shift", job_kwargs=MUST_RUN
    )


def ring_dispatcher(job_queue: JobQueue) -> None:  # type: ignore[type-arg]
    """Deliver now: called after every commit that recorded outbox rows.

    A wake-up still waiting to start will find these rows too: no second one is queued.
    """
    if job_queue.get_jobs_by_name("dispatch-now"):
        return
    job_queue.run_once(dispatch_job, 0, name="dispatch-now", job_kwargs=MUST_RUN)
