"""Rendering of the report feature's outbox notices: debrief questions and incident notes."""

from __future__ import annotations

from bot.outbox.outgoing import Outgoing
from bot.outbox.registry import Shown, renders
from bot.reports import texts as report_texts
from rota.reports.notices import DebriefIncident, DebriefQuestion


@renders(DebriefQuestion, "a debrief question")
def debrief_question(p: DebriefQuestion, shown: Shown) -> Outgoing:
    """The question that opens a debrief."""
    return Outgoing(report_texts.first_question(p, shown.zone))


@renders(DebriefIncident, "an incident report")
def debrief_incident(p: DebriefIncident, shown: Shown) -> Outgoing:
    """A debrief's incident note, to the coordinators."""
    return Outgoing(report_texts.incident(p, shown.zone))
