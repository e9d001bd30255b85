"""Local wall-clock time at the edges, UTC inside: people type and read local times.

Instants are stored and compared in UTC. What people type (dates, ``HH:MM`` clock times) is
validated here and turned into UTC with pytz, whose ``is_dst=None`` refuses a wall-clock time
that does not exist or happens twice when the clocks change. What people read is converted
back with zoneinfo and formatted in short, unambiguous English.
"""

from __future__ import annotations

import calendar
import datetime as dtm
import functools
import re
import zoneinfo

import pytz

from rota.kernel.errors import DomainError
from rota.kernel.refusals import TimeRefusal

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_DATE = re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})", re.ASCII)
_CLOCK = re.compile(r"(?P<h>[0-9]{1,2}):(?P<m>[0-9]{2})", re.ASCII)


class LocalTimeError(DomainError, ValueError):
    """A date, time or zone someone wrote that cannot be used; its `TimeRefusal` says why."""


def parse_date(text: str) -> dtm.date:
    """Read a strict ``YYYY-MM-DD`` date, so there is never a day/month mix-up.

    Raises:
        LocalTimeError: the text is not in that form, or names a day that does not exist.
    """
    cleaned = text.strip()
    match = _DATE.fullmatch(cleaned)
    if match is None:
        raise LocalTimeError(TimeRefusal.NOT_A_DATE, text=text)
    year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    if year < 1:
        raise LocalTimeError(TimeRefusal.NO_YEAR_ZERO, text=cleaned)
    if not 1 <= month <= 12:
        raise LocalTimeError(TimeRefusal.NO_SUCH_MONTH, text=cleaned, month=month)
    last = calendar.monthrange(year, month)[1]
    if day == 0:
        raise LocalTimeError(TimeRefusal.NO_DAY_ZERO, text=cleaned)
    if day > last:
        raise LocalTimeError(
            TimeRefusal.MONTH_TOO_SHORT, text=cleaned, year=year, month=month, days=last
        )
    return dtm.date(year, month, day)


def parse_clock(text: str) -> dtm.time:
    """Read a strict 24-hour ``HH:MM`` clock time (``7:00`` is fine, ``7pm`` is not).

    Raises:
        LocalTimeError: the text is not a 24-hour time from 00:00 to 23:59.
    """
    match = _CLOCK.fullmatch(text.strip())
    if match is None or int(match["h"]) > 23 or int(match["m"]) > 59:
        raise LocalTimeError(TimeRefusal.NOT_A_TIME, text=text)
    return dtm.time(int(match["h"]), int(match["m"]))


@functools.lru_cache(maxsize=64)
def is_valid_zone(name: str) -> bool:
    """Whether both pytz and zoneinfo know the zone, so every conversion here works with it."""
    if name not in pytz.all_timezones_set:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _require_zone(zone: str) -> None:
    if not is_valid_zone(zone):
        raise LocalTimeError(TimeRefusal.UNKNOWN_ZONE, zone=zone)


def local_to_utc(day: dtm.date, at: dtm.time, zone: str) -> dtm.datetime:
    """Turn a local date and wall-clock time into a UTC instant, refusing DST-change times.

    Raises:
        LocalTimeError: the zone is unknown, or the time does not exist (clocks go forward)
            or happens twice (clocks go back) on that day.
    """
    _require_zone(zone)
    tz = pytz.timezone(zone)
    naive = dtm.datetime.combine(day, at.replace(tzinfo=None))
    try:
        aware = tz.localize(naive, is_dst=None)
    except pytz.NonExistentTimeError:
        raise LocalTimeError(TimeRefusal.SKIPPED_TIME, day=day, at=at, zone=zone) from None
    except pytz.AmbiguousTimeError:
        raise LocalTimeError(TimeRefusal.REPEATED_TIME, day=day, at=at, zone=zone) from None
    return aware.astimezone(dtm.UTC)


def _lenient_to_utc(day: dtm.date, at: dtm.time, zone: str) -> dtm.datetime:
    """Resolve any wall-clock time: a skipped one moves on by the gap, a repeated one is the first.

    This is PEP 495's ``fold=0`` rule (what zoneinfo and most calendar apps do).
    """
    _require_zone(zone)
    naive = dtm.datetime.combine(day, at.replace(tzinfo=None))
    return naive.replace(tzinfo=zoneinfo.ZoneInfo(zone), fold=0).astimezone(dtm.UTC)


def session_window(
    day: dtm.date, start: dtm.time, end: dtm.time, zone: str, *, strict: bool = True
) -> tuple[dtm.datetime, dtm.datetime]:
    """The UTC start and end of a session held on a local date between two wall-clock times.

    An end at or before the start means the session runs past midnight and ends on the next
    day (19:00-01:00). With ``strict`` (the default, for times people type) a time that does
    not exist or happens twice is refused. With ``strict=False`` (for generating standing
    sessions, which must not fail once a year) a skipped time moves on by the gap and a
    repeated time means its first occurrence.

    Raises:
        LocalTimeError: the zone is unknown; when strict, a start or end falls in a clock
            change; when not strict, the resolved end is not after the resolved start
            (only possible for a session starting inside the hour the clocks skip).
    """
    end_day = day + dtm.timedelta(days=1) if end <= start else day
    convert = local_to_utc if strict else _lenient_to_utc
    starts_at = convert(day, start, zone)
    ends_at = convert(end_day, end, zone)
    if ends_at <= starts_at:
        raise LocalTimeError(TimeRefusal.NO_LENGTH, day=day, start=start, end=end, zone=zone)
    return starts_at, ends_at


def to_local(instant: dtm.datetime, zone: str) -> dtm.datetime:
    """The wall-clock time an aware instant shows in a zone, for display and "today".

    Raises:
        ValueError: the instant is naive (it could mean anything).
        LocalTimeError: the zone is unknown.
    """
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"need a timezone-aware instant, got naive {instant.isoformat()}")
    _require_zone(zone)
    return instant.astimezone(zoneinfo.ZoneInfo(zone))


def local_today(now: dtm.datetime, zone: str) -> dtm.date:
    """The local calendar date at an instant: what "today" means to the team."""
    return to_local(now, zone).date()


def format_month(year: int, month: int) -> str:
    """A short, locale-independent month, e.g. ``Feb 2026``."""
    return f"{_MONTHS[month - 1]} {year}"


def format_day(day: dtm.date) -> str:
    """A short, locale-independent day for chat messages, e.g. ``Wed 2 Dec``."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


def format_clock(instant: dtm.datetime, zone: str) -> str:
    """The local 24-hour clock time of an instant, e.g. ``19:00``."""
    return f"{to_local(instant, zone):%H:%M}"


def format_when(instant: dtm.datetime, zone: str) -> str:
    """The local day and time of an instant for chat messages, e.g. ``Wed 2 Dec 19:00``."""
    local = to_local(instant, zone)
    return f"{format_day(local.date())} {local:%H:%M}"
