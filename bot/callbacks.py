"""Callback data: short prefixed ids, declared once per feature and parsed strictly.

Each feature declares a `CallbackSpec` in its own keyboards.py: a two-letter prefix and, per
action letter, how many ids follow (`ci:o:12`). The handler's pattern, the buttons' data and
the handler's parse all come from that one declaration.

Telegram does not check callback data against the keyboard it came with, so every parse
here is strict and every handler re-checks the database before acting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from telegram import InlineKeyboardButton

MAX_ID = 2**31 - 1  # database ids are 32-bit; a bigger one is forged (PostgreSQL would refuse it)
MAX_BYTES = 64  # Telegram's limit on callback data (it answers 400 BUTTON_DATA_INVALID)
# ASCII digits only: `\d` also takes other scripts' digits, which int() reads ("١" is 1).
# Ten digits hold MAX_ID; a longer run is forged.
_ID = r"[0-9]{1,10}"
_PREFIX = re.compile(r"[a-z]{2}\Z")
_ACTION = re.compile(r"[a-z]\Z")


@dataclass(frozen=True, slots=True)
class Press:
    """A parsed button press: feature prefix, action letter and its ids."""

    prefix: str
    action: str
    ids: tuple[int, ...] = ()

    @property
    def ident(self) -> int | None:
        """The first id, if any."""
        return self.ids[0] if self.ids else None


@dataclass(frozen=True, slots=True)
class CallbackSpec:
    """One feature's buttons: `prefix:action[:id...]`, with a fixed number of ids per action.

    `actions` maps each action letter to its number of ids. Anything else with this prefix
    (forged, truncated, an old version's) matches neither the pattern nor the parse.
    """

    prefix: str
    actions: Mapping[str, int] = field(hash=False)
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not _PREFIX.match(self.prefix):
            raise ValueError(f"callback prefix {self.prefix!r}: two lowercase letters")
        if not self.actions:
            raise ValueError(f"callback prefix {self.prefix!r}: no actions")
        for action, count in self.actions.items():
            if not _ACTION.match(action):
                raise ValueError(f"{self.prefix}: action {action!r} is not one lowercase letter")
            # the longest data this action can carry must fit in Telegram's 64 bytes
            if count < 0 or len(self.prefix) + 2 + count * 11 > MAX_BYTES:
                raise ValueError(f"{self.prefix}:{action}: {count} ids cannot fit")
        actions = MappingProxyType(dict(self.actions))  # read-only: declared once
        shapes = "|".join(f"{a}(?::{_ID}){{{n}}}" for a, n in sorted(actions.items()))
        object.__setattr__(self, "actions", actions)
        object.__setattr__(self, "_regex", re.compile(rf"^{self.prefix}:(?:{shapes})\Z"))

    @property
    def pattern(self) -> re.Pattern[str]:
        """The CallbackQueryHandler pattern: exactly the declared shapes, nothing else."""
        return self._regex

    def data(self, action: str, *ids: int) -> str:
        """The callback data of one button, e.g. `data("o", 12)` -> `ci:o:12`.

        Raises ValueError for an undeclared action, the wrong number of ids, or an id that
        the parse would refuse (negative, beyond MAX_ID): a button its handler would refuse.
        """
        count = self.actions.get(action)
        if count is None:
            raise ValueError(f"{self.prefix}: undeclared action {action!r}")
        if len(ids) != count:
            raise ValueError(f"{self.prefix}:{action} takes {count} ids, not {len(ids)}")
        data = ":".join([self.prefix, action, *(str(i) for i in ids)])
        press = self.parse(data)
        if press is None or press.ids != ids or len(data.encode()) > MAX_BYTES:
            raise ValueError(f"{self.prefix}:{action}: ids {ids!r} would not parse back")
        return data

    def button(self, text: str, action: str, *ids: int) -> InlineKeyboardButton:
        """An inline button labelled `text` whose data is `data(action, *ids)`."""
        return InlineKeyboardButton(text, callback_data=self.data(action, *ids))

    def parse(self, data: str | None) -> Press | None:
        """The press `data` stands for, or None for anything but a declared shape.

        Forged, truncated, another feature's, an old version's or an id beyond MAX_ID: None.
        """
        # The pattern admits ASCII only and at most 2 + 2 + 5 * 11 bytes: within MAX_BYTES.
        if data is None or self._regex.match(data) is None:
            return None
        _, action, *digits = data.split(":")
        ids = tuple(int(d) for d in digits)
        if any(i > MAX_ID for i in ids):
            return None
        return Press(self.prefix, action, ids)


def any_prefix(specs: Iterable[CallbackSpec]) -> re.Pattern[str]:
    """A pattern for data that starts with one of these specs' prefixes, whatever follows.

    Raises ValueError if two specs share a prefix (one would shadow the other's buttons).
    """
    prefixes: list[str] = []
    for spec in specs:
        if spec.prefix in prefixes:
            raise ValueError(f"two callback specs share the prefix {spec.prefix!r}")
        prefixes.append(spec.prefix)
    if not prefixes:
        raise ValueError("no callback specs")
    return re.compile(rf"^(?:{'|'.join(sorted(prefixes))}):")
