"""What erasure, /me and the nightly purge need from storage."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Sequence
from typing import Protocol

from rota.people.model import Volunteer
from rota.privacy.model import (
    FreeText,
    IdWindow,
    MyRecords,
    OutboxPurged,
    OutboxRules,
    PurgedTable,
    StoredMessage,
    StoredText,
)


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


class MyDataRepository(Protocol):
    """Read-only: everything stored with one volunteer's id or Telegram chat."""

    async def records(self, volunteer_id: int, *, chat_id: int | None, name: str) -> MyRecords: ...


class RetentionRepository(Protocol):
    """Find and remove personal data past its retention period, one window at a time."""

    async def last_id(self, table: PurgedTable) -> int:
        """The highest id in `table` now (0 if empty): rows added later are not old yet."""
        ...

    async def window_end(self, table: PurgedTable, *, after: int, size: int) -> int | None:
        """The highest id among the next `size` rows after `after`; None when none are left."""
        ...

    async def purge_outbox(
        self, window: IdWindow, rules: OutboxRules, *, dry_run: bool
    ) -> OutboxPurged: ...

    async def purge_log(self, window: IdWindow, *, before: dtm.datetime, dry_run: bool) -> int:
        """Blank the detail and the volunteer of log lines written before `before`."""
        ...

    async def purge_incidents(
        self, window: IdWindow, *, before: dtm.datetime, dry_run: bool
    ) -> int:
        """Clear the incident field of debriefs finished (or started) before `before`."""
        ...

    async def purge_locations(
        self, window: IdWindow, *, stale_before: dtm.datetime, dry_run: bool
    ) -> int:
        """Delete positions of walks that are over, unless an alert about the person is open.

        Over: the walk ended, the session was cancelled, or it ended before `stale_before`.
        """
        ...

    async def purge_invites(self, window: IdWindow, *, before: dtm.datetime, dry_run: bool) -> int:
        """Delete invites used, or unused and expired, before `before`."""
        ...

    async def removed_before(self, before: dtm.datetime) -> list[int]:
        """Ids of volunteers a coordinator removed before `before`, not yet erased."""
        ...
