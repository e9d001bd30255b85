"""Refusal codes of reports and exports (worded in bot/reports)."""

from __future__ import annotations

from rota.kernel.errors import RefusalCode


class ReportRefusal(RefusalCode):
    """Why a month or date range was refused; `text` is what was typed."""

    NOT_A_MONTH = ("text",)
    NO_SUCH_MONTH = ("text", "month")
    NO_YEAR_ZERO = ("text",)
    RANGE_BACKWARDS = ("start", "end")
    RANGE_TOO_LONG = ("limit",)
