"""The charity's nouns as plain, immutable values: volunteers, sessions, roles, sign-ups."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rota.notices.base import Payload

COORDINATOR_TAG = "coordinator"
MAX_NAME_LENGTH = 64


class VolunteerStatus(StrEnum):
    """Removed volunteers keep an anonymous row so past rotas still add up."""

    ACTIVE = "active"
    REMOVED = "removed"


class SessionStatus(StrEnum):
    """A cancelled session stays visible in history but takes no sign-ups."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class SignUpStatus(StrEnum):
    """Where a volunteer stands in a role."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class Volunteer:
    """A person on the team, known to the bot by their Telegram account."""

    id: int
    telegram_id: int | None
    display_name: str
    username: str | None
    phone: str | None
    tags: frozenset[str]
    status: VolunteerStatus
    joined_at: dtm.datetime

    @property
    def is_active(self) -> bool:
        return self.status is VolunteerStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class Actor:
    """Whoever sent an update: maybe a volunteer, maybe a bootstrap admin, maybe a stranger."""

    telegram_id: int
    volunteer: Volunteer | None
    is_admin: bool

    @property
    def tags(self) -> frozenset[str]:
        """Tags that count for eligibility; an admin always counts as a coordinator."""
        tags = self.volunteer.tags if self.volunteer else frozenset()
        return tags | {COORDINATOR_TAG} if self.is_admin else tags

    @property
    def is_coordinator(self) -> bool:
        return COORDINATOR_TAG in self.tags


@dataclass(frozen=True, slots=True)
class Invite:
    """A single-use joining code a coordinator hands out."""

    id: int
    code: str
    tags: frozenset[str]
    created_by: int | None
    created_at: dtm.datetime
    expires_at: dtm.datetime
    used_at: dtm.datetime | None
    used_by: int | None


@dataclass(frozen=True, slots=True)
class Role:
    """One role in one session, with its places (copied from the template when generated)."""

    id: int
    session_id: int
    key: str
    label: str
    capacity: int
    minimum: int
    pairs: bool
    requires: frozenset[str]
    filled: int
    position: int

    @property
    def is_full(self) -> bool:
        return self.filled >= self.capacity

    def accepts(self, tags: frozenset[str]) -> bool:
        """A role with required tags takes anyone holding at least one of them."""
        return not self.requires or bool(self.requires & tags)


@dataclass(frozen=True, slots=True)
class Session:
    """One night's outreach (or a one-off extra), stored in UTC."""

    id: int
    template_key: str | None
    local_date: dtm.date
    starts_at: dtm.datetime
    ends_at: dtm.datetime
    meeting_point: str
    note: str
    status: SessionStatus
    walk_state: str = "planned"
    checkin_plan: str | None = None

    @property
    def is_cancelled(self) -> bool:
        return self.status is SessionStatus.CANCELLED

    def is_open(self, now: dtm.datetime) -> bool:
        """Sign-ups change only before the session starts and while it is not cancelled."""
        return not self.is_cancelled and now < self.starts_at


@dataclass(frozen=True, slots=True)
class SignUp:
    """A volunteer's claim on a role: a confirmed place or a waitlist spot."""

    id: int
    session_id: int
    role_id: int
    volunteer_id: int
    status: SignUpStatus
    created_at: dtm.datetime
    updated_at: dtm.datetime


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """A sign-up with the names needed to show it."""

    signup: SignUp
    volunteer: Volunteer
    role: Role


@dataclass(frozen=True, slots=True)
class SessionBoard:
    """A session with its roles and who is in them: what /rota and /session show."""

    session: Session
    roles: tuple[Role, ...]
    roster: tuple[RosterEntry, ...] = ()
    mine: SignUp | None = None

    def entries(self, role_id: int, status: SignUpStatus) -> list[RosterEntry]:
        """The roster of one role in one state, in sign-up order."""
        return [e for e in self.roster if e.role.id == role_id and e.signup.status is status]

    def role(self, role_id: int) -> Role | None:
        return next((r for r in self.roles if r.id == role_id), None)


class Priority(IntEnum):
    """How soon an outbox row goes, lowest first; stored as the number, so never renumber.

    SAFETY and PLACE share 1, as they always have: a walker's own safety messages and a
    responder's moved pin both come after any new alarm and before everything else.
    """

    ALARM = 0  # alerts and their news: they jump every queue
    SAFETY = 1  # check-in and home-safe prompts, walk news to walkers and coordinators
    PLACE = 1  # a moved location (an alias of SAFETY: the same place in the queue)
    INCIDENT = 2  # a debrief's incident note to the coordinators
    BRIEFING = 3  # briefings and the debrief's first question: ahead of routine notices
    ROUTINE = 5  # everything else: sign-ups, reminders, cover

    @classmethod
    def of(cls, value: int) -> Priority:
        """A stored number as a Priority (a number between two levels counts as the sooner)."""
        try:
            return cls(value)
        except ValueError:
            return max((p for p in cls if p <= value), default=cls.ALARM)


@dataclass(frozen=True, slots=True)
class Notice:
    """An outgoing message the domain decided on; the bot layer renders and delivers it.

    Recorded in the same transaction as the change that caused it, so it is never lost.
    The kind, and unless given the priority, come from the payload's type.
    """

    chat_id: int
    payload: Payload
    dedupe_key: str | None = None
    priority: Priority | None = None  # None: the payload kind's own priority
    ref_kind: str | None = None
    ref_id: int | None = None
    edit_of: int | None = None

    @property
    def kind(self) -> str:
        """The outbox kind, named by the payload's type."""
        return self.payload.KIND

    @property
    def urgency(self) -> Priority:
        """The priority the row is stored with."""
        return self.payload.PRIORITY if self.priority is None else self.priority


class DeliveryState(StrEnum):
    """Life of an outbox row: pending -> sending (leased) -> sent | failed | unreachable."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"


# last_error of a row claimed again after its lease ran out: the worker that held it died
# between claiming and recording, so Telegram may or may not have delivered it.
LEASE_EXPIRED = "lease expired: the last attempt's outcome is unknown"
UNKNOWN_OUTCOME = ("timed out", LEASE_EXPIRED)  # last_error prefixes: it may have arrived


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A claimed outbox row, ready to be rendered and sent."""

    id: int
    kind: str
    chat_id: int
    payload: dict[str, object]  # as stored: rota.notices.codec.decode reads it
    priority: Priority
    attempts: int
    due_at: dtm.datetime
    created_at: dtm.datetime
    last_error: str | None = None
    ref_kind: str | None = None
    ref_id: int | None = None
    edit_of: int | None = None


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A delivered outbox row: where its message is, so it can be edited later."""

    outbox_id: int
    kind: str
    chat_id: int
    message_id: int | None


@dataclass(frozen=True, slots=True)
class EditTarget:
    """The message an edit rewrites, as one read of its outbox row found it."""

    message: SentMessage | None  # delivered: where it is (None: not delivered, or never will be)
    on_its_way: bool  # still to be sent, or being sent: the edit waits for it


@dataclass(frozen=True, slots=True)
class TeamPost:
    """The live rota message in a team chat."""

    chat_id: int
    message_id: int
    dirty_since: dtm.datetime | None
    last_edit_at: dtm.datetime | None
