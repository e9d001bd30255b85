"""Short durations such as ``48h`` or ``1h30m``, so people and the template can write them."""

from __future__ import annotations

import datetime as dtm
import re

_UNITS: tuple[tuple[str, int], ...] = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))

# Units must come largest first and at most once each ("1h30m", not "30m1h" or "1h1h").
# Whitespace between parts is tolerated ("1h 30m"); digits are ASCII only.
_DURATION = re.compile(
    r"(?:(?P<d>[0-9]+)d)?\s*(?:(?P<h>[0-9]+)h)?\s*(?:(?P<m>[0-9]+)m)?\s*(?:(?P<s>[0-9]+)s)?",
    re.ASCII,
)

# Nine digits per part is already ~31 years of seconds; longer numbers are typos.
_MAX_DIGITS = 9


def _refuse(text: str) -> ValueError:
    return ValueError(f"{text!r} is not a duration: write it like 30m, 90s, 2h or 1d")


def parse_duration(text: str) -> dtm.timedelta:
    """Turn ``90s``, ``30m``, ``2h``, ``1d`` or a combination like ``1h30m`` into a timedelta.

    Zero (``0m``) is allowed and means "none". Bare numbers, fractions, negative values,
    unknown units and units out of order are refused with a message saying how to write it.

    Raises:
        ValueError: the text is not a duration.
    """
    cleaned = text.strip().lower()
    match = _DURATION.fullmatch(cleaned)
    if not cleaned or match is None:
        raise _refuse(text)
    seconds = 0
    for unit, size in _UNITS:
        part = match.group(unit)
        if part is None:
            continue
        if len(part) > _MAX_DIGITS:
            raise _refuse(text)
        seconds += int(part) * size
    return dtm.timedelta(seconds=seconds)


def format_duration(delta: dtm.timedelta) -> str:
    """Write a timedelta the way parse_duration reads it, in the largest exact units.

    ``48h`` is written ``2d``, ninety minutes ``1h30m`` and zero ``0m``.

    Raises:
        ValueError: the delta is negative or not a whole number of seconds.
    """
    if delta < dtm.timedelta(0):
        raise ValueError(f"a duration cannot be negative, got {delta}")
    if delta.microseconds:
        raise ValueError(f"a duration must be whole seconds, got {delta}")
    remaining = delta.days * 86_400 + delta.seconds
    if remaining == 0:
        return "0m"
    parts: list[str] = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
