"""What the staffing use cases (reminders, staffing alerts, cover) need from storage."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from rota.model import Session


class ReminderAnswer(StrEnum):
    """Where a volunteer stands with the day-before reminder."""

    ASKED = "asked"  # the reminder went out; no answer yet
    COMING = "coming"
    WITHDRAWN = "withdrawn"
    COVER = "cover"  # asked for cover instead of withdrawing


@dataclass(frozen=True, slots=True)
class Reminder:
    """One person's day-before reminder for one session, and their answer."""

    session_id: int
    volunteer_id: int
    answer: ReminderAnswer
    asked_at: dtm.datetime
    answered_at: dtm.datetime | None


class CoverState(StrEnum):
    """A cover request: open until someone takes it, the requester cancels, or it lapses."""

    OPEN = "open"
    TAKEN = "taken"
    CANCELLED = "cancelled"  # the requester no longer needs it
    CLOSED = "closed"  # lapsed: the session started, or the requester left the shift


@dataclass(frozen=True, slots=True)
class CoverRequest:
    """Someone asking for cover; the first eligible volunteer to accept takes the place."""

    id: int
    session_id: int
    signup_id: int
    requester_id: int
    state: CoverState
    created_at: dtm.datetime
    taken_by: int | None = None
    taken_at: dtm.datetime | None = None


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
