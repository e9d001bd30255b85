"""A clock that runs at real speed from a chosen instant, and can be moved forward.

Benchmarks need real time (lateness is measured in real seconds) on a night that is not
tonight: this clock reads the monotonic clock and adds an offset.
"""

from __future__ import annotations

import datetime as dtm
import time


class ShiftedClock:
    """now() = `start` + real time elapsed since construction + any jumps made since."""

    def __init__(self, start: dtm.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ShiftedClock needs an aware datetime")
        self._base = start.astimezone(dtm.UTC)
        self._t0 = time.monotonic()

    def now(self) -> dtm.datetime:
        return self._base + dtm.timedelta(seconds=time.monotonic() - self._t0)

    def set(self, instant: dtm.datetime) -> None:
        """From now on the clock reads `instant`, running on in real time."""
        self._base = instant.astimezone(dtm.UTC)
        self._t0 = time.monotonic()

    def real_time_at(self, instant: dtm.datetime) -> float:
        """The time.monotonic() reading at which this clock shows `instant` (if not moved)."""
        return self._t0 + (instant.astimezone(dtm.UTC) - self._base).total_seconds()

    def timestamp(self) -> float:
        """Seconds since the epoch, for the fake Telegram's message dates."""
        return self.now().timestamp()
