"""Retention enforced: personal data past its period is wiped or deleted, a little at a time.

The nightly job and `rotabot privacy purge` both run `purge`. It walks each table in windows
of `batch` rows, each window its own short transaction, and pauses between them: on SQLite
there is one writer, and an alarm written meanwhile must get the lock within moments, not
after the whole purge. Running it twice removes nothing the second time.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields

from rota.kernel.template import RetentionPolicy
from rota.kernel.uow import UnitOfWork, UnitOfWorkFactory
from rota.privacy.erasure import AlertStillOpen, erase_volunteer
from rota.privacy.model import IdWindow, OutboxRules, PurgedTable
from rota.safety.alarms import ESCALATION_REF, NEWS_REF

# Outbox rows that carry where someone was during an alarm: wiped once it is resolved.
PLACE_KINDS = ("alert_location", "alert_location_move")
# A session whose walk never reached "ended" (the bot was down) is over a day after its end.
STALE_WALK = dtm.timedelta(days=1)
# Between windows: long enough for a writer polling SQLite's lock (every 100 ms at most,
# SQLite's busy handler) to get it before the purge takes it again.
PAUSE = 0.1
BATCH = 500


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What one purge removed (or, on a dry run, would remove), per table and kind of data."""

    outbox_rows_deleted: int = 0
    outbox_bodies_wiped: int = 0
    outbox_alert_places_wiped: int = 0
    locations_deleted: int = 0
    safety_log_details_wiped: int = 0
    debrief_incidents_cleared: int = 0
    invites_deleted: int = 0
    removed_volunteers_erased: int = 0
    removed_volunteers_waiting: int = 0  # an alert about them is still open: next night

    @property
    def total(self) -> int:
        """Rows removed or wiped (volunteers put off are not counted)."""
        return sum(
            getattr(self, f.name) for f in fields(self) if f.name != "removed_volunteers_waiting"
        )

    def as_lines(self) -> list[tuple[str, str, int]]:
        """(table, what, count) for each line of the report, in a fixed order."""
        return [
            ("outbox", "messages deleted", self.outbox_rows_deleted),
            ("outbox", "message texts wiped", self.outbox_bodies_wiped),
            ("outbox", "alert locations wiped", self.outbox_alert_places_wiped),
            ("locations", "positions deleted", self.locations_deleted),
            ("safety_log", "details and names wiped", self.safety_log_details_wiped),
            ("debriefs", "incident fields cleared", self.debrief_incidents_cleared),
            ("invites", "invites deleted", self.invites_deleted),
            ("volunteers", "removed volunteers erased", self.removed_volunteers_erased),
            ("volunteers", "erasures put off (alert open)", self.removed_volunteers_waiting),
        ]


Step = Callable[[UnitOfWork, IdWindow], Awaitable[list[int]]]


async def _each_window(
    uows: UnitOfWorkFactory,
    table: PurgedTable,
    step: Step,
    width: int,
    *,
    batch: int,
    pause: float,
    dry_run: bool,
) -> list[int]:
    """Apply `step` to every window of `table`, each in its own transaction; sum its counts."""
    totals = [0] * width
    after = 0
    last: int | None = None
    while True:
        async with uows() as uow:
            if last is None:
                # Rows added from now on are new: a busy outbox must not keep the walk going.
                last = await uow.retention.last_id(table)
            upto = await uow.retention.window_end(table, after=after, size=batch)
            if upto is None or after >= last:
                return totals
            upto = min(upto, last)
            counts = await step(uow, IdWindow(after, upto))
            if not dry_run:
                await uow.commit()
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        after = upto
        await asyncio.sleep(pause)  # let other writers in before the next window


async def _erase_removed(
    uows: UnitOfWorkFactory, *, before: dtm.datetime, now: dtm.datetime, dry_run: bool
) -> tuple[int, int]:
    """Erase volunteers removed before `before`, one per transaction: (erased, put off)."""
    async with uows() as uow:
        due = await uow.retention.removed_before(before)
        if dry_run:
            blocked = [v for v in due if await uow.erasure.open_alerts_about(v)]
            return len(due) - len(blocked), len(blocked)
    erased = waiting = 0
    for volunteer_id in due:
        async with uows() as uow:
            volunteer = await uow.volunteers.get(volunteer_id)
            if volunteer is None:
                continue
            try:
                await erase_volunteer(uow, volunteer, now=now)
            except AlertStillOpen:  # an alert about them is still open: never erase mid-alarm
                waiting += 1
                continue
            await uow.commit()
            erased += 1
    return erased, waiting


async def purge(
    uow_factory: UnitOfWorkFactory,
    *,
    policy: RetentionPolicy,
    now: dtm.datetime,
    dry_run: bool = False,
    batch: int = BATCH,
    pause: float = PAUSE,
) -> PurgeReport:
    """Wipe or delete what `policy` says is kept no longer, at `now` (UTC).

    Args:
        uow_factory: makes one unit of work per window.
        policy: the template's [retention] periods.
        now: the current instant; each period counts back from it.
        dry_run: count what would go, change nothing (the counts match a real run's).
        batch: rows looked at per transaction (what bounds how long a writer waits).
        pause: seconds between two transactions, for other writers.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    rules = OutboxRules(
        rows_before=now - policy.message_rows,
        bodies_before=now - policy.message_bodies,
        place_kinds=PLACE_KINDS,
        place_refs=(ESCALATION_REF, NEWS_REF),
    )
    log_before = now - policy.safety_log_details

    async def outbox(uow: UnitOfWork, window: IdWindow) -> list[int]:
        done = await uow.retention.purge_outbox(window, rules, dry_run=dry_run)
        return [done.deleted, done.bodies, done.places]

    async def safety_log(uow: UnitOfWork, window: IdWindow) -> list[int]:
        return [await uow.retention.purge_log(window, before=log_before, dry_run=dry_run)]

    async def debriefs(uow: UnitOfWork, window: IdWindow) -> list[int]:
        return [await uow.retention.purge_incidents(window, before=log_before, dry_run=dry_run)]

    async def locations(uow: UnitOfWork, window: IdWindow) -> list[int]:
        stale = now - STALE_WALK
        return [await uow.retention.purge_locations(window, stale_before=stale, dry_run=dry_run)]

    async def invites(uow: UnitOfWork, window: IdWindow) -> list[int]:
        before = now - policy.invites
        return [await uow.retention.purge_invites(window, before=before, dry_run=dry_run)]

    async def each(table: PurgedTable, step: Step, width: int = 1) -> list[int]:
        return await _each_window(
            uow_factory, table, step, width, batch=batch, pause=pause, dry_run=dry_run
        )

    deleted, bodies, places = await each("outbox", outbox, 3)
    (located,) = await each("locations", locations)
    (logged,) = await each("safety_log", safety_log)
    (incidents,) = await each("debriefs", debriefs)
    (invited,) = await each("invites", invites)
    # Erasures last: what they rewrite is theirs to count, and a dry run's counts above
    # stay exactly what the real run's are.
    erased, waiting = await _erase_removed(
        uow_factory, before=now - policy.removed_volunteers, now=now, dry_run=dry_run
    )
    return PurgeReport(
        outbox_rows_deleted=deleted,
        outbox_bodies_wiped=bodies,
        outbox_alert_places_wiped=places,
        locations_deleted=located,
        safety_log_details_wiped=logged,
        debrief_incidents_cleared=incidents,
        invites_deleted=invited,
        removed_volunteers_erased=erased,
        removed_volunteers_waiting=waiting,
    )
