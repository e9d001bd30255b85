"""The unit of work: one transaction over every feature's repositories."""

from __future__ import annotations

from collections.abc import Hashable
from types import TracebackType
from typing import Protocol, Self

from rota.briefings.ports import BriefingRepository
from rota.kernel.outbox import OutboxRepository
from rota.people.ports import InviteRepository, VolunteerRepository
from rota.privacy.ports import ErasureRepository, MyDataRepository, RetentionRepository
from rota.reports.ports import ReportRepository
from rota.roster.ports import SessionRepository, SignUpRepository, TeamPostRepository
from rota.safety.ports import SafetyRepository
from rota.staffing.ports import StaffingRepository


class UnitOfWork(Protocol):
    """One transaction: everything in it commits together or not at all."""

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
    # Facts read once per transaction (who is on call, who coordinates) when a batch of
    # alarms needs them again and again; gone with the transaction.
    memo: dict[Hashable, object]

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work per use case."""

    def __call__(self) -> UnitOfWork: ...
