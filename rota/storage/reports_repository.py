"""The reports feature's rows in SQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class SqlReports:
    """Storage for the reports feature."""

    def __init__(self, db_session: AsyncSession) -> None:
        self._db = db_session
