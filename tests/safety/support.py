"""A night out to test the safety net on: people, sign-ups, the clock and what the bot wrote.

The night is set up straight through the repositories, in one transaction (the invite,
join_role and sync_sessions paths have tests of their own in tests/services); everything
after that goes through the safety use cases, driven by the fake clock. What the bot decided
to say is read straight from the `outbox` table, and safety state straight from its tables,
so a test sees what is stored, not what a use case chose to return.
"""

from __future__ import annotations

import dataclasses
import datetime as dtm
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from rota.kernel import delivery
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.outbox import OutboxItem
from rota.kernel.template import CheckInPlan
from rota.kernel.uow import UnitOfWork
from rota.roster.model import SignUpStatus
from rota.safety import timers, walks
from rota.storage.tables import (
    CheckInRow,
    EscalationRow,
    HomeSafeRow,
    LocationRow,
    OutboxRow,
    PairMemberRow,
    PairRow,
    SessionRow,
    TimerRow,
    VolunteerRow,
)
from tests.conftest import ADMIN_ID
from tests.services.helpers import Uow, fetch

UTC = dtm.UTC
TEAM_CHAT = -100_777
WALK_DAY = dtm.date(2026, 12, 2)  # Wednesday: 19:00-23:00 London is 19:00-23:00 UTC (GMT)
START = dtm.datetime(2026, 12, 2, 19, 0, tzinfo=UTC)
END = dtm.datetime(2026, 12, 2, 23, 0, tzinfo=UTC)
WEEK = dtm.timedelta(days=7)

# Telegram ids of the people on the standard night.
CORA = 201  # coordinator, takes the on-call role
DOT = 202  # coordinator, not on the rota tonight
LENA = 301  # team lead
TIA, NELL, TESS, UMA, VERA = 101, 102, 103, 104, 105  # Nell and Vera are new walkers
DEE = 401  # drop-in
OUTSIDER = 501  # on the team, not on tonight's rota

WALKERS = {
    TIA: ("Tia", ("trained",)),
    NELL: ("Nell", ("new",)),
    TESS: ("Tess", ("trained",)),
    UMA: ("Uma", ("trained",)),
    VERA: ("Vera", ("new",)),
}


def at(hour: int, minute: int = 0, second: int = 0) -> dtm.datetime:
    """An instant on the walk night, UTC; hours before noon are the small hours after it."""
    day = WALK_DAY + dtm.timedelta(days=1) if hour < 12 else WALK_DAY
    return dtm.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def with_plan(config: RotaConfig, **changes: Any) -> RotaConfig:
    """The config with its check-in plan changed (duress_word, interval...)."""
    plan = dataclasses.replace(config.template.checkins, **changes)
    return dataclasses.replace(
        config, template=dataclasses.replace(config.template, checkins=plan)
    )


def with_capacity(config: RotaConfig, key: str, capacity: int) -> RotaConfig:
    roles = tuple(
        dataclasses.replace(r, capacity=capacity) if r.key == key else r
        for r in config.template.roles
    )
    return dataclasses.replace(config, template=dataclasses.replace(config.template, roles=roles))


@dataclass(frozen=True)
class Out:
    """One outbox row."""

    id: int
    kind: str
    chat_id: int
    payload: dict[str, Any]
    state: str
    edit_of: int | None
    ref_kind: str | None
    ref_id: int | None
    dedupe_key: str | None
    created_at: dtm.datetime


async def outbox_rows(uow: Uow, *kinds: str) -> list[Out]:
    """Outbox rows (of these kinds, or all), oldest first."""
    query = select(OutboxRow.__table__).order_by(OutboxRow.id)
    if kinds:
        query = query.where(OutboxRow.kind.in_(kinds))
    return [
        Out(
            id=r.id,
            kind=r.kind,
            chat_id=r.chat_id,
            payload=json.loads(r.payload),
            state=r.state,
            edit_of=r.edit_of,
            ref_kind=r.ref_kind,
            ref_id=r.ref_id,
            dedupe_key=r.dedupe_key,
            created_at=r.created_at,
        )
        for r in await fetch(uow, query)
    ]


async def chats(uow: Uow, kind: str, **payload: Any) -> list[int]:
    """Chat ids of the rows of one kind (optionally with these payload values), in order."""
    return [
        r.chat_id
        for r in await outbox_rows(uow, kind)
        if all(r.payload.get(k) == v for k, v in payload.items())
    ]


def item_of(row: Out) -> OutboxItem:
    """The row as the dispatcher would have claimed it."""
    return OutboxItem(
        id=row.id,
        kind=row.kind,
        chat_id=row.chat_id,
        payload=row.payload,
        priority=0,
        attempts=1,
        due_at=row.created_at,
        created_at=row.created_at,
        ref_kind=row.ref_kind,
        ref_id=row.ref_id,
        edit_of=row.edit_of,
    )


async def send(uow: Uow, rows: list[Out], now: dtm.datetime) -> None:
    """Telegram accepted these rows (recorded the way the dispatcher does)."""
    for row in rows:
        outcome = delivery.Sent(message_id=10_000 + row.id)
        await delivery.record_outcome(uow(), item_of(row), outcome, now=now)


async def timer_rows(uow: Uow, *kinds: str) -> list[Any]:
    """Timers as (kind, ref_id, step, due_at, state), by due time."""
    query = select(
        TimerRow.kind, TimerRow.ref_id, TimerRow.step, TimerRow.due_at, TimerRow.state
    ).order_by(TimerRow.due_at, TimerRow.id)
    if kinds:
        query = query.where(TimerRow.kind.in_(kinds))
    return await fetch(uow, query)


async def checkin_rows(uow: Uow, pair_id: int | None = None) -> list[Any]:
    query = select(CheckInRow.__table__).order_by(CheckInRow.pair_id, CheckInRow.seq)
    if pair_id is not None:
        query = query.where(CheckInRow.pair_id == pair_id)
    return await fetch(uow, query)


async def escalation_rows(uow: Uow) -> list[Any]:
    return await fetch(uow, select(EscalationRow.__table__).order_by(EscalationRow.id))


async def home_rows(uow: Uow) -> list[Any]:
    return await fetch(uow, select(HomeSafeRow.__table__).order_by(HomeSafeRow.id))


async def location_rows(uow: Uow) -> list[Any]:
    return await fetch(uow, select(LocationRow.__table__))


async def walk_state(uow: Uow, session_id: int) -> str:
    (row,) = await fetch(uow, select(SessionRow.walk_state).where(SessionRow.id == session_id))
    return str(row.walk_state)


async def pair_members(uow: Uow, session_id: int) -> list[list[int]]:
    """Telegram ids of each pair, pairs by number, members by position."""
    rows = await fetch(
        uow,
        select(PairRow.number, VolunteerRow.telegram_id)
        .join(PairMemberRow, PairMemberRow.pair_id == PairRow.id)
        .join(VolunteerRow, VolunteerRow.id == PairMemberRow.volunteer_id)
        .where(PairRow.session_id == session_id)
        .order_by(PairRow.number, PairMemberRow.position),
    )
    groups: dict[int, list[int]] = {}
    for number, telegram_id in rows:
        groups.setdefault(number, []).append(telegram_id)
    return list(groups.values())


@dataclass
class Night:
    """Wednesday 2 Dec 2026 with its people signed up; drives the walk with the fake clock."""

    uow: Uow
    config: RotaConfig
    clock: FakeClock
    session_id: int
    ids: dict[int, int] = field(default_factory=dict)  # telegram id -> volunteer id
    roles: dict[str, int] = field(default_factory=dict)  # role key -> role id

    @property
    def plan(self) -> CheckInPlan:
        return self.config.template.checkins

    async def walks(self, when: dtm.datetime | None = None) -> walks.WalkReport:
        """The walk clock's pass (start and end walks), at `when` if given."""
        if when is not None:
            self.clock.set(when)
        return await walks.start_and_end_walks(self.uow, config=self.config, now=self.clock.now())

    async def fire(self, when: dtm.datetime | None = None) -> int:
        """The timer job's pass, at `when` if given; how many timers fired."""
        if when is not None:
            self.clock.set(when)
        return await timers.fire_due_timers(self.uow, config=self.config, now=self.clock.now())

    async def run(self, when: dtm.datetime) -> int:
        """Both jobs, as the bot runs them, at `when`."""
        await self.walks(when)
        return await self.fire()

    async def start(self) -> None:
        """19:00: the walk starts."""
        report = await self.walks(START)
        assert report.started == 1

    async def pair_ids(self) -> list[int]:
        rows = await fetch(
            self.uow,
            select(PairRow.id)
            .where(PairRow.session_id == self.session_id)
            .order_by(PairRow.number),
        )
        return [r.id for r in rows]

    async def checkin_ids(self, pair_id: int) -> list[int]:
        return [r.id for r in await checkin_rows(self.uow, pair_id)]


Person = tuple[int, str, tuple[str, ...], str | None]  # telegram id, name, tags, role key


async def _register(work: UnitOfWork, now: dtm.datetime, people: list[Person]) -> dict[int, int]:
    ids = {}
    for telegram_id, name, tags, _role in people:
        volunteer = await work.volunteers.add(
            telegram_id=telegram_id,
            display_name=name,
            username=None,
            tags=frozenset(tags),
            now=now,
        )
        ids[telegram_id] = volunteer.id
    return ids


async def _sign_up(
    work: UnitOfWork,
    now: dtm.datetime,
    session_id: int,
    roles: dict[str, int],
    places: list[tuple[int, str]],
) -> None:
    for volunteer_id, role in places:
        assert await work.signups.claim_place(roles[role])
        await work.signups.add(
            session_id=session_id,
            role_id=roles[role],
            volunteer_id=volunteer_id,
            status=SignUpStatus.CONFIRMED,
            now=now,
        )


async def add_people(
    uow: Uow, clock: FakeClock, session_id: int, roles: dict[str, int], people: list[Person]
) -> dict[int, int]:
    """Register people and give them confirmed places: telegram id -> volunteer id."""
    async with uow() as work:
        ids = await _register(work, clock.now(), people)
        places = [(ids[t], role) for t, _name, _tags, role in people if role is not None]
        await _sign_up(work, clock.now(), session_id, roles, places)
        await work.commit()
    return ids


def walker(telegram_id: int) -> tuple[int, str, tuple[str, ...], str | None]:
    name, tags = WALKERS[telegram_id]
    return (telegram_id, name, tags, "walker")


async def make_night(
    uow: Uow,
    config: RotaConfig,
    clock: FakeClock,
    *,
    walkers: tuple[int, ...] = (TIA, NELL),
    oncall: bool = True,
    lead: bool = True,
    dropin: bool = True,
    team_chat: int | None = TEAM_CHAT,
    **plan: Any,
) -> Night:
    """Sign the night's people up on Monday noon; the clock is left there."""
    config = with_capacity(config, "walker", 6)
    config = dataclasses.replace(config, team_chat_id=team_chat)
    if plan:
        config = with_plan(config, **plan)
    people: list[Person] = [
        (ADMIN_ID, "Ada Admin", ("coordinator",), None),
        (CORA, "Cora", ("coordinator",), "oncall" if oncall else None),
        (DOT, "Dot", ("coordinator",), None),
        (LENA, "Lena", ("lead", "trained"), "lead" if lead else None),
        (DEE, "Dee", ("trained",), "dropin" if dropin else None),
        (OUTSIDER, "Olive", ("trained",), None),
    ]
    people += [walker(t) for t in walkers]
    async with uow() as work:  # the template's next Wednesday, then the people
        session_id, roles = await _wednesday(work, config, clock.now(), 0)
        ids = await _register(work, clock.now(), people)
        places = [(ids[t], role) for t, _name, _tags, role in people if role is not None]
        await _sign_up(work, clock.now(), session_id, roles, places)
        await work.commit()
    return Night(uow=uow, config=config, clock=clock, session_id=session_id, ids=ids, roles=roles)


async def _wednesday(
    work: UnitOfWork, config: RotaConfig, now: dtm.datetime, weeks: int
) -> tuple[int, dict[str, int]]:
    """The template session `weeks` after 2 Dec, as sync_sessions would have made it."""
    (spec,) = config.template.sessions
    session = await work.sessions.add(
        template_key=spec.key,
        local_date=WALK_DAY + WEEK * weeks,
        starts_at=START + WEEK * weeks,
        ends_at=END + WEEK * weeks,
        meeting_point=spec.meeting_point,
        note="",
        roles=config.template.roles,
        now=now,
    )
    return session.id, {r.key: r.id for r in await work.sessions.roles([session.id])}


async def next_week(night: Night) -> Night:
    """The same people on the following Wednesday (9 Dec), signed up now."""
    async with night.uow() as work:
        session_id, roles = await _wednesday(work, night.config, night.clock.now(), 1)
        roster = await work.signups.roster([night.session_id])
        places = [(e.volunteer.id, e.role.key) for e in roster]
        await _sign_up(work, night.clock.now(), session_id, roles, places)
        await work.commit()
    return dataclasses.replace(night, session_id=session_id, roles=roles)


async def end_quietly(night: Night) -> None:
    """A quiet walk (every check-in made on time, by Tia), then 23:00: the session ends."""
    async with night.uow() as work:
        for row in await checkin_rows(night.uow):
            await work.safety.close_checkin(row.id, by=night.ids[TIA], at=row.due_at)
            await work.safety.cancel_timers(walks.CHECKIN_TIMERS, [row.id])
        await work.commit()
    report = await night.walks(END)
    assert report.ended == 1
