"""Payloads of the report feature: the debrief's first question and its incident note."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass
from typing import ClassVar

from rota.kernel.notices import Payload
from rota.kernel.outbox import Priority


@dataclass(frozen=True, slots=True, kw_only=True)
class DebriefQuestion(Payload):
    """The question that opens a debrief (to the lead, or to every coordinator)."""

    KIND: ClassVar[str] = "debrief_question"
    PRIORITY: ClassVar[Priority] = Priority.BRIEFING
    debrief_id: int | None = None
    session_id: int | None = None
    starts_at: dtm.datetime
    step: int = 0
    to_lead: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DebriefIncident(Payload):
    """A debrief's incident note, for the coordinators only."""

    KIND: ClassVar[str] = "debrief_incident"
    PRIORITY: ClassVar[Priority] = Priority.INCIDENT
    session_id: int | None = None
    starts_at: dtm.datetime
    by: str = "The team lead"
    text: str = ""
    truncated: bool = False
