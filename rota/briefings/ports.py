"""What the briefing use cases need from storage."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Sequence
from typing import Protocol

from rota.briefings.model import Briefing, SafetyNote, SentBriefing
from rota.roster.model import Session


class BriefingRepository(Protocol):
    """Storage for the briefings feature: briefings, safety notes, and their clean-up."""

    async def sessions_to_brief(
        self, now: dtm.datetime, *, send_before: dtm.timedelta
    ) -> list[Session]:
        """Scheduled sessions whose briefing time has come and that have not ended."""
        ...

    async def lock_session(self, session_id: int) -> None:
        """Serialise briefing work and new notes on one session until the commit."""
        ...

    async def anything_new(self, session_id: int) -> bool:
        """Someone confirmed who has no briefing yet, or a note newer than someone's briefing:
        a check in SQL, so a tick over a big roster with nothing new loads none of it."""
        ...

    async def briefings(self, session_id: int) -> list[Briefing]: ...
    async def get(self, briefing_id: int) -> Briefing | None: ...
    async def add(
        self, session_id: int, volunteer_id: int, *, now: dtm.datetime, notes_version: int
    ) -> Briefing | None:
        """A new briefing row; None if this person already has one for the session."""
        ...

    async def mark_read(self, briefing_id: int, *, at: dtm.datetime) -> bool:
        """Record Got it; False if it was already read (the first tap wins)."""
        ...

    async def advance_notes(self, briefing_id: int, *, expected: int, new: int) -> bool:
        """Compare-and-set the newest note sent; False if another worker moved it first."""
        ...

    async def notes(self, session_id: int) -> list[SafetyNote]: ...
    async def add_many(
        self,
        session_id: int,
        volunteer_ids: Sequence[int],
        *,
        now: dtm.datetime,
        notes_version: int,
    ) -> dict[int, Briefing]:
        """New briefing rows by volunteer, in one statement; those who had one are left out."""
        ...

    async def add_note(
        self, session_id: int, text: str, *, author_id: int | None, now: dtm.datetime
    ) -> SafetyNote: ...
    async def purge_notes(self, cutoff: dtm.datetime) -> int:
        """Delete the notes of sessions that ended at or before `cutoff`, and blank them out
        of the briefing messages still stored in the outbox; returns how many were deleted."""
        ...

    async def sent(self, briefing_ids: Sequence[int]) -> dict[int, SentBriefing]:
        """The outbox rows that carried these briefings, by briefing id."""
        ...
