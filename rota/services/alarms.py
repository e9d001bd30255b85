"""The escalation chain: who is alerted at each step, and what acknowledging or resolving does.

Step 1 is the session's on-call coordinator (all coordinators if nobody took that role).
Step 2 adds the team lead and every coordinator. Step 3 and later add the team chat, and the
step repeats until someone acknowledges. An SOS goes to every step at once. A duress alert
goes silently to the on-call and the coordinators, never to the pair or the team chat.
"""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass

from rota.checkin_plan import effective_plan
from rota.config import RotaConfig
from rota.errors import NotCoordinator, NotFound, SessionClosed
from rota.model import Notice, Session, SignUpStatus, Volunteer
from rota.ports import UnitOfWork
from rota.safety_model import (
    LEAD_ROLE,
    ONCALL_ROLE,
    CheckIn,
    Escalation,
    EscalationKind,
    EscalationState,
    Pair,
    TimerKind,
)
from rota.services.common import coordinator_chats, iso, load_actor

ALL_STEPS = 99  # an SOS: everyone in the chain at once
ALARM_PRIORITY = 0  # alarms jump every queue
ESCALATION_REF = "escalation"


@dataclass(frozen=True, slots=True)
class Subject:
    """Who an escalation is about: a pair, or one person (SOS, duress, home-safe)."""

    names: str
    members: list[dict[str, str | None]]
    pair_id: int | None
    volunteer_id: int | None


async def role_chats(uow: UnitOfWork, session_id: int, role_key: str) -> list[int]:
    """Private chats of the people confirmed in one role of a session."""
    return [
        e.volunteer.telegram_id
        for e in await uow.signups.roster([session_id])
        if e.role.key == role_key
        and e.signup.status is SignUpStatus.CONFIRMED
        and e.volunteer.telegram_id is not None
    ]


async def chain_chats(
    uow: UnitOfWork, session: Session, step: int, kind: EscalationKind, config: RotaConfig
) -> list[int]:
    """The chats alerted at this step, without repeats, in a stable order."""
    oncall = await role_chats(uow, session.id, ONCALL_ROLE)
    coordinators = await coordinator_chats(uow, config)
    if kind is EscalationKind.DURESS:
        chats = oncall + coordinators
    elif step <= 1:
        chats = oncall or coordinators
    else:
        chats = oncall + await role_chats(uow, session.id, LEAD_ROLE) + coordinators
        if step >= 3 and config.team_chat_id is not None:
            chats.append(config.team_chat_id)
    return list(dict.fromkeys(chats))


def pair_subject(pair: Pair) -> Subject:
    """An escalation about a walking pair."""
    return Subject(
        names=pair.names,
        members=[{"name": m.name, "phone": m.phone} for m in pair.members],
        pair_id=pair.id,
        volunteer_id=None,
    )


def person_subject(volunteer: Volunteer, pair: Pair | None) -> Subject:
    """An escalation about one person (with their pair, if they walk in one)."""
    members = [{"name": volunteer.display_name, "phone": volunteer.phone}]
    if pair is not None:
        members += [
            {"name": m.name, "phone": m.phone}
            for m in pair.members
            if m.volunteer_id != volunteer.id
        ]
    return Subject(
        names=volunteer.display_name,
        members=members,
        pair_id=pair.id if pair else None,
        volunteer_id=volunteer.id,
    )


async def last_checkin(uow: UnitOfWork, pair_id: int | None, session_id: int) -> CheckIn | None:
    """The pair's latest completed check-in, for the alert."""
    if pair_id is None:
        return None
    done = [
        c
        for c in await uow.safety.checkins(session_id)
        if c.pair_id == pair_id and c.checked_at is not None
    ]
    return max(done, key=lambda c: c.checked_at or c.due_at, default=None)


async def send_alerts(
    uow: UnitOfWork,
    escalation: Escalation,
    session: Session,
    subject: Subject,
    *,
    step: int,
    config: RotaConfig,
    now: dtm.datetime,
    detail: dict[str, object] | None = None,
) -> list[int]:
    """Record one alert per chat of this step (and the last known location), to go at once."""
    chats = await chain_chats(uow, session, step, escalation.kind, config)
    last = await last_checkin(uow, subject.pair_id, session.id)
    names_by_id: dict[int, str] = {}
    if last is not None and last.checked_by is not None:
        found = await uow.volunteers.get(last.checked_by)
        names_by_id = {last.checked_by: found.display_name} if found else {}
    payload: dict[str, object] = {
        "escalation_id": escalation.id,
        "kind": escalation.kind.value,
        "step": step,
        "names": subject.names,
        "members": subject.members,
        "meeting_point": session.meeting_point,
        "starts_at": iso(session.starts_at),
        "ends_at": iso(session.ends_at),
        "last_checkin_at": iso(last.checked_at) if last and last.checked_at else None,
        "last_checkin_by": names_by_id.get(last.checked_by or 0) if last else None,
    } | (detail or {})
    locations = await uow.safety.locations(session.id)
    member_ids = await _member_ids(uow, session.id, subject)
    latest = max(
        (locations[v] for v in member_ids if v in locations), key=lambda p: p.at, default=None
    )
    for chat in chats:
        await uow.outbox.add(
            Notice(
                kind="alert",
                chat_id=chat,
                payload=payload,
                dedupe_key=f"alert:{escalation.id}:{step}:{chat}",
                priority=ALARM_PRIORITY,
                ref_kind=ESCALATION_REF,
                ref_id=escalation.id,
            ),
            now=now,
            due_at=None,
        )
        if latest is not None:
            await uow.outbox.add(
                Notice(
                    kind="alert_location",
                    chat_id=chat,
                    payload={
                        "latitude": latest.latitude,
                        "longitude": latest.longitude,
                        "at": iso(latest.at),
                    },
                    dedupe_key=f"alertloc:{escalation.id}:{step}:{chat}",
                    priority=ALARM_PRIORITY,
                    ref_kind=ESCALATION_REF,
                    ref_id=escalation.id,
                ),
                now=now,
                due_at=None,
            )
    await uow.safety.log(
        session.id,
        "escalation_step",
        at=now,
        detail=f"step {step} to {len(chats)} chat(s): {subject.names}",
        pair_id=subject.pair_id,
        volunteer_id=subject.volunteer_id,
        escalation_id=escalation.id,
    )
    return chats


async def _member_ids(uow: UnitOfWork, session_id: int, subject: Subject) -> list[int]:
    if subject.pair_id is not None:
        pairs = {p.id: p for p in await uow.safety.pairs(session_id)}
        pair = pairs.get(subject.pair_id)
        if pair is not None:
            return [m.volunteer_id for m in pair.members]
    return [subject.volunteer_id] if subject.volunteer_id is not None else []


async def open_escalation(
    uow: UnitOfWork,
    session: Session,
    kind: EscalationKind,
    subject: Subject,
    *,
    config: RotaConfig,
    now: dtm.datetime,
    checkin_id: int | None = None,
    home_safe_id: int | None = None,
    detail: dict[str, object] | None = None,
) -> Escalation:
    """Open an alarm, alert its first step (or everyone, for SOS) and arm the next step."""
    everyone = kind in (EscalationKind.SOS, EscalationKind.DURESS)
    step = ALL_STEPS if everyone else 1
    escalation = await uow.safety.open_escalation(
        session_id=session.id,
        kind=kind,
        now=now,
        step=step,
        pair_id=subject.pair_id,
        volunteer_id=subject.volunteer_id,
        checkin_id=checkin_id,
        home_safe_id=home_safe_id,
    )
    await uow.safety.log(
        session.id,
        f"{kind.value}_opened",
        at=now,
        detail=subject.names,
        pair_id=subject.pair_id,
        volunteer_id=subject.volunteer_id,
        escalation_id=escalation.id,
    )
    await send_alerts(
        uow, escalation, session, subject, step=step, config=config, now=now, detail=detail
    )
    if not everyone:
        plan = effective_plan(config.template.checkins, session.checkin_plan)
        await uow.safety.add_timer(
            TimerKind.REESCALATE,
            escalation.id,
            session_id=session.id,
            due_at=now + plan.reescalate_after,
            step=2,
        )
    return escalation


async def subject_of(uow: UnitOfWork, escalation: Escalation) -> Subject:
    """Rebuild who an escalation is about (names and phones as they are now)."""
    pairs = {p.id: p for p in await uow.safety.pairs(escalation.session_id)}
    pair = pairs.get(escalation.pair_id) if escalation.pair_id is not None else None
    if escalation.volunteer_id is not None:
        volunteer = await uow.volunteers.get(escalation.volunteer_id)
        if volunteer is not None:
            return person_subject(volunteer, pair)
    if pair is not None:
        return pair_subject(pair)
    return Subject(names="a volunteer", members=[], pair_id=None, volunteer_id=None)


async def alert_detail(uow: UnitOfWork, escalation: Escalation) -> dict[str, object]:
    """What the first alert said about the missed check-in or home-safe, for later steps."""
    if escalation.checkin_id is not None:
        checkin = await uow.safety.checkin(escalation.checkin_id)
        if checkin is not None:
            return {"seq": checkin.seq, "total": checkin.total, "due_at": iso(checkin.due_at)}
    if escalation.home_safe_id is not None:
        home = await uow.safety.home_safe(escalation.home_safe_id)
        if home is not None:
            return {"due_at": iso(home.due_at)}
    return {}


async def reescalate(
    uow: UnitOfWork, escalation_id: int, step: int, *, config: RotaConfig, now: dtm.datetime
) -> bool:
    """Climb one step if nobody has acknowledged yet; arm the step after it."""
    escalation = await uow.safety.escalation(escalation_id)
    if escalation is None or escalation.state is not EscalationState.OPEN:
        return False
    if not await uow.safety.step_escalation(escalation_id, expected=step - 1, new=step):
        return False
    session = await uow.sessions.get(escalation.session_id)
    assert session is not None
    subject = await subject_of(uow, escalation)
    detail = await alert_detail(uow, escalation)
    await send_alerts(
        uow, escalation, session, subject, step=step, config=config, now=now, detail=detail
    )
    plan = effective_plan(config.template.checkins, session.checkin_plan)
    await uow.safety.add_timer(
        TimerKind.REESCALATE,
        escalation_id,
        session_id=session.id,
        due_at=now + plan.reescalate_after,
        step=step + 1,
    )
    return True


async def _alerted_edit(
    uow: UnitOfWork,
    escalation: Escalation,
    kind: str,
    payload: dict[str, object],
    now: dtm.datetime,
) -> None:
    """Update every alert already delivered for this escalation; drop the undelivered ones."""
    await uow.outbox.cancel_pending(ESCALATION_REF, escalation.id, ["alert", "alert_location"])
    for sent in await uow.outbox.sent_for(ESCALATION_REF, escalation.id):
        if sent.kind != "alert":
            continue
        await uow.outbox.add(
            Notice(
                kind=kind,
                chat_id=sent.chat_id,
                payload=payload | {"escalation_id": escalation.id},
                dedupe_key=f"{kind}:{escalation.id}:{sent.outbox_id}",
                priority=ALARM_PRIORITY,
                edit_of=sent.outbox_id,
                ref_kind=ESCALATION_REF,
                ref_id=escalation.id,
            ),
            now=now,
            due_at=None,
        )


async def _coordinator(uow: UnitOfWork, telegram_id: int, config: RotaConfig) -> Volunteer:
    actor = await load_actor(uow, telegram_id, config)
    if not actor.is_coordinator or actor.volunteer is None:
        raise NotCoordinator("Only coordinators can acknowledge or resolve alerts.")
    return actor.volunteer


@dataclass(frozen=True, slots=True)
class AlarmChange:
    """What an acknowledge/resolve did: the escalation now, and who did it."""

    escalation: Escalation
    by: Volunteer
    changed: bool
    taker: str | None = None  # who had already taken or resolved it, when this changed nothing


async def _take(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    escalation_id: int,
    config: RotaConfig,
    now: dtm.datetime,
    resolving: bool,
) -> AlarmChange:
    """Acknowledge or resolve: a guarded update, so the first press wins and the rest see who."""
    async with uow:
        who = await _coordinator(uow, telegram_id, config)
        escalation = await uow.safety.escalation(escalation_id)
        if escalation is None:
            raise NotFound("That alert no longer exists.")
        take = uow.safety.resolve if resolving else uow.safety.acknowledge
        if not await take(escalation_id, by=who.id, at=now):
            return await _unchanged(uow, escalation_id, who)
        await uow.safety.cancel_timers([TimerKind.REESCALATE], [escalation_id])
        subject = await subject_of(uow, escalation)
        await _alerted_edit(
            uow,
            escalation,
            "alert_resolved" if resolving else "alert_taken",
            {
                "by": who.display_name,
                "at": now.isoformat(),
                "names": subject.names,
                "kind": escalation.kind.value,
            },
            now,
        )
        # The pair hears a coordinator is on it; never after duress (don't tip off whoever
        # has the phone), and not again when it is resolved.
        if not resolving and escalation.kind is not EscalationKind.DURESS:
            for chat in await _subject_chats(uow, escalation):
                await uow.outbox.add(
                    Notice(
                        kind="followup",
                        chat_id=chat,
                        payload={"by": who.display_name},
                        dedupe_key=f"followup:{escalation.id}:{chat}",
                        priority=ALARM_PRIORITY,
                    ),
                    now=now,
                    due_at=None,
                )
        verb = "resolved" if resolving else "took"
        await uow.safety.log(
            escalation.session_id,
            "resolved" if resolving else "acknowledged",
            at=now,
            detail=f"{who.display_name} {verb} the alert about {subject.names}",
            escalation_id=escalation.id,
            volunteer_id=who.id,
        )
        await uow.commit()
        current = await uow.safety.escalation(escalation_id)
        assert current is not None
        return AlarmChange(current, who, changed=True)


async def acknowledge(
    uow: UnitOfWork, *, telegram_id: int, escalation_id: int, config: RotaConfig, now: dtm.datetime
) -> AlarmChange:
    """Take an alarm: the first acknowledgement wins; everyone alerted sees who took it."""
    return await _take(
        uow,
        telegram_id=telegram_id,
        escalation_id=escalation_id,
        config=config,
        now=now,
        resolving=False,
    )


async def resolve(
    uow: UnitOfWork, *, telegram_id: int, escalation_id: int, config: RotaConfig, now: dtm.datetime
) -> AlarmChange:
    """Close an alarm: they are safe. Stops the chain and tells everyone alerted."""
    return await _take(
        uow,
        telegram_id=telegram_id,
        escalation_id=escalation_id,
        config=config,
        now=now,
        resolving=True,
    )


async def _unchanged(uow: UnitOfWork, escalation_id: int, who: Volunteer) -> AlarmChange:
    current = await uow.safety.escalation(escalation_id)
    assert current is not None
    taker_id = current.resolved_by or current.acknowledged_by
    taker = await uow.volunteers.get(taker_id) if taker_id else None
    return AlarmChange(current, who, changed=False, taker=taker.display_name if taker else None)


async def _subject_chats(uow: UnitOfWork, escalation: Escalation) -> list[int]:
    ids = await _member_ids(
        uow,
        escalation.session_id,
        Subject("", [], escalation.pair_id, escalation.volunteer_id),
    )
    people = await uow.volunteers.many(ids)
    return [v.telegram_id for v in people.values() if v.telegram_id is not None]


async def tell_alerted(
    uow: UnitOfWork, escalation_id: int, kind: str, payload: dict[str, object], now: dtm.datetime
) -> None:
    """A new fact about an open alarm (a late check-in, home safe) for everyone alerted.

    That includes chats whose alert is still queued: it will arrive, so the news must too.
    """
    chats = {s.chat_id for s in await uow.outbox.sent_for(ESCALATION_REF, escalation_id)}
    chats.update(await uow.outbox.queued_chats(ESCALATION_REF, escalation_id, ["alert"]))
    for chat in sorted(chats):
        await uow.outbox.add(
            Notice(
                kind=kind,
                chat_id=chat,
                payload=payload | {"escalation_id": escalation_id},
                dedupe_key=f"{kind}:{escalation_id}:{chat}:{payload.get('at', '')}",
                priority=ALARM_PRIORITY,
                ref_kind="news",
                ref_id=escalation_id,
            ),
            now=now,
            due_at=None,
        )


async def alert_undeliverable(
    uow: UnitOfWork,
    escalation_id: int,
    chat_id: int,
    *,
    config: RotaConfig,
    now: dtm.datetime,
) -> None:
    """A 403 on an alert: move to the next step now, and tell the other coordinators.

    Only the first step waits on the on-call alone, so only there does a 403 bring the next
    step forward. From step 2 on everyone else has it already; moving on again would race
    through every step, one per sweep, each time the unreachable person is tried again.
    """
    escalation = await uow.safety.escalation(escalation_id)
    if escalation is None or escalation.state is EscalationState.RESOLVED:
        return
    session = await uow.sessions.get(escalation.session_id)
    if session is None:
        return
    if escalation.state is EscalationState.OPEN and escalation.step <= 1:
        await uow.safety.advance_timer(TimerKind.REESCALATE, escalation_id, due_at=now)
    person = await uow.volunteers.by_telegram_id(chat_id)
    name = person.display_name if person else f"chat {chat_id}"
    for chat in await coordinator_chats(uow, config):
        if chat == chat_id:
            continue
        await uow.outbox.add(
            Notice(
                kind="unreachable",
                chat_id=chat,
                payload={"name": name, "escalation_id": escalation_id},
                dedupe_key=f"unreachable:{escalation_id}:{chat_id}:{chat}",
                priority=ALARM_PRIORITY,
            ),
            now=now,
            due_at=None,
        )
    await uow.safety.log(
        session.id,
        "unreachable",
        at=now,
        detail=f"could not alert {name}; moved to the next step",
        escalation_id=escalation_id,
    )


def ensure_walking(session: Session | None) -> Session:
    """Check-ins and alarms belong to a walk that is on."""
    if session is None:
        raise NotFound("That session no longer exists.")
    if session.walk_state not in ("walking",):
        raise SessionClosed("The walk isn't on right now, so there's nothing to check in to.")
    return session
