"""The refusal registry: refusal code -> wording, filled by each feature's texts.py.

A leaf module (like bot.outbox.registry), so every feature's texts.py can register its
wordings here and `bot.texts.refusal` can find them by code. A wording is a template whose
`{placeholders}` are exactly the code's facts, or a function taking exactly those facts
as keywords (for words that depend on a fact, like "or" between tags).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rota.kernel.errors import RefusalCode

Wording = str | Callable[..., str]

_WORDINGS: dict[RefusalCode, Wording] = {}


def words(table: Mapping[RefusalCode, Wording]) -> None:
    """Register a feature's wordings; a code worded twice is a programming error."""
    for code, wording in table.items():
        if code in _WORDINGS:
            raise TypeError(f"{code!r} is worded twice")
        _WORDINGS[code] = wording


def wording(code: RefusalCode) -> Wording:
    """The wording of a code (KeyError: no feature words it, which the unit tests catch)."""
    return _WORDINGS[code]


def wordings() -> dict[RefusalCode, Wording]:
    """Every registered wording, by code."""
    return dict(_WORDINGS)
