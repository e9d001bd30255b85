"""Erasure in SQL: find the rows that may name one person, rewrite them, empty their row."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from rota.kernel.outbox import DeliveryState
from rota.people.model import Volunteer, VolunteerStatus
from rota.privacy.model import FreeText, StoredMessage, StoredText
from rota.safety.model import EscalationState
from rota.storage.repositories import _volunteer
from rota.storage.tables import (
    DebriefRow,
    EscalationRow,
    HomeSafeRow,
    LocationRow,
    OutboxRow,
    PairMemberRow,
    SafetyLogRow,
    SafetyNoteRow,
    SessionRow,
    VolunteerRow,
)

# Each free-text column with its table's primary key.
_FREE_TEXT: dict[FreeText, tuple[InstrumentedAttribute[int], InstrumentedAttribute[Any]]] = {
    FreeText.SAFETY_LOG: (SafetyLogRow.id, SafetyLogRow.detail),
    FreeText.SAFETY_NOTES: (SafetyNoteRow.id, SafetyNoteRow.text),
    FreeText.INCIDENTS: (DebriefRow.id, DebriefRow.incident),
    FreeText.SESSION_NOTES: (SessionRow.id, SessionRow.note),
}


def _contains_any(column: Any, needles: Sequence[str]) -> ColumnElement[bool]:
    """Whether the column holds any needle, in any letter case (a superset is fine)."""
    if not needles:
        return false()
    return or_(
        *(func.lower(column).contains(n.lower(), autoescape=True) for n in needles),
        *(column.contains(n, autoescape=True) for n in needles),
    )


class SqlErasure:
    """Erasure queries over one AsyncSession; the unit of work commits."""

    def __init__(self, db_session: AsyncSession) -> None:
        self._db = db_session

    def _about(self, volunteer_id: int) -> ColumnElement[bool]:
        """Escalations about this person: theirs, their pair's, their getting home."""
        pairs = select(PairMemberRow.pair_id).where(PairMemberRow.volunteer_id == volunteer_id)
        homes = select(HomeSafeRow.id).where(HomeSafeRow.volunteer_id == volunteer_id)
        return or_(
            EscalationRow.volunteer_id == volunteer_id,
            EscalationRow.pair_id.in_(pairs),
            EscalationRow.home_safe_id.in_(homes),
        )

    async def open_alerts_about(self, volunteer_id: int) -> list[int]:
        rows = await self._db.scalars(
            select(EscalationRow.id)
            .where(
                self._about(volunteer_id),
                EscalationRow.state != EscalationState.RESOLVED.value,
            )
            .order_by(EscalationRow.id)
        )
        return list(rows)

    async def alerts_about(self, volunteer_id: int) -> list[int]:
        rows = await self._db.scalars(
            select(EscalationRow.id).where(self._about(volunteer_id)).order_by(EscalationRow.id)
        )
        return list(rows)

    async def removed_volunteers(self) -> list[Volunteer]:
        # Not yet erased: an erased row has no Telegram id left.
        rows = await self._db.scalars(
            select(VolunteerRow)
            .where(
                VolunteerRow.status == VolunteerStatus.REMOVED.value,
                VolunteerRow.telegram_id.is_not(None),
            )
            .order_by(func.lower(VolunteerRow.display_name), VolunteerRow.id)
        )
        return [_volunteer(r) for r in rows]

    async def set_removed_at(self, volunteer_id: int, at: dtm.datetime | None) -> None:
        await self._db.execute(
            update(VolunteerRow).where(VolunteerRow.id == volunteer_id).values(removed_at=at)
        )

    async def delete_messages_to(self, chat_id: int) -> int:
        # Every message to them, whatever its state: it holds their chat id and what we said.
        result = await self._db.execute(delete(OutboxRow).where(OutboxRow.chat_id == chat_id))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def messages_matching(
        self, needles: Sequence[str], refs: Sequence[tuple[str, int]]
    ) -> list[StoredMessage]:
        wanted = or_(
            _contains_any(OutboxRow.payload, needles),
            _contains_any(OutboxRow.dedupe_key, needles),
            _contains_any(OutboxRow.last_error, needles),
        )
        if refs:
            wanted = or_(
                wanted,
                and_(  # a superset of the pairs asked for; the service picks exact ones
                    OutboxRow.ref_kind.in_(sorted({kind for kind, _ in refs})),
                    OutboxRow.ref_id.in_(sorted({ref for _, ref in refs})),
                ),
            )
        rows = await self._db.execute(
            select(
                OutboxRow.id,
                OutboxRow.kind,
                OutboxRow.chat_id,
                OutboxRow.state,
                OutboxRow.payload,
                OutboxRow.dedupe_key,
                OutboxRow.last_error,
                OutboxRow.ref_kind,
                OutboxRow.ref_id,
            )
            .where(wanted)
            .order_by(OutboxRow.id)
        )
        return [StoredMessage(*row) for row in rows]

    async def rewrite_message(
        self,
        outbox_id: int,
        *,
        payload: str,
        dedupe_key: str | None,
        last_error: str | None,
        cancel: bool,
    ) -> None:
        values: dict[str, object] = {
            "payload": payload,
            "dedupe_key": dedupe_key,
            "last_error": last_error,
        }
        where = [OutboxRow.id == outbox_id]
        if cancel:
            values["state"] = DeliveryState.CANCELLED.value
        await self._db.execute(update(OutboxRow).where(*where).values(**values))

    async def texts_matching(self, column: FreeText, needles: Sequence[str]) -> list[StoredText]:
        key, text = _FREE_TEXT[column]
        rows = await self._db.execute(
            select(key, text).where(text.is_not(None), _contains_any(text, needles)).order_by(key)
        )
        return [StoredText(row_id, value) for row_id, value in rows]

    async def rewrite_text(self, column: FreeText, row_id: int, text: str) -> None:
        key, target = _FREE_TEXT[column]
        table = key.class_
        await self._db.execute(update(table).where(key == row_id).values({target.key: text}))

    async def delete_locations(self, volunteer_id: int) -> int:
        result = await self._db.execute(
            delete(LocationRow).where(LocationRow.volunteer_id == volunteer_id)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def anonymise_volunteer(self, volunteer_id: int, *, name: str, now: dtm.datetime) -> int:
        result = await self._db.execute(
            update(VolunteerRow)
            .where(
                VolunteerRow.id == volunteer_id,
                or_(
                    VolunteerRow.telegram_id.is_not(None),
                    VolunteerRow.display_name != name,
                    VolunteerRow.username.is_not(None),
                    VolunteerRow.phone.is_not(None),
                    VolunteerRow.tags != "",
                    VolunteerRow.status != VolunteerStatus.REMOVED.value,
                    VolunteerRow.removed_at.is_(None),
                ),
            )
            .values(
                telegram_id=None,
                display_name=name,
                username=None,
                phone=None,
                tags="",
                status=VolunteerStatus.REMOVED.value,
                removed_at=func.coalesce(VolunteerRow.removed_at, now),
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
