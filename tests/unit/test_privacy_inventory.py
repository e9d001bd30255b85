"""docs/privacy.md against the database and the alert rules (issue 12, items 1 and 5).

The inventory must list every column of every table, and nothing else, so a new column
always forces a decision about it. Its "team group" column states who-sees-what: every
column marked `never` must be absent from the team group's copy of an alert, as
`rota/safety/alarms.py` builds it. The end-to-end half of that check is
tests/e2e/test_me.py::test_never_the_team_group_columns_never_reach_the_team_group.
"""

from __future__ import annotations

import dataclasses
import datetime as dtm
import json
import re
from pathlib import Path

import pytest

from rota.kernel import notice_codec as codec
from rota.kernel.config import RotaConfig
from rota.roster.model import Session, SessionStatus
from rota.safety import alarms
from rota.safety.model import Audience, EscalationKind, Location
from rota.safety.notices import AlertDetail, TeamAlert
from rota.storage.tables import Base

INVENTORY = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"
HEADER = re.compile(r"^\|\s*column\s*\|", re.IGNORECASE)
ROW = re.compile(r"^\|\s*`([a-z_]+\.[a-z_]+)`\s*\|")
PERSONAL = {"yes", "pseudonymous", "no"}
AUDIENCES = ("the volunteer", "coordinators", "on-call and team lead", "team group")
SEEN = {"yes", "own", "alerts", "night", "no", "never"}
TEAM_CHAT = -100_555


@dataclasses.dataclass(frozen=True)
class Entry:
    """One inventory row: a column and what the document says about it."""

    column: str
    cells: dict[str, str]
    line: int


def inventory() -> list[Entry]:
    """The inventory table's rows, parsed from docs/privacy.md."""
    lines = INVENTORY.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if HEADER.match(line))
    names = [c.strip().lower() for c in lines[start].strip().strip("|").split("|")]
    entries = []
    for number, line in enumerate(lines[start + 2 :], start=start + 3):
        if not line.startswith("|"):
            break
        match = ROW.match(line)
        assert match, f"docs/privacy.md:{number}: a row must start with | `table.column` |"
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == len(names), f"docs/privacy.md:{number}: {len(cells)} cells"
        entries.append(Entry(match.group(1), dict(zip(names, cells, strict=True)), number))
    return entries


def database_columns() -> set[str]:
    """Every `table.column` the database has, from the SQLAlchemy metadata."""
    return {f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables for c in t.columns}


def never_the_team_group() -> set[str]:
    """The columns the inventory says must never reach the team group."""
    return {e.column for e in inventory() if e.cells["team group"] == "never"}


def test_every_column_of_every_table_is_in_the_inventory() -> None:
    listed = {e.column for e in inventory()}
    missing = sorted(database_columns() - listed)
    assert not missing, (
        f"docs/privacy.md does not list {', '.join(missing)}: add a row for each (what it "
        "is, why it is kept, who sees it, how long it is kept; or mark it not personal)"
    )


def test_the_inventory_lists_no_column_that_does_not_exist() -> None:
    gone = sorted({e.column for e in inventory()} - database_columns())
    assert not gone, f"docs/privacy.md lists columns the database no longer has: {gone}"


def test_each_column_is_listed_once() -> None:
    seen: dict[str, int] = {}
    for entry in inventory():
        assert entry.column not in seen, (
            f"{entry.column} is listed twice (lines {seen[entry.column]} and {entry.line})"
        )
        seen[entry.column] = entry.line


def test_each_row_says_whether_it_is_personal_and_who_sees_it() -> None:
    for e in inventory():
        personal = e.cells["personal"]
        assert personal in PERSONAL, f"{e.column}: personal must be one of {PERSONAL}"
        for audience in AUDIENCES:
            seen = e.cells[audience]
            if personal == "no":
                assert seen == "-", f"{e.column}: not personal, so '{audience}' is '-'"
            else:
                assert seen in SEEN, f"{e.column}: '{audience}' must be one of {SEEN}"
        if personal != "no":
            for cell in ("what it is", "why it is kept", "kept for"):
                assert e.cells[cell] not in ("", "-"), f"{e.column}: say {cell!r}"


def test_phone_numbers_and_locations_never_reach_the_team_group() -> None:
    """The hardening issue's rule is stated in the inventory (not weakened by an edit)."""
    required = {
        "volunteers.phone",
        "volunteers.telegram_id",
        "volunteers.username",
        "locations.latitude",
        "locations.longitude",
    }
    assert required <= never_the_team_group()


LOCATED_AT = dtm.datetime(2026, 12, 2, 19, 41, 7, tzinfo=dtm.UTC)
# What each `never` column would hold, for the alert below. A column newly marked `never`
# needs a value here, so the check covers it.
SAMPLES: dict[str, object] = {
    "volunteers.phone": "+447700900123",
    "volunteers.telegram_id": 777_123_456,
    "volunteers.username": "ana_walks",
    "locations.latitude": 51.5101,
    "locations.longitude": -0.1342,
    "locations.at": LOCATED_AT,
    "safety_notes.text": "Avoid the blue van on Dock Street",
    "debriefs.incident": "A man followed us down Mill Lane",
}


def _shown(value: object) -> list[str]:
    """How a stored value could appear in a message: as written, rounded, as an instant."""
    if isinstance(value, float):
        return [f"{value:.2f}", repr(value)]
    if isinstance(value, dtm.datetime):
        return [value.isoformat(), value.strftime("%H:%M:%S")]
    return [str(value)]


@pytest.mark.parametrize("kind", [EscalationKind.MISSED_CHECKIN, EscalationKind.SOS])
def test_the_team_groups_copy_of_an_alert_holds_no_never_column(
    config: RotaConfig, kind: EscalationKind
) -> None:
    never = never_the_team_group()
    unsampled = sorted(never - SAMPLES.keys())
    assert not unsampled, f"give these `never` columns a sample value in SAMPLES: {unsampled}"
    config = dataclasses.replace(config, team_chat_id=TEAM_CHAT)
    session = Session(
        id=1,
        template_key="wednesday",
        local_date=dtm.date(2026, 12, 2),
        starts_at=dtm.datetime(2026, 12, 2, 19, tzinfo=dtm.UTC),
        ends_at=dtm.datetime(2026, 12, 2, 23, tzinfo=dtm.UTC),
        meeting_point="St Anne's Hall",
        note="",
        status=SessionStatus.SCHEDULED,
    )
    subject = alarms.Subject(
        names="Ana",
        members=[{"name": "Ana", "phone": str(SAMPLES["volunteers.phone"])}],
        pair_id=None,
        volunteer_id=4242,
        member_ids=(4242,),
    )
    place = Location(
        volunteer_id=4242,
        latitude=float(str(SAMPLES["locations.latitude"])),
        longitude=float(str(SAMPLES["locations.longitude"])),
        at=LOCATED_AT,
    )
    responder = int(str(SAMPLES["volunteers.telegram_id"]))
    notices = alarms.alert_notices(
        7,
        session,
        subject,
        alarms.AlertFacts(last=None, last_by=None, latest=place),
        [responder, TEAM_CHAT],
        step=alarms.ALL_STEPS,
        detail=AlertDetail(seq=1, total=7, due_at=session.starts_at),
        config=config,
        kind=kind,
    )
    team = [n for n in notices if n.chat_id == TEAM_CHAT]
    responders = [n for n in notices if n.chat_id == responder]
    # The responders get the details (so this test can see them go missing)...
    assert {n.kind for n in responders} == {"alert", "alert_location"}
    assert str(SAMPLES["volunteers.phone"]) in json.dumps(
        [codec.encode(n.payload) for n in responders]
    )
    # ... the team group one alert, a TeamAlert (a type with no field for them), and none.
    assert [n.kind for n in team] == ["alert"]
    (copy,) = team
    assert isinstance(copy.payload, TeamAlert)
    stored = codec.encode(copy.payload)
    assert stored["audience"] == Audience.TEAM.value
    text = json.dumps(stored, default=str)
    for column in sorted(never):
        for shown in _shown(SAMPLES[column]):
            assert shown not in text, f"{column} ({shown}) is in the team group's copy: {text}"


def test_the_inventory_names_the_tests_that_read_it() -> None:
    """The link is explicit both ways: the document names the tests that read it."""
    text = INVENTORY.read_text(encoding="utf-8")
    assert "tests/unit/test_privacy_inventory.py" in text
    assert "test_never_the_team_group_columns_never_reach_the_team_group" in text
