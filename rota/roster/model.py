"""The rota itself: sessions, their roles and who signed up for them."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from rota.people.model import Volunteer

if TYPE_CHECKING:
    pass


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


@dataclass(frozen=True, slots=True)
class TeamPost:
    """The live rota message in a team chat."""

    chat_id: int
    message_id: int
    dirty_since: dtm.datetime | None
    last_edit_at: dtm.datetime | None
