"""Payloads of the rota itself: places from the waitlist, cancellations, late withdrawals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rota.kernel.notices import FLAT, Payload, SessionFacts


@dataclass(frozen=True, slots=True, kw_only=True)
class Promoted(Payload):
    """To a volunteer moved up from the waitlist."""

    KIND: ClassVar[str] = "promoted"
    session: SessionFacts = field(metadata=FLAT)
    role: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionCancelled(Payload):
    """To everyone signed up to a session that was cancelled."""

    KIND: ClassVar[str] = "session_cancelled"
    session: SessionFacts = field(metadata=FLAT)
    role: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LateWithdrawal(Payload):
    """To coordinators: someone withdrew close to the start."""

    KIND: ClassVar[str] = "late_withdrawal"
    session: SessionFacts = field(metadata=FLAT)
    role: str = ""
    volunteer: str = ""
    promoted: str | None = None  # who moved up from the waitlist, if anyone


@dataclass(frozen=True, slots=True, kw_only=True)
class LeftGroup(Payload):
    """To coordinators: the bot was added to a group that is not the team's, and left."""

    KIND: ClassVar[str] = "left_group"
    title: str = ""
    by: str | None = None
