"""A Wednesday night with P walking pairs, seeded fast, and put at a chosen moment.

Why: every safety benchmark needs the same thing — many pairs out walking, the bot about to
do something (prompt, escalate) at a known instant — and setting that up through Telegram,
one invite and one tap at a time, would take longer than the measurement.

How the night is seeded (`build_world(db, P, via=...)`). Two paths write the SAME rows
(tests/integration/test_seeding.py compares them table by table on SQLite and PostgreSQL):

- `via="services"`: people and places through the repositories (`uow.volunteers.add`,
  `uow.signups.claim_place` / `add`, one transaction, as tests/safety/support.py does), the
  walk started by the real `walks.start_and_end_walks` at 19:00. Measured at 1,000 pairs:
  people 10.9 s + walk start 63.8 s on SQLite, 6.6 s + 47.3 s on PostgreSQL (add_timer does
  a SELECT and a flush per timer: 21,000 timers).
- `via="bulk"` (default): the same rows through `rota/storage/seeding.py`, the bulk helpers
  that live beside the storage code (pairing is still the real `make_pairs` on the real
  roster). 1,000 pairs: a few seconds.

The session is added as `sync_sessions` makes it (template key + local date), so the bot's
own sync at start-up finds it and adds nothing for that night.

`World.advance(N, via=...)` then puts the night at "check-ins before N made on time (first
member, at the due time, through the real check-in use case); check-in N's prompt and
reminder fired and delivered". `via="services"` calls the real `timers.fire_due_timers` at
the prompt and the reminder instants (two transactions per timer and a re-read of every pair
per timer: O(P^2), 4.8 s at 100 pairs on SQLite); `"bulk"` fires the same timers with
`seeding.fire_checkin_timers`. Then every pending outbox row (walk_started, prompts,
reminders) is marked sent as `delivery.record_outcome(Sent)` would, with made-up message ids.
The next thing due is check-in N's ESCALATE timer for every pair at `escalate_at(N)`.

Fake users: `attach(tg)` creates one fake Telegram user per person with the ids stored in the
database, marked started. Names are unique and searchable in alert texts ("Walker0001").
"""

from __future__ import annotations

import dataclasses
import datetime as dtm
import time
import zoneinfo
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from bench.dbs import BenchDb
from bench.running import ADMIN_ID, ZONE
from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.people import FakeUser
from rota.kernel.config import RotaConfig
from rota.kernel.template import parse_template
from rota.roster.model import SignUpStatus
from rota.safety import checkins, timers, walks
from rota.safety.model import TimerKind
from rota.storage import seeding
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory

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

    rota.toml caps a role's capacity at 100 (rota/kernel/template.py), so the walker capacity is
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

    async def advance(self, seq: int, *, via: str = "bulk") -> None:
        """Check-ins before `seq` made on time; check-in `seq` prompted and reminded, delivered.

        After this, the next thing due is check-in `seq`'s escalation at `escalate_at(seq)`
        (for every pair at once), and the outbox holds nothing pending.
        """
        if via not in ("bulk", "services"):
            raise ValueError(f"via must be 'bulk' or 'services', not {via!r}")
        began = time.perf_counter()
        engine = self.db.engine()
        uow = SqlAlchemyUnitOfWorkFactory(engine)
        try:
            await self._check_in_before(uow, seq)
            if via == "services":
                await timers.fire_due_timers(uow, config=self.config, now=self.due(seq))
                await timers.fire_due_timers(uow, config=self.config, now=self.remind_at(seq))
            else:
                ids = [p.checkin_ids[seq - 1] for p in self.pairs]
                async with seeding.transaction(engine) as db_session:
                    await seeding.fire_checkin_timers(
                        db_session, TimerKind.PROMPT, ids, now=self.due(seq)
                    )
                async with seeding.transaction(engine) as db_session:
                    await seeding.fire_checkin_timers(
                        db_session, TimerKind.REMIND, ids, now=self.remind_at(seq)
                    )
            async with seeding.transaction(engine) as db_session:
                await seeding.mark_outbox_sent(db_session, now=self.remind_at(seq))
        finally:
            await engine.dispose()
        self.setup_seconds[f"advance_{via}"] = time.perf_counter() - began

    async def deliver_pending(self, now: dtm.datetime) -> None:
        """Mark every pending outbox row sent (e.g. walk_started), leaving timers alone."""
        engine = self.db.engine()
        try:
            async with seeding.transaction(engine) as db_session:
                await seeding.mark_outbox_sent(db_session, now=now)
        finally:
            await engine.dispose()

    async def _check_in_before(self, uow: SqlAlchemyUnitOfWorkFactory, seq: int) -> None:
        """Each pair's first member checks in at each earlier check-in's due time (the real
        use case: one transaction a check-in, fine for the few a benchmark skips over)."""
        for earlier in range(1, seq):
            for pair in self.pairs:
                await checkins.check_in(
                    uow(),
                    telegram_id=pair.members[0].telegram_id,
                    checkin_id=pair.checkin_ids[earlier - 1],
                    config=self.config,
                    now=self.due(earlier),
                )


def _local(day: dtm.date, hour: int) -> dtm.datetime:
    return dtm.datetime(
        day.year, day.month, day.day, hour, tzinfo=zoneinfo.ZoneInfo(ZONE)
    ).astimezone(dtm.UTC)


async def build_world(
    db: BenchDb,
    pairs: int,
    *,
    start_walk: bool = True,
    via: str = "bulk",
    plan: dict[str, dtm.timedelta] | None = None,
) -> World:
    """Seed the night with `pairs` pairs on `db` (migrated, empty) and start the walk.

    `via="services"` registers people through the repositories one by one and starts the
    walk with `walks.start_and_end_walks`; `via="bulk"` (default) writes the same rows with
    rota/storage/seeding.py (tested equal, row for row) because the services take ~75 s at
    1,000 pairs on SQLite. With `start_walk=False` the walk is left for the bot's walk clock.
    `plan` changes the [checkins] plan (e.g. a long grace, so no reminder interrupts a
    measurement).
    """
    if pairs < 1:
        raise ValueError("at least one pair")
    if via not in ("bulk", "services"):
        raise ValueError(f"via must be 'bulk' or 'services', not {via!r}")
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
                async with seeding.transaction(engine) as db_session:
                    await seeding.start_walk(
                        db_session, session.id, plan=config.template.checkins, now=starts_at
                    )
            seconds["start_walk"] = time.perf_counter() - began
            world.pairs = await _read_pairs(uow, session.id, persons)
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
    """What SqlVolunteers.add / SqlSignUps.claim_place / add write, in a few statements."""
    async with seeding.transaction(engine) as db_session:
        ids = await seeding.add_volunteers(
            db_session,
            [seeding.NewPerson(t, name, tags) for t, name, tags, _role in people],
            now=SEED_AT,
        )
        places = [(ids[t], roles[role]) for t, _n, _tags, role in people if role is not None]
        await seeding.add_signups(db_session, session_id, places, now=SEED_AT)
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
    async with seeding.transaction(engine) as db_session:
        await seeding.claim_milestones(db_session, session_id, DONE_MILESTONES, at=briefed_at)
        await seeding.add_briefings(
            db_session,
            session_id,
            volunteer_ids,
            sent_at=briefed_at,
            read_at=briefed_at + dtm.timedelta(minutes=10),
        )


async def _read_pairs(
    uow: SqlAlchemyUnitOfWorkFactory, session_id: int, persons: dict[int, Person]
) -> list[WorldPair]:
    """The walk's pairs and their check-ins, as the repositories read them."""
    by_volunteer = {p.volunteer_id: p for p in persons.values()}
    async with uow() as work:
        pairs = await work.safety.pairs(session_id)
        found = await work.safety.checkins(session_id)
    by_pair: dict[int, list[tuple[int, int]]] = {}
    for checkin in found:
        by_pair.setdefault(checkin.pair_id, []).append((checkin.seq, checkin.id))
    return [
        WorldPair(
            pair.id,
            pair.number,
            tuple(by_volunteer[m.volunteer_id] for m in pair.members),
            tuple(checkin_id for _seq, checkin_id in sorted(by_pair.get(pair.id, []))),
        )
        for pair in sorted(pairs, key=lambda p: p.number)
    ]


__all__ = [
    "ONCALL_ID",
    "LEAD_ID",
    "WALK_DAY",
    "Person",
    "World",
    "WorldPair",
    "build_world",
    "make_config",
    "walker_name",
]
