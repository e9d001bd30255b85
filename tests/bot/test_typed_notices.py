"""Typed notices: every payload type has one renderer, and rows stored before typing still send.

LEGACY holds one payload per kind exactly as the producers wrote them before payloads were
typed (dicts built by the use cases): such rows may sit in the outbox at upgrade time.
"""

from __future__ import annotations

import dataclasses
import datetime as dtm
import json
from typing import Any

import pytest

from bot.outbox import notices
from bot.outbox.registry import entries
from rota.kernel import notice_codec as codec
from rota.kernel.outbox import Notice, OutboxItem, Priority
from rota.safety.notices import Alert, TeamAlert

ZONE = "Europe/London"
AT = dtm.datetime(2026, 12, 2, 19, 40, tzinfo=dtm.UTC)
WHEN = {
    "session_id": 7,
    "starts_at": "2026-12-02T19:00:00+00:00",
    "ends_at": "2026-12-02T23:00:00+00:00",
}
FACTS = WHEN | {"meeting_point": "St Anne's Hall"}
ALERT = {
    "escalation_id": 3,
    "kind": "missed_checkin",
    "step": 1,
    "names": "Tia and Nell",
    "members": [{"name": "Tia", "phone": "+44 7700 900123"}, {"name": "Nell", "phone": None}],
    "meeting_point": "St Anne's Hall",
    "starts_at": "2026-12-02T19:00:00+00:00",
    "ends_at": "2026-12-02T23:00:00+00:00",
    "last_checkin_at": None,
    "last_checkin_by": None,
    "seq": 1,
    "total": 7,
    "due_at": "2026-12-02T19:30:00+00:00",
    "audience": "responders",
}
NEED = {
    "role_id": 12,
    "key": "walker",
    "label": "Walker",
    "capacity": 2,
    "filled": 1,
    "minimum": 2,
    "position": 1,
    "more": 1,
    "trained": False,
}
LEGACY: dict[str, dict[str, Any]] = {
    "promoted": FACTS | {"role": "Walker"},
    "session_cancelled": FACTS | {"role": "Walker"},
    "late_withdrawal": FACTS | {"volunteer": "Ana", "role": "Walker", "promoted": None},
    "left_group": {"title": "Party chat", "by": None, "stranger": True},
    "walk_started": {"partners": ["Tia"], "count": 7, "interval": 1800, "first_due": None},
    "checkin_prompt": {
        "checkin_id": 5,
        "seq": 1,
        "total": 7,
        "due_at": "2026-12-02T19:30:00+00:00",
        "partners": ["Tia"],
    },
    "checkin_reminder": {
        "checkin_id": 5,
        "seq": 1,
        "total": 7,
        "due_at": "2026-12-02T19:30:00+00:00",
        "partners": [],
    },
    "checkin_done": {"by": "Nell", "at": "2026-12-02T19:31:00+00:00", "seq": 1, "total": 7},
    "alert": ALERT,
    "alert_location": {"latitude": 51.5, "longitude": -0.12, "at": "2026-12-02T19:20:00+00:00"},
    "alert_location_move": {
        "latitude": 51.5,
        "longitude": -0.12,
        "at": "2026-12-02T19:20:00+00:00",
        "name": "Nell",
        "live": True,
    },
    "alert_taken": {
        "by": "Cora",
        "at": "2026-12-02T19:41:00+00:00",
        "names": "Tia and Nell",
        "kind": "missed_checkin",
        "escalation_id": 3,
    },
    "alert_resolved": {
        "by": "Cora",
        "at": "2026-12-02T19:50:00+00:00",
        "names": "Tia and Nell",
        "kind": "sos",
        "escalation_id": 3,
    },
    "followup": {"by": "Cora"},
    "late_checkin": {
        "names": "Tia and Nell",
        "by": "Nell",
        "at": "2026-12-02T19:45:00+00:00",
        "escalation_id": 3,
    },
    "home_news": {"name": "Nell", "at": "2026-12-02T23:40:00+00:00", "escalation_id": 3},
    "unreachable": {"name": "Lena", "escalation_id": 3},
    "pairs_problem": {"problems": ["Ana would walk alone"], "starts_at": WHEN["starts_at"]},
    "walk_over": {"by": "Lena"},
    "home_prompt": {"home_safe_id": 9, "due_at": "2026-12-03T00:30:00+00:00"},
    "home_reminder": {"home_safe_id": 9, "due_at": "2026-12-03T00:30:00+00:00"},
    "home_done": {"at": "2026-12-03T00:10:00+00:00"},
    "started_unreachable": {"names": ["Ana", "Bea"]},
    "briefing": WHEN
    | {
        "briefing_id": 42,
        "volunteer_id": 8,
        "name": "Nell",
        "meeting_point": "St Anne's Hall",
        "session_note": "",
        "role": "Walker",
        "walker": True,
        "pair": 1,
        "partners": ["Tia"],
        "team": [["Walker", ["Tia", "Nell"]]],
        "pairs": [["Tia", "Nell"]],
        "lead": [["Lena", 301]],
        "oncall": [["Cora", None]],
        "plan": "check in every 30m",
        "checklist": ["Charged phone"],
        "notes": ["A grey van near Mill Road."],
    },
    "briefing_update": WHEN
    | {"briefing_id": 42, "volunteer_id": 8, "name": "Nell", "note": "Road closed."},
    "briefing_pairs": WHEN | {"volunteer_id": 8, "name": "Nell", "pair": None, "partners": []},
    "briefing_unread": WHEN | {"names": ["Ana"], "total": 4},
    "briefing_unreachable": WHEN | {"name": "Ana"},
    "reminder": FACTS | {"days": 1, "role": "Walker", "name": "Ana"},
    "understaffed": FACTS
    | {"local_date": "2026-12-02", "again": False, "missing": ["No lead"], "callout": True},
    "staffing_callout": FACTS | {"local_date": "2026-12-02", "again": True, "needs": [NEED]},
    "cover_offer": FACTS | {"request_id": 4, "role": "Walker", "requester": "Ana"},
    "cover_taken": FACTS | {"role": "Walker", "requester": "Ana", "by": "Dan"},
    "cover_closed": FACTS | {"role": "Walker"},
    "cover_found": FACTS | {"role": "Walker", "requester": "Ana", "by": "Dan"},
    "cover_swap": FACTS | {"role": "Walker", "requester": "Ana", "by": "Dan"},
    "debrief_question": {
        "debrief_id": 2,
        "session_id": 7,
        "starts_at": WHEN["starts_at"],
        "step": 0,
        "to_lead": True,
    },
    "debrief_incident": {
        "session_id": 7,
        "starts_at": WHEN["starts_at"],
        "by": "Lena",
        "text": "A man in a van.",
        "truncated": False,
    },
}


def _item(kind: str, payload: dict[str, Any]) -> OutboxItem:
    return OutboxItem(1, kind, 42, payload, Priority.ROUTINE, 1, AT, AT)


def test_every_payload_type_has_exactly_one_renderer() -> None:
    types = codec.payload_types()
    assert len(types) == len(set(types))
    rendered = entries()
    assert set(rendered) == set(types)  # none missing, none left over
    assert notices.missing_renderers() == []


def test_every_kind_today_has_a_stored_sample_here() -> None:
    assert codec.kinds() == set(LEGACY)


@pytest.mark.parametrize("kind", sorted(LEGACY))
def test_a_row_stored_before_typing_still_renders(kind: str) -> None:
    out = notices.render(_item(kind, LEGACY[kind]), ZONE)
    assert out.text or out.location


@pytest.mark.parametrize("kind", sorted(LEGACY))
def test_what_is_stored_reads_back_the_same(kind: str) -> None:
    payload = codec.decode(kind, LEGACY[kind])
    stored = json.loads(json.dumps(codec.encode(payload)))  # through the JSON column
    assert codec.decode(kind, stored) == payload
    assert kind == payload.KIND
    assert Notice(chat_id=1, payload=payload).kind == kind


def test_unknown_keys_are_ignored_and_missing_optional_ones_take_their_default() -> None:
    extra = codec.decode("checkin_done", LEGACY["checkin_done"] | {"added_later": [1, 2]})
    assert extra == codec.decode("checkin_done", LEGACY["checkin_done"])
    bare = codec.decode("alert_location", {"latitude": 51.5, "longitude": -0.12})
    assert (bare.live, bare.name) == (False, None)  # type: ignore[attr-defined]


def test_a_row_missing_a_required_key_is_refused_like_before() -> None:
    no_due = {k: v for k, v in LEGACY["home_prompt"].items() if k != "due_at"}
    with pytest.raises(KeyError):
        codec.decode("home_prompt", no_due)
    with pytest.raises(codec.UnknownKind):
        codec.decode("no_such_kind", {})
    with pytest.raises((ValueError, TypeError)):
        codec.decode("checkin_prompt", LEGACY["checkin_prompt"] | {"seq": "first"})


def test_an_alert_that_cannot_be_read_still_goes_as_a_plain_alarm() -> None:
    broken = {k: v for k, v in ALERT.items() if k != "starts_at"}
    with pytest.raises(KeyError):
        notices.render(_item("alert", broken), ZONE)
    plain = notices.fallback(_item("alert", broken))
    assert plain is not None
    assert "ALERT about Tia and Nell" in plain.text
    assert plain.markup is not None


def test_the_team_groups_alert_is_its_own_type_without_phones() -> None:
    responders = codec.decode("alert", ALERT)
    team = codec.decode("alert", ALERT | {"audience": "team"})
    assert isinstance(responders, Alert)
    assert isinstance(team, TeamAlert)
    assert not isinstance(team, Alert)
    assert "members" not in {f.name for f in dataclasses.fields(TeamAlert)}
    assert "+44 7700 900123" not in notices.render(_item("alert", codec.encode(team)), ZONE).text
    assert "+44 7700 900123" in notices.render(_item("alert", ALERT), ZONE).text


def test_priorities_keep_their_stored_numbers() -> None:
    assert [int(p) for p in (Priority.ALARM, Priority.SAFETY, Priority.PLACE)] == [0, 1, 1]
    assert [int(p) for p in (Priority.INCIDENT, Priority.BRIEFING, Priority.ROUTINE)] == [2, 3, 5]
    assert Priority.of(4) is Priority.BRIEFING  # a number between levels counts as the sooner
    kinds = {cls.KIND: cls.PRIORITY for cls in codec.payload_types()}
    assert kinds["alert"] is Priority.ALARM
    assert kinds["alert_location_move"] == 1
    assert kinds["checkin_prompt"] is Priority.SAFETY
    assert kinds["briefing"] == kinds["debrief_question"] == 3
    assert kinds["debrief_incident"] == 2
    assert kinds["promoted"] is Priority.ROUTINE
