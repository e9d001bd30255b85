"""Buttons about a person: sharing a phone number, being forgotten."""

from __future__ import annotations

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.callbacks import _button


def confirm_forget() -> InlineKeyboardMarkup:
    """Yes / no for erasing one's data."""
    return InlineKeyboardMarkup(
        [[_button("Yes, delete my data", "me:y"), _button("No, keep it", "me:n")]]
    )


def share_phone() -> ReplyKeyboardMarkup:
    """Telegram's own contact button: the number comes from Telegram, not typed."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton("Share my phone number", request_contact=True)]],
        one_time_keyboard=True,
        resize_keyboard=True,
    )
