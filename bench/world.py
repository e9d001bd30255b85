"""A Wednesday night with P walking pairs, seeded fast, and put at a chosen moment.

Why: every safety benchmark needs the same thing — many pairs out walking, the bot about to
do something (prompt, escalate) at a known instant — and setting that up through Telegram,
one invite and one tap at a time, would take longer than the measurement.

How the night is seeded (`build_world(db, P, via=...)`). Two paths write the SAME rows
(checked row for row on SQLite and PostgreSQL at 3 pairs, all tables involved):

- `via="services"`: people and places through the repositories (`uow.volunteers.add`,
  `uow.signups.claim_place` / `add`, one transaction, as tests/safety/support.py does), the
  walk started by the real `walks.start_and_end_walks` at 19:00. Measured at 1,000 pairs:
  people 10.9 s + walk start 63.8 s on SQLite, 6.6 s + 47.3 s on PostgreSQL (add_timer does
  a SELECT and a flush per timer: 21,000 timers).
- `via="sql"` (default): the same rows in bulk INSERTs (pairing is still the real
  `make_pairs` on the real roster). 1,000 pairs: people 0.7 s + walk 3.5 s on SQLite,
  0.4 s + 3.0 s on PostgreSQL.

The session is added as `sync_sessions` makes it (template key + local date), so the bot's
own sync at start-up finds it and adds nothing for that night.

`World.advance(N, via=...)` then puts the night at "check-ins before N made on time (first
member, at the due time; their timers cancelled — as tests/safety/support.py `end_quietly`
does); check-in N's prompt and reminder fired and delivered". `via="services"` calls the
real `timers.fire_due_timers` at the prompt and the reminder instants (two transactions per
timer and a re-read of every pair per timer: O(P^2), 4.8 s at 100 pairs on SQLite); `"sql"`
writes the same timers `done`, outbox rows, safety-log rows in bulk (0.8 s / 1.3 s at 1,000
pairs). Then every pending outbox row (walk_started, prompts, reminders) is marked sent as
`delivery.record_outcome(Sent)` would, with made-up message ids. The next thing due is check-in
N's ESCALATE timer for every pair at `escalate_at(N)`.

Fake users: `attach(tg)` creates one fake Telegram user per person with the ids stored in the
database, marked started. Names are unique and searchable in alert texts ("Walker0001").
"""

from __future__ import annotations

import dataclasses
import datetime as dtm
import json
import time
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.dbs import BenchDb
from bench.running import ADMIN_ID, ZONE
from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.people import FakeUser
from rota.checkin_plan import due_times
from rota.config import RotaConfig
from rota.model import SignUpStatus
from rota.pairing import make_pairs
from rota.safety_model import TimerKind
from rota.services import timers, walks
from rota.services.checkins import CHECKIN_REF
from rota.services.common import iso
from rota.storage.tables import (
    BriefingRow,
    CheckInRow,
    MilestoneRow,
    OutboxRow,
    PairMemberRow,
    PairRow,
    RoleRow,
    SafetyLogRow,
    SessionRow,
    SignUpRow,
    TimerRow,
    VolunteerRow,
)
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from rota.template import parse_template

T = TypeVar("T")

# The night: Wednesday 9 Dec 2026, 19:00-23:00 London = UTC (GMT, no clock change near).
WALK_DAY = dtm.date(2026, 12, 9)
ONCALL_ID = 500_001
LEAD_ID = 500_002
WALKER_BASE = 1_000_000  # walker i (1-based) has Telegram id WALKER_BASE + i
# Seed at Monday noon before the night, as a coordinator would.
SEED_AT = dtm.datetime(2026, 12, 7, 12, 0, tzinfo=dtm.UTC)

TEMPLATE = """
late_notice = "48h"

[[session]]
key = "wednesday"
weekday = "wednesday"
start = "19:00"
end = "23:00"
meeting_point = "St Anne's Hall"
weeks_ahead = 1

[[role]]
key = "lead"
label = "Team lead"
capacity = 1
minimum = 1
requires = ["lead"]

[[role]]
key = "walker"
label = "Walker"
capacity = {walkers}
minimum = 2
pairs = true
requires = ["trained", "new"]

[[role]]
key = "oncall"
label = "On-call coordinator"
capacity = 1
minimum = 1
requires = ["coordinator"]

[checkins]
interval = "30m"
grace = "5m"
escalate_after = "10m"
reescalate_after = "5m"
home_safe_within = "90m"
"""


def walker_name(i: int) -> str:
    """Unique, zero-padded, so 'Walker0001' never matches inside 'Walker00010'."""
    return f"Walker{i:04d}"


def make_config(pairs: int, **plan: dtm.timedelta) -> RotaConfig:
    """The bench template: walker capacity 2P (at least 2), a lead and an on-call role.

    rota.toml caps a role's capacity at 100 (rota/template.py), so the walker capacity is
    set on the parsed template, as tests/safety/support.py `with_capacity` does.
    """
    walkers = max(2, 2 * pairs)
    template = parse_template(TEMPLATE.format(walkers=min(walkers, 100)), source="bench.toml")
    roles = tuple(
        dataclasses.replace(r, capacity=walkers) if r.key == "walker" else r
        for r in template.roles
    )
    checkins = dataclasses.replace(template.checkins, **plan)  # type: ignore[arg-type]
    template = dataclasses.replace(template, roles=roles, checkins=checkins)
    return RotaConfig(template=template, zone=ZONE, admin_ids=frozenset({ADMIN_ID}))


@dataclass(frozen=True)
class Person:
    """Someone on the night: Telegram id, name, volunteer id in the database."""

    telegram_id: int
    name: str
    volunteer_id: int


@dataclass(frozen=True)
class WorldPair:
    """One walking pair as the walk service made it, with its check-in ids by seq (1-based)."""

    pair_id: int
    number: int
    members: tuple[Person, ...]
    checkin_ids: tuple[int, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.members)


@dataclass
class World:
    """The seeded night. Instants are aware UTC; `setup_seconds` says what took how long."""

    db: BenchDb
    config: RotaConfig
    session_id: int
    starts_at: dtm.datetime
    ends_at: dtm.datetime
    admin: Person
    oncall: Person
    lead: Person
    walkers: list[Person]
    pairs: list[WorldPair]
    setup_seconds: dict[str, float] = field(default_factory=dict)
    users: dict[int, FakeUser] = field(default_factory=dict)  # telegram id -> fake user

    # ---- instants of the plan

    def due(self, seq: int) -> dtm.datetime:
        """When check-in `seq` (1-based) is due: the prompt goes then."""
        return self.starts_at + seq * self.config.template.checkins.interval

    def remind_at(self, seq: int) -> dtm.datetime:
        return self.due(seq) + self.config.template.checkins.grace

    def escalate_at(self, seq: int) -> dtm.datetime:
        """When a silent pair's check-in `seq` escalates to the on-call coordinator (step 1)."""
        return self.due(seq) + self.config.template.checkins.escalate_after

    # ---- people in the fake Telegram

    @property
    def coordinator_chats(self) -> list[int]:
        """Private chats of the coordinators (the bootstrap admin and the on-call)."""
        return [self.admin.telegram_id, self.oncall.telegram_id]

    def everyone(self) -> list[Person]:
        return [self.admin, self.oncall, self.lead, *self.walkers]

    def attach(self, tg: FakeTelegram) -> dict[int, FakeUser]:
        """Create every person in `tg` with the stored Telegram id, already started."""
        self.users = {}
        for person in self.everyone():
            user = tg.user(person.name, user_id=person.telegram_id)
            tg.mark_started(user)
            self.users[person.telegram_id] = user
        return self.users

    def user(self, person: Person) -> FakeUser:
        return self.users[person.telegram_id]

    def pair_users(self, pair: WorldPair) -> list[FakeUser]:
        return [self.users[m.telegram_id] for m in pair.members]

    # ---- moving the night on

    async def advance(self, seq: int, *, via: str = "sql") -> None:
        """Check-ins before `seq` made on time; check-in `seq` prompted and reminded, delivered.

        After this, the next thing due is check-in `seq`'s escalation at `escalate_at(seq)`
        (for every pair at once), and the outbox holds nothing pending.
        """
        began = time.perf_counter()
        engine = self.db.engine()
        try:
            await self._close_before(engine, seq)
            if via == "services":
                uow = SqlAlchemyUnitOfWorkFactory(engine)
                await timers.fire_due_timers(uow, config=self.config, now=self.due(seq))
                await timers.fire_due_timers(uow, config=self.config, now=self.remind_at(seq))
            elif via == "sql":
                await self._fire_in_bulk(engine, seq)
            else:
                raise ValueError(f"via must be 'sql' or 'services', not {via!r}")
            await mark_outbox_sent(engine, now=self.remind_at(seq))
        finally:
            await engine.dispose()
        self.setup_seconds[f"advance_{via}"] = time.perf_counter() - began

    async def deliver_pending(self, now: dtm.datetime) -> None:
        """Mark every pending outbox row sent (e.g. walk_started), leaving timers alone."""
        engine = self.db.engine()
        try:
            await mark_outbox_sent(engine, now=now)
        finally:
            await engine.dispose()

    async def _close_before(self, engine: AsyncEngine, seq: int) -> None:
        earlier = [c for p in self.pairs for c in p.checkin_ids[: seq - 1]]
        if not earlier:
            return
        by = {c: p.members[0].volunteer_id for p in self.pairs for c in p.checkin_ids[: seq - 1]}
        async with engine.begin() as conn:
            for chunk in _chunks(earlier, 500):
                rows = await conn.execute(
                    select(CheckInRow.id, CheckInRow.due_at).where(CheckInRow.id.in_(chunk))
                )
                for checkin_id, due_at in rows.all():
                    await conn.execute(
                        update(CheckInRow)
                        .where(CheckInRow.id == checkin_id, CheckInRow.state == "open")
                        .values(state="ok", checked_by=by[checkin_id], checked_at=due_at)
                    )
                await conn.execute(
                    update(TimerRow)
                    .where(
                        TimerRow.kind.in_([k.value for k in walks.CHECKIN_TIMERS]),
                        TimerRow.ref_id.in_(chunk),
                        TimerRow.state == "pending",
                    )
                    .values(state="cancelled")
                )

    async def _fire_in_bulk(self, engine: AsyncEngine, seq: int) -> None:
        """What fire_due_timers writes for the PROMPT and REMIND timers of check-in `seq`."""
        total = len(self.pairs[0].checkin_ids) if self.pairs else 0
        due = self.due(seq)
        outbox: list[dict[str, object]] = []
        log: list[dict[str, object]] = []
        for kind, event, at in (
            ("checkin_prompt", "prompt", due),
            ("checkin_reminder", "reminder", self.remind_at(seq)),
        ):
            for pair in self.pairs:
                checkin_id = pair.checkin_ids[seq - 1]
                for member in pair.members:
                    partners = [m.name for m in pair.members if m is not member]
                    payload = {
                        "checkin_id": checkin_id,
                        "seq": seq,
                        "total": total,
                        "due_at": iso(due),
                        "partners": partners,
                    }
                    outbox.append(
                        dict(
                            kind=kind,
                            chat_id=member.telegram_id,
                            payload=json.dumps(payload, sort_keys=True),
                            dedupe_key=f"{kind}:{checkin_id}:{member.volunteer_id}",
                            priority=1,
                            ref_kind=CHECKIN_REF,
                            ref_id=checkin_id,
                            edit_of=None,
                            state="pending",
                            due_at=at,
                            attempts=0,
                            created_at=at,
                        )
                    )
                names = " and ".join(
                    [", ".join(pair.names[:-1]), pair.names[-1]]
                    if len(pair.names) > 1
                    else list(pair.names)
                )
                log.append(
                    dict(
                        session_id=self.session_id,
                        at=at,
                        event=event,
                        detail=f"check-in {seq}/{total} to {names}"[:400],
                        pair_id=pair.pair_id,
                        volunteer_id=None,
                        escalation_id=None,
                    )
                )
        checkins = [p.checkin_ids[seq - 1] for p in self.pairs]
        async with engine.begin() as conn:
            if outbox:
                await conn.execute(insert(OutboxRow), outbox)
                await conn.execute(insert(SafetyLogRow), log)
            for kind, at in ((TimerKind.PROMPT, due), (TimerKind.REMIND, self.remind_at(seq))):
                for chunk in _chunks(checkins, 500):
                    await conn.execute(
                        update(TimerRow)
                        .where(
                            TimerRow.kind == kind.value,
                            TimerRow.ref_id.in_(chunk),
                            TimerRow.state == "pending",
                        )
                        .values(state="done", fired_at=at, locked_until=None)
                    )


def _chunks(values: Sequence[T], size: int) -> list[Sequence[T]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


async def mark_outbox_sent(engine: AsyncEngine, *, now: dtm.datetime) -> int:
    """Every pending outbox row marked sent, as the dispatcher records a Telegram success.

    The message ids are made up (no fake message exists): fine for rows nobody edits later
    (walk_started, the prompts of a pair that never answers).
    """
    async with engine.begin() as conn:
        ids = list(await conn.scalars(select(OutboxRow.id).where(OutboxRow.state == "pending")))
        for chunk in _chunks(ids, 500):
            await conn.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(chunk))
                .values(
                    state="sent",
                    sent_at=now,
                    locked_until=None,
                    attempts=OutboxRow.attempts + 1,
                    message_id=900_000_000 + OutboxRow.id,
                )
            )
    return len(ids)


def _local(day: dtm.date, hour: int) -> dtm.datetime:
    return dtm.datetime(
        day.year, day.month, day.day, hour, tzinfo=zoneinfo.ZoneInfo(ZONE)
    ).astimezone(dtm.UTC)


async def build_world(
    db: BenchDb,
    pairs: int,
    *,
    start_walk: bool = True,
    via: str = "sql",
    plan: dict[str, dtm.timedelta] | None = None,
) -> World:
    """Seed the night with `pairs` pairs on `db` (migrated, empty) and start the walk.

    `via="services"` registers people through the repositories one by one and starts the
    walk with `walks.start_and_end_walks`; `via="sql"` (default) writes the same rows in
    bulk (checked equal, row for row, at 3 pairs) because the services take ~75 s at 1,000
    pairs on SQLite. With `start_walk=False` the walk is left for the bot's walk clock. `plan`
    changes the [checkins] plan (e.g. a long grace, so no reminder interrupts a measurement).
    """
    if pairs < 1:
        raise ValueError("at least one pair")
    if via not in ("sql", "services"):
        raise ValueError(f"via must be 'sql' or 'services', not {via!r}")
    config = make_config(pairs, **(plan or {}))
    (spec,) = config.template.sessions
    starts_at, ends_at = _local(WALK_DAY, 19), _local(WALK_DAY, 23)
    seconds: dict[str, float] = {}
    engine = db.engine()
    uow = SqlAlchemyUnitOfWorkFactory(engine)
    try:
        began = time.perf_counter()
        people: list[tuple[int, str, frozenset[str], str | None]] = [
            (ADMIN_ID, "Ada Admin", frozenset({"coordinator"}), None),
            (ONCALL_ID, "Cora Oncall", frozenset({"coordinator"}), "oncall"),
            (LEAD_ID, "Lena Lead", frozenset({"lead", "trained"}), "lead"),
        ]
        people += [
            (WALKER_BASE + i, walker_name(i), frozenset({"trained"}), "walker")
            for i in range(1, 2 * pairs + 1)
        ]
        async with uow() as work:
            session = await work.sessions.add(
                template_key=spec.key,
                local_date=WALK_DAY,
                starts_at=starts_at,
                ends_at=ends_at,
                meeting_point=spec.meeting_point,
                note="",
                roles=config.template.roles,
                now=SEED_AT,
            )
            roles = {r.key: r.id for r in await work.sessions.roles([session.id])}
            await work.commit()
        if via == "services":
            ids = await _people_by_services(uow, session.id, roles, people)
        else:
            ids = await _people_in_bulk(engine, session.id, roles, people)
        await _before_the_night(engine, session.id, list(ids.values()), starts_at)
        seconds["people"] = time.perf_counter() - began

        persons = {t: Person(t, name, ids[t]) for t, name, _tags, _role in people}
        world = World(
            db=db,
            config=config,
            session_id=session.id,
            starts_at=starts_at,
            ends_at=ends_at,
            admin=persons[ADMIN_ID],
            oncall=persons[ONCALL_ID],
            lead=persons[LEAD_ID],
            walkers=[persons[WALKER_BASE + i] for i in range(1, 2 * pairs + 1)],
            pairs=[],
            setup_seconds=seconds,
        )
        if start_walk:
            began = time.perf_counter()
            if via == "services":
                report = await walks.start_and_end_walks(uow, config=config, now=starts_at)
                if report.started != 1:
                    raise RuntimeError(f"the walk did not start: {report}")
            else:
                await _start_walk_in_bulk(uow, engine, session.id, config, starts_at, ends_at)
            seconds["start_walk"] = time.perf_counter() - began
            world.pairs = await _read_pairs(engine, session.id, persons)
    finally:
        await engine.dispose()
    return world


People = list[tuple[int, str, frozenset[str], str | None]]


async def _people_by_services(
    uow: SqlAlchemyUnitOfWorkFactory, session_id: int, roles: dict[str, int], people: People
) -> dict[int, int]:
    """What tests/safety/support.py does: repositories, one transaction."""
    ids: dict[int, int] = {}
    async with uow() as work:
        for telegram_id, name, tags, role in people:
            volunteer = await work.volunteers.add(
                telegram_id=telegram_id,
                display_name=name,
                username=None,
                tags=tags,
                now=SEED_AT,
            )
            ids[telegram_id] = volunteer.id
            if role is not None:
                if not await work.signups.claim_place(roles[role]):
                    raise RuntimeError(f"no place left for {name} in {role}")
                await work.signups.add(
                    session_id=session_id,
                    role_id=roles[role],
                    volunteer_id=volunteer.id,
                    status=SignUpStatus.CONFIRMED,
                    now=SEED_AT,
                )
        await work.commit()
    return ids


async def _people_in_bulk(
    engine: AsyncEngine, session_id: int, roles: dict[str, int], people: People
) -> dict[int, int]:
    """The rows SqlVolunteers.add / SqlSignUps.claim_place / add write, in three statements."""
    async with engine.begin() as conn:
        result = await conn.execute(
            insert(VolunteerRow).returning(
                VolunteerRow.telegram_id, VolunteerRow.id, sort_by_parameter_order=True
            ),
            [
                dict(
                    telegram_id=t,
                    display_name=name,
                    username=None,
                    phone=None,
                    tags=",".join(sorted(tags)),
                    status="active",
                    joined_at=SEED_AT,
                )
                for t, name, tags, _role in people
            ],
        )
        ids = {t: v for t, v in result.all() if t is not None}
        places = [(ids[t], role) for t, _n, _tags, role in people if role is not None]
        await conn.execute(
            insert(SignUpRow),
            [
                dict(
                    session_id=session_id,
                    role_id=roles[role],
                    volunteer_id=volunteer_id,
                    status=SignUpStatus.CONFIRMED.value,
                    created_at=SEED_AT,
                    updated_at=SEED_AT,
                )
                for volunteer_id, role in places
            ],
        )
        for role, role_id in roles.items():
            filled = sum(1 for _v, r in places if r == role)
            if filled:
                await conn.execute(
                    update(RoleRow).where(RoleRow.id == role_id).values(filled=filled)
                )
    return ids


# What a real night has behind it by 19:00: its once-only rounds claimed (briefings at
# 16:00, the day-before reminder, the staffing alerts, the unread-briefing alert).
DONE_MILESTONES = ("briefing", "unread_alert", "reminder", "understaffed_1", "understaffed_2")


async def _before_the_night(
    engine: AsyncEngine, session_id: int, volunteer_ids: list[int], starts_at: dtm.datetime
) -> None:
    """Briefings sent and read, and the pre-shift rounds done, as by 19:00 on a real night.

    Without this the bot, started mid-walk, briefs all 2P+3 people first (2,000 messages at
    30/s hold the outbox for over a minute) — a start-up artefact, not the night's load.
    """
    briefed_at = starts_at - dtm.timedelta(hours=3)
    async with engine.begin() as conn:
        await conn.execute(
            insert(MilestoneRow),
            [
                dict(session_id=session_id, milestone=m, done_at=briefed_at)
                for m in DONE_MILESTONES
            ],
        )
        await conn.execute(
            insert(BriefingRow),
            [
                dict(
                    session_id=session_id,
                    volunteer_id=v,
                    sent_at=briefed_at,
                    read_at=briefed_at + dtm.timedelta(minutes=10),
                    notes_version=0,
                )
                for v in volunteer_ids
            ],
        )


def _names(names: Sequence[str]) -> str:
    """Pair.names: 'Ana' / 'Ana and Ben' / 'Ana, Ben and Cat'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


async def _start_walk_in_bulk(
    uow: SqlAlchemyUnitOfWorkFactory,
    engine: AsyncEngine,
    session_id: int,
    config: RotaConfig,
    starts_at: dtm.datetime,
    ends_at: dtm.datetime,
) -> None:
    """The rows walks._start_walk writes at the session's start, in a few bulk statements.

    Pairing itself is the real `make_pairs` on the real roster, so the pairs are the same.
    """
    async with uow() as work:
        walkers = walks.walkers_of(await work.signups.roster([session_id]))
    pairing = make_pairs(walkers)
    if pairing.problems:
        raise RuntimeError(f"pairing problems the bulk path does not write: {pairing.problems}")
    plan = config.template.checkins
    now = starts_at
    dues = [d for d in due_times(starts_at, ends_at, plan.interval) if d > now]
    groups = [list(g) for g in pairing.groups]
    async with engine.begin() as conn:
        await conn.execute(
            update(SessionRow)
            .where(SessionRow.id == session_id, SessionRow.walk_state == "planned")
            .values(walk_state="walking")
        )
        result = await conn.execute(
            insert(PairRow).returning(PairRow.id, sort_by_parameter_order=True),
            [
                dict(session_id=session_id, number=n, manual=False, created_at=now)
                for n in range(1, len(groups) + 1)
            ],
        )
        pair_ids = [r for (r,) in result.all()]
        await conn.execute(
            insert(PairMemberRow),
            [
                dict(pair_id=pid, session_id=session_id, volunteer_id=w.volunteer_id, position=pos)
                for pid, group in zip(pair_ids, groups, strict=True)
                for pos, w in enumerate(group)
            ],
        )
        await conn.execute(
            insert(SafetyLogRow),
            [
                dict(
                    session_id=session_id,
                    at=now,
                    event="pairs_made",
                    detail="; ".join(_names([w.name for w in g]) for g in groups)[:400]
                    or "no pairs",
                    pair_id=None,
                    volunteer_id=None,
                    escalation_id=None,
                )
            ],
        )
        checkin_rows = [
            dict(
                session_id=session_id,
                pair_id=pid,
                seq=seq,
                total=len(dues),
                due_at=due,
                state="open",
            )
            for pid in pair_ids
            for seq, due in enumerate(dues, start=1)
        ]
        checkin_ids: list[int] = []
        for chunk in _chunks(checkin_rows, 2000):
            result = await conn.execute(
                insert(CheckInRow).returning(CheckInRow.id, sort_by_parameter_order=True),
                list(chunk),
            )
            checkin_ids += [r for (r,) in result.all()]
        timer_rows = [
            dict(
                kind=kind.value,
                ref_id=cid,
                step=0,
                session_id=session_id,
                due_at=at,
                state="pending",
            )
            for cid, row in zip(checkin_ids, checkin_rows, strict=True)
            for kind, at in (
                (TimerKind.PROMPT, row["due_at"]),
                (TimerKind.REMIND, row["due_at"] + plan.grace),  # type: ignore[operator]
                (TimerKind.ESCALATE, row["due_at"] + plan.escalate_after),  # type: ignore[operator]
            )
        ]
        for chunk in _chunks(timer_rows, 5000):
            await conn.execute(insert(TimerRow), list(chunk))
        notices = []
        telegram = dict(
            (
                await conn.execute(
                    select(VolunteerRow.id, VolunteerRow.telegram_id).where(
                        VolunteerRow.id.in_([w.volunteer_id for g in groups for w in g])
                    )
                )
            ).all()
        )
        for group in groups:
            for w in group:
                if telegram.get(w.volunteer_id) is None:
                    continue
                payload = {
                    "partners": [m.name for m in group if m.volunteer_id != w.volunteer_id],
                    "count": len(dues),
                    "interval": int(plan.interval.total_seconds()),
                    "first_due": iso(dues[0]) if dues else None,
                }
                notices.append(
                    dict(
                        kind="walk_started",
                        chat_id=telegram[w.volunteer_id],
                        payload=json.dumps(payload, sort_keys=True),
                        dedupe_key=f"walk_started:{session_id}:{w.volunteer_id}",
                        priority=1,
                        ref_kind=None,
                        ref_id=None,
                        edit_of=None,
                        state="pending",
                        due_at=now,
                        attempts=0,
                        created_at=now,
                    )
                )
        if notices:
            await conn.execute(insert(OutboxRow), notices)
        await conn.execute(
            insert(SafetyLogRow),
            [
                dict(
                    session_id=session_id,
                    at=now,
                    event="walk_started",
                    detail=f"{len(groups)} pair(s), {len(dues)} check-ins",
                    pair_id=None,
                    volunteer_id=None,
                    escalation_id=None,
                )
            ],
        )


async def _read_pairs(
    engine: AsyncEngine, session_id: int, persons: dict[int, Person]
) -> list[WorldPair]:
    by_volunteer = {p.volunteer_id: p for p in persons.values()}
    async with engine.connect() as conn:
        members = (
            await conn.execute(
                select(PairRow.id, PairRow.number, PairMemberRow.volunteer_id)
                .join(PairMemberRow, PairMemberRow.pair_id == PairRow.id)
                .where(PairRow.session_id == session_id)
                .order_by(PairRow.number, PairMemberRow.position)
            )
        ).all()
        checkins = (
            await conn.execute(
                select(CheckInRow.pair_id, CheckInRow.id)
                .where(CheckInRow.session_id == session_id)
                .order_by(CheckInRow.pair_id, CheckInRow.seq)
            )
        ).all()
    heads: dict[int, int] = {}
    people: dict[int, list[Person]] = {}
    for pair_id, number, volunteer_id in members:
        heads[pair_id] = number
        people.setdefault(pair_id, []).append(by_volunteer[volunteer_id])
    by_pair: dict[int, list[int]] = {}
    for pair_id, checkin_id in checkins:
        by_pair.setdefault(pair_id, []).append(checkin_id)
    return [
        WorldPair(pair_id, number, tuple(people[pair_id]), tuple(by_pair.get(pair_id, ())))
        for pair_id, number in sorted(heads.items(), key=lambda kv: kv[1])
    ]


async def volunteer_names(engine: AsyncEngine) -> dict[int, str]:
    """Telegram id -> display name, straight from the table (for checks in measurements)."""
    async with engine.connect() as conn:
        rows = await conn.execute(select(VolunteerRow.telegram_id, VolunteerRow.display_name))
        return {t: n for t, n in rows.all() if t is not None}


__all__ = [
    "ONCALL_ID",
    "LEAD_ID",
    "WALK_DAY",
    "Person",
    "World",
    "WorldPair",
    "build_world",
    "make_config",
    "mark_outbox_sent",
    "walker_name",
]
