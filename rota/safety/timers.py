"""Fire the scheduled safety actions that are due: prompts, reminders, escalation steps.

Each timer is claimed with a lease (a guarded UPDATE), then acted on and marked done in ONE
transaction: a crash before the commit leaves it to fire again after the lease; a second
worker never gets it while the lease holds; outbox dedupe keys make a repeat harmless.
"""

from __future__ import annotations

import datetime as dtm
import logging

from rota.kernel.config import RotaConfig
from rota.kernel.outbox import Notice
from rota.kernel.uow import UnitOfWork, UnitOfWorkFactory
from rota.safety import alarms, rules
from rota.safety.checkins import CHECKIN_REF, HOME_REF
from rota.safety.model import EscalationKind, Timer, TimerKind
from rota.safety.notices import AlertDetail, CheckInPrompt, CheckInReminder, HomeReminder
from rota.safety.rules import CheckInAct

LEASE = dtm.timedelta(seconds=30)
log = logging.getLogger(__name__)


async def fire_due_timers(
    fresh: UnitOfWorkFactory, *, config: RotaConfig, now: dtm.datetime, limit: int = 200
) -> int:
    """Act on every timer due at `now`; returns how many fired."""
    fired = 0
    while True:
        async with fresh() as uow:
            timers = await uow.safety.claim_timers(now=now, lease=LEASE, limit=limit)
            await uow.commit()
        fired += await _fire_together(fresh, timers, config=config, now=now)
        if len(timers) < limit:
            return fired


async def _fire_together(
    fresh: UnitOfWorkFactory, timers: list[Timer], *, config: RotaConfig, now: dtm.datetime
) -> int:
    """Fire a claimed batch in one transaction; if that fails, one by one.

    Together, alarms due at the same moment reach the outbox at the same moment, so a
    coordinator gets them as one digest rather than a trickle, and a hundred timers cost one
    commit. One bad row must not hold the others back: on any error the batch is rolled back
    and each timer fired alone; one that fails again waits for its lease to run out.
    """
    if not timers:
        return 0
    try:
        async with fresh() as uow:
            escalate = [t for t in timers if t.kind is TimerKind.ESCALATE]
            if escalate:
                found = await uow.safety.checkins_by_ids([t.ref_id for t in escalate])
                await alarms.open_missed_checkins(
                    uow, list(found.values()), config=config, now=now
                )
            for timer in timers:
                if timer.kind is not TimerKind.ESCALATE:
                    await _fire(uow, timer, config=config, now=now)
            fired = await uow.safety.finish_timers([t.id for t in timers], now=now)
            await uow.commit()
            return fired
    except Exception:  # noqa: BLE001 - any failure: fall back to one transaction per timer
        log.exception("firing %s timers together failed; firing them one by one", len(timers))
    fired = 0
    for timer in timers:
        try:
            async with fresh() as uow:
                await _fire(uow, timer, config=config, now=now)
                if await uow.safety.finish_timer(timer.id, now=now):
                    await uow.commit()
                    fired += 1
        except Exception:  # noqa: BLE001
            log.exception(
                "timer %s (%s) failed; it fires again after its lease", timer.id, timer.kind
            )
    return fired


async def next_due(uow: UnitOfWork) -> dtm.datetime | None:
    """When the next timer falls due, so the alarm clock can be set."""
    async with uow:
        return await uow.safety.next_timer_due()


async def _fire(uow: UnitOfWork, timer: Timer, *, config: RotaConfig, now: dtm.datetime) -> None:
    match timer.kind:
        case TimerKind.PROMPT | TimerKind.REMIND | TimerKind.ESCALATE:
            await _checkin_timer(uow, timer, config=config, now=now)
        case TimerKind.REESCALATE:
            await alarms.reescalate(uow, timer.ref_id, timer.step, config=config, now=now)
        case TimerKind.HOME_REMIND | TimerKind.HOME_ESCALATE:
            await _home_timer(uow, timer, config=config, now=now)


async def _checkin_timer(
    uow: UnitOfWork, timer: Timer, *, config: RotaConfig, now: dtm.datetime
) -> None:
    checkin = await uow.safety.checkin(timer.ref_id)
    act = rules.checkin_timer_act(timer.kind, checkin)
    if checkin is None or act is CheckInAct.NOTHING:
        return  # they checked in, the walk ended, or it is escalated already
    pair = await uow.safety.pair(checkin.pair_id)
    session = await uow.sessions.get(checkin.session_id)
    if pair is None or session is None:
        return
    if act is CheckInAct.ESCALATE:
        escalation = await alarms.open_escalation(
            uow,
            session,
            EscalationKind.MISSED_CHECKIN,
            alarms.pair_subject(pair),
            config=config,
            now=now,
            checkin_id=checkin.id,
            detail=AlertDetail(seq=checkin.seq, total=checkin.total, due_at=checkin.due_at),
        )
        await uow.safety.link_checkin(checkin.id, escalation.id)
        return
    prompt = CheckInPrompt if act is CheckInAct.PROMPT else CheckInReminder
    for member in pair.members:
        if member.telegram_id is None:
            continue
        partners = [m.name for m in pair.members if m.volunteer_id != member.volunteer_id]
        await uow.outbox.add(
            Notice(
                chat_id=member.telegram_id,
                payload=prompt(
                    checkin_id=checkin.id,
                    seq=checkin.seq,
                    total=checkin.total,
                    due_at=checkin.due_at,
                    partners=tuple(partners),
                ),
                dedupe_key=f"{prompt.KIND}:{checkin.id}:{member.volunteer_id}",
                ref_kind=CHECKIN_REF,
                ref_id=checkin.id,
            ),
            now=now,
            due_at=None,
        )
    await uow.safety.log(
        checkin.session_id,
        "prompt" if act is CheckInAct.PROMPT else "reminder",
        at=now,
        detail=f"check-in {checkin.seq}/{checkin.total} to {pair.names}",
        pair_id=pair.id,
    )


async def _home_timer(
    uow: UnitOfWork, timer: Timer, *, config: RotaConfig, now: dtm.datetime
) -> None:
    home = await uow.safety.home_safe(timer.ref_id)
    act = rules.home_timer_act(timer.kind, home)
    if home is None or act is CheckInAct.NOTHING:
        return  # home safe already, or escalated already
    volunteer = await uow.volunteers.get(home.volunteer_id)
    session = await uow.sessions.get(home.session_id)
    if volunteer is None or session is None:
        return
    if act is CheckInAct.ESCALATE:
        escalation = await alarms.open_escalation(
            uow,
            session,
            EscalationKind.HOME_SAFE,
            alarms.person_subject(volunteer, None),
            config=config,
            now=now,
            home_safe_id=home.id,
            detail=AlertDetail(due_at=home.due_at),
        )
        await uow.safety.link_home_safe(home.id, escalation.id)
        return
    if volunteer.telegram_id is not None:
        await uow.outbox.add(
            Notice(
                chat_id=volunteer.telegram_id,
                payload=HomeReminder(home_safe_id=home.id, due_at=home.due_at),
                dedupe_key=f"home_reminder:{home.id}",
                ref_kind=HOME_REF,
                ref_id=home.id,
            ),
            now=now,
            due_at=None,
        )
    await uow.safety.log(
        session.id,
        "home_reminder",
        at=now,
        detail=volunteer.display_name,
        volunteer_id=volunteer.id,
    )
