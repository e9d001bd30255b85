"""The safety buttons: check-ins, alerts, home safe, ending the walk."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.callbacks import _button, _data


def checkin_prompt(checkin_id: int) -> InlineKeyboardMarkup:
    """We're OK / Need help under a check-in prompt."""
    return InlineKeyboardMarkup(
        [
            [
                _button("✅ We're OK", _data("ci", "o", checkin_id)),
                _button("🆘 Need help", _data("ci", "h", checkin_id)),
            ]
        ]
    )


def alert(escalation_id: int, *, taken: bool = False) -> InlineKeyboardMarkup:
    """Acknowledge / They're safe under an alert (only the second once taken)."""
    safe = _button("✅ They're safe (resolve)", _data("es", "r", escalation_id))
    if taken:
        return InlineKeyboardMarkup([[safe]])
    return InlineKeyboardMarkup(
        [[_button("✋ Acknowledge", _data("es", "a", escalation_id))], [safe]]
    )


def alert_digest(*, taken: bool = False) -> InlineKeyboardMarkup:
    """Under a digest of several alerts: act on every alert in that message at once.

    The data carries no ids: the handler reads which alerts the pressed message holds from
    the outbox, so a forged press can only reach alerts already sent to the presser's chat.
    """
    safe = _button("✅ All safe (resolve these)", _data("es", "f"))
    if taken:
        return InlineKeyboardMarkup([[safe]])
    return InlineKeyboardMarkup([[_button("✋ Acknowledge these", _data("es", "t"))], [safe]])


def home_safe(home_safe_id: int) -> InlineKeyboardMarkup:
    """I'm home safe."""
    return InlineKeyboardMarkup([[_button("🏠 I'm home safe", _data("hs", "o", home_safe_id))]])


def end_walk() -> InlineKeyboardMarkup:
    """The lead's or coordinator's button to end the walk early."""
    return InlineKeyboardMarkup([[_button("End the walk now", "wk:e")]])


def share_location() -> ReplyKeyboardMarkup:
    """Telegram's own location button, for an SOS."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton("📍 Share my location", request_location=True)]],
        one_time_keyboard=True,
        resize_keyboard=True,
    )


def pairs_pick(session_id: int, people: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """First step of a swap: choose a walker."""
    buttons = [_button(f"Swap {name}", _data("pr", "a", session_id, vid)) for vid, name in people]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def pairs_with(
    session_id: int, first: int, others: Sequence[tuple[int, str]]
) -> InlineKeyboardMarkup:
    """Second step of a swap: with whom."""
    rows = [
        [_button(f"↔ {name}", _data("pr", "s", session_id, first, vid))] for vid, name in others
    ]
    rows.append([_button("Cancel", _data("pr", "c", session_id))])
    return InlineKeyboardMarkup(rows)
