"""Buttons about a person: sharing a phone number, being forgotten."""

from __future__ import annotations

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.callbacks import CallbackSpec

FORGET = CallbackSpec("me", {"y": 0, "n": 0})  # me:y (delete my data), me:n (keep it)


def confirm_forget() -> InlineKeyboardMarkup:
    """Yes / no for erasing one's data."""
    return InlineKeyboardMarkup(
        [[FORGET.button("Yes, delete my data", "y"), FORGET.button("No, keep it", "n")]]
    )


def share_phone() -> ReplyKeyboardMarkup:
    """Telegram's own contact button: the number comes from Telegram, not typed."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton("Share my phone number", request_contact=True)]],
        one_time_keyboard=True,
        resize_keyboard=True,
    )
