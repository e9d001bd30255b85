"""The briefings feature's rows in SQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class SqlBriefings:
    """Storage for the briefings feature."""

    def __init__(self, db_session: AsyncSession) -> None:
        self._db = db_session
