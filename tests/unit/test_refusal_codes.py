"""Refusal codes: each declares its facts once, and a refusal must carry exactly those."""

from __future__ import annotations

import datetime as dtm

import pytest

from rota.kernel.errors import Ambiguous, DomainError, InvalidInput, NotFound, RefusalCode
from rota.kernel.localtime import LocalTimeError, parse_date
from rota.people.refusals import PeopleRefusal
from rota.roster.refusals import RosterRefusal
from rota.safety.pairing import PairingError
from rota.safety.refusals import SafetyRefusal


def test_a_refusal_keeps_its_code_and_facts() -> None:
    err = NotFound(RosterRefusal.NO_SESSION_ON, day=dtm.date(2026, 12, 2))
    assert err.code is RosterRefusal.NO_SESSION_ON
    assert err.facts == {"day": dtm.date(2026, 12, 2)}


def test_a_misspelt_fact_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"missing \['day'\], extra \['date'\]"):
        NotFound(RosterRefusal.NO_SESSION_ON, date=dtm.date(2026, 12, 2))


def test_a_missing_fact_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"missing \['role'\]"):
        InvalidInput(RosterRefusal.ROLE_FULL)


def test_an_undeclared_fact_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"extra \['name'\]"):
        InvalidInput(PeopleRefusal.NAME_EMPTY, name="Sam")


def test_every_error_class_checks_its_facts() -> None:
    with pytest.raises(TypeError):
        Ambiguous(PeopleRefusal.AMBIGUOUS_NAME, ["Sam A", "Sam B"], who="Sam")
    with pytest.raises(TypeError):
        PairingError(SafetyRefusal.SAME_WALKER, walker="Ana")
    with pytest.raises(TypeError):
        LocalTimeError(SafetyRefusal.CHECKIN_NOT_DUE)


def test_codes_with_the_same_facts_stay_distinct() -> None:
    # Enum members with equal values would be aliases of one another: numbered instead.
    assert RosterRefusal.TIME_PASSED is not RosterRefusal.ALREADY_CANCELLED
    assert RosterRefusal.TIME_PASSED.facts == RosterRefusal.ALREADY_CANCELLED.facts == ()
    assert len({c.value for c in RosterRefusal}) == len(RosterRefusal)


def test_the_text_of_a_refusal_is_its_code_only() -> None:
    # Logs may show str(err): a name or a typed value must not ride along.
    err = NotFound(PeopleRefusal.UNKNOWN_VOLUNTEER, wanted="Sam Lee +447700900123")
    assert str(err) == "PeopleRefusal.UNKNOWN_VOLUNTEER"
    assert "Sam" not in repr(err)


def test_a_typed_date_is_refused_with_a_code() -> None:
    with pytest.raises(LocalTimeError) as caught:
        parse_date("2026-02-30")
    assert caught.value.code.name == "MONTH_TOO_SHORT"
    assert caught.value.facts == {"text": "2026-02-30", "year": 2026, "month": 2, "days": 28}
    assert isinstance(caught.value, ValueError | DomainError)


def test_a_feature_code_is_a_refusal_code() -> None:
    assert all(
        issubclass(cls, RefusalCode) for cls in (RosterRefusal, PeopleRefusal, SafetyRefusal)
    )
