"""Safety rows in SQL: pairs, check-ins, timers, escalations, home-safe, locations, the log.

Every state change is a guarded UPDATE (compare-and-set): its rowcount says whether this
caller won, so two workers, a retry or a double tap can never act twice.
"""

from __future__ import annotations

import datetime as dtm
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rota.roster.model import Session, SessionStatus
from rota.safety.model import (
    CheckIn,
    CheckInState,
    Escalation,
    EscalationKind,
    EscalationState,
    HomeSafe,
    Location,
    LogEntry,
    NewLogEntry,
    NewTimer,
    Pair,
    PairMember,
    Timer,
    TimerKind,
)
from rota.storage.repositories import _session
from rota.storage.tables import (
    CheckInRow,
    EscalationRow,
    HomeSafeRow,
    LocationRow,
    MilestoneRow,
    PairMemberRow,
    PairRow,
    SafetyLogRow,
    SessionRow,
    TimerRow,
    VolunteerRow,
)


def _done(result: object) -> bool:
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def _checkin(row: CheckInRow) -> CheckIn:
    return CheckIn(
        id=row.id,
        session_id=row.session_id,
        pair_id=row.pair_id,
        seq=row.seq,
        total=row.total,
        due_at=row.due_at,
        state=CheckInState(row.state),
        checked_at=row.checked_at,
        checked_by=row.checked_by,
        escalation_id=row.escalation_id,
    )


def _escalation(row: EscalationRow) -> Escalation:
    return Escalation(
        id=row.id,
        session_id=row.session_id,
        kind=EscalationKind(row.kind),
        pair_id=row.pair_id,
        volunteer_id=row.volunteer_id,
        checkin_id=row.checkin_id,
        home_safe_id=row.home_safe_id,
        step=row.step,
        state=EscalationState(row.state),
        opened_at=row.opened_at,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
    )


def _home(row: HomeSafeRow) -> HomeSafe:
    return HomeSafe(
        id=row.id,
        session_id=row.session_id,
        volunteer_id=row.volunteer_id,
        due_at=row.due_at,
        safe_at=row.safe_at,
        escalation_id=row.escalation_id,
    )


class SqlSafety:
    """All safety state of the nights, in SQL."""

    def __init__(self, db_session: AsyncSession) -> None:
        self._db = db_session

    # --- walks -------------------------------------------------------------------------

    async def walks_to_start(self, now: dtm.datetime) -> list[Session]:
        rows = await self._db.scalars(
            select(SessionRow)
            .where(
                SessionRow.status == SessionStatus.SCHEDULED.value,
                SessionRow.walk_state == "planned",
                SessionRow.starts_at <= now,
            )
            .order_by(SessionRow.starts_at)
        )
        return [_session(r) for r in rows]

    async def walks_to_end(self, now: dtm.datetime) -> list[Session]:
        rows = await self._db.scalars(
            select(SessionRow)
            .where(
                SessionRow.walk_state.in_(("walking", "walk_over")),
                SessionRow.ends_at <= now,
            )
            .order_by(SessionRow.ends_at)
        )
        return [_session(r) for r in rows]

    async def set_walk_state(
        self,
        session_id: int,
        *,
        expected: Sequence[str],
        new: str,
        at: dtm.datetime | None = None,
        by: int | None = None,
    ) -> bool:
        values: dict[str, object] = {"walk_state": new}
        if new == "walk_over":
            values.update(walk_over_at=at, walk_over_by=by)
        return _done(
            await self._db.execute(
                update(SessionRow)
                .where(SessionRow.id == session_id, SessionRow.walk_state.in_(expected))
                .values(**values)
            )
        )

    async def live_sessions(self, now: dtm.datetime) -> list[Session]:
        """Sessions whose walk is on, or whose home-safe round is not finished.

        A walk that is on comes first, then the latest: a past night whose home-safe round
        never finished (someone never tapped the button) stays live, and must not take
        tonight's SOS, duress or board.
        """
        waiting = select(HomeSafeRow.session_id).where(HomeSafeRow.safe_at.is_(None))
        open_alarm = select(EscalationRow.session_id).where(
            EscalationRow.state != EscalationState.RESOLVED.value
        )
        on = SessionRow.walk_state.in_(("walking", "walk_over"))
        rows = await self._db.scalars(
            select(SessionRow)
            .where(or_(on, SessionRow.id.in_(waiting), SessionRow.id.in_(open_alarm)))
            .order_by(case((on, 0), else_=1), SessionRow.starts_at.desc())
        )
        return [_session(r) for r in rows]

    async def set_plan(self, session_id: int, plan_json: str | None) -> None:
        await self._db.execute(
            update(SessionRow).where(SessionRow.id == session_id).values(checkin_plan=plan_json)
        )

    # --- pairs -------------------------------------------------------------------------

    async def pairs(self, session_id: int) -> list[Pair]:
        return await self._pairs(PairRow.session_id == session_id)

    async def pair(self, pair_id: int) -> Pair | None:
        found = await self._pairs(PairRow.id == pair_id)
        return found[0] if found else None

    async def pairs_by_ids(self, pair_ids: Sequence[int]) -> dict[int, Pair]:
        if not pair_ids:
            return {}
        return {p.id: p for p in await self._pairs(PairRow.id.in_(pair_ids))}

    async def pair_of(self, session_id: int, volunteer_id: int) -> Pair | None:
        pair_id = await self._db.scalar(
            select(PairRow.id)
            .join(PairMemberRow, PairMemberRow.pair_id == PairRow.id)
            .where(PairRow.session_id == session_id, PairMemberRow.volunteer_id == volunteer_id)
            .limit(1)
        )
        return await self.pair(pair_id) if pair_id is not None else None

    async def _pairs(self, where: Any) -> list[Pair]:
        rows = await self._db.execute(
            select(PairRow, PairMemberRow, VolunteerRow)
            .join(PairMemberRow, PairMemberRow.pair_id == PairRow.id)
            .join(VolunteerRow, VolunteerRow.id == PairMemberRow.volunteer_id)
            .where(where)
            .order_by(PairRow.number, PairMemberRow.position)
        )
        members: dict[int, list[PairMember]] = defaultdict(list)
        heads: dict[int, PairRow] = {}
        for pair, _member, volunteer in rows:
            heads[pair.id] = pair
            members[pair.id].append(
                PairMember(
                    volunteer_id=volunteer.id,
                    name=volunteer.display_name,
                    telegram_id=volunteer.telegram_id,
                    phone=volunteer.phone,
                )
            )
        return [
            Pair(
                id=p.id,
                session_id=p.session_id,
                number=p.number,
                members=tuple(members[p.id]),
                manual=p.manual,
            )
            for p in heads.values()
        ]

    async def replace_pairs(
        self,
        session_id: int,
        groups: Sequence[Sequence[int]],
        *,
        manual: bool,
        now: dtm.datetime,
    ) -> None:
        await self._db.execute(delete(PairMemberRow).where(PairMemberRow.session_id == session_id))
        await self._db.execute(delete(PairRow).where(PairRow.session_id == session_id))
        if not groups:
            return
        # Two statements, not a flush per pair: a briefing round pairs hundreds of walkers.
        created = await self._db.execute(
            insert(PairRow).returning(PairRow.id, PairRow.number, sort_by_parameter_order=True),
            [
                {"session_id": session_id, "number": n, "manual": manual, "created_at": now}
                for n in range(1, len(groups) + 1)
            ],
        )
        pair_ids = {number: pair_id for pair_id, number in created}
        await self._db.execute(
            insert(PairMemberRow),
            [
                {
                    "pair_id": pair_ids[number],
                    "session_id": session_id,
                    "volunteer_id": volunteer_id,
                    "position": position,
                }
                for number, group in enumerate(groups, start=1)
                for position, volunteer_id in enumerate(group)
            ],
        )

    # --- check-ins ---------------------------------------------------------------------

    async def add_checkins(
        self, session_id: int, pair_id: int, dues: Sequence[dtm.datetime]
    ) -> list[CheckIn]:
        rows = [
            CheckInRow(
                session_id=session_id,
                pair_id=pair_id,
                seq=seq,
                total=len(dues),
                due_at=due,
                state=CheckInState.OPEN.value,
            )
            for seq, due in enumerate(dues, start=1)
        ]
        self._db.add_all(rows)
        await self._db.flush()
        return [_checkin(r) for r in rows]

    async def checkin(self, checkin_id: int) -> CheckIn | None:
        row = await self._db.get(CheckInRow, checkin_id, populate_existing=True)
        return _checkin(row) if row else None

    async def checkins(self, session_id: int) -> list[CheckIn]:
        rows = await self._db.scalars(
            select(CheckInRow)
            .where(CheckInRow.session_id == session_id)
            .order_by(CheckInRow.pair_id, CheckInRow.seq)
            .execution_options(populate_existing=True)
        )
        return [_checkin(r) for r in rows]

    async def checkins_by_ids(self, checkin_ids: Sequence[int]) -> dict[int, CheckIn]:
        if not checkin_ids:
            return {}
        rows = await self._db.scalars(
            select(CheckInRow)
            .where(CheckInRow.id.in_(checkin_ids))
            .execution_options(populate_existing=True)
        )
        return {r.id: _checkin(r) for r in rows}

    async def last_checkins(self, pair_ids: Sequence[int]) -> dict[int, CheckIn]:
        if not pair_ids:
            return {}
        rows = await self._db.scalars(
            select(CheckInRow)
            .where(CheckInRow.pair_id.in_(pair_ids), CheckInRow.checked_at.is_not(None))
            .order_by(CheckInRow.pair_id, CheckInRow.checked_at, CheckInRow.seq)
            .execution_options(populate_existing=True)
        )
        return {r.pair_id: _checkin(r) for r in rows}  # ordered: the last one wins

    async def last_checkin(self, pair_id: int) -> CheckIn | None:
        row = await self._db.scalar(
            select(CheckInRow)
            .where(CheckInRow.pair_id == pair_id, CheckInRow.checked_at.is_not(None))
            .order_by(CheckInRow.checked_at.desc(), CheckInRow.seq.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        return _checkin(row) if row else None

    async def close_checkin(self, checkin_id: int, *, by: int, at: dtm.datetime) -> bool:
        return _done(
            await self._db.execute(
                update(CheckInRow)
                .where(CheckInRow.id == checkin_id, CheckInRow.state == CheckInState.OPEN.value)
                .values(state=CheckInState.OK.value, checked_by=by, checked_at=at)
            )
        )

    async def cancel_checkins_after(self, session_id: int, after: dtm.datetime) -> list[int]:
        ids = list(
            await self._db.scalars(
                select(CheckInRow.id).where(
                    CheckInRow.session_id == session_id,
                    CheckInRow.state == CheckInState.OPEN.value,
                    CheckInRow.due_at > after,
                )
            )
        )
        if ids:
            await self._db.execute(
                update(CheckInRow)
                .where(CheckInRow.id.in_(ids), CheckInRow.state == CheckInState.OPEN.value)
                .values(state=CheckInState.CANCELLED.value)
            )
        return ids

    async def next_open_checkin(self, pair_id: int) -> CheckIn | None:
        row = await self._db.scalar(
            select(CheckInRow)
            .where(CheckInRow.pair_id == pair_id, CheckInRow.state == CheckInState.OPEN.value)
            .order_by(CheckInRow.seq)
            .limit(1)
        )
        return _checkin(row) if row else None

    async def link_checkin(self, checkin_id: int, escalation_id: int) -> None:
        await self._db.execute(
            update(CheckInRow)
            .where(CheckInRow.id == checkin_id)
            .values(escalation_id=escalation_id)
        )

    async def link_checkins(self, links: Sequence[tuple[int, int]]) -> None:
        if links:
            # Core (not ORM) UPDATE: an executemany with its own WHERE, one statement.
            table = cast(Table, CheckInRow.__table__)
            await self._db.execute(
                update(table)
                .where(table.c.id == bindparam("checkin"))
                .values(escalation_id=bindparam("escalation")),
                [{"checkin": c, "escalation": e} for c, e in links],
            )

    # --- timers ------------------------------------------------------------------------

    async def add_new_timers(self, timers: Sequence[NewTimer]) -> None:
        """Timers for things just created (a new escalation's next step): none can exist yet."""
        if timers:
            await self._db.execute(
                insert(TimerRow),
                [
                    {
                        "kind": t.kind.value,
                        "ref_id": t.ref_id,
                        "step": t.step,
                        "session_id": t.session_id,
                        "due_at": t.due_at,
                        "state": "pending",
                    }
                    for t in timers
                ],
            )

    async def add_timer(
        self, kind: TimerKind, ref_id: int, *, session_id: int, due_at: dtm.datetime, step: int = 0
    ) -> None:
        exists = await self._db.scalar(
            select(TimerRow.id).where(
                TimerRow.kind == kind.value, TimerRow.ref_id == ref_id, TimerRow.step == step
            )
        )
        if exists is None:
            self._db.add(
                TimerRow(
                    kind=kind.value,
                    ref_id=ref_id,
                    step=step,
                    session_id=session_id,
                    due_at=due_at,
                    state="pending",
                )
            )
            await self._db.flush()

    async def claim_timers(
        self, *, now: dtm.datetime, lease: dtm.timedelta, limit: int
    ) -> list[Timer]:
        due = or_(
            and_(TimerRow.state == "pending", TimerRow.due_at <= now),
            and_(TimerRow.state == "firing", TimerRow.locked_until <= now),
        )
        candidates = (
            select(TimerRow.id)
            .where(due)
            .order_by(TimerRow.due_at, TimerRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            # MATERIALIZED: PostgreSQL must pick the rows once; as a plain IN subquery it may
            # re-run the LIMIT per row and lease every due row to one worker.
            .cte("due_rows")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        result = await self._db.execute(
            update(TimerRow)
            .where(TimerRow.id.in_(select(candidates.c.id)), due)
            .values(state="firing", locked_until=now + lease)
            .returning(TimerRow.id, TimerRow.kind, TimerRow.ref_id, TimerRow.step, TimerRow.due_at)
        )
        timers = [Timer(i, TimerKind(k), r, s, d) for i, k, r, s, d in result]
        return sorted(timers, key=lambda t: (t.due_at, t.id))

    async def finish_timer(self, timer_id: int, *, now: dtm.datetime) -> bool:
        return _done(
            await self._db.execute(
                update(TimerRow)
                .where(TimerRow.id == timer_id, TimerRow.state == "firing")
                .values(state="done", fired_at=now, locked_until=None)
            )
        )

    async def finish_timers(self, timer_ids: Sequence[int], *, now: dtm.datetime) -> int:
        if not timer_ids:
            return 0
        result = await self._db.execute(
            update(TimerRow)
            .where(TimerRow.id.in_(timer_ids), TimerRow.state == "firing")
            .values(state="done", fired_at=now, locked_until=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def cancel_timers(self, kinds: Sequence[TimerKind], ref_ids: Sequence[int]) -> None:
        if not ref_ids:
            return
        await self._db.execute(
            update(TimerRow)
            .where(
                TimerRow.kind.in_([k.value for k in kinds]),
                TimerRow.ref_id.in_(ref_ids),
                TimerRow.state == "pending",
            )
            .values(state="cancelled")
        )

    async def advance_timer(self, kind: TimerKind, ref_id: int, *, due_at: dtm.datetime) -> bool:
        """Bring a pending timer forward (e.g. the next escalation step after a 403)."""
        return _done(
            await self._db.execute(
                update(TimerRow)
                .where(
                    TimerRow.kind == kind.value,
                    TimerRow.ref_id == ref_id,
                    TimerRow.state == "pending",
                    TimerRow.due_at > due_at,
                )
                .values(due_at=due_at)
            )
        )

    async def next_timer_due(self) -> dtm.datetime | None:
        pending = await self._db.scalar(
            select(func.min(TimerRow.due_at)).where(TimerRow.state == "pending")
        )
        leased = await self._db.scalar(
            select(func.min(TimerRow.locked_until)).where(TimerRow.state == "firing")
        )
        times = [t for t in (pending, leased) if t is not None]
        return min(times) if times else None

    # --- escalations -------------------------------------------------------------------

    async def open_escalation(
        self,
        *,
        session_id: int,
        kind: EscalationKind,
        now: dtm.datetime,
        step: int,
        pair_id: int | None = None,
        volunteer_id: int | None = None,
        checkin_id: int | None = None,
        home_safe_id: int | None = None,
    ) -> Escalation:
        row = EscalationRow(
            session_id=session_id,
            kind=kind.value,
            pair_id=pair_id,
            volunteer_id=volunteer_id,
            checkin_id=checkin_id,
            home_safe_id=home_safe_id,
            step=step,
            state=EscalationState.OPEN.value,
            opened_at=now,
        )
        self._db.add(row)
        await self._db.flush()
        return _escalation(row)

    async def open_escalations(
        self,
        *,
        session_id: int,
        kind: EscalationKind,
        now: dtm.datetime,
        step: int,
        subjects: Sequence[tuple[int | None, int | None, int | None]],
    ) -> list[Escalation]:
        """Open one escalation per (pair_id, volunteer_id, checkin_id), in that order."""
        if not subjects:
            return []
        result = await self._db.execute(
            insert(EscalationRow).returning(EscalationRow, sort_by_parameter_order=True),
            [
                {
                    "session_id": session_id,
                    "kind": kind.value,
                    "pair_id": pair_id,
                    "volunteer_id": volunteer_id,
                    "checkin_id": checkin_id,
                    "step": step,
                    "state": EscalationState.OPEN.value,
                    "opened_at": now,
                }
                for pair_id, volunteer_id, checkin_id in subjects
            ],
        )
        return [_escalation(row) for row in result.scalars()]

    async def escalation(self, escalation_id: int) -> Escalation | None:
        row = await self._db.get(EscalationRow, escalation_id, populate_existing=True)
        return _escalation(row) if row else None

    async def escalations(self, session_id: int) -> list[Escalation]:
        rows = await self._db.scalars(
            select(EscalationRow)
            .where(EscalationRow.session_id == session_id)
            .order_by(EscalationRow.id)
            .execution_options(populate_existing=True)
        )
        return [_escalation(r) for r in rows]

    async def open_sos_for(self, session_id: int, volunteer_id: int) -> Escalation | None:
        """This person's open SOS, else their open duress alert (an SOS reaches more people)."""
        row = await self._db.scalar(
            select(EscalationRow)
            .where(
                EscalationRow.session_id == session_id,
                EscalationRow.volunteer_id == volunteer_id,
                EscalationRow.kind.in_((EscalationKind.SOS.value, EscalationKind.DURESS.value)),
                EscalationRow.state == EscalationState.OPEN.value,
            )
            .order_by(case((EscalationRow.kind == EscalationKind.SOS.value, 0), else_=1))
            .limit(1)
        )
        return _escalation(row) if row else None

    async def step_escalation(self, escalation_id: int, *, expected: int, new: int) -> bool:
        return _done(
            await self._db.execute(
                update(EscalationRow)
                .where(
                    EscalationRow.id == escalation_id,
                    EscalationRow.step == expected,
                    EscalationRow.state == EscalationState.OPEN.value,
                )
                .values(step=new)
            )
        )

    async def acknowledge(self, escalation_id: int, *, by: int, at: dtm.datetime) -> bool:
        return _done(
            await self._db.execute(
                update(EscalationRow)
                .where(
                    EscalationRow.id == escalation_id,
                    EscalationRow.state == EscalationState.OPEN.value,
                )
                .values(
                    state=EscalationState.ACKNOWLEDGED.value,
                    acknowledged_by=by,
                    acknowledged_at=at,
                )
            )
        )

    async def resolve(self, escalation_id: int, *, by: int, at: dtm.datetime) -> bool:
        return _done(
            await self._db.execute(
                update(EscalationRow)
                .where(
                    EscalationRow.id == escalation_id,
                    EscalationRow.state != EscalationState.RESOLVED.value,
                )
                .values(state=EscalationState.RESOLVED.value, resolved_by=by, resolved_at=at)
            )
        )

    # --- home safe ---------------------------------------------------------------------

    async def add_home_safe(
        self, session_id: int, volunteer_id: int, *, due_at: dtm.datetime
    ) -> HomeSafe | None:
        exists = await self._db.scalar(
            select(HomeSafeRow.id).where(
                HomeSafeRow.session_id == session_id, HomeSafeRow.volunteer_id == volunteer_id
            )
        )
        if exists is not None:
            return None
        row = HomeSafeRow(session_id=session_id, volunteer_id=volunteer_id, due_at=due_at)
        self._db.add(row)
        await self._db.flush()
        return _home(row)

    async def home_safe(self, home_safe_id: int) -> HomeSafe | None:
        row = await self._db.get(HomeSafeRow, home_safe_id, populate_existing=True)
        return _home(row) if row else None

    async def home_safe_list(self, session_id: int) -> list[HomeSafe]:
        rows = await self._db.scalars(
            select(HomeSafeRow)
            .where(HomeSafeRow.session_id == session_id)
            .order_by(HomeSafeRow.id)
            .execution_options(populate_existing=True)
        )
        return [_home(r) for r in rows]

    async def mark_home_safe(self, home_safe_id: int, *, at: dtm.datetime) -> bool:
        return _done(
            await self._db.execute(
                update(HomeSafeRow)
                .where(HomeSafeRow.id == home_safe_id, HomeSafeRow.safe_at.is_(None))
                .values(safe_at=at)
            )
        )

    async def link_home_safe(self, home_safe_id: int, escalation_id: int) -> None:
        await self._db.execute(
            update(HomeSafeRow)
            .where(HomeSafeRow.id == home_safe_id)
            .values(escalation_id=escalation_id)
        )

    # --- locations ---------------------------------------------------------------------

    async def put_location(
        self,
        session_id: int,
        volunteer_id: int,
        *,
        latitude: float,
        longitude: float,
        at: dtm.datetime,
    ) -> None:
        changed = await self._db.execute(
            update(LocationRow)
            .where(LocationRow.session_id == session_id, LocationRow.volunteer_id == volunteer_id)
            .values(latitude=latitude, longitude=longitude, at=at)
        )
        if not _done(changed):
            await self._db.execute(
                insert(LocationRow).values(
                    session_id=session_id,
                    volunteer_id=volunteer_id,
                    latitude=latitude,
                    longitude=longitude,
                    at=at,
                )
            )

    async def locations_of(
        self, session_id: int, volunteer_ids: Sequence[int]
    ) -> dict[int, Location]:
        if not volunteer_ids:
            return {}
        rows = await self._db.scalars(
            select(LocationRow).where(
                LocationRow.session_id == session_id,
                LocationRow.volunteer_id.in_(volunteer_ids),
            )
        )
        return {
            r.volunteer_id: Location(r.volunteer_id, r.latitude, r.longitude, r.at) for r in rows
        }

    async def drop_locations(self, session_id: int) -> None:
        await self._db.execute(delete(LocationRow).where(LocationRow.session_id == session_id))

    # --- the log -----------------------------------------------------------------------

    async def log(
        self,
        session_id: int,
        event: str,
        *,
        at: dtm.datetime,
        detail: str = "",
        pair_id: int | None = None,
        volunteer_id: int | None = None,
        escalation_id: int | None = None,
    ) -> None:
        await self._db.execute(
            insert(SafetyLogRow).values(
                session_id=session_id,
                at=at,
                event=event,
                detail=detail[:400],
                pair_id=pair_id,
                volunteer_id=volunteer_id,
                escalation_id=escalation_id,
            )
        )

    async def log_many(self, entries: Sequence[NewLogEntry]) -> None:
        if entries:
            await self._db.execute(
                insert(SafetyLogRow),
                [
                    {
                        "session_id": e.session_id,
                        "at": e.at,
                        "event": e.event,
                        "detail": e.detail[:400],
                        "pair_id": e.pair_id,
                        "volunteer_id": e.volunteer_id,
                        "escalation_id": e.escalation_id,
                    }
                    for e in entries
                ],
            )

    async def log_for(self, session_id: int) -> list[LogEntry]:
        rows = await self._db.scalars(
            select(SafetyLogRow)
            .where(SafetyLogRow.session_id == session_id)
            .order_by(SafetyLogRow.at, SafetyLogRow.id)
        )
        return [
            LogEntry(
                id=r.id,
                session_id=r.session_id,
                at=r.at,
                event=r.event,
                detail=r.detail,
                pair_id=r.pair_id,
                volunteer_id=r.volunteer_id,
                escalation_id=r.escalation_id,
            )
            for r in rows
        ]

    # --- once-per-session milestones ----------------------------------------------------

    async def claim_milestone(self, session_id: int, milestone: str, *, at: dtm.datetime) -> bool:
        """Claim a once-per-session event; True for exactly one caller, ever."""
        bind = self._db.get_bind()
        insert_for = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
        result = await self._db.execute(
            insert_for(MilestoneRow)
            .values(session_id=session_id, milestone=milestone, done_at=at)
            .on_conflict_do_nothing(index_elements=["session_id", "milestone"])
        )
        return _done(result)

    async def milestones(self, session_id: int) -> set[str]:
        """The once-per-session events already done."""
        rows = await self._db.scalars(
            select(MilestoneRow.milestone).where(MilestoneRow.session_id == session_id)
        )
        return set(rows)
