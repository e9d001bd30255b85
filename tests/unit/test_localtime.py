"""Local wall-clock time at the edges, UTC inside, including the weeks the clocks change."""

from __future__ import annotations

import datetime as dtm

import pytest

from rota.kernel.localtime import (
    LocalTimeError,
    format_clock,
    format_day,
    format_when,
    is_valid_zone,
    local_to_utc,
    local_today,
    parse_clock,
    parse_date,
    session_window,
    to_local,
)
from tests.refusing import refusing, worded

LONDON = "Europe/London"
UTC = dtm.UTC


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dtm.datetime:
    return dtm.datetime(year, month, day, hour, minute, tzinfo=UTC)


def t(hh: int, mm: int = 0) -> dtm.time:
    return dtm.time(hh, mm)


# --- parse_date -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-02", dtm.date(2026, 12, 2)),
        (" 2026-12-02 ", dtm.date(2026, 12, 2)),
        ("2024-02-29", dtm.date(2024, 2, 29)),
        ("2026-01-31", dtm.date(2026, 1, 31)),
    ],
)
def test_parse_date_reads_iso_dates(text: str, expected: dtm.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "31/12",
        "02/12/2026",
        "2026/12/02",
        "2026-12-2",
        "26-12-02",
        "20261202",
        "2026-12-02T19:00",
        "2 Dec 2026",
        "",
        "\u0662\u0660\u0662\u0666-12-02",
    ],
)
def test_parse_date_refuses_other_forms(text: str) -> None:
    with refusing(LocalTimeError, match="is not a date: write it as YYYY-MM-DD"):
        parse_date(text)


def test_parse_date_message_shows_an_example() -> None:
    with pytest.raises(LocalTimeError) as caught:
        parse_date("31/12")
    assert worded(caught.value) == "'31/12' is not a date: write it as YYYY-MM-DD, e.g. 2026-12-02"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-02-30", "Feb 2026 has only 28 days"),
        ("2026-02-29", "Feb 2026 has only 28 days"),
        ("2024-02-30", "Feb 2024 has only 29 days"),
        ("2026-04-31", "Apr 2026 has only 30 days"),
        ("2026-12-32", "Dec 2026 has only 31 days"),
        ("2026-12-00", "there is no day 00"),
        ("2026-13-01", "there is no month 13"),
        ("2026-00-10", "there is no month 00"),
        ("0000-01-01", "there is no year 0"),
    ],
)
def test_parse_date_says_an_impossible_date_is_impossible(text: str, reason: str) -> None:
    with pytest.raises(LocalTimeError) as caught:
        parse_date(text)
    assert worded(caught.value) == f"{text!r} is not a real date: {reason}"


# --- parse_clock ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19:00", t(19)),
        ("7:00", t(7)),
        ("07:05", t(7, 5)),
        ("00:00", t(0)),
        ("23:59", t(23, 59)),
        (" 19:30 ", t(19, 30)),
    ],
)
def test_parse_clock_reads_24_hour_times(text: str, expected: dtm.time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    "text",
    ["24:00", "19:60", "7pm", "7:00pm", "19", "1900", "19:0", "19:000", "19.00", "-1:00", ""],
)
def test_parse_clock_refuses_anything_else(text: str) -> None:
    with refusing(LocalTimeError, match="is not a time: write it as HH:MM"):
        parse_clock(text)


def test_parse_clock_message_shows_an_example() -> None:
    with pytest.raises(LocalTimeError) as caught:
        parse_clock("7pm")
    assert worded(caught.value) == "'7pm' is not a time: write it as HH:MM, e.g. 19:00"


def test_local_time_error_is_a_value_error() -> None:
    assert issubclass(LocalTimeError, ValueError)


# --- local_to_utc -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        (dtm.date(2026, 12, 2), t(19), utc(2026, 12, 2, 19)),  # GMT
        (dtm.date(2026, 7, 1), t(19), utc(2026, 7, 1, 18)),  # BST
        (dtm.date(2026, 10, 25), t(2, 30), utc(2026, 10, 25, 2, 30)),  # just after going back
        (dtm.date(2027, 3, 28), t(2, 30), utc(2027, 3, 28, 1, 30)),  # just after going forward
    ],
)
def test_local_to_utc_converts_wall_clock_to_utc(
    day: dtm.date, at: dtm.time, expected: dtm.datetime
) -> None:
    assert local_to_utc(day, at, LONDON) == expected


def test_local_to_utc_returns_utc_aware_instants() -> None:
    assert local_to_utc(dtm.date(2026, 7, 1), t(19), LONDON).tzinfo is UTC


def test_local_to_utc_refuses_a_time_the_clocks_skip() -> None:
    with pytest.raises(LocalTimeError) as caught:
        local_to_utc(dtm.date(2027, 3, 28), t(1, 30), LONDON)
    assert worded(caught.value) == (
        "01:30 on Sun 28 Mar 2027 does not exist in Europe/London: the clocks go forward"
    )


def test_local_to_utc_refuses_a_time_the_clocks_repeat() -> None:
    with pytest.raises(LocalTimeError) as caught:
        local_to_utc(dtm.date(2026, 10, 25), t(1, 30), LONDON)
    assert worded(caught.value) == (
        "01:30 on Sun 25 Oct 2026 happens twice in Europe/London: the clocks go back"
    )


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "europe/london", "../etc/passwd"])
def test_local_to_utc_refuses_an_unknown_zone(zone: str) -> None:
    with refusing(LocalTimeError, match="is not a time zone"):
        local_to_utc(dtm.date(2026, 12, 2), t(19), zone)


# --- session_window ---------------------------------------------------------------------


def test_session_window_same_evening() -> None:
    assert session_window(dtm.date(2026, 12, 2), t(19), t(23), LONDON) == (
        utc(2026, 12, 2, 19),
        utc(2026, 12, 2, 23),
    )


def test_session_window_night_session_ends_next_day() -> None:
    assert session_window(dtm.date(2026, 12, 2), t(19), t(1), LONDON) == (
        utc(2026, 12, 2, 19),
        utc(2026, 12, 3, 1),
    )


def test_session_window_equal_start_and_end_is_a_full_day() -> None:
    start, end = session_window(dtm.date(2026, 12, 2), t(19), t(19), LONDON)
    assert end - start == dtm.timedelta(hours=24)


@pytest.mark.parametrize(
    ("day", "expected_start"),
    [
        (dtm.date(2026, 10, 21), utc(2026, 10, 21, 18)),  # BST
        (dtm.date(2026, 10, 28), utc(2026, 10, 28, 19)),  # GMT: clocks went back on 25 Oct
        (dtm.date(2027, 3, 24), utc(2027, 3, 24, 19)),  # GMT
        (dtm.date(2027, 3, 31), utc(2027, 3, 31, 18)),  # BST: clocks went forward on 28 Mar
    ],
)
def test_session_window_follows_the_wall_clock_across_dst(
    day: dtm.date, expected_start: dtm.datetime
) -> None:
    start, end = session_window(day, t(19), t(23), LONDON)
    assert start == expected_start
    assert end - start == dtm.timedelta(hours=4)


def test_session_window_across_clocks_going_back_lasts_an_hour_longer() -> None:
    start, end = session_window(dtm.date(2026, 10, 24), t(22), t(3), LONDON)
    assert (start, end) == (utc(2026, 10, 24, 21), utc(2026, 10, 25, 3))


def test_session_window_across_clocks_going_forward_lasts_an_hour_shorter() -> None:
    start, end = session_window(dtm.date(2027, 3, 27), t(22), t(3), LONDON)
    assert (start, end) == (utc(2027, 3, 27, 22), utc(2027, 3, 28, 2))


def test_session_window_strict_refuses_an_end_the_clocks_skip() -> None:
    with refusing(LocalTimeError, match="01:30 on Sun 28 Mar 2027 does not exist"):
        session_window(dtm.date(2027, 3, 27), t(19), t(1, 30), LONDON)


def test_session_window_strict_refuses_an_end_the_clocks_repeat() -> None:
    with refusing(LocalTimeError, match="01:30 on Sun 25 Oct 2026 happens twice"):
        session_window(dtm.date(2026, 10, 24), t(19), t(1, 30), LONDON)


def test_session_window_lenient_moves_a_skipped_time_on_by_the_gap() -> None:
    start, end = session_window(dtm.date(2027, 3, 27), t(19), t(1, 30), LONDON, strict=False)
    assert (start, end) == (utc(2027, 3, 27, 19), utc(2027, 3, 28, 1, 30))  # 02:30 BST
    assert format_clock(end, LONDON) == "02:30"


def test_session_window_lenient_takes_the_first_of_a_repeated_time() -> None:
    start, end = session_window(dtm.date(2026, 10, 24), t(19), t(1, 30), LONDON, strict=False)
    assert (start, end) == (utc(2026, 10, 24, 18), utc(2026, 10, 25, 0, 30))  # 01:30 BST


def test_session_window_lenient_refuses_a_session_left_with_no_length() -> None:
    with refusing(LocalTimeError, match="has no length"):
        session_window(dtm.date(2027, 3, 28), t(1, 30), t(2, 15), LONDON, strict=False)


def test_session_window_lenient_matches_strict_on_ordinary_days() -> None:
    day = dtm.date(2026, 12, 2)
    assert session_window(day, t(19), t(1), LONDON, strict=False) == session_window(
        day, t(19), t(1), LONDON
    )


# --- to_local / local_today / is_valid_zone ---------------------------------------------


def test_to_local_shows_the_wall_clock() -> None:
    local = to_local(utc(2026, 7, 1, 18), LONDON)
    assert (local.date(), local.hour, local.minute) == (dtm.date(2026, 7, 1), 19, 0)


def test_to_local_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_local(dtm.datetime(2026, 7, 1, 18), LONDON)  # noqa: DTZ001


def test_to_local_refuses_an_unknown_zone() -> None:
    with pytest.raises(LocalTimeError):
        to_local(utc(2026, 7, 1, 18), "Mars/Olympus")


@pytest.mark.parametrize(
    ("now", "zone", "expected"),
    [
        (utc(2026, 12, 2, 23, 30), LONDON, dtm.date(2026, 12, 2)),
        (utc(2026, 7, 1, 23, 30), LONDON, dtm.date(2026, 7, 2)),  # 00:30 BST
        (utc(2026, 12, 1, 23, 30), "Pacific/Auckland", dtm.date(2026, 12, 2)),
        (utc(2026, 12, 2, 3, 0), "America/New_York", dtm.date(2026, 12, 1)),
    ],
)
def test_local_today_is_the_local_calendar_date(
    now: dtm.datetime, zone: str, expected: dtm.date
) -> None:
    assert local_today(now, zone) == expected


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("Europe/London", True),
        ("UTC", True),
        ("Pacific/Auckland", True),
        ("Mars/Olympus", False),
        ("europe/london", False),
        ("", False),
        ("../etc/passwd", False),
        ("/etc/localtime", False),
    ],
)
def test_is_valid_zone(name: str, valid: bool) -> None:
    assert is_valid_zone(name) is valid


# --- formatting for people --------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dtm.date(2026, 12, 2), "Wed 2 Dec"),
        (dtm.date(2027, 1, 10), "Sun 10 Jan"),
        (dtm.date(2026, 6, 1), "Mon 1 Jun"),
    ],
)
def test_format_day(day: dtm.date, expected: str) -> None:
    assert format_day(day) == expected


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (utc(2026, 12, 2, 19), "19:00"),
        (utc(2026, 7, 1, 18), "19:00"),
        (utc(2026, 12, 2, 9, 5), "09:05"),
        (utc(2026, 12, 2, 0, 0), "00:00"),
    ],
)
def test_format_clock_is_local_24_hour(instant: dtm.datetime, expected: str) -> None:
    assert format_clock(instant, LONDON) == expected


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (utc(2026, 12, 2, 19), "Wed 2 Dec 19:00"),
        (utc(2026, 10, 21, 18), "Wed 21 Oct 19:00"),
        (utc(2026, 7, 1, 23, 30), "Thu 2 Jul 00:30"),
    ],
)
def test_format_when_shows_local_day_and_time(instant: dtm.datetime, expected: str) -> None:
    assert format_when(instant, LONDON) == expected


def test_format_when_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_when(dtm.datetime(2026, 12, 2, 19), LONDON)  # noqa: DTZ001
