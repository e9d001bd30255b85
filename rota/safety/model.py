"""The safety side of the night as plain values: pairs, check-ins, escalations, home-safe."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass
from enum import StrEnum

ONCALL_ROLE = "oncall"  # template role key whose holders get the first alert
LEAD_ROLE = "lead"  # template role key of the team lead (second step, may end the walk)


class WalkState(StrEnum):
    """A session's safety life: planned -> walking -> walk_over (optional) -> ended."""

    PLANNED = "planned"
    WALKING = "walking"
    WALK_OVER = "walk_over"
    ENDED = "ended"


class CheckInState(StrEnum):
    """A pair's check-in: open until someone in the pair taps OK (or the walk ends first)."""

    OPEN = "open"
    OK = "ok"
    CANCELLED = "cancelled"


class EscalationKind(StrEnum):
    """Why coordinators are being alerted."""

    MISSED_CHECKIN = "missed_checkin"
    SOS = "sos"
    DURESS = "duress"
    HOME_SAFE = "home_safe"


class EscalationState(StrEnum):
    """Open until a coordinator acknowledges; acknowledged until someone resolves it."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Audience(StrEnum):
    """Who reads one copy of an alarm: phone numbers and places only reach those who act on it.

    The volunteers are told their number is seen by the coordinators and the night's team
    lead; a group (the team chat) hears who and what happened, and that they have the details.
    """

    RESPONDERS = "responders"  # on-call, team lead, coordinators, each in a private chat
    TEAM = "team"  # the team group: never a phone number or a place


class TimerKind(StrEnum):
    """Scheduled safety actions; each is a row with a due time, fired exactly once."""

    PROMPT = "prompt"
    REMIND = "remind"
    ESCALATE = "escalate"
    REESCALATE = "reescalate"
    HOME_REMIND = "home_remind"
    HOME_ESCALATE = "home_escalate"


@dataclass(frozen=True, slots=True)
class PairMember:
    """Someone in a walking pair, with what an alert must say about them."""

    volunteer_id: int
    name: str
    telegram_id: int | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class Pair:
    """Two (or three) walkers who check in as one."""

    id: int
    session_id: int
    number: int
    members: tuple[PairMember, ...]
    manual: bool

    @property
    def names(self) -> str:
        """'Ana and Ben' / 'Ana, Ben and Cat'."""
        names = [m.name for m in self.members]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    def has(self, volunteer_id: int) -> bool:
        return any(m.volunteer_id == volunteer_id for m in self.members)


@dataclass(frozen=True, slots=True)
class CheckIn:
    """One due check-in of one pair."""

    id: int
    session_id: int
    pair_id: int
    seq: int
    total: int
    due_at: dtm.datetime
    state: CheckInState
    checked_at: dtm.datetime | None
    checked_by: int | None
    escalation_id: int | None


@dataclass(frozen=True, slots=True)
class Escalation:
    """An alarm about a pair or a person, climbing the chain until acknowledged."""

    id: int
    session_id: int
    kind: EscalationKind
    pair_id: int | None
    volunteer_id: int | None
    checkin_id: int | None
    home_safe_id: int | None
    step: int
    state: EscalationState
    opened_at: dtm.datetime
    acknowledged_by: int | None
    acknowledged_at: dtm.datetime | None
    resolved_by: int | None
    resolved_at: dtm.datetime | None


@dataclass(frozen=True, slots=True)
class HomeSafe:
    """One person's 'I'm home safe' after the session."""

    id: int
    session_id: int
    volunteer_id: int
    due_at: dtm.datetime
    safe_at: dtm.datetime | None
    escalation_id: int | None


@dataclass(frozen=True, slots=True)
class Timer:
    """A claimed scheduled action."""

    id: int
    kind: TimerKind
    ref_id: int
    step: int
    due_at: dtm.datetime


@dataclass(frozen=True, slots=True)
class Location:
    """The last position someone shared during the walk (discarded after the session)."""

    volunteer_id: int
    latitude: float
    longitude: float
    at: dtm.datetime


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of the append-only safety log."""

    id: int
    session_id: int
    at: dtm.datetime
    event: str
    detail: str
    pair_id: int | None = None
    volunteer_id: int | None = None
    escalation_id: int | None = None


@dataclass(frozen=True, slots=True)
class NewTimer:
    """A timer to arm (written in bulk when many alarms open at once)."""

    kind: TimerKind
    ref_id: int
    session_id: int
    due_at: dtm.datetime
    step: int = 0


@dataclass(frozen=True, slots=True)
class NewLogEntry:
    """A safety-log line to write (in bulk when many alarms open at once)."""

    session_id: int
    event: str
    at: dtm.datetime
    detail: str = ""
    pair_id: int | None = None
    volunteer_id: int | None = None
    escalation_id: int | None = None
