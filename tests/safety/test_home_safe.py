"""23:00: the session ends and everyone on it is asked to say they are home safe."""

from __future__ import annotations

import datetime as dtm

import pytest

from rota.kernel.errors import NotSignedUp
from rota.safety import checkins
from tests.safety.support import (
    CORA,
    DEE,
    LENA,
    NELL,
    TIA,
    Night,
    at,
    end_quietly,
    escalation_rows,
    home_rows,
    location_rows,
    outbox_rows,
    send,
    timer_rows,
    walk_state,
)
from tests.services.helpers import snapshot

ON_THE_ROTA = sorted([CORA, LENA, DEE, TIA, NELL])  # every role, not only the walkers


async def _ended(night: Night) -> dict[int, int]:
    """The walk ran quietly and ended at 23:00; telegram id -> home_safe id."""
    await night.start()
    await end_quietly(night)
    by_volunteer = {v: t for t, v in night.ids.items()}
    return {by_volunteer[h.volunteer_id]: h.id for h in await home_rows(night.uow)}


async def _home(night: Night, telegram_id: int, home_id: int) -> checkins.HomeResult:
    return await checkins.home_safe(
        night.uow(),
        telegram_id=telegram_id,
        home_safe_id=home_id,
        config=night.config,
        now=night.clock.now(),
    )


async def test_the_session_ends_at_eleven(night: Night) -> None:
    await night.start()
    assert (await night.walks(at(22, 59, 59))).ended == 0
    assert (await night.walks(at(23))).ended == 1
    assert await walk_state(night.uow, night.session_id) == "ended"
    assert (await night.walks(at(23, 1))).ended == 0


async def test_everyone_confirmed_on_the_session_gets_a_home_prompt(night: Night) -> None:
    homes = await _ended(night)
    assert sorted(homes) == ON_THE_ROTA
    prompts = await outbox_rows(night.uow, "home_prompt")
    assert sorted(p.chat_id for p in prompts) == ON_THE_ROTA
    tia = next(p for p in prompts if p.chat_id == TIA)
    assert tia.payload == {"home_safe_id": homes[TIA], "due_at": at(0, 30).isoformat()}
    assert (tia.ref_kind, tia.ref_id) == ("home", homes[TIA])
    assert {h.due_at for h in await home_rows(night.uow)} == {at(0, 30)}


async def test_home_timers_remind_at_due_and_escalate_five_minutes_later(night: Night) -> None:
    homes = await _ended(night)
    timers = [tuple(t) for t in await timer_rows(night.uow, "home_remind", "home_escalate")]
    assert sorted(timers, key=str) == sorted(
        [("home_remind", h, 0, at(0, 30), "pending") for h in homes.values()]
        + [("home_escalate", h, 0, at(0, 35), "pending") for h in homes.values()],
        key=str,
    )


async def test_confirming_cancels_both_timers_and_edits_the_prompt(night: Night) -> None:
    homes = await _ended(night)
    await send(night.uow, await outbox_rows(night.uow, "home_prompt"), at(23, 0, 5))
    night.clock.set(at(23, 40))
    result = await _home(night, TIA, homes[TIA])
    assert (result.changed, result.at) == (True, at(23, 40))
    mine = [(t.kind, t.state) for t in await timer_rows(night.uow) if t.ref_id == homes[TIA]]
    assert ("home_remind", "cancelled") in mine
    assert ("home_escalate", "cancelled") in mine
    prompt = next(p for p in await outbox_rows(night.uow, "home_prompt") if p.chat_id == TIA)
    (done,) = await outbox_rows(night.uow, "home_done")
    assert (done.chat_id, done.edit_of, done.payload) == (
        TIA,
        prompt.id,
        {"at": at(23, 40).isoformat()},
    )
    assert next(h for h in await home_rows(night.uow) if h.id == homes[TIA]).safe_at == at(23, 40)


async def test_confirming_twice_changes_nothing(night: Night) -> None:
    homes = await _ended(night)
    night.clock.set(at(23, 40))
    await _home(night, TIA, homes[TIA])
    before = await snapshot(night.uow)
    night.clock.set(at(23, 41))
    again = await _home(night, TIA, homes[TIA])
    assert (again.changed, again.at) == (False, at(23, 40))
    assert await snapshot(night.uow) == before


async def test_someone_elses_home_button_is_refused(night: Night) -> None:
    homes = await _ended(night)
    before = await snapshot(night.uow)
    with pytest.raises(NotSignedUp):
        await _home(night, NELL, homes[TIA])
    assert await snapshot(night.uow) == before


@pytest.mark.parametrize(
    ("offset", "fires"), [(dtm.timedelta(seconds=-1), False), (dtm.timedelta(0), True)]
)
async def test_a_reminder_goes_at_due_to_those_not_home_yet(
    night: Night, offset: dtm.timedelta, fires: bool
) -> None:
    homes = await _ended(night)
    for who in (CORA, LENA, DEE, TIA):
        night.clock.set(at(23, 50))
        await _home(night, who, homes[who])
    await night.fire(at(0, 30) + offset)
    reminders = await outbox_rows(night.uow, "home_reminder")
    assert [r.chat_id for r in reminders] == ([NELL] if fires else [])


async def test_not_confirming_escalates_for_that_person_only(night: Night) -> None:
    homes = await _ended(night)
    for who in (CORA, LENA, DEE, TIA):
        night.clock.set(at(23, 50))
        await _home(night, who, homes[who])
    await night.fire(at(0, 30))
    assert await night.fire(at(0, 34, 59)) == 0
    assert await night.fire(at(0, 35)) == 1
    (esc,) = await escalation_rows(night.uow)
    assert (esc.kind, esc.volunteer_id, esc.home_safe_id, esc.pair_id, esc.step) == (
        "home_safe",
        night.ids[NELL],
        homes[NELL],
        None,
        1,
    )
    (alert,) = await outbox_rows(night.uow, "alert")
    assert (alert.chat_id, alert.payload["kind"], alert.payload["names"]) == (
        CORA,
        "home_safe",
        "Nell",
    )
    assert next(h for h in await home_rows(night.uow) if h.id == homes[NELL]).escalation_id == (
        esc.id
    )


async def test_confirming_after_the_escalation_tells_everyone_alerted(night: Night) -> None:
    homes = await _ended(night)
    for who in (CORA, LENA, DEE, TIA):
        night.clock.set(at(23, 50))
        await _home(night, who, homes[who])
    await night.fire(at(0, 35))
    await night.fire(at(0, 40))  # step 2
    await send(night.uow, await outbox_rows(night.uow, "alert"), at(0, 40, 5))
    night.clock.set(at(0, 42))
    await _home(night, NELL, homes[NELL])
    (esc,) = await escalation_rows(night.uow)
    news = await outbox_rows(night.uow, "home_news")
    alerted = sorted({a.chat_id for a in await outbox_rows(night.uow, "alert")})
    assert [n.chat_id for n in news] == alerted
    assert news[0].payload == {
        "name": "Nell",
        "at": at(0, 42).isoformat(),
        "escalation_id": esc.id,
    }


async def test_locations_are_deleted_when_the_session_ends(night: Night) -> None:
    await night.start()
    night.clock.set(at(20, 5))
    await checkins.share_location(
        night.uow(),
        telegram_id=TIA,
        latitude=51.5,
        longitude=-0.1,
        config=night.config,
        now=at(20, 5),
    )
    assert len(await location_rows(night.uow)) == 1
    await night.walks(at(23))
    assert await location_rows(night.uow) == []


async def test_home_news_reaches_a_coordinator_whose_alert_is_still_queued(night: Night) -> None:
    homes = await _ended(night)
    for who in (CORA, LENA, DEE, TIA):
        night.clock.set(at(23, 50))
        await _home(night, who, homes[who])
    await night.fire(at(0, 35))  # the alert to Cora is written, not delivered yet
    night.clock.set(at(0, 36))
    await _home(night, NELL, homes[NELL])
    assert [n.chat_id for n in await outbox_rows(night.uow, "home_news")] == [CORA]
