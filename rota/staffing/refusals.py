"""Refusal codes of reminders and cover requests (worded in bot/staffing)."""

from __future__ import annotations

from rota.kernel.errors import RefusalCode


class StaffingRefusal(RefusalCode):
    """Why a reminder answer or cover request was refused, with the facts its wording needs."""

    REMINDER_NOT_YOURS = ()
    NO_LONGER_DOWN = ()
    WAITLISTED_NO_PLACE = ()
    ALREADY_ASKED = ()
    NOBODY_TO_ASK = ("role",)
    OFFER_NOT_YOURS = ()
    ALREADY_TAKEN_BY_YOU = ()
    TAKEN = ()
    NOT_NEEDED = ()
    COVER_NEEDS_TAG = ("role", "tags")
    ALREADY_DOWN = ()
    REQUEST_NOT_YOURS = ()
    TOO_LATE_TAKEN = ()
    REQUEST_CLOSED = ()
