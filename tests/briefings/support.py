"""Driving the briefing clock on the standard night, and reading what it stored."""

from __future__ import annotations

import datetime as dtm
from typing import Any

from sqlalchemy import select

from rota.briefings import services as briefings
from rota.kernel.config import RotaConfig
from rota.storage.tables import BriefingRow, MilestoneRow, SafetyNoteRow
from tests.conftest import ADMIN_ID
from tests.safety.support import Night, Out, at, outbox_rows
from tests.services.helpers import Uow, fetch

BRIEF_AT = at(16)  # 19:00 minus the template's send_before (3h)
UNREAD_AT = at(18, 30)  # 19:00 minus unread_alert_before (30m)
DAY = "2026-12-02"


async def tick(night: Night, when: dtm.datetime, config: RotaConfig | None = None) -> int:
    """One pass of the briefing clock at `when`."""
    night.clock.set(when)
    return await briefings.run_due(night.uow, config=config or night.config, now=when)


async def briefing_rows(uow: Uow) -> list[Any]:
    return await fetch(uow, select(BriefingRow.__table__).order_by(BriefingRow.id))


async def note_rows(uow: Uow) -> list[Any]:
    return await fetch(uow, select(SafetyNoteRow.__table__).order_by(SafetyNoteRow.id))


async def milestones(uow: Uow, session_id: int) -> set[str]:
    rows = await fetch(
        uow, select(MilestoneRow.milestone).where(MilestoneRow.session_id == session_id)
    )
    return {r.milestone for r in rows}


async def sent(uow: Uow, kind: str) -> list[Out]:
    return await outbox_rows(uow, kind)


async def chats_of(uow: Uow, kind: str) -> list[int]:
    """Chat ids of the rows of one kind, sorted (a multiset: duplicates show)."""
    return sorted(r.chat_id for r in await outbox_rows(uow, kind))


async def add_note(
    night: Night, text: str, *, by: int = ADMIN_ID, day: str = DAY
) -> briefings.NoteAdded:
    return await briefings.add_note(
        night.uow(), telegram_id=by, day=day, text=text, config=night.config, now=night.clock.now()
    )


async def read(night: Night, telegram_id: int, briefing_id: int) -> briefings.GotIt:
    return await briefings.got_it(
        night.uow(),
        telegram_id=telegram_id,
        briefing_id=briefing_id,
        config=night.config,
        now=night.clock.now(),
    )


async def briefing_of(night: Night, telegram_id: int) -> Out:
    """The one briefing row sent to a person."""
    (row,) = [
        r for r in await outbox_rows(night.uow, briefings.BRIEFING) if r.chat_id == telegram_id
    ]
    return row
