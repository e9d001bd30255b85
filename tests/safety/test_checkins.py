"""Check-ins: the button, a double tap, the wrong pair, a late one, and /ok."""

from __future__ import annotations

import asyncio
import datetime as dtm

import pytest

from rota.kernel import delivery
from rota.kernel.errors import NotSignedUp, SessionClosed
from rota.safety import checkins
from tests.conftest import ADMIN_ID
from tests.safety.support import (
    CORA,
    DEE,
    DOT,
    LENA,
    NELL,
    START,
    TESS,
    TIA,
    Night,
    at,
    checkin_rows,
    escalation_rows,
    item_of,
    outbox_rows,
    send,
    timer_rows,
)
from tests.services.helpers import snapshot


async def _first(night: Night) -> int:
    pair = (await night.pair_ids())[0]
    return (await night.checkin_ids(pair))[0]


async def _tap(night: Night, telegram_id: int, checkin_id: int) -> checkins.CheckInResult:
    return await checkins.check_in(
        night.uow(),
        telegram_id=telegram_id,
        checkin_id=checkin_id,
        config=night.config,
        now=night.clock.now(),
    )


async def _ok(
    night: Night, telegram_id: int, sent_at: dtm.datetime | None = None
) -> checkins.CheckInResult:
    return await checkins.check_in_now(
        night.uow(),
        telegram_id=telegram_id,
        config=night.config,
        now=night.clock.now(),
        sent_at=sent_at,
    )


async def test_check_in_closes_the_pairs_checkin(night: Night) -> None:
    await night.start()
    first = await _first(night)
    await night.fire(at(19, 30))
    night.clock.set(at(19, 31))
    result = await _tap(night, NELL, first)
    assert (result.changed, result.by_name, result.at) == (True, "Nell", at(19, 31))
    row = (await checkin_rows(night.uow))[0]
    assert (row.state, row.checked_by, row.checked_at) == ("ok", night.ids[NELL], at(19, 31))
    assert [r.state for r in await checkin_rows(night.uow)][1:] == ["open"] * 6


async def test_check_in_cancels_its_timers(night: Night) -> None:
    await night.start()
    first, second = (await night.checkin_ids((await night.pair_ids())[0]))[:2]
    await night.fire(at(19, 30))
    night.clock.set(at(19, 31))
    await _tap(night, TIA, first)
    timers = await timer_rows(night.uow, "prompt", "remind", "escalate")
    assert [(t.kind, t.state) for t in timers if t.ref_id == first] == [
        ("prompt", "done"),
        ("remind", "cancelled"),
        ("escalate", "cancelled"),
    ]
    assert {t.state for t in timers if t.ref_id == second} == {"pending"}


async def test_check_in_cancels_undelivered_prompts_and_edits_delivered_ones(
    night: Night,
) -> None:
    await night.start()
    first = await _first(night)
    await night.fire(at(19, 30))
    tia_prompt, nell_prompt = await outbox_rows(night.uow, "checkin_prompt")
    await send(night.uow, [tia_prompt], at(19, 30, 2))
    night.clock.set(at(19, 31))
    await _tap(night, NELL, first)
    states = [r.state for r in await outbox_rows(night.uow, "checkin_prompt")]
    assert states == ["sent", "cancelled"]
    (done,) = await outbox_rows(night.uow, "checkin_done")
    assert (done.chat_id, done.edit_of, done.state) == (TIA, tia_prompt.id, "pending")
    assert done.payload == {"by": "Nell", "at": at(19, 31).isoformat(), "seq": 1, "total": 7}
    assert nell_prompt.chat_id == NELL


async def test_a_double_tap_changes_nothing(night: Night) -> None:
    await night.start()
    first = await _first(night)
    await night.fire(at(19, 30))
    await send(night.uow, await outbox_rows(night.uow, "checkin_prompt"), at(19, 30, 1))
    night.clock.set(at(19, 31))
    await _tap(night, NELL, first)
    before = await snapshot(night.uow)
    night.clock.set(at(19, 31, 3))
    again = await _tap(night, TIA, first)
    assert (again.changed, again.by_name, again.at) == (False, "Nell", at(19, 31))
    assert await snapshot(night.uow) == before


async def test_both_members_tapping_at_once_close_it_once(night: Night) -> None:
    await night.start()
    first = await _first(night)
    await night.fire(at(19, 30))
    await send(night.uow, await outbox_rows(night.uow, "checkin_prompt"), at(19, 30, 1))
    night.clock.set(at(19, 31))
    results = await asyncio.gather(_tap(night, TIA, first), _tap(night, NELL, first))
    assert sorted(r.changed for r in results) == [False, True]
    winner = next(r for r in results if r.changed)
    loser = next(r for r in results if not r.changed)
    assert loser.by_name == winner.by_name
    row = (await checkin_rows(night.uow))[0]
    assert row.checked_by == night.ids[TIA if winner.by_name == "Tia" else NELL]
    done = await outbox_rows(night.uow, "checkin_done")
    assert sorted(d.chat_id for d in done) == sorted([TIA, NELL])  # one edit per prompt
    assert {d.payload["by"] for d in done} == {winner.by_name}


async def test_a_member_of_another_pair_is_refused(two_pairs: Night) -> None:
    night = two_pairs
    await night.start()
    first = await _first(night)
    await night.fire(at(19, 30))
    before = await snapshot(night.uow)
    night.clock.set(at(19, 31))
    with pytest.raises(NotSignedUp):
        await _tap(night, TESS, first)
    assert await snapshot(night.uow) == before


async def test_a_late_check_in_tells_everyone_alerted_and_the_alarm_stays_open(
    night: Night,
) -> None:
    await night.start()
    first = await _first(night)
    await night.fire(at(19, 40))  # prompt, reminder, step 1
    await night.fire(at(19, 45))  # step 2
    await send(night.uow, await outbox_rows(night.uow, "alert"), at(19, 45, 5))
    night.clock.set(at(19, 47))
    result = await _tap(night, TIA, first)
    assert result.changed
    (esc,) = await escalation_rows(night.uow)
    assert esc.state == "open"
    news = await outbox_rows(night.uow, "late_checkin")
    assert [n.chat_id for n in news] == sorted([CORA, LENA, DOT, ADMIN_ID])
    assert news[0].payload == {
        "names": "Tia and Nell",
        "by": "Tia",
        "at": at(19, 47).isoformat(),
        "escalation_id": esc.id,
    }
    # The alarm stays open for a coordinator to resolve, but stops climbing: nobody else is
    # woken for a pair who has just answered.
    assert [t.state for t in await timer_rows(night.uow, "reescalate")] == ["done", "cancelled"]


async def test_ok_counts_for_the_next_checkin_at_the_time_it_was_sent(night: Night) -> None:
    await night.start()
    night.clock.set(at(19, 45))  # the bot was down from 19:25; the /ok was sent at 19:29
    result = await _ok(night, NELL, sent_at=at(19, 29))
    assert (result.changed, result.at, result.checkin.seq) == (True, at(19, 29), 1)
    row = (await checkin_rows(night.uow))[0]
    assert (row.state, row.checked_at, row.checked_by) == ("ok", at(19, 29), night.ids[NELL])


async def test_ok_sent_while_the_bot_was_down_prevents_a_false_alarm(night: Night) -> None:
    await night.start()
    night.clock.set(at(19, 45))
    await _ok(night, NELL, sent_at=at(19, 29))
    assert await night.fire(at(19, 45)) == 0
    assert await escalation_rows(night.uow) == []
    assert await outbox_rows(night.uow, "checkin_prompt", "checkin_reminder", "alert") == []


async def test_ok_without_sent_at_counts_now(night: Night) -> None:
    await night.start()
    await night.fire(at(19, 30))
    night.clock.set(at(19, 33))
    result = await _ok(night, TIA)
    assert (result.at, result.checkin.seq, result.by_name) == (at(19, 33), 1, "Tia")


async def test_ok_cannot_claim_a_time_in_the_future(night: Night) -> None:
    await night.start()
    night.clock.set(at(19, 33))
    result = await _ok(night, TIA, sent_at=at(19, 50))
    assert result.at == at(19, 33)


@pytest.mark.parametrize(
    ("when", "who"),
    [(at(18, 59), TIA), (at(19, 10), DEE), (at(23, 10), TIA)],
    ids=["before-the-walk", "not-walking", "after-the-walk"],
)
async def test_ok_outside_a_walk_is_refused(night: Night, when: dtm.datetime, who: int) -> None:
    if when >= START:
        await night.start()
    await night.walks(when)
    before = await snapshot(night.uow)
    with pytest.raises(SessionClosed):
        await _ok(night, who)
    assert await snapshot(night.uow) == before


async def test_a_late_check_in_reaches_a_coordinator_whose_alert_is_still_queued(
    night: Night,
) -> None:
    await night.start()
    first = await _first(night)
    await night.fire(at(19, 40))  # the alert to Cora is written, not delivered yet
    night.clock.set(at(19, 41))
    await _tap(night, TIA, first)
    (alert,) = await outbox_rows(night.uow, "alert")
    assert alert.state == "pending"  # it still goes: the alarm stays open
    assert [n.chat_id for n in await outbox_rows(night.uow, "late_checkin")] == [CORA]


async def test_late_check_in_news_skips_alerts_that_never_went(night: Night) -> None:
    await night.start()
    first = await _first(night)
    await night.fire(at(19, 40))
    await night.fire(at(19, 45))
    alerts = await outbox_rows(night.uow, "alert")
    await send(night.uow, [a for a in alerts if a.chat_id == CORA], at(19, 45, 1))
    for item in alerts:
        if item.chat_id == DOT:
            await delivery.record_outcome(
                night.uow(),
                item_of(item),
                delivery.GiveUp("Forbidden", unreachable=True),
                now=at(19, 45, 2),
            )
    night.clock.set(at(19, 46))
    await _tap(night, TIA, first)
    news = await outbox_rows(night.uow, "late_checkin")
    assert [n.chat_id for n in news] == sorted([CORA, LENA, ADMIN_ID])
