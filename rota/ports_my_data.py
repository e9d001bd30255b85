"""What /me and /me export need from storage: read-only queries about one volunteer.

Every row type here holds the person's own facts only. Where a row links to somebody else (a
partner in a pair, the coordinator who took an alert, whoever covered a shift) it says that
someone did, never who: a subject access request must not hand over other people's data.
"""

from __future__ import annotations

import datetime as dtm
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class MySignUp:
    """One sign-up of theirs, with its session's date and times (withdrawn ones too)."""

    session_date: dtm.date
    starts_at: dtm.datetime
    ends_at: dtm.datetime
    session_cancelled: bool
    role: str
    status: str
    signed_up_at: dtm.datetime
    changed_at: dtm.datetime


@dataclass(frozen=True, slots=True)
class MyPair:
    """A walking pair they were in; the others are counted, not named."""

    session_date: dtm.date
    pair_number: int
    others_in_pair: int
    made_by_hand: bool


@dataclass(frozen=True, slots=True)
class MyCheckIn:
    """A check-in they closed (for their whole pair)."""

    session_date: dtm.date
    seq: int
    total: int
    due_at: dtm.datetime
    checked_at: dtm.datetime | None


@dataclass(frozen=True, slots=True)
class MyHomeSafe:
    """The home-safe question after a session, and when they answered it."""

    session_date: dtm.date
    due_at: dtm.datetime
    safe_at: dtm.datetime | None


@dataclass(frozen=True, slots=True)
class MyBriefing:
    """A briefing sent to them, and when they tapped Got it."""

    session_date: dtm.date
    sent_at: dtm.datetime
    read_at: dtm.datetime | None


@dataclass(frozen=True, slots=True)
class MyReminderAnswer:
    """A day-before reminder and their answer (asked, coming, withdrawn, cover)."""

    session_date: dtm.date
    answer: str
    asked_at: dtm.datetime
    answered_at: dtm.datetime | None


@dataclass(frozen=True, slots=True)
class MyCoverRequest:
    """Cover they asked for; whether someone took it (not who)."""

    session_date: dtm.date
    state: str
    asked_at: dtm.datetime
    taken_at: dtm.datetime | None


@dataclass(frozen=True, slots=True)
class MyCoverOffer:
    """A request for cover they were asked to take; whether they took it (not whose it was)."""

    session_date: dtm.date
    state: str
    you_took_it: bool
    taken_at: dtm.datetime | None


@dataclass(frozen=True, slots=True)
class MyEscalation:
    """An alarm about them (SOS, home-safe) or about their pair (a missed check-in)."""

    id: int
    session_date: dtm.date
    kind: str
    about: str  # "you" or "your pair"
    opened_at: dtm.datetime
    step: int
    state: str
    acknowledged_at: dtm.datetime | None
    resolved_at: dtm.datetime | None


@dataclass(frozen=True, slots=True)
class MyHandledAlert:
    """An alarm they acknowledged or resolved as a coordinator (about whom is left out)."""

    session_date: dtm.date
    kind: str
    acknowledged_at: dtm.datetime | None
    resolved_at: dtm.datetime | None


@dataclass(frozen=True, slots=True)
class MyLogEntry:
    """A safety-log line linked to them: what happened and when, and how it concerns them.

    The line's free text is not carried: it names the other people of the night (the pair,
    the coordinator who took an alert), and a name changed since cannot be reliably redacted.
    """

    session_date: dtm.date
    at: dtm.datetime
    event: str
    relation: str  # "by or about you", "about your pair", "names you"
    escalation_id: int | None


@dataclass(frozen=True, slots=True)
class MyLocation:
    """A place they shared, kept for one walk (and an open alert about them)."""

    session_date: dtm.date
    latitude: float
    longitude: float
    at: dtm.datetime


@dataclass(frozen=True, slots=True)
class MyMessage:
    """A message the bot still owes their chat (no other chat is ever listed)."""

    kind: str
    state: str
    due_at: dtm.datetime
    created_at: dtm.datetime


@dataclass(frozen=True, slots=True)
class MyInvite:
    """An invite link: the one they joined with, or one they made as a coordinator."""

    tags: tuple[str, ...]
    created_at: dtm.datetime
    expires_at: dtm.datetime
    used_at: dtm.datetime | None


@dataclass(frozen=True, slots=True)
class MyDebrief:
    """A debrief they answered as team lead: the anonymous counts, and if an incident text
    was written (the text itself is about other people and is not exported)."""

    session_date: dtm.date
    state: str
    started_at: dtm.datetime
    finished_at: dtm.datetime | None
    incident_text_kept: bool
    answers: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MyAuthored:
    """Something they did on a session that is stored with their id: a safety note written,
    a walk ended early."""

    session_date: dtm.date
    at: dtm.datetime | None


@dataclass(frozen=True, slots=True)
class MyRecords:
    """Every row that is linked to one volunteer, beyond their profile."""

    sign_ups: list[MySignUp]
    pairs: list[MyPair]
    checkins_closed: list[MyCheckIn]
    home_safe: list[MyHomeSafe]
    briefings: list[MyBriefing]
    reminder_answers: list[MyReminderAnswer]
    cover_requests: list[MyCoverRequest]
    cover_offers: list[MyCoverOffer]
    escalations: list[MyEscalation]
    alerts_handled: list[MyHandledAlert]
    safety_log: list[MyLogEntry]
    locations: list[MyLocation]
    messages_pending: list[MyMessage]
    invite_used: list[MyInvite]
    invites_made: list[MyInvite]
    debriefs: list[MyDebrief]
    safety_notes_written: list[MyAuthored]
    walks_ended: list[MyAuthored]


class MyDataRepository(Protocol):
    """Read-only: everything stored with one volunteer's id or Telegram chat."""

    async def records(self, volunteer_id: int, *, chat_id: int | None, name: str) -> MyRecords: ...
