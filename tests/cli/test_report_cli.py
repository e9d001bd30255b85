"""`rotabot report` and `rotabot export rota` as a user runs them, against a known month.

The database is a SQLite file holding October 2026 (tests/reports/support.py); the commands
read it through DATABASE_URL, in a clean environment, as separate processes. October 2026 is
in the past for the real clock these processes use.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dtm
import io
import sqlite3
from pathlib import Path

import icalendar
import pytest

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.storage.engine import create_engine
from rota.storage.migrate import upgrade
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from tests.cli.conftest import Result, assert_one_line_error, clean_env, rotabot, rotabot_async
from tests.cli.conftest import sqlite_url as url_of
from tests.reports.support import EXPECTED_DEBRIEF, EXPECTED_ROLES, make_october

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
UTC = dtm.UTC


@pytest.fixture
async def october(tmp_path: Path, config: RotaConfig, clock: FakeClock) -> Path:
    """A migrated SQLite file holding the known month."""
    path = tmp_path / "rota.db"
    engine = create_engine(url_of(path))
    try:
        await upgrade(engine)
        await make_october(SqlAlchemyUnitOfWorkFactory(engine), config, clock)
    finally:
        await engine.dispose()
    return path


def env_for(tmp: Path, db: Path) -> dict[str, str]:
    return clean_env(tmp, DATABASE_URL=url_of(db))


async def run_all(tmp: Path, db: Path, *commands: list[str]) -> list[Result]:
    """Independent commands, concurrently (each process takes a second to start)."""
    return list(
        await asyncio.gather(*(rotabot_async(*c, env=env_for(tmp, db), cwd=tmp) for c in commands))
    )


# ------------------------------------------------------------------------------ report


def test_report_prints_the_table_and_writes_the_csv_and_the_chart(
    tmp_path: Path, october: Path
) -> None:
    out_csv, out_png = tmp_path / "october.csv", tmp_path / "october.png"
    result = rotabot(
        "report",
        "--month",
        "2026-10",
        "--csv",
        str(out_csv),
        "--png",
        str(out_png),
        env=env_for(tmp_path, october),
        cwd=tmp_path,
    )
    assert result.code == 0, result.describe()
    assert result.error_lines() == [], result.describe()
    assert "Outreach report: October 2026" in result.stdout
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["Held", "3"] in lines
    assert ["Total", "11", "/", "45.5"] in lines
    assert ["Condoms", "80"] in lines
    assert f"wrote {out_csv}" in result.stdout
    assert f"wrote {out_png}" in result.stdout

    figures = {
        (r["section"], r["item"]): r["value"]
        for r in csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8")))
    }
    assert figures[("sessions", "held")] == "3"
    assert figures[("sessions", "cancelled")] == "1"
    for label, (shifts, hours) in EXPECTED_ROLES.items():
        assert figures[("volunteer_shifts", label)] == str(shifts)
        assert figures[("volunteer_hours", label)] == hours
    assert (
        figures[("checkins", "on_time")],
        figures[("checkins", "late")],
        figures[("checkins", "missed")],
    ) == ("4", "1", "2")
    assert figures[("escalations", "missed_checkin")] == "2"
    for key, total in EXPECTED_DEBRIEF.items():
        assert figures[("debrief", key)] == str(total)

    png = out_png.read_bytes()
    assert png.startswith(PNG_MAGIC)
    assert len(png) > 20_000


async def test_bad_months_are_one_line_errors_and_write_nothing(
    tmp_path: Path, october: Path
) -> None:
    out_csv, out_png = tmp_path / "x.csv", tmp_path / "x.png"
    bad = ["2026-13", "nov", "2026-1x", "2026/10", ""]
    results = await run_all(
        tmp_path,
        october,
        *(["report", "--month", m, "--csv", str(out_csv), "--png", str(out_png)] for m in bad),
    )
    for month, result in zip(bad, results, strict=True):
        line = assert_one_line_error(result, 2, "--month", "YYYY-MM")
        assert repr(month) in line, line
        assert result.stdout == "", result.describe()
    assert not out_csv.exists()
    assert not out_png.exists()


async def test_the_database_must_exist_and_be_up_to_date(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    (no_file,) = await run_all(tmp_path, missing, ["report", "--month", "2026-10"])
    assert_one_line_error(no_file, 1, "DATABASE_URL", "does not exist")
    assert not missing.exists()  # not created empty
    (behind,) = await run_all(tmp_path, empty, ["export", "rota", "--format", "ics"])
    assert_one_line_error(behind, 1, "DATABASE_URL", "rotabot db upgrade")


def test_an_unwritable_output_is_a_one_line_error(tmp_path: Path, october: Path) -> None:
    target = tmp_path / "no-such-folder" / "october.csv"
    result = rotabot(
        "report",
        "--month",
        "2026-10",
        "--csv",
        str(target),
        env=env_for(tmp_path, october),
        cwd=tmp_path,
    )
    assert_one_line_error(result, 1, "--csv", "cannot write")


# ------------------------------------------------------------------------------ export


def test_export_rota_as_csv_to_stdout(tmp_path: Path, october: Path) -> None:
    result = rotabot(
        "export",
        "rota",
        "--from",
        "2026-10-01",
        "--to",
        "2026-10-31",
        "--format",
        "csv",
        env=env_for(tmp_path, october),
        cwd=tmp_path,
    )
    assert result.code == 0, result.describe()
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sorted({r["date"] for r in rows}) == [
        "2026-10-07",
        "2026-10-14",
        "2026-10-21",
        "2026-10-28",
    ]
    assert len(rows) == 4 * 4  # four sessions, four roles each
    walkers = {r["date"]: r for r in rows if r["role"] == "Walker"}
    assert walkers["2026-10-07"]["names"] == "Tia; Nell"
    assert walkers["2026-10-14"]["names"] == "Tia; Tess"
    assert walkers["2026-10-21"]["status"] == "cancelled"
    dropin = next(r for r in rows if r["date"] == "2026-10-07" and r["role"] == "Drop-in")
    assert (dropin["names"], dropin["waitlist"]) == ("Dee", "Wren")
    # BST on the 7th, GMT on the 28th: both read 19:00 locally
    assert {(r["date"], r["start"]) for r in rows if r["role"] == "Walker"} == {
        ("2026-10-07", "19:00"),
        ("2026-10-14", "19:00"),
        ("2026-10-21", "19:00"),
        ("2026-10-28", "19:00"),
    }
    assert walkers["2026-10-28"]["end"] == "23:30"


def test_export_rota_as_ics_to_a_file(tmp_path: Path, october: Path) -> None:
    out = tmp_path / "october.ics"
    result = rotabot(
        "export",
        "rota",
        "--from",
        "2026-10-01",
        "--to",
        "2026-10-31",
        "--format",
        "ics",
        "--out",
        str(out),
        env=env_for(tmp_path, october),
        cwd=tmp_path,
    )
    assert result.code == 0, result.describe()
    assert f"wrote 4 session(s) from 2026-10-01 to 2026-10-31 to {out}" in result.stdout
    calendar = icalendar.Calendar.from_ical(out.read_bytes())
    starts = {}
    for event in calendar.walk("VEVENT"):
        start = event.decoded("dtstart")
        starts[start.astimezone(UTC)] = event
    assert sorted(starts) == [
        dtm.datetime(2026, 10, 7, 18, 0, tzinfo=UTC),  # 19:00 BST
        dtm.datetime(2026, 10, 14, 18, 0, tzinfo=UTC),
        dtm.datetime(2026, 10, 21, 18, 0, tzinfo=UTC),
        dtm.datetime(2026, 10, 28, 19, 0, tzinfo=UTC),  # 19:00 GMT
    ]
    seventh = starts[dtm.datetime(2026, 10, 7, 18, 0, tzinfo=UTC)]
    assert "Walker (2/2): Tia, Nell" in str(seventh["description"])
    assert "Drop-in (1/2): Dee (waitlist: Wren)" in str(seventh["description"])
    assert str(starts[dtm.datetime(2026, 10, 21, 18, 0, tzinfo=UTC)]["status"]) == "CANCELLED"


async def test_bad_export_inputs_are_one_line_errors(tmp_path: Path, october: Path) -> None:
    out = tmp_path / "rota.out"
    cases = {
        "--format": ["--from", "2026-10-01", "--to", "2026-10-31", "--format", "pdf"],
        "--from": ["--from", "2026-02-30", "--to", "2026-10-31"],
        "--to": ["--from", "2026-10-01", "--to", "tomorrow"],
        "ends": ["--from", "2026-10-31", "--to", "2026-10-01"],
        "days": ["--from", "2026-01-01", "--to", "2027-12-31"],
    }
    results = await run_all(
        tmp_path,
        october,
        *(["export", "rota", *args, "--out", str(out)] for args in cases.values()),
    )
    for name, result in zip(cases, results, strict=True):
        assert_one_line_error(result, 2, name)
        assert result.stdout == "", result.describe()
    assert not out.exists()


async def test_help_for_the_new_commands(tmp_path: Path) -> None:
    expected = {
        "report --help": ["--month", "YYYY-MM", "--csv", "--png", "debrief"],
        "export --help": ["rota"],
        "export rota --help": ["--from", "--to", "--format", "csv|ics", "--out", "iCalendar"],
        "--help": ["report", "export"],
    }
    results = await asyncio.gather(
        *(rotabot_async(*a.split(), env=clean_env(tmp_path), cwd=tmp_path) for a in expected)
    )
    for (args, words), result in zip(expected.items(), results, strict=True):
        assert result.code == 0, result.describe()
        flat = " ".join(result.stdout.split())
        assert [w for w in words if w not in flat] == [], f"{args}: {result.stdout}"
