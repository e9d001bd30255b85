"""Every refusal code is worded in bot/, with exactly the facts its code declares."""

from __future__ import annotations

import datetime as dtm
import importlib
import importlib.util
import inspect
import pkgutil
import string

import pytest

import bot.handlers  # noqa: F401 - what the app imports registers every feature's wordings
import rota
from bot import refusals, texts
from rota.kernel.errors import Ambiguous, DomainError, InvalidInput, NotFound, RefusalCode
from rota.people.refusals import PeopleRefusal
from rota.roster.refusals import RosterRefusal
from rota.safety.refusals import SafetyRefusal

ZONE = "Europe/London"

# A sample of each fact (by name), of the type the domain gives it.
SAMPLES: dict[str, object] = {
    "at": dtm.time(1, 30),
    "day": dtm.date(2026, 12, 2),
    "days": 28,
    "due_at": dtm.datetime(2026, 12, 2, 20, 0, tzinfo=dtm.UTC),
    "end": dtm.date(2026, 12, 31),
    "first": "Ana",
    "key": "interval",
    "keys": ("interval", "grace"),
    "length": 3600,
    "limit": 200,
    "month": 2,
    "name": "Sam",
    "names": ("Ana", "Bea"),
    "problems": ("Ana would be walking alone.",),
    "role": "Walker",
    "second": "Bea",
    "start": dtm.date(2026, 12, 1),
    "tags": ("lead", "trained"),
    "text": "2026-02-30",
    "used": 3000,
    "volunteer": 42,
    "waitlisted": True,
    "wanted": "Sam",
    "word": "interval=",
    "year": 2026,
    "zone": "Europe/London",
}


def _all_codes() -> list[RefusalCode]:
    for info in pkgutil.iter_modules(rota.__path__):
        if importlib.util.find_spec(f"rota.{info.name}.refusals") is not None:
            importlib.import_module(f"rota.{info.name}.refusals")
    return [code for kind in RefusalCode.__subclasses__() for code in kind]


CODES = _all_codes()


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_every_code_has_a_wording() -> None:
    assert len(CODES) > 100  # every feature's codes were found
    unworded = [code for code in CODES if code not in refusals.wordings()]
    assert unworded == []


@pytest.mark.parametrize("code", CODES, ids=repr)
def test_a_wording_uses_exactly_its_codes_facts(code: RefusalCode) -> None:
    wording = refusals.wording(code)
    if isinstance(wording, str):
        used = _placeholders(wording)
    else:
        params = inspect.signature(wording).parameters.values()
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)
        used = {p.name for p in params}
    assert used == set(code.facts)


@pytest.mark.parametrize("code", CODES, ids=repr)
def test_every_code_renders_with_its_facts(code: RefusalCode) -> None:
    err = DomainError(code, **{fact: SAMPLES[fact] for fact in code.facts})
    plain = texts.refusal_plain(err, ZONE)
    assert plain.strip()
    assert "{" not in plain
    assert "None" not in plain
    assert texts.refusal(err, ZONE) == texts.esc(plain)


def test_a_code_cannot_be_worded_twice() -> None:
    with pytest.raises(TypeError, match="worded twice"):
        refusals.words({RosterRefusal.TIME_PASSED: "again"})
    assert refusals.wording(RosterRefusal.TIME_PASSED) == (
        "That time has already passed. Pick a future date and time."
    )


def test_facts_are_formatted_in_local_time_and_as_dates() -> None:
    due = NotFound(SafetyRefusal.CHECKIN_NOT_DUE, due_at=SAMPLES["due_at"])
    assert texts.refusal_plain(due, "Europe/London") == (
        "That check-in isn't due until 20:00, so I've left it open: I'll ask you then."
    )
    assert "15:00" in texts.refusal_plain(due, "America/New_York")
    day = NotFound(RosterRefusal.NO_SESSION_ON, day=dtm.date(2026, 12, 2))
    assert texts.refusal(day) == "There&#x27;s no session on 2026-12-02. See /rota for the dates."


def test_an_instant_cannot_be_worded_without_a_zone() -> None:
    due = NotFound(SafetyRefusal.OK_NOT_DUE, due_at=SAMPLES["due_at"])
    with pytest.raises(ValueError, match="needs the local zone"):
        texts.refusal_plain(due)


def test_person_supplied_facts_are_escaped_in_html() -> None:
    err = InvalidInput(PeopleRefusal.ALREADY_ON_TEAM, name="<b>Sam</b> & co")
    assert texts.refusal(err) == (
        "You&#x27;re already on the team as &lt;b&gt;Sam&lt;/b&gt; &amp; co. "
        "Send /rota to see the sessions."
    )
    assert "<b>Sam</b> & co" in texts.refusal_plain(err)  # an alert is plain text


def test_an_ambiguous_name_lists_the_candidates() -> None:
    err = Ambiguous(PeopleRefusal.AMBIGUOUS_NAME, ["Sam <A>", "Sam B"], wanted="Sam")
    assert texts.refusal(err) == (
        "&#x27;Sam&#x27; could be more than one person:\n• Sam &lt;A&gt;\n• Sam B\n"
        "Please use the @username or id."
    )


def test_a_usage_line_is_a_refusal_worded_in_bot() -> None:
    err = texts.usage("Usage: /log YYYY-MM-DD")
    assert texts.refusal(err) == "Usage: /log YYYY-MM-DD"
