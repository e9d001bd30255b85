"""The briefing's button: Got it."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.callbacks import CallbackSpec

GOT_IT = CallbackSpec("bf", {"g": 1})  # bf:g:<briefing id>: Got it


def got_it(briefing_id: int) -> InlineKeyboardMarkup:
    """The Got it button under a briefing."""
    return InlineKeyboardMarkup([[GOT_IT.button("✅ Got it", "g", briefing_id)]])
