"""Sessions: generated from the template, added or cancelled by coordinators, viewed by all."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass, field

from rota.kernel.config import ROTA_WEEKS_SHOWN, RotaConfig
from rota.kernel.errors import InvalidInput, NotFound, SessionClosed
from rota.kernel.localtime import LocalTimeError, local_to_utc, parse_clock, parse_date
from rota.kernel.notices import SessionFacts
from rota.kernel.outbox import Notice
from rota.kernel.template import RoleSpec
from rota.kernel.uow import UnitOfWork
from rota.people.access import load_actor, require_coordinator, require_volunteer
from rota.roster.boards import build_boards
from rota.roster.model import Role, Session, SessionBoard, SessionStatus
from rota.roster.notices import SessionCancelled
from rota.roster.planning import plan_sessions
from rota.roster.refusals import RosterRefusal
from rota.roster.signups import ensure_open

MAX_NOTE_LENGTH = 200
ONE_OFF_LOOKAHEAD = 500


@dataclass(slots=True)
class SyncReport:
    """What a template sync did; `kept` lists sessions left alone because people signed up."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    kept: list[Session] = field(default_factory=list)


def _role_shape(roles: list[Role] | tuple[RoleSpec, ...]) -> list[tuple[object, ...]]:
    return [(r.key, r.label, r.capacity, r.minimum, r.pairs, r.requires) for r in roles]


async def sync_sessions(uow: UnitOfWork, *, config: RotaConfig, now: dtm.datetime) -> SyncReport:
    """Make the stored future sessions match the template, idempotently.

    Sessions nobody has signed up to follow template edits (or disappear if the template no
    longer has them); a session with sign-ups is never changed, so nobody is silently dropped.
    """
    template = config.template
    report = SyncReport()
    async with uow:
        existing = {
            (s.template_key, s.local_date): s
            for s in await uow.sessions.template_sessions_after(now)
        }
        ids = [s.id for s in existing.values()]
        counts = await uow.sessions.signup_counts(ids)
        roles: dict[int, list[Role]] = {i: [] for i in ids}
        for role in await uow.sessions.roles(ids):
            roles[role.session_id].append(role)
        # A coordinator's one-off on a date takes that night: never a second session there.
        taken = {
            s.local_date
            for s in await uow.sessions.upcoming(now, ONE_OFF_LOOKAHEAD)
            if s.template_key is None
        }
        for plan in plan_sessions(template, now=now, zone=config.zone):
            session = existing.pop((plan.template_key, plan.local_date), None)
            if session is None and plan.local_date in taken:
                continue
            if session is None:
                await uow.sessions.add(
                    template_key=plan.template_key,
                    local_date=plan.local_date,
                    starts_at=plan.starts_at,
                    ends_at=plan.ends_at,
                    meeting_point=plan.meeting_point,
                    note="",
                    roles=template.roles,
                    now=now,
                )
                report.created += 1
                continue
            same = (
                session.starts_at == plan.starts_at
                and session.ends_at == plan.ends_at
                and session.meeting_point == plan.meeting_point
                and _role_shape(roles[session.id]) == _role_shape(template.roles)
            )
            if same:
                continue
            if counts.get(session.id, 0) or session.is_cancelled:
                report.kept.append(session)
                continue
            await uow.sessions.replan(
                session.id,
                starts_at=plan.starts_at,
                ends_at=plan.ends_at,
                meeting_point=plan.meeting_point,
                roles=template.roles,
            )
            report.updated += 1
        for session in existing.values():  # no longer in the template
            if counts.get(session.id, 0) or session.is_cancelled:
                report.kept.append(session)
            else:
                await uow.sessions.delete(session.id)
                report.removed += 1
        if report.created or report.updated or report.removed:
            await uow.team_posts.mark_dirty(now)
        await uow.commit()
    return report


def parse_day(text: str) -> dtm.date:
    """A typed YYYY-MM-DD date, or a polite refusal."""
    try:
        return parse_date(text)
    except LocalTimeError as err:
        raise InvalidInput(err.code, **err.facts) from None


async def _session_on(uow: UnitOfWork, text: str) -> Session:
    day = parse_day(text)
    sessions = [s for s in await uow.sessions.on_date(day) if not s.is_cancelled]
    if not sessions:
        raise NotFound(RosterRefusal.NO_SESSION_ON, day=day)
    return sessions[0]


async def add_session(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    day: str,
    start: str,
    end: str,
    note: str,
    config: RotaConfig,
    now: dtm.datetime,
) -> Session:
    """A one-off session (an extra night) with the template's roles."""
    async with uow:
        await require_coordinator(uow, telegram_id, config)
        local_date = parse_day(day)
        try:
            start_at, end_at = parse_clock(start), parse_clock(end)
            starts_at = local_to_utc(local_date, start_at, config.zone)
            end_date = local_date + dtm.timedelta(days=1) if end_at <= start_at else local_date
            ends_at = local_to_utc(end_date, end_at, config.zone)
        except LocalTimeError as err:
            raise InvalidInput(err.code, **err.facts) from None
        if starts_at <= now:
            raise InvalidInput(RosterRefusal.TIME_PASSED)
        note = " ".join(note.split())
        if len(note) > MAX_NOTE_LENGTH:
            raise InvalidInput(RosterRefusal.NOTE_TOO_LONG, limit=MAX_NOTE_LENGTH)
        clash = [s for s in await uow.sessions.on_date(local_date) if not s.is_cancelled]
        if clash:
            raise InvalidInput(RosterRefusal.SESSION_CLASH, day=local_date)
        session = await uow.sessions.add(
            template_key=None,
            local_date=local_date,
            starts_at=starts_at,
            ends_at=ends_at,
            meeting_point=config.template.sessions[0].meeting_point,
            note=note,
            roles=config.template.roles,
            now=now,
        )
        await uow.team_posts.mark_dirty(now)
        await uow.commit()
        return session


async def cancel_session(
    uow: UnitOfWork, *, telegram_id: int, day: str, config: RotaConfig, now: dtm.datetime
) -> tuple[Session, int]:
    """Cancel a future session and tell everyone on it (and on its waitlists)."""
    async with uow:
        await require_coordinator(uow, telegram_id, config)
        session = await _session_on(uow, day)
        if not session.is_open(now):
            raise SessionClosed(RosterRefusal.STARTED_CANNOT_CANCEL)
        if not await uow.sessions.set_status(
            session.id, expected=SessionStatus.SCHEDULED, new=SessionStatus.CANCELLED
        ):
            raise SessionClosed(RosterRefusal.ALREADY_CANCELLED)
        roster = await uow.signups.roster([session.id])
        for entry in roster:
            if entry.volunteer.telegram_id is None:
                continue
            await uow.outbox.add(
                Notice(
                    chat_id=entry.volunteer.telegram_id,
                    payload=SessionCancelled(
                        session=SessionFacts.of(session), role=entry.role.label
                    ),
                    dedupe_key=f"cancelled:{session.id}:{entry.volunteer.id}",
                ),
                now=now,
                due_at=None,
            )
        await uow.team_posts.mark_dirty(now)
        await uow.commit()
        return session, len(roster)


async def session_roster(
    uow: UnitOfWork, *, telegram_id: int, day: str, config: RotaConfig
) -> SessionBoard:
    """The full roster of one session, for coordinators."""
    async with uow:
        await require_coordinator(uow, telegram_id, config)
        session = await _session_on(uow, day)
        (board,) = await build_boards(uow, [session], with_roster=True)
        return board


async def upcoming_boards(
    uow: UnitOfWork,
    *,
    telegram_id: int | None,
    config: RotaConfig,
    now: dtm.datetime,
    limit: int | None = None,
) -> list[SessionBoard]:
    """The coming sessions with places per role, marking the viewer's own sign-ups.

    With a telegram_id the caller must be on the team; without one (the team-chat post)
    nobody's own sign-ups are marked.
    """
    async with uow:
        viewer = None
        if telegram_id is not None:
            viewer = await require_volunteer(uow, telegram_id, config)
        if limit is None:
            limit = ROTA_WEEKS_SHOWN * max(1, len(config.template.sessions))
        sessions = await uow.sessions.upcoming(now, limit)
        return await build_boards(uow, sessions, viewer_id=viewer.id if viewer else None)


async def session_board(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    session_id: int,
    config: RotaConfig,
    now: dtm.datetime,
) -> SessionBoard:
    """One open session with its roles, for the join buttons."""
    async with uow:
        actor = await load_actor(uow, telegram_id, config)
        session = ensure_open(await uow.sessions.get(session_id), now)
        viewer_id = actor.volunteer.id if actor.volunteer else None
        (board,) = await build_boards(uow, [session], viewer_id=viewer_id)
        return board


async def role_board(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    role_id: int,
    config: RotaConfig,
    now: dtm.datetime,
) -> SessionBoard:
    """The open session a role belongs to, to redraw its buttons after a refusal."""
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        role = await uow.sessions.role(role_id)
        if role is None:
            raise NotFound(RosterRefusal.SHIFT_GONE)
        session = ensure_open(await uow.sessions.get(role.session_id), now)
        (board,) = await build_boards(uow, [session], viewer_id=volunteer.id)
        return board
