"""Coordinator views of the night: the live board, the pairs (and swaps), the safety log."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass

from rota.briefings import services as briefings
from rota.kernel.config import RotaConfig
from rota.kernel.errors import InvalidInput, NotFound, SessionClosed
from rota.kernel.localtime import local_today
from rota.kernel.template import CheckInPlan
from rota.kernel.uow import UnitOfWork
from rota.people.access import require_coordinator
from rota.roster.model import Session
from rota.roster.sessions import parse_day
from rota.safety.checkin_plan import effective_plan, parse_overrides
from rota.safety.model import CheckIn, Escalation, EscalationState, HomeSafe, LogEntry, Pair
from rota.safety.pairing import PairingError, Walker, swap, walker_from_tags
from rota.safety.refusals import SafetyRefusal
from rota.safety.rules import last_done, next_due, pair_state
from rota.safety.walks import ensure_pairs, walkers_of


@dataclass(frozen=True, slots=True)
class PairLine:
    """One pair on the board."""

    pair: Pair
    state: str
    last: CheckIn | None
    next: CheckIn | None


@dataclass(frozen=True, slots=True)
class Board:
    """Tonight at a glance."""

    session: Session
    plan: CheckInPlan
    pairs: list[PairLine]
    open_alarms: list[Escalation]
    home: list[tuple[str, HomeSafe]]
    names: dict[int, str]
    briefed: bool = False  # the briefing round has gone out
    unread: tuple[str, ...] = ()  # confirmed people who have not tapped Got it


async def _tonight_session(uow: UnitOfWork, config: RotaConfig, now: dtm.datetime) -> Session:
    live = await uow.safety.live_sessions(now)
    if live:
        return live[0]
    today = [
        s for s in await uow.sessions.on_date(local_today(now, config.zone)) if not s.is_cancelled
    ]
    if today:
        return today[0]
    raise NotFound(SafetyRefusal.NO_SESSION_TONIGHT)


async def board(
    uow: UnitOfWork, *, telegram_id: int, config: RotaConfig, now: dtm.datetime
) -> Board:
    """/tonight: each pair's state, last and next check-in, open alarms, who is home."""
    async with uow:
        await require_coordinator(uow, telegram_id, config)
        session = await _tonight_session(uow, config, now)
        plan = effective_plan(config.template.checkins, session.checkin_plan)
        pairs = await uow.safety.pairs(session.id)
        checkins = await uow.safety.checkins(session.id)
        escalations = {e.id: e for e in await uow.safety.escalations(session.id)}
        by_pair: dict[int, list[CheckIn]] = {}
        for checkin in checkins:  # grouped once: a filter per pair grew with pairs squared
            by_pair.setdefault(checkin.pair_id, []).append(checkin)
        lines = []
        for pair in pairs:
            mine = by_pair.get(pair.id, [])
            lines.append(
                PairLine(
                    pair=pair,
                    state=pair_state(mine, escalations, plan, now),
                    last=last_done(mine),
                    next=next_due(mine, now),
                )
            )
        home = await uow.safety.home_safe_list(session.id)
        people = await uow.volunteers.many(
            [h.volunteer_id for h in home]
            + [e.volunteer_id for e in escalations.values() if e.volunteer_id]
            + [c.checked_by for c in checkins if c.checked_by]
            + [e.acknowledged_by for e in escalations.values() if e.acknowledged_by]
        )
        names = {i: v.display_name for i, v in people.items()}
        briefed = bool(await uow.briefings.briefings(session.id))
        return Board(
            briefed=briefed,
            unread=tuple(await briefings.unread(uow, session.id)) if briefed else (),
            session=session,
            plan=plan,
            pairs=lines,
            open_alarms=[
                e for e in escalations.values() if e.state is not EscalationState.RESOLVED
            ],
            home=[(names.get(h.volunteer_id, "?"), h) for h in home],
            names=names,
        )


async def session_log(
    uow: UnitOfWork, *, telegram_id: int, day: str, config: RotaConfig
) -> tuple[Session, list[LogEntry]]:
    """/log: the append-only safety log of one session."""
    async with uow:
        await require_coordinator(uow, telegram_id, config)
        local_date = parse_day(day)
        sessions = await uow.sessions.on_date(local_date)
        if not sessions:
            raise NotFound(SafetyRefusal.NO_SESSION_ON, day=local_date)
        return sessions[0], await uow.safety.log_for(sessions[0].id)


@dataclass(frozen=True, slots=True)
class PairsView:
    """The pairs of a session (made now if needed) and anyone left out."""

    session: Session
    pairs: list[Pair]
    unpaired: list[str]
    problems: list[str]
    editable: bool


async def _session_for(uow: UnitOfWork, day: str) -> Session:
    local_date = parse_day(day)
    sessions = [s for s in await uow.sessions.on_date(local_date) if not s.is_cancelled]
    if not sessions:
        raise NotFound(SafetyRefusal.NO_SESSION_ON, day=local_date)
    return sessions[0]


async def _view(uow: UnitOfWork, session: Session, problems: list[str]) -> PairsView:
    pairs = await uow.safety.pairs(session.id)
    paired = {m.volunteer_id for p in pairs for m in p.members}
    walkers = walkers_of(await uow.signups.roster([session.id]))
    return PairsView(
        session=session,
        pairs=pairs,
        unpaired=[w.name for w in walkers if w.volunteer_id not in paired],
        problems=problems,
        editable=session.walk_state == "planned",
    )


async def view_pairs(
    uow: UnitOfWork, *, telegram_id: int, day: str, config: RotaConfig, now: dtm.datetime
) -> PairsView:
    """/pairs <date>: the pairs, made from the current roster if the walk hasn't started."""
    async with uow:
        await require_coordinator(uow, telegram_id, config)
        session = await _session_for(uow, day)
        problems: list[str] = []
        if session.walk_state == "planned":
            _pairs, problems = await ensure_pairs(uow, session, config=config, now=now)
        view = await _view(uow, session, problems)
        await uow.commit()
        return view


async def swap_walkers(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    session_id: int,
    a: int,
    b: int,
    config: RotaConfig,
    now: dtm.datetime,
) -> PairsView:
    """Swap two walkers between pairs (before the walk); refused if it breaks the rules."""
    async with uow:
        await require_coordinator(uow, telegram_id, config)
        session = await uow.sessions.get(session_id)
        if session is None or session.is_cancelled:
            raise NotFound(SafetyRefusal.SESSION_GONE)
        if session.walk_state != "planned":
            raise SessionClosed(SafetyRefusal.PAIRS_FIXED)
        roster = {e.volunteer.id: e.volunteer for e in await uow.signups.roster([session_id])}
        groups: list[list[Walker]] = []
        for pair in await uow.safety.pairs(session_id):
            group = []
            for m in pair.members:
                person = roster.get(m.volunteer_id)
                tags = person.tags if person else frozenset()
                group.append(walker_from_tags(m.volunteer_id, m.name, tags))
            groups.append(group)
        try:
            swapped = swap(groups, a, b)
        except PairingError as err:
            raise InvalidInput(err.code, **err.facts) from None
        await uow.safety.replace_pairs(
            session_id, [[w.volunteer_id for w in g] for g in swapped], manual=True, now=now
        )
        await uow.safety.log(
            session_id,
            "pairs_swapped",
            at=now,
            detail=f"{roster[a].display_name if a in roster else a} <-> "
            f"{roster[b].display_name if b in roster else b}",
        )
        view = await _view(uow, session, [])
        await uow.commit()
        return view


async def set_checkin_plan(
    uow: UnitOfWork, *, telegram_id: int, day: str, words: list[str], config: RotaConfig
) -> tuple[Session, CheckInPlan]:
    """/checkins <date> interval=20m ...: a per-session plan, before its walk starts."""
    async with uow:
        await require_coordinator(uow, telegram_id, config)
        session = await _session_for(uow, day)
        if not words:
            return session, effective_plan(config.template.checkins, session.checkin_plan)
        if session.walk_state != "planned":
            raise SessionClosed(SafetyRefusal.PLAN_FIXED)
        base = effective_plan(config.template.checkins, session.checkin_plan)
        plan, stored = parse_overrides(words, base)
        await uow.safety.set_plan(session.id, stored)
        await uow.commit()
        return session, plan


async def session_day(uow: UnitOfWork, *, session_id: int) -> str:
    """The local date of a session, as /pairs takes it."""
    async with uow:
        session = await uow.sessions.get(session_id)
        if session is None:
            raise NotFound(SafetyRefusal.SESSION_GONE)
        return session.local_date.isoformat()
