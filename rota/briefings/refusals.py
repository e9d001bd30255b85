"""Refusal codes of briefings and safety notes (worded in bot/briefings)."""

from __future__ import annotations

from rota.kernel.errors import RefusalCode


class BriefingRefusal(RefusalCode):
    """Why a note or briefing request was refused, with the facts its wording needs."""

    NOTE_EMPTY = ()
    NOTE_TOO_LONG = ("length", "limit")
    NOTES_TOO_LONG = ("used", "limit", "length")
    NO_SESSION_ON = ("day",)
    SESSION_CANCELLED = ("day",)
    SESSION_OVER = ("day",)
    NO_SESSION_TO_CHECK = ("day",)
    NOT_YOUR_BRIEFING = ()
