"""The debrief's words and the report renderers, without a database."""

from __future__ import annotations

import datetime as dtm

import pytest

from bot.outbox import notices
from bot.outbox.registry import entries
from bot.reports import exports
from bot.reports import texts as report_texts
from rota.kernel.outbox import OutboxItem
from rota.reports.debriefs import COUNT_KEYS, QUESTIONS, CountProblem, is_no_incident, parse_count

ZONE = "Europe/London"
NOW = dtm.datetime(2026, 12, 2, 23, 0, tzinfo=dtm.UTC)


def item(kind: str, **payload: object) -> OutboxItem:
    return OutboxItem(
        id=1,
        kind=kind,
        chat_id=5,
        payload=dict(payload),
        priority=3,
        attempts=1,
        due_at=NOW,
        created_at=NOW,
    )


def test_the_first_question_to_the_lead_and_to_the_coordinators() -> None:
    starts = "2026-12-02T19:00:00+00:00"
    lead = notices.render(item("debrief_question", starts_at=starts, to_lead=True), ZONE)
    assert lead is not None
    assert "Debrief · Wed 2 Dec · 1/10" in lead.text
    assert "don't include names" in lead.text
    coordinators = notices.render(item("debrief_question", starts_at=starts, to_lead=False), ZONE)
    assert coordinators is not None
    assert "whoever answers first takes it" in coordinators.text


def test_the_incident_note_is_escaped_and_marked_when_cut() -> None:
    out = notices.render(
        item(
            "debrief_incident",
            starts_at="2026-12-02T19:00:00+00:00",
            by="<b>Lee</b>",
            text="<script>x</script> & more",
            truncated=True,
        ),
        ZONE,
    )
    assert out is not None
    assert "&lt;script&gt;x&lt;/script&gt; &amp; more" in out.text
    assert "&lt;b&gt;Lee&lt;/b&gt;" in out.text
    assert "cut short" in out.text


def test_the_report_kinds_are_rendered_by_the_report_feature() -> None:
    mine = {
        cls.KIND
        for cls, entry in entries().items()
        if entry.render.__module__ == "bot.reports.notices"
    }
    assert mine == {"debrief_question", "debrief_incident"}


def test_every_question_has_words() -> None:
    for step in range(QUESTIONS):
        text = report_texts.question(step, NOW, ZONE)
        assert f"{step + 1}/{QUESTIONS}" in text
    assert len(report_texts.COUNT_LABELS) == len(COUNT_KEYS)
    assert "Any incident" in report_texts.question(QUESTIONS - 1, NOW, ZONE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        (" 12 ", 12),
        ("+3", 3),
        ("007", 7),
        ("10000", 10000),
        ("10001", CountProblem.TOO_BIG),
        ("-0", 0),
        ("-4", CountProblem.NEGATIVE),
        ("4 bags", CountProblem.NOT_A_NUMBER),
        ("٣", CountProblem.NOT_A_NUMBER),  # digits of other scripts are not taken as counts
        ("½", CountProblem.NOT_A_NUMBER),
    ],
)
def test_parse_count(text: str, expected: int | CountProblem) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    ("text", "none"),
    [("no", True), ("No!", True), ("nothing.", True), ("no incidents", True), ("Not sure", False)],
)
def test_no_incident_words(text: str, none: bool) -> None:
    assert is_no_incident(text) is none


@pytest.mark.parametrize(
    ("value", "safe"),
    [("=1+1", "'=1+1"), ("+44 7700", "'+44 7700"), ("@x", "'@x"), ("Ana", "Ana"), ("", "")],
)
def test_spreadsheet_cells_never_run(value: str, safe: str) -> None:
    assert exports.safe_cell(value) == safe


def test_hours() -> None:
    assert [report_texts.hours(m) for m in (0, 240, 270, 20, 1500)] == [
        "0",
        "4",
        "4.5",
        "0.33",
        "25",
    ]
