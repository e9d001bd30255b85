"""Rendering of the staffing feature's outbox notices."""

from __future__ import annotations

from bot import staffing_texts as words
from bot.outgoing import Outgoing
from rota.model import OutboxItem


def _int(payload: dict[str, object], key: str) -> int:
    return int(str(payload[key]))


def render(item: OutboxItem, zone: str) -> Outgoing | None:
    """The message for one of this feature's notice kinds, or None if the kind is not ours."""
    p = item.payload
    match item.kind:
        case "reminder":
            return Outgoing(
                words.reminder(p, zone), words.reminder_keyboard(_int(p, "session_id"))
            )
        case "understaffed":
            return Outgoing(words.understaffed(p, zone))
        case "staffing_callout":
            return Outgoing(
                words.staffing_callout(p, zone), words.staffing_callout_keyboard(p, zone)
            )
        case "cover_offer":
            return Outgoing(
                words.cover_offer(p, zone), words.cover_offer_keyboard(_int(p, "request_id"))
            )
        case "cover_taken":  # edits an offer in place: no buttons left
            return Outgoing(words.cover_taken(p, zone))
        case "cover_closed":
            return Outgoing(words.cover_closed(p, zone))
        case "cover_found":
            return Outgoing(words.cover_found(p, zone))
        case "cover_swap":
            return Outgoing(words.cover_swap(p, zone))
    return None
