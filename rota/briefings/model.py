"""What a briefing contains, and the safety notes it carries."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass

BRIEFING_REF = "briefing"  # ref_kind of every outbox row that quotes a briefing (ref_id: its id)
NOTE_KEYS = ("notes", "note")  # the payload keys where those rows carry safety notes' text


@dataclass(frozen=True, slots=True)
class Briefing:
    """One person's briefing for one session: queued once, read when they tap Got it.

    `notes_version` is the id of the newest safety note this person has been sent (in the
    briefing itself or in an update), so a note added later reaches them exactly once.
    """

    id: int
    session_id: int
    volunteer_id: int
    sent_at: dtm.datetime
    read_at: dtm.datetime | None
    notes_version: int


@dataclass(frozen=True, slots=True)
class SafetyNote:
    """A coordinator's note for one session (deleted a while after the session ends)."""

    id: int
    session_id: int
    text: str
    author_id: int | None
    created_at: dtm.datetime


@dataclass(frozen=True, slots=True)
class SentBriefing:
    """The outbox row that carried a briefing: what it said, and whether it got through."""

    outbox_id: int
    payload: dict[str, object]
    state: str
