"""The records privacy needs: erasure traces, a person's data, purge windows."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal


class FreeText(StrEnum):
    """The columns of free text people type, which may name anyone (table.column)."""

    SAFETY_LOG = "safety_log.detail"
    SAFETY_NOTES = "safety_notes.text"
    INCIDENTS = "debriefs.incident"
    SESSION_NOTES = "sessions.note"


@dataclass(frozen=True, slots=True)
class StoredText:
    """One stored free text that may name the person."""

    id: int
    text: str


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One outbox row that may name the person, with every column that can hold text."""

    id: int
    kind: str
    chat_id: int
    state: str
    payload: str
    dedupe_key: str | None
    last_error: str | None
    ref_kind: str | None
    ref_id: int | None


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


PurgedTable = Literal["outbox", "safety_log", "locations", "debriefs", "invites"]


@dataclass(frozen=True, slots=True)
class IdWindow:
    """The rows with after < id <= upto, in one short transaction."""

    after: int
    upto: int


@dataclass(frozen=True, slots=True)
class OutboxRules:
    """When a finished outbox row (sent, given up or cancelled) loses its text, then itself.

    A row counts as finished at its delivery (sent_at), else at its last due time: rows
    still pending or being sent are never touched, whatever their age.
    """

    rows_before: dtm.datetime  # finished before this: the row is deleted
    bodies_before: dtm.datetime  # finished before this: payload -> "{}", last_error -> NULL
    place_kinds: tuple[str, ...]  # rows that carry an alarm's location...
    place_refs: tuple[str, ...]  # ...whose ref_id is the escalation: wiped once it is resolved


@dataclass(frozen=True, slots=True)
class OutboxPurged:
    """What one window of the outbox lost (or would lose, on a dry run)."""

    deleted: int = 0
    bodies: int = 0
    places: int = 0
