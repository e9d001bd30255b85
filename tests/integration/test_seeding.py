"""rota/storage/seeding.py writes the rows the use cases write, on SQLite and PostgreSQL.

The benchmarks seed their nights with it; if a migration or a notice's payload changes and
the bulk helpers do not follow, the night they seed is no longer the bot's, and these fail.
"""

from __future__ import annotations

import datetime as dtm
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from rota.kernel import delivery
from rota.kernel.config import RotaConfig
from rota.kernel.delivery import Sent
from rota.kernel.template import parse_template
from rota.roster.model import Session, SignUpStatus
from rota.safety import timers, walks
from rota.safety.model import TimerKind
from rota.storage import seeding
from rota.storage.tables import Base, CheckInRow, EscalationRow, OutboxRow, RoleRow, TimerRow
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from tests.conftest import ADMIN_ID, ZONE

UTC = dtm.UTC
NIGHT = dtm.date(2026, 12, 2)  # a Wednesday; London is on GMT, so local times are UTC
START = dtm.datetime(2026, 12, 2, 19, 0, tzinfo=UTC)
END = dtm.datetime(2026, 12, 2, 23, 0, tzinfo=UTC)
SEEDED_AT = dtm.datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DUE = START + dtm.timedelta(minutes=30)  # check-in 1
REMIND = DUE + dtm.timedelta(minutes=5)
ESCALATE = DUE + dtm.timedelta(minutes=10)
PAIRS = 3

TEMPLATE = f"""
[[session]]
key = "wednesday"
weekday = "wednesday"
start = "19:00"
end = "23:00"
meeting_point = "St Anne's Hall"

[[role]]
key = "lead"
label = "Team lead"
capacity = 1
minimum = 1
requires = ["lead"]

[[role]]
key = "walker"
label = "Walker"
capacity = {2 * PAIRS}
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
"""

# (Telegram id, name, tags, role): the bootstrap coordinator, the on-call, a lead, walkers.
PEOPLE = [
    (ADMIN_ID, "Ada", frozenset({"coordinator"}), None),
    (501, "Cora", frozenset({"coordinator"}), "oncall"),
    (502, "Lena", frozenset({"lead", "trained"}), "lead"),
    *[(600 + i, f"Walker{i}", frozenset({"trained"}), "walker") for i in range(2 * PAIRS)],
]

Snapshot = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def night_config() -> RotaConfig:
    return RotaConfig(
        template=parse_template(TEMPLATE, source="seeding.toml"),
        zone=ZONE,
        admin_ids=frozenset({ADMIN_ID}),
    )


async def _add_session(uow: SqlAlchemyUnitOfWorkFactory, config: RotaConfig) -> Session:
    (spec,) = config.template.sessions
    async with uow() as work:
        session = await work.sessions.add(
            template_key=spec.key,
            local_date=NIGHT,
            starts_at=START,
            ends_at=END,
            meeting_point=spec.meeting_point,
            note="",
            roles=config.template.roles,
            now=SEEDED_AT,
        )
        await work.commit()
    return session


async def _role_ids(engine: AsyncEngine, session_id: int) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(RoleRow.key, RoleRow.id).where(RoleRow.session_id == session_id)
        )
        return {key: role_id for key, role_id in rows.all()}


async def _first_checkins(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as conn:
        return list(
            await conn.scalars(select(CheckInRow.id).where(CheckInRow.seq == 1).order_by("id"))
        )


async def _night_by_services(uow: SqlAlchemyUnitOfWorkFactory, config: RotaConfig) -> None:
    """The people one by one through the repositories, then the real walk clock and sweep."""
    session = await _add_session(uow, config)
    roles = await _role_ids(uow.engine, session.id)
    async with uow() as work:
        for telegram_id, name, tags, role in PEOPLE:
            volunteer = await work.volunteers.add(
                telegram_id=telegram_id, display_name=name, username=None, tags=tags, now=SEEDED_AT
            )
            if role is not None:
                assert await work.signups.claim_place(roles[role])
                await work.signups.add(
                    session_id=session.id,
                    role_id=roles[role],
                    volunteer_id=volunteer.id,
                    status=SignUpStatus.CONFIRMED,
                    now=SEEDED_AT,
                )
        await work.commit()
    report = await walks.start_and_end_walks(uow, config=config, now=START)
    assert report.started == 1
    assert await timers.fire_due_timers(uow, config=config, now=DUE) == PAIRS
    assert await timers.fire_due_timers(uow, config=config, now=REMIND) == PAIRS
    async with uow() as work:
        items = await work.outbox.claim_due(now=REMIND, lease=dtm.timedelta(seconds=30), limit=99)
        await work.commit()
    for item in items:
        await delivery.record_outcome(uow(), item, Sent(900_000_000 + item.id), now=REMIND)


async def _night_in_bulk(uow: SqlAlchemyUnitOfWorkFactory, config: RotaConfig) -> None:
    """The same night through rota.storage.seeding, a transaction a step."""
    session = await _add_session(uow, config)
    roles = await _role_ids(uow.engine, session.id)
    people = [seeding.NewPerson(t, name, tags) for t, name, tags, _role in PEOPLE]
    async with seeding.transaction(uow.engine) as db_session:
        ids = await seeding.add_volunteers(db_session, people, now=SEEDED_AT)
        places = [(ids[t], roles[role]) for t, _n, _tags, role in PEOPLE if role is not None]
        await seeding.add_signups(db_session, session.id, places, now=SEEDED_AT)
    async with seeding.transaction(uow.engine) as db_session:
        pairs = await seeding.start_walk(
            db_session, session.id, plan=config.template.checkins, now=START
        )
    assert len(pairs) == PAIRS
    first = await _first_checkins(uow.engine)
    async with seeding.transaction(uow.engine) as db_session:
        await seeding.fire_checkin_timers(db_session, TimerKind.PROMPT, first, now=DUE)
    async with seeding.transaction(uow.engine) as db_session:
        await seeding.fire_checkin_timers(db_session, TimerKind.REMIND, first, now=REMIND)
    async with seeding.transaction(uow.engine) as db_session:
        # walk_started, the prompt and the reminder, to each walker
        assert await seeding.mark_outbox_sent(db_session, now=REMIND) == 3 * 2 * PAIRS


async def _snapshot(engine: AsyncEngine) -> Snapshot:
    tables: Snapshot = {}
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            result = await conn.execute(select(table).order_by(*table.primary_key.columns))
            tables[table.name] = [tuple(row) for row in result]
    return tables


async def _empty(engine: AsyncEngine) -> None:
    """Every table emptied and every id counter back at 1, as after the migration."""
    async with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            await conn.execute(
                text(
                    "SELECT setval(c.oid, 1, false) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind = 'S' AND n.nspname = current_schema()"
                )
            )
        elif await conn.scalar(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'")
        ):
            await conn.execute(text("DELETE FROM sqlite_sequence"))


async def test_a_night_seeded_in_bulk_is_row_for_row_the_night_the_services_make(
    uow: SqlAlchemyUnitOfWorkFactory, night_config: RotaConfig
) -> None:
    """People and places, the walk started, check-in 1 prompted and reminded, all delivered."""
    await _night_by_services(uow, night_config)
    by_services = await _snapshot(uow.engine)
    await _empty(uow.engine)
    await _night_in_bulk(uow, night_config)
    in_bulk = await _snapshot(uow.engine)

    for table in ("volunteers", "signups", "pairs", "checkins", "timers", "outbox", "safety_log"):
        assert by_services[table], f"the services wrote no {table}: the comparison proves little"
    for table, rows in by_services.items():
        assert in_bulk[table] == rows, table


async def test_the_safety_sweep_escalates_every_pair_of_a_seeded_night(
    uow: SqlAlchemyUnitOfWorkFactory, night_config: RotaConfig
) -> None:
    """The seeded ESCALATE timers are real: the sweep opens one alert per silent pair."""
    await _night_in_bulk(uow, night_config)
    async with uow() as work:
        assert await work.safety.next_timer_due() == ESCALATE

    assert await timers.fire_due_timers(uow, config=night_config, now=ESCALATE) == PAIRS

    async with uow.engine.connect() as conn:
        alerts = await conn.scalar(select(func.count()).select_from(EscalationRow))
        pending = (
            await conn.execute(
                select(OutboxRow.kind, OutboxRow.chat_id).where(OutboxRow.state == "pending")
            )
        ).all()
        fired = await conn.scalar(
            select(func.count()).where(TimerRow.kind == "escalate", TimerRow.state == "done")
        )
    assert alerts == PAIRS
    assert fired == PAIRS
    assert {kind for kind, _chat in pending} == {"alert"}
    assert 501 in {chat for _kind, chat in pending}  # the on-call coordinator


async def test_a_walker_with_no_partner_is_refused_and_nothing_is_written(
    uow: SqlAlchemyUnitOfWorkFactory, night_config: RotaConfig
) -> None:
    """Pairing problems are the service's to report: the bulk start refuses, writing nothing."""
    session = await _add_session(uow, night_config)
    roles = await _role_ids(uow.engine, session.id)
    async with seeding.transaction(uow.engine) as db_session:
        ids = await seeding.add_volunteers(
            db_session, [seeding.NewPerson(600, "Solo", frozenset({"trained"}))], now=SEEDED_AT
        )
        await seeding.add_signups(db_session, session.id, [(ids[600], roles["walker"])], now=START)
    before = await _snapshot(uow.engine)

    with pytest.raises(ValueError, match="pairing problems"):
        async with seeding.transaction(uow.engine) as db_session:
            await seeding.start_walk(
                db_session, session.id, plan=night_config.template.checkins, now=START
            )

    assert await _snapshot(uow.engine) == before


async def test_more_places_than_a_role_holds_are_refused_and_nothing_is_written(
    uow: SqlAlchemyUnitOfWorkFactory, night_config: RotaConfig
) -> None:
    """Like claim_place, bulk sign-ups never fill a role past its capacity."""
    session = await _add_session(uow, night_config)
    roles = await _role_ids(uow.engine, session.id)
    async with seeding.transaction(uow.engine) as db_session:
        ids = await seeding.add_volunteers(
            db_session,
            [seeding.NewPerson(700 + i, f"Lead{i}", frozenset({"lead"})) for i in range(2)],
            now=SEEDED_AT,
        )
    before = await _snapshot(uow.engine)

    with pytest.raises(ValueError, match="no room for 2 more"):
        async with seeding.transaction(uow.engine) as db_session:
            await seeding.add_signups(
                db_session, session.id, [(v, roles["lead"]) for v in ids.values()], now=START
            )

    assert await _snapshot(uow.engine) == before
