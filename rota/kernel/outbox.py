"""The durable outbox: messages owed, their priority and what was sent."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rota.kernel.notices import Payload

from collections.abc import Collection, Sequence
from typing import Protocol


class Priority(IntEnum):
    """How soon an outbox row goes, lowest first; stored as the number, so never renumber.

    SAFETY and PLACE share 1, as they always have: a walker's own safety messages and a
    responder's moved pin both come after any new alarm and before everything else.
    """

    ALARM = 0  # alerts and their news: they jump every queue
    SAFETY = 1  # check-in and home-safe prompts, walk news to walkers and coordinators
    PLACE = 1  # a moved location (an alias of SAFETY: the same place in the queue)
    INCIDENT = 2  # a debrief's incident note to the coordinators
    BRIEFING = 3  # briefings and the debrief's first question: ahead of routine notices
    ROUTINE = 5  # everything else: sign-ups, reminders, cover

    @classmethod
    def of(cls, value: int) -> Priority:
        """A stored number as a Priority (a number between two levels counts as the sooner)."""
        try:
            return cls(value)
        except ValueError:
            return max((p for p in cls if p <= value), default=cls.ALARM)


@dataclass(frozen=True, slots=True)
class Notice:
    """An outgoing message the domain decided on; the bot layer renders and delivers it.

    Recorded in the same transaction as the change that caused it, so it is never lost.
    The kind, and unless given the priority, come from the payload's type.
    """

    chat_id: int
    payload: Payload
    dedupe_key: str | None = None
    priority: Priority | None = None  # None: the payload kind's own priority
    ref_kind: str | None = None
    ref_id: int | None = None
    edit_of: int | None = None

    @property
    def kind(self) -> str:
        """The outbox kind, named by the payload's type."""
        return self.payload.KIND

    @property
    def urgency(self) -> Priority:
        """The priority the row is stored with."""
        return self.payload.PRIORITY if self.priority is None else self.priority


class DeliveryState(StrEnum):
    """Life of an outbox row: pending -> sending (leased) -> sent | failed | unreachable."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"


# last_error of a row claimed again after its lease ran out: the worker that held it died
# between claiming and recording, so Telegram may or may not have delivered it.
LEASE_EXPIRED = "lease expired: the last attempt's outcome is unknown"
UNKNOWN_OUTCOME = ("timed out", LEASE_EXPIRED)  # last_error prefixes: it may have arrived


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A claimed outbox row, ready to be rendered and sent."""

    id: int
    kind: str
    chat_id: int
    payload: dict[str, object]  # as stored: rota.kernel.notice_codec.decode reads it
    priority: Priority
    attempts: int
    due_at: dtm.datetime
    created_at: dtm.datetime
    last_error: str | None = None
    ref_kind: str | None = None
    ref_id: int | None = None
    edit_of: int | None = None


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A delivered outbox row: where its message is, so it can be edited later."""

    outbox_id: int
    kind: str
    chat_id: int
    message_id: int | None


@dataclass(frozen=True, slots=True)
class EditTarget:
    """The message an edit rewrites, as one read of its outbox row found it."""

    message: SentMessage | None  # delivered: where it is (None: not delivered, or never will be)
    on_its_way: bool  # still to be sent, or being sent: the edit waits for it


class OutboxRepository(Protocol):
    """The durable queue of messages the bot owes people."""

    async def add(
        self, notice: Notice, *, now: dtm.datetime, due_at: dtm.datetime | None
    ) -> None: ...
    async def add_many(
        self, notices: Sequence[Notice], *, now: dtm.datetime, due_at: dtm.datetime | None = None
    ) -> None: ...
    async def claim_due(
        self,
        *,
        now: dtm.datetime,
        lease: dtm.timedelta,
        limit: int,
        chat_id: int | None = None,
        kinds: Sequence[str] | None = None,
        max_priority: int | None = None,
        exclude: Collection[int] = (),
    ) -> list[OutboxItem]: ...
    async def mark_sent(
        self, item_id: int, *, now: dtm.datetime, message_id: int | None, scrub: bool = False
    ) -> None: ...
    async def retry_at(self, item_id: int, *, due_at: dtm.datetime, error: str) -> None: ...
    async def give_up(self, item_id: int, *, unreachable: bool, error: str) -> None: ...
    async def next_due(self) -> dtm.datetime | None: ...
    async def sent_for(
        self, ref_kind: str, ref_id: int, *, in_flight: bool = False
    ) -> list[SentMessage]: ...
    async def edit_target(self, outbox_id: int) -> EditTarget: ...
    async def queued_chats(
        self, ref_kind: str, ref_id: int, kinds: Sequence[str]
    ) -> list[int]: ...
    async def refs_in_message(self, ref_kind: str, chat_id: int, message_id: int) -> list[int]: ...
    async def cancel_pending(self, ref_kind: str, ref_id: int, kinds: Sequence[str]) -> int: ...
