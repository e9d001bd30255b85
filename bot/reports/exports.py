"""The monthly report and the rota as CSV files (cells a spreadsheet would run are escaped)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from bot.csvcells import safe_cell
from bot.reports.texts import hours
from rota.kernel.localtime import format_clock, format_day, to_local
from rota.reports.debriefs import (
    COUNT_KEYS,
)
from rota.reports.services import MonthlyReport
from rota.roster.model import SessionBoard, SignUpStatus


def report_csv(report: MonthlyReport) -> bytes:
    """The report as CSV: one figure per row (section, item, value), for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "item", "value"])
    writer.writerow(["report", "month", report.month.key])
    writer.writerow(["sessions", "held", report.sessions_held])
    writer.writerow(["sessions", "cancelled", report.sessions_cancelled])
    writer.writerow(["sessions", "still_to_come", report.sessions_to_come])
    writer.writerow(["sessions", "walks_ended_early", report.walks_ended_early])
    for role in report.roles:
        writer.writerow(["volunteer_shifts", safe_cell(role.label), role.shifts])
    writer.writerow(["volunteer_shifts", "total", report.total_shifts])
    for role in report.roles:
        writer.writerow(["volunteer_hours", safe_cell(role.label), hours(role.minutes)])
    writer.writerow(["volunteer_hours", "total", hours(report.total_minutes)])
    writer.writerow(["checkins", "on_time", report.checkins_on_time])
    writer.writerow(["checkins", "late", report.checkins_late])
    writer.writerow(["checkins", "missed", report.checkins_missed])
    for kind, count in report.escalations.items():
        writer.writerow(["escalations", kind, count])
    for key in COUNT_KEYS:
        writer.writerow(["debrief", key, report.debrief.get(key, 0)])
    writer.writerow(["debrief", "sessions_debriefed", report.debriefs_done])
    return out.getvalue().encode("utf-8")


ROTA_CSV_HEADER = (
    "date",
    "day",
    "start",
    "end",
    "meeting_point",
    "status",
    "role",
    "places",
    "confirmed",
    "names",
    "waitlist",
)


def rota_csv(boards: Sequence[SessionBoard], zone: str) -> bytes:
    """Every session x role with who is in it (local times), for coordinators."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ROTA_CSV_HEADER)
    for board in boards:
        s = board.session
        start = to_local(s.starts_at, zone)
        for role in board.roles:
            names = [
                e.volunteer.display_name for e in board.entries(role.id, SignUpStatus.CONFIRMED)
            ]
            waiting = [
                e.volunteer.display_name for e in board.entries(role.id, SignUpStatus.WAITLISTED)
            ]
            writer.writerow(
                [
                    s.local_date.isoformat(),
                    format_day(start.date()).split()[0],
                    format_clock(s.starts_at, zone),
                    format_clock(s.ends_at, zone),
                    safe_cell(s.meeting_point),
                    s.status.value,
                    safe_cell(role.label),
                    role.capacity,
                    len(names),
                    safe_cell("; ".join(names)),
                    safe_cell("; ".join(waiting)),
                ]
            )
    return out.getvalue().encode("utf-8")
