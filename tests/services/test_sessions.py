"""Sessions: generated from the template, kept in step with edits, added and cancelled."""

from __future__ import annotations

import dataclasses
import datetime as dtm
from typing import Any

import pytest
from sqlalchemy import select

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.errors import InvalidInput, NotFound, SessionClosed
from rota.roster import sessions
from rota.roster.model import Session
from rota.storage.tables import RoleRow, SessionRow
from tests.conftest import ADMIN_ID
from tests.refusing import refusing, worded
from tests.services.helpers import (
    Uow,
    fetch,
    first_session,
    join,
    join_team,
    outbox,
    role_id,
    session_rows,
    signup_states,
    snapshot,
    wait,
    withdraw,
)

UTC = dtm.UTC
TEMPLATE_ROLES = [
    ("lead", "Team lead", 1, 1, False, "lead"),
    ("walker", "Walker", 2, 2, True, "new,trained"),
    ("dropin", "Drop-in", 2, 1, False, ""),
    ("oncall", "On-call coordinator", 1, 1, False, "coordinator"),
]


def _edited(config: RotaConfig, **session_changes: Any) -> RotaConfig:
    """The config with the (only) template session edited."""
    (spec,) = config.template.sessions
    template = dataclasses.replace(
        config.template, sessions=(dataclasses.replace(spec, **session_changes),)
    )
    return dataclasses.replace(config, template=template)


def _with_capacity(config: RotaConfig, key: str, capacity: int) -> RotaConfig:
    roles = tuple(
        dataclasses.replace(r, capacity=capacity) if r.key == key else r
        for r in config.template.roles
    )
    return dataclasses.replace(config, template=dataclasses.replace(config.template, roles=roles))


async def _roles_by_session(uow: Uow) -> dict[int, list[tuple[Any, ...]]]:
    rows = await fetch(
        uow,
        select(
            RoleRow.session_id,
            RoleRow.key,
            RoleRow.label,
            RoleRow.capacity,
            RoleRow.minimum,
            RoleRow.pairs,
            RoleRow.requires,
        ).order_by(RoleRow.session_id, RoleRow.position),
    )
    result: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        result.setdefault(row.session_id, []).append(tuple(row)[1:])
    return result


async def _starts(uow: Uow) -> list[tuple[dtm.date, dtm.datetime, dtm.datetime]]:
    return [(r.local_date, r.starts_at, r.ends_at) for r in await session_rows(uow)]


# --- generating from the template ----------------------------------------------------------


async def test_sync_creates_weeks_ahead_sessions_with_the_template_roles(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    report = await sessions.sync_sessions(uow(), config=config, now=clock.now())

    assert (report.created, report.updated, report.removed, report.kept) == (3, 0, 0, [])
    assert await _starts(uow) == [
        (
            dtm.date(2026, 12, d),
            dtm.datetime(2026, 12, d, 19, tzinfo=UTC),
            dtm.datetime(2026, 12, d, 23, tzinfo=UTC),
        )
        for d in (2, 9, 16)
    ]
    rows = await session_rows(uow)
    assert {(r.template_key, r.meeting_point, r.status, r.note) for r in rows} == {
        ("wednesday", "St Anne's Hall", "scheduled", "")
    }
    roles = await _roles_by_session(uow)
    assert sorted(roles) == [r.id for r in rows]
    assert all(shape == TEMPLATE_ROLES for shape in roles.values())


async def test_sync_twice_changes_nothing(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    await sessions.sync_sessions(uow(), config=config, now=clock.now())
    before = await snapshot(uow)

    report = await sessions.sync_sessions(uow(), config=config, now=clock.now())

    assert (report.created, report.updated, report.removed, report.kept) == (0, 0, 0, [])
    assert await snapshot(uow) == before


async def test_sync_a_week_later_adds_only_the_new_week(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await sessions.sync_sessions(uow(), config=config, now=clock.now())
    clock.advance(days=7)

    report = await sessions.sync_sessions(uow(), config=config, now=clock.now())

    assert report.created == 1
    assert [r.local_date.day for r in await session_rows(uow)] == [2, 9, 16, 23]


async def test_template_start_change_moves_empty_sessions_but_not_one_with_a_signup(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await first_session(uow, config, clock)
    await join_team(uow, config, clock, 5)
    await join(uow, config, clock, 5, role_id(board, "dropin"))

    report = await sessions.sync_sessions(
        uow(), config=_edited(config, start=dtm.time(18, 30)), now=clock.now()
    )

    assert (report.created, report.updated, report.removed) == (0, 2, 0)
    assert [s.id for s in report.kept] == [board.session.id]
    assert [s for _, s, _ in await _starts(uow)] == [
        dtm.datetime(2026, 12, 2, 19, 0, tzinfo=UTC),
        dtm.datetime(2026, 12, 9, 18, 30, tzinfo=UTC),
        dtm.datetime(2026, 12, 16, 18, 30, tzinfo=UTC),
    ]


async def test_template_capacity_change_updates_empty_sessions_only(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await first_session(uow, config, clock)
    await join_team(uow, config, clock, 5)
    await join(uow, config, clock, 5, role_id(board, "walker"))

    report = await sessions.sync_sessions(
        uow(), config=_with_capacity(config, "dropin", 5), now=clock.now()
    )

    assert report.updated == 2
    assert [s.id for s in report.kept] == [board.session.id]
    capacities = {
        sid: dict((shape[0], shape[2]) for shape in roles)["dropin"]
        for sid, roles in (await _roles_by_session(uow)).items()
    }
    assert capacities[board.session.id] == 2
    assert sorted(capacities.values()) == [2, 5, 5]
    assert await signup_states(uow) == [(5, "walker", board.session.id, "confirmed")]


async def test_template_edit_after_everyone_withdrew_updates_the_session(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await first_session(uow, config, clock)
    await join_team(uow, config, clock, 5)
    out = await join(uow, config, clock, 5, role_id(board, "dropin"))
    await withdraw(uow, config, clock, 5, out.signup.id)

    report = await sessions.sync_sessions(
        uow(), config=_edited(config, start=dtm.time(18, 30)), now=clock.now()
    )

    assert (report.updated, report.kept) == (3, [])
    assert (await _starts(uow))[0][1] == dtm.datetime(2026, 12, 2, 18, 30, tzinfo=UTC)


async def test_session_dropped_from_template_is_deleted_unless_someone_signed_up(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await first_session(uow, config, clock)
    await join_team(uow, config, clock, 5)
    await join(uow, config, clock, 5, role_id(board, "dropin"))

    report = await sessions.sync_sessions(
        uow(),
        config=_edited(config, weekday=3),
        now=clock.now(),  # Thursdays now
    )

    assert (report.created, report.removed) == (3, 2)
    assert [s.id for s in report.kept] == [board.session.id]
    assert [r.local_date for r in await session_rows(uow)] == [
        dtm.date(2026, 12, 2),  # kept: someone is down for it
        dtm.date(2026, 12, 3),
        dtm.date(2026, 12, 10),
        dtm.date(2026, 12, 17),
    ]
    assert len(await _roles_by_session(uow)) == 4


async def test_sessions_across_the_spring_clock_change_stay_at_19_local(
    uow: Uow, config: RotaConfig
) -> None:
    clock = FakeClock(dtm.datetime(2027, 3, 15, 12, tzinfo=UTC))

    await sessions.sync_sessions(uow(), config=config, now=clock.now())

    assert [s for _, s, _ in await _starts(uow)] == [
        dtm.datetime(2027, 3, 17, 19, tzinfo=UTC),  # GMT
        dtm.datetime(2027, 3, 24, 19, tzinfo=UTC),  # GMT
        dtm.datetime(2027, 3, 31, 18, tzinfo=UTC),  # BST: 19:00 local is 18:00 UTC
    ]


async def test_sessions_across_the_autumn_clock_change_stay_at_19_local(
    uow: Uow, config: RotaConfig
) -> None:
    clock = FakeClock(dtm.datetime(2026, 10, 12, 12, tzinfo=UTC))

    await sessions.sync_sessions(uow(), config=config, now=clock.now())

    assert [s for _, s, _ in await _starts(uow)] == [
        dtm.datetime(2026, 10, 14, 18, tzinfo=UTC),  # BST
        dtm.datetime(2026, 10, 21, 18, tzinfo=UTC),  # BST
        dtm.datetime(2026, 10, 28, 19, tzinfo=UTC),  # GMT again
    ]


# --- one-off sessions ------------------------------------------------------------------------


async def _add(
    uow: Uow,
    config: RotaConfig,
    clock: FakeClock,
    day: str = "2026-12-05",
    start: str = "18:00",
    end: str = "22:00",
    note: str = "",
) -> Session:
    return await sessions.add_session(
        uow(),
        telegram_id=ADMIN_ID,
        day=day,
        start=start,
        end=end,
        note=note,
        config=config,
        now=clock.now(),
    )


async def test_add_session_stores_a_one_off_with_note_and_template_roles(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    session = await _add(uow, config, clock, note="  Christmas   extra ")

    (row,) = await session_rows(uow)
    assert (row.id, row.template_key, row.local_date, row.note, row.status) == (
        session.id,
        None,
        dtm.date(2026, 12, 5),
        "Christmas extra",
        "scheduled",
    )
    assert (row.starts_at, row.ends_at) == (
        dtm.datetime(2026, 12, 5, 18, tzinfo=UTC),
        dtm.datetime(2026, 12, 5, 22, tzinfo=UTC),
    )
    assert row.meeting_point == "St Anne's Hall"
    assert (await _roles_by_session(uow)) == {session.id: TEMPLATE_ROLES}


async def test_add_session_ending_before_it_starts_ends_after_midnight(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await _add(uow, config, clock, start="22:00", end="02:00")

    assert await _starts(uow) == [
        (
            dtm.date(2026, 12, 5),
            dtm.datetime(2026, 12, 5, 22, tzinfo=UTC),
            dtm.datetime(2026, 12, 6, 2, tzinfo=UTC),
        )
    ]


async def test_add_session_in_summer_time_is_stored_in_utc(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await _add(uow, config, clock, day="2027-06-05", start="19:00", end="23:00")

    assert (await _starts(uow))[0][1] == dtm.datetime(2027, 6, 5, 18, tzinfo=UTC)


BAD_SESSIONS = [
    ("2026-11-30", "11:00", "13:00", "", "already passed"),
    ("2026-11-29", "19:00", "23:00", "", "already passed"),
    ("05/12/2026", "18:00", "22:00", "", "write it as YYYY-MM-DD"),
    ("2026-12-5", "18:00", "22:00", "", "write it as YYYY-MM-DD"),
    ("2026-02-30", "18:00", "22:00", "", "Feb 2026 has only 28 days"),
    ("2026-12-05", "6pm", "22:00", "", "write it as HH:MM"),
    ("2026-12-05", "18:00", "24:00", "", "write it as HH:MM"),
    ("2027-03-28", "01:30", "05:00", "", "does not exist in Europe/London"),
    ("2026-12-05", "18:00", "22:00", "x" * 201, "too long"),
]


async def test_add_session_refuses_bad_input_readably_and_stores_nothing(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    for day, start, end, note, message in BAD_SESSIONS:
        with refusing(InvalidInput, match=message) as refused:
            await _add(uow, config, clock, day=day, start=start, end=end, note=note)
        assert "Error" not in worded(refused.value)

    assert await session_rows(uow) == []


async def test_add_session_on_a_date_that_already_has_one_is_refused(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await first_session(uow, config, clock)
    await _add(uow, config, clock)
    before = await snapshot(uow)

    with refusing(InvalidInput, match="already a session on 2026-12-05"):
        await _add(uow, config, clock, start="10:00", end="12:00")
    with refusing(InvalidInput, match="already a session on 2026-12-02"):
        await _add(uow, config, clock, day="2026-12-02", start="10:00", end="12:00")

    assert await snapshot(uow) == before


# --- cancelling ------------------------------------------------------------------------------


async def _cancel(uow: Uow, config: RotaConfig, clock: FakeClock, day: str = "2026-12-02") -> int:
    _, told = await sessions.cancel_session(
        uow(), telegram_id=ADMIN_ID, day=day, config=config, now=clock.now()
    )
    return told


async def test_cancel_session_marks_it_cancelled_and_tells_everyone_on_it(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await first_session(uow, config, clock)
    dropin = role_id(board, "dropin")
    for telegram_id in (5, 6, 7, 8):
        await join_team(uow, config, clock, telegram_id)
    await join(uow, config, clock, 5, dropin)
    await join(uow, config, clock, 6, dropin)
    await wait(uow, config, clock, 7, dropin)
    gone = await join(uow, config, clock, 8, role_id(board, "walker"))
    await withdraw(uow, config, clock, 8, gone.signup.id)

    told = await _cancel(uow, config, clock)

    assert told == 3
    statuses = await fetch(uow, select(SessionRow.id, SessionRow.status).order_by(SessionRow.id))
    assert [tuple(r) for r in statuses][0] == (board.session.id, "cancelled")
    assert {s for _, s in statuses[1:]} == {"scheduled"}
    assert await outbox(uow) == [
        ("session_cancelled", 5, "pending"),
        ("session_cancelled", 6, "pending"),
        ("session_cancelled", 7, "pending"),
    ]


async def test_cancelled_session_is_not_in_the_upcoming_boards(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await first_session(uow, config, clock)

    await _cancel(uow, config, clock)

    shown = await sessions.upcoming_boards(uow(), telegram_id=None, config=config, now=clock.now())
    assert board.session.id not in [b.session.id for b in shown]
    assert len(shown) == 2


async def test_cancelling_twice_is_refused(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    await first_session(uow, config, clock)
    await _cancel(uow, config, clock)
    before = await snapshot(uow)

    with refusing(NotFound, match="no session on 2026-12-02"):
        await _cancel(uow, config, clock)

    assert await snapshot(uow) == before


async def test_cancelling_a_date_without_a_session_is_refused(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await first_session(uow, config, clock)
    before = await snapshot(uow)

    for day, error in [("2026-12-03", NotFound), ("2026-12-01", NotFound), ("soon", InvalidInput)]:
        with pytest.raises(error):
            await _cancel(uow, config, clock, day=day)

    assert await snapshot(uow) == before


async def test_cancelling_a_session_that_has_started_is_refused(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await first_session(uow, config, clock)
    clock.set(board.session.starts_at)
    before = await snapshot(uow)

    with refusing(SessionClosed, match="already started"):
        await _cancel(uow, config, clock)

    assert await snapshot(uow) == before


async def test_session_roster_shows_a_coordinator_everyone_on_the_session(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await first_session(uow, config, clock)
    dropin = role_id(board, "dropin")
    for telegram_id in (5, 6, 7):
        await join_team(uow, config, clock, telegram_id)
        await wait(uow, config, clock, telegram_id, dropin)

    roster = await sessions.session_roster(
        uow(), telegram_id=ADMIN_ID, day="2026-12-02", config=config
    )

    assert [(e.volunteer.telegram_id, e.signup.status.value) for e in roster.roster] == [
        (5, "confirmed"),
        (6, "confirmed"),
        (7, "waitlisted"),
    ]
