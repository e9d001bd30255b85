"""Who is on the team: volunteers, coordinators and invites."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

COORDINATOR_TAG = "coordinator"
MAX_NAME_LENGTH = 64


class VolunteerStatus(StrEnum):
    """Removed volunteers keep an anonymous row so past rotas still add up."""

    ACTIVE = "active"
    REMOVED = "removed"


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
