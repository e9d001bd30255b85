"""19:00: the walk starts: pairs, check-ins and their timers, a word to every walker."""

from __future__ import annotations

import datetime as dtm

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.roster import sessions
from tests.conftest import ADMIN_ID
from tests.safety.support import (
    CORA,
    DOT,
    NELL,
    START,
    TESS,
    TIA,
    UMA,
    Night,
    at,
    checkin_rows,
    make_night,
    outbox_rows,
    pair_members,
    timer_rows,
    walk_state,
)
from tests.services.helpers import Uow, snapshot

HALF_HOURS = [at(19, 30), at(20), at(20, 30), at(21), at(21, 30), at(22), at(22, 30)]
MIN = dtm.timedelta(minutes=1)


async def test_nothing_starts_a_second_before_seven(night: Night) -> None:
    report = await night.walks(START - dtm.timedelta(seconds=1))
    assert report.started == 0
    assert await walk_state(night.uow, night.session_id) == "planned"
    assert await pair_members(night.uow, night.session_id) == []


async def test_walk_start_pairs_the_new_walker_with_a_trained_one(two_pairs: Night) -> None:
    night = two_pairs
    await night.start()
    assert await walk_state(night.uow, night.session_id) == "walking"
    # Tia (trained) signed up first with Nell (new); Tess and Uma make the second pair.
    assert await pair_members(night.uow, night.session_id) == [[TIA, NELL], [TESS, UMA]]


async def test_walk_start_makes_seven_half_hourly_checkins_per_pair(two_pairs: Night) -> None:
    night = two_pairs
    await night.start()
    rows = await checkin_rows(night.uow)
    pair_a, pair_b = await night.pair_ids()
    for pair in (pair_a, pair_b):
        mine = [r for r in rows if r.pair_id == pair]
        assert [r.due_at for r in mine] == HALF_HOURS  # none at 23:00, the end
        assert [r.seq for r in mine] == [1, 2, 3, 4, 5, 6, 7]
        assert {(r.total, r.state, r.checked_at, r.escalation_id) for r in mine} == {
            (7, "open", None, None)
        }
    assert len(rows) == 14


async def test_each_checkin_gets_prompt_remind_and_escalate_timers(two_pairs: Night) -> None:
    night = two_pairs
    await night.start()
    expected = []
    for row in await checkin_rows(night.uow):
        expected += [
            ("prompt", row.id, 0, row.due_at, "pending"),
            ("remind", row.id, 0, row.due_at + 5 * MIN, "pending"),
            ("escalate", row.id, 0, row.due_at + 10 * MIN, "pending"),
        ]
    found = [tuple(t) for t in await timer_rows(night.uow)]
    assert sorted(found, key=str) == sorted(expected, key=str)
    assert len(found) == 42


async def test_every_walker_is_told_the_walk_started_and_nobody_else(
    two_pairs: Night,
) -> None:
    night = two_pairs
    await night.start()
    rows = await outbox_rows(night.uow)
    assert [(r.kind, r.chat_id) for r in rows] == [
        ("walk_started", TIA),
        ("walk_started", NELL),
        ("walk_started", TESS),
        ("walk_started", UMA),
    ]
    assert rows[0].payload == {
        "partners": ["Nell"],
        "count": 7,
        "interval": 1800,
        "first_due": at(19, 30).isoformat(),
    }
    assert rows[1].payload["partners"] == ["Tia"]
    assert {r.state for r in rows} == {"pending"}


async def test_starting_twice_changes_nothing(night: Night) -> None:
    await night.start()
    before = await snapshot(night.uow)
    assert (await night.walks(START)).started == 0
    assert (await night.walks(START + MIN)).started == 0
    assert await snapshot(night.uow) == before


async def test_a_lone_walker_is_not_paired_and_coordinators_hear(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock, walkers=(TIA,))
    await night.start()
    assert await pair_members(uow, night.session_id) == []
    assert await checkin_rows(uow) == []
    assert await timer_rows(uow) == []
    rows = await outbox_rows(uow)
    assert [(r.kind, r.chat_id) for r in rows] == [
        ("pairs_problem", CORA),
        ("pairs_problem", DOT),
        ("pairs_problem", ADMIN_ID),
    ]
    assert rows[0].payload == {
        "problems": ["Tia is the only walker: nobody to pair with."],
        "starts_at": START.isoformat(),
    }


async def test_a_new_walker_with_no_trained_partner_stays_home(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock, walkers=(NELL,))
    await night.start()
    assert await pair_members(uow, night.session_id) == []
    assert [r.kind for r in await outbox_rows(uow)] == ["pairs_problem"] * 3


async def test_a_walk_the_bot_was_down_for_gets_only_the_checkins_still_ahead(
    night: Night,
) -> None:
    report = await night.walks(at(20, 10))
    assert report.started == 1
    rows = await checkin_rows(night.uow)
    pair_a = (await night.pair_ids())[0]
    mine = [r for r in rows if r.pair_id == pair_a]
    assert [r.due_at for r in mine] == HALF_HOURS[2:]
    assert [(r.seq, r.total) for r in mine] == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert min(t.due_at for t in await timer_rows(night.uow)) == at(20, 30)
    first = (await outbox_rows(night.uow, "walk_started"))[0]
    assert (first.payload["count"], first.payload["first_due"]) == (5, at(20, 30).isoformat())
    # Nothing is prompted or escalated for the check-ins of before 20:10.
    assert await night.fire() == 0


async def test_a_cancelled_session_never_starts(night: Night) -> None:
    await sessions.cancel_session(
        night.uow(),
        telegram_id=ADMIN_ID,
        day="2026-12-02",
        config=night.config,
        now=night.clock.now(),
    )
    before = await snapshot(night.uow)
    assert (await night.walks(START)).started == 0
    assert (await night.walks(at(23))).ended == 0
    assert await snapshot(night.uow) == before
