"""The staffing feature's rows in SQL: reminders sent and answered, cover requests and offers.

Every "exactly once" here is the database's doing: a unique key with INSERT ... ON CONFLICT DO
NOTHING (one reminder per person per session, one open request per sign-up), or an UPDATE
guarded by the state it expects (the first acceptance of a cover request wins).
"""

from __future__ import annotations

import datetime as dtm
from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rota.roster.model import Session, SessionStatus, SignUpStatus
from rota.staffing.model import CoverRequest, CoverState, Reminder, ReminderAnswer
from rota.storage.repositories import _session
from rota.storage.tables import (
    CoverOfferRow,
    CoverRequestRow,
    MilestoneRow,
    ReminderAnswerRow,
    SessionRow,
    SignUpRow,
)

OPEN_ONLY = text("state = 'open'")  # the predicate of uq_cover_requests_open_signup


def _changed(result: object) -> bool:
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def _request(row: CoverRequestRow) -> CoverRequest:
    return CoverRequest(
        id=row.id,
        session_id=row.session_id,
        signup_id=row.signup_id,
        requester_id=row.requester_id,
        state=CoverState(row.state),
        created_at=row.created_at,
        taken_by=row.taken_by,
        taken_at=row.taken_at,
    )


class SqlStaffing:
    """Storage for the staffing feature."""

    def __init__(self, db_session: AsyncSession) -> None:
        self._db = db_session

    def _insert(self, table: Any) -> Any:
        dialect = self._db.get_bind().dialect.name
        return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)

    async def sessions_without(
        self, milestone: str, *, now: dtm.datetime, until: dtm.datetime
    ) -> list[Session]:
        done = exists().where(
            MilestoneRow.session_id == SessionRow.id, MilestoneRow.milestone == milestone
        )
        rows = await self._db.scalars(
            select(SessionRow)
            .where(
                SessionRow.status == SessionStatus.SCHEDULED.value,
                SessionRow.starts_at > now,
                SessionRow.starts_at <= until,
                ~done,
            )
            .order_by(SessionRow.starts_at, SessionRow.id)
        )
        return [_session(r) for r in rows]

    # --- reminders ----------------------------------------------------------------------

    async def add_reminder(self, session_id: int, volunteer_id: int, *, now: dtm.datetime) -> bool:
        result = await self._db.execute(
            self._insert(ReminderAnswerRow)
            .values(
                session_id=session_id,
                volunteer_id=volunteer_id,
                answer=ReminderAnswer.ASKED.value,
                asked_at=now,
                answered_at=None,
            )
            .on_conflict_do_nothing(index_elements=["session_id", "volunteer_id"])
        )
        return _changed(result)

    async def reminder(self, session_id: int, volunteer_id: int) -> Reminder | None:
        row = await self._db.scalar(
            select(ReminderAnswerRow)
            .where(
                ReminderAnswerRow.session_id == session_id,
                ReminderAnswerRow.volunteer_id == volunteer_id,
            )
            .execution_options(populate_existing=True)
        )
        if row is None:
            return None
        return Reminder(
            session_id=row.session_id,
            volunteer_id=row.volunteer_id,
            answer=ReminderAnswer(row.answer),
            asked_at=row.asked_at,
            answered_at=row.answered_at,
        )

    async def answer_reminder(
        self, session_id: int, volunteer_id: int, answer: ReminderAnswer, *, now: dtm.datetime
    ) -> bool:
        result = await self._db.execute(
            update(ReminderAnswerRow)
            .where(
                ReminderAnswerRow.session_id == session_id,
                ReminderAnswerRow.volunteer_id == volunteer_id,
            )
            .values(answer=answer.value, answered_at=now)
        )
        return _changed(result)

    # --- cover --------------------------------------------------------------------------

    async def add_cover_request(
        self, *, session_id: int, signup_id: int, requester_id: int, now: dtm.datetime
    ) -> CoverRequest | None:
        result = await self._db.execute(
            self._insert(CoverRequestRow)
            .values(
                session_id=session_id,
                signup_id=signup_id,
                requester_id=requester_id,
                state=CoverState.OPEN.value,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["signup_id"], index_where=OPEN_ONLY)
            .returning(CoverRequestRow.id)
        )
        new_id = result.scalar_one_or_none()
        if new_id is None:
            return None
        return CoverRequest(
            id=new_id,
            session_id=session_id,
            signup_id=signup_id,
            requester_id=requester_id,
            state=CoverState.OPEN,
            created_at=now,
        )

    async def cover_request(self, request_id: int) -> CoverRequest | None:
        row = await self._db.get(CoverRequestRow, request_id, populate_existing=True)
        return _request(row) if row else None

    async def open_cover_requests(self, signup_ids: Sequence[int]) -> list[CoverRequest]:
        if not signup_ids:
            return []
        rows = await self._db.scalars(
            select(CoverRequestRow)
            .where(
                CoverRequestRow.signup_id.in_(signup_ids),
                CoverRequestRow.state == CoverState.OPEN.value,
            )
            .order_by(CoverRequestRow.id)
            .execution_options(populate_existing=True)
        )
        return [_request(r) for r in rows]

    async def set_cover_state(
        self,
        request_id: int,
        *,
        new: CoverState,
        now: dtm.datetime,
        taken_by: int | None = None,
    ) -> bool:
        values: dict[str, object] = {"state": new.value}
        if new is CoverState.TAKEN:
            values |= {"taken_by": taken_by, "taken_at": now}
        result = await self._db.execute(
            update(CoverRequestRow)
            .where(
                CoverRequestRow.id == request_id,
                CoverRequestRow.state == CoverState.OPEN.value,
            )
            .values(**values)
        )
        return _changed(result)

    async def add_offers(self, request_id: int, volunteer_ids: Sequence[int]) -> None:
        if not volunteer_ids:
            return
        await self._db.execute(
            self._insert(CoverOfferRow)
            .values([{"request_id": request_id, "volunteer_id": v} for v in volunteer_ids])
            .on_conflict_do_nothing(index_elements=["request_id", "volunteer_id"])
        )

    async def was_offered(self, request_id: int, volunteer_id: int) -> bool:
        found = await self._db.scalar(
            select(CoverOfferRow.id).where(
                CoverOfferRow.request_id == request_id,
                CoverOfferRow.volunteer_id == volunteer_id,
            )
        )
        return found is not None

    async def lapsed_cover_requests(self, now: dtm.datetime) -> list[CoverRequest]:
        rows = await self._db.scalars(
            select(CoverRequestRow)
            .join(SessionRow, SessionRow.id == CoverRequestRow.session_id)
            .join(SignUpRow, SignUpRow.id == CoverRequestRow.signup_id)
            .where(
                CoverRequestRow.state == CoverState.OPEN.value,
                or_(
                    SessionRow.starts_at <= now,
                    SessionRow.status != SessionStatus.SCHEDULED.value,
                    SignUpRow.status != SignUpStatus.CONFIRMED.value,
                ),
            )
            .order_by(CoverRequestRow.id)
        )
        return [_request(r) for r in rows]
