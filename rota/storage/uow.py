"""The SQLAlchemy unit of work: one AsyncSession, one transaction, all repositories."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rota.briefings.ports import BriefingRepository
from rota.kernel.outbox import OutboxRepository
from rota.people.ports import InviteRepository, VolunteerRepository
from rota.privacy.ports import ErasureRepository, MyDataRepository, RetentionRepository
from rota.reports.ports import ReportRepository
from rota.roster.ports import SessionRepository, SignUpRepository, TeamPostRepository
from rota.safety.ports import SafetyRepository
from rota.staffing.ports import StaffingRepository
from rota.storage.briefings_repository import SqlBriefings
from rota.storage.erasure_repository import SqlErasure
from rota.storage.my_data_repository import SqlMyData
from rota.storage.reports_repository import SqlReports
from rota.storage.repositories import (
    SqlInvites,
    SqlOutbox,
    SqlSessions,
    SqlSignUps,
    SqlTeamPosts,
    SqlVolunteers,
)
from rota.storage.retention_repository import SqlRetention
from rota.storage.safety_repository import SqlSafety
from rota.storage.staffing_repository import SqlStaffing

log = logging.getLogger(__name__)


class SqlAlchemyUnitOfWork:
    """Everything done inside `async with` commits together on commit(), else rolls back."""

    volunteers: VolunteerRepository
    invites: InviteRepository
    sessions: SessionRepository
    signups: SignUpRepository
    outbox: OutboxRepository
    team_posts: TeamPostRepository
    safety: SafetyRepository
    erasure: ErasureRepository
    briefings: BriefingRepository
    staffing: StaffingRepository
    reports: ReportRepository
    retention: RetentionRepository
    my_data: MyDataRepository
    memo: dict[Hashable, object]

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        on_outbox_commit: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._db: AsyncSession | None = None
        self._on_outbox_commit = on_outbox_commit
        self._outbox: SqlOutbox | None = None

    async def __aenter__(self) -> Self:
        self._db = self._sessions()
        self.volunteers = SqlVolunteers(self._db)
        self.invites = SqlInvites(self._db)
        self.sessions = SqlSessions(self._db)
        self.signups = SqlSignUps(self._db)
        self.outbox = self._outbox = SqlOutbox(self._db)
        self.team_posts = SqlTeamPosts(self._db)
        self.safety = SqlSafety(self._db)
        self.erasure = SqlErasure(self._db)
        self.briefings = SqlBriefings(self._db)
        self.staffing = SqlStaffing(self._db)
        self.reports = SqlReports(self._db)
        self.retention = SqlRetention(self._db)
        self.my_data = SqlMyData(self._db)
        self.memo = {}
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._db is not None
        try:
            await self._db.rollback()
        finally:
            await self._db.close()
            self._db = None

    async def commit(self) -> None:
        """Commit; if outbox rows went in, tell the dispatcher (after the commit, not before:
        it must find them)."""
        assert self._db is not None
        await self._db.commit()
        outbox = self._outbox
        if outbox is not None and outbox.added:
            outbox.added = False
            if self._on_outbox_commit is not None:
                try:
                    self._on_outbox_commit()
                except Exception:  # the rows are committed: the periodic sweep still sends them
                    log.exception("could not wake the dispatcher after a commit")

    async def rollback(self) -> None:
        assert self._db is not None
        await self._db.rollback()
        if self._outbox is not None:
            self._outbox.added = False  # rolled back: nothing new to deliver


class SqlAlchemyUnitOfWorkFactory:
    """Builds units of work over one engine; handed to the bot as its storage."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        # Called after any commit that added outbox rows; the bot wires it to the dispatcher.
        self.on_outbox_commit: Callable[[], None] | None = None

    def __call__(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self._sessions, self.on_outbox_commit)
