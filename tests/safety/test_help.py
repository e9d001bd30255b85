"""SOS and the duress word: everyone at once, or silently to the coordinators only."""

from __future__ import annotations

import datetime as dtm

import pytest

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.errors import SessionClosed
from rota.safety import alarms, checkins, walks
from tests.conftest import ADMIN_ID
from tests.safety.support import (
    CORA,
    DEE,
    DOT,
    LENA,
    NELL,
    OUTSIDER,
    START,
    TEAM_CHAT,
    TIA,
    WEEK,
    Night,
    at,
    checkin_rows,
    end_quietly,
    escalation_rows,
    home_rows,
    make_night,
    next_week,
    outbox_rows,
    send,
    timer_rows,
)
from tests.services.helpers import Uow, snapshot

EVERYONE = [CORA, LENA, DOT, ADMIN_ID, TEAM_CHAT]
COORDINATORS = [CORA, DOT, ADMIN_ID]  # on-call first, then every coordinator
RESPONDERS = [CORA, LENA, DOT, ADMIN_ID]  # everyone but the team chat: they get the details


async def _sos(night: Night, telegram_id: int) -> checkins.HelpResult:
    return await checkins.sos(
        night.uow(), telegram_id=telegram_id, config=night.config, now=night.clock.now()
    )


@pytest.fixture
async def duress_night(uow: Uow, config: RotaConfig, clock: FakeClock) -> Night:
    night = await make_night(uow, config, clock, duress_word="pineapple")
    await night.start()
    return night


async def _duress(night: Night, text: str, telegram_id: int = NELL) -> dtm.datetime | None:
    return await checkins.duress(
        night.uow(), telegram_id=telegram_id, text=text, config=night.config, now=night.clock.now()
    )


# --- SOS ------------------------------------------------------------------------------------


async def test_sos_alerts_every_step_at_once(night: Night) -> None:
    await night.run(at(20, 5))
    result = await _sos(night, NELL)
    assert result.new
    alerts = await outbox_rows(night.uow, "alert")
    assert [a.chat_id for a in alerts] == EVERYONE
    assert {a.ref_id for a in alerts} == {result.escalation_id}
    assert alerts[0].payload["kind"] == "sos"
    assert alerts[0].payload["names"] == "Nell"
    assert alerts[0].payload["members"] == [
        {"name": "Nell", "phone": None},
        {"name": "Tia", "phone": None},
    ]


async def test_sos_escalation_row_names_the_person_and_has_no_next_step(night: Night) -> None:
    await night.run(at(20, 5))
    result = await _sos(night, NELL)
    (esc,) = await escalation_rows(night.uow)
    pair = (await night.pair_ids())[0]
    assert (esc.id, esc.kind, esc.volunteer_id, esc.pair_id, esc.state) == (
        result.escalation_id,
        "sos",
        night.ids[NELL],
        pair,
        "open",
    )
    assert await timer_rows(night.uow, "reescalate") == []


async def test_a_second_sos_while_one_is_open_writes_nothing(night: Night) -> None:
    await night.run(at(20, 5))
    first = await _sos(night, NELL)
    before = await snapshot(night.uow)
    night.clock.set(at(20, 6))
    again = await _sos(night, NELL)
    assert (again.new, again.escalation_id) == (False, first.escalation_id)
    assert await snapshot(night.uow) == before


async def test_sos_with_no_session_on_is_refused(night: Night) -> None:
    before = await snapshot(night.uow)
    with pytest.raises(SessionClosed):
        await _sos(night, NELL)
    assert await snapshot(night.uow) == before


async def test_sos_from_someone_not_on_tonights_rota_is_refused(night: Night) -> None:
    await night.run(at(20, 5))
    before = await snapshot(night.uow)
    with pytest.raises(SessionClosed):
        await _sos(night, OUTSIDER)
    assert await snapshot(night.uow) == before


async def test_a_location_shared_during_an_sos_goes_straight_to_every_responder(
    night: Night,
) -> None:
    await night.run(at(20, 5))
    await _sos(night, NELL)
    night.clock.set(at(20, 6))
    forwarded = await checkins.share_location(
        night.uow(),
        telegram_id=NELL,
        latitude=51.5,
        longitude=-0.12,
        config=night.config,
        now=at(20, 6),
    )
    assert forwarded
    rows = await outbox_rows(night.uow, "alert_location")
    assert sorted(r.chat_id for r in rows) == sorted(RESPONDERS)  # never the team chat
    assert rows[0].payload == {
        "latitude": 51.5,
        "longitude": -0.12,
        "at": at(20, 6).isoformat(),
        "name": "Nell",
        "live": True,
    }


# --- duress ---------------------------------------------------------------------------------


async def test_duress_word_looks_like_a_check_in(duress_night: Night) -> None:
    night = duress_night
    await night.fire(at(19, 30))
    night.clock.set(at(19, 31))
    shown = await _duress(night, "  Pineapple ")
    assert shown == at(19, 31)
    first = (await checkin_rows(night.uow))[0]
    assert (first.state, first.checked_by, first.checked_at) == (
        "ok",
        night.ids[NELL],
        at(19, 31),
    )
    timers = [t for t in await timer_rows(night.uow) if t.ref_id == first.id]
    assert [t.state for t in timers] == ["done", "cancelled", "cancelled"]


async def test_duress_alerts_only_the_oncall_and_the_coordinators(duress_night: Night) -> None:
    night = duress_night
    night.clock.set(at(19, 31))
    await _duress(night, "pineapple")
    (esc,) = await escalation_rows(night.uow)
    assert (esc.kind, esc.volunteer_id, esc.state) == ("duress", night.ids[NELL], "open")
    alerts = await outbox_rows(night.uow, "alert")
    assert [a.chat_id for a in alerts] == COORDINATORS  # no team chat, no lead, no walker
    assert alerts[0].payload["kind"] == "duress"
    assert await timer_rows(night.uow, "reescalate") == []


async def test_duress_tells_the_walkers_nothing_an_ok_would_not(duress_night: Night) -> None:
    night = duress_night
    await night.fire(at(19, 30))
    await send(night.uow, await outbox_rows(night.uow), at(19, 30, 1))
    seen = {r.id for r in await outbox_rows(night.uow)}
    night.clock.set(at(19, 31))
    await _duress(night, "pineapple")
    new = [r for r in await outbox_rows(night.uow) if r.id not in seen]
    to_walkers = [(r.kind, r.chat_id) for r in new if r.chat_id in (TIA, NELL)]
    assert to_walkers == [("checkin_done", TIA), ("checkin_done", NELL)]


async def test_acknowledging_a_duress_alert_sends_no_followup(duress_night: Night) -> None:
    night = duress_night
    night.clock.set(at(19, 31))
    await _duress(night, "pineapple")
    (esc,) = await escalation_rows(night.uow)
    await send(night.uow, await outbox_rows(night.uow, "alert"), at(19, 31, 2))
    change = await alarms.acknowledge(
        night.uow(), telegram_id=CORA, escalation_id=esc.id, config=night.config, now=at(19, 32)
    )
    assert change.changed
    assert await outbox_rows(night.uow, "followup") == []
    taken = await outbox_rows(night.uow, "alert_taken")
    assert [t.chat_id for t in taken] == COORDINATORS


@pytest.mark.parametrize("text", ["pineapples", "ok"])
async def test_other_text_is_not_the_duress_word(duress_night: Night, text: str) -> None:
    night = duress_night
    night.clock.set(at(19, 31))
    before = await snapshot(night.uow)
    assert await _duress(night, text) is None
    assert await snapshot(night.uow) == before


async def test_no_duress_word_configured_means_no_duress(night: Night) -> None:
    await night.start()
    night.clock.set(at(19, 31))
    before = await snapshot(night.uow)
    assert await _duress(night, "pineapple") is None
    assert await snapshot(night.uow) == before


# --- next week, with last week's home-safe round never finished -----------------------------


async def _last_week_unfinished(night: Night) -> Night:
    """Wed 2 Dec walked and ended, Nell never said she was home; Wed 9 Dec's walk is on."""
    following = await next_week(night)
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
    await night.run(at(0, 35))  # Nell's home-safe alarm...
    (esc,) = await escalation_rows(night.uow)
    await alarms.resolve(  # ...is dealt with by phone, but she never taps the button
        night.uow(), telegram_id=CORA, escalation_id=esc.id, config=night.config, now=at(0, 50)
    )
    report = await following.walks(START + WEEK)
    assert report.started == 1
    return following


async def test_an_sos_next_week_belongs_to_next_weeks_walk(night: Night) -> None:
    following = await _last_week_unfinished(night)
    following.clock.set(at(20, 5) + WEEK)
    result = await _sos(following, NELL)
    esc = next(e for e in await escalation_rows(night.uow) if e.id == result.escalation_id)
    assert esc.session_id == following.session_id
    alerts = [a for a in await outbox_rows(night.uow, "alert") if a.ref_id == esc.id]
    assert {a.payload["starts_at"] for a in alerts} == {(START + WEEK).isoformat()}


async def test_duress_after_the_walk_was_ended_still_looks_like_a_check_in(
    duress_night: Night,
) -> None:
    night = duress_night
    await night.fire(at(19, 30))
    await walks.end_walk(night.uow(), telegram_id=LENA, config=night.config, now=at(19, 32))
    night.clock.set(at(19, 33))
    assert await _duress(night, "pineapple") == at(19, 33)
    assert (await checkin_rows(night.uow))[0].state == "ok"
    await night.fire(at(19, 50))  # no missed check-in alarm to give the game away
    assert [e.kind for e in await escalation_rows(night.uow)] == ["duress"]


async def test_an_sos_after_a_duress_word_still_reaches_everyone(duress_night: Night) -> None:
    night = duress_night
    night.clock.set(at(19, 31))
    await _duress(night, "pineapple")
    night.clock.set(at(19, 35))
    result = await _sos(night, NELL)
    assert result.new
    sos = [
        a.chat_id
        for a in await outbox_rows(night.uow, "alert")
        if a.ref_id == result.escalation_id
    ]
    assert sos == EVERYONE
    assert [e.kind for e in await escalation_rows(night.uow)] == ["duress", "sos"]
    night.clock.set(at(19, 36))
    again = await _sos(night, NELL)
    assert (again.new, again.escalation_id) == (False, result.escalation_id)


async def test_duress_long_before_a_check_in_is_due_alerts_but_leaves_it_open(
    duress_night: Night,
) -> None:
    """Found by the fuzz run: the word closed check-in 3 at 19:52 (due 20:30)."""
    night = duress_night
    await night.fire(at(19, 30))
    night.clock.set(at(19, 31))
    await _duress(night, "pineapple")  # check-in 1 is due: it counts
    night.clock.set(at(19, 40))  # check-in 2 is due at 20:00: not yet within its window
    shown = await _duress(night, "pineapple")
    assert shown == at(19, 40)
    rows = await checkin_rows(night.uow)
    assert [r.state for r in rows[:2]] == ["ok", "open"]
