"""Every word the bot says, as pure functions of domain values and the local time zone.

Messages are HTML: every value that came from a person goes through `esc`.
"""

from __future__ import annotations

import datetime as dtm
import html
from collections.abc import Sequence

from rota.errors import Ambiguous, DomainError
from rota.localtime import format_clock, format_day, to_local
from rota.model import Invite, SessionBoard, SignUpStatus, Volunteer
from rota.notices.base import SessionFacts
from rota.notices.signups import LateWithdrawal, LeftGroup, Promoted, SessionCancelled
from rota.services.sessions import SyncReport
from rota.services.signups import MyShift, WithdrawOutcome

esc = html.escape

HELP = """<b>rotabot</b> runs the Wednesday outreach rota.

<b>Everyone</b>
/rota – upcoming sessions; tap one to join a role
/myshifts – your shifts, with a Withdraw button
/me – what I keep about you · /forgetme – delete it
/name <i>new name</i> – change the name the team sees
/phone – share your number for emergencies
/cover – ask someone to take your shift
/mycalendar – your shifts as a calendar file
/debrief – (team lead) the waiting debrief question
/help – this list

<b>On the walk</b>
/ok – check in for your pair now
/sos – alert the coordinators at once
/endwalk – (team lead) end the walk early"""

HELP_COORDINATOR = """

<b>Coordinators</b>
/invite [tags] – a one-use invite link (e.g. /invite trained)
/volunteers – the team with tags
/tag <i>who</i> <i>tag</i> · /untag <i>who</i> <i>tag</i>
/remove <i>who</i> [forget] – take someone off the team (forget: erase their data now)
/addsession <i>YYYY-MM-DD HH:MM HH:MM [note]</i> – an extra session
/cancelsession <i>YYYY-MM-DD</i> – cancel (everyone on it is told)
/session <i>YYYY-MM-DD</i> – the roster
/postrota – (in the team group) post the rota with join buttons
/tonight – the live board of tonight's walk
/pairs <i>YYYY-MM-DD</i> – see and swap the walking pairs
/checkins <i>YYYY-MM-DD [interval=20m ...]</i> – one session's check-in plan
/log <i>YYYY-MM-DD</i> – the safety log (and a CSV)
/report [<i>YYYY-MM</i>] – the month's report: table, chart and CSV
/brief <i>YYYY-MM-DD [note]</i> – a session's safety notes; add one for its briefing
/briefstatus <i>YYYY-MM-DD</i> – who has read the briefing
<i>who</i> = a name, @username or Telegram id."""

STRANGER = (
    "Hello! This bot runs the outreach rota for our team. Joining is by invitation: "
    "please ask a coordinator for an invite link, then open it."
)
UNKNOWN_COMMAND = "Sorry, I don't know {command}. Send /help to see what I can do."
NOT_A_COMMAND = "I only understand commands and buttons. Send /help to see them."
STALE_BUTTON = "That button is out of date. Send /rota or /myshifts for a fresh one."
# A press whose data is not a button of the pressed message: forged, or the button is gone.
PRESS_REFUSED = "That button is out of date or isn't on this message, so nothing was changed."
ERROR = "Sorry, something went wrong on my side and nothing was changed. Please try again."
GROUP_ONLY = "Use /postrota in the team's group chat."
SEND_PRIVATELY = "Please send me {command} in a private chat: I don't show that in a group."
NOT_TEAM_GROUP = (
    "Hello! I only work in the outreach team's own group, so I'm leaving this one. "
    "Volunteers can talk to me in a private chat."
)
ADOPT_HINT = "A coordinator can make this group the team's by sending /postrota here."
FORWARDED = (
    "That was forwarded, so I haven't taken it as yours and nothing was changed. "
    "If you mean it, send it to me yourself."
)
FORWARDED_LOCATION = (
    "That location was forwarded, so I haven't kept it as yours. "
    "To share where you are, use the 📍 button or Telegram's Location option."
)
EDITED = (
    "I only act on new messages, so that edit changed nothing. "
    "If you meant it, send it again as a new message."
)
ASK_PHONE = (
    "Your number is shown only in an alert about you (a missed check-in, a call for help, "
    "or not confirming you got home), and only to the coordinators and that night's team "
    "lead, never in the team group. "
    "Tap the button below to share it (or ignore this to keep it private)."
)
PHONE_SAVED = "Thanks, {name}. Your number is saved; /me shows it and /forgetme deletes it."
FORGET_ASK = (
    "<b>Delete what I keep about you?</b>\n\n"
    "<b>Deleted:</b> your name, @username, phone number, Telegram id and tags, and any "
    "locations you shared. Where a stored message, alert, briefing, safety-log line or "
    'debrief note names you, your name and number are replaced by "a former volunteer".\n'
    "<b>Given up:</b> your upcoming shifts (the coordinators are told, without your name).\n"
    "<b>Kept, without your name:</b> the counts of past shifts, check-ins and debriefs, for "
    "the charity's reports.\n"
    "<b>Out of my reach:</b> messages already delivered into Telegram chats (the coordinators', "
    "the team group's, this one). I can't delete those; you can delete this chat yourself.\n\n"
    "You'd need a new invite to come back."
)
FORGET_KEPT = "OK, nothing was deleted."
FORGET_DONE = (
    "Done. I deleted your name, username, phone number, Telegram id, tags and locations, and "
    'replaced your name with "a former volunteer" wherever I had stored it{shifts}. '
    "What stays: anonymous counts of past shifts for the charity's reports, and messages "
    "already delivered into Telegram chats, which I can't reach (you can delete this chat). "
    "Take care!"
)
WITHDRAW_KEPT = "OK, you're still on."
NO_SESSIONS = "There are no upcoming sessions yet. A coordinator can add one with /addsession."


def refusal(err: DomainError) -> str:
    """A domain refusal as a reply; an ambiguous name lists the candidates."""
    if isinstance(err, Ambiguous):
        lines = "\n".join(f"• {esc(c)}" for c in err.candidates)
        return f"{esc(err.message)}\n{lines}\nPlease use the @username or id."
    return esc(err.message)


def day(board_or_session_start: dtm.datetime, zone: str) -> str:
    """'Wed 2 Dec' in local time."""
    return format_day(to_local(board_or_session_start, zone).date())


def window(starts_at: dtm.datetime, ends_at: dtm.datetime, zone: str) -> str:
    """'Wed 2 Dec 19:00–23:00' in local time."""
    return f"{day(starts_at, zone)} {format_clock(starts_at, zone)}–{format_clock(ends_at, zone)}"


def welcome(volunteer: Volunteer, *, coordinator: bool, joined: bool) -> str:
    """Greeting after /start."""
    first = "Welcome to the team" if joined else "Welcome back"
    text = (
        f"{first}, {esc(volunteer.display_name)}!\n\n"
        "Send /rota to see the upcoming sessions and claim a shift, and /phone to share your "
        "number for emergencies. /name changes the name the team sees."
    )
    if coordinator:
        text += "\n\nYou're a coordinator: /invite makes invite links. /help lists everything."
    return text


def help_text(*, coordinator: bool) -> str:
    """The command list, with the coordinator part only for coordinators."""
    return HELP + (HELP_COORDINATOR if coordinator else "")


def invite_link(invite: Invite, bot_username: str, zone: str) -> str:
    """The deep link a coordinator forwards to a newcomer."""
    tags = f" with tags {esc(', '.join(sorted(invite.tags)))}" if invite.tags else ""
    expires = f"{day(invite.expires_at, zone)} {format_clock(invite.expires_at, zone)}"
    return (
        f"Here's a one-use invite{tags}, valid until {expires}:\n"
        f"https://t.me/{esc(bot_username)}?start={esc(invite.code)}\n\n"
        "Send it only to the person joining."
    )


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


def volunteers(people: Sequence[Volunteer]) -> str:
    """/volunteers."""
    if not people:
        return "Nobody has joined yet. /invite makes an invite link."
    lines = [f"<b>The team</b> ({len(people)})"]
    for v in people:
        handle = f" @{esc(v.username)}" if v.username else ""
        tags = f" – {esc(', '.join(sorted(v.tags)))}" if v.tags else ""
        phone = " ☎" if v.phone else ""
        lines.append(f"• {esc(v.display_name)}{handle}{tags}{phone}")
    return "\n".join(lines)


def tags_changed(volunteer: Volunteer) -> str:
    """After /tag or /untag."""
    tags = ", ".join(sorted(volunteer.tags)) or "none"
    return f"{esc(volunteer.display_name)} now has tags: {esc(tags)}."


def removed(
    volunteer: Volunteer,
    shifts: int,
    *,
    erased: bool,
    erase_after: dtm.datetime | None,
    zone: str,
) -> str:
    """After /remove or /remove ... forget: who, and what happens to their data."""
    name = esc(volunteer.display_name)
    freed = f" Their {shifts} upcoming shift(s) were freed." if shifts else ""
    if erased:
        return (
            f"{name} is no longer on the team and their details are erased now: name, "
            "username, phone number, Telegram id, tags and locations; stored messages and "
            'logs that named them now say "a former volunteer".'
            f"{freed} Anonymous counts of their past shifts stay for reports; messages already "
            "delivered into Telegram chats are out of my reach."
        )
    when = (
        f" until {day(erase_after, zone)} {to_local(erase_after, zone).year}"
        if erase_after
        else ""
    )
    handle = f"@{esc(volunteer.username)}" if volunteer.username else name
    return (
        f"{name} is no longer on the team.{freed} Their details are kept{when} (a new invite "
        f"brings them back), then erased. To erase them now: /remove {handle} forget"
    )


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


def left_group(p: LeftGroup) -> str:
    """To coordinators: the bot was added to a group that is not the team's, and left."""
    who = esc(p.by) if p.by else "Someone who is not on the team"
    return (
        f"{who} added me to the group “{esc(p.title)}”. I only work in the team's group, "
        "so I said so there and left. Nothing from that group was kept."
    )


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
