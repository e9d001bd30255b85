"""What the after-the-shift use cases (debriefs, reports, exports) need from storage."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from rota.model import Session
from rota.safety_model import CheckIn, Escalation


class DebriefState(StrEnum):
    """A debrief is asked one question at a time until every question has an answer."""

    ASKING = "asking"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Debrief:
    """The team lead's anonymous counts for one session, as far as they have got.

    `lead_id` is the volunteer answering: the session's team lead, or (when there was none)
    the first coordinator to answer. `step` is the index of the question being asked now.
    """

    id: int
    session_id: int
    lead_id: int | None
    step: int
    state: DebriefState
    started_at: dtm.datetime
    finished_at: dtm.datetime | None
    answers: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StaffedRole:
    """How many confirmed people one role of one session had."""

    session_id: int
    key: str
    label: str
    position: int
    confirmed: int


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
