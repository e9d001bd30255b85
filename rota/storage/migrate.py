"""Schema migrations through Alembic, run on our own async engine."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine


def alembic_config() -> Config:
    """Alembic settings pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", "rota.storage:migrations")
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database schema up to `revision` (the newest by default)."""
    config = alembic_config()

    def run(connection: Any) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None for an empty database."""

    def read(connection: Any) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(read)


def head_revision() -> str | None:
    """The newest revision shipped with this version of rotabot."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
