"""The escalation chain: climbing until a coordinator takes the alarm, then standing down."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.errors import NotCoordinator
from rota.safety import alarms, walks
from tests.conftest import ADMIN_ID
from tests.safety.support import (
    CORA,
    DOT,
    LENA,
    NELL,
    TEAM_CHAT,
    TIA,
    Night,
    at,
    escalation_rows,
    make_night,
    outbox_rows,
    send,
    timer_rows,
)
from tests.services.helpers import Uow, snapshot

STEP_2 = [CORA, LENA, DOT, ADMIN_ID]  # on-call, team lead, then every coordinator
STEP_3 = [*STEP_2, TEAM_CHAT]


async def _alerts_by_step(uow: Uow, escalation_id: int) -> dict[int, list[int]]:
    steps: dict[int, list[int]] = defaultdict(list)
    for row in await outbox_rows(uow, "alert"):
        if row.ref_id == escalation_id:
            steps[row.payload["step"]].append(row.chat_id)
    return dict(steps)


async def _escalated(night: Night) -> int:
    """19:40: the pair missed check-in 1 and the on-call coordinator is alerted."""
    await night.start()
    await night.fire(at(19, 40))
    (esc,) = await escalation_rows(night.uow)
    return int(esc.id)


async def _ack(night: Night, telegram_id: int, escalation_id: int) -> alarms.AlarmChange:
    return await alarms.acknowledge(
        night.uow(),
        telegram_id=telegram_id,
        escalation_id=escalation_id,
        config=night.config,
        now=night.clock.now(),
    )


async def test_step_two_is_not_a_second_early(night: Night) -> None:
    esc = await _escalated(night)
    assert await night.fire(at(19, 44, 59)) == 0
    assert await _alerts_by_step(night.uow, esc) == {1: [CORA]}


async def test_step_two_adds_the_team_lead_and_every_coordinator(night: Night) -> None:
    esc = await _escalated(night)
    assert await night.fire(at(19, 45)) == 1
    assert await _alerts_by_step(night.uow, esc) == {1: [CORA], 2: STEP_2}
    (row,) = await escalation_rows(night.uow)
    assert row.step == 2
    assert [tuple(t)[2:] for t in await timer_rows(night.uow, "reescalate")] == [
        (2, at(19, 45), "done"),
        (3, at(19, 50), "pending"),
    ]


async def test_step_three_adds_the_team_chat_and_repeats_every_five_minutes(
    night: Night,
) -> None:
    esc = await _escalated(night)
    await night.fire(at(19, 45))
    await night.fire(at(19, 50))
    assert await _alerts_by_step(night.uow, esc) == {1: [CORA], 2: STEP_2, 3: STEP_3}
    await night.fire(at(19, 54, 59))
    assert 4 not in await _alerts_by_step(night.uow, esc)
    await night.fire(at(19, 55))
    await night.fire(at(20, 0))
    steps = await _alerts_by_step(night.uow, esc)
    assert (steps[4], steps[5]) == (STEP_3, STEP_3)
    (row,) = await escalation_rows(night.uow)
    assert (row.step, row.state) == (5, "open")


async def test_without_a_team_chat_step_three_repeats_step_two(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock, team_chat=None)
    esc = await _escalated(night)
    await night.fire(at(19, 45))
    await night.fire(at(19, 50))
    assert (await _alerts_by_step(uow, esc))[3] == STEP_2


async def test_acknowledging_stops_the_chain_for_good(night: Night) -> None:
    esc = await _escalated(night)
    await night.fire(at(19, 45))
    night.clock.set(at(19, 46))
    change = await _ack(night, DOT, esc)
    assert change.changed
    assert change.taker is None
    assert change.by.display_name == "Dot"
    (row,) = await escalation_rows(night.uow)
    assert (row.state, row.acknowledged_by, row.acknowledged_at) == (
        "acknowledged",
        night.ids[DOT],
        at(19, 46),
    )
    assert [tuple(t)[2:] for t in await timer_rows(night.uow, "reescalate")] == [
        (2, at(19, 45), "done"),
        (3, at(19, 50), "cancelled"),
    ]
    for when in (at(19, 50), at(19, 55), at(20, 0)):
        await night.fire(when)
    await walks.end_walk(night.uow(), telegram_id=LENA, config=night.config, now=at(20, 1))
    await night.run(at(23, 59))  # later check-ins called off: only the chain could fire now
    assert await _alerts_by_step(night.uow, esc) == {1: [CORA], 2: STEP_2}


async def test_acknowledging_edits_delivered_alerts_and_cancels_the_rest(night: Night) -> None:
    esc = await _escalated(night)
    await night.fire(at(19, 45))
    alerts = await outbox_rows(night.uow, "alert")
    delivered = [a for a in alerts if a.chat_id in (CORA, LENA)]  # step 1 Cora, step 2 Cora+Lena
    await send(night.uow, delivered, at(19, 45, 10))
    night.clock.set(at(19, 46))
    await _ack(night, DOT, esc)
    states = {a.id: a.state for a in await outbox_rows(night.uow, "alert")}
    assert states == {a.id: "sent" if a in delivered else "cancelled" for a in alerts}
    taken = await outbox_rows(night.uow, "alert_taken")
    assert [(t.chat_id, t.edit_of) for t in taken] == [(a.chat_id, a.id) for a in delivered]
    assert taken[0].payload == {
        "by": "Dot",
        "at": at(19, 46).isoformat(),
        "names": "Tia and Nell",
        "kind": "missed_checkin",
        "escalation_id": esc,
    }


async def test_acknowledging_tells_the_pair_someone_is_on_it(night: Night) -> None:
    esc = await _escalated(night)
    night.clock.set(at(19, 41))
    await _ack(night, CORA, esc)
    followups = await outbox_rows(night.uow, "followup")
    assert [(f.chat_id, f.payload) for f in followups] == [
        (TIA, {"by": "Cora"}),
        (NELL, {"by": "Cora"}),
    ]


async def test_two_coordinators_acknowledging_at_once_one_wins(night: Night) -> None:
    esc = await _escalated(night)
    await night.fire(at(19, 45))
    await send(night.uow, await outbox_rows(night.uow, "alert"), at(19, 45, 5))
    night.clock.set(at(19, 46))
    first, second = await asyncio.gather(_ack(night, CORA, esc), _ack(night, DOT, esc))
    assert sorted([first.changed, second.changed]) == [False, True]
    winner, loser = (first, second) if first.changed else (second, first)
    assert loser.taker == winner.by.display_name
    assert loser.escalation.acknowledged_by == winner.by.id
    (row,) = await escalation_rows(night.uow)
    assert row.acknowledged_by == winner.by.id
    # One edit per delivered alert and one follow-up per walker: the loser wrote nothing.
    assert len(await outbox_rows(night.uow, "alert_taken")) == 5
    assert {t.payload["by"] for t in await outbox_rows(night.uow, "alert_taken")} == {
        winner.by.display_name
    }
    assert [f.chat_id for f in await outbox_rows(night.uow, "followup")] == [TIA, NELL]


async def test_acknowledging_again_changes_nothing_and_names_the_taker(night: Night) -> None:
    esc = await _escalated(night)
    night.clock.set(at(19, 41))
    await _ack(night, CORA, esc)
    before = await snapshot(night.uow)
    night.clock.set(at(19, 42))
    again = await _ack(night, DOT, esc)
    assert (again.changed, again.taker) == (False, "Cora")
    assert await snapshot(night.uow) == before


@pytest.mark.parametrize("who", [LENA, TIA], ids=["team-lead", "walker"])
async def test_a_non_coordinator_cannot_acknowledge(night: Night, who: int) -> None:
    esc = await _escalated(night)
    before = await snapshot(night.uow)
    with pytest.raises(NotCoordinator):
        await _ack(night, who, esc)
    assert await snapshot(night.uow) == before


async def test_resolving_closes_the_alarm_and_edits_every_delivered_alert(
    night: Night,
) -> None:
    esc = await _escalated(night)
    await night.fire(at(19, 45))
    alerts = await outbox_rows(night.uow, "alert")
    await send(night.uow, alerts, at(19, 45, 5))
    night.clock.set(at(19, 46))
    await _ack(night, CORA, esc)
    night.clock.set(at(20, 5))
    change = await alarms.resolve(
        night.uow(), telegram_id=CORA, escalation_id=esc, config=night.config, now=at(20, 5)
    )
    assert change.changed
    (row,) = await escalation_rows(night.uow)
    assert (row.state, row.resolved_by, row.resolved_at) == (
        "resolved",
        night.ids[CORA],
        at(20, 5),
    )
    resolved = await outbox_rows(night.uow, "alert_resolved")
    assert [(r.chat_id, r.edit_of) for r in resolved] == [(a.chat_id, a.id) for a in alerts]
    assert resolved[0].payload["by"] == "Cora"


async def test_resolving_an_open_alarm_stops_the_chain(night: Night) -> None:
    esc = await _escalated(night)
    night.clock.set(at(19, 42))
    await alarms.resolve(
        night.uow(), telegram_id=CORA, escalation_id=esc, config=night.config, now=at(19, 42)
    )
    await night.fire(at(20, 30))
    assert await _alerts_by_step(night.uow, esc) == {1: [CORA]}
    mine = [t.state for t in await timer_rows(night.uow, "reescalate") if t.ref_id == esc]
    assert mine == ["cancelled"]
