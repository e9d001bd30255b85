"""Payloads of the briefing feature: the briefing, its updates, and the coordinators' news."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rota.kernel.notices import FLAT, Payload, SessionTimes
from rota.kernel.outbox import Priority

# A person to contact: [name, Telegram id or None] (a tap-to-message link when there is an id).
Contact = tuple[str, int | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class BriefingMessage(Payload):
    """One volunteer's briefing: when, where, who, their pair, the plan, the kit, the notes."""

    KIND: ClassVar[str] = "briefing"
    PRIORITY: ClassVar[Priority] = Priority.BRIEFING
    session: SessionTimes = field(metadata=FLAT)
    briefing_id: int
    volunteer_id: int | None = None
    name: str = ""
    role: str = ""
    walker: bool = False
    pair: int | None = None
    partners: tuple[str, ...] = ()
    meeting_point: str = ""
    session_note: str = ""
    team: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (role label, names) per role
    pairs: tuple[tuple[str, ...], ...] = ()
    lead: tuple[Contact, ...] = ()
    oncall: tuple[Contact, ...] = ()
    plan: str = ""
    checklist: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteUpdate(Payload):
    """A safety note added after the person's briefing went out."""

    KIND: ClassVar[str] = "briefing_update"
    PRIORITY: ClassVar[Priority] = Priority.BRIEFING
    session: SessionTimes = field(metadata=FLAT)
    briefing_id: int | None = None
    volunteer_id: int | None = None
    name: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PairsChanged(Payload):
    """The pairs changed after the person's briefing went out."""

    KIND: ClassVar[str] = "briefing_pairs"
    PRIORITY: ClassVar[Priority] = Priority.BRIEFING
    session: SessionTimes = field(metadata=FLAT)
    volunteer_id: int | None = None
    name: str = ""
    pair: int | None = None
    partners: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class UnreadAlert(Payload):
    """To the lead and on-call: who hasn't tapped Got it yet."""

    KIND: ClassVar[str] = "briefing_unread"
    PRIORITY: ClassVar[Priority] = Priority.BRIEFING
    session: SessionTimes = field(metadata=FLAT)
    names: tuple[str, ...] = ()
    total: int | None = None  # everyone briefed (None in a row that did not say)


@dataclass(frozen=True, slots=True, kw_only=True)
class BriefingUnreachable(Payload):
    """To coordinators: a briefing could not be delivered to someone."""

    KIND: ClassVar[str] = "briefing_unreachable"
    PRIORITY: ClassVar[Priority] = Priority.BRIEFING
    session: SessionTimes = field(metadata=FLAT)
    name: str = "a volunteer"
