"""Bulk seeding for benchmarks: a night of many walking pairs, written in a few statements.

The services write a 1,000-pair walk one row at a time (a minute on SQLite); a benchmark
that measures what the bot does next cannot wait for that. These helpers write the SAME rows
the use cases write (tests/integration/test_seeding.py seeds a small night both ways, on
SQLite and PostgreSQL, and compares every table), through the repositories' own bulk methods
where there is one (pairs, timers, safety log, outbox), so a change of schema or of a notice's
payload shows up as a failing test here, not as a benchmark quietly measuring something else.

What they mirror, and must be kept in step with:
- `add_volunteers`: SqlVolunteers.add; `add_signups`: SqlSignUps.claim_place + add.
- `start_walk`: rota.safety.walks._start_walk for a roster that pairs without problems.
- `fire_checkin_timers`: rota.safety.timers._checkin_timer for PROMPT and REMIND timers.
- `mark_outbox_sent`: the dispatcher's claim, then delivery.record_outcome(Sent(...)).
"""

from __future__ import annotations

import contextlib
import datetime as dtm
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from rota.kernel.outbox import DeliveryState, Notice
from rota.kernel.template import CheckInPlan
from rota.people.model import VolunteerStatus
from rota.roster.model import SignUpStatus
from rota.safety.checkin_plan import due_times, effective_plan
from rota.safety.model import CheckInState, NewLogEntry, NewTimer, Pair, TimerKind, WalkState
from rota.safety.notices import CheckInPrompt, CheckInReminder, WalkStarted
from rota.safety.pairing import make_pairs, walker_from_tags
from rota.storage.repositories import SqlOutbox, SqlSessions, SqlSignUps
from rota.storage.safety_repository import SqlSafety
from rota.storage.tables import (
    BriefingRow,
    CheckInRow,
    MilestoneRow,
    OutboxRow,
    RoleRow,
    SignUpRow,
    TimerRow,
    VolunteerRow,
)

CHECKIN_REF = "checkin"  # rota.safety.checkins.CHECKIN_REF: what a prompt row refers to
CHUNK = 500  # ids per IN (...) list, well inside every driver's parameter limit
CHECKIN_CHUNK = 2000  # check-in rows per INSERT ... RETURNING


@dataclass(frozen=True, slots=True)
class NewPerson:
    """Someone to register: their Telegram id, display name and tags."""

    telegram_id: int
    name: str
    tags: frozenset[str]


@contextlib.asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """One database transaction for a seeding step: committed if the block ends normally."""
    async with AsyncSession(engine, expire_on_commit=False) as db_session, db_session.begin():
        yield db_session


async def add_volunteers(
    db_session: AsyncSession, people: Sequence[NewPerson], *, now: dtm.datetime
) -> dict[int, int]:
    """Register active volunteers as SqlVolunteers.add does; Telegram id -> volunteer id."""
    if not people:
        return {}
    result = await db_session.execute(
        insert(VolunteerRow).returning(
            VolunteerRow.telegram_id, VolunteerRow.id, sort_by_parameter_order=True
        ),
        [
            {
                "telegram_id": p.telegram_id,
                "display_name": p.name,
                "username": None,
                "phone": None,
                "tags": ",".join(sorted(p.tags)),
                "status": VolunteerStatus.ACTIVE.value,
                "joined_at": now,
            }
            for p in people
        ],
    )
    return {t: volunteer_id for t, volunteer_id in result.all() if t is not None}


async def add_signups(
    db_session: AsyncSession,
    session_id: int,
    places: Sequence[tuple[int, int]],
    *,
    now: dtm.datetime,
) -> None:
    """Confirmed places, (volunteer id, role id) in sign-up order, each role's count taken.

    Like claim_place, a role never holds more than its capacity: too many raises ValueError
    (and, inside `transaction`, writes nothing).
    """
    if not places:
        return
    await db_session.execute(
        insert(SignUpRow),
        [
            {
                "session_id": session_id,
                "role_id": role_id,
                "volunteer_id": volunteer_id,
                "status": SignUpStatus.CONFIRMED.value,
                "created_at": now,
                "updated_at": now,
            }
            for volunteer_id, role_id in places
        ],
    )
    taken: dict[int, int] = {}
    for _volunteer_id, role_id in places:
        taken[role_id] = taken.get(role_id, 0) + 1
    for role_id, count in taken.items():
        result = await db_session.execute(
            update(RoleRow)
            .where(RoleRow.id == role_id, RoleRow.filled + count <= RoleRow.capacity)
            .values(filled=RoleRow.filled + count)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ValueError(f"role {role_id} has no room for {count} more")


async def add_briefings(
    db_session: AsyncSession,
    session_id: int,
    volunteer_ids: Iterable[int],
    *,
    sent_at: dtm.datetime,
    read_at: dtm.datetime | None,
) -> None:
    """Briefings sent (and read, unless `read_at` is None) to these people for the session."""
    rows = [
        {
            "session_id": session_id,
            "volunteer_id": volunteer_id,
            "sent_at": sent_at,
            "read_at": read_at,
            "notes_version": 0,
        }
        for volunteer_id in volunteer_ids
    ]
    if rows:
        await db_session.execute(insert(BriefingRow), rows)


async def claim_milestones(
    db_session: AsyncSession, session_id: int, milestones: Iterable[str], *, at: dtm.datetime
) -> None:
    """Once-per-session rounds recorded as done, as claim_milestone records them."""
    rows = [{"session_id": session_id, "milestone": m, "done_at": at} for m in milestones]
    if rows:
        await db_session.execute(insert(MilestoneRow), rows)


async def start_walk(
    db_session: AsyncSession, session_id: int, *, plan: CheckInPlan, now: dtm.datetime
) -> list[Pair]:
    """Start the session's walk at `now` as walks._start_walk does; returns the pairs.

    `plan` is the template's check-in plan (the session's own overrides are applied here).
    Pairing is the real make_pairs on the real roster; a roster with pairing problems
    (someone alone, a new walker with no trained partner) is refused, because the
    coordinators' notice about it is the service's to write.
    """
    safety = SqlSafety(db_session)
    session = await SqlSessions(db_session).get(session_id)
    if session is None:
        raise ValueError(f"no session {session_id}")
    if not await safety.set_walk_state(
        session_id, expected=[WalkState.PLANNED.value], new=WalkState.WALKING.value
    ):
        raise ValueError(f"the walk of session {session_id} is not waiting to start")
    plan = effective_plan(plan, session.checkin_plan)
    roster = await SqlSignUps(db_session).roster([session_id])
    walkers = [
        walker_from_tags(e.volunteer.id, e.volunteer.display_name, e.volunteer.tags)
        for e in roster
        if e.role.pairs and e.signup.status is SignUpStatus.CONFIRMED
    ]
    pairing = make_pairs(walkers)
    if pairing.problems:
        raise ValueError(f"pairing problems, start this walk with the service: {pairing.problems}")
    groups = [[w.volunteer_id for w in group] for group in pairing.groups]
    await safety.replace_pairs(session_id, groups, manual=False, now=now)
    pairs = await safety.pairs(session_id)
    log = [
        NewLogEntry(session_id, "pairs_made", now, "; ".join(p.names for p in pairs) or "no pairs")
    ]
    dues = [d for d in due_times(session.starts_at, session.ends_at, plan.interval) if d > now]
    checkin_ids = await _add_checkins(db_session, session_id, [p.id for p in pairs], dues)
    await safety.add_new_timers(
        [
            NewTimer(kind, checkin_id, session_id, due + offset)
            for checkin_id, due in zip(checkin_ids, dues * len(pairs), strict=True)
            for kind, offset in (
                (TimerKind.PROMPT, dtm.timedelta(0)),
                (TimerKind.REMIND, plan.grace),
                (TimerKind.ESCALATE, plan.escalate_after),
            )
        ]
    )
    notices = [
        Notice(
            chat_id=member.telegram_id,
            payload=WalkStarted(
                partners=tuple(
                    m.name for m in pair.members if m.volunteer_id != member.volunteer_id
                ),
                count=len(dues),
                interval=int(plan.interval.total_seconds()),
                first_due=dues[0] if dues else None,
            ),
            dedupe_key=f"walk_started:{session_id}:{member.volunteer_id}",
        )
        for pair in pairs
        for member in pair.members
        if member.telegram_id is not None
    ]
    await SqlOutbox(db_session).add_many(notices, now=now)
    log.append(
        NewLogEntry(
            session_id, "walk_started", now, f"{len(pairs)} pair(s), {len(dues)} check-ins"
        )
    )
    await safety.log_many(log)
    return pairs


async def _add_checkins(
    db_session: AsyncSession,
    session_id: int,
    pair_ids: Sequence[int],
    dues: Sequence[dtm.datetime],
) -> list[int]:
    """Each pair's check-ins, pair by pair and in order, as add_checkins writes them."""
    rows = [
        {
            "session_id": session_id,
            "pair_id": pair_id,
            "seq": seq,
            "total": len(dues),
            "due_at": due,
            "state": CheckInState.OPEN.value,
        }
        for pair_id in pair_ids
        for seq, due in enumerate(dues, start=1)
    ]
    ids: list[int] = []
    for start in range(0, len(rows), CHECKIN_CHUNK):
        result = await db_session.execute(
            insert(CheckInRow).returning(CheckInRow.id, sort_by_parameter_order=True),
            rows[start : start + CHECKIN_CHUNK],
        )
        ids += result.scalars().all()
    return ids


async def fire_checkin_timers(
    db_session: AsyncSession, kind: TimerKind, checkin_ids: Sequence[int], *, now: dtm.datetime
) -> None:
    """What the safety sweep does at `now` for these check-ins' PROMPT or REMIND timers.

    Each pair is asked (or reminded) in the outbox and the safety log, and the timers are
    marked done. Only open check-ins with their timer still pending are fired.
    """
    if kind not in (TimerKind.PROMPT, TimerKind.REMIND):
        raise ValueError(f"only PROMPT and REMIND timers are fired in bulk, not {kind}")
    safety = SqlSafety(db_session)
    pending: list[int] = []
    for chunk in _chunks(checkin_ids, CHUNK):
        pending += await db_session.scalars(
            select(TimerRow.ref_id)
            .join(CheckInRow, CheckInRow.id == TimerRow.ref_id)
            .where(
                TimerRow.kind == kind.value,
                TimerRow.ref_id.in_(chunk),
                TimerRow.state == "pending",
                CheckInRow.state == CheckInState.OPEN.value,
            )
            .order_by(TimerRow.id)
        )
    checkins = await safety.checkins_by_ids(pending)
    pairs = await safety.pairs_by_ids(list({c.pair_id for c in checkins.values()}))
    payload = CheckInPrompt if kind is TimerKind.PROMPT else CheckInReminder
    notices: list[Notice] = []
    log: list[NewLogEntry] = []
    for checkin_id in pending:
        checkin = checkins[checkin_id]
        pair = pairs[checkin.pair_id]
        for member in pair.members:
            if member.telegram_id is None:
                continue
            notices.append(
                Notice(
                    chat_id=member.telegram_id,
                    payload=payload(
                        checkin_id=checkin.id,
                        seq=checkin.seq,
                        total=checkin.total,
                        due_at=checkin.due_at,
                        partners=tuple(
                            m.name for m in pair.members if m.volunteer_id != member.volunteer_id
                        ),
                    ),
                    dedupe_key=f"{payload.KIND}:{checkin.id}:{member.volunteer_id}",
                    ref_kind=CHECKIN_REF,
                    ref_id=checkin.id,
                )
            )
        log.append(
            NewLogEntry(
                checkin.session_id,
                "prompt" if kind is TimerKind.PROMPT else "reminder",
                now,
                f"check-in {checkin.seq}/{checkin.total} to {pair.names}",
                pair_id=pair.id,
            )
        )
    await SqlOutbox(db_session).add_many(notices, now=now)
    await safety.log_many(log)
    for chunk in _chunks(pending, CHUNK):
        await db_session.execute(
            update(TimerRow)
            .where(
                TimerRow.kind == kind.value,
                TimerRow.ref_id.in_(chunk),
                TimerRow.state == "pending",
            )
            .values(state="done", fired_at=now, locked_until=None)
        )


async def mark_outbox_sent(db_session: AsyncSession, *, now: dtm.datetime) -> int:
    """Every pending outbox row claimed once and sent at `now`; returns how many.

    The message ids are made up (900,000,000 + the row id): fine for rows nobody edits later
    (a walk's start, the prompts of a pair that never answers). Payloads are kept, so this is
    for the walk's own notices, not for kinds scrubbed once sent.
    """
    ids = list(
        await db_session.scalars(
            select(OutboxRow.id)
            .where(OutboxRow.state == DeliveryState.PENDING.value)
            .order_by(OutboxRow.id)
        )
    )
    for chunk in _chunks(ids, CHUNK):
        await db_session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(chunk))
            .values(
                state=DeliveryState.SENT.value,
                sent_at=now,
                locked_until=None,
                attempts=OutboxRow.attempts + 1,
                message_id=900_000_000 + OutboxRow.id,
            )
        )
    return len(ids)


def _chunks(values: Sequence[int], size: int) -> list[Sequence[int]]:
    return [values[i : i + size] for i in range(0, len(values), size)]
