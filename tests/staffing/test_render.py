"""Every staffing notice renders through bot.outbox.notices, names are escaped, buttons parse."""

from __future__ import annotations

import datetime as dtm
from typing import Any

import pytest

from bot.outbox import notices
from bot.outbox.registry import entries
from bot.staffing import keyboards as staffing_keyboards
from bot.staffing import notices as staffing_notices
from bot.staffing import texts as words
from rota.kernel import notice_codec as codec
from rota.kernel.outbox import OutboxItem

START = "2026-12-02T19:00:00+00:00"
END = "2026-12-02T23:00:00+00:00"
SESSION = {"starts_at": START, "ends_at": END, "meeting_point": "Hall <B>", "session_id": 7}
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
PAYLOADS: dict[str, dict[str, object]] = {
    "reminder": SESSION | {"role": "Walker", "name": "Ana & Bo", "days": 1},
    "understaffed": SESSION
    | {
        "local_date": "2026-12-02",
        "again": False,
        "missing": ["No <team> lead."],
        "callout": True,
    },
    "staffing_callout": SESSION | {"local_date": "2026-12-02", "again": False, "needs": [NEED]},
    "cover_offer": SESSION | {"request_id": 3, "role": "Walker", "requester": "Ana <3"},
    "cover_taken": SESSION | {"role": "Walker", "requester": "Ana", "by": "Dan"},
    "cover_closed": SESSION | {"role": "Walker"},
    "cover_found": SESSION | {"role": "Walker", "requester": "Ana", "by": "Dan & Co"},
    "cover_swap": SESSION | {"role": "Walker", "requester": "Ana", "by": "Dan"},
}


def _typed(kind: str, stored: dict[str, object]) -> Any:
    """A payload in the shape rows are stored in, read as the renderer gets it."""
    return codec.decode(kind, stored)


def item(kind: str, payload: dict[str, object]) -> OutboxItem:
    at = dtm.datetime(2026, 12, 1, 19, tzinfo=dtm.UTC)
    return OutboxItem(1, kind, 5, payload, 5, 1, at, at)


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_every_staffing_kind_renders_through_the_dispatcher(kind: str) -> None:
    out = notices.render(item(kind, PAYLOADS[kind]), "Europe/London")

    assert out.text
    for raw in ("<B>", "<team>", "<3", "Ana & Bo", "Dan & Co"):
        assert raw not in out.text  # escaped


def test_the_staffing_kinds_are_rendered_by_the_staffing_feature() -> None:
    mine = {
        cls.KIND
        for cls, entry in entries().items()
        if entry.render.__module__ == staffing_notices.__name__
    }
    assert mine == set(PAYLOADS)


def _data(markup: object) -> list[str]:
    rows = getattr(markup, "inline_keyboard", ())
    return [b.callback_data for row in rows for b in row]


def test_the_buttons_carry_data_their_handlers_accept() -> None:
    zone = "Europe/London"
    reminder = notices.render(item("reminder", PAYLOADS["reminder"]), zone)
    offer = notices.render(item("cover_offer", PAYLOADS["cover_offer"]), zone)
    callout = notices.render(item("staffing_callout", PAYLOADS["staffing_callout"]), zone)

    assert _data(reminder.markup) == ["rm:y:7", "rm:n:7"]
    assert _data(staffing_keyboards.confirm_cant(7)) == ["rm:w:7", "rm:c:7", "rm:y:7"]
    assert _data(offer.markup) == ["cv:a:3"]
    assert _data(staffing_keyboards.cancel_cover(3)) == ["cv:x:3"]
    assert _data(callout.markup) == ["ro:j:12"]  # the rota's own join button
    for data in _data(reminder.markup) + _data(staffing_keyboards.confirm_cant(7)):
        assert staffing_keyboards.REMINDER.parse(data) is not None
    for data in ("cv:a:3", "cv:x:3", "cv:r:9"):
        assert staffing_keyboards.COVER.parse(data) is not None


def test_edits_of_offers_leave_no_buttons() -> None:
    for kind in ("cover_taken", "cover_closed"):
        assert notices.render(item(kind, PAYLOADS[kind]), "Europe/London").markup is None


def test_the_reminder_says_when() -> None:
    zone = "Europe/London"
    texts = {
        days: words.reminder(
            _typed("reminder", PAYLOADS["reminder"] | {"days": days}), zone
        ).splitlines()[0]
        for days in (0, 1, 3)
    }

    assert texts == {
        0: "👋 <b>See you later today, Ana &amp; Bo?</b>",
        1: "👋 <b>See you tomorrow, Ana &amp; Bo?</b>",
        3: "👋 <b>See you on Wed 2 Dec, Ana &amp; Bo?</b>",
    }


def test_a_trained_walker_call_out_says_so() -> None:
    payload = PAYLOADS["staffing_callout"] | {"needs": [NEED | {"trained": True}]}

    callout = _typed("staffing_callout", payload)
    assert "• Walker: a trained walker is needed" in words.staffing_callout(callout, "UTC")
