"""Refusals the domain can give; each carries a message a volunteer can read."""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse; the message is safe to show to the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotRegistered(DomainError):
    """The person is not (or no longer) a volunteer."""


class NotCoordinator(DomainError):
    """Only coordinators may do this."""


class NotFound(DomainError):
    """The thing named does not exist (or no longer does)."""


class Ambiguous(DomainError):
    """A name matched more than one volunteer."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
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
