"""The safety buttons: check-ins, alerts, home safe, ending the walk."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.callbacks import CallbackSpec

# ci:o:<checkin> (we're OK), ci:h:<checkin> (need help)
CHECKIN = CallbackSpec("ci", {"o": 1, "h": 1})
# es:a:<escalation> (acknowledge), es:r:<escalation> (they're safe); es:t and es:f the same
# for every alert a digest message lists
ALARM = CallbackSpec("es", {"a": 1, "r": 1, "t": 0, "f": 0})
HOME_SAFE = CallbackSpec("hs", {"o": 1})  # hs:o:<home safe id>: I'm home safe
END_WALK = CallbackSpec("wk", {"e": 0})  # wk:e: end the walk now
# pr:a:<session>:<who> (pick), pr:s:<session>:<a>:<b> (swap), pr:c:<session> (cancel)
PAIRS = CallbackSpec("pr", {"a": 2, "s": 3, "c": 1})


def checkin_prompt(checkin_id: int) -> InlineKeyboardMarkup:
    """We're OK / Need help under a check-in prompt."""
    return InlineKeyboardMarkup(
        [
            [
                CHECKIN.button("✅ We're OK", "o", checkin_id),
                CHECKIN.button("🆘 Need help", "h", checkin_id),
            ]
        ]
    )


def alert(escalation_id: int, *, taken: bool = False) -> InlineKeyboardMarkup:
    """Acknowledge / They're safe under an alert (only the second once taken)."""
    safe = ALARM.button("✅ They're safe (resolve)", "r", escalation_id)
    if taken:
        return InlineKeyboardMarkup([[safe]])
    return InlineKeyboardMarkup([[ALARM.button("✋ Acknowledge", "a", escalation_id)], [safe]])


def alert_digest(*, taken: bool = False) -> InlineKeyboardMarkup:
    """Under a digest of several alerts: act on every alert in that message at once.

    The data carries no ids: the handler reads which alerts the pressed message holds from
    the outbox, so a forged press can only reach alerts already sent to the presser's chat.
    """
    safe = ALARM.button("✅ All safe (resolve these)", "f")
    if taken:
        return InlineKeyboardMarkup([[safe]])
    return InlineKeyboardMarkup([[ALARM.button("✋ Acknowledge these", "t")], [safe]])


def home_safe(home_safe_id: int) -> InlineKeyboardMarkup:
    """I'm home safe."""
    return InlineKeyboardMarkup([[HOME_SAFE.button("🏠 I'm home safe", "o", home_safe_id)]])


def end_walk() -> InlineKeyboardMarkup:
    """The lead's or coordinator's button to end the walk early."""
    return InlineKeyboardMarkup([[END_WALK.button("End the walk now", "e")]])


def share_location() -> ReplyKeyboardMarkup:
    """Telegram's own location button, for an SOS."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton("📍 Share my location", request_location=True)]],
        one_time_keyboard=True,
        resize_keyboard=True,
    )


def pairs_pick(session_id: int, people: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """First step of a swap: choose a walker."""
    buttons = [PAIRS.button(f"Swap {name}", "a", session_id, vid) for vid, name in people]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def pairs_with(
    session_id: int, first: int, others: Sequence[tuple[int, str]]
) -> InlineKeyboardMarkup:
    """Second step of a swap: with whom."""
    rows = [[PAIRS.button(f"↔ {name}", "s", session_id, first, vid)] for vid, name in others]
    rows.append([PAIRS.button("Cancel", "c", session_id)])
    return InlineKeyboardMarkup(rows)
