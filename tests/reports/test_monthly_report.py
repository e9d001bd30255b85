"""The monthly report against a month whose every number is known (tests/reports/support.py)."""

from __future__ import annotations

import csv
import datetime as dtm
import io

import pytest

from bot.reports import chart, exports
from bot.reports import texts as report_texts
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.errors import InvalidInput, NotCoordinator
from rota.reports import services as reports
from tests.conftest import ADMIN_ID
from tests.refusing import refusing
from tests.reports.support import (
    EXPECTED_DEBRIEF,
    EXPECTED_ESCALATIONS,
    EXPECTED_ROLES,
    MONTH,
    TIA,
    make_october,
)
from tests.services.helpers import Uow

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def csv_figures(data: bytes) -> dict[tuple[str, str], str]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows[0] == ["section", "item", "value"]
    figures = {(section, item): value for section, item, value in rows[1:]}
    assert len(figures) == len(rows) - 1, "a figure appears twice"
    return figures


async def test_the_csv_adds_up_to_the_known_month(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await make_october(uow, config, clock)
    report = await reports.monthly_report(uow(), month=MONTH, now=clock.now())
    figures = csv_figures(exports.report_csv(report))

    assert figures[("report", "month")] == "2026-10"
    assert figures[("sessions", "held")] == "3"
    assert figures[("sessions", "cancelled")] == "1"
    assert figures[("sessions", "still_to_come")] == "0"
    assert figures[("sessions", "walks_ended_early")] == "1"
    for label, (shifts, hours) in EXPECTED_ROLES.items():
        assert figures[("volunteer_shifts", label)] == str(shifts), label
        assert figures[("volunteer_hours", label)] == hours, label
    assert figures[("volunteer_shifts", "total")] == "11"
    assert figures[("volunteer_hours", "total")] == "45.5"
    # on time = before the reminder (due + grace): a second after due still counts
    assert figures[("checkins", "on_time")] == "4"
    assert figures[("checkins", "late")] == "1"
    assert figures[("checkins", "missed")] == "2"
    for kind, count in EXPECTED_ESCALATIONS.items():
        assert figures[("escalations", kind)] == str(count), kind
    for key, total in EXPECTED_DEBRIEF.items():
        assert figures[("debrief", key)] == str(total), key
    assert figures[("debrief", "sessions_debriefed")] == "2"


async def test_the_report_values(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    await make_october(uow, config, clock)
    report = await reports.monthly_report(uow(), month=MONTH, now=clock.now())
    assert [(r.key, r.shifts, r.minutes) for r in report.roles] == [
        ("lead", 3, 750),
        ("walker", 6, 1500),
        ("dropin", 1, 240),
        ("oncall", 1, 240),
    ]
    assert (report.checkins_on_time, report.checkins_late, report.checkins_missed) == (4, 1, 2)
    assert report.checkins_due == 7
    assert dict(report.escalations) == EXPECTED_ESCALATIONS
    assert dict(report.debrief) == EXPECTED_DEBRIEF


async def test_the_incident_note_is_in_no_report(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await make_october(uow, config, clock)
    report = await reports.monthly_report(uow(), month=MONTH, now=clock.now())
    outputs = [
        report_texts.report_table(report, config.zone),
        exports.report_csv(report).decode(),
    ]
    for text in outputs:
        assert "arches" not in text
        assert "call back" not in text


async def test_a_session_not_yet_ended_is_not_held(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await make_october(uow, config, clock)
    # 28 Oct 2026, 21:00 GMT: the night is still on
    during = dtm.datetime(2026, 10, 28, 21, 0, tzinfo=dtm.UTC)
    report = await reports.monthly_report(uow(), month=MONTH, now=during)
    assert report.sessions_held == 2
    assert report.sessions_to_come == 1
    assert report.total_shifts == 8  # 5 + 3: the 28th's three are not counted yet


async def test_an_empty_month_is_all_zeros(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    await make_october(uow, config, clock)
    report = await reports.monthly_report(uow(), month="2026-08", now=clock.now())
    figures = csv_figures(exports.report_csv(report))
    assert figures[("sessions", "held")] == "0"
    assert figures[("volunteer_hours", "total")] == "0"
    assert {k: v for (s, k), v in figures.items() if s == "debrief"} == {
        **{k: "0" for k in EXPECTED_DEBRIEF},
        "sessions_debriefed": "0",
    }
    assert chart.report_png(report).startswith(PNG_MAGIC)


@pytest.mark.parametrize(
    "bad", ["2026-13", "nov", "2026-00", "2026/11", "26-11", "", "2026-11-01"]
)
async def test_a_month_that_does_not_parse_is_refused(uow: Uow, bad: str) -> None:
    with refusing(InvalidInput, match="YYYY-MM|no month"):
        await reports.monthly_report(
            uow(), month=bad, now=dtm.datetime(2026, 11, 1, tzinfo=dtm.UTC)
        )


async def test_coordinators_only_and_this_month_by_default(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await make_october(uow, config, clock)
    with pytest.raises(NotCoordinator):
        await reports.coordinator_report(
            uow(), telegram_id=TIA, month=MONTH, config=config, now=clock.now()
        )
    # 31 Oct 2026 23:30 UTC is still October in London (GMT); 1 Nov 00:30 BST would not be
    late = dtm.datetime(2026, 10, 31, 23, 30, tzinfo=dtm.UTC)
    report = await reports.coordinator_report(
        uow(), telegram_id=ADMIN_ID, month="", config=config, now=late
    )
    assert report.month.key == "2026-10"
    assert report.sessions_held == 3
    early = dtm.datetime(2026, 5, 31, 23, 30, tzinfo=dtm.UTC)  # 1 Jun 00:30 BST
    report = await reports.coordinator_report(
        uow(), telegram_id=ADMIN_ID, month="  ", config=config, now=early
    )
    assert report.month.key == "2026-06"


async def test_the_png_is_a_real_chart(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    await make_october(uow, config, clock)
    report = await reports.monthly_report(uow(), month=MONTH, now=clock.now())
    png = chart.report_png(report)
    assert png.startswith(PNG_MAGIC)
    assert len(png) > 20_000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1100, 850)


async def test_the_table_reads_well(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    await make_october(uow, config, clock)
    report = await reports.monthly_report(uow(), month=MONTH, now=clock.now())
    table = report_texts.report_table(report, config.zone)
    assert "Outreach report: October 2026" in table
    assert "Debrief totals (2 of 3 sessions debriefed)" in table
    lines = table.splitlines()
    assert any(line.split() == ["Walker", "6", "/", "25"] for line in lines), table
    assert any(line.split() == ["Condoms", "80"] for line in lines), table
    assert any(line.split() == ["Missed", "2"] for line in lines), table
