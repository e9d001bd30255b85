"""What the retention purge needs from storage: bounded, guarded deletes and wipes.

Every method works on one window of ids (after < id <= upto) so a caller can keep each
transaction short: SQLite has one writer, and an alarm must never wait long behind the purge.
"""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass
from typing import Literal, Protocol

PurgedTable = Literal["outbox", "safety_log", "locations", "debriefs", "invites"]


@dataclass(frozen=True, slots=True)
class IdWindow:
    """The rows with after < id <= upto, in one short transaction."""

    after: int
    upto: int


@dataclass(frozen=True, slots=True)
class OutboxRules:
    """When a finished outbox row (sent, given up or cancelled) loses its text, then itself.

    A row counts as finished at its delivery (sent_at), else at its last due time: rows
    still pending or being sent are never touched, whatever their age.
    """

    rows_before: dtm.datetime  # finished before this: the row is deleted
    bodies_before: dtm.datetime  # finished before this: payload -> "{}", last_error -> NULL
    place_kinds: tuple[str, ...]  # rows that carry an alarm's location...
    place_refs: tuple[str, ...]  # ...whose ref_id is the escalation: wiped once it is resolved


@dataclass(frozen=True, slots=True)
class OutboxPurged:
    """What one window of the outbox lost (or would lose, on a dry run)."""

    deleted: int = 0
    bodies: int = 0
    places: int = 0


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
