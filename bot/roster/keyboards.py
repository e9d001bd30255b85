"""The rota's buttons: sessions, roles, my shifts, withdrawing."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from bot.callbacks import CallbackSpec
from rota.roster.model import Role, SessionBoard

# ro:l (the list), ro:s:<session> (open one), ro:j:<role> (join), ro:w:<role> (waitlist)
ROTA = CallbackSpec("ro", {"l": 0, "s": 1, "j": 1, "w": 1})
# ms:w:<signup> (ask to withdraw), ms:y:<signup> (withdraw), ms:n (keep it)
MY_SHIFTS = CallbackSpec("ms", {"w": 1, "y": 1, "n": 0})


def rota_list(
    boards: Sequence[SessionBoard], day_label: dict[int, str]
) -> InlineKeyboardMarkup | None:
    """One button per session, two to a row, to open it (none when there are no sessions)."""
    if not boards:
        return None
    buttons = [ROTA.button(day_label[b.session.id], "s", b.session.id) for b in boards]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def _role_button(role: Role, prefix_label: str = "") -> InlineKeyboardButton:
    if role.is_full:
        return ROTA.button(f"{prefix_label}{role.label}: full, join waitlist", "w", role.id)
    return ROTA.button(
        f"{prefix_label}Join {role.label} ({role.filled}/{role.capacity})", "j", role.id
    )


def session_view(board: SessionBoard) -> InlineKeyboardMarkup:
    """Join buttons for each role (none if the viewer already has a place), and back."""
    rows: list[list[InlineKeyboardButton]] = []
    if board.mine is None:
        rows = [[_role_button(role)] for role in board.roles]
    rows.append([ROTA.button("« All sessions", "l")])
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
        [[MY_SHIFTS.button(f"Withdraw: {label}", "w", signup_id)] for signup_id, label in items]
    )


def confirm_withdraw(signup_id: int) -> InlineKeyboardMarkup:
    """Yes / no for a withdrawal."""
    return InlineKeyboardMarkup(
        [
            [
                MY_SHIFTS.button("Yes, withdraw", "y", signup_id),
                MY_SHIFTS.button("No, keep it", "n"),
            ]
        ]
    )
