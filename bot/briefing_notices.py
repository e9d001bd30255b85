"""Rendering of the briefing feature's outbox notices."""

from __future__ import annotations

from bot.outgoing import Outgoing
from rota.model import OutboxItem


def render(item: OutboxItem, zone: str) -> Outgoing | None:
    """The message for one of this feature's notice kinds, or None if the kind is not ours."""
    return None
