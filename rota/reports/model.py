"""The debrief and the staffed hours the reports count."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


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
