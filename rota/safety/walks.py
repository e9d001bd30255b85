"""The walk's life: pairs and check-ins at the start, home-safe at the end, or ended early.

Driven by the clock through `start_and_end_walks`; every transition is a guarded update on the
session's walk_state, so two workers (or a restart) never start or end a walk twice.
"""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass

from rota.kernel.config import RotaConfig
from rota.kernel.errors import NotCoordinator, SessionClosed
from rota.kernel.outbox import Notice
from rota.kernel.uow import UnitOfWork, UnitOfWorkFactory
from rota.people.access import coordinator_chats, load_actor, require_volunteer
from rota.roster.model import RosterEntry, Session, SignUpStatus
from rota.safety import rules
from rota.safety.checkin_plan import due_times, effective_plan
from rota.safety.model import LEAD_ROLE, Pair, TimerKind, WalkState
from rota.safety.notices import HomePrompt, PairsProblem, WalkOver, WalkStarted
from rota.safety.pairing import Walker, make_pairs, walker_from_tags
from rota.safety.refusals import SafetyRefusal

CHECKIN_TIMERS = (TimerKind.PROMPT, TimerKind.REMIND, TimerKind.ESCALATE)


def walkers_of(roster: list[RosterEntry]) -> list[Walker]:
    """Confirmed people in walking roles, in sign-up order."""
    return [
        walker_from_tags(e.volunteer.id, e.volunteer.display_name, e.volunteer.tags)
        for e in roster
        if e.role.pairs and e.signup.status is SignUpStatus.CONFIRMED
    ]


async def ensure_pairs(
    uow: UnitOfWork, session: Session, *, config: RotaConfig, now: dtm.datetime
) -> tuple[list[Pair], list[str]]:
    """Pair tonight's walkers, keeping existing pairs if the walkers are still the same.

    Returns the pairs and any problems (someone who would walk alone, a new walker with no
    trained partner), which the coordinators must hear about.
    """
    walkers = walkers_of(await uow.signups.roster([session.id]))
    existing = await uow.safety.pairs(session.id)
    paired = {m.volunteer_id for p in existing for m in p.members}
    if existing and paired == {w.volunteer_id for w in walkers}:
        return existing, []
    pairing = make_pairs(walkers)
    groups = [[w.volunteer_id for w in group] for group in pairing.groups]
    await uow.safety.replace_pairs(session.id, groups, manual=False, now=now)
    pairs = await uow.safety.pairs(session.id)
    await uow.safety.log(
        session.id,
        "pairs_made",
        at=now,
        detail="; ".join(p.names for p in pairs) or "no pairs",
    )
    return pairs, list(pairing.problems)


async def _tell_coordinators(
    uow: UnitOfWork,
    session: Session,
    problem: PairsProblem,
    *,
    config: RotaConfig,
    now: dtm.datetime,
    key: str,
) -> None:
    for chat in await coordinator_chats(uow, config):
        await uow.outbox.add(
            Notice(
                chat_id=chat,
                payload=problem,
                dedupe_key=f"{problem.KIND}:{session.id}:{key}:{chat}",
            ),
            now=now,
            due_at=None,
        )


async def _start_walk(
    uow: UnitOfWork, session: Session, *, config: RotaConfig, now: dtm.datetime
) -> bool:
    if not await uow.safety.set_walk_state(
        session.id, expected=[WalkState.PLANNED.value], new=WalkState.WALKING.value
    ):
        return False
    plan = effective_plan(config.template.checkins, session.checkin_plan)
    pairs, problems = await ensure_pairs(uow, session, config=config, now=now)
    if problems:
        await _tell_coordinators(
            uow,
            session,
            PairsProblem(problems=tuple(problems), starts_at=session.starts_at),
            config=config,
            now=now,
            key="start",
        )
        for problem in problems:
            await uow.safety.log(session.id, "pairs_problem", at=now, detail=problem)
    # A walk the bot was not running for starts at the next due time: prompting for a
    # check-in nobody was asked for would only raise false alarms.
    dues = [d for d in due_times(session.starts_at, session.ends_at, plan.interval) if d > now]
    for pair in pairs:
        for checkin in await uow.safety.add_checkins(session.id, pair.id, dues):
            for kind, at in rules.checkin_timers(checkin.due_at, plan):
                await uow.safety.add_timer(kind, checkin.id, session_id=session.id, due_at=at)
        for member in pair.members:
            if member.telegram_id is None:
                continue
            partners = [m.name for m in pair.members if m.volunteer_id != member.volunteer_id]
            await uow.outbox.add(
                Notice(
                    chat_id=member.telegram_id,
                    payload=WalkStarted(
                        partners=tuple(partners),
                        count=len(dues),
                        interval=int(plan.interval.total_seconds()),
                        first_due=dues[0] if dues else None,
                    ),
                    dedupe_key=f"walk_started:{session.id}:{member.volunteer_id}",
                ),
                now=now,
                due_at=None,
            )
    await uow.safety.log(
        session.id, "walk_started", at=now, detail=f"{len(pairs)} pair(s), {len(dues)} check-ins"
    )
    return True


async def _stop_checkins(uow: UnitOfWork, session: Session, now: dtm.datetime) -> list[int]:
    cancelled = await uow.safety.cancel_checkins_after(session.id, now)
    await uow.safety.cancel_timers(CHECKIN_TIMERS, cancelled)
    return cancelled


async def _end_session(
    uow: UnitOfWork, session: Session, *, config: RotaConfig, now: dtm.datetime
) -> bool:
    if not await uow.safety.set_walk_state(
        session.id,
        expected=[WalkState.WALKING.value, WalkState.WALK_OVER.value],
        new=WalkState.ENDED.value,
    ):
        return False
    await _stop_checkins(uow, session, now)
    plan = effective_plan(config.template.checkins, session.checkin_plan)
    due = rules.home_safe_due(session.ends_at, plan)
    people = [
        e.volunteer
        for e in await uow.signups.roster([session.id])
        if e.signup.status is SignUpStatus.CONFIRMED
    ]
    for volunteer in people:
        home = await uow.safety.add_home_safe(session.id, volunteer.id, due_at=due)
        if home is None:
            continue
        if volunteer.telegram_id is not None:
            await uow.outbox.add(
                Notice(
                    chat_id=volunteer.telegram_id,
                    payload=HomePrompt(home_safe_id=home.id, due_at=due),
                    dedupe_key=f"home_prompt:{home.id}",
                    ref_kind="home",
                    ref_id=home.id,
                ),
                now=now,
                due_at=None,
            )
        for kind, at in rules.home_timers(due, plan):
            await uow.safety.add_timer(kind, home.id, session_id=session.id, due_at=at)
    await uow.safety.drop_locations(session.id)
    await uow.safety.log(
        session.id, "session_ended", at=now, detail=f"home-safe asked of {len(people)} people"
    )
    return True


@dataclass(slots=True)
class WalkReport:
    """What one pass of the walk clock did."""

    started: int = 0
    ended: int = 0


async def start_and_end_walks(
    fresh: UnitOfWorkFactory, *, config: RotaConfig, now: dtm.datetime
) -> WalkReport:
    """Start every walk whose session began and end every session that finished.

    Each session changes in its own transaction, so one bad row cannot hold up the others.
    """
    report = WalkReport()
    async with fresh() as work:
        to_start = await work.safety.walks_to_start(now)
    for session in to_start:
        async with fresh() as work:
            if await _start_walk(work, session, config=config, now=now):
                report.started += 1
            await work.commit()
    async with fresh() as work:
        to_end = await work.safety.walks_to_end(now)
    for session in to_end:
        async with fresh() as work:
            fresh_session = await work.sessions.get(session.id)
            if fresh_session is not None and await _end_session(
                work, fresh_session, config=config, now=now
            ):
                report.ended += 1
            await work.commit()
    return report


async def end_walk(
    uow: UnitOfWork, *, telegram_id: int, config: RotaConfig, now: dtm.datetime
) -> Session:
    """The team lead or a coordinator ends tonight's walk: prompts stop, pairs go to the hall."""
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        actor = await load_actor(uow, telegram_id, config)
        walking = [
            s for s in await uow.safety.live_sessions(now) if s.walk_state == WalkState.WALKING
        ]
        if not walking:
            raise SessionClosed(SafetyRefusal.NO_WALK_ON)
        session = walking[0]
        roster = await uow.signups.roster([session.id])
        # A lead on the waitlist is not tonight's lead: ending the walk stops everyone's
        # check-ins, so only the confirmed lead (or a coordinator) may.
        leads = {
            e.volunteer.id
            for e in roster
            if e.role.key == LEAD_ROLE and e.signup.status is SignUpStatus.CONFIRMED
        }
        if not actor.is_coordinator and volunteer.id not in leads:
            raise NotCoordinator(SafetyRefusal.END_WALK_LEADS_ONLY)
        if not await uow.safety.set_walk_state(
            session.id,
            expected=[WalkState.WALKING.value],
            new=WalkState.WALK_OVER.value,
            at=now,
            by=volunteer.id,
        ):
            raise SessionClosed(SafetyRefusal.WALK_ALREADY_ENDED)
        await _stop_checkins(uow, session, now)
        for pair in await uow.safety.pairs(session.id):
            for member in pair.members:
                if member.telegram_id is not None:
                    await uow.outbox.add(
                        Notice(
                            chat_id=member.telegram_id,
                            payload=WalkOver(by=volunteer.display_name),
                            dedupe_key=f"walk_over:{session.id}:{member.volunteer_id}",
                        ),
                        now=now,
                        due_at=None,
                    )
        await uow.safety.log(
            session.id,
            "walk_over",
            at=now,
            detail=f"ended by {volunteer.display_name}",
            volunteer_id=volunteer.id,
        )
        await uow.commit()
        return session
