"""What the staffing use cases need from storage."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Sequence
from typing import Protocol

from rota.roster.model import Session
from rota.staffing.model import CoverRequest, CoverState, Reminder, ReminderAnswer


class StaffingRepository(Protocol):
    """Storage for reminders and cover requests (milestones live with the safety state)."""

    async def sessions_without(
        self, milestone: str, *, now: dtm.datetime, until: dtm.datetime
    ) -> list[Session]:
        """Scheduled sessions starting in (now, until] that have not had this milestone."""
        ...

    async def add_reminder(self, session_id: int, volunteer_id: int, *, now: dtm.datetime) -> bool:
        """Record that a reminder goes to this person; False if one already did (ever)."""
        ...

    async def reminder(self, session_id: int, volunteer_id: int) -> Reminder | None: ...
    async def answer_reminder(
        self, session_id: int, volunteer_id: int, answer: ReminderAnswer, *, now: dtm.datetime
    ) -> bool: ...

    async def add_cover_request(
        self, *, session_id: int, signup_id: int, requester_id: int, now: dtm.datetime
    ) -> CoverRequest | None:
        """A new open request; None if this sign-up already has an open one (race-free)."""
        ...

    async def cover_request(self, request_id: int) -> CoverRequest | None: ...
    async def open_cover_requests(self, signup_ids: Sequence[int]) -> list[CoverRequest]: ...
    async def set_cover_state(
        self,
        request_id: int,
        *,
        new: CoverState,
        now: dtm.datetime,
        taken_by: int | None = None,
    ) -> bool:
        """Guarded: moves an OPEN request only; False if it was no longer open."""
        ...

    async def add_offers(self, request_id: int, volunteer_ids: Sequence[int]) -> None: ...
    async def was_offered(self, request_id: int, volunteer_id: int) -> bool: ...
    async def lapsed_cover_requests(self, now: dtm.datetime) -> list[CoverRequest]:
        """Open requests whose session started or was cancelled, or whose sign-up is gone."""
        ...
