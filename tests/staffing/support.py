"""A team and a Wednesday night to test reminders, staffing alerts and cover requests on.

People join through the real invite path and sign up through the real join_role use case;
everything after that goes through rota.staffing.services, driven by the fake clock. What the
bot decided to say is read straight from the outbox table, and sign-ups, reminders and cover
requests straight from theirs, so a test sees what is stored, not what a use case returned.
"""

from __future__ import annotations

import dataclasses
import datetime as dtm
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from rota.kernel import delivery
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.outbox import OutboxItem
from rota.people.model import Volunteer
from rota.roster.model import SessionBoard
from rota.staffing import services as staffing
from rota.storage.tables import (
    CoverOfferRow,
    CoverRequestRow,
    MilestoneRow,
    ReminderAnswerRow,
    RoleRow,
    SignUpRow,
    VolunteerRow,
)
from tests.safety.support import Out, outbox_rows
from tests.services.helpers import Uow, fetch, first_session, join, join_team, role_id

UTC = dtm.UTC
TEAM_CHAT = -100_888
START = dtm.datetime(2026, 12, 2, 19, 0, tzinfo=UTC)  # Wed 2 Dec 19:00 London (GMT)
SATURDAY = dtm.datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # 79 h before: nothing is due yet
WHEN = "Wed 2 Dec 19:00–23:00"

# Telegram ids.
LENA = 301  # team lead (tag lead)
TIA, TESS, UMA = 101, 103, 104  # trained walkers
NELL, VERA = 102, 105  # new walkers
DEE, DAN = 401, 402  # no tags: drop-in only
CORA = 201  # coordinator, on call
DOT = 202  # coordinator, not on the rota

PEOPLE: dict[int, tuple[str, tuple[str, ...]]] = {
    LENA: ("Lena", ("lead", "trained")),
    TIA: ("Tia", ("trained",)),
    TESS: ("Tess", ("trained",)),
    UMA: ("Uma", ("trained",)),
    NELL: ("Nell", ("new",)),
    VERA: ("Vera", ("new",)),
    DEE: ("Dee", ()),
    DAN: ("Dan", ()),
    CORA: ("Cora", ("coordinator",)),
    DOT: ("Dot", ("coordinator",)),
}

FULL_NIGHT = {LENA: "lead", TIA: "walker", TESS: "walker", DEE: "dropin", CORA: "oncall"}


def before(hours: float) -> dtm.datetime:
    """An instant this many hours before the Wednesday session starts."""
    return START - dtm.timedelta(hours=hours)


def with_team_chat(config: RotaConfig) -> RotaConfig:
    return dataclasses.replace(config, team_chat_id=TEAM_CHAT)


def with_role(config: RotaConfig, key: str, **changes: Any) -> RotaConfig:
    roles = tuple(
        dataclasses.replace(r, **changes) if r.key == key else r for r in config.template.roles
    )
    return dataclasses.replace(config, template=dataclasses.replace(config.template, roles=roles))


@dataclass
class Night:
    """The team, the Wednesday session's board, and who holds which sign-up."""

    people: dict[int, Volunteer]
    board: SessionBoard
    signups: dict[int, int]  # telegram id -> sign-up id

    @property
    def session_id(self) -> int:
        return self.board.session.id

    def role(self, key: str) -> int:
        return role_id(self.board, key)


async def make_night(
    uow: Uow,
    config: RotaConfig,
    clock: FakeClock,
    rota: Mapping[int, str] = FULL_NIGHT,
    *,
    at: dtm.datetime = SATURDAY,
) -> Night:
    """Everyone in PEOPLE joins; the people in `rota` take those roles on Wed 2 Dec."""
    clock.set(at)
    people = {
        tid: await join_team(uow, config, clock, tid, tags=tags, name=name)
        for tid, (name, tags) in PEOPLE.items()
    }
    board = await first_session(uow, config, clock)
    assert board.session.starts_at == START
    signups = {}
    for tid, key in rota.items():
        outcome = await join(uow, config, clock, tid, role_id(board, key))
        signups[tid] = outcome.signup.id
    return Night(people=people, board=board, signups=signups)


async def tick(uow: Uow, config: RotaConfig, clock: FakeClock, when: dtm.datetime) -> int:
    """Move the clock and run the feature's sweep once."""
    clock.set(when)
    return await staffing.run_due(uow, config=config, now=when)


# --- what is stored ---------------------------------------------------------------------------


async def chats(uow: Uow, kind: str) -> list[int]:
    """Chat ids of the rows of one kind, sorted."""
    return sorted(r.chat_id for r in await outbox_rows(uow, kind))


def item_of(row: Out) -> OutboxItem:
    """The row as the dispatcher would have claimed it."""
    return OutboxItem(
        id=row.id,
        kind=row.kind,
        chat_id=row.chat_id,
        payload=row.payload,
        priority=5,
        attempts=1,
        due_at=row.created_at,
        created_at=row.created_at,
        ref_kind=row.ref_kind,
        ref_id=row.ref_id,
        edit_of=row.edit_of,
    )


async def deliver(uow: Uow, rows: list[Out], now: dtm.datetime) -> None:
    """Telegram accepted these rows (recorded the way the dispatcher does)."""
    for row in rows:
        outcome = delivery.Sent(message_id=10_000 + row.id)
        await delivery.record_outcome(uow(), item_of(row), outcome, now=now)


async def milestones(uow: Uow, session_id: int) -> set[str]:
    rows = await fetch(
        uow, select(MilestoneRow.milestone).where(MilestoneRow.session_id == session_id)
    )
    return {r.milestone for r in rows}


async def reminder_answers(uow: Uow) -> dict[int, str]:
    """Telegram id -> the answer to the reminder, for everyone who was sent one."""
    rows = await fetch(
        uow,
        select(VolunteerRow.telegram_id, ReminderAnswerRow.answer).join(
            VolunteerRow, VolunteerRow.id == ReminderAnswerRow.volunteer_id
        ),
    )
    return {r.telegram_id: r.answer for r in rows}


async def roster(uow: Uow, session_id: int) -> dict[int, tuple[str, str]]:
    """Telegram id -> (role key, status) of every active sign-up on the session."""
    rows = await fetch(
        uow,
        select(VolunteerRow.telegram_id, RoleRow.key, SignUpRow.status)
        .join(VolunteerRow, VolunteerRow.id == SignUpRow.volunteer_id)
        .join(RoleRow, RoleRow.id == SignUpRow.role_id)
        .where(SignUpRow.session_id == session_id, SignUpRow.status != "withdrawn"),
    )
    return {r.telegram_id: (r.key, r.status) for r in rows}


async def filled(uow: Uow, session_id: int) -> dict[str, int]:
    """Role key -> the guarded place counter of each role of the session."""
    rows = await fetch(
        uow, select(RoleRow.key, RoleRow.filled).where(RoleRow.session_id == session_id)
    )
    return {r.key: r.filled for r in rows}


async def requests(uow: Uow) -> list[Any]:
    return await fetch(uow, select(CoverRequestRow.__table__).order_by(CoverRequestRow.id))


async def offered(uow: Uow, request_id: int) -> list[int]:
    """Telegram ids offered a request, sorted."""
    rows = await fetch(
        uow,
        select(VolunteerRow.telegram_id)
        .join(CoverOfferRow, CoverOfferRow.volunteer_id == VolunteerRow.id)
        .where(CoverOfferRow.request_id == request_id),
    )
    return sorted(r.telegram_id for r in rows)
