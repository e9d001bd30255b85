"""Words every feature shares (help, refusals, where a command works), and `esc`.

Each feature's own words are in bot/<feature>/texts.py, as pure functions of domain values
and the local time zone. Messages are HTML: every value that came from a person goes
through `esc`.
"""

from __future__ import annotations

import datetime as dtm
import html

from bot import refusals
from rota.kernel.errors import Ambiguous, DomainError, InvalidInput, RefusalCode
from rota.kernel.localtime import format_clock, format_day, format_month
from rota.kernel.refusals import TimeRefusal
from rota.roster.notices import LeftGroup

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


def refusal(err: DomainError, zone: str | None = None) -> str:
    """A domain refusal as an HTML reply; an ambiguous name lists the candidates.

    The whole sentence is escaped, so every fact a person supplied (a name, what they typed)
    is too. `zone` is needed only by refusals that carry an instant (shown as local time).
    """
    said = esc(refusal_plain(err, zone))
    if isinstance(err, Ambiguous):
        lines = "\n".join(f"• {esc(c)}" for c in err.candidates)
        return f"{said}\n{lines}\nPlease use the @username or id."
    return said


def refusal_plain(err: DomainError, zone: str | None = None) -> str:
    """A domain refusal as plain text (a button's alert, the command line): its code's wording
    with its facts; instants in local time, dates as YYYY-MM-DD."""
    wording = refusals.wording(err.code)
    if isinstance(wording, str):
        return wording.format(**{k: _shown(v, zone) for k, v in err.facts.items()})
    return wording(**err.facts)


def _shown(value: object, zone: str | None) -> object:
    if isinstance(value, dtm.datetime):
        if zone is None:
            raise ValueError("a refusal with an instant needs the local zone to be worded")
        return format_clock(value, zone)
    if isinstance(value, dtm.date):
        return value.isoformat()
    return value


class Usage(RefusalCode):
    """A command typed without what it needs: the wording is the command's usage line."""

    COMMAND = ("text",)


def usage(text: str) -> InvalidInput:
    """Refuse a command with its usage line (already worded here in bot/)."""
    return InvalidInput(Usage.COMMAND, text=text)


def _clock_change_time(day: dtm.date, at: dtm.time) -> str:
    return f"{at:%H:%M} on {format_day(day)} {day.year}"


refusals.words(
    {
        Usage.COMMAND: "{text}",
        TimeRefusal.NOT_A_DATE: "{text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-12-02",
        TimeRefusal.NO_YEAR_ZERO: "{text!r} is not a real date: there is no year 0",
        TimeRefusal.NO_SUCH_MONTH: "{text!r} is not a real date: there is no month {month:02d}",
        TimeRefusal.NO_DAY_ZERO: "{text!r} is not a real date: there is no day 00",
        TimeRefusal.MONTH_TOO_SHORT: lambda *, text, year, month, days: (
            f"{text!r} is not a real date: {format_month(year, month)} has only {days} days"
        ),
        TimeRefusal.NOT_A_TIME: "{text!r} is not a time: write it as HH:MM, e.g. 19:00",
        TimeRefusal.UNKNOWN_ZONE: "{zone!r} is not a time zone: use a name like Europe/London",
        TimeRefusal.SKIPPED_TIME: lambda *, day, at, zone: (
            f"{_clock_change_time(day, at)} does not exist in {zone}: the clocks go forward"
        ),
        TimeRefusal.REPEATED_TIME: lambda *, day, at, zone: (
            f"{_clock_change_time(day, at)} happens twice in {zone}: the clocks go back"
        ),
        TimeRefusal.NO_LENGTH: lambda *, day, start, end, zone: (
            f"the session {start:%H:%M}-{end:%H:%M} on {format_day(day)} {day.year} has no "
            f"length in {zone} once the clock change is applied"
        ),
    }
)


def help_text(*, coordinator: bool) -> str:
    """The command list, with the coordinator part only for coordinators."""
    return HELP + (HELP_COORDINATOR if coordinator else "")


def left_group(p: LeftGroup) -> str:
    """To coordinators: the bot was added to a group that is not the team's, and left."""
    who = esc(p.by) if p.by else "Someone who is not on the team"
    return (
        f"{who} added me to the group “{esc(p.title)}”. I only work in the team's group, "
        "so I said so there and left. Nothing from that group was kept."
    )
