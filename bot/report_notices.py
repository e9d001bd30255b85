"""Rendering of the report feature's outbox notices: debrief questions and incident notes."""

from __future__ import annotations

from bot import report_texts
from bot.outgoing import Outgoing
from rota.model import OutboxItem


def render(item: OutboxItem, zone: str) -> Outgoing | None:
    """The message for one of this feature's notice kinds, or None if the kind is not ours."""
    match item.kind:
        case "debrief_question":
            return Outgoing(report_texts.first_question(item.payload, zone))
        case "debrief_incident":
            return Outgoing(report_texts.incident(item.payload, zone))
    return None
