"""The nightly retention purge: armed after the 03:00 session planning, and what it logs."""

from __future__ import annotations

import datetime as dtm
import logging
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import ApplicationBuilder, Job

from bot.jobs import retention, schedule
from bot.jobs.retention import retention_job
from rota.kernel.template import RetentionPolicy
from rota.privacy.retention import PurgeReport

ZONE = "Europe/London"


def _jobs() -> dict[str, Job]:  # type: ignore[type-arg]
    app = ApplicationBuilder().token("1:A").updater(None).build()
    assert app.job_queue is not None
    schedule(app.job_queue, ZONE)
    return {job.name: job for job in app.job_queue.jobs() if job.name}


@pytest.mark.parametrize(
    "now",
    [
        dtm.datetime(2026, 12, 3, 14, 0, tzinfo=dtm.UTC),  # GMT
        dtm.datetime(2027, 7, 1, 1, 0, tzinfo=dtm.UTC),  # BST, just before 03:00 local
        dtm.datetime(2027, 3, 27, 12, 0, tzinfo=dtm.UTC),  # the night the clocks go forward
    ],
)
def test_the_purge_runs_nightly_half_an_hour_after_the_session_planning(
    now: dtm.datetime,
) -> None:
    jobs = _jobs()
    sync = jobs["sync-sessions"].job.trigger.get_next_fire_time(None, now)
    purge = jobs["retention"].job.trigger.get_next_fire_time(None, now)
    assert purge - sync == dtm.timedelta(minutes=30)
    local = purge.astimezone(ZoneInfo(ZONE))
    assert (local.hour, local.minute) == (3, 30)
    after = jobs["retention"].job.trigger.get_next_fire_time(
        purge, purge + dtm.timedelta(seconds=1)
    )
    assert after.astimezone(ZoneInfo(ZONE)).date() == local.date() + dtm.timedelta(days=1)


def test_the_purge_is_never_skipped_for_running_late() -> None:
    job = _jobs()["retention"]
    assert job.callback is retention_job
    assert job.job.misfire_grace_time is None
    assert job.job.coalesce is True


async def test_the_job_logs_counts_only(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    async def fake_purge(uow: Any, **kwargs: Any) -> PurgeReport:
        seen.update(kwargs)
        return PurgeReport(outbox_rows_deleted=3, invites_deleted=1)

    monkeypatch.setattr(retention, "purge", fake_purge)
    now = dtm.datetime(2026, 12, 4, 3, 30, tzinfo=dtm.UTC)
    policy = RetentionPolicy(invites=dtm.timedelta(days=2))
    deps = SimpleNamespace(
        uow=object(),
        clock=SimpleNamespace(now=lambda: now),
        config=SimpleNamespace(template=SimpleNamespace(retention=policy)),
    )
    with caplog.at_level(logging.INFO, logger="bot.jobs.retention"):
        report = await retention.run_retention(cast(Any, deps))
    assert report.total == 4
    assert seen == {"policy": policy, "now": now}
    assert caplog.messages == [
        "retention: 4 rows wiped or deleted; outbox: 3 messages deleted; "
        "invites: 1 invites deleted"
    ]
