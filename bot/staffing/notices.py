"""Rendering of the staffing feature's outbox notices."""

from __future__ import annotations

from bot.outbox.outgoing import Outgoing
from bot.outbox.registry import Shown, renders
from bot.staffing import keyboards as staffing_keyboards
from bot.staffing import texts as words
from rota.staffing.notices import (
    CoverClosed,
    CoverFound,
    CoverOffer,
    CoverSwap,
    CoverTaken,
    Reminder,
    StaffingCallout,
    Understaffed,
)


@renders(Reminder, "a shift reminder")
def reminder(p: Reminder, shown: Shown) -> Outgoing:
    """The day-before reminder, with Still coming / Can't make it."""
    return Outgoing(
        words.reminder(p, shown.zone), staffing_keyboards.reminder(p.session.session_id)
    )


@renders(Understaffed, "a short-staffed night")
def understaffed(p: Understaffed, shown: Shown) -> Outgoing:
    """To coordinators: what a session is missing."""
    return Outgoing(words.understaffed(p, shown.zone))


@renders(StaffingCallout, "a call for volunteers")
def staffing_callout(p: StaffingCallout, shown: Shown) -> Outgoing:
    """To the team chat, with the rota's join buttons."""
    return Outgoing(
        words.staffing_callout(p, shown.zone), staffing_keyboards.staffing_callout(p, shown.zone)
    )


@renders(CoverOffer, "a request for cover")
def cover_offer(p: CoverOffer, shown: Shown) -> Outgoing:
    """To each eligible volunteer, with I can cover."""
    return Outgoing(words.cover_offer(p, shown.zone), staffing_keyboards.cover_offer(p.request_id))


@renders(CoverTaken, "cover taken")
def cover_taken(p: CoverTaken, shown: Shown) -> Outgoing:
    """Edits an offer in place: no buttons left."""
    return Outgoing(words.cover_taken(p, shown.zone))


@renders(CoverClosed, "cover no longer needed")
def cover_closed(p: CoverClosed, shown: Shown) -> Outgoing:
    """Edits an offer whose request closed."""
    return Outgoing(words.cover_closed(p, shown.zone))


@renders(CoverFound, "cover found")
def cover_found(p: CoverFound, shown: Shown) -> Outgoing:
    """To the requester."""
    return Outgoing(words.cover_found(p, shown.zone))


@renders(CoverSwap, "a cover swap")
def cover_swap(p: CoverSwap, shown: Shown) -> Outgoing:
    """To coordinators."""
    return Outgoing(words.cover_swap(p, shown.zone))
