"""After the shift, on paper: the monthly report, the rota export and people's own calendars.

The monthly report counts what a funder asks about: sessions held, volunteer hours by role,
how check-ins went, alarms raised, and the debrief totals. It holds anonymous counts only:
no names of the women met, and never the free text of a debrief's incident question.
"""

from __future__ import annotations

import calendar as stdlib_calendar
import datetime as dtm
import re
from collections.abc import Mapping
from dataclasses import dataclass

from rota.kernel.config import RotaConfig
from rota.kernel.errors import InvalidInput
from rota.kernel.localtime import LocalTimeError, local_today, parse_date
from rota.kernel.template import CheckInPlan
from rota.kernel.uow import UnitOfWork
from rota.people.access import require_coordinator, require_volunteer
from rota.reports.debriefs import COUNT_KEYS
from rota.reports.model import DebriefState
from rota.reports.refusals import ReportRefusal
from rota.roster import calendar as ics
from rota.roster.boards import build_boards
from rota.roster.model import SessionBoard, SignUpStatus
from rota.safety.checkin_plan import effective_plan
from rota.safety.model import CheckInState, EscalationKind

_MONTH = re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})", re.ASCII)
MONTH_NAMES = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MAX_EXPORT_DAYS = 400
WALK_ENDED_EARLY = "walk_over"  # the safety-log event of a walk the lead ended early


@dataclass(frozen=True, slots=True, order=True)
class Month:
    """A calendar month in the charity's local time."""

    year: int
    month: int

    @property
    def first(self) -> dtm.date:
        return dtm.date(self.year, self.month, 1)

    @property
    def last(self) -> dtm.date:
        return dtm.date(
            self.year, self.month, stdlib_calendar.monthrange(self.year, self.month)[1]
        )

    @property
    def key(self) -> str:
        """'2026-11'."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def title(self) -> str:
        """'November 2026'."""
        return f"{MONTH_NAMES[self.month]} {self.year}"


def parse_month(text: str) -> Month:
    """Read a strict ``YYYY-MM`` month.

    Raises:
        InvalidInput: the text is not a month in that form.
    """
    cleaned = text.strip()
    match = _MONTH.fullmatch(cleaned)
    if match is None:
        raise InvalidInput(ReportRefusal.NOT_A_MONTH, text=cleaned)
    year, month = int(match["y"]), int(match["m"])
    if not 1 <= month <= 12:
        raise InvalidInput(ReportRefusal.NO_SUCH_MONTH, text=cleaned, month=month)
    if year < 1:
        raise InvalidInput(ReportRefusal.NO_YEAR_ZERO, text=cleaned)
    return Month(year, month)


def month_of(now: dtm.datetime, zone: str) -> Month:
    """The local month at an instant (what "this month" means to the team)."""
    today = local_today(now, zone)
    return Month(today.year, today.month)


@dataclass(frozen=True, slots=True)
class RoleHours:
    """Volunteer time in one role over the month: confirmed places x session length."""

    key: str
    label: str
    shifts: int
    minutes: int

    @property
    def hours(self) -> float:
        return self.minutes / 60


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    """Everything the monthly report says, as counts."""

    month: Month
    generated_at: dtm.datetime
    sessions_held: int
    sessions_cancelled: int
    sessions_to_come: int
    roles: tuple[RoleHours, ...]
    checkins_on_time: int
    checkins_late: int
    checkins_missed: int
    escalations: Mapping[str, int]  # every EscalationKind value, zeros included
    debrief: Mapping[str, int]  # every debrief count key, zeros included
    debriefs_done: int
    walks_ended_early: int

    @property
    def total_minutes(self) -> int:
        return sum(r.minutes for r in self.roles)

    @property
    def total_shifts(self) -> int:
        return sum(r.shifts for r in self.roles)

    @property
    def checkins_due(self) -> int:
        return self.checkins_on_time + self.checkins_late + self.checkins_missed


async def _compute(
    uow: UnitOfWork, month: Month, now: dtm.datetime, plan: CheckInPlan
) -> MonthlyReport:
    sessions = await uow.reports.sessions_between(month.first, month.last)
    held = [s for s in sessions if not s.is_cancelled and s.ends_at <= now]
    ids = [s.id for s in held]
    length = {s.id: int((s.ends_at - s.starts_at).total_seconds()) // 60 for s in held}

    shifts: dict[str, int] = {}
    minutes: dict[str, int] = {}
    labels: dict[str, tuple[int, str]] = {}  # key -> (position, label), from the latest session
    for role in await uow.reports.staffed_roles(ids):
        shifts[role.key] = shifts.get(role.key, 0) + role.confirmed
        minutes[role.key] = minutes.get(role.key, 0) + role.confirmed * length[role.session_id]
        labels[role.key] = (role.position, role.label)
    roles = tuple(
        RoleHours(key, labels[key][1], shifts[key], minutes[key])
        for key in sorted(labels, key=lambda k: (labels[k][0], k))
    )

    on_time = late = missed = 0
    by_id = {s.id: s for s in held}
    for checkin in await uow.reports.checkins(ids):
        if checkin.checked_at is not None:
            # On time means before the reminder: the prompt itself only goes out at due time.
            grace = effective_plan(plan, by_id[checkin.session_id].checkin_plan).grace
            if checkin.checked_at <= checkin.due_at + grace:
                on_time += 1
            else:
                late += 1
        elif checkin.state is CheckInState.OPEN and checkin.due_at <= now:
            missed += 1  # never checked in; cancelled ones (the walk ended first) don't count

    escalations = {kind.value: 0 for kind in EscalationKind}
    for escalation in await uow.reports.escalations(ids):
        escalations[escalation.kind.value] = escalations.get(escalation.kind.value, 0) + 1

    debrief = dict.fromkeys(COUNT_KEYS, 0)
    done = 0
    for answered in await uow.reports.debriefs(ids):
        done += answered.state is DebriefState.DONE
        for key in COUNT_KEYS:
            debrief[key] += answered.answers.get(key, 0)

    early = await uow.reports.log_counts(ids, [WALK_ENDED_EARLY])
    return MonthlyReport(
        month=month,
        generated_at=now,
        sessions_held=len(held),
        sessions_cancelled=sum(s.is_cancelled for s in sessions),
        sessions_to_come=sum(not s.is_cancelled and s.ends_at > now for s in sessions),
        roles=roles,
        checkins_on_time=on_time,
        checkins_late=late,
        checkins_missed=missed,
        escalations=escalations,
        debrief=debrief,
        debriefs_done=done,
        walks_ended_early=early[WALK_ENDED_EARLY],
    )


async def monthly_report(
    uow: UnitOfWork, *, month: str, now: dtm.datetime, plan: CheckInPlan | None = None
) -> MonthlyReport:
    """The report of one month (``YYYY-MM``), for the console (whoever can read the database).

    Raises:
        InvalidInput: the month does not parse; nothing is read.
    """
    wanted = parse_month(month)
    async with uow:
        return await _compute(uow, wanted, now, plan or CheckInPlan())


async def coordinator_report(
    uow: UnitOfWork, *, telegram_id: int, month: str, config: RotaConfig, now: dtm.datetime
) -> MonthlyReport:
    """/report [YYYY-MM]: coordinators only; no month means this month, in local time."""
    async with uow:
        await require_coordinator(uow, telegram_id, config)
        wanted = parse_month(month) if month.strip() else month_of(now, config.zone)
        return await _compute(uow, wanted, now, config.template.checkins)


# --- the rota export ---------------------------------------------------------------------


def parse_range(first: str, last: str) -> tuple[dtm.date, dtm.date]:
    """Two ``YYYY-MM-DD`` dates, the first not after the last, at most MAX_EXPORT_DAYS apart.

    Raises:
        InvalidInput: either date does not parse, or the range is backwards or too long.
    """
    try:
        start, end = parse_date(first), parse_date(last)
    except LocalTimeError as err:
        raise InvalidInput(err.code, **err.facts) from None
    if end < start:
        raise InvalidInput(ReportRefusal.RANGE_BACKWARDS, start=start, end=end)
    if (end - start).days >= MAX_EXPORT_DAYS:
        raise InvalidInput(ReportRefusal.RANGE_TOO_LONG, limit=MAX_EXPORT_DAYS)
    return start, end


async def rota_between(uow: UnitOfWork, *, first: dtm.date, last: dtm.date) -> list[SessionBoard]:
    """Every session between two local dates (cancelled ones too), with roles and people."""
    async with uow:
        sessions = await uow.reports.sessions_between(first, last)
        return await build_boards(uow, sessions, with_roster=True)


@dataclass(frozen=True, slots=True)
class MyCalendar:
    """Someone's upcoming confirmed shifts as an .ics file."""

    shifts: int
    waitlisted: int
    ics: bytes


async def my_calendar(
    uow: UnitOfWork, *, telegram_id: int, config: RotaConfig, now: dtm.datetime
) -> MyCalendar:
    """/mycalendar: the caller's upcoming confirmed shifts (waitlist spots left out)."""
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        entries = await uow.signups.upcoming_for(volunteer.id, now)
        confirmed = [e for e in entries if e.signup.status is SignUpStatus.CONFIRMED]
        sessions = await uow.sessions.many([e.signup.session_id for e in confirmed])
        shifts = [(sessions[e.signup.session_id], e.role.label) for e in confirmed]
        data = ics.build_ics(ics.shift_events(shifts), name="My outreach shifts", stamp=now)
        return MyCalendar(shifts=len(shifts), waitlisted=len(entries) - len(confirmed), ics=data)
