"""The escalation chain: who is alerted at each step, and what acknowledging or resolving does.

Step 1 is the session's on-call coordinator (all coordinators if nobody took that role).
Step 2 adds the team lead and every coordinator. Step 3 and later add the team chat, and the
step repeats until someone acknowledges. An SOS goes to every step at once. A duress alert
goes silently to the on-call and the coordinators, never to the pair or the team chat.

Phone numbers and places go only to the people who act (on-call, lead, coordinators): the
team chat's copy says who and what, and that the coordinators have the details. That is
decided here, per chat, so the team chat's outbox rows never even hold them.
"""

from __future__ import annotations

import datetime as dtm
from collections.abc import Sequence
from dataclasses import dataclass

from rota.kernel.config import RotaConfig
from rota.kernel.errors import NotCoordinator, NotFound
from rota.kernel.outbox import Notice
from rota.kernel.uow import UnitOfWork
from rota.people.access import coordinator_chats, iso, load_actor
from rota.people.model import Volunteer
from rota.roster.model import Session
from rota.safety import rules
from rota.safety.checkin_plan import effective_plan
from rota.safety.model import (
    LEAD_ROLE,
    ONCALL_ROLE,
    Audience,
    CheckIn,
    Escalation,
    EscalationKind,
    EscalationState,
    Location,
    NewLogEntry,
    NewTimer,
    Pair,
    TimerKind,
)
from rota.safety.notices import (
    ALERT_KINDS,
    NO_DETAIL,
    Alert,
    AlertDetail,
    AlertLocation,
    AlertLocationMove,
    AlertResolved,
    AlertTaken,
    Followup,
    HomeNews,
    LateCheckIn,
    Member,
    Unreachable,
)
from rota.safety.refusals import SafetyRefusal

ALL_STEPS = rules.ALL_STEPS  # an SOS: everyone in the chain at once
ESCALATION_REF = "escalation"
NEWS_REF = "news"  # rows about an alarm that are not the alert itself (news, moved places)
# A live location moves every few seconds; each responder's copy of it is edited at most
# once per slot, with the latest place (measured: 10 updates -> 1 edit per chat, not 10
# new messages to every chat at alarm priority).
PLACE_EVERY = dtm.timedelta(seconds=10)
_SLOTS_FROM = dtm.datetime(2000, 1, 1, tzinfo=dtm.UTC)
# Alarms about one person whose shared location follows them to the responders.
FOLLOWED = frozenset({EscalationKind.SOS, EscalationKind.DURESS})


@dataclass(frozen=True, slots=True)
class Subject:
    """Who an escalation is about: a pair, or one person (SOS, duress, home-safe)."""

    names: str
    members: list[dict[str, str | None]]
    pair_id: int | None
    volunteer_id: int | None
    member_ids: tuple[int, ...] = ()  # whose shared location the alert may show


async def role_chats(uow: UnitOfWork, session_id: int, role_key: str) -> list[int]:
    """Private chats of the people confirmed in one role of a session."""
    return rules.reachable_chats(await uow.signups.in_role(session_id, role_key))


async def chain_chats(
    uow: UnitOfWork, session: Session, step: int, kind: EscalationKind, config: RotaConfig
) -> list[int]:
    """The chats alerted at this step (decided by `rules.chain_recipients`).

    Remembered for the transaction: a hundred alarms fired together ask the same question.
    """
    key = ("chain", session.id, *rules.chain_class(step, kind))
    known = uow.memo.get(key)
    if isinstance(known, list):
        return list(known)
    chats = await _chain_chats(uow, session, step, kind, config)
    uow.memo[key] = chats
    return list(chats)


async def _chain_chats(
    uow: UnitOfWork, session: Session, step: int, kind: EscalationKind, config: RotaConfig
) -> list[int]:
    """Gather who the chain can reach, then let the rule pick this step's chats."""
    people = rules.ChainPeople(
        oncall=await role_chats(uow, session.id, ONCALL_ROLE),
        leads=await role_chats(uow, session.id, LEAD_ROLE),
        coordinators=await coordinator_chats(uow, config),
        team_chat=config.team_chat_id,
    )
    return rules.chain_recipients(step, kind, people)


def audience_of(chat_id: int, config: RotaConfig) -> Audience:
    """Whether a chat of the chain gets the details (see `rules.audience`)."""
    return rules.audience(chat_id, config.team_chat_id)


def pair_subject(pair: Pair) -> Subject:
    """An escalation about a walking pair."""
    return Subject(
        names=pair.names,
        members=[{"name": m.name, "phone": m.phone} for m in pair.members],
        pair_id=pair.id,
        volunteer_id=None,
        member_ids=tuple(m.volunteer_id for m in pair.members),
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
    others = (
        [m.volunteer_id for m in pair.members if m.volunteer_id != volunteer.id] if pair else []
    )
    return Subject(
        names=volunteer.display_name,
        members=members,
        pair_id=pair.id if pair else None,
        volunteer_id=volunteer.id,
        member_ids=(volunteer.id, *others),
    )


async def last_checkin(uow: UnitOfWork, pair_id: int | None) -> CheckIn | None:
    """The pair's latest completed check-in, for the alert."""
    if pair_id is None:
        return None
    return await uow.safety.last_checkin(pair_id)


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """What an alert says beyond its subject: the last check-in and the last known place."""

    last: CheckIn | None
    last_by: str | None
    latest: Location | None


async def send_alerts(
    uow: UnitOfWork,
    escalation: Escalation,
    session: Session,
    subject: Subject,
    *,
    step: int,
    config: RotaConfig,
    now: dtm.datetime,
    detail: AlertDetail = NO_DETAIL,
) -> list[int]:
    """Record one alert per chat of this step (and the last known location), to go at once."""
    chats = await chain_chats(uow, session, step, escalation.kind, config)
    last = await last_checkin(uow, subject.pair_id)
    last_by = None
    if last is not None and last.checked_by is not None:
        found = await uow.volunteers.get(last.checked_by)
        last_by = found.display_name if found else None
    member_ids = list(subject.member_ids) or await _member_ids(uow, session.id, subject)
    locations = await uow.safety.locations_of(session.id, member_ids)
    facts = AlertFacts(last, last_by, _latest(locations, member_ids))
    await uow.outbox.add_many(
        alert_notices(
            escalation.id,
            session,
            subject,
            facts,
            chats,
            step=step,
            detail=detail,
            kind=escalation.kind,
            config=config,
        ),
        now=now,
    )
    await uow.safety.log_many([step_log(escalation.id, session.id, subject, chats, step, now)])
    return chats


def _latest(locations: dict[int, Location], member_ids: Sequence[int]) -> Location | None:
    return max(
        (locations[v] for v in member_ids if v in locations), key=lambda p: p.at, default=None
    )


def alert_notices(
    escalation_id: int,
    session: Session,
    subject: Subject,
    facts: AlertFacts,
    chats: Sequence[int],
    *,
    step: int,
    detail: AlertDetail,
    config: RotaConfig,
    kind: EscalationKind = EscalationKind.MISSED_CHECKIN,
) -> list[Notice]:
    """The outbox rows of one step of one alarm: the alert (and the last place) per chat.

    Each chat gets what its audience may read: the team chat neither phones nor the place.
    """
    last = facts.last
    alert = Alert(
        escalation_id=escalation_id,
        kind=kind.value,
        step=step,
        names=subject.names,
        members=tuple(
            Member(name=str(m.get("name") or ""), phone=m.get("phone")) for m in subject.members
        ),
        meeting_point=session.meeting_point,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        last_checkin_at=last.checked_at if last else None,
        last_checkin_by=facts.last_by if last else None,
        detail=detail,
    )
    notices = []
    for chat in chats:
        audience = audience_of(chat, config)
        notices.append(
            Notice(
                chat_id=chat,
                # The team chat's copy is a TeamAlert: it has no field for phones or places.
                payload=alert if audience is Audience.RESPONDERS else alert.for_team(),
                dedupe_key=f"alert:{escalation_id}:{step}:{chat}",
                ref_kind=ESCALATION_REF,
                ref_id=escalation_id,
            )
        )
        if facts.latest is not None and audience is Audience.RESPONDERS:
            place = AlertLocation(
                latitude=facts.latest.latitude,
                longitude=facts.latest.longitude,
                at=facts.latest.at,
                # A live location, so the place can move with the person.
                live=kind in FOLLOWED,
            )
            notices.append(
                Notice(
                    chat_id=chat,
                    payload=place,
                    dedupe_key=f"alertloc:{escalation_id}:{step}:{chat}",
                    ref_kind=ESCALATION_REF,
                    ref_id=escalation_id,
                )
            )
    return notices


def step_log(
    escalation_id: int,
    session_id: int,
    subject: Subject,
    chats: Sequence[int],
    step: int,
    now: dtm.datetime,
) -> NewLogEntry:
    """The safety-log line for one step of one alarm."""
    return NewLogEntry(
        session_id,
        "escalation_step",
        at=now,
        detail=f"step {step} to {len(chats)} chat(s): {subject.names}",
        pair_id=subject.pair_id,
        volunteer_id=subject.volunteer_id,
        escalation_id=escalation_id,
    )


async def _member_ids(uow: UnitOfWork, session_id: int, subject: Subject) -> list[int]:
    del session_id  # a pair belongs to one session
    if subject.pair_id is not None:
        pair = await uow.safety.pair(subject.pair_id)
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
    detail: AlertDetail = NO_DETAIL,
) -> Escalation:
    """Open an alarm, alert its first step (or everyone, for SOS) and arm the next step."""
    step = rules.first_step(kind)
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
    plan = effective_plan(config.template.checkins, session.checkin_plan)
    after = rules.next_step(kind, step, plan, now)
    if after is not None:
        await uow.safety.add_timer(
            TimerKind.REESCALATE,
            escalation.id,
            session_id=session.id,
            due_at=after.due_at,
            step=after.step,
        )
    return escalation


async def open_missed_checkins(
    uow: UnitOfWork, checkins: Sequence[CheckIn], *, config: RotaConfig, now: dtm.datetime
) -> list[Escalation]:
    """Open the alarms of many missed check-ins at once: what `open_escalation` does for
    each, in a few statements for them all.

    A radio dead zone, or a whole team missing the same check-in, makes dozens of alarms fall
    due together; one by one they took 23 ms each on SQLite (measured, 100 pairs: 2.3 s before
    the last alert was recorded). Check-ins already answered or already escalated are skipped.
    """
    todo = [c for c in checkins if rules.may_escalate(c)]
    pairs = await uow.safety.pairs_by_ids(sorted({c.pair_id for c in todo}))
    todo = [c for c in todo if c.pair_id in pairs]
    lasts = await uow.safety.last_checkins(sorted(pairs))
    by_ids = sorted({c.checked_by for c in lasts.values() if c.checked_by is not None})
    names = {v.id: v.display_name for v in (await uow.volunteers.many(by_ids)).values()}
    opened: list[Escalation] = []
    for session_id in sorted({c.session_id for c in todo}):
        session = await uow.sessions.get(session_id)
        mine = [c for c in todo if c.session_id == session_id]
        if session is None or not mine:
            continue
        kind = EscalationKind.MISSED_CHECKIN
        chats = await chain_chats(uow, session, 1, kind, config)
        members = [m.volunteer_id for c in mine for m in pairs[c.pair_id].members]
        locations = await uow.safety.locations_of(session_id, members)
        escalations = await uow.safety.open_escalations(
            session_id=session_id,
            kind=kind,
            now=now,
            step=1,
            subjects=[(c.pair_id, None, c.id) for c in mine],
        )
        plan = effective_plan(config.template.checkins, session.checkin_plan)
        notices: list[Notice] = []
        log: list[NewLogEntry] = []
        for escalation, checkin in zip(escalations, mine, strict=True):
            subject = pair_subject(pairs[checkin.pair_id])
            last = lasts.get(checkin.pair_id)
            last_by = names.get(last.checked_by) if last and last.checked_by else None
            facts = AlertFacts(last, last_by, _latest(locations, subject.member_ids))
            detail = AlertDetail(seq=checkin.seq, total=checkin.total, due_at=checkin.due_at)
            notices += alert_notices(
                escalation.id,
                session,
                subject,
                facts,
                chats,
                step=1,
                detail=detail,
                config=config,
                kind=kind,
            )
            log.append(
                NewLogEntry(
                    session_id,
                    f"{kind.value}_opened",
                    at=now,
                    detail=subject.names,
                    pair_id=subject.pair_id,
                    escalation_id=escalation.id,
                )
            )
            log.append(step_log(escalation.id, session_id, subject, chats, 1, now))
        await uow.safety.log_many(log)
        await uow.outbox.add_many(notices, now=now)
        after = rules.next_step(kind, 1, plan, now)
        assert after is not None  # a missed check-in climbs
        await uow.safety.add_new_timers(
            [
                NewTimer(TimerKind.REESCALATE, e.id, session_id, after.due_at, after.step)
                for e in escalations
            ]
        )
        await uow.safety.link_checkins(
            [(c.id, e.id) for c, e in zip(mine, escalations, strict=True)]
        )
        opened += escalations
    return opened


async def subject_of(uow: UnitOfWork, escalation: Escalation) -> Subject:
    """Rebuild who an escalation is about (names and phones as they are now)."""
    pair = await uow.safety.pair(escalation.pair_id) if escalation.pair_id is not None else None
    if escalation.volunteer_id is not None:
        volunteer = await uow.volunteers.get(escalation.volunteer_id)
        if volunteer is not None:
            return person_subject(volunteer, pair)
    if pair is not None:
        return pair_subject(pair)
    return Subject(names="a volunteer", members=[], pair_id=None, volunteer_id=None)


async def alert_detail(uow: UnitOfWork, escalation: Escalation) -> AlertDetail:
    """What the first alert said about the missed check-in or home-safe, for later steps."""
    if escalation.checkin_id is not None:
        checkin = await uow.safety.checkin(escalation.checkin_id)
        if checkin is not None:
            return AlertDetail(seq=checkin.seq, total=checkin.total, due_at=checkin.due_at)
    if escalation.home_safe_id is not None:
        home = await uow.safety.home_safe(escalation.home_safe_id)
        if home is not None:
            return AlertDetail(due_at=home.due_at)
    return NO_DETAIL


async def reescalate(
    uow: UnitOfWork, escalation_id: int, step: int, *, config: RotaConfig, now: dtm.datetime
) -> bool:
    """Climb one step if nobody has acknowledged yet; arm the step after it."""
    escalation = await uow.safety.escalation(escalation_id)
    if escalation is None or not rules.may_climb(escalation):
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
    after = rules.next_step(escalation.kind, step, plan, now)
    if after is not None:
        await uow.safety.add_timer(
            TimerKind.REESCALATE,
            escalation_id,
            session_id=session.id,
            due_at=after.due_at,
            step=after.step,
        )
    return True


async def _alerted_edit(
    uow: UnitOfWork, escalation: Escalation, news: AlertTaken, now: dtm.datetime
) -> None:
    """Update every alert already delivered for this escalation; drop the undelivered ones."""
    await uow.outbox.cancel_pending(
        ESCALATION_REF, escalation.id, [*ALERT_KINDS, AlertLocation.KIND]
    )
    for sent in await uow.outbox.sent_for(ESCALATION_REF, escalation.id):
        if sent.kind not in ALERT_KINDS:
            continue
        await uow.outbox.add(
            Notice(
                chat_id=sent.chat_id,
                payload=news,
                dedupe_key=f"{news.KIND}:{escalation.id}:{sent.outbox_id}",
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
        raise NotCoordinator(SafetyRefusal.ALERTS_COORDINATORS_ONLY)
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
        change = await _take_in(uow, who, escalation_id, now=now, resolving=resolving)
        await uow.commit()
        return change


async def _take_in(
    uow: UnitOfWork, who: Volunteer, escalation_id: int, *, now: dtm.datetime, resolving: bool
) -> AlarmChange:
    """The guarded take, inside the caller's transaction (a digest takes all of its alarms in
    one, so the news of them reaches the outbox together and goes as one message)."""
    escalation = await uow.safety.escalation(escalation_id)
    if escalation is None:
        raise NotFound(SafetyRefusal.ALERT_GONE)
    take = uow.safety.resolve if resolving else uow.safety.acknowledge
    if not await take(escalation_id, by=who.id, at=now):
        return await _unchanged(uow, escalation_id, who)
    await uow.safety.cancel_timers([TimerKind.REESCALATE], [escalation_id])
    subject = await subject_of(uow, escalation)
    await _alerted_edit(
        uow,
        escalation,
        (AlertResolved if resolving else AlertTaken)(
            escalation_id=escalation.id,
            by=who.display_name,
            at=now,
            names=subject.names,
            kind=escalation.kind.value,
        ),
        now,
    )
    # The pair hears a coordinator is on it; never after duress (don't tip off whoever
    # has the phone), and not again when it is resolved.
    if not resolving and escalation.kind is not EscalationKind.DURESS:
        for chat in await _subject_chats(uow, escalation):
            await uow.outbox.add(
                Notice(
                    chat_id=chat,
                    payload=Followup(by=who.display_name),
                    dedupe_key=f"followup:{escalation.id}:{chat}",
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


@dataclass(frozen=True, slots=True)
class ListedChange:
    """What pressing a digest's button did to the alarms that message lists."""

    changed: list[str]  # names of the alarms this press took or resolved
    already: list[str]  # names of those someone else had already taken or resolved


async def take_listed(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    chat_id: int,
    message_id: int,
    config: RotaConfig,
    now: dtm.datetime,
    resolving: bool,
) -> ListedChange:
    """Acknowledge (or resolve) every alarm one delivered digest lists, each as if pressed.

    Which alarms: the ones whose alerts were delivered to this chat as this message, read
    from the outbox, never from the button, so a forged press reaches nothing new.
    """
    async with uow:
        who = await _coordinator(uow, telegram_id, config)
        ids = await uow.outbox.refs_in_message(ESCALATION_REF, chat_id, message_id)
        if not ids:
            raise NotFound(SafetyRefusal.NO_ALERTS_LISTED)
        changed: list[str] = []
        already: list[str] = []
        for escalation_id in ids:
            try:
                change = await _take_in(uow, who, escalation_id, now=now, resolving=resolving)
            except NotFound:
                continue  # forgotten since (/forgetme): nothing to take
            names = (await subject_of(uow, change.escalation)).names
            (changed if change.changed else already).append(names)
        await uow.commit()
    return ListedChange(changed, already)


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


async def tell_alerted(uow: UnitOfWork, news: LateCheckIn | HomeNews, now: dtm.datetime) -> None:
    """A new fact about an open alarm (a late check-in, home safe) for everyone alerted.

    That includes chats whose alert is still queued: it will arrive, so the news must too.
    """
    escalation_id = news.escalation_id
    chats = {s.chat_id for s in await uow.outbox.sent_for(ESCALATION_REF, escalation_id)}
    chats.update(await uow.outbox.queued_chats(ESCALATION_REF, escalation_id, ALERT_KINDS))
    for chat in sorted(chats):
        await uow.outbox.add(
            Notice(
                chat_id=chat,
                payload=news,
                dedupe_key=f"{news.KIND}:{escalation_id}:{chat}:{iso(news.at)}",
                ref_kind=NEWS_REF,
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
    """A 403 on an alert: move to the next step now (`rules.skip_ahead_when_unreachable`),
    and tell the other coordinators."""
    escalation = await uow.safety.escalation(escalation_id)
    if escalation is None or escalation.state is EscalationState.RESOLVED:
        return
    session = await uow.sessions.get(escalation.session_id)
    if session is None:
        return
    if rules.skip_ahead_when_unreachable(escalation):
        await uow.safety.advance_timer(TimerKind.REESCALATE, escalation_id, due_at=now)
    person = await uow.volunteers.by_telegram_id(chat_id)
    name = person.display_name if person else f"chat {chat_id}"
    for chat in await coordinator_chats(uow, config):
        if chat == chat_id:
            continue
        await uow.outbox.add(
            Notice(
                chat_id=chat,
                payload=Unreachable(name=name, escalation_id=escalation_id),
                dedupe_key=f"unreachable:{escalation_id}:{chat_id}:{chat}",
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


def followed_alarm(escalations: Sequence[Escalation], volunteer_id: int) -> Escalation | None:
    """The alarm this person's location now goes with: their SOS (else duress alert) until a
    coordinator resolves it. Acknowledged counts too: whoever took it needs the place most."""
    mine = [
        e
        for e in escalations
        if e.kind in FOLLOWED
        and e.volunteer_id == volunteer_id
        and e.state is not EscalationState.RESOLVED
    ]
    mine.sort(key=lambda e: (e.kind is not EscalationKind.SOS, -e.id))
    return mine[0] if mine else None


def next_place_slot(now: dtm.datetime) -> dtm.datetime:
    """When a moved place goes out: the end of the PLACE_EVERY slot `now` falls in.

    Every update within a slot replaces the one before it, so each chat gets at most one
    edit per slot, always with the latest place, at most PLACE_EVERY late.
    """
    return now + (PLACE_EVERY - (now - _SLOTS_FROM) % PLACE_EVERY)


async def follow_location(
    uow: UnitOfWork,
    escalation: Escalation,
    name: str,
    place: Location,
    *,
    config: RotaConfig,
    now: dtm.datetime,
) -> list[int]:
    """Keep one live location message per responder chat of this alarm, moved by edits.

    A chat whose alert is delivered or on its way gets the place once, as a live location;
    after that each update edits it (at most once a slot) instead of sending a new message.
    The team chat never gets it. Returns the chats the place goes to.
    """
    alerted = {
        s.chat_id
        for s in await uow.outbox.sent_for(ESCALATION_REF, escalation.id)
        if s.kind in ALERT_KINDS
    }
    alerted.update(await uow.outbox.queued_chats(ESCALATION_REF, escalation.id, ALERT_KINDS))
    chats = sorted(c for c in alerted if audience_of(c, config) is Audience.RESPONDERS)
    if not chats:
        return []
    # The latest location message per chat that is delivered or being sent: it gets edited.
    shown = {
        s.chat_id: s.outbox_id
        for s in await uow.outbox.sent_for(ESCALATION_REF, escalation.id, in_flight=True)
        if s.kind == AlertLocation.KIND
    }
    # A move still waiting is overtaken by this one; so is a first message still waiting
    # (it would show an older place): this update goes in their place.
    await uow.outbox.cancel_pending(NEWS_REF, escalation.id, [AlertLocationMove.KIND])
    fresh = [c for c in chats if c not in shown]
    if fresh:
        await uow.outbox.cancel_pending(ESCALATION_REF, escalation.id, [AlertLocation.KIND])
    first = AlertLocation(
        latitude=place.latitude, longitude=place.longitude, at=place.at, name=name, live=True
    )
    move = AlertLocationMove(
        latitude=place.latitude, longitude=place.longitude, at=place.at, name=name, live=True
    )
    # No dedupe keys: a cancelled row keeps its key, and the next update must not clash.
    await uow.outbox.add_many(
        [
            Notice(
                chat_id=chat,
                payload=first,
                ref_kind=ESCALATION_REF,
                ref_id=escalation.id,
            )
            for chat in fresh
        ],
        now=now,
    )
    await uow.outbox.add_many(
        [
            Notice(
                chat_id=chat,
                payload=move,
                ref_kind=NEWS_REF,
                ref_id=escalation.id,
                edit_of=shown[chat],
            )
            for chat in chats
            if chat in shown
        ],
        now=now,
        due_at=next_place_slot(now),
    )
    return chats
