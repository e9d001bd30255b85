"""What the people use cases need from storage."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Sequence
from typing import Protocol

from rota.people.model import Invite, Volunteer


class VolunteerRepository(Protocol):
    """Volunteers by id, Telegram id or name."""

    async def get(self, volunteer_id: int) -> Volunteer | None: ...
    async def by_telegram_id(self, telegram_id: int) -> Volunteer | None: ...
    async def add(
        self,
        *,
        telegram_id: int,
        display_name: str,
        username: str | None,
        tags: frozenset[str],
        now: dtm.datetime,
    ) -> Volunteer: ...
    async def save(self, volunteer: Volunteer) -> None: ...
    async def active(self) -> list[Volunteer]: ...
    async def with_tag(self, tag: str) -> list[Volunteer]: ...
    async def many(self, ids: Sequence[int]) -> dict[int, Volunteer]: ...


class InviteRepository(Protocol):
    """Joining codes."""

    async def add(
        self,
        *,
        code: str,
        tags: frozenset[str],
        created_by: int | None,
        now: dtm.datetime,
        expires_at: dtm.datetime,
    ) -> Invite: ...
    async def by_code(self, code: str) -> Invite | None: ...
    async def mark_used(self, invite_id: int, volunteer_id: int, now: dtm.datetime) -> bool: ...
