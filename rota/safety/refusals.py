"""Refusal codes of the walk: pairs, check-in plans, check-ins, alerts (worded in bot/safety)."""

from __future__ import annotations

from rota.kernel.errors import RefusalCode


class SafetyRefusal(RefusalCode):
    """Why a safety request was refused, with the facts its wording needs."""

    # tonight and the coordinators' tools
    NO_SESSION_TONIGHT = ()
    NO_SESSION_ON = ("day",)
    SESSION_GONE = ()
    PAIRS_FIXED = ()
    PLAN_FIXED = ()
    # pairing (names are display names; ids are volunteer ids)
    SIGNED_UP_TWICE = ("names",)
    NOT_IN_GROUP = ("volunteer",)
    NEITHER_IN_GROUP = ("first", "second")
    SAME_WALKER = ("name",)
    SAME_GROUP = ("first", "second")
    # `problems` are check_groups' sentences about the swapped groups
    CANNOT_SWAP = ("first", "second", "problems")
    # a session's check-in plan, as a coordinator typed it
    NOT_A_SETTING = ("word", "keys")
    NOT_A_DURATION = ("text",)
    MUST_BE_POSITIVE = ("key",)
    GRACE_TOO_LONG = ()
    # alerts
    ALERTS_COORDINATORS_ONLY = ()
    ALERT_GONE = ()
    NO_ALERTS_LISTED = ()
    # the walk
    NO_WALK_ON = ()
    END_WALK_LEADS_ONLY = ()
    WALK_ALREADY_ENDED = ()
    # check-ins (`due_at` is a UTC instant) and home-safe
    CHECKIN_GONE = ()
    CHECKIN_OTHER_PAIR = ()
    CHECKIN_CALLED_OFF = ()
    CHECKINS_STOPPED = ()
    CHECKIN_NOT_DUE = ("due_at",)
    NOT_ON_WALK = ()
    NO_MORE_CHECKINS = ()
    OK_NOT_DUE = ("due_at",)
    NO_SESSION_FOR_SOS = ()
    NOT_YOUR_BUTTON = ()
    # a shared location
    BAD_LOCATION = ()
    LOCATION_NOT_ON_WALK = ()
    LOCATION_NOT_WALKING = ()
    LOCATION_WALK_OVER = ()
