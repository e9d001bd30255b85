"""The rota's words: sessions, roles, sign-ups, withdrawals."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Sequence

from bot.refusals import words
from bot.texts import esc
from rota.kernel.localtime import format_clock, format_day, to_local
from rota.kernel.notices import SessionFacts
from rota.roster.model import SessionBoard, SignUpStatus
from rota.roster.notices import LateWithdrawal, Promoted, SessionCancelled
from rota.roster.refusals import RosterRefusal
from rota.roster.sessions import SyncReport
from rota.roster.signups import MyShift, WithdrawOutcome

WITHDRAW_KEPT = "OK, you're still on."
NO_SESSIONS = "There are no upcoming sessions yet. A coordinator can add one with /addsession."


def day(board_or_session_start: dtm.datetime, zone: str) -> str:
    """'Wed 2 Dec' in local time."""
    return format_day(to_local(board_or_session_start, zone).date())


def window(starts_at: dtm.datetime, ends_at: dtm.datetime, zone: str) -> str:
    """'Wed 2 Dec 19:00–23:00' in local time."""
    return f"{day(starts_at, zone)} {format_clock(starts_at, zone)}–{format_clock(ends_at, zone)}"


def _roles_line(board: SessionBoard) -> str:
    return " · ".join(f"{esc(r.label)} {r.filled}/{r.capacity}" for r in board.roles)


def rota(boards: Sequence[SessionBoard], zone: str) -> str:
    """/rota: the coming sessions with places per role."""
    if not boards:
        return NO_SESSIONS
    parts = ["<b>Upcoming sessions</b> (tap a date to join)"]
    for board in boards:
        s = board.session
        mine = ""
        if board.mine is not None:
            role = board.role(board.mine.role_id)
            label = esc(role.label) if role else "?"
            waiting = " (waitlist)" if board.mine.status is SignUpStatus.WAITLISTED else ""
            mine = f"\n  ✓ You: {label}{waiting}"
        note = f" – {esc(s.note)}" if s.note else ""
        parts.append(
            f"\n<b>{window(s.starts_at, s.ends_at, zone)}</b>{note}\n  {_roles_line(board)}{mine}"
        )
    return "\n".join(parts)


def session_detail(board: SessionBoard, zone: str, *, just_joined: str | None = None) -> str:
    """One session: where, when, places; and the viewer's own place if any."""
    s = board.session
    lines = [f"<b>{window(s.starts_at, s.ends_at, zone)}</b>", f"Meet: {esc(s.meeting_point)}"]
    if s.note:
        lines.append(f"Note: {esc(s.note)}")
    lines.append("")
    for role in board.roles:
        state = "full" if role.is_full else f"{role.capacity - role.filled} free"
        lines.append(f"{esc(role.label)}: {role.filled}/{role.capacity} ({state})")
    if board.mine is not None:
        mine = board.role(board.mine.role_id)
        label = esc(mine.label) if mine else "?"
        if board.mine.status is SignUpStatus.WAITLISTED:
            lines.append(
                f"\nYou're on the waitlist for {label}. I'll tell you if a place frees up."
            )
        else:
            lines.append(f"\n✓ You're down as {label}. /myshifts to withdraw.")
    if just_joined:
        lines.insert(0, just_joined + "\n")
    return "\n".join(lines)


def team_post(boards: Sequence[SessionBoard], zone: str) -> str:
    """The rota post in the team chat."""
    if not boards:
        return NO_SESSIONS
    parts = ["<b>Outreach rota</b> – tap a button to join (it signs up whoever taps it)"]
    for board in boards:
        s = board.session
        parts.append(f"\n<b>{window(s.starts_at, s.ends_at, zone)}</b>\n  {_roles_line(board)}")
    return "\n".join(parts)


def joined_answer(role_label: str, status: SignUpStatus, when: str) -> str:
    """The short pop-up after a join button."""
    if status is SignUpStatus.WAITLISTED:
        return f"You're on the waitlist for {role_label} on {when}."
    return f"You're down as {role_label} on {when}. Thank you!"


def shift_label(shift: MyShift, zone: str) -> str:
    """'Wed 2 Dec Walker' for a button."""
    return f"{day(shift.session.starts_at, zone)} {shift.entry.role.label}"


def my_shifts(shifts: Sequence[MyShift], zone: str) -> str:
    """/myshifts."""
    if not shifts:
        return "You have no upcoming shifts. Send /rota to find one."
    lines = ["<b>Your upcoming shifts</b>"]
    for shift in shifts:
        s = shift.session
        waiting = (
            f" – waitlist #{shift.waitlist_position}"
            if shift.waitlist_position is not None
            else ""
        )
        lines.append(
            f"• {window(s.starts_at, s.ends_at, zone)}: {esc(shift.entry.role.label)}{waiting}"
        )
    return "\n".join(lines)


def confirm_withdraw(shift: MyShift, zone: str, *, late: bool) -> str:
    """The question before a withdrawal; warns when it is late notice."""
    s = shift.session
    text = (
        f"Withdraw from {esc(shift.entry.role.label)} on {window(s.starts_at, s.ends_at, zone)}?"
    )
    if late:
        text += "\nIt's close to the start, so the coordinators will be told."
    return text


def withdrawn(outcome: WithdrawOutcome, zone: str) -> str:
    """After a withdrawal."""
    s = outcome.session
    when = window(s.starts_at, s.ends_at, zone)
    text = f"You've withdrawn from {esc(outcome.role.label)} on {when}."
    if outcome.promoted is not None:
        text += f" {esc(outcome.promoted.display_name)} from the waitlist takes your place."
    if outcome.late:
        text += " The coordinators have been told."
    return text


def session_added(board_start: dtm.datetime, board_end: dtm.datetime, zone: str) -> str:
    """After /addsession."""
    return f"Added a session on {window(board_start, board_end, zone)}. It's on /rota now."


def session_cancelled(starts_at: dtm.datetime, ends_at: dtm.datetime, zone: str, told: int) -> str:
    """After /cancelsession."""
    when = window(starts_at, ends_at, zone)
    return f"Cancelled the session on {when}. {told} volunteer(s) will be told."


def roster(board: SessionBoard, zone: str) -> str:
    """/session: who is on each role, and each waitlist."""
    s = board.session
    lines = [f"<b>{window(s.starts_at, s.ends_at, zone)}</b>", f"Meet: {esc(s.meeting_point)}"]
    for role in board.roles:
        confirmed = board.entries(role.id, SignUpStatus.CONFIRMED)
        waiting = board.entries(role.id, SignUpStatus.WAITLISTED)
        short = " ⚠ below minimum" if role.filled < role.minimum else ""
        lines.append(f"\n<b>{esc(role.label)}</b> {role.filled}/{role.capacity}{short}")
        lines.extend(f"• {esc(e.volunteer.display_name)}" for e in confirmed)
        if waiting:
            names = ", ".join(esc(e.volunteer.display_name) for e in waiting)
            lines.append(f"  waitlist: {names}")
    return "\n".join(lines)


def sync_summary(report: SyncReport, zone: str) -> str:
    """A log line for a template sync."""
    kept = ", ".join(day(s.starts_at, zone) for s in report.kept)
    text = (
        f"sessions: {report.created} created, {report.updated} updated, {report.removed} removed"
    )
    return text + (f"; kept as they are because people signed up: {kept}" if kept else "")


def _when(session: SessionFacts, zone: str) -> str:
    return window(session.starts_at, session.ends_at, zone)


def promoted(p: Promoted, zone: str) -> str:
    """To a volunteer moved up from the waitlist."""
    return (
        f"Good news: a place opened up and you're now down as <b>{esc(p.role)}</b> on "
        f"{_when(p.session, zone)}. If you can't make it, withdraw in /myshifts."
    )


def session_cancelled_notice(p: SessionCancelled, zone: str) -> str:
    """To everyone signed up to a cancelled session."""
    return (
        f"The session on {_when(p.session, zone)} has been cancelled, so your {esc(p.role)} "
        "shift is off. Sorry!"
    )


def late_withdrawal(p: LateWithdrawal, zone: str) -> str:
    """To coordinators: someone withdrew close to the start."""
    cover = (
        f" {esc(p.promoted)} moved up from the waitlist."
        if p.promoted
        else " Nobody was waiting to take the place."
    )
    return (
        f"⚠ Late notice: {esc(p.volunteer)} withdrew from {esc(p.role)} on "
        f"{_when(p.session, zone)}.{cover}"
    )


# ---------------------------------------------------------------------------- refusals

words(
    {
        RosterRefusal.NO_SESSION_ON: "There's no session on {day}. See /rota for the dates.",
        RosterRefusal.TIME_PASSED: "That time has already passed. Pick a future date and time.",
        RosterRefusal.NOTE_TOO_LONG: "The note is too long: {limit} characters at most.",
        RosterRefusal.SESSION_CLASH: (
            "There's already a session on {day}. Cancel it first if you want to replace it."
        ),
        RosterRefusal.STARTED_CANNOT_CANCEL: (
            "That session has already started; it can't be cancelled now."
        ),
        RosterRefusal.ALREADY_CANCELLED: "That session was cancelled already.",
        RosterRefusal.SHIFT_GONE: "That shift no longer exists. Send /rota for the current list.",
        RosterRefusal.GROUP_NEEDS_COORDINATOR: (
            "Only a coordinator can make this group the team's, by sending /postrota here."
        ),
        RosterRefusal.SESSION_GONE: (
            "That session no longer exists. Send /rota for the current list."
        ),
        RosterRefusal.SESSION_CANCELLED: (
            "That session has been cancelled. Send /rota for the current list."
        ),
        RosterRefusal.ROTA_CLOSED: "That session has already started, so the rota is closed.",
        RosterRefusal.NEEDS_TAG: lambda *, role, tags: (
            f"{role} needs the '{' or '.join(tags)}' tag. Ask a coordinator if that's wrong."
        ),
        RosterRefusal.ALREADY_IN_ROLE: lambda *, role, waitlisted: (
            f"You're already {'on the waitlist' if waitlisted else 'down'} as {role} "
            "for this session."
        ),
        RosterRefusal.ALREADY_IN_OTHER_ROLE: lambda *, role: (
            f"You're already down as {'another role' if role is None else role} for this "
            "session. Withdraw from that first (/myshifts)."
        ),
        RosterRefusal.ROLE_FULL: "{role} is full. You can join the waitlist.",
        RosterRefusal.NOT_YOUR_SHIFT: (
            "That shift isn't yours, or you've already withdrawn from it."
        ),
        RosterRefusal.STARTED_TELL_LEAD: (
            "That session has already started. Please tell the team lead directly."
        ),
        RosterRefusal.ALREADY_WITHDRAWN: "You've already withdrawn from that shift.",
        RosterRefusal.ALREADY_HAS_PLACE: "You already have a place in this session.",
    }
)
