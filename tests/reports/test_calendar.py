"""Calendars (.ics) and the rota export: right on both sides of the GMT/BST change.

The UK clocks go forward on Sun 28 Mar 2027. A shift at 19:00 London time is 19:00 UTC before
that and 18:00 UTC after it; the files are parsed back with icalendar and compared as instants.
"""

from __future__ import annotations

import csv
import datetime as dtm
import io
import zoneinfo

import icalendar
import pytest

from bot.reports import exports
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.errors import InvalidInput, NotRegistered
from rota.kernel.localtime import session_window
from rota.reports import services as reports
from rota.roster import calendar as ics
from rota.roster import sessions
from rota.roster.model import Session, SessionStatus
from tests.conftest import ADMIN_ID
from tests.services.helpers import Uow, admin_starts, boards, join, join_team, role_id, wait

UTC = dtm.UTC
LONDON = zoneinfo.ZoneInfo("Europe/London")
TIA, NELL, TESS = 101, 102, 103

# The brief's two shifts, either side of the change (both Thursdays), and the two template
# Wednesdays around them.
GMT_DAY, BST_DAY = dtm.date(2027, 3, 25), dtm.date(2027, 4, 1)
GMT_WED, BST_WED = dtm.date(2027, 3, 24), dtm.date(2027, 3, 31)


def events(data: bytes) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(data)
    return list(calendar.walk("VEVENT"))


def instant(event: icalendar.Event, name: str) -> dtm.datetime:
    value = event.decoded(name)
    assert isinstance(value, dtm.datetime)
    assert value.tzinfo is not None, f"{name} is a floating time"
    return value.astimezone(UTC)


def session_on(day: dtm.date, session_id: int) -> Session:
    starts_at, ends_at = session_window(day, dtm.time(19), dtm.time(23), "Europe/London")
    return Session(
        id=session_id,
        template_key=None,
        local_date=day,
        starts_at=starts_at,
        ends_at=ends_at,
        meeting_point="St Anne's Hall",
        note="Bring gloves",
        status=SessionStatus.SCHEDULED,
    )


def test_shift_times_are_right_across_the_clock_change() -> None:
    shifts = [(session_on(GMT_DAY, 1), "Walker"), (session_on(BST_DAY, 2), "Walker")]
    stamp = dtm.datetime(2027, 3, 1, 12, tzinfo=UTC)
    data = ics.build_ics(ics.shift_events(shifts), name="My shifts", stamp=stamp)
    gmt, bst = events(data)
    assert instant(gmt, "dtstart") == dtm.datetime(2027, 3, 25, 19, 0, tzinfo=UTC)
    assert instant(gmt, "dtend") == dtm.datetime(2027, 3, 25, 23, 0, tzinfo=UTC)
    assert instant(bst, "dtstart") == dtm.datetime(2027, 4, 1, 18, 0, tzinfo=UTC)
    assert instant(bst, "dtend") == dtm.datetime(2027, 4, 1, 22, 0, tzinfo=UTC)
    for event in (gmt, bst):
        local = instant(event, "dtstart").astimezone(LONDON)
        assert (local.hour, local.minute) == (19, 0)
        assert str(event["summary"]) == "Outreach: Walker"
        assert str(event["location"]) == "St Anne's Hall"
        assert "Bring gloves" in str(event["description"])
        assert instant(event, "dtstamp") == stamp
    assert str(gmt["uid"]) != str(bst["uid"])


def test_a_naive_time_is_refused() -> None:
    naive = ics.CalendarEvent(
        uid="x",
        starts_at=dtm.datetime(2027, 3, 25, 19),  # noqa: DTZ001 (the point of the test)
        ends_at=dtm.datetime(2027, 3, 25, 23),  # noqa: DTZ001
        summary="x",
        location="",
        description="",
    )
    with pytest.raises(ValueError, match="naive"):
        ics.build_ics([naive], name="x", stamp=dtm.datetime(2027, 1, 1, tzinfo=UTC))


async def spring(uow: Uow, config: RotaConfig, clock: FakeClock) -> dict[dtm.date, int]:
    """Sessions on both sides of the change; Tia takes a place on all four (by date)."""
    clock.set(dtm.datetime(2027, 3, 20, 12, tzinfo=UTC))
    await admin_starts(uow, config, clock)
    for day in (GMT_DAY, BST_DAY):
        await sessions.add_session(
            uow(),
            telegram_id=ADMIN_ID,
            day=day.isoformat(),
            start="19:00",
            end="23:00",
            note="Extra night",
            config=config,
            now=clock.now(),
        )
    await join_team(uow, config, clock, TIA, tags=("trained",), name="Tia")
    await join_team(uow, config, clock, NELL, tags=("new",), name="Nell")
    await join_team(uow, config, clock, TESS, tags=("trained",), name="=HYPERLINK(1)")
    by_day = {b.session.local_date: b for b in await boards(uow, config, clock)}
    for day in (GMT_WED, GMT_DAY, BST_WED, BST_DAY):
        await join(uow, config, clock, TIA, role_id(by_day[day], "walker"))
    return {day: board.session.id for day, board in by_day.items()}


async def test_my_calendar_through_the_database(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    ids = await spring(uow, config, clock)
    by_day = {b.session.local_date: b for b in await boards(uow, config, clock)}
    # other people's shifts on the same nights, which must not be in Tia's calendar
    await join(uow, config, clock, NELL, role_id(by_day[GMT_DAY], "walker"))
    await join(uow, config, clock, TESS, role_id(by_day[GMT_DAY], "dropin"))

    mine = await reports.my_calendar(uow(), telegram_id=TIA, config=config, now=clock.now())
    assert (mine.shifts, mine.waitlisted) == (4, 0)
    found = {instant(e, "dtstart"): e for e in events(mine.ics)}
    assert sorted(found) == [
        dtm.datetime(2027, 3, 24, 19, tzinfo=UTC),
        dtm.datetime(2027, 3, 25, 19, tzinfo=UTC),
        dtm.datetime(2027, 3, 31, 18, tzinfo=UTC),
        dtm.datetime(2027, 4, 1, 18, tzinfo=UTC),
    ]
    for start, event in found.items():
        assert start.astimezone(LONDON).hour == 19
        assert instant(event, "dtend") - start == dtm.timedelta(hours=4)
        assert str(event["summary"]) == "Outreach: Walker"
    assert str(found[dtm.datetime(2027, 4, 1, 18, tzinfo=UTC)]["uid"]) == (
        f"shift-{ids[BST_DAY]}@rotabot"
    )
    assert all("Nell" not in str(e.get("description")) for e in found.values())

    # once the first night has started, it is no longer upcoming
    clock.set(dtm.datetime(2027, 3, 24, 19, 30, tzinfo=UTC))
    mine = await reports.my_calendar(uow(), telegram_id=TIA, config=config, now=clock.now())
    assert mine.shifts == 3


async def test_waitlist_spots_are_left_out(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    await spring(uow, config, clock)
    by_day = {b.session.local_date: b for b in await boards(uow, config, clock)}
    await join(uow, config, clock, NELL, role_id(by_day[GMT_DAY], "walker"))
    await wait(uow, config, clock, TESS, role_id(by_day[GMT_DAY], "walker"))  # full: waitlisted
    mine = await reports.my_calendar(uow(), telegram_id=TESS, config=config, now=clock.now())
    assert (mine.shifts, mine.waitlisted) == (0, 1)
    assert events(mine.ics) == []


async def test_strangers_get_no_calendar(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    await spring(uow, config, clock)
    with pytest.raises(NotRegistered):
        await reports.my_calendar(uow(), telegram_id=555, config=config, now=clock.now())


async def test_the_rota_export_as_ics_and_csv(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    ids = await spring(uow, config, clock)
    by_day = {b.session.local_date: b for b in await boards(uow, config, clock)}
    await join(uow, config, clock, NELL, role_id(by_day[BST_WED], "walker"))
    await join(uow, config, clock, TESS, role_id(by_day[BST_WED], "dropin"))
    await sessions.cancel_session(
        uow(), telegram_id=ADMIN_ID, day=GMT_DAY.isoformat(), config=config, now=clock.now()
    )
    first, last = reports.parse_range("2027-03-24", "2027-04-01")
    rota = await reports.rota_between(uow(), first=first, last=last)
    assert [b.session.local_date for b in rota] == [GMT_WED, GMT_DAY, BST_WED, BST_DAY]

    data = ics.build_ics(ics.rota_events(rota), name="Outreach rota", stamp=clock.now())
    found = {str(e["uid"]): e for e in events(data)}
    assert len(found) == 4
    wed31 = found[f"session-{ids[BST_WED]}@rotabot"]
    assert instant(wed31, "dtstart") == dtm.datetime(2027, 3, 31, 18, tzinfo=UTC)
    description = str(wed31["description"])
    assert "Walker (2/2): Tia, Nell" in description
    assert "Drop-in (1/2): =HYPERLINK(1)" in description
    assert "Team lead (0/1): nobody yet" in description
    cancelled = found[f"session-{ids[GMT_DAY]}@rotabot"]
    assert str(cancelled["status"]) == "CANCELLED"
    assert str(cancelled["summary"]).startswith("CANCELLED")
    assert instant(cancelled, "dtstart") == dtm.datetime(2027, 3, 25, 19, tzinfo=UTC)

    rows = list(csv.DictReader(io.StringIO(exports.rota_csv(rota, config.zone).decode())))
    assert len(rows) == 4 * len(config.template.roles)
    walker = next(r for r in rows if r["date"] == "2027-03-31" and r["role"] == "Walker")
    assert walker == {
        "date": "2027-03-31",
        "day": "Wed",
        "start": "19:00",
        "end": "23:00",
        "meeting_point": "St Anne's Hall",
        "status": "scheduled",
        "role": "Walker",
        "places": "2",
        "confirmed": "2",
        "names": "Tia; Nell",
        "waitlist": "",
    }
    dropin = next(r for r in rows if r["date"] == "2027-03-31" and r["role"] == "Drop-in")
    assert dropin["names"] == "'=HYPERLINK(1)"  # a spreadsheet must not run it
    assert {r["status"] for r in rows if r["date"] == "2027-03-25"} == {"cancelled"}
    # the GMT night, read back in local time
    assert {(r["start"], r["end"]) for r in rows} == {("19:00", "23:00")}


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("2027-04-01", "2027-03-01"),
        ("2027-02-30", "2027-03-01"),
        ("1/3/2027", "2027-03-01"),
        ("2027-01-01", "2028-12-31"),
    ],
)
def test_bad_ranges(first: str, last: str) -> None:
    with pytest.raises(InvalidInput):
        reports.parse_range(first, last)
