"""Issue 11, items 1, 8 and 9: forged presses, live-location floods and who sees the details.

1. A check-in press counts only for a check-in due now or late (the window /ok has), on a walk
   still on, by someone in the pair: a forged id for a later check-in changes nothing.
8. A live location during an SOS is one live location message per responder, moved by edits
   (at most one per chat per slot), never a new message per update.
9. Phone numbers and places go to the on-call, the lead and the coordinators; the team chat's
   copy of an alarm (and its outbox row) holds neither.
"""

from __future__ import annotations

import dataclasses
import datetime as dtm

import pytest
from sqlalchemy import select

from bot.safety import texts as safety_texts
from rota.kernel import notice_codec as codec
from rota.kernel.errors import NotSignedUp, SessionClosed, TooEarly
from rota.people import membership as people
from rota.roster.model import SignUpStatus
from rota.safety import alarms, checkins, walks
from rota.safety.checkin_plan import counts_from, may_check_in
from rota.safety.model import Audience
from rota.safety.notices import Alert, Member, TeamAlert
from rota.storage.tables import OutboxRow
from tests.conftest import ADMIN_ID
from tests.refusing import refusing
from tests.safety.support import (
    CORA,
    DOT,
    LENA,
    NELL,
    OUTSIDER,
    TEAM_CHAT,
    TESS,
    TIA,
    Night,
    at,
    checkin_rows,
    escalation_rows,
    outbox_rows,
    send,
    timer_rows,
    walk_state,
)
from tests.services.helpers import fetch, snapshot

RESPONDERS = [CORA, LENA, DOT, ADMIN_ID]
TIA_PHONE, NELL_PHONE = "+447700900111", "+447700900222"
HERE = (51.5142, -0.0931)

# --- 1. check-in presses ------------------------------------------------------------------


async def _tap(night: Night, telegram_id: int, checkin_id: int) -> checkins.CheckInResult:
    return await checkins.check_in(
        night.uow(),
        telegram_id=telegram_id,
        checkin_id=checkin_id,
        config=night.config,
        now=night.clock.now(),
    )


async def _ids(night: Night, pair: int = 0) -> list[int]:
    return await night.checkin_ids((await night.pair_ids())[pair])


@pytest.mark.parametrize(
    ("offset", "counts"),
    [
        (-dtm.timedelta(seconds=1), False),  # a second before the window opens
        (dtm.timedelta(0), True),  # as it opens: half an interval before it is due
        (dtm.timedelta(seconds=1), True),
    ],
)
def test_the_window_opens_half_an_interval_before_the_due_time(
    night: Night, offset: dtm.timedelta, counts: bool
) -> None:
    plan = night.plan
    due = at(19, 30)
    assert counts_from(due, plan) == at(19, 15)
    assert may_check_in(due, at(19, 15) + offset, plan) is counts
    assert may_check_in(due, at(23, 59), plan)  # late always counts


@pytest.mark.parametrize(
    ("when", "counts"),
    [(at(19, 14, 59), False), (at(19, 15), True), (at(19, 15, 1), True), (at(19, 31), True)],
)
async def test_a_press_counts_only_from_half_an_interval_before_the_due_time(
    night: Night, when: dtm.datetime, counts: bool
) -> None:
    await night.start()
    first = (await _ids(night))[0]
    night.clock.set(when)
    before = await snapshot(night.uow)
    if not counts:
        with refusing(TooEarly, match="19:30"):
            await _tap(night, NELL, first)
        assert await snapshot(night.uow) == before
        return
    result = await _tap(night, NELL, first)
    assert result.changed
    assert [r.state for r in await checkin_rows(night.uow)][:2] == ["ok", "open"]


@pytest.mark.parametrize(
    ("when", "counts"), [(at(19, 14, 59), False), (at(19, 15), True), (at(19, 15, 1), True)]
)
async def test_ok_shares_the_same_window(night: Night, when: dtm.datetime, counts: bool) -> None:
    await night.start()
    night.clock.set(when)
    if not counts:
        with pytest.raises(TooEarly):
            await checkins.check_in_now(
                night.uow(), telegram_id=NELL, config=night.config, now=when
            )
        return
    result = await checkins.check_in_now(
        night.uow(), telegram_id=NELL, config=night.config, now=when
    )
    assert result.checkin.seq == 1


async def test_a_forged_press_for_later_checkins_changes_nothing_and_they_still_escalate(
    night: Night,
) -> None:
    await night.start()
    first, *later = await _ids(night)
    await night.fire(at(19, 30))
    night.clock.set(at(19, 31))
    await _tap(night, NELL, first)  # the real prompt
    before = await snapshot(night.uow)
    for checkin_id in later:  # every later check-in of the night, forged
        with refusing(TooEarly, match="isn't due until"):
            await _tap(night, NELL, checkin_id)
    assert await snapshot(night.uow) == before
    # The 20:00 check-in is still asked, reminded and escalated when missed.
    await night.fire(at(20, 0))
    assert {r.chat_id for r in await outbox_rows(night.uow, "checkin_prompt")} == {TIA, NELL}
    assert len(await outbox_rows(night.uow, "checkin_prompt")) == 4
    await night.fire(at(20, 10))
    (escalation,) = await escalation_rows(night.uow)
    assert escalation.checkin_id == later[0]
    assert [a.chat_id for a in await outbox_rows(night.uow, "alert")] == [CORA]


async def test_a_forged_press_for_another_pairs_checkin_changes_nothing(
    two_pairs: Night,
) -> None:
    night = two_pairs
    await night.start()
    theirs = (await _ids(night, 1))[0]
    await night.fire(at(19, 30))
    night.clock.set(at(19, 31))
    before = await snapshot(night.uow)
    with pytest.raises(NotSignedUp):
        await _tap(night, NELL, theirs)
    assert await snapshot(night.uow) == before
    assert TESS in {r.chat_id for r in await outbox_rows(night.uow, "checkin_prompt")}


async def test_a_press_after_the_session_ended_changes_nothing(night: Night) -> None:
    await night.start()
    first = (await _ids(night))[0]
    await night.run(at(19, 30))
    await night.run(at(19, 40))  # missed: escalated, and still open when the session ends
    await night.walks(at(23))
    assert await walk_state(night.uow, night.session_id) == "ended"
    night.clock.set(at(23, 1))
    before = await snapshot(night.uow)
    with refusing(SessionClosed, match="The walk is over"):
        await _tap(night, NELL, first)
    assert await snapshot(night.uow) == before


async def test_a_called_off_checkin_changes_nothing(night: Night) -> None:
    await night.start()
    ids = await _ids(night)
    await night.fire(at(19, 30))
    await walks.end_walk(night.uow(), telegram_id=LENA, config=night.config, now=at(19, 32))
    night.clock.set(at(20, 1))
    before = await snapshot(night.uow)
    with refusing(SessionClosed, match="called off"):
        await _tap(night, NELL, ids[1])
    assert await snapshot(night.uow) == before


async def test_an_overdue_checkin_still_counts_once_the_lead_ended_the_walk(night: Night) -> None:
    await night.start()
    first = (await _ids(night))[0]
    await night.fire(at(19, 30))
    await walks.end_walk(night.uow(), telegram_id=LENA, config=night.config, now=at(19, 32))
    night.clock.set(at(19, 33))
    result = await _tap(night, TIA, first)
    assert result.changed
    remind = [t for t in await timer_rows(night.uow, "remind") if t.ref_id == first]
    assert [t.state for t in remind] == ["cancelled"]


async def test_a_forged_need_help_id_raises_only_the_pressers_own_sos(two_pairs: Night) -> None:
    """ci:h ignores its id: whatever it names, it is the presser's own SOS and nothing else."""
    night = two_pairs
    await night.run(at(19, 30))
    # (The handler calls checkins.sos without the id; this is what that does.)
    result = await checkins.sos(night.uow(), telegram_id=NELL, config=night.config, now=at(19, 31))
    (escalation,) = await escalation_rows(night.uow)
    assert (escalation.id, escalation.volunteer_id) == (result.escalation_id, night.ids[NELL])
    assert [r.state for r in await checkin_rows(night.uow)].count("ok") == 0


# --- 9. who sees phone numbers and places --------------------------------------------------


async def _phones(night: Night) -> None:
    for who, phone in ((TIA, TIA_PHONE), (NELL, NELL_PHONE)):
        await people.save_phone(
            night.uow(), telegram_id=who, phone=phone, contact_user_id=who, config=night.config
        )


async def _located(night: Night, telegram_id: int, when: dtm.datetime) -> bool:
    return await checkins.share_location(
        night.uow(),
        telegram_id=telegram_id,
        latitude=HERE[0],
        longitude=HERE[1],
        config=night.config,
        now=when,
    )


async def _raw_payloads(night: Night, chat_id: int) -> list[str]:
    rows = await fetch(
        night.uow,
        select(OutboxRow.kind, OutboxRow.payload)
        .where(OutboxRow.chat_id == chat_id)
        .order_by(OutboxRow.id),
    )
    return [f"{r.kind} {r.payload}" for r in rows]


def _assert_no_details(raw: list[str]) -> None:
    assert raw, "the team chat got nothing at all"
    for text in raw:
        for secret in (TIA_PHONE, NELL_PHONE, "51.5142", "-0.0931", "latitude", "members"):
            assert secret not in text, text


async def test_step_three_gives_the_team_chat_who_and_what_but_no_phones_or_place(
    night: Night,
) -> None:
    await _phones(night)
    await night.start()
    await _located(night, NELL, at(19, 20))
    for when in (at(19, 30), at(19, 40), at(19, 45), at(19, 50)):
        await night.fire(when)
    alerts = await outbox_rows(night.uow, "alert")
    team = [a for a in alerts if a.chat_id == TEAM_CHAT]
    (team_alert,) = team
    assert team_alert.payload["step"] == 3
    assert team_alert.payload["audience"] == "team"
    assert team_alert.payload["names"] == "Tia and Nell"
    assert "members" not in team_alert.payload
    _assert_no_details(await _raw_payloads(night, TEAM_CHAT))
    # Every responder's copy at step 3 has the numbers and the place.
    step3 = [a for a in alerts if a.payload["step"] == 3 and a.chat_id != TEAM_CHAT]
    assert sorted(a.chat_id for a in step3) == sorted(RESPONDERS)
    for alert in step3:
        assert alert.payload["audience"] == "responders"
        assert alert.payload["members"] == [
            {"name": "Tia", "phone": TIA_PHONE},
            {"name": "Nell", "phone": NELL_PHONE},
        ]
    places = [p for p in await outbox_rows(night.uow, "alert_location") if p.payload]
    assert TEAM_CHAT not in {p.chat_id for p in places}
    assert {p.chat_id for p in places} == set(RESPONDERS)


async def test_an_sos_gives_the_team_chat_no_phones_or_place_even_as_it_moves(
    night: Night,
) -> None:
    await _phones(night)
    await night.run(at(20, 5))
    await _located(night, NELL, at(20, 4))
    await checkins.sos(night.uow(), telegram_id=NELL, config=night.config, now=at(20, 5))
    await send(night.uow, await outbox_rows(night.uow, "alert", "alert_location"), at(20, 5, 1))
    assert await _located(night, NELL, at(20, 6))
    # Taken and resolved: the edits of the team chat's copy hold no details either.
    (escalation,) = await escalation_rows(night.uow)
    await alarms.acknowledge(
        night.uow(),
        telegram_id=CORA,
        escalation_id=escalation.id,
        config=night.config,
        now=at(20, 7),
    )
    await alarms.resolve(
        night.uow(),
        telegram_id=CORA,
        escalation_id=escalation.id,
        config=night.config,
        now=at(20, 9),
    )
    raw = await _raw_payloads(night, TEAM_CHAT)
    assert [r.split()[0] for r in raw] == ["alert", "alert_taken", "alert_resolved"]
    _assert_no_details(raw)
    cora = [r for r in await outbox_rows(night.uow) if r.chat_id == CORA]
    (alert,) = [r for r in cora if r.kind == "alert"]
    assert {m["phone"] for m in alert.payload["members"]} == {TIA_PHONE, NELL_PHONE}
    assert any(r.kind == "alert_location" for r in cora)


async def test_a_digest_of_alarms_for_the_team_chat_has_no_phones(two_pairs: Night) -> None:
    night = two_pairs
    await _phones(night)
    await night.start()
    for when in (at(19, 30), at(19, 40), at(19, 45), at(19, 50)):
        await night.fire(when)
    team = [a for a in await outbox_rows(night.uow, "alert") if a.chat_id == TEAM_CHAT]
    assert len(team) == 2  # both pairs: the dispatcher sends them as one digest
    _assert_no_details(await _raw_payloads(night, TEAM_CHAT))


def test_any_group_is_the_team_audience_even_one_not_configured(night: Night) -> None:
    config = night.config
    assert alarms.audience_of(TEAM_CHAT, config).value == "team"
    assert alarms.audience_of(-100_123, config).value == "team"
    assert alarms.audience_of(CORA, config).value == "responders"
    alert = Alert(
        escalation_id=1,
        kind="sos",
        step=1,
        names="Ana",
        members=(Member(name="Ana", phone="1"),),
        starts_at=at(19),
        ends_at=at(23),
    )
    team = codec.encode(alert.for_team())
    assert "members" not in team
    assert team["audience"] == "team"
    assert isinstance(codec.decode("alert", team), TeamAlert)
    assert isinstance(codec.decode("alert", codec.encode(alert)), Alert)


# --- 8. a live location during an SOS -----------------------------------------------------


async def _moves(night: Night, n: int, start: dtm.datetime) -> None:
    for i in range(n):
        assert await checkins.share_location(
            night.uow(),
            telegram_id=NELL,
            latitude=51.5 + i / 1000,
            longitude=-0.12,
            config=night.config,
            now=start + dtm.timedelta(seconds=i),
        )


async def test_a_live_location_during_an_sos_is_one_message_per_responder_then_edits(
    night: Night,
) -> None:
    await night.run(at(20, 5))
    await checkins.sos(night.uow(), telegram_id=NELL, config=night.config, now=at(20, 5))
    await send(night.uow, await outbox_rows(night.uow, "alert"), at(20, 5, 1))
    await _moves(night, 10, at(20, 6))  # ten updates before anything was delivered
    places = [r for r in await outbox_rows(night.uow, "alert_location") if r.state != "cancelled"]
    assert sorted(p.chat_id for p in places) == sorted(RESPONDERS)  # one each, no team chat
    assert {p.payload["latitude"] for p in places} == {51.509}  # the latest place
    assert {p.payload["live"] for p in places} == {True}
    await send(night.uow, places, at(20, 6, 10))
    written = len(await outbox_rows(night.uow, "alert_location"))
    await _moves(night, 10, at(20, 6, 11))  # ten more, once each has its live location
    moves = await outbox_rows(night.uow, "alert_location_move")
    pending = [m for m in moves if m.state == "pending"]
    assert sorted(m.chat_id for m in pending) == sorted(RESPONDERS)  # one edit per chat
    by_chat = {p.chat_id: p.id for p in places}
    assert all(m.edit_of == by_chat[m.chat_id] for m in pending)
    assert {m.payload["latitude"] for m in pending} == {51.509}
    assert len(await outbox_rows(night.uow, "alert_location")) == written  # no new message
    assert TEAM_CHAT not in {
        r.chat_id for r in await outbox_rows(night.uow) if "location" in r.kind
    }


def test_moves_within_one_slot_share_one_edit_at_its_end() -> None:
    slot = alarms.PLACE_EVERY
    now = at(20, 6, 11)
    due = alarms.next_place_slot(now)
    assert now < due <= now + slot
    assert alarms.next_place_slot(due) == due + slot  # strictly the next slot
    assert alarms.next_place_slot(due - dtm.timedelta(microseconds=1)) == due


async def test_the_place_keeps_following_once_a_coordinator_took_the_sos(night: Night) -> None:
    await night.run(at(20, 5))
    await checkins.sos(night.uow(), telegram_id=NELL, config=night.config, now=at(20, 5))
    await send(night.uow, await outbox_rows(night.uow, "alert"), at(20, 5, 1))
    (escalation,) = await escalation_rows(night.uow)
    await alarms.acknowledge(
        night.uow(),
        telegram_id=CORA,
        escalation_id=escalation.id,
        config=night.config,
        now=at(20, 6),
    )
    assert await _located(night, NELL, at(20, 7))
    places = [r for r in await outbox_rows(night.uow, "alert_location") if r.state == "pending"]
    assert sorted(p.chat_id for p in places) == sorted(RESPONDERS)
    await alarms.resolve(
        night.uow(),
        telegram_id=CORA,
        escalation_id=escalation.id,
        config=night.config,
        now=at(20, 8),
    )
    before = len(await outbox_rows(night.uow))
    assert not await _located(night, NELL, at(20, 9))  # resolved: kept, not sent
    assert len(await outbox_rows(night.uow)) == before


def test_the_team_copy_renders_who_and_that_the_coordinators_have_the_details() -> None:
    full: dict[str, object] = {
        "escalation_id": 7,
        "kind": "sos",
        "step": alarms.ALL_STEPS,
        "names": "Nell",
        "members": [{"name": "Nell", "phone": NELL_PHONE}, {"name": "Tia", "phone": TIA_PHONE}],
        "meeting_point": "St Anne's Hall",
        "starts_at": at(19).isoformat(),
        "ends_at": at(23).isoformat(),
        "last_checkin_at": None,
        "last_checkin_by": None,
    }
    # As stored (today's shape and any older row alike), read as the renderer gets them.
    team = codec.decode("alert", full | {"audience": Audience.TEAM.value})
    responders = codec.decode("alert", full | {"audience": Audience.RESPONDERS.value})
    assert isinstance(team, TeamAlert)
    assert isinstance(responders, Alert)
    shown = safety_texts.alert(team, "Europe/London", repeat=False)
    assert "SOS from Nell" in shown
    assert safety_texts.TEAM_DETAILS in shown
    assert NELL_PHONE not in shown
    assert NELL_PHONE in safety_texts.alert(responders, "Europe/London", repeat=False)
    (part,) = safety_texts.alert_digest(
        [team, dataclasses.replace(team, names="Tia")], "Europe/London", repeat=False
    )
    assert safety_texts.TEAM_DETAILS in part.text
    assert TIA_PHONE not in part.text
    (part,) = safety_texts.alert_digest([responders, responders], "Europe/London", repeat=False)
    assert safety_texts.TEAM_DETAILS not in part.text
    assert TIA_PHONE in part.text


async def test_someone_on_the_waitlist_is_not_on_the_walk_so_their_sos_changes_nothing(
    night: Night,
) -> None:
    """Need help works for everyone out tonight; a waitlisted person is not out with the team."""
    async with night.uow() as work:
        await work.signups.add(
            session_id=night.session_id,
            role_id=night.roles["lead"],
            volunteer_id=night.ids[OUTSIDER],
            status=SignUpStatus.WAITLISTED,
            now=night.clock.now(),
        )
        await work.commit()
    await night.run(at(20, 5))
    before = await snapshot(night.uow)
    with refusing(SessionClosed, match="999"):
        await checkins.sos(night.uow(), telegram_id=OUTSIDER, config=night.config, now=at(20, 6))
    with pytest.raises(SessionClosed):
        await _located(night, OUTSIDER, at(20, 6))
    assert await snapshot(night.uow) == before
    # The confirmed lead, not walking, still can.
    result = await checkins.sos(night.uow(), telegram_id=LENA, config=night.config, now=at(20, 6))
    assert result.new
