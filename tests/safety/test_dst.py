"""The nights the clocks change: check-ins every 30 real minutes, however the wall clock jumps."""

from __future__ import annotations

import dataclasses
import datetime as dtm

import pytest

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.roster import sessions
from rota.safety import walks
from tests.conftest import ADMIN_ID
from tests.safety.support import (
    NELL,
    TIA,
    add_people,
    checkin_rows,
    timer_rows,
    walker,
    with_capacity,
)
from tests.services.helpers import Uow

UTC = dtm.UTC
HALF_HOUR = dtm.timedelta(minutes=30)


async def _one_off_walk(
    uow: Uow, config: RotaConfig, clock: FakeClock, day: str
) -> tuple[RotaConfig, list[dtm.datetime]]:
    """A 22:00-02:00 extra night with one pair, walked; its check-in due times (UTC)."""
    config = dataclasses.replace(with_capacity(config, "walker", 6), team_chat_id=None)
    session = await sessions.add_session(
        uow(),
        telegram_id=ADMIN_ID,
        day=day,
        start="22:00",
        end="02:00",
        note="",
        config=config,
        now=clock.now(),
    )
    async with uow() as work:
        roles = {r.key: r.id for r in await work.sessions.roles([session.id])}
    await add_people(uow, clock, session.id, roles, [walker(TIA), walker(NELL)])
    clock.set(session.starts_at)
    report = await walks.start_and_end_walks(uow, config=config, now=clock.now())
    assert report.started == 1
    return config, [r.due_at for r in await checkin_rows(uow)]


@pytest.mark.parametrize(
    ("day", "before", "starts", "count"),
    [
        # 22:00 BST is 21:00 UTC; 02:00 GMT (after the repeated hour) is 02:00 UTC: 5 hours.
        (
            "2026-10-24",
            dtm.datetime(2026, 10, 20, tzinfo=UTC),
            dtm.datetime(2026, 10, 24, 21, 0, tzinfo=UTC),
            9,
        ),
        # 22:00 GMT is 22:00 UTC; 02:00 BST (the hour 01:00-02:00 never happens) is 01:00 UTC.
        (
            "2027-03-27",
            dtm.datetime(2027, 3, 20, tzinfo=UTC),
            dtm.datetime(2027, 3, 27, 22, 0, tzinfo=UTC),
            5,
        ),
    ],
    ids=["clocks-go-back", "clocks-go-forward"],
)
async def test_checkins_every_thirty_real_minutes_across_the_change(
    uow: Uow,
    config: RotaConfig,
    clock: FakeClock,
    day: str,
    before: dtm.datetime,
    starts: dtm.datetime,
    count: int,
) -> None:
    clock.set(before)
    _config, dues = await _one_off_walk(uow, config, clock, day)
    assert dues == [starts + HALF_HOUR * n for n in range(1, count + 1)]


async def test_timers_across_the_repeated_hour_keep_real_gaps(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    clock.set(dtm.datetime(2026, 10, 20, tzinfo=UTC))
    _config, dues = await _one_off_walk(uow, config, clock, "2026-10-24")
    # 01:00 UTC is 01:00 GMT, the second time the wall clock shows 01:00 that night.
    repeated = dtm.datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
    assert repeated in dues
    checkin_id = next(r.id for r in await checkin_rows(uow) if r.due_at == repeated)
    mine = [(t.kind, t.due_at) for t in await timer_rows(uow) if t.ref_id == checkin_id]
    assert mine == [
        ("prompt", repeated),
        ("remind", repeated + dtm.timedelta(minutes=5)),
        ("escalate", repeated + dtm.timedelta(minutes=10)),
    ]


async def test_home_safe_is_due_ninety_real_minutes_after_a_spring_forward_walk(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    clock.set(dtm.datetime(2027, 3, 20, tzinfo=UTC))
    config, _dues = await _one_off_walk(uow, config, clock, "2027-03-27")
    end = dtm.datetime(2027, 3, 28, 1, 0, tzinfo=UTC)  # 02:00 BST
    report = await walks.start_and_end_walks(uow, config=config, now=end)
    assert report.ended == 1
    home = [(t.kind, t.due_at) for t in await timer_rows(uow, "home_remind", "home_escalate")]
    assert sorted(home) == sorted(
        [("home_remind", end + dtm.timedelta(minutes=90))] * 2
        + [("home_escalate", end + dtm.timedelta(minutes=95))] * 2
    )
