"""What the after-the-shift features say and write: debrief questions, the monthly report as
a table, a CSV and a PNG chart, and the rota export as CSV.

Chat messages are HTML: every value that came from a person goes through `esc`. The table
and the files are plain text (the console prints the table as it is).
"""

from __future__ import annotations

import datetime as dtm
from collections.abc import Mapping

from bot.refusals import words
from bot.texts import esc
from rota.kernel.localtime import format_day, to_local
from rota.reports.debriefs import (
    COUNT_KEYS,
    INCIDENT_STEP,
    MAX_COUNT,
    QUESTIONS,
    CountProblem,
    DebriefTurn,
    TurnKind,
)
from rota.reports.notices import DebriefIncident, DebriefQuestion
from rota.reports.refusals import ReportRefusal
from rota.reports.services import MonthlyReport
from rota.safety.model import EscalationKind

# --- the debrief ---------------------------------------------------------------------------

COUNT_LABELS: Mapping[str, str] = {
    "new_contacts": "Women contacted (new)",
    "repeat_contacts": "Women contacted (repeat)",
    "food_bags": "Food bags",
    "harm_reduction_kits": "Harm-reduction kits",
    "condoms": "Condoms",
    "referrals": "Referrals",
    "ugly_mugs_reports": "Ugly Mugs reports supported",
    "police_reports": "Police reports supported",
    "sarc_referrals": "SARC referrals supported",
}

_QUESTION_TEXT: Mapping[str, str] = {
    "new_contacts": "How many women did you make contact with who were <b>new</b> to us?",
    "repeat_contacts": "How many women did you make contact with who we had <b>met before</b>?",
    "food_bags": "How many <b>food bags</b> were given out?",
    "harm_reduction_kits": "How many <b>harm-reduction kits</b> were given out?",
    "condoms": "How many <b>condoms</b> were given out?",
    "referrals": "How many <b>referrals</b> to other services were made?",
    "ugly_mugs_reports": "How many <b>Ugly Mugs</b> reports did the team support?",
    "police_reports": "How many reports to the <b>police</b> did the team support?",
    "sarc_referrals": (
        "How many referrals to a <b>sexual-assault referral centre</b> (SARC) did the team "
        "support?"
    ),
}
INCIDENT_QUESTION = (
    "Any incident that needs follow-up? (type it, or 'no')\n"
    "<i>This goes only to the coordinators; it is not kept with the counts or put in any "
    "report.</i>"
)
COUNT_HINT = "<i>Reply with a number (0 is fine).</i>"
INTRO = (
    "Thank you for tonight 💜 A short debrief, {total} quick questions, one at a time. "
    "Counts only: please don't include names or descriptions of anyone you met."
)
INTRO_COORDINATORS = (
    "Nobody was down as team lead, so the debrief comes to the coordinators: whoever answers "
    "first takes it. Counts only: please don't include names or descriptions of anyone met."
)
NO_DEBRIEF = "There's no debrief waiting for you."
_PROBLEMS: Mapping[CountProblem, str] = {
    CountProblem.NOT_A_NUMBER: "Sorry, I need a whole number, like 0 or 12. Nothing was saved.",
    CountProblem.NEGATIVE: "A count can't be below zero. Nothing was saved.",
    CountProblem.TOO_BIG: (
        f"That's more than {MAX_COUNT:,}: could you check it? Nothing was saved."
    ),
}


def _session_day(starts_at: dtm.datetime, zone: str) -> str:
    return format_day(to_local(starts_at, zone).date())


def question(step: int, starts_at: dtm.datetime, zone: str) -> str:
    """One debrief question, headed with the session's day and the question's number."""
    head = f"<b>Debrief · {_session_day(starts_at, zone)} · {step + 1}/{QUESTIONS}</b>"
    if step >= INCIDENT_STEP:
        return f"{head}\n{INCIDENT_QUESTION}"
    return f"{head}\n{_QUESTION_TEXT[COUNT_KEYS[step]]}\n{COUNT_HINT}"


def first_question(p: DebriefQuestion, zone: str) -> str:
    """The outbox notice that opens a debrief (to the lead, or to every coordinator)."""
    intro = INTRO.format(total=QUESTIONS) if p.to_lead else INTRO_COORDINATORS
    return f"{intro}\n\n{question(p.step, p.starts_at, zone)}"


def totals_lines(answers: Mapping[str, int]) -> list[str]:
    """'• Food bags: 12' for every count answered."""
    return [f"• {COUNT_LABELS[k]}: {answers[k]}" for k in COUNT_KEYS if k in answers]


def turn(reply: DebriefTurn, zone: str) -> str:
    """The bot's answer to a debrief message: the next question, a re-ask, or thanks."""
    if reply.kind is TurnKind.REASK:
        problem = _PROBLEMS[reply.problem or CountProblem.NOT_A_NUMBER]
        return f"{problem}\n\n{question(reply.step, reply.session.starts_at, zone)}"
    if reply.kind is TurnKind.ASK:
        return question(reply.step, reply.session.starts_at, zone)
    day = _session_day(reply.session.starts_at, zone)
    lines = [f"<b>Thank you!</b> The debrief for {day} is saved:", *totals_lines(reply.answers)]
    lines.append(
        "Your note about an incident has gone to the coordinators."
        if reply.incident_passed_on
        else "No incident to follow up."
    )
    text = "\n".join(lines)
    if reply.next is not None:
        text += "\n\nThere's another debrief waiting for you:\n\n" + turn(reply.next, zone)
    return text


def incident(p: DebriefIncident, zone: str) -> str:
    """A debrief's incident note, for the coordinators only."""
    text = (
        f"📝 <b>Follow-up needed · {_session_day(p.starts_at, zone)}</b>\n"
        f"{esc(p.by)} answered the debrief's incident "
        f"question:\n\n{esc(p.text)}"
    )
    if p.truncated:
        text += "\n\n<i>(cut short: ask them for the rest)</i>"
    return text


# --- the monthly report --------------------------------------------------------------------

ESCALATION_LABELS: Mapping[str, str] = {
    EscalationKind.MISSED_CHECKIN.value: "Missed check-in",
    EscalationKind.SOS.value: "SOS",
    EscalationKind.DURESS.value: "Duress word",
    EscalationKind.HOME_SAFE.value: "Not home safe in time",
}


def hours(minutes: int) -> str:
    """Minutes as hours for people: '16', '6.5', '0.33'."""
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


def report_table(report: MonthlyReport, zone: str) -> str:
    """The report as an aligned plain-text table (printed by the CLI, <pre> in chat)."""
    made = to_local(report.generated_at, zone)
    time = [(r.label, str(r.shifts), hours(r.minutes)) for r in report.roles]
    time.append(("Total", str(report.total_shifts), hours(report.total_minutes)))
    shifts_width = max(len(shifts) for _, shifts, _ in time)
    hours_width = max(len(spent) for _, _, spent in time)
    blocks: list[tuple[str, list[tuple[str, str]]]] = [
        (
            "Sessions",
            [
                ("Held", str(report.sessions_held)),
                ("Cancelled", str(report.sessions_cancelled)),
                ("Still to come", str(report.sessions_to_come)),
                ("Walks ended early", str(report.walks_ended_early)),
            ],
        ),
        (
            "Volunteer time by role (shifts / hours)",
            [
                (label, f"{shifts:>{shifts_width}} / {spent:>{hours_width}}")
                for label, shifts, spent in time
            ],
        ),
        (
            f"Check-ins ({report.checkins_due} due)",
            [
                ("On time", str(report.checkins_on_time)),
                ("Late", str(report.checkins_late)),
                ("Missed", str(report.checkins_missed)),
            ],
        ),
        (
            "Escalations",
            [(ESCALATION_LABELS.get(k, k), str(v)) for k, v in report.escalations.items()],
        ),
        (
            f"Debrief totals ({report.debriefs_done} of {report.sessions_held} sessions "
            "debriefed)",
            [(COUNT_LABELS[k], str(report.debrief.get(k, 0))) for k in COUNT_KEYS],
        ),
    ]
    rows = [row for _title, block in blocks for row in block]
    label_width = max(len(label) for label, _ in rows)
    value_width = max(len(value) for _, value in rows)
    lines = [
        f"Outreach report: {report.month.title}",
        f"(made {made:%Y-%m-%d %H:%M} {zone}; anonymous counts only)",
    ]
    for title, block in blocks:
        lines += ["", title]
        lines += [f"  {label:<{label_width}}  {value:>{value_width}}" for label, value in block]
    return "\n".join(lines)


def report_message(report: MonthlyReport, zone: str) -> str:
    """The report in chat: the table in a monospace block."""
    return f"<pre>{esc(report_table(report, zone))}</pre>"


# --- the rota export -----------------------------------------------------------------------


# --- /mycalendar -------------------------------------------------------------------------

NO_SHIFTS = (
    "You have no upcoming shifts, so there's nothing to put in a calendar. "
    "/rota shows the sessions."
)


def calendar_caption(shifts: int, waitlisted: int) -> str:
    """The caption of the .ics file."""
    noun = "shift" if shifts == 1 else "shifts"
    text = f"Your {shifts} upcoming {noun}: open the file to add them to your calendar."
    if waitlisted:
        text += " Waitlist spots aren't included."
    return text


# ---------------------------------------------------------------------------- refusals

_MONTH_HOW = "write it as YYYY-MM, e.g. 2026-11"

words(
    {
        ReportRefusal.NOT_A_MONTH: "{text!r} is not a month: " + _MONTH_HOW,
        ReportRefusal.NO_SUCH_MONTH: (
            "{text!r} is not a month (there is no month {month:02d}): " + _MONTH_HOW
        ),
        ReportRefusal.NO_YEAR_ZERO: "{text!r} is not a month (there is no year 0): " + _MONTH_HOW,
        ReportRefusal.RANGE_BACKWARDS: "the range ends ({end}) before it starts ({start})",
        ReportRefusal.RANGE_TOO_LONG: "the range is longer than {limit} days; export less",
    }
)
