"""Callback data: short prefixed ids, parsed strictly against declared shapes.

Telegram does not check callback data against the keyboard it came with, so every parse
here is strict and every handler re-checks the database before acting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
)

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
