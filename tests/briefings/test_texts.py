"""The briefing's words: every part shown, always valid HTML, always one message."""

from __future__ import annotations

import datetime as dtm
from typing import Any

import pytest

from bot.briefings import keyboards as briefing_keyboards
from bot.briefings import texts as briefing_texts
from bot.fake_telegram import parse_html, utf16_len
from bot.outbox import notices
from rota.kernel import notice_codec as codec
from rota.kernel.outbox import OutboxItem

ZONE = "Europe/London"
WHEN = {
    "session_id": 1,
    "starts_at": "2026-12-02T19:00:00+00:00",
    "ends_at": "2026-12-02T23:00:00+00:00",
}
BRIEFING: dict[str, object] = WHEN | {
    "briefing_id": 42,
    "volunteer_id": 8,
    "name": "Nell",
    "meeting_point": "St Anne's Hall",
    "session_note": "",
    "role": "Walker",
    "walker": True,
    "pair": 1,
    "partners": ["Tia"],
    "team": [["Team lead", ["Lena"]], ["Walker", ["Tia", "Nell"]], ["On-call", ["Cora"]]],
    "pairs": [["Tia", "Nell"]],
    "lead": [["Lena", 301]],
    "oncall": [["Cora", 201]],
    "plan": "check in every 30m; a reminder after 5m",
    "checklist": ["Charged phone", "ID badge"],
    "notes": ["Ugly Mugs alert: a grey van <near> Mill Road & the station."],
}


def _item(kind: str, payload: dict[str, object]) -> OutboxItem:
    at = dtm.datetime(2026, 12, 2, 16, tzinfo=dtm.UTC)
    return OutboxItem(
        id=1,
        kind=kind,
        chat_id=102,
        payload=payload,
        priority=3,
        attempts=1,
        due_at=at,
        created_at=at,
    )


def _typed(stored: dict[str, object], kind: str = "briefing") -> Any:
    """A payload in the shape rows are stored in, read as the renderer gets it."""
    return codec.decode(kind, stored)


def _shown(html: str) -> str:
    text, _entities = parse_html(html)  # raises like Telegram on bad HTML
    assert utf16_len(text) <= 4096
    return text


def test_the_briefing_shows_every_part() -> None:
    out = notices.render(_item("briefing", BRIEFING), ZONE)
    text, entities = parse_html(out.text)
    for part in (
        "Briefing: Wed 2 Dec 19:00–23:00",
        "Meet at St Anne's Hall",
        "You're Walker, walking with Tia.",
        "Team lead: Lena",
        "On call: Cora",
        "Walker: Tia, Nell",
        "1. Tia and Nell ← you",
        "Check in every 30m; a reminder after 5m.",
        "☐ Charged phone",
        "☐ ID badge",
        "Tonight's safety notes",
        "Ugly Mugs alert: a grey van <near> Mill Road & the station.",
        "tap Got it",
    ):
        assert part in text, part
    links = {e["url"] for e in entities if e["type"] == "text_link"}
    assert links == {"tg://user?id=301", "tg://user?id=201"}
    assert out.markup is not None
    (button,) = [b for row in out.markup.inline_keyboard for b in row]
    assert (button.text, button.callback_data) == ("✅ Got it", "bf:g:42")


def test_read_it_shows_when_and_no_notes_says_so() -> None:
    read = briefing_texts.briefing(
        _typed(BRIEFING | {"notes": []}),
        ZONE,
        read_at=dtm.datetime(2026, 12, 2, 16, 7, tzinfo=dtm.UTC),
    )
    shown = _shown(read)
    assert "✅ Read at 16:07. Thank you!" in shown
    assert "No safety notes for tonight." in shown
    assert "tap Got it" not in shown


def test_nobody_on_call_or_leading_and_no_pair_yet_are_said_plainly() -> None:
    shown = _shown(
        briefing_texts.briefing(
            _typed(BRIEFING | {"lead": [], "oncall": [], "partners": [], "pair": None}), ZONE
        )
    )
    assert "Team lead: nobody has signed up yet" in shown
    assert "On call: nobody tonight, so alerts go to every coordinator" in shown
    assert "not in a pair yet: you won't go out alone" in shown


def test_a_hundred_people_and_the_longest_notes_still_fit_in_one_message() -> None:
    names = [f"Volunteer number {n:03d} with a long name" for n in range(100)]
    big = BRIEFING | {
        "team": [["Walker", names[:96]], ["Drop-in", names[96:]]],
        "pairs": [names[i : i + 2] for i in range(0, 96, 2)],
        "notes": ["Ugly Mugs: " + "a description of the man and his car. " * 90],
    }
    assert utf16_len(str(big["notes"])) > 3400
    shown = _shown(briefing_texts.briefing(_typed(big), ZONE))
    assert "Walker: 96" in shown  # the team is summarised, the notes are whole
    assert str(big["notes"][0]).strip() in shown  # type: ignore[index]
    assert "You're Walker, walking with Tia." in shown
    # With short names and no notes there is room for every one of the hundred.
    short = [f"Vol {n:03d}" for n in range(100)]
    roomy = BRIEFING | {
        "team": [["Walker", short[:96]], ["Drop-in", short[96:]]],
        "pairs": [short[i : i + 2] for i in range(0, 96, 2)],
        "notes": [],
    }
    shown = _shown(briefing_texts.briefing(_typed(roomy), ZONE))
    assert "Drop-in: Vol 096, Vol 097, Vol 098, Vol 099" in shown
    assert "48. Vol 094 and Vol 095" in shown


def test_when_nothing_else_helps_the_notes_are_cut_and_it_says_so() -> None:
    huge = BRIEFING | {
        "meeting_point": "M" * 200,
        "checklist": [f"{n} " + "k" * 76 for n in range(20)],
        "notes": ["N" * 3500],
    }
    shown = _shown(briefing_texts.briefing(_typed(huge), ZONE))
    assert "cut short to fit" in shown


@pytest.mark.parametrize(
    ("kind", "payload", "expected"),
    [
        (
            "briefing_update",
            WHEN | {"note": "Road <closed>", "briefing_id": 42},
            "Update to tonight's briefing (Wed 2 Dec 19:00–23:00):\n\nRoad <closed>",
        ),
        (
            "briefing_pairs",
            WHEN | {"partners": ["Tia", "Olive"], "pair": 1},
            "the pairs have changed. You're now walking with Tia and Olive.",
        ),
        (
            "briefing_unread",
            WHEN | {"names": ["Dee", "Lena"], "total": 5},
            "2 of 5 haven't tapped Got it:\nDee, Lena",
        ),
        (
            "briefing_unreachable",
            WHEN | {"name": "Nell <3"},
            "I couldn't deliver the briefing for Wed 2 Dec to Nell <3",
        ),
    ],
)
def test_every_other_notice_renders(kind: str, payload: dict[str, object], expected: str) -> None:
    assert expected in _shown(notices.render(_item(kind, payload), ZONE).text)


def test_a_long_unread_list_is_cut_to_fit() -> None:
    names = [f"{'x' * 60} {n}" for n in range(300)]
    shown = _shown(
        briefing_texts.unread_alert(
            _typed(WHEN | {"names": names, "total": 300}, "briefing_unread"), ZONE
        )
    )
    assert "more" in shown


@pytest.mark.parametrize(
    "data",
    ["bf:g:42", "bf:g:1"],
)
def test_got_it_data_parses(data: str) -> None:
    press = briefing_keyboards.GOT_IT.parse(data)
    assert press is not None
    assert press.action == "g"


@pytest.mark.parametrize(
    "data",
    ["bf:g", "bf:g:", "bf:g:x", "bf:g:1:2", "bf:x:1", "ci:g:1", "bf:g:1 ", "bf:g:-1", None],
)
def test_forged_data_does_not_parse(data: str | None) -> None:
    assert briefing_keyboards.GOT_IT.parse(data) is None
