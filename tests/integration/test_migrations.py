"""The Alembic migrations build exactly the schema the tables describe, on both databases."""

from __future__ import annotations

import datetime as dtm
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from rota.storage.engine import create_engine
from rota.storage.migrate import current_revision, head_revision, upgrade
from rota.storage.tables import Base, VolunteerRow
from tests.services.helpers import Uow, snapshot


async def _differences(engine: AsyncEngine) -> list[Any]:
    def compare(connection: Any) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as conn:
        return await conn.run_sync(compare)


async def _schema(engine: AsyncEngine) -> dict[str, Any]:
    """Tables with their columns, indexes and unique constraints, as reflected."""

    def reflect(connection: Any) -> dict[str, Any]:
        inspector = inspect(connection)
        return {
            name: (
                [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)],
                sorted(i["name"] for i in inspector.get_indexes(name)),
                sorted(str(u["name"]) for u in inspector.get_unique_constraints(name)),
            )
            for name in sorted(inspector.get_table_names())
        }

    async with engine.connect() as conn:
        return await conn.run_sync(reflect)


async def test_migrated_database_matches_the_table_definitions(engine: AsyncEngine) -> None:
    assert await _differences(engine) == []


async def test_the_comparison_notices_a_schema_that_drifted(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("DROP INDEX ix_signups_volunteer"))
    try:
        differences = await _differences(engine)
    finally:  # on PostgreSQL the schema is shared by later tests
        async with engine.begin() as conn:
            await conn.execute(text("CREATE INDEX ix_signups_volunteer ON signups (volunteer_id)"))

    assert [(d[0], d[1].name) for d in differences] == [("add_index", "ix_signups_volunteer")]
    assert await _differences(engine) == []


async def test_migrated_database_is_at_the_head_revision(engine: AsyncEngine) -> None:
    head = head_revision()

    assert head is not None
    assert await current_revision(engine) == head


async def test_upgrading_again_changes_nothing(engine: AsyncEngine, uow: Uow) -> None:
    async with uow() as u:
        await u.volunteers.add(
            telegram_id=5,
            display_name="Ana",
            username=None,
            tags=frozenset({"trained"}),
            now=dtm.datetime(2026, 11, 30, 12, tzinfo=dtm.UTC),
        )
        await u.commit()
    schema, rows = await _schema(engine), await snapshot(uow)

    await upgrade(engine)

    assert await current_revision(engine) == head_revision()
    assert await _schema(engine) == schema
    assert await snapshot(uow) == rows
    assert len(rows[VolunteerRow.__tablename__]) == 1
    assert await _differences(engine) == []


async def test_an_empty_database_has_no_revision_until_upgraded(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert await current_revision(engine) is None

        await upgrade(engine)

        assert await current_revision(engine) == head_revision()
        assert set(await _schema(engine)) == {t.name for t in Base.metadata.sorted_tables} | {
            "alembic_version"
        }
    finally:
        await engine.dispose()
