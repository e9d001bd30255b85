"""What every notice payload is: a frozen dataclass of plain values with a kind and a priority.

Payloads are stored as JSON objects of plain values (erasure walks them to scrub a person,
retention wipes them to "{}"), so fields are ints, strings, instants, tuples and small
nested dataclasses; `rota.kernel.notice_codec` does the conversion, in one place.
"""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar

from rota.kernel.outbox import Priority
from rota.roster.model import Session

# Field metadata for a nested dataclass stored flat: its fields sit beside the payload's own
# in the JSON object (the shape rows had before payloads were typed).
FLAT = MappingProxyType({"flat": True})

_TYPES: dict[str, type[Payload]] = {}  # every concrete payload type, by qualified name


class Payload:
    """Base of every notice payload; a subclass names its outbox kind and default priority.

    Two types may share a kind when their stored rows tell them apart (STORED_WITH): the
    team group's copy of an alert is an "alert" row, as it always was, but a TeamAlert.
    """

    __slots__ = ()
    KIND: ClassVar[str]
    PRIORITY: ClassVar[Priority] = Priority.ROUTINE
    # Constant keys written beside the fields: they tell apart types that share a kind.
    STORED_WITH: ClassVar[dict[str, str]] = {}
    # Of types sharing a kind, the one a row without those keys reads as.
    UNMARKED: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        # Only the features' own modules: a payload made up by a test is not the bot's to send.
        if "KIND" in cls.__dict__ and _is_feature_notices(cls.__module__):
            # dataclass(slots=True) makes the class again under the same name: the last wins.
            _TYPES[f"{cls.__module__}.{cls.__qualname__}"] = cls


def _is_feature_notices(module: str) -> bool:
    """True for `rota.<feature>.notices`, where each feature declares its payloads."""
    parts = module.split(".")
    return len(parts) == 3 and parts[0] == "rota" and parts[2] == "notices"


def all_payload_types() -> list[type[Payload]]:
    """Every payload type defined so far (import rota.kernel.notice_codec for all of them)."""
    return list(_TYPES.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionTimes:
    """Which session a notice is about, and when it is (stored flat: session_id, starts_at...)."""

    session_id: int
    starts_at: dtm.datetime
    ends_at: dtm.datetime

    @classmethod
    def of(cls, session: Session) -> SessionTimes:
        """The times of a session."""
        return cls(session_id=session.id, starts_at=session.starts_at, ends_at=session.ends_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionFacts:
    """A session as a message about it shows it: when, and where to meet (stored flat)."""

    session_id: int
    starts_at: dtm.datetime
    ends_at: dtm.datetime
    meeting_point: str = ""

    @classmethod
    def of(cls, session: Session) -> SessionFacts:
        """The facts of a session."""
        return cls(
            session_id=session.id,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            meeting_point=session.meeting_point,
        )

    @property
    def times(self) -> SessionTimes:
        """Just which session and when."""
        return SessionTimes(
            session_id=self.session_id, starts_at=self.starts_at, ends_at=self.ends_at
        )
