"""Check-in timers at their exact edges: prompt at due, reminder at +grace, alarm at +10m."""

from __future__ import annotations

import datetime as dtm

import pytest

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.safety import checkins
from tests.conftest import ADMIN_ID
from tests.safety.support import (
    CORA,
    DOT,
    NELL,
    START,
    TIA,
    Night,
    at,
    chats,
    checkin_rows,
    escalation_rows,
    make_night,
    outbox_rows,
    timer_rows,
)
from tests.services.helpers import Uow

SECOND = dtm.timedelta(seconds=1)
EDGES = pytest.mark.parametrize(
    ("offset", "fires"), [(-SECOND, False), (dtm.timedelta(0), True)], ids=["1s-early", "exact"]
)


async def _first_checkin(night: Night) -> int:
    (pair,) = await night.pair_ids()
    return (await night.checkin_ids(pair))[0]


@EDGES
async def test_prompt_goes_to_both_members_exactly_at_due(
    night: Night, offset: dtm.timedelta, fires: bool
) -> None:
    await night.start()
    first = await _first_checkin(night)
    assert await night.fire(at(19, 30) + offset) == (1 if fires else 0)
    rows = await outbox_rows(night.uow, "checkin_prompt")
    if not fires:
        assert rows == []
        return
    assert [r.chat_id for r in rows] == [TIA, NELL]
    assert rows[0].payload == {
        "checkin_id": first,
        "seq": 1,
        "total": 7,
        "due_at": at(19, 30).isoformat(),
        "partners": ["Nell"],
    }
    assert rows[1].payload["partners"] == ["Tia"]
    assert {(r.ref_kind, r.ref_id, r.state) for r in rows} == {("checkin", first, "pending")}


@EDGES
async def test_reminder_goes_at_due_plus_grace(
    night: Night, offset: dtm.timedelta, fires: bool
) -> None:
    await night.start()
    await night.fire(at(19, 30))
    assert await night.fire(at(19, 35) + offset) == (1 if fires else 0)
    assert await chats(night.uow, "checkin_reminder") == ([TIA, NELL] if fires else [])
    assert await escalation_rows(night.uow) == []


async def test_no_reminder_once_the_pair_checked_in(night: Night) -> None:
    await night.start()
    first = await _first_checkin(night)
    await night.fire(at(19, 30))
    await checkins.check_in(
        night.uow(), telegram_id=NELL, checkin_id=first, config=night.config, now=at(19, 32)
    )
    assert await night.fire(at(19, 35)) == 0
    assert await night.fire(at(19, 50)) == 0
    assert await outbox_rows(night.uow, "checkin_reminder", "alert") == []
    assert await escalation_rows(night.uow) == []
    mine = [t for t in await timer_rows(night.uow) if t.ref_id == first]
    assert [(t.kind, t.state) for t in mine] == [
        ("prompt", "done"),
        ("remind", "cancelled"),
        ("escalate", "cancelled"),
    ]


@EDGES
async def test_escalation_opens_at_due_plus_escalate_after(
    night: Night, offset: dtm.timedelta, fires: bool
) -> None:
    await night.start()
    await night.fire(at(19, 35))
    assert await night.fire(at(19, 40) + offset) == (1 if fires else 0)
    assert await chats(night.uow, "alert") == ([CORA] if fires else [])
    assert len(await escalation_rows(night.uow)) == (1 if fires else 0)


async def test_missed_checkin_escalation_row_is_linked_and_the_next_step_armed(
    night: Night,
) -> None:
    await night.start()
    first = await _first_checkin(night)
    await night.fire(at(19, 40))
    (pair,) = await night.pair_ids()
    (esc,) = await escalation_rows(night.uow)
    assert (esc.kind, esc.pair_id, esc.checkin_id, esc.volunteer_id) == (
        "missed_checkin",
        pair,
        first,
        None,
    )
    assert (esc.step, esc.state, esc.opened_at, esc.acknowledged_by) == (
        1,
        "open",
        at(19, 40),
        None,
    )
    assert (await checkin_rows(night.uow))[0].escalation_id == esc.id
    assert [tuple(t) for t in await timer_rows(night.uow, "reescalate")] == [
        ("reescalate", esc.id, 2, at(19, 45), "pending")
    ]


async def test_step_one_alert_goes_to_the_oncall_coordinator_only(night: Night) -> None:
    await night.start()
    await night.fire(at(19, 40))
    (esc,) = await escalation_rows(night.uow)
    (alert,) = await outbox_rows(night.uow, "alert", "alert_location")  # nobody shared one
    assert (alert.kind, alert.chat_id) == ("alert", CORA)
    assert (alert.ref_kind, alert.ref_id, alert.state) == ("escalation", esc.id, "pending")
    assert alert.payload == {
        "escalation_id": esc.id,
        "kind": "missed_checkin",
        "step": 1,
        "names": "Tia and Nell",
        "members": [{"name": "Tia", "phone": None}, {"name": "Nell", "phone": None}],
        "meeting_point": "St Anne's Hall",
        "starts_at": START.isoformat(),
        "ends_at": at(23).isoformat(),
        "last_checkin_at": None,
        "last_checkin_by": None,
        "seq": 1,
        "total": 7,
        "due_at": at(19, 30).isoformat(),
        "audience": "responders",
    }


async def test_step_one_goes_to_every_coordinator_when_nobody_is_on_call(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock, oncall=False)
    await night.start()
    await night.fire(at(19, 40))
    assert await chats(uow, "alert") == [CORA, DOT, ADMIN_ID]


async def test_the_alert_says_who_last_checked_in_and_when(night: Night) -> None:
    await night.start()
    first = await _first_checkin(night)
    await night.fire(at(19, 30))
    await checkins.check_in(
        night.uow(), telegram_id=NELL, checkin_id=first, config=night.config, now=at(19, 31)
    )
    await night.fire(at(20, 10))
    (alert,) = await outbox_rows(night.uow, "alert")
    assert alert.payload["seq"] == 2
    assert alert.payload["last_checkin_at"] == at(19, 31).isoformat()
    assert alert.payload["last_checkin_by"] == "Nell"


async def test_a_shared_location_goes_with_the_alert(night: Night) -> None:
    await night.start()
    await checkins.share_location(
        night.uow(),
        telegram_id=NELL,
        latitude=51.5142,
        longitude=-0.0931,
        config=night.config,
        now=at(19, 20),
    )
    await night.fire(at(19, 40))
    rows = await outbox_rows(night.uow, "alert", "alert_location")
    assert [(r.kind, r.chat_id) for r in rows] == [("alert", CORA), ("alert_location", CORA)]
    assert rows[1].payload == {
        "latitude": 51.5142,
        "longitude": -0.0931,
        "at": at(19, 20).isoformat(),
        "live": False,  # a missed check-in: the place stays where it was seen
        "name": None,
    }
    assert rows[1].ref_id == rows[0].ref_id


async def test_nothing_at_all_when_the_pair_checked_in(night: Night) -> None:
    await night.start()
    first = await _first_checkin(night)
    await night.fire(at(19, 30))
    await checkins.check_in(
        night.uow(), telegram_id=TIA, checkin_id=first, config=night.config, now=at(19, 30, 5)
    )
    before = [r.id for r in await outbox_rows(night.uow)]
    assert await night.fire(at(19, 59)) == 0
    assert [r.id for r in await outbox_rows(night.uow)] == before
    assert await escalation_rows(night.uow) == []
