"""The buttons of reminders, cover requests and staffing call-outs.

``rm:`` is the day-before reminder's, ``cv:`` cover's; a call-out carries the rota's own join
buttons (``ro:j:<role>``).
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot.callbacks import CallbackSpec
from bot.roster import keyboards as roster_keyboards
from bot.roster.texts import day
from rota.roster.model import Role, Session, SessionBoard, SessionStatus
from rota.staffing.notices import StaffingCallout
from rota.staffing.services import CoverChoice

# rm:y (still coming), rm:n (can't make it), rm:w (withdraw), rm:c (ask for cover): <session>
REMINDER = CallbackSpec("rm", {"y": 1, "n": 1, "w": 1, "c": 1})
# cv:r:<signup> (ask for cover), cv:a:<request> (I can cover), cv:x:<request> (cancel)
COVER = CallbackSpec("cv", {"r": 1, "a": 1, "x": 1})


def reminder(session_id: int) -> InlineKeyboardMarkup:
    """Still coming / Can't make it."""
    return InlineKeyboardMarkup(
        [
            [
                REMINDER.button("✅ Still coming", "y", session_id),
                REMINDER.button("❌ Can't make it", "n", session_id),
            ]
        ]
    )


def confirm_cant(session_id: int) -> InlineKeyboardMarkup:
    """Yes, withdraw / Ask for cover instead / No, I'm still coming."""
    return InlineKeyboardMarkup(
        [
            [REMINDER.button("Yes, withdraw", "w", session_id)],
            [REMINDER.button("🙋 Ask for cover instead", "c", session_id)],
            [REMINDER.button("No, I'm still coming", "y", session_id)],
        ]
    )


def cover_list(choices: Sequence[CoverChoice], zone: str) -> InlineKeyboardMarkup | None:
    """Ask for cover (or cancel the request) per shift."""
    rows = []
    for choice in choices:
        label = f"{day(choice.session.starts_at, zone)} {choice.entry.role.label}"
        if choice.request is None:
            rows.append([COVER.button(f"Ask for cover: {label}", "r", choice.entry.signup.id)])
        else:
            rows.append([COVER.button(f"Cancel cover request: {label}", "x", choice.request.id)])
    return InlineKeyboardMarkup(rows) if rows else None


def cancel_cover(request_id: int) -> InlineKeyboardMarkup:
    """Take the request back."""
    return InlineKeyboardMarkup([[COVER.button("Cancel the request", "x", request_id)]])


def cover_offer(request_id: int) -> InlineKeyboardMarkup:
    """I can cover."""
    return InlineKeyboardMarkup([[COVER.button("🙋 I can cover", "a", request_id)]])


def staffing_callout(p: StaffingCallout, zone: str) -> InlineKeyboardMarkup | None:
    """The rota's own join buttons (ro:j:<role>) for the roles that need people."""
    facts = p.session
    session = Session(
        id=facts.session_id,
        template_key=None,
        local_date=p.local_date,
        starts_at=facts.starts_at,
        ends_at=facts.ends_at,
        meeting_point=facts.meeting_point,
        note="",
        status=SessionStatus.SCHEDULED,
    )
    roles = tuple(
        Role(
            id=n.role_id,
            session_id=session.id,
            key=n.key,
            label=n.label,
            capacity=n.capacity,
            minimum=n.minimum,
            pairs=False,
            requires=frozenset(),
            filled=n.filled,
            position=n.position,
        )
        for n in p.needs
    )
    board = SessionBoard(session=session, roles=roles)
    return roster_keyboards.team_post([board], {session.id: day(facts.starts_at, zone)})
