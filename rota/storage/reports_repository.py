"""Debriefs and the monthly report's queries in SQL.

A debrief advances by a guarded UPDATE on its step (compare-and-set), so a double send, two
workers or two coordinators answering at once can never record the same question twice.
"""

from __future__ import annotations

import datetime as dtm
import json
from collections.abc import Mapping, Sequence

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rota.reports.model import Debrief, DebriefState, StaffedRole
from rota.roster.model import Session, SessionStatus, SignUpStatus
from rota.safety.model import CheckIn, Escalation
from rota.storage.repositories import _session
from rota.storage.safety_repository import _checkin, _escalation
from rota.storage.tables import (
    CheckInRow,
    DebriefRow,
    EscalationRow,
    MilestoneRow,
    RoleRow,
    SafetyLogRow,
    SessionRow,
    SignUpRow,
)

DEBRIEF_MILESTONE = "debrief"


def _answers(text: str) -> dict[str, int]:
    try:
        raw = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(raw, dict):
        return {}
    return {str(k): int(v) for k, v in raw.items() if isinstance(v, int)}


def _debrief(row: DebriefRow) -> Debrief:
    return Debrief(
        id=row.id,
        session_id=row.session_id,
        lead_id=row.lead_id,
        step=row.step,
        state=DebriefState(row.state),
        started_at=row.started_at,
        finished_at=row.finished_at,
        answers=_answers(row.answers),
    )


class SqlReports:
    """Debrief rows, and read-only report queries over sessions, sign-ups and safety."""

    def __init__(self, db_session: AsyncSession) -> None:
        self._db = db_session

    # --- sessions ----------------------------------------------------------------------

    async def sessions_between(self, first: dtm.date, last: dtm.date) -> list[Session]:
        """Every session (cancelled ones too) whose local date is in [first, last]."""
        rows = await self._db.scalars(
            select(SessionRow)
            .where(SessionRow.local_date >= first, SessionRow.local_date <= last)
            .order_by(SessionRow.starts_at, SessionRow.id)
        )
        return [_session(r) for r in rows]

    async def sessions_to_debrief(
        self, *, now: dtm.datetime, since: dtm.datetime
    ) -> list[Session]:
        """Uncancelled sessions that ended in (since, now] and have had no debrief round."""
        claimed = exists().where(
            MilestoneRow.session_id == SessionRow.id,
            MilestoneRow.milestone == DEBRIEF_MILESTONE,
        )
        rows = await self._db.scalars(
            select(SessionRow)
            .where(
                SessionRow.status == SessionStatus.SCHEDULED.value,
                SessionRow.ends_at <= now,
                SessionRow.ends_at > since,
                ~claimed,
            )
            .order_by(SessionRow.ends_at, SessionRow.id)
        )
        return [_session(r) for r in rows]

    # --- debriefs ----------------------------------------------------------------------

    async def add_debrief(
        self, session_id: int, *, lead_id: int | None, now: dtm.datetime
    ) -> Debrief | None:
        """Start a session's debrief; None if it already has one (one per session, ever)."""
        bind = self._db.get_bind()
        insert_for = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
        result = await self._db.execute(
            insert_for(DebriefRow)
            .values(
                session_id=session_id,
                lead_id=lead_id,
                step=0,
                answers="{}",
                state=DebriefState.ASKING.value,
                started_at=now,
            )
            .on_conflict_do_nothing(index_elements=["session_id"])
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        row = await self._db.scalar(
            select(DebriefRow)
            .where(DebriefRow.session_id == session_id)
            .execution_options(populate_existing=True)
        )
        return _debrief(row) if row else None

    async def debrief(self, debrief_id: int) -> Debrief | None:
        row = await self._db.get(DebriefRow, debrief_id, populate_existing=True)
        return _debrief(row) if row else None

    async def open_debriefs(self, *, since: dtm.datetime) -> list[Debrief]:
        """Debriefs started after `since` and still asking, oldest session first."""
        rows = await self._db.scalars(
            select(DebriefRow)
            .join(SessionRow, SessionRow.id == DebriefRow.session_id)
            .where(DebriefRow.state == DebriefState.ASKING.value, DebriefRow.started_at > since)
            .order_by(SessionRow.starts_at, DebriefRow.id)
            .execution_options(populate_existing=True)
        )
        return [_debrief(r) for r in rows]

    async def record_answer(
        self,
        debrief_id: int,
        *,
        expected_step: int,
        by: int,
        answers: Mapping[str, int],
        new_step: int,
        finished_at: dtm.datetime | None = None,
        incident: str | None = None,
    ) -> bool:
        """Store one answer if the debrief is still at `expected_step` and `by` may answer.

        `by` becomes the debrief's answerer if it had none (a coordinator taking it).
        """
        values: dict[str, object] = {
            "step": new_step,
            "answers": json.dumps(dict(answers), sort_keys=True),
            "lead_id": by,
        }
        if finished_at is not None:
            values.update(state=DebriefState.DONE.value, finished_at=finished_at)
        if incident is not None:
            values["incident"] = incident
        result = await self._db.execute(
            update(DebriefRow)
            .where(
                DebriefRow.id == debrief_id,
                DebriefRow.state == DebriefState.ASKING.value,
                DebriefRow.step == expected_step,
                or_(DebriefRow.lead_id.is_(None), DebriefRow.lead_id == by),
            )
            .values(**values)
        )
        return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    async def debriefs(self, session_ids: Sequence[int]) -> list[Debrief]:
        if not session_ids:
            return []
        rows = await self._db.scalars(
            select(DebriefRow)
            .where(DebriefRow.session_id.in_(session_ids))
            .order_by(DebriefRow.session_id)
            .execution_options(populate_existing=True)
        )
        return [_debrief(r) for r in rows]

    # --- what the report counts --------------------------------------------------------

    async def staffed_roles(self, session_ids: Sequence[int]) -> list[StaffedRole]:
        """Every role of these sessions with its number of confirmed sign-ups (0 included)."""
        if not session_ids:
            return []
        confirmed = func.count(SignUpRow.id)
        rows = await self._db.execute(
            select(RoleRow.session_id, RoleRow.key, RoleRow.label, RoleRow.position, confirmed)
            .outerjoin(
                SignUpRow,
                and_(
                    SignUpRow.role_id == RoleRow.id,
                    SignUpRow.status == SignUpStatus.CONFIRMED.value,
                ),
            )
            .where(RoleRow.session_id.in_(session_ids))
            .group_by(RoleRow.session_id, RoleRow.key, RoleRow.label, RoleRow.position)
            .order_by(RoleRow.session_id, RoleRow.position)
        )
        return [StaffedRole(s, k, label, p, int(n)) for s, k, label, p, n in rows]

    async def checkins(self, session_ids: Sequence[int]) -> list[CheckIn]:
        if not session_ids:
            return []
        rows = await self._db.scalars(
            select(CheckInRow)
            .where(CheckInRow.session_id.in_(session_ids))
            .order_by(CheckInRow.session_id, CheckInRow.pair_id, CheckInRow.seq)
            .execution_options(populate_existing=True)
        )
        return [_checkin(r) for r in rows]

    async def escalations(self, session_ids: Sequence[int]) -> list[Escalation]:
        if not session_ids:
            return []
        rows = await self._db.scalars(
            select(EscalationRow)
            .where(EscalationRow.session_id.in_(session_ids))
            .order_by(EscalationRow.id)
            .execution_options(populate_existing=True)
        )
        return [_escalation(r) for r in rows]

    async def log_counts(
        self, session_ids: Sequence[int], events: Sequence[str]
    ) -> dict[str, int]:
        """How many safety-log lines of each of these events the sessions have (0 included)."""
        counts = dict.fromkeys(events, 0)
        if not session_ids or not events:
            return counts
        rows = await self._db.execute(
            select(SafetyLogRow.event, func.count(SafetyLogRow.id))
            .where(SafetyLogRow.session_id.in_(session_ids), SafetyLogRow.event.in_(events))
            .group_by(SafetyLogRow.event)
        )
        counts.update({event: int(n) for event, n in rows})
        return counts
