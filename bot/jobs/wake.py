"""Wake a sweep exactly when its next row falls due, rather than on its next periodic tick.

The due time is read from the database after each sweep, so a restart loses nothing: the
periodic sweep finds the rows anyway, this only makes it prompt.
"""

from __future__ import annotations

import datetime as dtm
from collections.abc import Awaitable, Callable

from bot.context import RotaContext

SweepJob = Callable[[RotaContext], Awaitable[None]]


def wake_at(
    context: RotaContext,
    job: SweepJob,
    name: str,
    due: dtm.datetime | None,
    *,
    horizon: float | None = None,
) -> None:
    """Run `job` once at `due`, replacing an earlier wake-up of the same `name`.

    Nothing is set when nothing is due, or when it is more than `horizon` seconds away (the
    periodic sweep will get there first).
    """
    if due is None or context.job_queue is None:
        return
    delay = max(0.0, (due - context.deps.clock.now()).total_seconds())
    if horizon is not None and delay > horizon:
        return
    for earlier in context.job_queue.get_jobs_by_name(name):
        earlier.schedule_removal()
    context.job_queue.run_once(
        job,  # type: ignore[arg-type]
        dtm.timedelta(seconds=delay),
        name=name,
        job_kwargs={"misfire_grace_time": None},
    )
