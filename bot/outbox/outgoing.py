"""What one outbox row becomes on Telegram: text and buttons, or a location."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardMarkup


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send (or to put in place of an earlier one)."""

    text: str = ""
    markup: InlineKeyboardMarkup | None = None
    location: tuple[float, float] | None = None
    live_period: int | None = None  # seconds: a live location, which later edits can move
