"""Refusal codes of membership: invites, names, phones, tags (worded in bot/people)."""

from __future__ import annotations

from rota.kernel.errors import RefusalCode


class PeopleRefusal(RefusalCode):
    """Why a membership request was refused, with the facts its wording needs."""

    NOT_ON_TEAM = ()
    COORDINATORS_ONLY = ()
    NAME_ODD_LETTERS = ()
    NAME_EMPTY = ()
    NAME_TOO_LONG = ("limit",)
    NOT_A_TAG = ("word",)
    ALREADY_ON_TEAM = ("name",)
    INVITE_UNKNOWN = ()
    INVITE_USED = ()
    INVITE_EXPIRED = ()
    INVITE_JUST_USED = ()
    NOT_OWN_CONTACT = ()
    NOT_A_PHONE = ()
    NAME_SOMEONE = ()
    UNKNOWN_VOLUNTEER = ("wanted",)
    AMBIGUOUS_NAME = ("wanted",)
    WHICH_TAG = ()
    CANNOT_REMOVE_SELF = ()
