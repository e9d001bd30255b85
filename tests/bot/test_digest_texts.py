"""Digest texts: every alarm listed, each part under Telegram's 4,096 characters."""

from __future__ import annotations

import dataclasses
import datetime as dtm

from bot.safety.texts import alert_digest, digest_answer, taken_digest
from rota.safety.alarms import ListedChange
from rota.safety.notices import Alert, AlertDetail, AlertTaken, Member

ZONE = "Europe/London"


AT = dtm.datetime(2026, 12, 2, 19, tzinfo=dtm.UTC)


def _payload(n: int, kind: str = "missed_checkin") -> Alert:
    return Alert(
        escalation_id=n,
        kind=kind,
        step=1,
        names=f"Walker{n:04d}a and Walker{n:04d}b",
        members=(
            Member(name=f"Walker{n:04d}a", phone="+44 7700 900123"),
            Member(name=f"Walker{n:04d}b", phone=None),
        ),
        starts_at=AT,
        ends_at=AT + dtm.timedelta(hours=4),
        detail=AlertDetail(seq=2, total=7, due_at=AT + dtm.timedelta(hours=1)),
        last_checkin_at=AT + dtm.timedelta(minutes=30),
        last_checkin_by=f"Walker{n:04d}a",
    )


def test_a_thousand_alarms_fit_in_parts_that_telegram_accepts_and_name_everyone() -> None:
    payloads = [_payload(n) for n in range(1000)]
    parts = alert_digest(payloads, ZONE, repeat=False)
    assert sum(p.count for p in parts) == 1000
    assert all(len(p.text) <= 4096 for p in parts)
    joined = "\n".join(p.text for p in parts)
    for n in range(1000):
        assert f"Walker{n:04d}a and Walker{n:04d}b" in joined
    assert parts[0].text.startswith("🚨 <b>1000 ALERTS at once</b> (part 1 of")
    assert "check-in 2 of 7 due 20:00 (last 19:30 by Walker0000a)" in parts[0].text
    assert "📞 Walker0000a +44 7700 900123" in parts[0].text


def test_a_few_alarms_are_one_message_and_a_repeat_says_so() -> None:
    payloads = [_payload(1), _payload(2, "sos"), _payload(3, "duress"), _payload(4, "home_safe")]
    (part,) = alert_digest(payloads, ZONE, repeat=True)
    assert part.count == 4
    assert part.text.startswith("🔁 <i>Repeat")
    assert "🆘 <b>Walker0002a and Walker0002b</b>: SOS" in part.text
    assert "silent alarm" in part.text
    assert "not home safe (due 20:00)" in part.text


def test_names_are_escaped() -> None:
    payload = dataclasses.replace(_payload(1), names="<b>Eve</b> & Co")
    (part,) = alert_digest([payload, _payload(2)], ZONE, repeat=False)
    assert "&lt;b&gt;Eve&lt;/b&gt; &amp; Co" in part.text


def test_taken_and_resolved_digests_name_who_and_how_many() -> None:
    at = dtm.datetime(2026, 12, 2, 20, 5, tzinfo=dtm.UTC)
    payloads = [AlertTaken(escalation_id=n, names=f"P{n}", by="Cora", at=at) for n in range(3)]
    (taken,) = taken_digest(payloads, ZONE, resolved=False)
    assert taken.text.startswith("✋ <b>Cora</b> is dealing with 3 alerts:")
    (done,) = taken_digest(payloads, ZONE, resolved=True)
    assert done.text.startswith("✅ Resolved by Cora: 3 alerts, all safe.")


def test_the_buttons_answer_counts_what_changed_and_what_was_already_done() -> None:
    assert digest_answer(ListedChange(["a", "b"], []), resolving=False) == "You took 2 alerts."
    assert (
        digest_answer(ListedChange(["a"], ["b"]), resolving=True)
        == "You resolved 1 alert. 1 alert had already been taken or resolved."
    )
