"""Refusal codes of the kernel: dates, clock times and zones someone typed (worded in bot/)."""

from __future__ import annotations

from rota.kernel.errors import RefusalCode


class TimeRefusal(RefusalCode):
    """A date, time or zone that cannot be used; `text` is what was typed."""

    NOT_A_DATE = ("text",)
    NO_YEAR_ZERO = ("text",)
    NO_SUCH_MONTH = ("text", "month")
    NO_DAY_ZERO = ("text",)
    MONTH_TOO_SHORT = ("text", "year", "month", "days")
    NOT_A_TIME = ("text",)
    UNKNOWN_ZONE = ("zone",)
    # A wall-clock time on a clock-change day: skipped (clocks forward) or twice (back).
    SKIPPED_TIME = ("day", "at", "zone")
    REPEATED_TIME = ("day", "at", "zone")
    NO_LENGTH = ("day", "start", "end", "zone")
