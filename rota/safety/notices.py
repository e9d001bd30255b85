"""Payloads of the safety feature: the walk, check-ins, home-safe, and alarms with their news."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass, field
from typing import ClassVar

from rota.kernel.notices import FLAT, Payload
from rota.kernel.outbox import Priority


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkStarted(Payload):
    """To each walker when the walk starts: who with, and how often to check in."""

    KIND: ClassVar[str] = "walk_started"
    PRIORITY: ClassVar[Priority] = Priority.SAFETY
    partners: tuple[str, ...] = ()
    count: int = 0
    interval: int  # seconds between check-ins
    first_due: dtm.datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckInPrompt(Payload):
    """The check-in question to each walker of a pair."""

    KIND: ClassVar[str] = "checkin_prompt"
    PRIORITY: ClassVar[Priority] = Priority.SAFETY
    checkin_id: int
    seq: int
    total: int
    due_at: dtm.datetime
    partners: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckInReminder(CheckInPrompt):
    """The check-in question again, once it is late."""

    KIND: ClassVar[str] = "checkin_reminder"


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckInDone(Payload):
    """A prompt rewritten once someone in the pair checked in."""

    KIND: ClassVar[str] = "checkin_done"
    PRIORITY: ClassVar[Priority] = Priority.SAFETY
    by: str
    at: dtm.datetime
    seq: int
    total: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    """One person an alert is about, as the responders see them."""

    name: str
    phone: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertDetail:
    """Which check-in or home-safe was missed (stored flat; all empty for an SOS)."""

    seq: int | None = None
    total: int | None = None
    due_at: dtm.datetime | None = None


NO_DETAIL = AlertDetail()


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertBase(Payload):
    """What every copy of an alert says: who, what, when and where the session is."""

    PRIORITY: ClassVar[Priority] = Priority.ALARM
    escalation_id: int
    kind: str  # EscalationKind's value: missed_checkin, sos, duress, home_safe
    step: int
    names: str
    meeting_point: str = ""
    starts_at: dtm.datetime
    ends_at: dtm.datetime
    last_checkin_at: dtm.datetime | None = None
    last_checkin_by: str | None = None
    detail: AlertDetail = field(default=NO_DETAIL, metadata=FLAT)


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamAlert(AlertBase):
    """The team group's copy of an alert: never phones or places.

    A type of its own (not a parent of Alert), so nothing only the responders' copy
    carries can be handed to the group by mistake.
    """

    KIND: ClassVar[str] = "alert"
    STORED_WITH: ClassVar[dict[str, str]] = {"audience": "team"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert(AlertBase):
    """An alert to a responder (on-call, lead, coordinators): with phone numbers."""

    KIND: ClassVar[str] = "alert"
    STORED_WITH: ClassVar[dict[str, str]] = {"audience": "responders"}
    UNMARKED: ClassVar[bool] = True  # an alert row that names no audience was a responder's
    members: tuple[Member, ...] = ()

    def for_team(self) -> TeamAlert:
        """The team group's copy: only the fields a TeamAlert has."""
        return TeamAlert(
            escalation_id=self.escalation_id,
            kind=self.kind,
            step=self.step,
            names=self.names,
            meeting_point=self.meeting_point,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            last_checkin_at=self.last_checkin_at,
            last_checkin_by=self.last_checkin_by,
            detail=self.detail,
        )


ALERT_KINDS = (Alert.KIND,)  # the responders' and the team group's copies alike


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertLocation(Payload):
    """Where the person was last seen, to responders only; live when it follows them."""

    KIND: ClassVar[str] = "alert_location"
    PRIORITY: ClassVar[Priority] = Priority.ALARM
    latitude: float
    longitude: float
    at: dtm.datetime | None = None
    name: str | None = None
    live: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertLocationMove(AlertLocation):
    """A live location moved: edits the pin already sent."""

    KIND: ClassVar[str] = "alert_location_move"
    PRIORITY: ClassVar[Priority] = Priority.PLACE


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertTaken(Payload):
    """An alert rewritten once a responder acknowledged it."""

    KIND: ClassVar[str] = "alert_taken"
    PRIORITY: ClassVar[Priority] = Priority.ALARM
    escalation_id: int
    by: str
    at: dtm.datetime
    names: str
    kind: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertResolved(AlertTaken):
    """An alert rewritten once it was resolved."""

    KIND: ClassVar[str] = "alert_resolved"


@dataclass(frozen=True, slots=True, kw_only=True)
class Followup(Payload):
    """To the pair once a coordinator has taken their alert."""

    KIND: ClassVar[str] = "followup"
    PRIORITY: ClassVar[Priority] = Priority.ALARM
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LateCheckIn(Payload):
    """To everyone alerted: the pair checked in after all."""

    KIND: ClassVar[str] = "late_checkin"
    PRIORITY: ClassVar[Priority] = Priority.ALARM
    escalation_id: int
    names: str
    by: str
    at: dtm.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeNews(Payload):
    """To everyone alerted: the person confirmed home safe after all."""

    KIND: ClassVar[str] = "home_news"
    PRIORITY: ClassVar[Priority] = Priority.ALARM
    escalation_id: int
    name: str
    at: dtm.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Unreachable(Payload):
    """To the other responders: an alert could not be delivered to someone."""

    KIND: ClassVar[str] = "unreachable"
    PRIORITY: ClassVar[Priority] = Priority.ALARM
    escalation_id: int | None = None
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PairsProblem(Payload):
    """To coordinators: someone would walk alone, or without a trained partner."""

    KIND: ClassVar[str] = "pairs_problem"
    PRIORITY: ClassVar[Priority] = Priority.SAFETY
    problems: tuple[str, ...] = ()
    starts_at: dtm.datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkOver(Payload):
    """To walkers when the lead ends the walk early."""

    KIND: ClassVar[str] = "walk_over"
    PRIORITY: ClassVar[Priority] = Priority.SAFETY
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HomePrompt(Payload):
    """The home-safe question at the end of the session."""

    KIND: ClassVar[str] = "home_prompt"
    PRIORITY: ClassVar[Priority] = Priority.SAFETY
    home_safe_id: int
    due_at: dtm.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeReminder(HomePrompt):
    """The home-safe question again, once it is late."""

    KIND: ClassVar[str] = "home_reminder"


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeDone(Payload):
    """The home-safe question rewritten once answered."""

    KIND: ClassVar[str] = "home_done"
    PRIORITY: ClassVar[Priority] = Priority.SAFETY
    at: dtm.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class StartedUnreachable(Payload):
    """At start-up, to coordinators: people the bot cannot message."""

    KIND: ClassVar[str] = "started_unreachable"
    PRIORITY: ClassVar[Priority] = Priority.SAFETY
    names: tuple[str, ...] = field(default=())
