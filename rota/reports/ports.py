"""What the report use cases need from storage."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Mapping, Sequence
from typing import Protocol

from rota.reports.model import Debrief, StaffedRole
from rota.roster.model import Session
from rota.safety.model import CheckIn, Escalation


class ReportRepository(Protocol):
    """Storage for debriefs, and the read-only queries the monthly report runs."""

    async def sessions_between(self, first: dtm.date, last: dtm.date) -> list[Session]: ...
    async def sessions_to_debrief(
        self, *, now: dtm.datetime, since: dtm.datetime
    ) -> list[Session]: ...
    async def add_debrief(
        self, session_id: int, *, lead_id: int | None, now: dtm.datetime
    ) -> Debrief | None: ...
    async def debrief(self, debrief_id: int) -> Debrief | None: ...
    async def open_debriefs(self, *, since: dtm.datetime) -> list[Debrief]: ...
    async def record_answer(
        self,
        debrief_id: int,
        *,
        expected_step: int,
        by: int,
        answers: Mapping[str, int],
        new_step: int,
        finished_at: dtm.datetime | None = None,
        incident: str | None = None,
    ) -> bool: ...
    async def debriefs(self, session_ids: Sequence[int]) -> list[Debrief]: ...
    async def staffed_roles(self, session_ids: Sequence[int]) -> list[StaffedRole]: ...
    async def checkins(self, session_ids: Sequence[int]) -> list[CheckIn]: ...
    async def escalations(self, session_ids: Sequence[int]) -> list[Escalation]: ...
    async def log_counts(
        self, session_ids: Sequence[int], events: Sequence[str]
    ) -> dict[str, int]: ...
