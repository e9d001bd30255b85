"""Rendering of the briefing feature's outbox notices."""

from __future__ import annotations

from bot import briefing_texts
from bot.outgoing import Outgoing
from rota.model import OutboxItem
from rota.services import briefings


def render(item: OutboxItem, zone: str) -> Outgoing | None:
    """The message for one of this feature's notice kinds, or None if the kind is not ours."""
    p = item.payload
    match item.kind:
        case briefings.BRIEFING:
            return Outgoing(
                briefing_texts.briefing(p, zone),
                briefing_texts.got_it(int(str(p["briefing_id"]))),
            )
        case briefings.NOTE_UPDATE:
            return Outgoing(briefing_texts.note_update(p, zone))
        case briefings.PAIRS_CHANGED:
            return Outgoing(briefing_texts.pairs_changed(p, zone))
        case briefings.UNREAD_ALERT:
            return Outgoing(briefing_texts.unread_alert(p, zone))
        case briefings.UNREACHABLE:
            return Outgoing(briefing_texts.unreachable(p, zone))
    return None
