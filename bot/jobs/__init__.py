"""The alarm clock: which jobs run when. The truth is in the database, not in these timers."""

from __future__ import annotations

import datetime as dtm
from zoneinfo import ZoneInfo

from telegram.ext import JobQueue

from bot.jobs.dispatch import dispatch_job
from bot.jobs.posts import refresh_posts_job
from bot.jobs.safety import reachability_job, safety_job
from bot.jobs.sessions import sync_sessions_job
from bot.jobs.shift import shift_job

MUST_RUN = {"misfire_grace_time": None, "coalesce": True}
DISPATCH_SWEEP_SECONDS = 2.0
SAFETY_SWEEP_SECONDS = 1.0
SHIFT_SWEEP_SECONDS = 5.0
POST_REFRESH_SECONDS = 2.0
NIGHTLY_SYNC = dtm.time(3, 0)


def schedule(job_queue: JobQueue, zone: str) -> None:  # type: ignore[type-arg]
    """Arm the recurring jobs; a missed run is run late, never skipped."""
    job_queue.run_once(sync_sessions_job, 0, name="sync-sessions-start", job_kwargs=MUST_RUN)
    job_queue.run_daily(
        sync_sessions_job,
        NIGHTLY_SYNC.replace(tzinfo=ZoneInfo(zone)),
        name="sync-sessions",
        job_kwargs=MUST_RUN,
    )
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
    """Deliver now: called right after a handler recorded outbox rows."""
    job_queue.run_once(dispatch_job, 0, name="dispatch-now", job_kwargs=MUST_RUN)
