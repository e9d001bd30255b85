"""/me and /me export in SQL: read-only queries for every row stored with one volunteer.

Each query selects the person's own columns only; a link to someone else (a partner, the
coordinator who took an alert, whoever covered) becomes a count or a yes/no here, so other
people's names and ids never leave the database on this path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from rota.kernel.outbox import DeliveryState
from rota.privacy.model import (
    MyAuthored,
    MyBriefing,
    MyCheckIn,
    MyCoverOffer,
    MyCoverRequest,
    MyDebrief,
    MyEscalation,
    MyHandledAlert,
    MyHomeSafe,
    MyInvite,
    MyLocation,
    MyLogEntry,
    MyMessage,
    MyPair,
    MyRecords,
    MyReminderAnswer,
    MySignUp,
)
from rota.roster.model import SessionStatus
from rota.storage.tables import (
    BriefingRow,
    CheckInRow,
    CoverOfferRow,
    CoverRequestRow,
    DebriefRow,
    EscalationRow,
    HomeSafeRow,
    InviteRow,
    LocationRow,
    OutboxRow,
    PairMemberRow,
    PairRow,
    ReminderAnswerRow,
    RoleRow,
    SafetyLogRow,
    SafetyNoteRow,
    SessionRow,
    SignUpRow,
)

OWED = (DeliveryState.PENDING.value, DeliveryState.SENDING.value)


def _tags(text: str) -> tuple[str, ...]:
    return tuple(sorted(t for t in text.split(",") if t))


def _answers(text: str) -> dict[str, int]:
    try:
        raw = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(raw, dict):
        return {}
    return {str(k): v for k, v in raw.items() if isinstance(v, int)}


def _names(name: str) -> re.Pattern[str] | None:
    """A pattern for the person's name as a whole word (not "Al" inside "Alert")."""
    return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)") if name.strip() else None


class SqlMyData:
    """Everything linked to one volunteer, read in one transaction."""

    def __init__(self, db_session: AsyncSession) -> None:
        self._db = db_session

    async def records(self, volunteer_id: int, *, chat_id: int | None, name: str) -> MyRecords:
        """Every row stored with this volunteer's id (and their chat's pending messages)."""
        sign_ups = await self._sign_ups(volunteer_id)
        pairs, pair_ids = await self._pairs(volunteer_id)
        escalations = await self._escalations(volunteer_id, pair_ids)
        session_ids = await self._session_ids(volunteer_id)
        return MyRecords(
            sign_ups=sign_ups,
            pairs=pairs,
            checkins_closed=await self._checkins(volunteer_id),
            home_safe=await self._home_safe(volunteer_id),
            briefings=await self._briefings(volunteer_id),
            reminder_answers=await self._reminders(volunteer_id),
            cover_requests=await self._cover_requests(volunteer_id),
            cover_offers=await self._cover_offers(volunteer_id),
            escalations=escalations,
            alerts_handled=await self._handled(volunteer_id),
            safety_log=await self._log(
                volunteer_id, pair_ids, {e.id for e in escalations}, session_ids, name
            ),
            locations=await self._locations(volunteer_id),
            messages_pending=await self._messages(chat_id),
            invite_used=await self._invites(InviteRow.used_by == volunteer_id),
            invites_made=await self._invites(InviteRow.created_by == volunteer_id),
            debriefs=await self._debriefs(volunteer_id),
            safety_notes_written=await self._notes(volunteer_id),
            walks_ended=await self._walks_ended(volunteer_id),
        )

    async def _sign_ups(self, volunteer_id: int) -> list[MySignUp]:
        rows = await self._db.execute(
            select(SignUpRow, SessionRow, RoleRow.label)
            .join(SessionRow, SessionRow.id == SignUpRow.session_id)
            .join(RoleRow, RoleRow.id == SignUpRow.role_id)
            .where(SignUpRow.volunteer_id == volunteer_id)
            .order_by(SessionRow.starts_at, SignUpRow.id)
        )
        return [
            MySignUp(
                session_date=session.local_date,
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                session_cancelled=session.status == SessionStatus.CANCELLED.value,
                role=label,
                status=signup.status,
                signed_up_at=signup.created_at,
                changed_at=signup.updated_at,
            )
            for signup, session, label in rows
        ]

    async def _pairs(self, volunteer_id: int) -> tuple[list[MyPair], list[int]]:
        others = aliased(PairMemberRow)
        count = (
            select(func.count(others.id))
            .where(others.pair_id == PairMemberRow.pair_id, others.volunteer_id != volunteer_id)
            .scalar_subquery()
        )
        rows = await self._db.execute(
            select(PairRow.id, PairRow.number, PairRow.manual, SessionRow.local_date, count)
            .select_from(PairMemberRow)
            .join(PairRow, PairRow.id == PairMemberRow.pair_id)
            .join(SessionRow, SessionRow.id == PairRow.session_id)
            .where(PairMemberRow.volunteer_id == volunteer_id)
            .order_by(SessionRow.starts_at, PairRow.id)
        )
        found = list(rows)
        pairs = [
            MyPair(session_date=day, pair_number=number, others_in_pair=n, made_by_hand=manual)
            for _, number, manual, day, n in found
        ]
        return pairs, [pair_id for pair_id, *_ in found]

    async def _session_ids(self, volunteer_id: int) -> list[int]:
        rows = await self._db.scalars(
            select(SignUpRow.session_id).where(SignUpRow.volunteer_id == volunteer_id).distinct()
        )
        return list(rows)

    async def _checkins(self, volunteer_id: int) -> list[MyCheckIn]:
        rows = await self._db.execute(
            select(CheckInRow, SessionRow.local_date)
            .join(SessionRow, SessionRow.id == CheckInRow.session_id)
            .where(CheckInRow.checked_by == volunteer_id)
            .order_by(CheckInRow.due_at, CheckInRow.id)
        )
        return [
            MyCheckIn(
                session_date=day,
                seq=c.seq,
                total=c.total,
                due_at=c.due_at,
                checked_at=c.checked_at,
            )
            for c, day in rows
        ]

    async def _home_safe(self, volunteer_id: int) -> list[MyHomeSafe]:
        rows = await self._db.execute(
            select(HomeSafeRow, SessionRow.local_date)
            .join(SessionRow, SessionRow.id == HomeSafeRow.session_id)
            .where(HomeSafeRow.volunteer_id == volunteer_id)
            .order_by(HomeSafeRow.due_at, HomeSafeRow.id)
        )
        return [
            MyHomeSafe(session_date=day, due_at=h.due_at, safe_at=h.safe_at) for h, day in rows
        ]

    async def _briefings(self, volunteer_id: int) -> list[MyBriefing]:
        rows = await self._db.execute(
            select(BriefingRow, SessionRow.local_date)
            .join(SessionRow, SessionRow.id == BriefingRow.session_id)
            .where(BriefingRow.volunteer_id == volunteer_id)
            .order_by(BriefingRow.sent_at, BriefingRow.id)
        )
        return [
            MyBriefing(session_date=day, sent_at=b.sent_at, read_at=b.read_at) for b, day in rows
        ]

    async def _reminders(self, volunteer_id: int) -> list[MyReminderAnswer]:
        rows = await self._db.execute(
            select(ReminderAnswerRow, SessionRow.local_date)
            .join(SessionRow, SessionRow.id == ReminderAnswerRow.session_id)
            .where(ReminderAnswerRow.volunteer_id == volunteer_id)
            .order_by(ReminderAnswerRow.asked_at, ReminderAnswerRow.id)
        )
        return [
            MyReminderAnswer(
                session_date=day, answer=r.answer, asked_at=r.asked_at, answered_at=r.answered_at
            )
            for r, day in rows
        ]

    async def _cover_requests(self, volunteer_id: int) -> list[MyCoverRequest]:
        rows = await self._db.execute(
            select(CoverRequestRow, SessionRow.local_date)
            .join(SessionRow, SessionRow.id == CoverRequestRow.session_id)
            .where(CoverRequestRow.requester_id == volunteer_id)
            .order_by(CoverRequestRow.created_at, CoverRequestRow.id)
        )
        return [
            MyCoverRequest(
                session_date=day, state=r.state, asked_at=r.created_at, taken_at=r.taken_at
            )
            for r, day in rows
        ]

    async def _cover_offers(self, volunteer_id: int) -> list[MyCoverOffer]:
        rows = await self._db.execute(
            select(CoverRequestRow, SessionRow.local_date)
            .join(CoverOfferRow, CoverOfferRow.request_id == CoverRequestRow.id)
            .join(SessionRow, SessionRow.id == CoverRequestRow.session_id)
            .where(CoverOfferRow.volunteer_id == volunteer_id)
            .order_by(CoverRequestRow.created_at, CoverRequestRow.id)
        )
        offers = []
        for r, day in rows:
            mine = r.taken_by == volunteer_id
            offers.append(
                MyCoverOffer(
                    session_date=day,
                    state=r.state,
                    you_took_it=mine,
                    taken_at=r.taken_at if mine else None,
                )
            )
        return offers

    async def _escalations(self, volunteer_id: int, pair_ids: Sequence[int]) -> list[MyEscalation]:
        # About them: their own alarm (SOS, duress, home-safe), or their pair's missed
        # check-in. A partner's own SOS is the partner's, not theirs.
        about_pair = and_(
            EscalationRow.volunteer_id.is_(None), EscalationRow.pair_id.in_(pair_ids)
        )
        rows = await self._db.execute(
            select(EscalationRow, SessionRow.local_date)
            .join(SessionRow, SessionRow.id == EscalationRow.session_id)
            .where(or_(EscalationRow.volunteer_id == volunteer_id, about_pair))
            .order_by(EscalationRow.opened_at, EscalationRow.id)
        )
        return [
            MyEscalation(
                id=e.id,
                session_date=day,
                kind=e.kind,
                about="you" if e.volunteer_id == volunteer_id else "your pair",
                opened_at=e.opened_at,
                step=e.step,
                state=e.state,
                acknowledged_at=e.acknowledged_at,
                resolved_at=e.resolved_at,
            )
            for e, day in rows
        ]

    async def _handled(self, volunteer_id: int) -> list[MyHandledAlert]:
        rows = await self._db.execute(
            select(EscalationRow, SessionRow.local_date)
            .join(SessionRow, SessionRow.id == EscalationRow.session_id)
            .where(
                or_(
                    EscalationRow.acknowledged_by == volunteer_id,
                    EscalationRow.resolved_by == volunteer_id,
                )
            )
            .order_by(EscalationRow.opened_at, EscalationRow.id)
        )
        return [
            MyHandledAlert(
                session_date=day,
                kind=e.kind,
                acknowledged_at=e.acknowledged_at if e.acknowledged_by == volunteer_id else None,
                resolved_at=e.resolved_at if e.resolved_by == volunteer_id else None,
            )
            for e, day in rows
        ]

    async def _log(
        self,
        volunteer_id: int,
        pair_ids: Sequence[int],
        mine: set[int],
        session_ids: Sequence[int],
        name: str,
    ) -> list[MyLogEntry]:
        """Lines by or about them, about their pair, or (on their sessions) naming them.

        A line tied to someone else's alarm (a partner's SOS) is the other person's, unless
        they acted on it themselves (took or resolved it as a coordinator).
        """
        linked = or_(
            SafetyLogRow.volunteer_id == volunteer_id,
            SafetyLogRow.pair_id.in_(pair_ids),
            SafetyLogRow.escalation_id.in_(mine),
            SafetyLogRow.session_id.in_(session_ids),
        )
        rows = await self._db.execute(
            select(SafetyLogRow, SessionRow.local_date)
            .join(SessionRow, SessionRow.id == SafetyLogRow.session_id)
            .where(linked)
            .order_by(SafetyLogRow.at, SafetyLogRow.id)
        )
        pattern = _names(name)
        pairs = set(pair_ids)
        entries = []
        for line, day in rows:
            if line.volunteer_id == volunteer_id:
                relation = "by or about you"
            elif line.escalation_id is not None and line.escalation_id not in mine:
                continue  # someone else's alarm
            elif line.escalation_id in mine or line.pair_id in pairs:
                relation = "about your pair" if line.pair_id in pairs else "about you"
            elif pattern is not None and pattern.search(line.detail):
                relation = "names you"
            else:
                continue
            entries.append(
                MyLogEntry(
                    session_date=day,
                    at=line.at,
                    event=line.event,
                    relation=relation,
                    escalation_id=line.escalation_id,
                )
            )
        return entries

    async def _locations(self, volunteer_id: int) -> list[MyLocation]:
        rows = await self._db.execute(
            select(LocationRow, SessionRow.local_date)
            .join(SessionRow, SessionRow.id == LocationRow.session_id)
            .where(LocationRow.volunteer_id == volunteer_id)
            .order_by(LocationRow.at, LocationRow.id)
        )
        return [
            MyLocation(session_date=day, latitude=p.latitude, longitude=p.longitude, at=p.at)
            for p, day in rows
        ]

    async def _messages(self, chat_id: int | None) -> list[MyMessage]:
        if chat_id is None:
            return []
        rows = await self._db.scalars(
            select(OutboxRow)
            .where(OutboxRow.chat_id == chat_id, OutboxRow.state.in_(OWED))
            .order_by(OutboxRow.due_at, OutboxRow.id)
        )
        return [
            MyMessage(kind=r.kind, state=r.state, due_at=r.due_at, created_at=r.created_at)
            for r in rows
        ]

    async def _invites(self, which: ColumnElement[bool]) -> list[MyInvite]:
        rows = await self._db.scalars(
            select(InviteRow).where(which).order_by(InviteRow.created_at, InviteRow.id)
        )
        return [
            MyInvite(
                tags=_tags(r.tags),
                created_at=r.created_at,
                expires_at=r.expires_at,
                used_at=r.used_at,
            )
            for r in rows
        ]

    async def _debriefs(self, volunteer_id: int) -> list[MyDebrief]:
        rows = await self._db.execute(
            select(DebriefRow, SessionRow.local_date)
            .join(SessionRow, SessionRow.id == DebriefRow.session_id)
            .where(DebriefRow.lead_id == volunteer_id)
            .order_by(DebriefRow.started_at, DebriefRow.id)
        )
        return [
            MyDebrief(
                session_date=day,
                state=d.state,
                started_at=d.started_at,
                finished_at=d.finished_at,
                incident_text_kept=bool(d.incident),
                answers=_answers(d.answers),
            )
            for d, day in rows
        ]

    async def _notes(self, volunteer_id: int) -> list[MyAuthored]:
        rows = await self._db.execute(
            select(SafetyNoteRow.created_at, SessionRow.local_date)
            .join(SessionRow, SessionRow.id == SafetyNoteRow.session_id)
            .where(SafetyNoteRow.author_id == volunteer_id)
            .order_by(SafetyNoteRow.created_at, SafetyNoteRow.id)
        )
        return [MyAuthored(session_date=day, at=at) for at, day in rows]

    async def _walks_ended(self, volunteer_id: int) -> list[MyAuthored]:
        rows = await self._db.execute(
            select(SessionRow.walk_over_at, SessionRow.local_date)
            .where(SessionRow.walk_over_by == volunteer_id)
            .order_by(SessionRow.starts_at)
        )
        return [MyAuthored(session_date=day, at=at) for at, day in rows]
