"""What erasing a person (/forgetme, /remove ... forget, retention) needs from storage."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from rota.model import Volunteer


class FreeText(StrEnum):
    """The columns of free text people type, which may name anyone (table.column)."""

    SAFETY_LOG = "safety_log.detail"
    SAFETY_NOTES = "safety_notes.text"
    INCIDENTS = "debriefs.incident"
    SESSION_NOTES = "sessions.note"


@dataclass(frozen=True, slots=True)
class StoredText:
    """One stored free text that may name the person."""

    id: int
    text: str


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One outbox row that may name the person, with every column that can hold text."""

    id: int
    kind: str
    chat_id: int
    state: str
    payload: str
    dedupe_key: str | None
    last_error: str | None
    ref_kind: str | None
    ref_id: int | None


class ErasureRepository(Protocol):
    """Find and rewrite every stored trace of one person; the caller's transaction commits.

    Finders take `needles`: strings (names, handles, digits) whose presence, in any letter
    case, makes a row worth a closer look. They narrow what is read; the service decides.
    """

    async def open_alerts_about(self, volunteer_id: int) -> list[int]: ...
    async def alerts_about(self, volunteer_id: int) -> list[int]: ...
    async def removed_volunteers(self) -> list[Volunteer]: ...
    async def set_removed_at(self, volunteer_id: int, at: dtm.datetime | None) -> None: ...
    async def delete_messages_to(self, chat_id: int) -> int: ...
    async def messages_matching(
        self, needles: Sequence[str], refs: Sequence[tuple[str, int]]
    ) -> list[StoredMessage]: ...
    async def rewrite_message(
        self,
        outbox_id: int,
        *,
        payload: str,
        dedupe_key: str | None,
        last_error: str | None,
        cancel: bool,
    ) -> None: ...
    async def texts_matching(
        self, column: FreeText, needles: Sequence[str]
    ) -> list[StoredText]: ...
    async def rewrite_text(self, column: FreeText, row_id: int, text: str) -> None: ...
    async def delete_locations(self, volunteer_id: int) -> int: ...
    async def anonymise_volunteer(
        self, volunteer_id: int, *, name: str, now: dtm.datetime
    ) -> int: ...
