"""Coordinator views: the live board, the safety log, the pairs, swaps and check-in plans."""

from __future__ import annotations

import datetime as dtm
import json

import pytest
from sqlalchemy import select

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.errors import InvalidInput, NotCoordinator, SessionClosed
from rota.safety import alarms, checkins, tonight
from rota.storage.tables import SessionRow
from tests.conftest import ADMIN_ID
from tests.refusing import refusing
from tests.safety.support import (
    CORA,
    NELL,
    START,
    TESS,
    TIA,
    UMA,
    VERA,
    WEEK,
    Night,
    at,
    checkin_rows,
    escalation_rows,
    make_night,
    next_week,
    pair_members,
    timer_rows,
)
from tests.services.helpers import Uow, fetch, snapshot

DAY = "2026-12-02"


async def _board(night: Night, telegram_id: int = CORA) -> tonight.Board:
    return await tonight.board(
        night.uow(), telegram_id=telegram_id, config=night.config, now=night.clock.now()
    )


async def _state_now(night: Night) -> str:
    (line,) = (await _board(night)).pairs
    return line.state


# --- the board ------------------------------------------------------------------------------


async def test_board_state_of_a_silent_pair_at_each_edge(night: Night) -> None:
    await night.start()
    timeline = [
        (at(19, 29, 59), "ok"),
        (at(19, 30), "due"),
        (at(19, 34, 59), "due"),
        (at(19, 35), "late"),
        (at(19, 39, 59), "late"),
        (at(19, 40), "escalated"),
    ]
    seen = []
    for when, _state in timeline:
        await night.fire(when)
        seen.append((when, await _state_now(night)))
    assert seen == timeline


async def test_board_shows_acknowledged_once_a_coordinator_takes_it(night: Night) -> None:
    await night.start()
    await night.fire(at(19, 40))
    (esc,) = await escalation_rows(night.uow)
    night.clock.set(at(19, 41))
    await alarms.acknowledge(
        night.uow(), telegram_id=CORA, escalation_id=esc.id, config=night.config, now=at(19, 41)
    )
    board = await _board(night)
    assert board.pairs[0].state == "acknowledged"
    assert [e.id for e in board.open_alarms] == [esc.id]
    assert board.names[night.ids[CORA]] == "Cora"


async def test_board_after_a_check_in_is_ok_with_last_and_next(night: Night) -> None:
    await night.start()
    await night.fire(at(19, 30))
    night.clock.set(at(19, 31))
    await checkins.check_in_now(night.uow(), telegram_id=NELL, config=night.config, now=at(19, 31))
    (line,) = (await _board(night)).pairs
    assert line.state == "ok"
    assert line.last is not None
    assert (line.last.seq, line.last.checked_at) == (1, at(19, 31))
    assert line.next is not None
    assert (line.next.seq, line.next.due_at) == (2, at(20))


async def test_board_is_for_coordinators_only(night: Night) -> None:
    await night.start()
    with pytest.raises(NotCoordinator):
        await _board(night, TIA)


# --- the safety log -------------------------------------------------------------------------


async def test_session_log_has_one_entry_per_event_in_time_order(night: Night) -> None:
    await night.start()
    await night.fire(at(19, 30))
    await night.fire(at(19, 35))
    await night.fire(at(19, 40))
    (esc,) = await escalation_rows(night.uow)
    await alarms.acknowledge(
        night.uow(), telegram_id=CORA, escalation_id=esc.id, config=night.config, now=at(19, 41)
    )
    night.clock.set(at(19, 42))
    await checkins.check_in_now(night.uow(), telegram_id=TIA, config=night.config, now=at(19, 42))
    session, entries = await tonight.session_log(
        night.uow(), telegram_id=ADMIN_ID, day=DAY, config=night.config
    )
    assert session.id == night.session_id
    assert [(e.at, e.event) for e in entries] == [
        (START, "pairs_made"),
        (START, "walk_started"),
        (at(19, 30), "prompt"),
        (at(19, 35), "reminder"),
        (at(19, 40), "missed_checkin_opened"),
        (at(19, 40), "escalation_step"),
        (at(19, 41), "acknowledged"),
        (at(19, 42), "checked_in"),
    ]
    assert entries[-1].detail == "Tia for Tia and Nell, check-in 1/7 (late)"
    assert entries[-1].escalation_id == esc.id


async def test_session_log_orders_a_back_dated_ok_by_when_it_was_sent(night: Night) -> None:
    await night.start()
    night.clock.set(at(19, 45))
    await checkins.check_in_now(
        night.uow(), telegram_id=TIA, config=night.config, now=at(19, 45), sent_at=at(19, 20)
    )
    _session, entries = await tonight.session_log(
        night.uow(), telegram_id=ADMIN_ID, day=DAY, config=night.config
    )
    assert [(e.at, e.event) for e in entries] == [
        (START, "pairs_made"),
        (START, "walk_started"),
        (at(19, 20), "checked_in"),
    ]


# --- pairs before the walk ------------------------------------------------------------------


async def _view(night: Night) -> tonight.PairsView:
    return await tonight.view_pairs(
        night.uow(), telegram_id=CORA, day=DAY, config=night.config, now=night.clock.now()
    )


async def _swap(night: Night, a: int, b: int) -> tonight.PairsView:
    return await tonight.swap_walkers(
        night.uow(),
        telegram_id=CORA,
        session_id=night.session_id,
        a=night.ids[a],
        b=night.ids[b],
        config=night.config,
        now=night.clock.now(),
    )


async def test_view_pairs_before_the_walk_makes_the_pairs(two_pairs: Night) -> None:
    night = two_pairs
    view = await _view(night)
    assert [[m.name for m in p.members] for p in view.pairs] == [["Tia", "Nell"], ["Tess", "Uma"]]
    assert (view.unpaired, view.problems, view.editable) == ([], [], True)
    assert await pair_members(night.uow, night.session_id) == [[TIA, NELL], [TESS, UMA]]


async def test_view_pairs_lists_who_cannot_go_out(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock, walkers=(NELL, VERA))
    view = await _view(night)
    assert view.pairs == []
    assert view.unpaired == ["Nell", "Vera"]
    assert view.problems == [
        "Not enough trained walkers: Nell and Vera (new) have no trained partner."
    ]


async def test_swap_walkers_swaps_them(two_pairs: Night) -> None:
    night = two_pairs
    await _view(night)
    view = await _swap(night, NELL, TESS)
    assert [[m.name for m in p.members] for p in view.pairs] == [["Tia", "Tess"], ["Nell", "Uma"]]
    assert await pair_members(night.uow, night.session_id) == [[TIA, TESS], [NELL, UMA]]


async def test_the_walk_keeps_swapped_pairs(two_pairs: Night) -> None:
    night = two_pairs
    await _view(night)
    await _swap(night, NELL, TESS)
    await night.start()
    assert await pair_members(night.uow, night.session_id) == [[TIA, TESS], [NELL, UMA]]


async def test_a_swap_leaving_new_walkers_alone_together_is_refused(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock, walkers=(TIA, NELL, TESS, VERA))
    await _view(night)
    assert await pair_members(uow, night.session_id) == [[TIA, NELL], [TESS, VERA]]
    before = await snapshot(uow)
    with refusing(InvalidInput, match="no trained walker"):
        await _swap(night, TIA, VERA)
    assert await snapshot(uow) == before


async def test_no_swaps_once_the_walk_started(two_pairs: Night) -> None:
    night = two_pairs
    await night.start()
    before = await snapshot(night.uow)
    with pytest.raises(SessionClosed):
        await _swap(night, NELL, TESS)
    assert await snapshot(night.uow) == before


# --- the check-in plan ----------------------------------------------------------------------


async def _set_plan(night: Night, *words: str) -> object:
    return await tonight.set_checkin_plan(
        night.uow(), telegram_id=CORA, day=DAY, words=list(words), config=night.config
    )


async def _stored_plan(night: Night) -> str | None:
    (row,) = await fetch(
        night.uow, select(SessionRow.checkin_plan).where(SessionRow.id == night.session_id)
    )
    plan: str | None = row.checkin_plan
    return plan


async def test_a_plan_override_is_stored(night: Night) -> None:
    await _set_plan(night, "interval=20m")
    stored = await _stored_plan(night)
    assert stored is not None
    assert json.loads(stored) == {
        "interval": 1200,
        "grace": 300,
        "escalate_after": 600,
        "reescalate_after": 300,
        "home_safe_within": 5400,
    }


async def test_the_walk_uses_the_overridden_plan(night: Night) -> None:
    await _set_plan(night, "interval=20m", "grace=2m")
    await night.start()
    dues = [r.due_at for r in await checkin_rows(night.uow)]
    assert dues == [START + dtm.timedelta(minutes=20 * n) for n in range(1, 12)]  # 19:20..22:40
    first = (await checkin_rows(night.uow))[0].id
    assert [(t.kind, t.due_at) for t in await timer_rows(night.uow) if t.ref_id == first] == [
        ("prompt", at(19, 20)),
        ("remind", at(19, 22)),
        ("escalate", at(19, 30)),
    ]


@pytest.mark.parametrize(
    "words",
    [["interval=abc"], ["grace=15m"], ["colour=red"], ["interval"], ["interval=0m"]],
    ids=["bad-duration", "grace-after-escalation", "unknown-key", "no-value", "zero"],
)
async def test_bad_plan_input_is_refused_and_nothing_stored(
    night: Night, words: list[str]
) -> None:
    before = await snapshot(night.uow)
    with pytest.raises(InvalidInput):
        await _set_plan(night, "interval=20m", *words)
    assert await snapshot(night.uow) == before
    assert await _stored_plan(night) is None


async def test_the_plan_cannot_change_once_the_walk_started(night: Night) -> None:
    await night.start()
    with pytest.raises(SessionClosed):
        await _set_plan(night, "interval=20m")
    assert await _stored_plan(night) is None


async def test_next_weeks_board_shows_next_weeks_walk(night: Night) -> None:
    following = await next_week(night)
    await night.start()
    await night.walks(at(23))  # ends; nobody says they're home, so the round stays open
    await following.walks(START + WEEK)
    following.clock.set(at(19, 10) + WEEK)
    board = await _board(following)
    assert board.session.id == following.session_id
    assert board.session.starts_at == START + WEEK
