"""Shifts and rotas as iCalendar (.ics) files, for phones' and laptops' calendar apps.

Pure: sessions in, bytes out. Times are written as UTC instants (``...Z``), which every
calendar app shows in its own local time, so a shift is right on both sides of the
GMT/BST change without shipping a VTIMEZONE.
"""

from __future__ import annotations

import datetime as dtm
from collections.abc import Sequence
from dataclasses import dataclass

import icalendar

from rota.roster.model import Session, SessionBoard, SignUpStatus

PRODID = "-//rotabot//outreach rota//EN"
UID_DOMAIN = "rotabot"


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One event: a session, or someone's shift in it."""

    uid: str
    starts_at: dtm.datetime
    ends_at: dtm.datetime
    summary: str
    location: str
    description: str
    cancelled: bool = False


def _utc(instant: dtm.datetime) -> dtm.datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"need a timezone-aware instant, got naive {instant.isoformat()}")
    return instant.astimezone(dtm.UTC)


def build_ics(events: Sequence[CalendarEvent], *, name: str, stamp: dtm.datetime) -> bytes:
    """A VCALENDAR with one VEVENT per event; `stamp` is when it was made (DTSTAMP)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for item in events:
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("dtstamp", _utc(stamp))
        event.add("dtstart", _utc(item.starts_at))
        event.add("dtend", _utc(item.ends_at))
        event.add("summary", item.summary)
        if item.location:
            event.add("location", item.location)
        if item.description:
            event.add("description", item.description)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def shift_events(shifts: Sequence[tuple[Session, str]]) -> list[CalendarEvent]:
    """Someone's own shifts: (the session, the label of their role in it)."""
    events = []
    for session, role_label in shifts:
        lines = [f"Your role: {role_label}", f"Meet at: {session.meeting_point}"]
        if session.note:
            lines.append(session.note)
        events.append(
            CalendarEvent(
                uid=f"shift-{session.id}@{UID_DOMAIN}",
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                summary=f"Outreach: {role_label}",
                location=session.meeting_point,
                description="\n".join(lines),
                cancelled=session.is_cancelled,
            )
        )
    return events


def roster_lines(board: SessionBoard) -> list[str]:
    """'Walker: Ana, Ben (waitlist: Cat)' per role, in the template's order."""
    lines = []
    for role in board.roles:
        names = [e.volunteer.display_name for e in board.entries(role.id, SignUpStatus.CONFIRMED)]
        waiting = [
            e.volunteer.display_name for e in board.entries(role.id, SignUpStatus.WAITLISTED)
        ]
        line = f"{role.label} ({len(names)}/{role.capacity}): {', '.join(names) or 'nobody yet'}"
        if waiting:
            line += f" (waitlist: {', '.join(waiting)})"
        lines.append(line)
    return lines


def rota_events(boards: Sequence[SessionBoard]) -> list[CalendarEvent]:
    """One event per session with the roster in its description (the coordinators' export)."""
    events = []
    for board in boards:
        session = board.session
        lines = roster_lines(board)
        if session.note:
            lines.append(f"Note: {session.note}")
        summary = "Outreach session"
        if session.is_cancelled:
            summary = f"CANCELLED: {summary}"
        events.append(
            CalendarEvent(
                uid=f"session-{session.id}@{UID_DOMAIN}",
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                summary=summary,
                location=session.meeting_point,
                description="\n".join(lines),
                cancelled=session.is_cancelled,
            )
        )
    return events
