"""Payloads of the staffing feature: reminders, short-staffed nights and cover requests."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass, field
from typing import ClassVar

from rota.kernel.notices import FLAT, Payload, SessionFacts


@dataclass(frozen=True, slots=True, kw_only=True)
class Reminder(Payload):
    """'See you tomorrow?' to each confirmed volunteer, with Still coming / Can't buttons."""

    KIND: ClassVar[str] = "reminder"
    session: SessionFacts = field(metadata=FLAT)
    days: int = 1  # local days until the session
    role: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Understaffed(Payload):
    """To coordinators: what a session is missing."""

    KIND: ClassVar[str] = "understaffed"
    session: SessionFacts = field(metadata=FLAT)
    local_date: dtm.date
    again: bool = False
    missing: tuple[str, ...] = ()
    callout: bool = False  # the team chat was asked too


@dataclass(frozen=True, slots=True, kw_only=True)
class Need:
    """One role a call-out asks for: enough of the role to draw its join button."""

    role_id: int
    key: str
    label: str
    capacity: int
    filled: int
    minimum: int
    position: int = 0
    more: int = 0
    trained: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffingCallout(Payload):
    """To the team chat: which roles need people, with the rota's join buttons."""

    KIND: ClassVar[str] = "staffing_callout"
    session: SessionFacts = field(metadata=FLAT)
    local_date: dtm.date
    again: bool = False
    needs: tuple[Need, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverOffer(Payload):
    """To each eligible volunteer: can you cover this place?"""

    KIND: ClassVar[str] = "cover_offer"
    session: SessionFacts = field(metadata=FLAT)
    request_id: int
    role: str
    requester: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverTaken(Payload):
    """Everyone else's offer, rewritten once someone took the place."""

    KIND: ClassVar[str] = "cover_taken"
    session: SessionFacts = field(metadata=FLAT)
    role: str
    requester: str = ""
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverClosed(Payload):
    """An offer rewritten once its request was cancelled or lapsed."""

    KIND: ClassVar[str] = "cover_closed"
    session: SessionFacts = field(metadata=FLAT)
    role: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverFound(Payload):
    """To the requester: someone covers their place."""

    KIND: ClassVar[str] = "cover_found"
    session: SessionFacts = field(metadata=FLAT)
    role: str
    requester: str = ""
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverSwap(Payload):
    """To coordinators: a place changed hands close to the start."""

    KIND: ClassVar[str] = "cover_swap"
    session: SessionFacts = field(metadata=FLAT)
    role: str
    requester: str
    by: str
