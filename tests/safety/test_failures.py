"""Failures and races: two timer workers, a crash mid-timer, a blocked coordinator, end_walk."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections import Counter

import pytest

from rota.kernel import delivery
from rota.kernel.errors import NotCoordinator, SessionClosed
from rota.safety import checkins, timers, walks
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from tests.conftest import ADMIN_ID, DbInfo
from tests.safety.support import (
    CORA,
    DEE,
    DOT,
    LENA,
    NELL,
    TESS,
    TIA,
    UMA,
    Night,
    at,
    checkin_rows,
    end_quietly,
    escalation_rows,
    home_rows,
    outbox_rows,
    timer_rows,
    walk_state,
)
from tests.services.helpers import snapshot

LEASE = timers.LEASE


async def _two_workers(night: Night, db: DbInfo, when: dtm.datetime) -> list[int]:
    """Two timer workers, each on its own engine (as two processes would be), at once."""
    night.clock.set(when)
    other = db.engine()
    try:
        return list(
            await asyncio.gather(
                timers.fire_due_timers(night.uow, config=night.config, now=when),
                timers.fire_due_timers(
                    SqlAlchemyUnitOfWorkFactory(other), config=night.config, now=when
                ),
            )
        )
    finally:
        await other.dispose()


async def test_two_workers_never_fire_a_timer_twice(two_pairs: Night, db: DbInfo) -> None:
    night = two_pairs
    await night.start()
    fired = await _two_workers(night, db, at(19, 40))
    assert sum(fired) == 6  # two pairs: prompt, reminder, escalation each
    fired = await _two_workers(night, db, at(19, 45))
    assert sum(fired) == 2  # step 2 of each alarm
    alerts = Counter(
        (a.ref_id, a.payload["step"], a.chat_id) for a in await outbox_rows(night.uow, "alert")
    )
    assert set(alerts.values()) == {1}
    assert len(alerts) == 2 * (1 + 4)  # two alarms: step 1 to Cora, step 2 to four chats
    assert len(await escalation_rows(night.uow)) == 2
    prompts = Counter(p.chat_id for p in await outbox_rows(night.uow, "checkin_prompt"))
    assert prompts == {TIA: 1, NELL: 1, TESS: 1, UMA: 1}
    assert {t.state for t in await timer_rows(night.uow) if t.due_at <= at(19, 45)} == {"done"}


async def _claim_and_crash(night: Night, when: dtm.datetime) -> list[timers.Timer]:
    """A worker claims every due timer, then dies before finishing any."""
    async with night.uow() as work:
        claimed = await work.safety.claim_timers(now=when, lease=LEASE, limit=50)
        await work.commit()
    return claimed


async def test_a_timer_claimed_by_a_crashed_worker_waits_out_the_lease(night: Night) -> None:
    await night.start()
    (prompt,) = await _claim_and_crash(night, at(19, 30))
    assert prompt.kind.value == "prompt"
    assert await night.fire(at(19, 30) + LEASE - dtm.timedelta(seconds=1)) == 0
    assert await outbox_rows(night.uow, "checkin_prompt") == []
    assert await night.fire(at(19, 30) + LEASE) == 1
    assert [p.chat_id for p in await outbox_rows(night.uow, "checkin_prompt")] == [TIA, NELL]
    assert await night.fire(at(19, 31)) == 0
    state = [t.state for t in await timer_rows(night.uow, "prompt") if t.ref_id == prompt.ref_id]
    assert state == ["done"]


async def test_a_refired_timer_writes_no_duplicate_rows(night: Night) -> None:
    await night.start()
    await night.fire(at(19, 35))
    # The worker acted on the escalation timer and committed, then died before finishing it.
    (claimed,) = await _claim_and_crash(night, at(19, 40))
    async with night.uow() as work:
        await timers._fire(work, claimed, config=night.config, now=at(19, 40))
        await work.commit()
    before = await outbox_rows(night.uow)
    assert [a.chat_id for a in before if a.kind == "alert"] == [CORA]
    assert await night.fire(at(19, 40) + LEASE) == 1
    assert await outbox_rows(night.uow) == before
    assert len(await escalation_rows(night.uow)) == 1
    assert len(await timer_rows(night.uow, "reescalate")) == 1


async def test_a_blocked_coordinator_moves_the_chain_on_at_once(night: Night) -> None:
    await night.start()
    await night.fire(at(19, 40))
    (esc,) = await escalation_rows(night.uow)
    now = at(19, 40, 5)
    items = await delivery.claim_due(night.uow(), now=now)
    for item in items:
        outcome: delivery.Outcome = delivery.Sent(message_id=1)
        if item.kind == "alert":
            outcome = delivery.GiveUp("Forbidden: bot was blocked by the user", unreachable=True)
        await delivery.record_outcome(night.uow(), item, outcome, now=now, config=night.config)
    (alert,) = await outbox_rows(night.uow, "alert")
    assert (alert.chat_id, alert.state) == (CORA, "unreachable")
    step_2 = [tuple(t)[2:] for t in await timer_rows(night.uow, "reescalate")]
    assert step_2 == [(2, now, "pending")]
    unreachable = await outbox_rows(night.uow, "unreachable")
    assert [(u.chat_id, u.payload) for u in unreachable] == [
        (DOT, {"name": "Cora", "escalation_id": esc.id}),
        (ADMIN_ID, {"name": "Cora", "escalation_id": esc.id}),
    ]
    assert await night.fire(now) == 1
    step_two = [a.chat_id for a in await outbox_rows(night.uow, "alert") if a.payload["step"] == 2]
    assert step_two == [CORA, LENA, DOT, ADMIN_ID]


async def test_a_failed_non_alert_row_moves_nothing(night: Night) -> None:
    await night.start()
    await checkins.share_location(
        night.uow(),
        telegram_id=TIA,
        latitude=51.5,
        longitude=-0.1,
        config=night.config,
        now=at(19, 20),
    )
    await night.fire(at(19, 40))
    now = at(19, 40, 5)
    items = [i for i in await delivery.claim_due(night.uow(), now=now) if i.kind != "alert"]
    assert {i.kind for i in items} == {
        "walk_started",
        "checkin_prompt",
        "checkin_reminder",
        "alert_location",
    }
    for item in items:
        await delivery.record_outcome(
            night.uow(),
            item,
            delivery.GiveUp("Forbidden", unreachable=True),
            now=now,
            config=night.config,
        )
    assert [tuple(t)[2:] for t in await timer_rows(night.uow, "reescalate")] == [
        (2, at(19, 45), "pending")
    ]
    assert await outbox_rows(night.uow, "unreachable") == []


async def _end_walk(night: Night, telegram_id: int) -> None:
    await walks.end_walk(
        night.uow(), telegram_id=telegram_id, config=night.config, now=night.clock.now()
    )


async def test_the_team_lead_ends_the_walk_early(night: Night) -> None:
    await night.start()
    for prompt in (at(19, 30), at(20, 0)):  # both check-ins so far were made
        await night.fire(prompt)
        await checkins.check_in_now(
            night.uow(),
            telegram_id=TIA,
            config=night.config,
            now=prompt + dtm.timedelta(minutes=1),
        )
    night.clock.set(at(20, 5))
    await _end_walk(night, LENA)
    assert await walk_state(night.uow, night.session_id) == "walk_over"
    rows = await checkin_rows(night.uow)
    assert [r.state for r in rows] == ["ok", "ok"] + ["cancelled"] * 5
    later = [t for t in await timer_rows(night.uow) if t.ref_id in [r.id for r in rows[2:]]]
    assert {t.state for t in later} == {"cancelled"}
    notices = await outbox_rows(night.uow, "walk_over")
    assert [(n.chat_id, n.payload) for n in notices] == [
        (TIA, {"by": "Lena"}),
        (NELL, {"by": "Lena"}),
    ]
    assert await night.fire(at(22, 50)) == 0


@pytest.mark.parametrize("who", [DEE, TIA], ids=["drop-in", "walker"])
async def test_a_volunteer_who_is_not_lead_cannot_end_the_walk(night: Night, who: int) -> None:
    await night.start()
    night.clock.set(at(20, 5))
    before = await snapshot(night.uow)
    with pytest.raises(NotCoordinator):
        await _end_walk(night, who)
    assert await snapshot(night.uow) == before


async def test_ending_a_walk_twice_is_refused(night: Night) -> None:
    await night.start()
    night.clock.set(at(20, 5))
    await _end_walk(night, LENA)
    before = await snapshot(night.uow)
    with pytest.raises(SessionClosed):
        await _end_walk(night, CORA)
    assert await snapshot(night.uow) == before


async def test_after_the_walk_is_ended_ok_still_counts_for_an_overdue_checkin(
    night: Night,
) -> None:
    await night.start()
    await night.fire(at(19, 30))
    night.clock.set(at(19, 32))
    await _end_walk(night, LENA)  # check-in 1 is due and not made: it stays open
    assert [r.state for r in await checkin_rows(night.uow)] == ["open"] + ["cancelled"] * 6
    night.clock.set(at(19, 33))
    result = await checkins.check_in_now(
        night.uow(), telegram_id=NELL, config=night.config, now=at(19, 33)
    )
    assert (result.changed, result.checkin.seq) == (True, 1)
    assert await night.fire(at(19, 50)) == 0
    assert await escalation_rows(night.uow) == []


async def test_after_the_walk_is_ended_an_unanswered_checkin_still_escalates(
    night: Night,
) -> None:
    await night.start()
    await night.fire(at(19, 30))
    night.clock.set(at(19, 32))
    await _end_walk(night, LENA)
    await night.fire(at(19, 40))
    (esc,) = await escalation_rows(night.uow)
    assert esc.kind == "missed_checkin"
    assert [a.chat_id for a in await outbox_rows(night.uow, "alert")] == [CORA]


async def _finish(night: Night, timer: timers.Timer, when: dtm.datetime) -> None:
    """The worker that claimed this timer gets to it: acts, marks it done, commits."""
    async with night.uow() as work:
        await timers._fire(work, timer, config=night.config, now=when)
        assert await work.safety.finish_timer(timer.id, now=when)
        await work.commit()


async def test_a_check_in_landing_while_its_escalation_is_being_fired_wins(
    night: Night,
) -> None:
    await night.start()
    await night.fire(at(19, 35))
    (escalate,) = await _claim_and_crash(night, at(19, 40))  # claimed: too late to cancel
    await checkins.check_in_now(night.uow(), telegram_id=NELL, config=night.config, now=at(19, 40))
    await _finish(night, escalate, at(19, 40, 1))
    assert await escalation_rows(night.uow) == []
    assert await outbox_rows(night.uow, "alert") == []


async def test_home_safe_landing_while_its_escalation_is_being_fired_wins(night: Night) -> None:
    await night.start()
    await end_quietly(night)
    homes = {h.volunteer_id: h.id for h in await home_rows(night.uow)}
    for who in (CORA, LENA, DEE, TIA):
        await checkins.home_safe(
            night.uow(),
            telegram_id=who,
            home_safe_id=homes[night.ids[who]],
            config=night.config,
            now=at(23, 30),
        )
    await night.fire(at(0, 30))
    (escalate,) = await _claim_and_crash(night, at(0, 35))
    await checkins.home_safe(
        night.uow(),
        telegram_id=NELL,
        home_safe_id=homes[night.ids[NELL]],
        config=night.config,
        now=at(0, 35),
    )
    await _finish(night, escalate, at(0, 35, 1))
    assert await escalation_rows(night.uow) == []
