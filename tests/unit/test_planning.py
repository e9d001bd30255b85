"""Which standing sessions should exist: exact local wall-clock times, week after week."""

from __future__ import annotations

import datetime as dtm

import pytest

from rota.kernel.localtime import LocalTimeError, format_clock, format_when
from rota.kernel.template import RoleSpec, RotaTemplate, SessionSpec
from rota.roster.planning import PlannedSession, plan_sessions
from tests.refusing import refusing

LONDON = "Europe/London"
WEDNESDAY = 2
SATURDAY = 5
SUNDAY = 6


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dtm.datetime:
    return dtm.datetime(year, month, day, hour, minute, tzinfo=dtm.UTC)


def spec(
    key: str = "wednesday",
    weekday: int = WEDNESDAY,
    start: dtm.time = dtm.time(19),
    end: dtm.time = dtm.time(23),
    weeks_ahead: int = 6,
    meeting_point: str = "St Anne's Hall",
) -> SessionSpec:
    return SessionSpec(
        key=key,
        weekday=weekday,
        start=start,
        end=end,
        meeting_point=meeting_point,
        weeks_ahead=weeks_ahead,
    )


def rota(*sessions: SessionSpec) -> RotaTemplate:
    walker = RoleSpec("walker", "Walker", 8, 4, pairs=True, requires=frozenset())
    return RotaTemplate(
        sessions=sessions or (spec(),), roles=(walker,), late_notice=dtm.timedelta(hours=48)
    )


def starts(planned: list[PlannedSession]) -> list[dtm.datetime]:
    return [p.starts_at for p in planned]


def dates(planned: list[PlannedSession]) -> list[dtm.date]:
    return [p.local_date for p in planned]


# --- clock changes ----------------------------------------------------------------------


def test_clocks_going_back_keep_the_session_at_19_local() -> None:
    planned = plan_sessions(rota(spec(weeks_ahead=2)), now=utc(2026, 10, 20, 12), zone=LONDON)
    assert starts(planned) == [utc(2026, 10, 21, 18), utc(2026, 10, 28, 19)]
    assert [p.ends_at for p in planned] == [utc(2026, 10, 21, 22), utc(2026, 10, 28, 23)]


def test_clocks_going_forward_keep_the_session_at_19_local() -> None:
    planned = plan_sessions(rota(spec(weeks_ahead=2)), now=utc(2027, 3, 23, 12), zone=LONDON)
    assert starts(planned) == [utc(2027, 3, 24, 19), utc(2027, 3, 31, 18)]
    assert [p.ends_at for p in planned] == [utc(2027, 3, 24, 23), utc(2027, 3, 31, 22)]


def test_a_whole_year_stays_on_wednesdays_at_19_local() -> None:
    planned = plan_sessions(rota(spec(weeks_ahead=52)), now=utc(2026, 6, 1), zone=LONDON)
    assert len(planned) == 52
    assert {format_clock(p.starts_at, LONDON) for p in planned} == {"19:00"}
    assert {format_clock(p.ends_at, LONDON) for p in planned} == {"23:00"}
    assert {p.local_date.weekday() for p in planned} == {WEDNESDAY}
    assert all(p.starts_at.date() == p.local_date for p in planned)


def test_saturday_night_across_clocks_going_back_runs_to_3_local() -> None:
    saturday = spec("saturday", SATURDAY, dtm.time(22), dtm.time(3), weeks_ahead=1)
    (planned,) = plan_sessions(rota(saturday), now=utc(2026, 10, 20), zone=LONDON)
    assert (planned.starts_at, planned.ends_at) == (utc(2026, 10, 24, 21), utc(2026, 10, 25, 3))


def test_an_end_in_the_repeated_hour_is_its_first_occurrence() -> None:
    saturday = spec("saturday", SATURDAY, dtm.time(19), dtm.time(1, 30), weeks_ahead=1)
    (planned,) = plan_sessions(rota(saturday), now=utc(2026, 10, 20), zone=LONDON)
    assert planned.ends_at == utc(2026, 10, 25, 0, 30)


def test_an_end_in_the_skipped_hour_moves_on_by_the_gap() -> None:
    saturday = spec("saturday", SATURDAY, dtm.time(19), dtm.time(1, 30), weeks_ahead=1)
    (planned,) = plan_sessions(rota(saturday), now=utc(2027, 3, 22), zone=LONDON)
    assert planned.ends_at == utc(2027, 3, 28, 1, 30)
    assert format_when(planned.ends_at, LONDON) == "Sun 28 Mar 02:30"


def test_a_start_in_the_skipped_hour_moves_on_by_the_gap() -> None:
    sunday = spec("sunday", SUNDAY, dtm.time(1, 30), dtm.time(4), weeks_ahead=1)
    (planned,) = plan_sessions(rota(sunday), now=utc(2027, 3, 22), zone=LONDON)
    assert (planned.starts_at, planned.ends_at) == (utc(2027, 3, 28, 1, 30), utc(2027, 3, 28, 3))


def test_a_date_the_clock_change_leaves_without_length_is_replaced_by_a_later_week() -> None:
    sunday = spec("sunday", SUNDAY, dtm.time(1, 30), dtm.time(2, 15), weeks_ahead=2)
    planned = plan_sessions(rota(sunday), now=utc(2027, 3, 22), zone=LONDON)
    assert dates(planned) == [dtm.date(2027, 4, 4), dtm.date(2027, 4, 11)]


# --- how many and from when -------------------------------------------------------------


@pytest.mark.parametrize("weeks_ahead", [1, 6, 52])
def test_exactly_weeks_ahead_occurrences(weeks_ahead: int) -> None:
    planned = plan_sessions(rota(spec(weeks_ahead=weeks_ahead)), now=utc(2026, 12, 1), zone=LONDON)
    assert len(planned) == weeks_ahead


def test_occurrences_are_a_week_apart_on_the_local_calendar() -> None:
    planned = plan_sessions(rota(), now=utc(2026, 11, 30), zone=LONDON)
    assert dates(planned) == [dtm.date(2026, 12, 2) + dtm.timedelta(weeks=n) for n in range(6)]


@pytest.mark.parametrize(
    ("now", "first"),
    [
        (utc(2026, 12, 1, 12), dtm.date(2026, 12, 2)),  # Tuesday
        (utc(2026, 12, 2, 18, 59), dtm.date(2026, 12, 2)),  # Wednesday, a minute before
        (utc(2026, 12, 2, 19), dtm.date(2026, 12, 9)),  # Wednesday, exactly at the start
        (utc(2026, 12, 2, 20), dtm.date(2026, 12, 9)),  # inside the Wednesday session
        (utc(2026, 12, 2, 23, 30), dtm.date(2026, 12, 9)),  # after it ended
        (utc(2026, 12, 3, 9), dtm.date(2026, 12, 9)),  # Thursday
    ],
)
def test_the_first_occurrence_has_not_started(now: dtm.datetime, first: dtm.date) -> None:
    planned = plan_sessions(rota(), now=now, zone=LONDON)
    assert planned[0].local_date == first
    assert len(planned) == 6
    assert all(p.starts_at > now for p in planned)


def test_now_inside_a_session_in_summer_time() -> None:
    planned = plan_sessions(rota(), now=utc(2026, 7, 1, 19), zone=LONDON)  # 20:00 BST
    assert planned[0].starts_at == utc(2026, 7, 8, 18)
    assert planned[-1].local_date == dtm.date(2026, 8, 12)


def test_night_session_ends_the_next_day() -> None:
    night = spec(end=dtm.time(1), weeks_ahead=1)
    (planned,) = plan_sessions(rota(night), now=utc(2026, 12, 1), zone=LONDON)
    assert planned.local_date == dtm.date(2026, 12, 2)
    assert (planned.starts_at, planned.ends_at) == (utc(2026, 12, 2, 19), utc(2026, 12, 3, 1))


def test_after_midnight_inside_a_night_session_the_next_week_is_first() -> None:
    night = spec(end=dtm.time(1))
    planned = plan_sessions(rota(night), now=utc(2026, 12, 3, 0, 30), zone=LONDON)
    assert planned[0].local_date == dtm.date(2026, 12, 9)


def test_today_is_the_local_date_not_the_utc_date() -> None:
    # 23:30 UTC on Tuesday is already 12:30 on Wednesday in Auckland.
    planned = plan_sessions(rota(), now=utc(2026, 12, 1, 23, 30), zone="Pacific/Auckland")
    assert planned[0].local_date == dtm.date(2026, 12, 2)
    assert planned[0].starts_at == utc(2026, 12, 2, 6)  # 19:00 NZDT is UTC+13


# --- the output -------------------------------------------------------------------------


def test_fields_are_copied_from_the_template() -> None:
    planned = plan_sessions(
        rota(spec(meeting_point="Side door")), now=utc(2026, 12, 1), zone=LONDON
    )
    assert {(p.template_key, p.meeting_point) for p in planned} == {("wednesday", "Side door")}


def test_instants_are_utc() -> None:
    planned = plan_sessions(rota(), now=utc(2026, 7, 1), zone=LONDON)
    assert {p.starts_at.tzinfo for p in planned} == {dtm.UTC}
    assert {p.ends_at.tzinfo for p in planned} == {dtm.UTC}


def test_several_sessions_are_sorted_by_start() -> None:
    template = rota(
        spec("saturday", SATURDAY, dtm.time(20), dtm.time(23), weeks_ahead=2),
        spec("wednesday", WEDNESDAY, weeks_ahead=2),
    )
    planned = plan_sessions(template, now=utc(2026, 12, 1), zone=LONDON)
    assert [(p.template_key, p.local_date.day) for p in planned] == [
        ("wednesday", 2),
        ("saturday", 5),
        ("wednesday", 9),
        ("saturday", 12),
    ]


def test_each_session_gets_its_own_weeks_ahead() -> None:
    template = rota(spec("a", weeks_ahead=2), spec("b", SATURDAY, weeks_ahead=5))
    planned = plan_sessions(template, now=utc(2026, 12, 1), zone=LONDON)
    assert [p.template_key for p in planned].count("a") == 2
    assert [p.template_key for p in planned].count("b") == 5


def test_same_start_is_ordered_by_key() -> None:
    template = rota(spec("zeta", weeks_ahead=1), spec("alpha", weeks_ahead=1))
    planned = plan_sessions(template, now=utc(2026, 12, 1), zone=LONDON)
    assert [p.template_key for p in planned] == ["alpha", "zeta"]


def test_planning_twice_gives_identical_output() -> None:
    template = rota(spec(), spec("saturday", SATURDAY, dtm.time(22), dtm.time(3)))
    now = utc(2026, 10, 14, 12)
    assert plan_sessions(template, now=now, zone=LONDON) == plan_sessions(
        template, now=now, zone=LONDON
    )


def test_planning_again_later_before_a_start_gives_identical_output() -> None:
    template = rota()
    first = plan_sessions(template, now=utc(2026, 12, 1, 9), zone=LONDON)
    assert plan_sessions(template, now=utc(2026, 12, 2, 18, 59), zone=LONDON) == first


def test_no_sessions_plan_nothing() -> None:
    template = RotaTemplate(sessions=(), roles=(), late_notice=dtm.timedelta(0))
    assert plan_sessions(template, now=utc(2026, 12, 1), zone=LONDON) == []


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        plan_sessions(rota(), now=dtm.datetime(2026, 12, 1), zone=LONDON)  # noqa: DTZ001


def test_unknown_zone_is_refused() -> None:
    with refusing(LocalTimeError, match="is not a time zone"):
        plan_sessions(rota(), now=utc(2026, 12, 1), zone="Mars/Olympus")
