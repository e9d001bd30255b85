"""Short durations people and the template write: 30m, 2h, 1h30m."""

from __future__ import annotations

import datetime as dtm
import re

import pytest

from rota.kernel.durations import format_duration, parse_duration

H = dtm.timedelta(hours=1)
M = dtm.timedelta(minutes=1)
S = dtm.timedelta(seconds=1)
D = dtm.timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", 90 * S),
        ("30m", 30 * M),
        ("2h", 2 * H),
        ("1d", D),
        ("48h", 2 * D),
        ("1h30m", H + 30 * M),
        ("1d2h3m4s", D + 2 * H + 3 * M + 4 * S),
        ("2d12h", 2 * D + 12 * H),
        ("  45m\n", 45 * M),
        ("1h 30m", H + 30 * M),
        ("2H", 2 * H),
        ("0m", dtm.timedelta(0)),
        ("0s", dtm.timedelta(0)),
        ("007m", 7 * M),
    ],
)
def test_parse_duration_reads_units_and_combinations(text: str, expected: dtm.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "30",
        "0",
        "-30m",
        "+30m",
        "1.5h",
        "1,5h",
        "3x",
        "30 m",
        "30min",
        "2hrs",
        "1w",
        "30m1h",
        "1h1h",
        "h",
        "m30",
        "1h-30m",
        "\u0663\u0660m",  # Arabic-Indic digits
        "9999999999s",
    ],
)
def test_parse_duration_refuses_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_parse_duration_message_says_how_to_write_it() -> None:
    message = "'3x' is not a duration: write it like 30m, 90s, 2h or 1d"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_duration("3x")


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (dtm.timedelta(0), "0m"),
        (30 * M, "30m"),
        (90 * M, "1h30m"),
        (48 * H, "2d"),
        (36 * H, "1d12h"),
        (H, "1h"),
        (90 * S, "1m30s"),
        (D + H + M + S, "1d1h1m1s"),
        (7 * D, "7d"),
    ],
)
def test_format_duration_uses_largest_exact_units(delta: dtm.timedelta, expected: str) -> None:
    assert format_duration(delta) == expected


@pytest.mark.parametrize("text", ["0m", "90s", "30m", "1h30m", "48h", "36h", "1d2h3m4s", "100h"])
def test_format_duration_round_trips_through_parse(text: str) -> None:
    delta = parse_duration(text)
    assert parse_duration(format_duration(delta)) == delta


def test_format_duration_refuses_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_duration(-M)


def test_format_duration_refuses_fractions_of_a_second() -> None:
    with pytest.raises(ValueError, match="whole seconds"):
        format_duration(dtm.timedelta(milliseconds=1500))
