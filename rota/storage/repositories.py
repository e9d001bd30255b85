"""Rows in, plain domain values out: no ORM object leaves this module."""

from __future__ import annotations

import datetime as dtm
import json
from collections.abc import Collection, Sequence

from sqlalchemy import and_, case, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from rota.kernel import notice_codec as codec
from rota.kernel.errors import AlreadySignedUp
from rota.kernel.outbox import (
    LEASE_EXPIRED,
    DeliveryState,
    EditTarget,
    Notice,
    OutboxItem,
    Priority,
    SentMessage,
)
from rota.kernel.template import RoleSpec
from rota.people.model import Invite, Volunteer, VolunteerStatus
from rota.roster.model import (
    Role,
    RosterEntry,
    Session,
    SessionStatus,
    SignUp,
    SignUpStatus,
    TeamPost,
)
from rota.roster.refusals import RosterRefusal
from rota.storage.tables import (
    InviteRow,
    OutboxRow,
    RoleRow,
    SessionRow,
    SignUpRow,
    TeamChatRow,
    TeamPostRow,
    VolunteerRow,
)

ACTIVE = (SignUpStatus.CONFIRMED.value, SignUpStatus.WAITLISTED.value)


def _tags_in(text: str) -> frozenset[str]:
    return frozenset(t for t in text.split(",") if t)


def _tags_out(tags: frozenset[str]) -> str:
    return ",".join(sorted(tags))


def _volunteer(row: VolunteerRow) -> Volunteer:
    return Volunteer(
        id=row.id,
        telegram_id=row.telegram_id,
        display_name=row.display_name,
        username=row.username,
        phone=row.phone,
        tags=_tags_in(row.tags),
        status=VolunteerStatus(row.status),
        joined_at=row.joined_at,
    )


def _invite(row: InviteRow) -> Invite:
    return Invite(
        id=row.id,
        code=row.code,
        tags=_tags_in(row.tags),
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        used_by=row.used_by,
    )


def _session(row: SessionRow) -> Session:
    return Session(
        id=row.id,
        template_key=row.template_key,
        local_date=row.local_date,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        meeting_point=row.meeting_point,
        note=row.note,
        status=SessionStatus(row.status),
        walk_state=row.walk_state,
        checkin_plan=row.checkin_plan,
    )


def _role(row: RoleRow) -> Role:
    return Role(
        id=row.id,
        session_id=row.session_id,
        key=row.key,
        label=row.label,
        capacity=row.capacity,
        minimum=row.minimum,
        pairs=row.pairs,
        requires=_tags_in(row.requires),
        filled=row.filled,
        position=row.position,
    )


def _signup(row: SignUpRow) -> SignUp:
    return SignUp(
        id=row.id,
        session_id=row.session_id,
        role_id=row.role_id,
        volunteer_id=row.volunteer_id,
        status=SignUpStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _role_rows(session_id: int, roles: Sequence[RoleSpec]) -> list[RoleRow]:
    return [
        RoleRow(
            session_id=session_id,
            key=spec.key,
            label=spec.label,
            capacity=spec.capacity,
            minimum=spec.minimum,
            pairs=spec.pairs,
            requires=_tags_out(spec.requires),
            filled=0,
            position=position,
        )
        for position, spec in enumerate(roles)
    ]


class SqlVolunteers:
    """Volunteers in SQL."""

    def __init__(self, db_session: AsyncSession) -> None:
        self._db = db_session

    async def get(self, volunteer_id: int) -> Volunteer | None:
        row = await self._db.get(VolunteerRow, volunteer_id)
        return _volunteer(row) if row else None

    async def by_telegram_id(self, telegram_id: int) -> Volunteer | None:
        row = await self._db.scalar(
            select(VolunteerRow).where(VolunteerRow.telegram_id == telegram_id)
        )
        return _volunteer(row) if row else None

    async def add(
        self,
        *,
        telegram_id: int,
        display_name: str,
        username: str | None,
        tags: frozenset[str],
        now: dtm.datetime,
    ) -> Volunteer:
        row = VolunteerRow(
            telegram_id=telegram_id,
            display_name=display_name,
            username=username,
            phone=None,
            tags=_tags_out(tags),
            status=VolunteerStatus.ACTIVE.value,
            joined_at=now,
        )
        self._db.add(row)
        await self._db.flush()
        return _volunteer(row)

    async def save(self, volunteer: Volunteer) -> None:
        await self._db.execute(
            update(VolunteerRow)
            .where(VolunteerRow.id == volunteer.id)
            .values(
                telegram_id=volunteer.telegram_id,
                display_name=volunteer.display_name,
                username=volunteer.username,
                phone=volunteer.phone,
                tags=_tags_out(volunteer.tags),
                status=volunteer.status.value,
            )
        )

    async def active(self) -> list[Volunteer]:
        rows = await self._db.scalars(
            select(VolunteerRow)
            .where(VolunteerRow.status == VolunteerStatus.ACTIVE.value)
            .order_by(func.lower(VolunteerRow.display_name), VolunteerRow.id)
        )
        return [_volunteer(r) for r in rows]

    async def with_tag(self, tag: str) -> list[Volunteer]:
        # LIKE narrows the rows the database returns (every alarm asks for the coordinators;
        # reading all volunteers each time grew with the team); the exact match is below.
        rows = await self._db.scalars(
            select(VolunteerRow)
            .where(
                VolunteerRow.status == VolunteerStatus.ACTIVE.value,
                VolunteerRow.tags.contains(tag, autoescape=True),
            )
            .order_by(func.lower(VolunteerRow.display_name), VolunteerRow.id)
        )
        return [v for v in map(_volunteer, rows) if tag in v.tags]

    async def many(self, ids: Sequence[int]) -> dict[int, Volunteer]:
        if not ids:
            return {}
        rows = await self._db.scalars(select(VolunteerRow).where(VolunteerRow.id.in_(ids)))
        return {r.id: _volunteer(r) for r in rows}


class SqlInvites:
    """Invite codes in SQL."""

    def __init__(self, db_session: AsyncSession) -> None:
        self._db = db_session

    async def add(
        self,
        *,
        code: str,
        tags: frozenset[str],
        created_by: int | None,
        now: dtm.datetime,
        expires_at: dtm.datetime,
    ) -> Invite:
        row = InviteRow(
            code=code,
            tags=_tags_out(tags),
            created_by=created_by,
            created_at=now,
            expires_at=expires_at,
        )
        self._db.add(row)
        await self._db.flush()
        return _invite(row)

    async def by_code(self, code: str) -> Invite | None:
        row = await self._db.scalar(select(InviteRow).where(InviteRow.code == code))
        return _invite(row) if row else None

    async def mark_used(self, invite_id: int, volunteer_id: int, now: dtm.datetime) -> bool:
        result = await self._db.execute(
            update(InviteRow)
            .where(InviteRow.id == invite_id, InviteRow.used_at.is_(None))
            .values(used_at=now, used_by=volunteer_id)
        )
        return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


class SqlSessions:
    """Sessions and roles in SQL."""

    def __init__(self, db_session: AsyncSession) -> None:
        self._db = db_session

    async def get(self, session_id: int) -> Session | None:
        row = await self._db.get(SessionRow, session_id)
        return _session(row) if row else None

    async def many(self, session_ids: Sequence[int]) -> dict[int, Session]:
        if not session_ids:
            return {}
        rows = await self._db.scalars(select(SessionRow).where(SessionRow.id.in_(session_ids)))
        return {r.id: _session(r) for r in rows}

    async def on_date(self, day: dtm.date) -> list[Session]:
        rows = await self._db.scalars(
            select(SessionRow).where(SessionRow.local_date == day).order_by(SessionRow.starts_at)
        )
        return [_session(r) for r in rows]

    async def upcoming(self, now: dtm.datetime, limit: int) -> list[Session]:
        rows = await self._db.scalars(
            select(SessionRow)
            .where(
                SessionRow.starts_at > now,
                SessionRow.status == SessionStatus.SCHEDULED.value,
            )
            .order_by(SessionRow.starts_at, SessionRow.id)
            .limit(limit)
        )
        return [_session(r) for r in rows]

    async def template_sessions_after(self, now: dtm.datetime) -> list[Session]:
        rows = await self._db.scalars(
            select(SessionRow)
            .where(SessionRow.starts_at > now, SessionRow.template_key.is_not(None))
            .order_by(SessionRow.starts_at)
        )
        return [_session(r) for r in rows]

    async def add(
        self,
        *,
        template_key: str | None,
        local_date: dtm.date,
        starts_at: dtm.datetime,
        ends_at: dtm.datetime,
        meeting_point: str,
        note: str,
        roles: Sequence[RoleSpec],
        now: dtm.datetime,
    ) -> Session:
        row = SessionRow(
            template_key=template_key,
            local_date=local_date,
            starts_at=starts_at,
            ends_at=ends_at,
            meeting_point=meeting_point,
            note=note,
            status=SessionStatus.SCHEDULED.value,
            created_at=now,
        )
        self._db.add(row)
        await self._db.flush()
        self._db.add_all(_role_rows(row.id, roles))
        await self._db.flush()
        return _session(row)

    async def replan(
        self,
        session_id: int,
        *,
        starts_at: dtm.datetime,
        ends_at: dtm.datetime,
        meeting_point: str,
        roles: Sequence[RoleSpec],
    ) -> None:
        await self._db.execute(
            update(SessionRow)
            .where(SessionRow.id == session_id)
            .values(starts_at=starts_at, ends_at=ends_at, meeting_point=meeting_point)
        )
        await self._db.execute(delete(RoleRow).where(RoleRow.session_id == session_id))
        self._db.add_all(_role_rows(session_id, roles))
        await self._db.flush()

    async def delete(self, session_id: int) -> None:
        await self._db.execute(delete(SignUpRow).where(SignUpRow.session_id == session_id))
        await self._db.execute(delete(RoleRow).where(RoleRow.session_id == session_id))
        await self._db.execute(delete(SessionRow).where(SessionRow.id == session_id))

    async def set_status(
        self, session_id: int, *, expected: SessionStatus, new: SessionStatus
    ) -> bool:
        result = await self._db.execute(
            update(SessionRow)
            .where(SessionRow.id == session_id, SessionRow.status == expected.value)
            .values(status=new.value)
        )
        return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    async def roles(self, session_ids: Sequence[int]) -> list[Role]:
        if not session_ids:
            return []
        rows = await self._db.scalars(
            select(RoleRow)
            .where(RoleRow.session_id.in_(session_ids))
            .order_by(RoleRow.session_id, RoleRow.position)
            .execution_options(populate_existing=True)
        )
        return [_role(r) for r in rows]

    async def role(self, role_id: int) -> Role | None:
        row = await self._db.get(RoleRow, role_id, populate_existing=True)
        return _role(row) if row else None

    async def signup_counts(self, session_ids: Sequence[int]) -> dict[int, int]:
        if not session_ids:
            return {}
        rows = await self._db.execute(
            select(SignUpRow.session_id, func.count())
            .where(SignUpRow.session_id.in_(session_ids), SignUpRow.status.in_(ACTIVE))
            .group_by(SignUpRow.session_id)
        )
        return {session_id: count for session_id, count in rows}


class SqlSignUps:
    """Sign-ups in SQL; capacity is a guarded counter on the role row."""

    def __init__(self, db_session: AsyncSession) -> None:
        self._db = db_session

    async def get(self, signup_id: int) -> SignUp | None:
        row = await self._db.get(SignUpRow, signup_id, populate_existing=True)
        return _signup(row) if row else None

    async def active_for(self, session_id: int, volunteer_id: int) -> SignUp | None:
        row = await self._db.scalar(
            select(SignUpRow).where(
                SignUpRow.session_id == session_id,
                SignUpRow.volunteer_id == volunteer_id,
                SignUpRow.status.in_(ACTIVE),
            )
        )
        return _signup(row) if row else None

    async def claim_place(self, role_id: int) -> bool:
        # Compare-and-set: only one of two racing transactions can take the last place,
        # on SQLite (writers serialised) and PostgreSQL (row lock, WHERE re-checked).
        result = await self._db.execute(
            update(RoleRow)
            .where(RoleRow.id == role_id, RoleRow.filled < RoleRow.capacity)
            .values(filled=RoleRow.filled + 1)
        )
        return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    async def release_place(self, role_id: int) -> None:
        await self._db.execute(
            update(RoleRow)
            .where(RoleRow.id == role_id, RoleRow.filled > 0)
            .values(filled=RoleRow.filled - 1)
        )

    async def add(
        self,
        *,
        session_id: int,
        role_id: int,
        volunteer_id: int,
        status: SignUpStatus,
        now: dtm.datetime,
    ) -> SignUp:
        try:
            result = await self._db.execute(
                insert(SignUpRow)
                .values(
                    session_id=session_id,
                    role_id=role_id,
                    volunteer_id=volunteer_id,
                    status=status.value,
                    created_at=now,
                    updated_at=now,
                )
                .returning(SignUpRow.id)
            )
        except IntegrityError as err:
            raise AlreadySignedUp(RosterRefusal.ALREADY_HAS_PLACE) from err
        return SignUp(
            id=result.scalar_one(),
            session_id=session_id,
            role_id=role_id,
            volunteer_id=volunteer_id,
            status=status,
            created_at=now,
            updated_at=now,
        )

    async def move(
        self, signup_id: int, *, expected: SignUpStatus, new: SignUpStatus, now: dtm.datetime
    ) -> bool:
        result = await self._db.execute(
            update(SignUpRow)
            .where(SignUpRow.id == signup_id, SignUpRow.status == expected.value)
            .values(status=new.value, updated_at=now)
        )
        return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    async def _entries(self, *where: object, order_by_start: bool = False) -> list[RosterEntry]:
        query = (
            select(SignUpRow, VolunteerRow, RoleRow)
            .join(VolunteerRow, VolunteerRow.id == SignUpRow.volunteer_id)
            .join(RoleRow, RoleRow.id == SignUpRow.role_id)
            .where(*where)  # type: ignore[arg-type]
        )
        if order_by_start:
            query = query.join(SessionRow, SessionRow.id == SignUpRow.session_id).order_by(
                SessionRow.starts_at, SignUpRow.id
            )
        else:
            query = query.order_by(SignUpRow.created_at, SignUpRow.id)
        rows = await self._db.execute(query)
        return [
            RosterEntry(signup=_signup(s), volunteer=_volunteer(v), role=_role(r))
            for s, v, r in rows
        ]

    async def waitlist(self, role_id: int) -> list[RosterEntry]:
        return await self._entries(
            SignUpRow.role_id == role_id, SignUpRow.status == SignUpStatus.WAITLISTED.value
        )

    async def roster(self, session_ids: Sequence[int]) -> list[RosterEntry]:
        if not session_ids:
            return []
        return await self._entries(
            SignUpRow.session_id.in_(session_ids), SignUpRow.status.in_(ACTIVE)
        )

    async def in_role(self, session_id: int, role_key: str) -> list[RosterEntry]:
        """Confirmed people in one role of one session (the on-call, the lead): a few rows."""
        return await self._entries(
            SignUpRow.session_id == session_id,
            RoleRow.key == role_key,
            SignUpRow.status == SignUpStatus.CONFIRMED.value,
        )

    async def mine(self, volunteer_id: int, session_ids: Sequence[int]) -> list[SignUp]:
        if not session_ids:
            return []
        rows = await self._db.scalars(
            select(SignUpRow).where(
                SignUpRow.volunteer_id == volunteer_id,
                SignUpRow.session_id.in_(session_ids),
                SignUpRow.status.in_(ACTIVE),
            )
        )
        return [_signup(r) for r in rows]

    async def upcoming_for(self, volunteer_id: int, now: dtm.datetime) -> list[RosterEntry]:
        return await self._entries(
            SignUpRow.volunteer_id == volunteer_id,
            SignUpRow.status.in_(ACTIVE),
            SessionRow.starts_at > now,
            SessionRow.status == SessionStatus.SCHEDULED.value,
            order_by_start=True,
        )


class SqlOutbox:
    """The outbox in SQL; claims are one guarded UPDATE so two dispatchers never share a row."""

    def __init__(self, db_session: AsyncSession) -> None:
        self._db = db_session
        self.added = False  # rows were added in this transaction: ring the dispatcher on commit

    async def add(self, notice: Notice, *, now: dtm.datetime, due_at: dtm.datetime | None) -> None:
        await self.add_many([notice], now=now, due_at=due_at)

    async def add_many(
        self, notices: Sequence[Notice], *, now: dtm.datetime, due_at: dtm.datetime | None = None
    ) -> None:
        # INSERT ... ON CONFLICT DO NOTHING: two workers recording the same notice at the same
        # moment leave one row and no error (a read-then-insert would race). Many notices go
        # in one statement (a hundred alarms at once cost one round trip, not a hundred).
        if not notices:
            return
        self.added = True
        bind = self._db.get_bind()
        insert_for = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
        statement = insert_for(OutboxRow).on_conflict_do_nothing(index_elements=["dedupe_key"])
        await self._db.execute(
            statement,
            [
                {
                    "kind": notice.kind,
                    "chat_id": notice.chat_id,
                    "payload": json.dumps(codec.encode(notice.payload), sort_keys=True),
                    "dedupe_key": notice.dedupe_key,
                    "priority": int(notice.urgency),
                    "ref_kind": notice.ref_kind,
                    "ref_id": notice.ref_id,
                    "edit_of": notice.edit_of,
                    "state": DeliveryState.PENDING.value,
                    "due_at": due_at or now,
                    "attempts": 0,
                    "created_at": now,
                }
                for notice in notices
            ],
        )

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
    ) -> list[OutboxItem]:
        due = or_(
            and_(OutboxRow.state == DeliveryState.PENDING.value, OutboxRow.due_at <= now),
            and_(OutboxRow.state == DeliveryState.SENDING.value, OutboxRow.locked_until <= now),
        )
        if chat_id is not None:
            due = and_(due, OutboxRow.chat_id == chat_id)
        if kinds is not None:
            due = and_(due, OutboxRow.kind.in_(kinds), OutboxRow.edit_of.is_(None))
        if max_priority is not None:
            due = and_(due, OutboxRow.priority <= max_priority)
        if exclude:  # rows this worker is still sending: their lease running out means nothing
            due = and_(due, OutboxRow.id.not_in(list(exclude)))
        await self._drop_superseded_edits()
        # When a row first fell due: a retry's backoff moves due_at later, but must not let
        # a younger row (step 2 of an alarm) overtake an older one (step 1) to the same chat.
        # Rows are added due at once (created_at) or, in tests, already overdue (due_at).
        first_due = case(
            (OutboxRow.due_at < OutboxRow.created_at, OutboxRow.due_at),
            else_=OutboxRow.created_at,
        )
        candidates = (
            select(OutboxRow.id)
            .where(due)
            .order_by(OutboxRow.priority, first_due, OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            # MATERIALIZED: PostgreSQL must pick the rows once; as a plain IN subquery it may
            # re-run the LIMIT per row and lease every due row to one worker.
            .cte("due_rows")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        result = await self._db.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(select(candidates.c.id)), due)
            .values(
                state=DeliveryState.SENDING.value,
                locked_until=now + lease,
                attempts=OutboxRow.attempts + 1,
                # A lease that ran out: the worker died mid-send, so the outcome is unknown.
                last_error=case(
                    (OutboxRow.state == DeliveryState.SENDING.value, LEASE_EXPIRED),
                    else_=OutboxRow.last_error,
                ),
            )
            .returning(
                OutboxRow.id,
                OutboxRow.kind,
                OutboxRow.chat_id,
                OutboxRow.payload,
                OutboxRow.priority,
                OutboxRow.attempts,
                OutboxRow.due_at,
                OutboxRow.created_at,
                OutboxRow.last_error,
                OutboxRow.ref_kind,
                OutboxRow.ref_id,
                OutboxRow.edit_of,
            )
        )
        items = [
            OutboxItem(
                id=row.id,
                kind=row.kind,
                chat_id=row.chat_id,
                payload=json.loads(row.payload),
                priority=Priority.of(row.priority),
                attempts=row.attempts,
                due_at=row.due_at,
                created_at=row.created_at,
                last_error=row.last_error,
                ref_kind=row.ref_kind,
                ref_id=row.ref_id,
                edit_of=row.edit_of,
            )
            for row in result
        ]
        return sorted(items, key=lambda i: (i.priority, min(i.due_at, i.created_at), i.id))

    async def _drop_superseded_edits(self) -> None:
        """Cancel waiting edits of a message that a newer edit replaces.

        An edit rewrites the whole message, so only the newest counts; sent after it (an
        older edit put off while its original was on its way), an older one would show
        "dealing with it" over "resolved".
        """
        newer = aliased(OutboxRow)
        await self._db.execute(
            update(OutboxRow)
            .where(
                OutboxRow.state == DeliveryState.PENDING.value,
                OutboxRow.edit_of.is_not(None),
                select(newer.id)
                .where(
                    newer.edit_of == OutboxRow.edit_of,
                    newer.id > OutboxRow.id,
                    newer.state != DeliveryState.CANCELLED.value,
                )
                .exists(),
            )
            .values(state=DeliveryState.CANCELLED.value)
        )

    async def mark_sent(
        self, item_id: int, *, now: dtm.datetime, message_id: int | None, scrub: bool = False
    ) -> None:
        values: dict[str, object] = {
            "state": DeliveryState.SENT.value,
            "sent_at": now,
            "message_id": message_id,
            "locked_until": None,
        }
        if scrub:  # delivered: what it said is no longer ours to keep
            values["payload"] = "{}"
        await self._db.execute(update(OutboxRow).where(OutboxRow.id == item_id).values(**values))

    async def retry_at(self, item_id: int, *, due_at: dtm.datetime, error: str) -> None:
        await self._db.execute(
            update(OutboxRow)
            .where(OutboxRow.id == item_id)
            .values(
                state=DeliveryState.PENDING.value,
                due_at=due_at,
                locked_until=None,
                last_error=error[:400],
            )
        )

    async def give_up(self, item_id: int, *, unreachable: bool, error: str) -> None:
        state = DeliveryState.UNREACHABLE if unreachable else DeliveryState.FAILED
        await self._db.execute(
            update(OutboxRow)
            .where(OutboxRow.id == item_id)
            .values(state=state.value, locked_until=None, last_error=error[:400])
        )

    async def next_due(self) -> dtm.datetime | None:
        pending = await self._db.scalar(
            select(func.min(OutboxRow.due_at)).where(
                OutboxRow.state == DeliveryState.PENDING.value
            )
        )
        leased = await self._db.scalar(
            select(func.min(OutboxRow.locked_until)).where(
                OutboxRow.state == DeliveryState.SENDING.value
            )
        )
        times = [t for t in (pending, leased) if t is not None]
        return min(times) if times else None

    async def sent_for(
        self, ref_kind: str, ref_id: int, *, in_flight: bool = False
    ) -> list[SentMessage]:
        states = [DeliveryState.SENT.value]
        if in_flight:  # being sent right now: it may arrive any moment
            states.append(DeliveryState.SENDING.value)
        rows = await self._db.execute(
            select(OutboxRow.id, OutboxRow.kind, OutboxRow.chat_id, OutboxRow.message_id)
            .where(
                OutboxRow.ref_kind == ref_kind,
                OutboxRow.ref_id == ref_id,
                OutboxRow.state.in_(states),
                OutboxRow.edit_of.is_(None),
            )
            .order_by(OutboxRow.id)
        )
        return [SentMessage(i, k, c, m) for i, k, c, m in rows]

    async def edit_target(self, outbox_id: int) -> EditTarget:
        """One read of the row: where it was delivered, or whether it is still on its way."""
        row = (
            await self._db.execute(
                select(
                    OutboxRow.kind, OutboxRow.chat_id, OutboxRow.message_id, OutboxRow.state
                ).where(OutboxRow.id == outbox_id)
            )
        ).one_or_none()
        if row is None:
            return EditTarget(None, on_its_way=False)
        if row.state == DeliveryState.SENT.value:
            sent = SentMessage(outbox_id, row.kind, row.chat_id, row.message_id)
            return EditTarget(sent, on_its_way=False)
        in_flight = row.state in (DeliveryState.PENDING.value, DeliveryState.SENDING.value)
        return EditTarget(None, on_its_way=in_flight)

    async def queued_chats(self, ref_kind: str, ref_id: int, kinds: Sequence[str]) -> list[int]:
        """Chats that rows of these kinds are still on their way to (pending or being sent)."""
        rows = await self._db.scalars(
            select(OutboxRow.chat_id)
            .where(
                OutboxRow.ref_kind == ref_kind,
                OutboxRow.ref_id == ref_id,
                OutboxRow.kind.in_(kinds),
                OutboxRow.state.in_((DeliveryState.PENDING.value, DeliveryState.SENDING.value)),
                OutboxRow.edit_of.is_(None),
            )
            .distinct()
        )
        return sorted(rows)

    async def refs_in_message(self, ref_kind: str, chat_id: int, message_id: int) -> list[int]:
        """What one delivered message is about: a digest carries several rows' refs."""
        rows = await self._db.scalars(
            select(OutboxRow.ref_id)
            .where(
                OutboxRow.ref_kind == ref_kind,
                OutboxRow.chat_id == chat_id,
                OutboxRow.message_id == message_id,
                OutboxRow.state == DeliveryState.SENT.value,
                OutboxRow.ref_id.is_not(None),
            )
            .distinct()
        )
        return sorted(r for r in rows if r is not None)

    async def cancel_pending(self, ref_kind: str, ref_id: int, kinds: Sequence[str]) -> int:
        result = await self._db.execute(
            update(OutboxRow)
            .where(
                OutboxRow.ref_kind == ref_kind,
                OutboxRow.ref_id == ref_id,
                OutboxRow.kind.in_(kinds),
                OutboxRow.state == DeliveryState.PENDING.value,
            )
            .values(state=DeliveryState.CANCELLED.value)
        )
        return result.rowcount  # type: ignore[attr-defined,no-any-return]


class SqlTeamPosts:
    """Team-chat rota posts in SQL."""

    def __init__(self, db_session: AsyncSession) -> None:
        self._db = db_session

    async def put(self, *, chat_id: int, message_id: int, now: dtm.datetime) -> None:
        await self._db.execute(delete(TeamPostRow).where(TeamPostRow.chat_id == chat_id))
        self._db.add(
            TeamPostRow(chat_id=chat_id, message_id=message_id, posted_at=now, last_edit_at=now)
        )
        await self._db.flush()

    async def adopt_chat(self, chat_id: int, *, now: dtm.datetime) -> None:
        # Two coordinators posting at once: one row, no error.
        bind = self._db.get_bind()
        insert_for = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
        statement = insert_for(TeamChatRow).on_conflict_do_nothing(index_elements=["chat_id"])
        await self._db.execute(statement.values(chat_id=chat_id, adopted_at=now))

    async def is_team_chat(self, chat_id: int) -> bool:
        found = await self._db.scalar(
            select(TeamChatRow.chat_id).where(TeamChatRow.chat_id == chat_id)
        )
        return found is not None

    async def mark_dirty(self, now: dtm.datetime) -> None:
        # Every change moves the mark, even on a post already waiting for its edit: an edit
        # rendered before this change then sees a different mark in mark_edited and stays due.
        await self._db.execute(update(TeamPostRow).values(dirty_since=now))

    async def due_for_edit(self, *, now: dtm.datetime, min_gap: dtm.timedelta) -> list[TeamPost]:
        rows = await self._db.scalars(
            select(TeamPostRow).where(
                TeamPostRow.dirty_since.is_not(None),
                or_(TeamPostRow.last_edit_at.is_(None), TeamPostRow.last_edit_at <= now - min_gap),
            )
        )
        return [
            TeamPost(
                chat_id=r.chat_id,
                message_id=r.message_id,
                dirty_since=r.dirty_since,
                last_edit_at=r.last_edit_at,
            )
            for r in rows
        ]

    async def mark_edited(self, chat_id: int, *, seen: dtm.datetime, now: dtm.datetime) -> None:
        # Clear the flag only if no change arrived after we rendered; otherwise edit again.
        await self._db.execute(
            update(TeamPostRow)
            .where(TeamPostRow.chat_id == chat_id, TeamPostRow.dirty_since == seen)
            .values(dirty_since=None, last_edit_at=now)
        )
        await self._db.execute(
            update(TeamPostRow)
            .where(TeamPostRow.chat_id == chat_id, TeamPostRow.dirty_since != seen)
            .values(last_edit_at=now)
        )

    async def drop(self, chat_id: int) -> None:
        await self._db.execute(delete(TeamPostRow).where(TeamPostRow.chat_id == chat_id))
