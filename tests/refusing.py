"""Refusals as people read them: the words live in bot/, so tests of rota/ match them here."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import pytest

# Each feature's texts module registers its refusal wordings when imported.
import bot.briefings.texts
import bot.people.texts
import bot.privacy.texts
import bot.reports.texts
import bot.roster.texts
import bot.safety.texts
import bot.staffing.texts  # noqa: F401
from bot.texts import refusal_plain
from rota.kernel.errors import DomainError

ZONE = "Europe/London"  # the tests' config zone (tests/conftest.py)


def worded(err: BaseException) -> str:
    """The refusal as a person reads it (plain text, local time)."""
    assert isinstance(err, DomainError), err
    return refusal_plain(err, ZONE)


@contextlib.contextmanager
def refusing(
    kind: type[DomainError] | tuple[type[DomainError], ...], match: str | None = None
) -> Iterator[pytest.ExceptionInfo[DomainError]]:
    """Like pytest.raises, with `match` searched in the refusal's words (not its code)."""
    with pytest.raises(kind) as caught:
        yield caught
    if match is not None:
        said = worded(caught.value)
        assert re.search(match, said), f"{match!r} not in {said!r}"
