"""The clock is injected: the domain never asks the system what time it is."""

from __future__ import annotations

import datetime as dtm
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current instant, always timezone-aware UTC."""

    def now(self) -> dtm.datetime: ...


class SystemClock:
    """The real clock; the only place in the project that reads the system time."""

    def now(self) -> dtm.datetime:
        return dtm.datetime.now(dtm.UTC)


class FakeClock:
    """A clock that moves only when told to, for tests and the compressed demo."""

    def __init__(self, start: dtm.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(dtm.UTC)

    def now(self) -> dtm.datetime:
        return self._now

    def advance(self, **delta: float) -> dtm.datetime:
        """Move forward by a timedelta given as keyword arguments (minutes=31)."""
        self._now += dtm.timedelta(**delta)
        return self._now

    def set(self, instant: dtm.datetime) -> None:
        """Jump to an instant (aware)."""
        self._now = instant.astimezone(dtm.UTC)
