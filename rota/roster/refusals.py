"""Refusal codes of the rota: sessions, roles, sign-ups and withdrawals (worded in bot/roster)."""

from __future__ import annotations

from rota.kernel.errors import RefusalCode


class RosterRefusal(RefusalCode):
    """Why a rota request was refused, with the facts its wording needs."""

    NO_SESSION_ON = ("day",)
    TIME_PASSED = ()
    NOTE_TOO_LONG = ("limit",)
    SESSION_CLASH = ("day",)
    STARTED_CANNOT_CANCEL = ()
    ALREADY_CANCELLED = ()
    SHIFT_GONE = ()
    GROUP_NEEDS_COORDINATOR = ()
    SESSION_GONE = ()
    SESSION_CANCELLED = ()
    ROTA_CLOSED = ()
    NEEDS_TAG = ("role", "tags")
    ALREADY_IN_ROLE = ("role", "waitlisted")
    # `role` is None when the other role is gone (it never is while its session exists).
    ALREADY_IN_OTHER_ROLE = ("role",)
    ROLE_FULL = ("role",)
    NOT_YOUR_SHIFT = ()
    STARTED_TELL_LEAD = ()
    ALREADY_WITHDRAWN = ()
    # the database's one-place-per-session constraint caught a race the checks missed
    ALREADY_HAS_PLACE = ()
