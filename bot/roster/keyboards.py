"""The rota's buttons: sessions, roles, my shifts, withdrawing."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from bot.callbacks import _button, _data
from rota.roster.model import Role, SessionBoard

ROTA_LIST = "ro:l"


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
