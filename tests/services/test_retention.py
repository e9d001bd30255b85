"""Retention: each period at its boundary, idempotent, dry runs, and never a row in flight."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dtm
import json
from typing import Any

import pytest
from sqlalchemy import insert, select

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.outbox import Notice
from rota.kernel.template import RetentionPolicy
from rota.people.model import VolunteerStatus
from rota.privacy.retention import PurgeReport, purge
from rota.reports import services as reports
from rota.roster.model import SessionStatus
from rota.safety.model import EscalationKind, WalkState
from rota.storage.retention_repository import SqlRetention
from rota.storage.tables import (
    Base,
    DebriefRow,
    EscalationRow,
    InviteRow,
    LocationRow,
    OutboxRow,
    SafetyLogRow,
    VolunteerRow,
)
from tests.briefings.support import BRIEF_AT, briefing_of, read
from tests.briefings.support import tick as briefing_tick
from tests.notices import raw
from tests.reports.support import MONTH, VERA, make_october
from tests.safety.support import TIA, make_night
from tests.services.helpers import Uow, add_volunteers, fetch

SECOND = dtm.timedelta(seconds=1)
POLICY = RetentionPolicy()
T0 = dtm.datetime(2026, 6, 3, 22, 0, tzinfo=dtm.UTC)  # when each thing stopped being needed
SIDES = pytest.mark.parametrize(("offset", "gone"), [(-SECOND, False), (SECOND, True)])
PAYLOAD = {"names": "Zephyrine and Tia", "phone": "+44 7700 900123"}
TABLES: tuple[type[Base], ...] = (
    OutboxRow,
    SafetyLogRow,
    LocationRow,
    InviteRow,
    DebriefRow,
    VolunteerRow,
    EscalationRow,
)


async def run(uow: Uow, now: dtm.datetime, **kwargs: Any) -> PurgeReport:
    kwargs.setdefault("policy", POLICY)
    return await purge(uow, now=now, pause=0, **kwargs)


async def dump(uow: Uow) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables the purge touches, to compare before and after."""
    return {
        t.__tablename__: sorted(tuple(r) for r in await fetch(uow, select(t.__table__)))
        for t in TABLES
    }


async def message(
    uow: Uow,
    *,
    created: dtm.datetime,
    kind: str = "briefing",
    chat_id: int = 7001,
    key: str | None = None,
    ref: tuple[str, int] | None = None,
    payload: dict[str, object] | None = None,
) -> int:
    """One pending outbox row, due at `created`; returns its id."""
    async with uow() as u:
        await u.outbox.add(
            Notice(
                chat_id=chat_id,
                payload=raw(kind, **(PAYLOAD if payload is None else payload)),
                dedupe_key=key,
                ref_kind=ref[0] if ref else None,
                ref_id=ref[1] if ref else None,
            ),
            now=created,
            due_at=None,
        )
        await u.commit()
    (row,) = await fetch(uow, select(OutboxRow.id).order_by(OutboxRow.id.desc()).limit(1))
    return int(row.id)


async def claim(uow: Uow, now: dtm.datetime) -> list[int]:
    async with uow() as u:
        items = await u.outbox.claim_due(now=now, lease=dtm.timedelta(seconds=30), limit=100)
        await u.commit()
    return [i.id for i in items]


async def sent(uow: Uow, at: dtm.datetime, **kwargs: Any) -> int:
    """A row delivered at `at` (created a minute before)."""
    row = await message(uow, created=at - dtm.timedelta(minutes=1), **kwargs)
    assert row in await claim(uow, at)
    async with uow() as u:
        await u.outbox.mark_sent(row, now=at, message_id=55)
        await u.commit()
    return row


async def given_up(uow: Uow, at: dtm.datetime) -> int:
    """A row whose last attempt, due at `at`, failed for good."""
    row = await message(uow, created=at - dtm.timedelta(hours=1))
    assert row in await claim(uow, at - dtm.timedelta(hours=1))
    async with uow() as u:
        await u.outbox.retry_at(row, due_at=at, error="timed out")
        await u.commit()
    assert row in await claim(uow, at)
    async with uow() as u:
        await u.outbox.give_up(row, unreachable=True, error="Forbidden: blocked by Zephyrine")
        await u.commit()
    return row


async def outbox_row(uow: Uow, row_id: int) -> Any | None:
    rows = await fetch(uow, select(OutboxRow.__table__).where(OutboxRow.id == row_id))
    return rows[0] if rows else None


# --- message bodies and message rows --------------------------------------------------------


@SIDES
async def test_a_delivered_message_text_is_wiped_after_message_bodies(
    uow: Uow, offset: dtm.timedelta, gone: bool
) -> None:
    row = await sent(uow, T0)
    report = await run(uow, T0 + POLICY.message_bodies + offset)
    stored = await outbox_row(uow, row)
    assert stored is not None
    assert (stored.payload == "{}") is gone
    assert report.outbox_bodies_wiped == int(gone)
    assert (stored.state, stored.chat_id, stored.message_id) == ("sent", 7001, 55)


@SIDES
async def test_a_given_up_message_loses_its_text_and_error_counted_from_its_last_attempt(
    uow: Uow, offset: dtm.timedelta, gone: bool
) -> None:
    row = await given_up(uow, T0)
    await run(uow, T0 + POLICY.message_bodies + offset)
    stored = await outbox_row(uow, row)
    assert stored is not None
    assert stored.state == "unreachable"
    if gone:
        assert (stored.payload, stored.last_error) == ("{}", None)
    else:
        assert json.loads(stored.payload) == PAYLOAD
        assert stored.last_error == "Forbidden: blocked by Zephyrine"


@SIDES
async def test_a_cancelled_message_counts_from_when_it_was_due(
    uow: Uow, offset: dtm.timedelta, gone: bool
) -> None:
    row = await message(uow, created=T0, ref=("briefing", 4))
    async with uow() as u:
        assert await u.outbox.cancel_pending("briefing", 4, ["briefing"]) == 1
        await u.commit()
    await run(uow, T0 + POLICY.message_bodies + offset)
    stored = await outbox_row(uow, row)
    assert stored is not None
    assert (stored.payload == "{}") is gone


@SIDES
async def test_a_finished_message_row_is_deleted_after_message_rows(
    uow: Uow, offset: dtm.timedelta, gone: bool
) -> None:
    row = await sent(uow, T0)
    report = await run(uow, T0 + POLICY.message_rows + offset)
    assert (await outbox_row(uow, row) is None) is gone
    assert report.outbox_rows_deleted == int(gone)
    # The text went long before; counted once, under what happened to the row.
    assert report.outbox_bodies_wiped == int(not gone)


async def test_rows_pending_or_being_sent_are_never_touched_however_old(uow: Uow) -> None:
    waiting = await message(uow, created=T0, kind="waiting")
    sending = await message(uow, created=T0, kind="sending", chat_id=7002)
    claimed = await claim(uow, T0)
    assert set(claimed) == {waiting, sending}
    async with uow() as u:  # one goes back to wait for a retry; the other is still leased
        await u.outbox.retry_at(waiting, due_at=T0 + SECOND, error="timed out")
        await u.commit()
    before = await dump(uow)

    report = await run(uow, T0 + 10 * POLICY.message_rows)

    assert report.total == 0
    assert await dump(uow) == before
    states = {r.id: r.state for r in await fetch(uow, select(OutboxRow.id, OutboxRow.state))}
    assert states == {waiting: "pending", sending: "sending"}


async def test_a_row_claimed_between_the_window_and_the_wipe_is_skipped(
    uow: Uow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wipe's own WHERE checks the state: what the window found may have changed since."""
    row = await sent(uow, T0)
    window_end = SqlRetention.window_end

    async def a_dispatcher_claims_it_meanwhile(self: SqlRetention, *args: Any, **kw: Any) -> Any:
        found = await window_end(self, *args, **kw)
        if args[0] == "outbox" and kw["after"] == 0:
            # In the purge's own transaction, so SQLite's single writer cannot deadlock.
            await self._db.execute(
                OutboxRow.__table__.update()
                .where(OutboxRow.id == row)
                .values(state="sending", locked_until=T0 + 10 * POLICY.message_rows)
            )
        return found

    monkeypatch.setattr(SqlRetention, "window_end", a_dispatcher_claims_it_meanwhile)
    report = await run(uow, T0 + 10 * POLICY.message_rows)

    stored = await outbox_row(uow, row)
    assert stored is not None
    assert stored.state == "sending"
    assert json.loads(stored.payload) == PAYLOAD
    assert (report.outbox_rows_deleted, report.outbox_bodies_wiped) == (0, 0)


# --- alarms' locations ---------------------------------------------------------------------


async def _walk_with_alarm(
    uow: Uow, config: RotaConfig, *, resolved: bool, walk: WalkState = WalkState.ENDED
) -> tuple[int, int, int]:
    """A session whose walk is over, a location kept for an SOS, and the SOS's place message."""
    (person, coordinator) = await add_volunteers(uow, T0, 8000, 2, ["trained"])
    async with uow() as u:
        session = await u.sessions.add(
            template_key=None,
            local_date=T0.date(),
            starts_at=T0 - dtm.timedelta(hours=4),
            ends_at=T0,
            meeting_point="St Anne's Hall",
            note="",
            roles=config.template.roles,
            now=T0,
        )
        if walk is not WalkState.PLANNED:
            assert await u.safety.set_walk_state(
                session.id, expected=["planned"], new=walk.value, at=T0
            )
        sos = await u.safety.open_escalation(
            session_id=session.id,
            kind=EscalationKind.SOS,
            now=T0,
            step=1,
            volunteer_id=person.id,
        )
        await u.safety.put_location(session.id, person.id, latitude=51.5, longitude=-0.1, at=T0)
        if resolved:
            assert await u.safety.resolve(sos.id, by=coordinator.id, at=T0 + SECOND)
        await u.commit()
    place = await sent(
        uow,
        T0,
        kind="alert_location",
        ref=("escalation", sos.id),
        payload={"latitude": 51.5, "longitude": -0.1, "name": "Zephyrine"},
    )
    return session.id, sos.id, place


async def test_a_location_kept_for_an_open_alert_stays_until_it_is_resolved(
    uow: Uow, config: RotaConfig
) -> None:
    _, sos, place = await _walk_with_alarm(uow, config, resolved=False)
    report = await run(uow, T0 + dtm.timedelta(hours=1))
    assert (report.locations_deleted, report.outbox_alert_places_wiped) == (0, 0)
    assert len(await fetch(uow, select(LocationRow.id))) == 1
    stored = await outbox_row(uow, place)
    assert stored is not None
    assert stored.payload != "{}"

    async with uow() as u:
        assert await u.safety.resolve(sos, by=1, at=T0 + dtm.timedelta(hours=2))
        await u.commit()
    report = await run(uow, T0 + dtm.timedelta(hours=3))

    assert (report.locations_deleted, report.outbox_alert_places_wiped) == (1, 1)
    assert await fetch(uow, select(LocationRow.id)) == []
    stored = await outbox_row(uow, place)
    assert stored is not None
    assert stored.payload == "{}"


async def test_a_location_left_after_the_walk_ended_is_deleted(
    uow: Uow, config: RotaConfig
) -> None:
    await _walk_with_alarm(uow, config, resolved=True)
    report = await run(uow, T0 + dtm.timedelta(minutes=1))
    assert report.locations_deleted == 1
    assert await fetch(uow, select(LocationRow.id)) == []


async def test_a_location_on_a_walk_still_going_is_kept(uow: Uow, config: RotaConfig) -> None:
    await _walk_with_alarm(uow, config, resolved=True, walk=WalkState.WALKING)
    # The walk is on (and ended less than a day ago): its positions are what keeps people safe.
    report = await run(uow, T0 + dtm.timedelta(hours=23))
    assert report.locations_deleted == 0
    # A walk the clock never ended (the bot was down) is over a day after its end.
    report = await run(uow, T0 + dtm.timedelta(days=1, seconds=1))
    assert report.locations_deleted == 1


async def test_a_cancelled_session_keeps_no_location(uow: Uow, config: RotaConfig) -> None:
    session, _, _ = await _walk_with_alarm(uow, config, resolved=True, walk=WalkState.WALKING)
    async with uow() as u:
        assert await u.sessions.set_status(
            session, expected=SessionStatus.SCHEDULED, new=SessionStatus.CANCELLED
        )
        await u.commit()
    assert (await run(uow, T0 + dtm.timedelta(minutes=1))).locations_deleted == 1


# --- safety log and debriefs -------------------------------------------------------------


@SIDES
async def test_safety_log_details_and_names_go_after_their_period_the_event_stays(
    uow: Uow, config: RotaConfig, offset: dtm.timedelta, gone: bool
) -> None:
    session, sos, _ = await _walk_with_alarm(uow, config, resolved=True)
    async with uow() as u:
        await u.safety.log(
            session, "sos", at=T0, detail="SOS from Zephyrine", volunteer_id=3, escalation_id=sos
        )
        await u.commit()
    report = await run(uow, T0 + POLICY.safety_log_details + offset)
    (line,) = await fetch(uow, select(SafetyLogRow.__table__).where(SafetyLogRow.event == "sos"))
    assert (line.session_id, line.at, line.event, line.escalation_id) == (session, T0, "sos", sos)
    if gone:
        assert (line.detail, line.volunteer_id) == ("", None)
    else:
        assert (line.detail, line.volunteer_id) == ("SOS from Zephyrine", 3)
    assert report.safety_log_details_wiped == int(gone)


@SIDES
async def test_a_debrief_incident_is_cleared_after_the_log_period(
    uow: Uow, config: RotaConfig, offset: dtm.timedelta, gone: bool
) -> None:
    session, _, _ = await _walk_with_alarm(uow, config, resolved=True)
    async with uow.engine.begin() as conn:
        await conn.execute(
            insert(DebriefRow.__table__).values(
                session_id=session,
                step=10,
                answers='{"food_bags": 4}',
                incident="reported",
                state="done",
                started_at=T0 - dtm.timedelta(hours=1),
                finished_at=T0,
            )
        )
    report = await run(uow, T0 + POLICY.safety_log_details + offset)
    (row,) = await fetch(uow, select(DebriefRow.incident, DebriefRow.answers))
    assert row.incident == (None if gone else "reported")
    assert row.answers == '{"food_bags": 4}'
    assert report.debrief_incidents_cleared == int(gone)


# --- invites and removed volunteers ---------------------------------------------------------


async def _invite(uow: Uow, code: str, *, expires: dtm.datetime) -> int:
    async with uow() as u:
        invite = await u.invites.add(
            code=code,
            tags=frozenset(),
            created_by=None,
            now=expires - dtm.timedelta(days=7),
            expires_at=expires,
        )
        await u.commit()
    return invite.id


@SIDES
async def test_an_expired_invite_is_deleted_after_the_invites_period(
    uow: Uow, offset: dtm.timedelta, gone: bool
) -> None:
    await _invite(uow, "expired", expires=T0)
    await _invite(uow, "valid", expires=T0 + 2 * POLICY.invites)
    report = await run(uow, T0 + POLICY.invites + offset)
    codes = [r.code for r in await fetch(uow, select(InviteRow.code).order_by(InviteRow.code))]
    assert codes == (["valid"] if gone else ["expired", "valid"])
    assert report.invites_deleted == int(gone)


@SIDES
async def test_a_used_invite_is_deleted_after_the_invites_period_from_its_use(
    uow: Uow, offset: dtm.timedelta, gone: bool
) -> None:
    (who,) = await add_volunteers(uow, T0, 8100, 1, [])
    invite = await _invite(uow, "used", expires=T0 + dtm.timedelta(days=300))
    async with uow() as u:
        assert await u.invites.mark_used(invite, who.id, T0)
        await u.commit()
    await run(uow, T0 + POLICY.invites + offset)
    assert (await fetch(uow, select(InviteRow.id)) == []) is gone


async def _removed(uow: Uow, telegram_id: int, at: dtm.datetime) -> int:
    (who,) = await add_volunteers(uow, T0 - dtm.timedelta(days=400), telegram_id, 1, [])
    async with uow() as u:
        await u.volunteers.save(dataclasses.replace(who, status=VolunteerStatus.REMOVED))
        await u.erasure.set_removed_at(who.id, at)
        await u.commit()
    return who.id


@SIDES
async def test_a_removed_volunteer_is_erased_after_the_removed_volunteers_period(
    uow: Uow, offset: dtm.timedelta, gone: bool
) -> None:
    who = await _removed(uow, 8200, T0)
    await sent(uow, T0 - dtm.timedelta(days=1), chat_id=8200)
    report = await run(uow, T0 + POLICY.removed_volunteers + offset)
    (row,) = await fetch(uow, select(VolunteerRow.__table__).where(VolunteerRow.id == who))
    assert (row.telegram_id is None) is gone
    assert (row.display_name == "Bulk 0") is not gone
    assert report.removed_volunteers_erased == int(gone)


async def test_a_removed_volunteer_with_an_open_alert_waits(uow: Uow, config: RotaConfig) -> None:
    session, _, _ = await _walk_with_alarm(uow, config, resolved=True)
    who = await _removed(uow, 8300, T0 - POLICY.removed_volunteers - SECOND)
    async with uow() as u:
        await u.safety.open_escalation(
            session_id=session, kind=EscalationKind.SOS, now=T0, step=1, volunteer_id=who
        )
        await u.commit()
    dry = await run(uow, T0, dry_run=True)
    report = await run(uow, T0)
    assert (report.removed_volunteers_erased, report.removed_volunteers_waiting) == (0, 1)
    assert (dry.removed_volunteers_erased, dry.removed_volunteers_waiting) == (0, 1)
    (row,) = await fetch(uow, select(VolunteerRow.telegram_id).where(VolunteerRow.id == who))
    assert row.telegram_id == 8300


# --- a whole purge: idempotent, dry runs, batches, reports ---------------------------------


async def _everything_old(uow: Uow, config: RotaConfig) -> None:
    """Something of every kind past its period, and fresh things that must stay."""
    await _walk_with_alarm(uow, config, resolved=True)
    for n in range(7):
        await sent(uow, T0 - dtm.timedelta(days=40 + n), chat_id=7100 + n)
        await sent(uow, T0 - dtm.timedelta(days=5 + n), chat_id=7200 + n)
        await sent(uow, T0 - dtm.timedelta(hours=n), chat_id=7300 + n)
    await given_up(uow, T0 - dtm.timedelta(days=4))
    await message(uow, created=T0 - dtm.timedelta(days=50), kind="still_pending")
    await _invite(uow, "old", expires=T0 - dtm.timedelta(days=8))
    await _invite(uow, "new", expires=T0 + dtm.timedelta(days=3))
    await _removed(uow, 8400, T0 - dtm.timedelta(days=31))
    await _removed(uow, 8401, T0 - dtm.timedelta(days=29))
    async with uow() as u:
        for days in (91, 92, 10):
            await u.safety.log(
                1, "walk_started", at=T0 - dtm.timedelta(days=days), detail="Tia <-> Nell"
            )
        await u.commit()


EXPECTED = PurgeReport(
    outbox_rows_deleted=7,
    outbox_bodies_wiped=8,  # the 7 sent 5 to 11 days ago, and the one given up
    outbox_alert_places_wiped=1,
    locations_deleted=1,
    safety_log_details_wiped=2,
    invites_deleted=1,
    removed_volunteers_erased=1,
)


async def test_a_second_run_removes_nothing(uow: Uow, config: RotaConfig) -> None:
    await _everything_old(uow, config)
    first = await run(uow, T0)
    assert first.total > 0
    after_first = await dump(uow)
    assert (await run(uow, T0)).total == 0
    assert await dump(uow) == after_first


async def test_a_dry_run_changes_nothing_and_counts_what_the_run_does(
    uow: Uow, config: RotaConfig
) -> None:
    await _everything_old(uow, config)
    before = await dump(uow)
    dry = await run(uow, T0, dry_run=True)
    assert await dump(uow) == before
    real = await run(uow, T0)
    assert dry == real == EXPECTED
    assert await dump(uow) != before


async def test_small_batches_do_what_one_big_batch_does(uow: Uow, config: RotaConfig) -> None:
    await _everything_old(uow, config)
    dry = await run(uow, T0, dry_run=True, batch=1000)
    assert await run(uow, T0, batch=3) == dry
    assert (await run(uow, T0, batch=3)).total == 0


async def test_a_batch_must_be_positive(uow: Uow) -> None:
    with pytest.raises(ValueError, match="batch"):
        await run(uow, T0, batch=0)


async def test_the_monthly_report_of_an_old_month_is_the_same_after_a_purge(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    known = await make_october(uow, config, clock)
    # Vera (withdrawn in October) was removed on 1 Nov; Tia's SOS was answered.
    async with uow() as u:
        vera = known.people[VERA]
        await u.volunteers.save(dataclasses.replace(vera, status=VolunteerStatus.REMOVED))
        await u.erasure.set_removed_at(vera.id, dtm.datetime(2026, 11, 1, tzinfo=dtm.UTC))
        await u.commit()
    later = dtm.datetime(2027, 3, 1, 3, 30, tzinfo=dtm.UTC)  # past every period
    before = await reports.monthly_report(uow(), month=MONTH, now=later)

    done = await run(uow, later)

    assert done.safety_log_details_wiped > 0
    assert done.removed_volunteers_erased == 1
    assert await reports.monthly_report(uow(), month=MONTH, now=later) == before


async def test_got_it_on_a_briefing_whose_text_is_wiped_records_the_tap_and_shows_nothing(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    """The text is gone after message_bodies: the tap still counts, no empty text is shown."""
    night = await make_night(uow, config, clock)
    await briefing_tick(night, BRIEF_AT)
    briefing = await briefing_of(night, TIA)
    claimed = await claim(uow, BRIEF_AT)
    assert briefing.id in claimed
    async with uow() as u:
        for row in claimed:
            await u.outbox.mark_sent(row, now=BRIEF_AT, message_id=60)
        await u.commit()
    later = BRIEF_AT + POLICY.message_bodies + SECOND
    assert (await run(uow, later)).outbox_bodies_wiped >= 1
    night.clock.set(later)

    tapped = await read(night, TIA, int(str(briefing.payload["briefing_id"])))

    assert tapped.changed
    assert tapped.briefing.read_at == later
    assert tapped.payload is None  # the handler then only takes the button away


async def test_rows_added_while_it_runs_do_not_keep_it_going(
    uow: Uow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy outbox (an alarm a moment) must not make the walk chase the newest row."""
    for n in range(3):
        await sent(uow, T0 - dtm.timedelta(days=40 + n), chat_id=7400 + n)
    window_end = SqlRetention.window_end
    added = 0

    async def an_alarm_each_time(self: SqlRetention, *args: Any, **kw: Any) -> Any:
        nonlocal added
        if args[0] == "outbox":
            added += 1
            await self._db.execute(
                insert(OutboxRow).values(
                    kind="alert", chat_id=1, payload="{}", state="pending", due_at=T0,
                    created_at=T0, attempts=0, priority=1,
                )
            )  # fmt: skip
        return await window_end(self, *args, **kw)

    monkeypatch.setattr(SqlRetention, "window_end", an_alarm_each_time)
    report = await asyncio.wait_for(run(uow, T0, batch=1), timeout=30)

    assert report.outbox_rows_deleted == 3
    assert added <= 5  # three windows, and the one that finds the end


async def test_a_location_is_kept_while_an_alert_about_the_persons_pair_is_open(
    uow: Uow, config: RotaConfig
) -> None:
    session, _, _ = await _walk_with_alarm(uow, config, resolved=True)
    (walker,) = [r.volunteer_id for r in await fetch(uow, select(LocationRow.volunteer_id))]
    (partner,) = await add_volunteers(uow, T0, 8500, 1, ["trained"])
    async with uow() as u:
        await u.safety.replace_pairs(session, [[walker, partner.id]], manual=False, now=T0)
        (pair,) = await u.safety.pairs(session)
        missed = await u.safety.open_escalation(
            session_id=session, kind=EscalationKind.MISSED_CHECKIN, now=T0, step=1, pair_id=pair.id
        )
        await u.commit()
    assert (await run(uow, T0 + dtm.timedelta(hours=1))).locations_deleted == 0

    async with uow() as u:
        assert await u.safety.resolve(missed.id, by=partner.id, at=T0 + dtm.timedelta(hours=2))
        await u.commit()
    assert (await run(uow, T0 + dtm.timedelta(hours=3))).locations_deleted == 1
