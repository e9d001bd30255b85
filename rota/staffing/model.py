"""Reminders before the shift and requests for cover."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass
from enum import StrEnum


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
