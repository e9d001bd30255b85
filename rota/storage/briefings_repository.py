"""The briefings feature's rows in SQL: briefings, safety notes, and the notes' clean-up."""

from __future__ import annotations

import datetime as dtm
import json
from collections.abc import Sequence

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rota.briefings.model import BRIEFING_REF, NOTE_KEYS, Briefing, SafetyNote, SentBriefing
from rota.kernel.outbox import DeliveryState
from rota.roster.model import Session, SessionStatus, SignUpStatus
from rota.storage.repositories import _session
from rota.storage.tables import (
    BriefingRow,
    OutboxRow,
    SafetyNoteRow,
    SessionRow,
    SignUpRow,
    VolunteerRow,
)


def _briefing(row: BriefingRow) -> Briefing:
    return Briefing(
        id=row.id,
        session_id=row.session_id,
        volunteer_id=row.volunteer_id,
        sent_at=row.sent_at,
        read_at=row.read_at,
        notes_version=row.notes_version,
    )


def _note(row: SafetyNoteRow) -> SafetyNote:
    return SafetyNote(
        id=row.id,
        session_id=row.session_id,
        text=row.text,
        author_id=row.author_id,
        created_at=row.created_at,
    )


def _done(result: object) -> bool:
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


class SqlBriefings:
    """Storage for the briefings feature; every change is a guarded write."""

    def __init__(self, db_session: AsyncSession) -> None:
        self._db = db_session

    async def sessions_to_brief(
        self, now: dtm.datetime, *, send_before: dtm.timedelta
    ) -> list[Session]:
        rows = await self._db.scalars(
            select(SessionRow)
            .where(
                SessionRow.status == SessionStatus.SCHEDULED.value,
                SessionRow.starts_at <= now + send_before,
                SessionRow.ends_at > now,
            )
            .order_by(SessionRow.starts_at, SessionRow.id)
        )
        return [_session(r) for r in rows]

    async def lock_session(self, session_id: int) -> None:
        # FOR UPDATE on PostgreSQL; SQLite needs nothing (every transaction is BEGIN IMMEDIATE).
        await self._db.execute(
            select(SessionRow.id).where(SessionRow.id == session_id).with_for_update()
        )

    async def anything_new(self, session_id: int) -> bool:
        # The same tests as _send_briefings and _note_updates make on the loaded roster.
        on_rota = and_(
            SignUpRow.session_id == session_id,
            SignUpRow.status == SignUpStatus.CONFIRMED.value,
            VolunteerRow.id == SignUpRow.volunteer_id,
            VolunteerRow.telegram_id.is_not(None),
        )
        briefed = and_(
            BriefingRow.session_id == session_id,
            BriefingRow.volunteer_id == SignUpRow.volunteer_id,
        )
        newest_note = (
            select(func.coalesce(func.max(SafetyNoteRow.id), 0))
            .where(SafetyNoteRow.session_id == session_id)
            .scalar_subquery()
        )
        unbriefed = exists().where(on_rota, ~exists().where(briefed))
        behind = exists().where(on_rota, briefed, BriefingRow.notes_version < newest_note)
        return bool(await self._db.scalar(select(or_(unbriefed, behind))))

    async def briefings(self, session_id: int) -> list[Briefing]:
        rows = await self._db.scalars(
            select(BriefingRow)
            .where(BriefingRow.session_id == session_id)
            .order_by(BriefingRow.id)
        )
        return [_briefing(r) for r in rows]

    async def get(self, briefing_id: int) -> Briefing | None:
        row = await self._db.get(BriefingRow, briefing_id)
        return _briefing(row) if row is not None else None

    async def add(
        self, session_id: int, volunteer_id: int, *, now: dtm.datetime, notes_version: int
    ) -> Briefing | None:
        bind = self._db.get_bind()
        insert_for = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
        result = await self._db.execute(
            insert_for(BriefingRow)
            .values(
                session_id=session_id,
                volunteer_id=volunteer_id,
                sent_at=now,
                read_at=None,
                notes_version=notes_version,
            )
            .on_conflict_do_nothing(index_elements=["session_id", "volunteer_id"])
            .returning(BriefingRow.id)
        )
        new_id = result.scalar_one_or_none()
        if new_id is None:
            return None
        return Briefing(
            id=new_id,
            session_id=session_id,
            volunteer_id=volunteer_id,
            sent_at=now,
            read_at=None,
            notes_version=notes_version,
        )

    async def add_many(
        self,
        session_id: int,
        volunteer_ids: Sequence[int],
        *,
        now: dtm.datetime,
        notes_version: int,
    ) -> dict[int, Briefing]:
        if not volunteer_ids:
            return {}
        bind = self._db.get_bind()
        insert_for = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
        result = await self._db.execute(
            insert_for(BriefingRow)
            .on_conflict_do_nothing(index_elements=["session_id", "volunteer_id"])
            .returning(BriefingRow.id, BriefingRow.volunteer_id),
            [
                {
                    "session_id": session_id,
                    "volunteer_id": v,
                    "sent_at": now,
                    "read_at": None,
                    "notes_version": notes_version,
                }
                for v in volunteer_ids
            ],
        )
        return {
            volunteer_id: Briefing(
                id=new_id,
                session_id=session_id,
                volunteer_id=volunteer_id,
                sent_at=now,
                read_at=None,
                notes_version=notes_version,
            )
            for new_id, volunteer_id in result
        }

    async def mark_read(self, briefing_id: int, *, at: dtm.datetime) -> bool:
        result = await self._db.execute(
            update(BriefingRow)
            .where(BriefingRow.id == briefing_id, BriefingRow.read_at.is_(None))
            .values(read_at=at)
        )
        return _done(result)

    async def advance_notes(self, briefing_id: int, *, expected: int, new: int) -> bool:
        result = await self._db.execute(
            update(BriefingRow)
            .where(BriefingRow.id == briefing_id, BriefingRow.notes_version == expected)
            .values(notes_version=new)
        )
        return _done(result)

    async def notes(self, session_id: int) -> list[SafetyNote]:
        rows = await self._db.scalars(
            select(SafetyNoteRow)
            .where(SafetyNoteRow.session_id == session_id)
            .order_by(SafetyNoteRow.id)
        )
        return [_note(r) for r in rows]

    async def add_note(
        self, session_id: int, text: str, *, author_id: int | None, now: dtm.datetime
    ) -> SafetyNote:
        row = SafetyNoteRow(session_id=session_id, text=text, author_id=author_id, created_at=now)
        self._db.add(row)
        await self._db.flush()
        return _note(row)

    async def purge_notes(self, cutoff: dtm.datetime) -> int:
        expired = list(
            await self._db.scalars(
                select(SafetyNoteRow.session_id)
                .join(SessionRow, SessionRow.id == SafetyNoteRow.session_id)
                .where(SessionRow.ends_at <= cutoff)
                .distinct()
            )
        )
        if not expired:
            return 0
        briefing_ids = select(BriefingRow.id).where(BriefingRow.session_id.in_(expired))
        quoted = await self._db.execute(
            select(OutboxRow.id, OutboxRow.payload, OutboxRow.state).where(
                OutboxRow.ref_kind == BRIEFING_REF, OutboxRow.ref_id.in_(briefing_ids)
            )
        )
        for outbox_id, raw, state in quoted.all():
            payload = json.loads(raw)
            for key in NOTE_KEYS:
                if key in payload:
                    payload[key] = [] if isinstance(payload[key], list) else ""
            values: dict[str, object] = {"payload": json.dumps(payload, sort_keys=True)}
            if state == DeliveryState.PENDING.value:  # too late to be of use to anyone
                values["state"] = DeliveryState.CANCELLED.value
            await self._db.execute(
                update(OutboxRow).where(OutboxRow.id == outbox_id).values(**values)
            )
        result = await self._db.execute(
            delete(SafetyNoteRow).where(SafetyNoteRow.session_id.in_(expired))
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def sent(self, briefing_ids: Sequence[int]) -> dict[int, SentBriefing]:
        if not briefing_ids:
            return {}
        rows = await self._db.execute(
            select(OutboxRow.id, OutboxRow.ref_id, OutboxRow.payload, OutboxRow.state).where(
                OutboxRow.ref_kind == BRIEFING_REF,
                OutboxRow.kind == "briefing",
                OutboxRow.ref_id.in_(list(briefing_ids)),
            )
        )
        return {
            ref_id: SentBriefing(outbox_id=outbox_id, payload=json.loads(raw), state=state)
            for outbox_id, ref_id, raw, state in rows.all()
            if ref_id is not None
        }
