"""What the services need from storage, as Protocols, so the rules never import a database."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self

from rota.model import (
    Invite,
    Notice,
    OutboxItem,
    Role,
    RosterEntry,
    Session,
    SessionStatus,
    SignUp,
    SignUpStatus,
    TeamPost,
    Volunteer,
)
from rota.template import RoleSpec


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


class SessionRepository(Protocol):
    """Sessions and their roles."""

    async def get(self, session_id: int) -> Session | None: ...
    async def many(self, session_ids: Sequence[int]) -> dict[int, Session]: ...
    async def on_date(self, day: dtm.date) -> list[Session]: ...
    async def upcoming(self, now: dtm.datetime, limit: int) -> list[Session]: ...
    async def template_sessions_after(self, now: dtm.datetime) -> list[Session]: ...
    async def add(
        self,
        *,
        template_key: str | None,
        local_date: dtm.date,
        starts_at: dtm.datetime,
        ends_at: dtm.datetime,
        meeting_point: str,
        note: str,
        roles: Sequence[RoleSpec],
        now: dtm.datetime,
    ) -> Session: ...
    async def replan(
        self,
        session_id: int,
        *,
        starts_at: dtm.datetime,
        ends_at: dtm.datetime,
        meeting_point: str,
        roles: Sequence[RoleSpec],
    ) -> None: ...
    async def delete(self, session_id: int) -> None: ...
    async def set_status(
        self, session_id: int, *, expected: SessionStatus, new: SessionStatus
    ) -> bool: ...
    async def roles(self, session_ids: Sequence[int]) -> list[Role]: ...
    async def role(self, role_id: int) -> Role | None: ...
    async def signup_counts(self, session_ids: Sequence[int]) -> dict[int, int]: ...


class SignUpRepository(Protocol):
    """Sign-ups, with the guarded counter that keeps capacity honest under concurrency."""

    async def get(self, signup_id: int) -> SignUp | None: ...
    async def active_for(self, session_id: int, volunteer_id: int) -> SignUp | None: ...
    async def claim_place(self, role_id: int) -> bool: ...
    async def release_place(self, role_id: int) -> None: ...
    async def add(
        self,
        *,
        session_id: int,
        role_id: int,
        volunteer_id: int,
        status: SignUpStatus,
        now: dtm.datetime,
    ) -> SignUp: ...
    async def move(
        self, signup_id: int, *, expected: SignUpStatus, new: SignUpStatus, now: dtm.datetime
    ) -> bool: ...
    async def waitlist(self, role_id: int) -> list[RosterEntry]: ...
    async def roster(self, session_ids: Sequence[int]) -> list[RosterEntry]: ...
    async def mine(self, volunteer_id: int, session_ids: Sequence[int]) -> list[SignUp]: ...
    async def upcoming_for(self, volunteer_id: int, now: dtm.datetime) -> list[RosterEntry]: ...


class OutboxRepository(Protocol):
    """The durable queue of messages the bot owes people."""

    async def add(
        self, notice: Notice, *, now: dtm.datetime, due_at: dtm.datetime | None
    ) -> None: ...
    async def claim_due(
        self, *, now: dtm.datetime, lease: dtm.timedelta, limit: int
    ) -> list[OutboxItem]: ...
    async def mark_sent(
        self, item_id: int, *, now: dtm.datetime, message_id: int | None
    ) -> None: ...
    async def retry_at(self, item_id: int, *, due_at: dtm.datetime, error: str) -> None: ...
    async def give_up(self, item_id: int, *, unreachable: bool, error: str) -> None: ...
    async def next_due(self) -> dtm.datetime | None: ...
    async def forget_chat(self, chat_id: int) -> None: ...


class TeamPostRepository(Protocol):
    """Rota posts in team chats."""

    async def put(self, *, chat_id: int, message_id: int, now: dtm.datetime) -> None: ...
    async def mark_dirty(self, now: dtm.datetime) -> None: ...
    async def due_for_edit(
        self, *, now: dtm.datetime, min_gap: dtm.timedelta
    ) -> list[TeamPost]: ...
    async def mark_edited(
        self, chat_id: int, *, seen: dtm.datetime, now: dtm.datetime
    ) -> None: ...
    async def drop(self, chat_id: int) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: everything in it commits together or not at all."""

    volunteers: VolunteerRepository
    invites: InviteRepository
    sessions: SessionRepository
    signups: SignUpRepository
    outbox: OutboxRepository
    team_posts: TeamPostRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work per use case."""

    def __call__(self) -> UnitOfWork: ...
