"""The retention purge in SQL: each statement is bounded by an id window and guarded.

A window is found by primary key alone (the next N ids), so one transaction looks at N rows
at most however many match. Each UPDATE or DELETE repeats every condition in its own WHERE:
a row that changed since (a dispatcher claimed it) is skipped, not wiped.
"""

from __future__ import annotations

import datetime as dtm
from typing import Any

from sqlalchemy import and_, delete, exists, func, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from rota.kernel.outbox import DeliveryState
from rota.people.model import VolunteerStatus
from rota.privacy.model import IdWindow, OutboxPurged, OutboxRules, PurgedTable
from rota.roster.model import SessionStatus
from rota.safety.model import EscalationState, WalkState
from rota.storage.tables import (
    Base,
    DebriefRow,
    EscalationRow,
    InviteRow,
    LocationRow,
    OutboxRow,
    PairMemberRow,
    SafetyLogRow,
    SessionRow,
    VolunteerRow,
)

_TABLES: dict[str, type[Base]] = {
    "outbox": OutboxRow,
    "safety_log": SafetyLogRow,
    "locations": LocationRow,
    "debriefs": DebriefRow,
    "invites": InviteRow,
}
# Delivered, given up or cancelled: no dispatcher will read these rows again.
FINISHED = (
    DeliveryState.SENT.value,
    DeliveryState.FAILED.value,
    DeliveryState.UNREACHABLE.value,
    DeliveryState.CANCELLED.value,
)
EMPTY = "{}"
# The state as an expression no index can serve: the planners (SQLite's for certain) chose
# ix_outbox_state_due for "state IN (...)" and read every delivered row for each window of
# 500 ids (measured: 77 ms a window at 100,000 rows); the id range is the narrow path.
_STATE = OutboxRow.state + ""


def _in(window: IdWindow, column: Any) -> ColumnElement[bool]:
    return and_(column > window.after, column <= window.upto)


def _finished_before(cutoff: dtm.datetime) -> ColumnElement[bool]:
    """Finished (delivered, else last due) and created no later than `cutoff`."""
    return and_(
        _STATE.in_(FINISHED),
        OutboxRow.created_at <= cutoff,
        or_(
            OutboxRow.sent_at <= cutoff,
            and_(OutboxRow.sent_at.is_(None), OutboxRow.due_at <= cutoff),
        ),
    )


def _unresolved_about(volunteer: Any, session: Any) -> ColumnElement[bool]:
    """An alert of this session about this person (theirs, or their pair's) is still open."""
    own = exists().where(
        EscalationRow.session_id == session,
        EscalationRow.volunteer_id == volunteer,
        EscalationRow.state != EscalationState.RESOLVED.value,
    )
    pairs = exists().where(
        EscalationRow.session_id == session,
        EscalationRow.state != EscalationState.RESOLVED.value,
        EscalationRow.pair_id == PairMemberRow.pair_id,
        PairMemberRow.volunteer_id == volunteer,
    )
    return or_(own, pairs)


class SqlRetention:
    """Retention in SQL; the caller commits each window's transaction."""

    def __init__(self, db_session: AsyncSession) -> None:
        self._db = db_session

    async def _count_or_run(
        self, statement: Any, where: ColumnElement[bool], dry_run: bool
    ) -> int:
        if dry_run:
            return int(await self._db.scalar(select(func.count()).where(where)) or 0)
        result = await self._db.execute(statement.where(where))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def last_id(self, table: PurgedTable) -> int:
        return int(await self._db.scalar(select(func.max(_TABLES[table].__table__.c.id))) or 0)

    async def window_end(self, table: PurgedTable, *, after: int, size: int) -> int | None:
        key = _TABLES[table].__table__.c.id
        ids = select(key).where(key > after).order_by(key).limit(size).subquery()
        found = await self._db.scalar(select(func.max(ids.c.id)))
        return None if found is None else int(found)

    async def purge_outbox(
        self, window: IdWindow, rules: OutboxRules, *, dry_run: bool
    ) -> OutboxPurged:
        mine = _in(window, OutboxRow.id)
        gone = _finished_before(rules.rows_before)
        wordy = and_(
            _finished_before(rules.bodies_before),
            or_(OutboxRow.payload != EMPTY, OutboxRow.last_error.is_not(None)),
        )
        alarm_open = exists().where(
            EscalationRow.id == OutboxRow.ref_id,
            EscalationRow.state != EscalationState.RESOLVED.value,
        )
        place = and_(
            _STATE.in_(FINISHED),
            OutboxRow.kind.in_(rules.place_kinds),
            OutboxRow.ref_kind.in_(rules.place_refs),
            OutboxRow.payload != EMPTY,
            not_(alarm_open),  # resolved, or gone with its session
        )
        if dry_run:  # each row counted once, under what the real run would do to it first
            wordy = and_(wordy, not_(gone))
            place = and_(place, not_(gone), not_(wordy))
        deleted = await self._count_or_run(delete(OutboxRow), and_(mine, gone), dry_run)
        bodies = await self._count_or_run(
            update(OutboxRow).values(payload=EMPTY, last_error=None), and_(mine, wordy), dry_run
        )
        places = await self._count_or_run(
            update(OutboxRow).values(payload=EMPTY), and_(mine, place), dry_run
        )
        return OutboxPurged(deleted=deleted, bodies=bodies, places=places)

    async def purge_log(self, window: IdWindow, *, before: dtm.datetime, dry_run: bool) -> int:
        where = and_(
            _in(window, SafetyLogRow.id),
            SafetyLogRow.at <= before,
            or_(SafetyLogRow.detail != "", SafetyLogRow.volunteer_id.is_not(None)),
        )
        return await self._count_or_run(
            update(SafetyLogRow).values(detail="", volunteer_id=None), where, dry_run
        )

    async def purge_incidents(
        self, window: IdWindow, *, before: dtm.datetime, dry_run: bool
    ) -> int:
        where = and_(
            _in(window, DebriefRow.id),
            DebriefRow.incident.is_not(None),
            func.coalesce(DebriefRow.finished_at, DebriefRow.started_at) <= before,
        )
        return await self._count_or_run(update(DebriefRow).values(incident=None), where, dry_run)

    async def purge_locations(
        self, window: IdWindow, *, stale_before: dtm.datetime, dry_run: bool
    ) -> int:
        over = exists().where(
            SessionRow.id == LocationRow.session_id,
            or_(
                SessionRow.walk_state == WalkState.ENDED.value,
                SessionRow.status == SessionStatus.CANCELLED.value,
                SessionRow.ends_at <= stale_before,
            ),
        )
        where = and_(
            _in(window, LocationRow.id),
            over,
            not_(_unresolved_about(LocationRow.volunteer_id, LocationRow.session_id)),
        )
        return await self._count_or_run(delete(LocationRow), where, dry_run)

    async def purge_invites(self, window: IdWindow, *, before: dtm.datetime, dry_run: bool) -> int:
        where = and_(
            _in(window, InviteRow.id),
            or_(
                InviteRow.used_at <= before,
                and_(InviteRow.used_at.is_(None), InviteRow.expires_at <= before),
            ),
        )
        return await self._count_or_run(delete(InviteRow), where, dry_run)

    async def removed_before(self, before: dtm.datetime) -> list[int]:
        # Erasure empties telegram_id: a volunteer erased already is not picked again.
        rows = await self._db.scalars(
            select(VolunteerRow.id)
            .where(
                VolunteerRow.status == VolunteerStatus.REMOVED.value,
                VolunteerRow.removed_at <= before,
                VolunteerRow.telegram_id.is_not(None),
            )
            .order_by(VolunteerRow.id)
        )
        return list(rows)
