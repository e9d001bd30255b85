"""Refusals the domain can give: a code (declared once, with the facts it carries) and facts.

The words live in bot/: each feature's texts.py words its codes, and `bot.texts.refusal`
finds them by code. A code is a member of a `RefusalCode` enum (one per feature, in
rota/<feature>/refusals.py); its value names the facts every refusal with it must carry,
checked when the refusal is made, so a misspelt fact fails in the tests, not at night.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Self


class RefusalCode(Enum):
    """Why the rules refused; each member is written `NAME = ("fact", ...)` (or `()`)."""

    facts: tuple[str, ...]

    def __new__(cls, *facts: str) -> Self:
        """Number the member, so codes with the same facts stay distinct (not aliases)."""
        member = object.__new__(cls)
        member._value_ = len(cls.__members__) + 1
        member.facts = facts
        return member

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


def checked_facts(code: RefusalCode, facts: Mapping[str, object]) -> dict[str, object]:
    """The facts, if they are exactly the ones the code declares.

    Raises:
        TypeError: a fact is missing or not declared for this code (a programming error).
    """
    missing = sorted(set(code.facts) - set(facts))
    extra = sorted(set(facts) - set(code.facts))
    if missing or extra:
        raise TypeError(
            f"{code!r} takes facts {list(code.facts)}: missing {missing}, extra {extra}"
        )
    return dict(facts)


class DomainError(Exception):
    """A request the rules refuse: a code and its facts, worded for people by bot/."""

    def __init__(self, code: RefusalCode, **facts: object) -> None:
        self.facts = checked_facts(code, facts)
        # Only the code goes into str(): facts may be names or numbers, kept out of logs.
        super().__init__(repr(code))
        self.code = code


class NotRegistered(DomainError):
    """The person is not (or no longer) a volunteer."""


class NotCoordinator(DomainError):
    """Only coordinators may do this."""


class NotFound(DomainError):
    """The thing named does not exist (or no longer does)."""


class Ambiguous(DomainError):
    """A name matched more than one volunteer."""

    def __init__(self, code: RefusalCode, candidates: list[str], **facts: object) -> None:
        super().__init__(code, **facts)
        self.candidates = candidates


class InviteInvalid(DomainError):
    """An invite code that is unknown, used or expired."""


class AlreadyRegistered(DomainError):
    """This Telegram account already belongs to a volunteer."""


class NotEligible(DomainError):
    """The volunteer lacks the tags a role requires."""


class RoleFull(DomainError):
    """Every place in the role is taken; the waitlist is open."""


class AlreadySignedUp(DomainError):
    """The volunteer already has a place (or a waitlist spot) in this session."""


class SessionClosed(DomainError):
    """The session is cancelled or already started, so sign-ups no longer change."""


class NotSignedUp(DomainError):
    """The sign-up is not this volunteer's, or was already withdrawn."""


class InvalidInput(DomainError):
    """Something typed that does not parse or is out of range."""


class TooEarly(DomainError):
    """A check-in long before it is due: thanked, but it does not close the next one."""
