"""Before the shift: the day-before reminder, understaffed alerts, and cover requests.

Driven by the clock through :func:`run_due` (every few seconds) and by button presses.

* **Reminder** (milestone ``reminder``, at ``start - reminder_before``): every confirmed
  volunteer is asked "Still coming?". One reminder per person per session, ever: the milestone
  is claimed once, and each person's reminder row is inserted once, in the same transaction as
  the outbox rows. "Can't make it" withdraws through the ordinary rota rules
  (:func:`rota.roster.signups.release`: waitlist promotion, late-notice alerts) or asks for
  cover instead.
* **Understaffed alerts** (milestones ``understaffed_1`` and ``understaffed_2``): when a role is
  below its minimum, there are fewer than two walkers, no team lead, no on-call coordinator, or
  a new walker with no trained partner, the coordinators hear what is missing and the team chat
  gets a call-out with join buttons. A fully staffed session sends nothing.
* **Cover**: a confirmed volunteer asks for cover; every eligible volunteer is offered the
  place; the first to accept takes it in one transaction (a guarded update on the request), the
  requester is told, everyone else's offer is edited to say it has gone. Until then the
  requester stays on the rota.
"""

from __future__ import annotations

import datetime as dtm
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rota.kernel.config import RotaConfig
from rota.kernel.errors import (
    AlreadySignedUp,
    DomainError,
    NotEligible,
    NotSignedUp,
    SessionClosed,
)
from rota.kernel.localtime import local_today
from rota.kernel.notices import SessionFacts
from rota.kernel.outbox import Notice
from rota.kernel.uow import UnitOfWork, UnitOfWorkFactory
from rota.people.access import coordinator_chats, require_volunteer
from rota.people.model import Volunteer
from rota.roster.model import Role, RosterEntry, Session, SignUp, SignUpStatus
from rota.roster.refusals import RosterRefusal
from rota.roster.signups import WithdrawOutcome, ensure_open, release, tags_of
from rota.safety.model import LEAD_ROLE, ONCALL_ROLE
from rota.safety.pairing import TRAINED_TAG, make_pairs
from rota.safety.walks import walkers_of
from rota.staffing import rules
from rota.staffing.model import CoverRequest, CoverState, ReminderAnswer
from rota.staffing.notices import (
    CoverClosed,
    CoverFound,
    CoverOffer,
    CoverSwap,
    Reminder,
    StaffingCallout,
    Understaffed,
)
from rota.staffing.notices import CoverTaken as CoverTakenNotice
from rota.staffing.notices import Need as CalloutNeed
from rota.staffing.refusals import StaffingRefusal

REMINDER = "reminder"
FIRST_ALERT = "understaffed_1"
SECOND_ALERT = "understaffed_2"
SENT = "_sent"  # milestone suffix: that alert found the session short and told people
COVER_REF = "cover"  # outbox ref_kind of cover offers, so they can be edited once taken
OFFER_KINDS = (CoverOffer.KIND,)

MAX_ROW_ID = 2**31 - 1  # ids are 32-bit integers: a bigger one (forged) names no row


def _row_id(value: int) -> int | None:
    """A button's id, or None when no row can have it (PostgreSQL refuses it outright)."""
    return value if 0 < value <= MAX_ROW_ID else None


class CoverUnavailable(DomainError):
    """A cover request that cannot be made, taken or cancelled (already taken, not needed...)."""


# --- what a session is missing (pure) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Need:
    """A role the team chat is asked to fill: how many more, and whether trained."""

    role: Role
    more: int
    trained: bool = False


@dataclass(frozen=True, slots=True)
class Staffing:
    """What a session is missing: sentences for coordinators, roles to call out."""

    missing: tuple[str, ...]
    needs: tuple[Need, ...]

    @property
    def ok(self) -> bool:
        return not self.missing


def _people(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def assess(roles: Sequence[Role], roster: Sequence[RosterEntry]) -> Staffing:
    """Everything a session is short of, in role order; nothing when it is fully staffed.

    Each shortage is said once: a role below its minimum is one line, and "no team lead",
    "no on-call coordinator" and "fewer than 2 walkers" are added only when that line does not
    already say it. A new walker whom the pairing rules cannot give a trained partner is named.
    """
    confirmed = [e for e in roster if e.signup.status is SignUpStatus.CONFIRMED]
    have = Counter(e.role.id for e in confirmed)
    missing: list[str] = []
    more: dict[int, int] = {}
    trained: set[int] = set()
    for role in roles:
        if have[role.id] < role.minimum:
            missing.append(f"{role.label}: {have[role.id]} of the {role.minimum} needed.")
            more[role.id] = role.minimum - have[role.id]
    for key, sentence in ((LEAD_ROLE, "No team lead."), (ONCALL_ROLE, "No on-call coordinator.")):
        keyed = next((r for r in roles if r.key == key), None)
        if keyed is not None and have[keyed.id] == 0 and keyed.id not in more:
            missing.append(sentence)
            more[keyed.id] = 1
    pair_roles = [r for r in roles if r.pairs]
    walkers = walkers_of(list(confirmed))
    if pair_roles:
        # after every walking role reaches its minimum, would there still be fewer than 2?
        at_least = sum(max(have[r.id], r.minimum) for r in pair_roles)
        if at_least < 2:
            missing.append(
                f"Only {_people(len(walkers), 'walker')}: walkers go out in pairs, "
                "so at least 2 are needed."
            )
            first = pair_roles[0]
            more[first.id] = more.get(first.id, 0) + 2 - at_least
        if len(walkers) >= 2:
            pairing = make_pairs(walkers)
            if pairing.unpaired:
                missing.extend(pairing.problems)
                for_trained = [r for r in pair_roles if r.accepts(frozenset({TRAINED_TAG}))]
                if for_trained:
                    trained.add(for_trained[0].id)
                    # one trained walker more can take two of them (as the one trio)
                    more.setdefault(for_trained[0].id, max(1, len(pairing.unpaired) - 1))
    needs = tuple(
        Need(role=r, more=more[r.id], trained=r.id in trained) for r in roles if r.id in more
    )
    return Staffing(missing=tuple(missing), needs=needs)


# --- the clock: reminders, alerts, lapsed requests ---------------------------------------------


async def run_due(fresh: UnitOfWorkFactory, *, config: RotaConfig, now: dtm.datetime) -> int:
    """Do whatever of this feature has fallen due at `now`; returns how many things happened."""
    done = await send_reminders(fresh, config=config, now=now)
    done += await send_staffing_alerts(fresh, config=config, now=now)
    done += await close_lapsed_requests(fresh, now=now)
    return done


async def send_reminders(
    fresh: UnitOfWorkFactory, *, config: RotaConfig, now: dtm.datetime
) -> int:
    """The day-before reminder to every confirmed volunteer of each session now due one.

    A worker that was down until the briefing is due (``send_before``) sends no reminder at
    all: the briefing asks the same people a moment later.
    """
    plan = config.template.briefing
    async with fresh() as uow:
        due = await uow.staffing.sessions_without(
            REMINDER, now=now, until=now + plan.reminder_before
        )
    done = 0
    for session in due:
        async with fresh() as uow:
            if not await uow.safety.claim_milestone(session.id, REMINDER, at=now):
                continue  # another worker (or an earlier run) did it
            late = plan.reminder_before > plan.send_before >= session.starts_at - now
            if late:
                await uow.commit()  # too late to be useful: never send it
                continue
            ahead = local_today(session.starts_at, config.zone) - local_today(now, config.zone)
            facts = SessionFacts.of(session)
            for entry in await uow.signups.roster([session.id]):
                person = entry.volunteer
                if (
                    entry.signup.status is not SignUpStatus.CONFIRMED
                    or person.telegram_id is None
                    or not person.is_active
                    or not await uow.staffing.add_reminder(session.id, person.id, now=now)
                ):
                    continue
                await uow.outbox.add(
                    Notice(
                        chat_id=person.telegram_id,
                        payload=Reminder(
                            session=facts,
                            days=ahead.days,
                            role=entry.role.label,
                            name=person.display_name,
                        ),
                        dedupe_key=f"reminder:{session.id}:{person.id}",
                    ),
                    now=now,
                    due_at=None,
                )
                done += 1
            await uow.commit()
        done += 1
    return done


async def send_staffing_alerts(
    fresh: UnitOfWorkFactory, *, config: RotaConfig, now: dtm.datetime
) -> int:
    """Understaffed alerts for each session whose first or second alert time has come.

    A worker that was down through both alert times sends one alert, not two.
    """
    plan = config.template.briefing
    alerts = (
        (FIRST_ALERT, plan.understaffed_alert_before),
        (SECOND_ALERT, plan.second_understaffed_alert_before),
    )
    candidates: dict[int, Session] = {}
    async with fresh() as uow:
        for name, before in alerts:
            for session in await uow.staffing.sessions_without(name, now=now, until=now + before):
                candidates[session.id] = session
    done = 0
    for session in sorted(candidates.values(), key=lambda s: (s.starts_at, s.id)):
        due = sorted(
            (a for a in alerts if session.starts_at - a[1] <= now), key=lambda a: -a[1]
        )  # earliest alert time first; the last one is the alert to send now
        async with fresh() as uow:
            claimed = [await uow.safety.claim_milestone(session.id, n, at=now) for n, _ in due]
            if not claimed or not claimed[-1]:
                await uow.commit()
                continue
            milestone = due[-1][0]
            # "Still short-staffed" only if an earlier alert really went out (not a quiet one)
            done_before = await uow.safety.milestones(session.id)
            again = any(f"{name}{SENT}" in done_before for name, _ in due[:-1])
            sent = await _alert(
                uow, session, again=again, milestone=milestone, config=config, now=now
            )
            if sent:
                await uow.safety.claim_milestone(session.id, f"{milestone}{SENT}", at=now)
            done += 1 + sent
            await uow.commit()
    return done


async def _alert(
    uow: UnitOfWork,
    session: Session,
    *,
    again: bool,
    milestone: str,
    config: RotaConfig,
    now: dtm.datetime,
) -> int:
    """Record the coordinators' alert and the team chat's call-out; how many notices."""
    roles = await uow.sessions.roles([session.id])
    staffing = assess(roles, await uow.signups.roster([session.id]))
    if staffing.ok:
        return 0
    open_needs = [n for n in staffing.needs if not n.role.is_full]
    team_chat = config.team_chat_id if open_needs else None
    facts = SessionFacts.of(session)
    notices = [
        Notice(
            chat_id=chat,
            payload=Understaffed(
                session=facts,
                local_date=session.local_date,
                again=again,
                missing=tuple(staffing.missing),
                callout=team_chat is not None,
            ),
            dedupe_key=f"understaffed:{session.id}:{milestone}:{chat}",
        )
        for chat in await coordinator_chats(uow, config)
    ]
    if team_chat is not None:
        needs = tuple(
            CalloutNeed(
                role_id=n.role.id,
                key=n.role.key,
                label=n.role.label,
                capacity=n.role.capacity,
                filled=n.role.filled,
                minimum=n.role.minimum,
                position=n.role.position,
                more=n.more,
                trained=n.trained,
            )
            for n in open_needs
        )
        notices.append(
            Notice(
                chat_id=team_chat,
                payload=StaffingCallout(
                    session=facts, local_date=session.local_date, again=again, needs=needs
                ),
                dedupe_key=f"callout:{session.id}:{milestone}",
            )
        )
    for notice in notices:
        await uow.outbox.add(notice, now=now, due_at=None)
    return len(notices)


async def close_lapsed_requests(fresh: UnitOfWorkFactory, *, now: dtm.datetime) -> int:
    """Close open cover requests that can no longer be taken, and edit their offers to say so.

    A request lapses when its session starts or is cancelled, or when the requester gave up
    the shift some other way (/myshifts, or leaving the team).
    """
    async with fresh() as uow:
        lapsed = await uow.staffing.lapsed_cover_requests(now)
    done = 0
    for request in lapsed:
        async with fresh() as uow:
            if not await uow.staffing.set_cover_state(request.id, new=CoverState.CLOSED, now=now):
                continue
            facts = await _cover_facts(uow, request)
            await _retract_offers(uow, request.id, facts, now=now)
            await uow.commit()
            done += 1
    return done


# --- the reminder's buttons ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReminderShift:
    """The shift a reminder is about, as it stands now."""

    session: Session
    role: Role
    signup: SignUp
    volunteer: Volunteer
    late: bool  # withdrawing now would be late notice


def _not_started(session: Session | None, now: dtm.datetime) -> Session:
    if rules.session_bar(session, now) is rules.SessionBar.STARTED:
        raise SessionClosed(RosterRefusal.STARTED_TELL_LEAD)
    return ensure_open(session, now)


async def _reminded_shift(
    uow: UnitOfWork, telegram_id: int, session_id: int, config: RotaConfig, now: dtm.datetime
) -> ReminderShift:
    """The caller's confirmed shift on a session they were reminded about, or a refusal."""
    volunteer = await require_volunteer(uow, telegram_id, config)
    if (
        _row_id(session_id) is None
        or await uow.staffing.reminder(session_id, volunteer.id) is None
    ):
        raise NotSignedUp(StaffingRefusal.REMINDER_NOT_YOURS)
    session = _not_started(await uow.sessions.get(session_id), now)
    signup = await uow.signups.active_for(session.id, volunteer.id)
    if signup is None or signup.status is not SignUpStatus.CONFIRMED:
        raise NotSignedUp(StaffingRefusal.NO_LONGER_DOWN)
    role = await uow.sessions.role(signup.role_id)
    assert role is not None  # roles are deleted only with their session
    late = session.starts_at - now < config.template.late_notice
    return ReminderShift(session, role, signup, volunteer, late)


async def still_coming(
    uow: UnitOfWork, *, telegram_id: int, session_id: int, config: RotaConfig, now: dtm.datetime
) -> ReminderShift:
    """Still coming: record the answer; a cover request still open is no longer needed."""
    async with uow:
        shift = await _reminded_shift(uow, telegram_id, session_id, config, now)
        await uow.staffing.answer_reminder(
            session_id, shift.volunteer.id, ReminderAnswer.COMING, now=now
        )
        await _cancel_open_requests(uow, shift.signup.id, now=now)
        await uow.commit()
        return shift


async def cant_make_it(
    uow: UnitOfWork, *, telegram_id: int, session_id: int, config: RotaConfig, now: dtm.datetime
) -> ReminderShift:
    """Can't make it: only checks and describes the shift; the person confirms next."""
    async with uow:
        return await _reminded_shift(uow, telegram_id, session_id, config, now)


async def withdraw_after_reminder(
    uow: UnitOfWork, *, telegram_id: int, session_id: int, config: RotaConfig, now: dtm.datetime
) -> WithdrawOutcome:
    """Confirmed "Can't make it": withdraw by the rota's rules (promotion, late notice)."""
    async with uow:
        shift = await _reminded_shift(uow, telegram_id, session_id, config, now)
        outcome = await release(
            uow, shift.signup, shift.session, shift.volunteer, config=config, now=now
        )
        await uow.staffing.answer_reminder(
            session_id, shift.volunteer.id, ReminderAnswer.WITHDRAWN, now=now
        )
        await _cancel_open_requests(uow, shift.signup.id, now=now)
        await uow.commit()
        return outcome


async def cover_after_reminder(
    uow: UnitOfWork, *, telegram_id: int, session_id: int, config: RotaConfig, now: dtm.datetime
) -> CoverAsked:
    """Ask for cover instead: the person stays on the rota until someone takes the place."""
    async with uow:
        shift = await _reminded_shift(uow, telegram_id, session_id, config, now)
        asked = await _open_request(
            uow, shift.volunteer, shift.signup, shift.session, shift.role, config, now
        )
        await uow.staffing.answer_reminder(
            session_id, shift.volunteer.id, ReminderAnswer.COVER, now=now
        )
        await uow.commit()
        return asked


# --- cover -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CoverAsked:
    """A new cover request and how many people were asked."""

    request: CoverRequest
    session: Session
    role: Role
    asked: int


@dataclass(frozen=True, slots=True)
class CoverChoice:
    """One of the caller's upcoming confirmed shifts, with its open cover request if any."""

    entry: RosterEntry
    session: Session
    request: CoverRequest | None


@dataclass(frozen=True, slots=True)
class CoverTaken:
    """An accepted cover request: the new place, and whose it was."""

    session: Session
    role: Role
    signup: SignUp
    requester: str


@dataclass(frozen=True, slots=True)
class CoverCancelled:
    """A request the requester took back: they are simply still on the rota."""

    session: Session
    role: Role


async def cover_choices(
    uow: UnitOfWork, *, telegram_id: int, config: RotaConfig, now: dtm.datetime
) -> list[CoverChoice]:
    """/cover: the caller's upcoming confirmed shifts (waitlist spots have no place to hand on)."""
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        entries = [
            e
            for e in await uow.signups.upcoming_for(volunteer.id, now)
            if e.signup.status is SignUpStatus.CONFIRMED
        ]
        sessions = await uow.sessions.many(sorted({e.signup.session_id for e in entries}))
        requests = {
            r.signup_id: r
            for r in await uow.staffing.open_cover_requests([e.signup.id for e in entries])
        }
        return [
            CoverChoice(e, sessions[e.signup.session_id], requests.get(e.signup.id))
            for e in entries
        ]


async def request_cover(
    uow: UnitOfWork, *, telegram_id: int, signup_id: int, config: RotaConfig, now: dtm.datetime
) -> CoverAsked:
    """Ask every eligible volunteer to take one of the caller's confirmed places."""
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        signup = await uow.signups.get(signup_id) if _row_id(signup_id) else None
        if (
            signup is None
            or signup.volunteer_id != volunteer.id
            or signup.status is SignUpStatus.WITHDRAWN
        ):
            raise NotSignedUp(RosterRefusal.NOT_YOUR_SHIFT)
        if signup.status is not SignUpStatus.CONFIRMED:
            raise NotSignedUp(StaffingRefusal.WAITLISTED_NO_PLACE)
        session = _not_started(await uow.sessions.get(signup.session_id), now)
        role = await uow.sessions.role(signup.role_id)
        assert role is not None
        asked = await _open_request(uow, volunteer, signup, session, role, config, now)
        await uow.staffing.answer_reminder(session.id, volunteer.id, ReminderAnswer.COVER, now=now)
        await uow.commit()
        return asked


async def eligible_for(
    uow: UnitOfWork,
    role: Role,
    session: Session,
    *,
    config: RotaConfig,
    requester_id: int | None = None,
) -> list[Volunteer]:
    """Who may cover a place (decided by `rules.cover_candidates`)."""
    on_session = {e.volunteer.id for e in await uow.signups.roster([session.id])}
    team = await uow.volunteers.active()
    return rules.cover_candidates(
        team,
        role,
        tags={v.id: tags_of(v, config) for v in team},
        on_session=on_session,
        requester_id=requester_id,
    )


async def _open_request(
    uow: UnitOfWork,
    volunteer: Volunteer,
    signup: SignUp,
    session: Session,
    role: Role,
    config: RotaConfig,
    now: dtm.datetime,
) -> CoverAsked:
    if await uow.staffing.open_cover_requests([signup.id]):
        raise CoverUnavailable(StaffingRefusal.ALREADY_ASKED)
    candidates = await eligible_for(uow, role, session, config=config, requester_id=volunteer.id)
    if not candidates:
        raise CoverUnavailable(StaffingRefusal.NOBODY_TO_ASK, role=role.label)
    request = await uow.staffing.add_cover_request(
        session_id=session.id, signup_id=signup.id, requester_id=volunteer.id, now=now
    )
    if request is None:  # a double tap racing this one got there first
        raise CoverUnavailable(StaffingRefusal.ALREADY_ASKED)
    await uow.staffing.add_offers(request.id, [v.id for v in candidates])
    payload = CoverOffer(
        session=SessionFacts.of(session),
        request_id=request.id,
        role=role.label,
        requester=volunteer.display_name,
    )
    for person in candidates:
        assert person.telegram_id is not None
        await uow.outbox.add(
            Notice(
                chat_id=person.telegram_id,
                payload=payload,
                dedupe_key=f"cover_offer:{request.id}:{person.id}",
                ref_kind=COVER_REF,
                ref_id=request.id,
            ),
            now=now,
            due_at=None,
        )
    return CoverAsked(request, session, role, len(candidates))


async def accept_cover(
    uow: UnitOfWork, *, telegram_id: int, request_id: int, config: RotaConfig, now: dtm.datetime
) -> CoverTaken:
    """I can cover: the first eligible volunteer to accept takes the place, all at once.

    The request moves open -> taken by a guarded update, so of two people pressing at the same
    moment exactly one wins; in the same transaction the requester's sign-up is withdrawn and
    the new volunteer's confirmed in the same role (the role's count does not change).
    """
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        request = await uow.staffing.cover_request(request_id) if _row_id(request_id) else None
        if request is None or not await uow.staffing.was_offered(request.id, volunteer.id):
            raise NotEligible(StaffingRefusal.OFFER_NOT_YOURS)
        if request.state is CoverState.TAKEN:
            if request.taken_by == volunteer.id:
                raise CoverUnavailable(StaffingRefusal.ALREADY_TAKEN_BY_YOU)
            raise CoverUnavailable(StaffingRefusal.TAKEN)
        if request.state is not CoverState.OPEN:
            raise CoverUnavailable(StaffingRefusal.NOT_NEEDED)
        session = _not_started(await uow.sessions.get(request.session_id), now)
        old = await uow.signups.get(request.signup_id)  # its status is checked by the move
        if old is None:
            raise CoverUnavailable(StaffingRefusal.NOT_NEEDED)
        role = await uow.sessions.role(old.role_id)
        assert role is not None
        bar = rules.take_bar(
            role,
            tags_of(volunteer, config),
            is_requester=volunteer.id == request.requester_id,
            on_session=await uow.signups.active_for(session.id, volunteer.id) is not None,
        )
        if bar is rules.CoverBar.ROLE_TAGS:
            tags = tuple(sorted(role.requires))
            raise NotEligible(StaffingRefusal.COVER_NEEDS_TAG, role=role.label, tags=tags)
        if bar is not None:  # their own place, or already down for that session
            raise AlreadySignedUp(StaffingRefusal.ALREADY_DOWN)
        if not await uow.staffing.set_cover_state(
            request.id, new=CoverState.TAKEN, now=now, taken_by=volunteer.id
        ):
            raise CoverUnavailable(StaffingRefusal.TAKEN)  # someone pressed a moment earlier
        if not await uow.signups.move(
            old.id, expected=SignUpStatus.CONFIRMED, new=SignUpStatus.WITHDRAWN, now=now
        ):
            # the requester withdrew a moment earlier
            raise CoverUnavailable(StaffingRefusal.NOT_NEEDED)
        signup = await uow.signups.add(
            session_id=session.id,
            role_id=role.id,
            volunteer_id=volunteer.id,
            status=SignUpStatus.CONFIRMED,
            now=now,
        )
        requester = await uow.volunteers.get(request.requester_id)
        name = requester.display_name if requester else "someone"
        facts = SessionFacts.of(session)
        by = volunteer.display_name
        if requester is not None and requester.telegram_id is not None:
            await uow.outbox.add(
                Notice(
                    chat_id=requester.telegram_id,
                    payload=CoverFound(session=facts, role=role.label, requester=name, by=by),
                    dedupe_key=f"cover_found:{request.id}",
                ),
                now=now,
                due_at=None,
            )
        if session.starts_at - now < config.template.late_notice:
            for chat in await coordinator_chats(uow, config):
                await uow.outbox.add(
                    Notice(
                        chat_id=chat,
                        payload=CoverSwap(session=facts, role=role.label, requester=name, by=by),
                        dedupe_key=f"cover_swap:{request.id}:{chat}",
                    ),
                    now=now,
                    due_at=None,
                )
        taken = CoverTakenNotice(session=facts, role=role.label, requester=name, by=by)
        await _retract_offers(uow, request.id, taken, now=now, keep=volunteer.telegram_id)
        await uow.team_posts.mark_dirty(now)
        await uow.commit()
        return CoverTaken(session, role, signup, name)


async def cancel_cover(
    uow: UnitOfWork, *, telegram_id: int, request_id: int, config: RotaConfig, now: dtm.datetime
) -> CoverCancelled:
    """The requester takes a request back (they can come after all)."""
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        request = await uow.staffing.cover_request(request_id) if _row_id(request_id) else None
        if request is None or request.requester_id != volunteer.id:
            raise NotSignedUp(StaffingRefusal.REQUEST_NOT_YOURS)
        if request.state is CoverState.TAKEN:
            raise CoverUnavailable(StaffingRefusal.TOO_LATE_TAKEN)
        if not await uow.staffing.set_cover_state(request.id, new=CoverState.CANCELLED, now=now):
            raise CoverUnavailable(StaffingRefusal.REQUEST_CLOSED)
        session, role = await _request_shift(uow, request)
        closed = CoverClosed(session=SessionFacts.of(session), role=role.label)
        await _retract_offers(uow, request.id, closed, now=now)
        await uow.commit()
        return CoverCancelled(session, role)


async def _cancel_open_requests(uow: UnitOfWork, signup_id: int, *, now: dtm.datetime) -> None:
    """The requester answered the reminder themselves: their cover requests are not needed."""
    for request in await uow.staffing.open_cover_requests([signup_id]):
        if await uow.staffing.set_cover_state(request.id, new=CoverState.CANCELLED, now=now):
            facts = await _cover_facts(uow, request)
            await _retract_offers(uow, request.id, facts, now=now)


async def _request_shift(uow: UnitOfWork, request: CoverRequest) -> tuple[Session, Role]:
    """The session and role a request is about (both outlive the request: FK cascade)."""
    session = await uow.sessions.get(request.session_id)
    signup = await uow.signups.get(request.signup_id)
    assert session is not None
    assert signup is not None
    role = await uow.sessions.role(signup.role_id)
    assert role is not None
    return session, role


async def _cover_facts(uow: UnitOfWork, request: CoverRequest) -> CoverClosed:
    session, role = await _request_shift(uow, request)
    return CoverClosed(session=SessionFacts.of(session), role=role.label)


async def _retract_offers(
    uow: UnitOfWork,
    request_id: int,
    payload: CoverClosed | CoverTakenNotice,
    *,
    now: dtm.datetime,
    keep: int | None = None,
) -> None:
    """Drop offers not yet delivered; edit the delivered ones (except `keep`'s) to `payload`."""
    await uow.outbox.cancel_pending(COVER_REF, request_id, OFFER_KINDS)
    # An offer being sent at this very moment will arrive: it gets the edit too, which waits
    # for it to be delivered (the dispatcher retries an edit of a message still on its way).
    for sent in await uow.outbox.sent_for(COVER_REF, request_id, in_flight=True):
        if sent.kind not in OFFER_KINDS or sent.chat_id == keep:
            continue
        await uow.outbox.add(
            Notice(
                chat_id=sent.chat_id,
                payload=payload,
                dedupe_key=f"{payload.KIND}:{sent.outbox_id}",
                edit_of=sent.outbox_id,
            ),
            now=now,
            due_at=None,
        )
