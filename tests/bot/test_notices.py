"""Every outbox kind renders; a broken alarm still goes out as a plain alert."""

from __future__ import annotations

import datetime as dtm

import pytest

from bot.outbox import notices
from rota.kernel.outbox import OutboxItem

START = "2026-12-02T19:00:00+00:00"
END = "2026-12-02T23:00:00+00:00"
SESSION = {"starts_at": START, "ends_at": END, "meeting_point": "Hall", "session_id": 1}
ALERT = SESSION | {
    "escalation_id": 7,
    "kind": "missed_checkin",
    "step": 1,
    "names": "Ana and Ben",
    "members": [{"name": "Ana", "phone": "+44 7700 900123"}, {"name": "Ben", "phone": None}],
    "last_checkin_at": "2026-12-02T19:31:00+00:00",
    "last_checkin_by": "Ana",
    "seq": 2,
    "total": 7,
    "due_at": "2026-12-02T20:00:00+00:00",
}
PAYLOADS: dict[str, dict[str, object]] = {
    "promoted": SESSION | {"role": "Walker"},
    "session_cancelled": SESSION | {"role": "Walker"},
    "late_withdrawal": SESSION | {"volunteer": "Ana", "role": "Walker", "promoted": None},
    "walk_started": {"partners": ["Ben"], "count": 7, "interval": 1800, "first_due": START},
    "checkin_prompt": {"checkin_id": 3, "seq": 1, "total": 7, "due_at": START, "partners": []},
    "checkin_reminder": {"checkin_id": 3, "seq": 1, "total": 7, "due_at": START, "partners": []},
    "checkin_done": {"by": "Ana", "at": START, "seq": 1, "total": 7},
    "alert": ALERT,
    "alert_location": {"latitude": 51.5, "longitude": -0.1, "at": START},
    "alert_taken": {"by": "Cora", "at": START, "names": "Ana and Ben", "escalation_id": 7},
    "alert_resolved": {"by": "Cora", "at": START, "names": "Ana and Ben", "escalation_id": 7},
    "late_checkin": {"names": "Ana and Ben", "by": "Ana", "at": START, "escalation_id": 7},
    "home_news": {"name": "Ana", "at": START, "escalation_id": 7},
    "followup": {"by": "Cora"},
    "unreachable": {"name": "Cora", "escalation_id": 7},
    "pairs_problem": {"problems": ["Sam is the only walker: nobody to pair with."]},
    "walk_over": {"by": "Lee"},
    "home_prompt": {"home_safe_id": 4, "due_at": END},
    "home_reminder": {"home_safe_id": 4, "due_at": END},
    "home_done": {"at": END},
    "started_unreachable": {"names": ["Cora"]},
}


def item(kind: str, payload: dict[str, object], **kw: object) -> OutboxItem:
    values: dict[str, object] = dict(
        id=1,
        kind=kind,
        chat_id=5,
        payload=payload,
        priority=0,
        attempts=1,
        due_at=dtm.datetime(2026, 12, 2, 20, tzinfo=dtm.UTC),
        created_at=dtm.datetime(2026, 12, 2, 20, tzinfo=dtm.UTC),
    )
    values.update(kw)
    return OutboxItem(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_every_kind_renders(kind: str) -> None:
    out = notices.render(item(kind, PAYLOADS[kind]), "Europe/London")
    assert out.text or out.location


@pytest.mark.parametrize("step", [1, 2, 3, 4, 99])
def test_alerts_render_at_every_step_and_name_the_walkers(step: int) -> None:
    out = notices.render(item("alert", ALERT | {"step": step}), "Europe/London")
    assert "Ana and Ben" in out.text
    assert "+44 7700 900123" in out.text
    assert out.markup is not None


def test_a_repeat_after_a_timeout_says_so() -> None:
    again = item("alert", ALERT, attempts=2, last_error="timed out: read")
    assert "Repeat" in notices.render(again, "Europe/London").text
    assert "Repeat" not in notices.render(item("alert", ALERT), "Europe/London").text


def test_an_alert_that_cannot_be_rendered_falls_back_to_a_plain_alarm() -> None:
    broken = item("alert", {"escalation_id": 7, "names": "Ana and Ben"})
    with pytest.raises(KeyError):
        notices.render(broken, "Europe/London")
    plain = notices.fallback(broken)
    assert plain is not None
    assert "Ana and Ben" in plain.text
    assert plain.markup is not None


def test_only_alerts_have_a_fallback() -> None:
    assert notices.fallback(item("promoted", {})) is None
