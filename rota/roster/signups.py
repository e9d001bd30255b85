"""Claiming, waitlisting and giving up shifts, race-free across processes."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass

from rota.kernel.config import RotaConfig
from rota.kernel.errors import (
    AlreadySignedUp,
    NotEligible,
    NotFound,
    NotSignedUp,
    RoleFull,
    SessionClosed,
)
from rota.kernel.notices import SessionFacts
from rota.kernel.outbox import Notice
from rota.kernel.uow import UnitOfWork
from rota.people.access import coordinator_chats, require_volunteer
from rota.people.model import COORDINATOR_TAG, Volunteer
from rota.roster.boards import build_boards
from rota.roster.model import Role, RosterEntry, Session, SessionBoard, SignUp, SignUpStatus
from rota.roster.notices import LateWithdrawal, Promoted
from rota.roster.refusals import RosterRefusal


@dataclass(frozen=True, slots=True)
class JoinOutcome:
    """The new sign-up and the session as it now stands."""

    signup: SignUp
    role: Role
    board: SessionBoard


@dataclass(frozen=True, slots=True)
class WithdrawOutcome:
    """What a withdrawal changed: who moved up, and whether it was late notice."""

    session: Session
    role: Role
    promoted: Volunteer | None
    late: bool


def tags_of(volunteer: Volunteer, config: RotaConfig) -> frozenset[str]:
    """A volunteer's tags, counting bootstrap admins as coordinators."""
    if volunteer.telegram_id in config.admin_ids:
        return volunteer.tags | {COORDINATOR_TAG}
    return volunteer.tags


def ensure_open(session: Session | None, now: dtm.datetime) -> Session:
    """Sign-ups change only for sessions that exist, are not cancelled and have not started."""
    if session is None:
        raise NotFound(RosterRefusal.SESSION_GONE)
    if session.is_cancelled:
        raise SessionClosed(RosterRefusal.SESSION_CANCELLED)
    if not session.is_open(now):
        raise SessionClosed(RosterRefusal.ROTA_CLOSED)
    return session


async def _open_role(uow: UnitOfWork, role_id: int, now: dtm.datetime) -> tuple[Role, Session]:
    role = await uow.sessions.role(role_id)
    if role is None:
        raise NotFound(RosterRefusal.SHIFT_GONE)
    session = ensure_open(await uow.sessions.get(role.session_id), now)
    return role, session


async def _check_can_join(
    uow: UnitOfWork, volunteer: Volunteer, role: Role, config: RotaConfig
) -> None:
    if not role.accepts(tags_of(volunteer, config)):
        tags = tuple(sorted(role.requires))
        raise NotEligible(RosterRefusal.NEEDS_TAG, role=role.label, tags=tags)
    existing = await uow.signups.active_for(role.session_id, volunteer.id)
    if existing is not None:
        if existing.role_id == role.id:
            raise AlreadySignedUp(
                RosterRefusal.ALREADY_IN_ROLE,
                role=role.label,
                waitlisted=existing.status is SignUpStatus.WAITLISTED,
            )
        other = await uow.sessions.role(existing.role_id)
        raise AlreadySignedUp(
            RosterRefusal.ALREADY_IN_OTHER_ROLE, role=other.label if other else None
        )


async def join_role(
    uow: UnitOfWork, *, telegram_id: int, role_id: int, config: RotaConfig, now: dtm.datetime
) -> JoinOutcome:
    """Take a place; if the role is full, RoleFull tells the caller to offer the waitlist."""
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        role, session = await _open_role(uow, role_id, now)
        await _check_can_join(uow, volunteer, role, config)
        if not await uow.signups.claim_place(role.id):
            raise RoleFull(RosterRefusal.ROLE_FULL, role=role.label)
        outcome = await _record(uow, volunteer, role, session, SignUpStatus.CONFIRMED, now)
        await uow.commit()
        return outcome


async def join_waitlist(
    uow: UnitOfWork, *, telegram_id: int, role_id: int, config: RotaConfig, now: dtm.datetime
) -> JoinOutcome:
    """Queue for a full role; if a place has freed up meanwhile, take it instead."""
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        role, session = await _open_role(uow, role_id, now)
        await _check_can_join(uow, volunteer, role, config)
        status = (
            SignUpStatus.CONFIRMED
            if await uow.signups.claim_place(role.id)
            else SignUpStatus.WAITLISTED
        )
        outcome = await _record(uow, volunteer, role, session, status, now)
        await uow.commit()
        return outcome


async def _record(
    uow: UnitOfWork,
    volunteer: Volunteer,
    role: Role,
    session: Session,
    status: SignUpStatus,
    now: dtm.datetime,
) -> JoinOutcome:
    signup = await uow.signups.add(
        session_id=session.id,
        role_id=role.id,
        volunteer_id=volunteer.id,
        status=status,
        now=now,
    )
    await uow.team_posts.mark_dirty(now)
    (board,) = await build_boards(uow, [session], viewer_id=volunteer.id)
    return JoinOutcome(signup=signup, role=board.role(role.id) or role, board=board)


async def withdraw(
    uow: UnitOfWork, *, telegram_id: int, signup_id: int, config: RotaConfig, now: dtm.datetime
) -> WithdrawOutcome:
    """Give up a place or a waitlist spot; the first eligible waitlisted volunteer moves up."""
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        signup = await uow.signups.get(signup_id)
        if (
            signup is None
            or signup.volunteer_id != volunteer.id
            or signup.status is SignUpStatus.WITHDRAWN
        ):
            raise NotSignedUp(RosterRefusal.NOT_YOUR_SHIFT)
        session = await uow.sessions.get(signup.session_id)
        if session is not None and not session.is_cancelled and not session.is_open(now):
            raise SessionClosed(RosterRefusal.STARTED_TELL_LEAD)
        session = ensure_open(session, now)
        outcome = await release(uow, signup, session, volunteer, config=config, now=now)
        await uow.commit()
        return outcome


async def release(
    uow: UnitOfWork,
    signup: SignUp,
    session: Session,
    volunteer: Volunteer,
    *,
    config: RotaConfig,
    now: dtm.datetime,
    shown_as: str | None = None,
) -> WithdrawOutcome:
    """Withdraw one sign-up inside the caller's transaction, promoting and alerting as needed."""
    if not await uow.signups.move(
        signup.id, expected=signup.status, new=SignUpStatus.WITHDRAWN, now=now
    ):
        raise NotSignedUp(RosterRefusal.ALREADY_WITHDRAWN)
    role = await uow.sessions.role(signup.role_id)
    assert role is not None  # roles are deleted only with their session
    promoted: Volunteer | None = None
    confirmed = signup.status is SignUpStatus.CONFIRMED
    if confirmed:
        promoted = await _promote(uow, role, session, config=config, now=now)
        if promoted is None:
            await uow.signups.release_place(role.id)
    late = confirmed and session.starts_at - now < config.template.late_notice
    if late:
        facts = LateWithdrawal(
            session=SessionFacts.of(session),
            volunteer=shown_as or volunteer.display_name,
            role=role.label,
            promoted=promoted.display_name if promoted else None,
        )
        chats = await coordinator_chats(uow, config)
        if config.team_chat_id is not None:
            chats.append(config.team_chat_id)
        for chat in chats:
            await uow.outbox.add(
                Notice(
                    chat_id=chat,
                    payload=facts,
                    dedupe_key=f"late:{signup.id}:{chat}",
                ),
                now=now,
                due_at=None,
            )
    await uow.team_posts.mark_dirty(now)
    return WithdrawOutcome(session=session, role=role, promoted=promoted, late=late)


async def _promote(
    uow: UnitOfWork, role: Role, session: Session, *, config: RotaConfig, now: dtm.datetime
) -> Volunteer | None:
    for entry in await uow.signups.waitlist(role.id):
        volunteer = entry.volunteer
        if not volunteer.is_active or not role.accepts(tags_of(volunteer, config)):
            continue  # stays on the list; a coordinator may re-tag them
        if not await uow.signups.move(
            entry.signup.id,
            expected=SignUpStatus.WAITLISTED,
            new=SignUpStatus.CONFIRMED,
            now=now,
        ):
            continue  # a concurrent withdrawal promoted them first
        if volunteer.telegram_id is not None:
            await uow.outbox.add(
                Notice(
                    chat_id=volunteer.telegram_id,
                    payload=Promoted(session=SessionFacts.of(session), role=role.label),
                    dedupe_key=f"promoted:{entry.signup.id}",
                ),
                now=now,
                due_at=None,
            )
        return volunteer
    return None


async def withdraw_everything(
    uow: UnitOfWork,
    volunteer: Volunteer,
    *,
    config: RotaConfig,
    now: dtm.datetime,
    shown_as: str | None = None,
) -> int:
    """Free every upcoming shift of someone leaving the team (inside the caller's transaction).

    `shown_as` replaces their name in late-notice alerts (someone asking to be forgotten).
    """
    entries = await uow.signups.upcoming_for(volunteer.id, now)
    for entry in entries:
        session = await uow.sessions.get(entry.signup.session_id)
        assert session is not None
        await release(
            uow, entry.signup, session, volunteer, config=config, now=now, shown_as=shown_as
        )
    return len(entries)


@dataclass(frozen=True, slots=True)
class MyShift:
    """One upcoming shift of the caller, with their waitlist position if queued."""

    entry: RosterEntry
    session: Session
    waitlist_position: int | None


async def my_shifts(
    uow: UnitOfWork, *, telegram_id: int, config: RotaConfig, now: dtm.datetime
) -> list[MyShift]:
    """The caller's upcoming shifts and waitlist spots, soonest first."""
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        entries = await uow.signups.upcoming_for(volunteer.id, now)
        session_ids = sorted({e.signup.session_id for e in entries})
        sessions = await uow.sessions.many(session_ids)
        waiting = await uow.signups.roster(session_ids)
        result = []
        for entry in entries:
            position = None
            if entry.signup.status is SignUpStatus.WAITLISTED:
                queue = [
                    w
                    for w in waiting
                    if w.role.id == entry.role.id and w.signup.status is SignUpStatus.WAITLISTED
                ]
                position = 1 + [w.signup.id for w in queue].index(entry.signup.id)
            result.append(MyShift(entry, sessions[entry.signup.session_id], position))
        return result
