"""The words of reminders, staffing alerts and cover requests (buttons: keyboards.py).

Messages are HTML: every value that came from a person goes through `esc`.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.refusals import words
from bot.roster.texts import day, window
from bot.texts import esc
from rota.kernel.notices import SessionFacts
from rota.roster.model import Session
from rota.staffing.notices import (
    CoverClosed,
    CoverFound,
    CoverOffer,
    CoverSwap,
    Reminder,
    StaffingCallout,
    Understaffed,
)
from rota.staffing.notices import CoverTaken as CoverTakenNotice
from rota.staffing.refusals import StaffingRefusal
from rota.staffing.services import (
    CoverAsked,
    CoverCancelled,
    CoverChoice,
    CoverTaken,
    ReminderShift,
)

NOT_YOURS = "That button isn't for you."
STILL_COMING_ANSWER = "Thanks, see you there!"
WITHDRAWN_ANSWER = "Withdrawn."
COVER_ASKED_ANSWER = "I've asked for cover."
COVER_TAKEN_ANSWER = "It's yours. Thank you!"
COVER_CANCELLED_ANSWER = "Cover request cancelled."
NO_SHIFTS = "You have no upcoming shifts to find cover for. Send /rota to find one."


def _when(session: SessionFacts, zone: str) -> str:
    return window(session.starts_at, session.ends_at, zone)


def _shift_when(session: Session, zone: str) -> str:
    return window(session.starts_at, session.ends_at, zone)


# --- the day-before reminder ---------------------------------------------------------------------


def reminder(p: Reminder, zone: str) -> str:
    """'See you tomorrow, Ana?' with the shift, where to meet, and what the buttons do."""
    soon = {0: "later today", 1: "tomorrow"}.get(p.days, f"on {day(p.session.starts_at, zone)}")
    return (
        f"👋 <b>See you {soon}, {esc(p.name)}?</b>\n"
        f"You're down as <b>{esc(p.role)}</b> on {_when(p.session, zone)}.\n"
        f"Meet: {esc(p.session.meeting_point)}\n\n"
        "Tap <b>Still coming</b> to let us know, or <b>Can't make it</b> if something has "
        "come up."
    )


def still_coming(shift: ReminderShift, zone: str) -> str:
    """The reminder once answered Still coming."""
    return (
        f"✅ Thanks, {esc(shift.volunteer.display_name)}! You're down as "
        f"<b>{esc(shift.role.label)}</b> on {_shift_when(shift.session, zone)}. See you there.\n"
        f"Meet: {esc(shift.session.meeting_point)}"
    )


def confirm_cant(shift: ReminderShift, zone: str) -> str:
    """The question after Can't make it: withdraw, or ask for cover instead."""
    late = " and, as it's so close to the start, the coordinators are told" if shift.late else ""
    role = esc(shift.role.label)
    return (
        f"Can't make it to <b>{role}</b> on {_shift_when(shift.session, zone)}?\n\n"
        f"<b>Withdraw</b>: your place goes to the first person on the waitlist, if there is "
        f"one{late}.\n"
        f"<b>Ask for cover</b>: I ask everyone who can do {role}; you stay on the rota until "
        "one of them takes your place."
    )


# --- cover ---------------------------------------------------------------------------------------


def cover_list(choices: Sequence[CoverChoice], zone: str) -> str:
    """/cover: the caller's confirmed shifts, marking those already out for cover."""
    if not choices:
        return NO_SHIFTS
    lines = [
        "<b>Find cover</b>",
        "Pick a shift and I'll ask everyone who could take it. You stay on the rota until one "
        "of them says yes.",
        "",
    ]
    for choice in choices:
        asked = " (cover asked)" if choice.request is not None else ""
        lines.append(
            f"• {_shift_when(choice.session, zone)}: {esc(choice.entry.role.label)}{asked}"
        )
    return "\n".join(lines)


def cover_asked(asked: CoverAsked, zone: str) -> str:
    """After asking for cover."""
    people = "1 volunteer" if asked.asked == 1 else f"{asked.asked} volunteers"
    return (
        f"🙋 I've asked {people} who can do <b>{esc(asked.role.label)}</b> to cover you on "
        f"{_shift_when(asked.session, zone)}.\n"
        "You're still on the rota until one of them says yes; I'll tell you when they do."
    )


def cover_offer(p: CoverOffer, zone: str) -> str:
    """To each eligible volunteer."""
    return (
        f"🙋 <b>Can you cover {esc(p.role)} on {_when(p.session, zone)}?</b>\n"
        f"{esc(p.requester)} can't make it. "
        f"Meet: {esc(p.session.meeting_point)}\n"
        "The first to tap <b>I can cover</b> takes the place."
    )


def cover_accepted(taken: CoverTaken, zone: str) -> str:
    """The offer, once this person has taken the place."""
    return (
        f"✅ Thank you! You're now down as <b>{esc(taken.role.label)}</b> on "
        f"{_shift_when(taken.session, zone)}, covering for {esc(taken.requester)}.\n"
        f"Meet: {esc(taken.session.meeting_point)}. /myshifts shows it."
    )


def cover_taken(p: CoverTakenNotice, zone: str) -> str:
    """Everyone else's offer, once someone has taken the place."""
    return (
        f"✓ The place has been taken: {esc(p.role)} on {_when(p.session, zone)} "
        "is covered. Thanks anyway!"
    )


def cover_closed(p: CoverClosed, zone: str) -> str:
    """An offer whose request was cancelled or lapsed."""
    return (
        f"This cover request for {esc(p.role)} on {_when(p.session, zone)} is no "
        "longer needed. Thanks anyway!"
    )


def cover_found(p: CoverFound, zone: str) -> str:
    """To the requester."""
    return (
        f"✅ Good news: {esc(p.by)} will cover your "
        f"<b>{esc(p.role)}</b> shift on {_when(p.session, zone)}, so you're off the "
        "rota. Thanks for finding cover!"
    )


def cover_swap(p: CoverSwap, zone: str) -> str:
    """To coordinators, when a place changes hands close to the start."""
    return (
        f"🔁 Cover: {esc(p.by)} takes {esc(p.requester)}'s "
        f"{esc(p.role)} place on {_when(p.session, zone)}."
    )


def cover_cancelled(cancelled: CoverCancelled, zone: str) -> str:
    """After the requester takes a request back."""
    return (
        "OK, I've told them it's no longer needed. You're still down as "
        f"<b>{esc(cancelled.role.label)}</b> on {_shift_when(cancelled.session, zone)}."
    )


# --- understaffed --------------------------------------------------------------------------------


def understaffed(p: Understaffed, zone: str) -> str:
    """To coordinators: what the session is missing."""
    head = "Still short-staffed" if p.again else "Short-staffed"
    lines = [f"⚠ <b>{head}: {_when(p.session, zone)}</b>"]
    lines += [f"• {esc(item)}" for item in p.missing]
    if p.callout:
        lines.append("\nI've asked the team chat for help.")
    lines.append(f"/session {p.local_date.isoformat()} shows who is on.")
    return "\n".join(lines)


def staffing_callout(p: StaffingCallout, zone: str) -> str:
    """To the team chat: which roles need people."""
    lines = [f"📣 <b>Help needed on {_when(p.session, zone)}</b>"]
    for need in p.needs:
        label = esc(need.label)
        if need.trained:
            lines.append(f"• {label}: a trained walker is needed")
        else:
            lines.append(f"• {label}: {need.more} more needed")
    lines.append("Tap a button to sign up (it signs up whoever taps it).")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- refusals

words(
    {
        StaffingRefusal.REMINDER_NOT_YOURS: "That reminder wasn't sent to you.",
        StaffingRefusal.NO_LONGER_DOWN: (
            "You're no longer down for that session. /myshifts shows your shifts."
        ),
        StaffingRefusal.WAITLISTED_NO_PLACE: (
            "You're on the waitlist for that shift, so there's no place to hand on. "
            "Withdraw in /myshifts if you can't come."
        ),
        StaffingRefusal.ALREADY_ASKED: (
            "You've already asked for cover for this shift. I'll tell you when someone takes it."
        ),
        StaffingRefusal.NOBODY_TO_ASK: (
            "Nobody else on the team can do {role} that night, so there's nobody to ask. "
            "If you can't make it, withdraw in /myshifts so the coordinators know."
        ),
        StaffingRefusal.OFFER_NOT_YOURS: "That cover request wasn't sent to you.",
        StaffingRefusal.ALREADY_TAKEN_BY_YOU: "You've already taken this place. Thank you!",
        StaffingRefusal.TAKEN: "Someone else has already taken this place. Thanks anyway!",
        StaffingRefusal.NOT_NEEDED: "That cover request is no longer needed. Thanks anyway!",
        StaffingRefusal.COVER_NEEDS_TAG: lambda *, role, tags: (
            f"{role} needs the '{' or '.join(tags)}' tag, so you can't cover it."
        ),
        StaffingRefusal.ALREADY_DOWN: (
            "You're already down for that session, so you can't take this place too."
        ),
        StaffingRefusal.REQUEST_NOT_YOURS: "That cover request isn't yours.",
        StaffingRefusal.TOO_LATE_TAKEN: "Too late: someone has already taken your place.",
        StaffingRefusal.REQUEST_CLOSED: "That cover request is already closed.",
    }
)
