"""Which standing sessions should exist, worked out from the template and the current time.

Each occurrence is computed from its own local date and wall-clock times, never by adding a
week to an earlier instant, so a 19:00 session stays at 19:00 local across clock changes.
"""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass

from rota.kernel.localtime import LocalTimeError, local_today, session_window
from rota.kernel.template import RotaTemplate, SessionSpec


@dataclass(frozen=True, slots=True)
class PlannedSession:
    """One future night out the template calls for, with its instants in UTC."""

    template_key: str
    local_date: dtm.date
    starts_at: dtm.datetime
    ends_at: dtm.datetime
    meeting_point: str


def _occurrences(spec: SessionSpec, *, now: dtm.datetime, zone: str) -> list[PlannedSession]:
    today = local_today(now, zone)
    first = today + dtm.timedelta(days=(spec.weekday - today.weekday()) % 7)
    planned: list[PlannedSession] = []
    # At most one occurrence (today's) can already have started and clock changes spoil
    # at most a date or two a year; the bound only guards against looping forever.
    for week in range(spec.weeks_ahead + 60):
        day = first + dtm.timedelta(weeks=week)  # calendar arithmetic on dates, not instants
        try:
            starts_at, ends_at = session_window(day, spec.start, spec.end, zone, strict=False)
        except LocalTimeError:
            continue  # the clock change leaves it no length: no session that night
        if starts_at <= now:
            continue
        planned.append(
            PlannedSession(
                template_key=spec.key,
                local_date=day,
                starts_at=starts_at,
                ends_at=ends_at,
                meeting_point=spec.meeting_point,
            )
        )
        if len(planned) == spec.weeks_ahead:
            break
    return planned


def plan_sessions(template: RotaTemplate, *, now: dtm.datetime, zone: str) -> list[PlannedSession]:
    """The next ``weeks_ahead`` not-yet-started occurrences of every session, by start time.

    Occurrences are counted from today's local date; one whose start is at or before ``now``
    is left out and the next week's taken instead, so each session always has exactly
    ``weeks_ahead`` entries (on a Wednesday at 20:00 a weekly Wednesday session's list starts
    next week). A start or end that the clocks skip moves on by the gap, and one they repeat
    means its first occurrence; a date where that leaves the session no length at all (it
    starts inside the skipped hour and ends within an hour after it) is left out and
    replaced by a later week.

    The result is what should exist, not a list of what may: sessions already under way, in
    the past, or further ahead than ``weeks_ahead`` are simply not mentioned.

    Raises:
        ValueError: ``now`` is naive.
        LocalTimeError: the zone is unknown.
    """
    planned = [
        occurrence
        for spec in template.sessions
        for occurrence in _occurrences(spec, now=now, zone=zone)
    ]
    planned.sort(key=lambda p: (p.starts_at, p.template_key))
    return planned
