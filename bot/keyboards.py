"""Inline keyboards and their callback data: short prefixed ids, parsed strictly.

Telegram does not check callback data against the keyboard it came with, so every parse
here is strict and every handler re-checks the database before acting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from rota.model import Role, SessionBoard

ROTA_LIST = "ro:l"
MAX_ID = 2**31 - 1  # database ids are 32-bit; a bigger one is forged (PostgreSQL would refuse it)
_PATTERN = re.compile(r"^([a-z]{2}):([a-z])((?::\d{1,12}){0,3})$")


@dataclass(frozen=True, slots=True)
class Press:
    """A parsed button press: feature prefix, action letter and up to three ids."""

    prefix: str
    action: str
    ids: tuple[int, ...] = ()

    @property
    def ident(self) -> int | None:
        """The first id, if any."""
        return self.ids[0] if self.ids else None


def parse(data: str | None, prefix: str, shapes: Mapping[str, int]) -> Press | None:
    """Parse `pp:a[:id...]` for one feature; `shapes` maps each action to its number of ids.

    Anything else (forged, truncated, another feature's, an old version's) gives None.
    """
    if data is None or len(data.encode()) > 64:
        return None
    match = _PATTERN.match(data)
    if match is None:
        return None
    found, action, tail = match.groups()
    ids = tuple(int(part) for part in tail.split(":")[1:])
    if found != prefix or shapes.get(action) != len(ids) or any(i > MAX_ID for i in ids):
        return None
    return Press(found, action, ids)


def _data(prefix: str, action: str, *ids: int | None) -> str:
    return ":".join([prefix, action, *(str(i) for i in ids if i is not None)])


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def rota_list(
    boards: Sequence[SessionBoard], day_label: dict[int, str]
) -> InlineKeyboardMarkup | None:
    """One button per session, two to a row, to open it (none when there are no sessions)."""
    if not boards:
        return None
    buttons = [_button(day_label[b.session.id], _data("ro", "s", b.session.id)) for b in boards]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def _role_button(role: Role, prefix_label: str = "") -> InlineKeyboardButton:
    if role.is_full:
        return _button(
            f"{prefix_label}{role.label}: full, join waitlist", _data("ro", "w", role.id)
        )
    return _button(
        f"{prefix_label}Join {role.label} ({role.filled}/{role.capacity})",
        _data("ro", "j", role.id),
    )


def session_view(board: SessionBoard) -> InlineKeyboardMarkup:
    """Join buttons for each role (none if the viewer already has a place), and back."""
    rows: list[list[InlineKeyboardButton]] = []
    if board.mine is None:
        rows = [[_role_button(role)] for role in board.roles]
    rows.append([_button("« All sessions", ROTA_LIST)])
    return InlineKeyboardMarkup(rows)


def team_post(
    boards: Sequence[SessionBoard], day_label: dict[int, str]
) -> InlineKeyboardMarkup | None:
    """The team-chat post: a join button per role of each listed session."""
    if not boards:
        return None
    rows = [
        [_role_button(role, f"{day_label[b.session.id]} · ")] for b in boards for role in b.roles
    ]
    return InlineKeyboardMarkup(rows)


def my_shifts(items: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup | None:
    """A Withdraw button per shift: (signup id, label)."""
    if not items:
        return None
    return InlineKeyboardMarkup(
        [
            [_button(f"Withdraw: {label}", _data("ms", "w", signup_id))]
            for signup_id, label in items
        ]
    )


def confirm_withdraw(signup_id: int) -> InlineKeyboardMarkup:
    """Yes / no for a withdrawal."""
    return InlineKeyboardMarkup(
        [
            [
                _button("Yes, withdraw", _data("ms", "y", signup_id)),
                _button("No, keep it", _data("ms", "n")),
            ]
        ]
    )


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
