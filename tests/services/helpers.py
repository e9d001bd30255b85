"""Small setup and inspection helpers for the service and storage tests.

Setup goes through the real use cases (an invite is created and accepted, sessions are
synced from the template), so the helpers exercise the same paths the bot does. Inspection
reads the tables directly, so a test asserts what is really stored, not what a use case
chose to return.
"""

from __future__ import annotations

import datetime as dtm
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.people import membership as people
from rota.people.model import Invite, Volunteer
from rota.roster import sessions, signups
from rota.roster.model import SessionBoard
from rota.storage.tables import (
    Base,
    InviteRow,
    OutboxRow,
    RoleRow,
    SessionRow,
    SignUpRow,
    VolunteerRow,
)
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from tests.conftest import ADMIN_ID

Uow = SqlAlchemyUnitOfWorkFactory


# --- setup through the use cases -------------------------------------------------------------


async def make_invite(
    uow: Uow,
    config: RotaConfig,
    clock: FakeClock,
    tags: Iterable[str] = (),
    by: int = ADMIN_ID,
) -> Invite:
    """A fresh invite made by a coordinator (the bootstrap admin unless told otherwise)."""
    return await people.create_invite(
        uow(), telegram_id=by, tags=frozenset(tags), config=config, now=clock.now()
    )


async def join_team(
    uow: Uow,
    config: RotaConfig,
    clock: FakeClock,
    telegram_id: int,
    tags: Iterable[str] = ("trained",),
    name: str | None = None,
    username: str | None = None,
) -> Volunteer:
    """Register a volunteer the way the bot does: a coordinator's invite, then opening it."""
    invite = await make_invite(uow, config, clock, tags)
    return await people.accept_invite(
        uow(),
        code=invite.code,
        telegram_id=telegram_id,
        first_name=name or f"Vol{telegram_id}",
        last_name=None,
        username=username,
        config=config,
        now=clock.now(),
    )


async def admin_starts(uow: Uow, config: RotaConfig, clock: FakeClock) -> Volunteer:
    """The bootstrap admin sends /start and is registered as a coordinator."""
    welcome = await people.start(
        uow(),
        telegram_id=ADMIN_ID,
        first_name="Ada",
        last_name="Admin",
        username="ada",
        config=config,
        now=clock.now(),
    )
    assert welcome.actor.volunteer is not None
    return welcome.actor.volunteer


async def boards(uow: Uow, config: RotaConfig, clock: FakeClock) -> list[SessionBoard]:
    """Sync the template, then the upcoming sessions with their roles, soonest first."""
    await sessions.sync_sessions(uow(), config=config, now=clock.now())
    return await sessions.upcoming_boards(uow(), telegram_id=None, config=config, now=clock.now())


async def first_session(uow: Uow, config: RotaConfig, clock: FakeClock) -> SessionBoard:
    """The next session (Wed 2 Dec 2026, 19:00 with the default clock)."""
    return (await boards(uow, config, clock))[0]


def role_id(board: SessionBoard, key: str) -> int:
    """The id of the role with this template key in a session."""
    return next(r.id for r in board.roles if r.key == key)


async def join(
    uow: Uow, config: RotaConfig, clock: FakeClock, telegram_id: int, role: int
) -> signups.JoinOutcome:
    return await signups.join_role(
        uow(), telegram_id=telegram_id, role_id=role, config=config, now=clock.now()
    )


async def wait(
    uow: Uow, config: RotaConfig, clock: FakeClock, telegram_id: int, role: int
) -> signups.JoinOutcome:
    return await signups.join_waitlist(
        uow(), telegram_id=telegram_id, role_id=role, config=config, now=clock.now()
    )


async def withdraw(
    uow: Uow, config: RotaConfig, clock: FakeClock, telegram_id: int, signup_id: int
) -> signups.WithdrawOutcome:
    return await signups.withdraw(
        uow(), telegram_id=telegram_id, signup_id=signup_id, config=config, now=clock.now()
    )


# --- bulk setup straight through the repositories (for the size-independence tests) ----------


async def add_volunteers(
    uow: Uow, now: dtm.datetime, first_telegram_id: int, count: int, tags: Iterable[str]
) -> list[Volunteer]:
    """Many volunteers in one transaction."""
    async with uow() as u:
        made = [
            await u.volunteers.add(
                telegram_id=first_telegram_id + n,
                display_name=f"Bulk {n}",
                username=None,
                tags=frozenset(tags),
                now=now,
            )
            for n in range(count)
        ]
        await u.commit()
    return made


# --- reading what is really stored ----------------------------------------------------------


async def fetch(uow: Uow, statement: Any) -> list[Any]:
    """Run a SELECT on a connection of its own and return all rows."""
    async with uow.engine.connect() as conn:
        return list((await conn.execute(statement)).all())


async def volunteer_row(uow: Uow, volunteer_id: int) -> Any:
    (row,) = await fetch(
        uow, select(VolunteerRow.__table__).where(VolunteerRow.id == volunteer_id)
    )
    return row


async def count(uow: Uow, table: type[Base]) -> int:
    return len(await fetch(uow, select(table.__table__)))


async def signup_states(uow: Uow) -> list[tuple[int | None, str, int, str]]:
    """Every sign-up as (telegram id, role key, session id, status), in sign-up order."""
    rows = await fetch(
        uow,
        select(VolunteerRow.telegram_id, RoleRow.key, SignUpRow.session_id, SignUpRow.status)
        .join(VolunteerRow, VolunteerRow.id == SignUpRow.volunteer_id)
        .join(RoleRow, RoleRow.id == SignUpRow.role_id)
        .order_by(SignUpRow.id),
    )
    return [tuple(r) for r in rows]


async def filled(uow: Uow, role: int) -> int:
    (row,) = await fetch(uow, select(RoleRow.filled).where(RoleRow.id == role))
    return int(row.filled)


async def confirmed_count(uow: Uow, role: int) -> int:
    rows = await fetch(
        uow, select(SignUpRow.id).where(SignUpRow.role_id == role, SignUpRow.status == "confirmed")
    )
    return len(rows)


async def outbox(uow: Uow) -> list[tuple[str, int, str]]:
    """Every outbox row as (kind, chat id, state), oldest first."""
    rows = await fetch(
        uow, select(OutboxRow.kind, OutboxRow.chat_id, OutboxRow.state).order_by(OutboxRow.id)
    )
    return [tuple(r) for r in rows]


async def session_rows(uow: Uow) -> list[Any]:
    return await fetch(uow, select(SessionRow.__table__).order_by(SessionRow.starts_at))


async def invite_row(uow: Uow, code: str) -> Any:
    (row,) = await fetch(uow, select(InviteRow.__table__).where(InviteRow.code == code))
    return row


async def snapshot(uow: Uow) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show a refused request changed nothing at all."""
    result = {}
    async with uow.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = await conn.execute(select(table).order_by(*table.primary_key.columns))
            result[table.name] = [tuple(r) for r in rows]
    return result
