"""What walkers do: check in (button or /ok), ask for help, say they're home, share a location."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass

from rota.kernel.config import RotaConfig
from rota.kernel.errors import NotFound, NotSignedUp, SessionClosed, TooEarly
from rota.kernel.outbox import Notice
from rota.kernel.uow import UnitOfWork
from rota.people.access import require_volunteer
from rota.people.model import Volunteer
from rota.roster.model import Session, SignUpStatus
from rota.safety import alarms
from rota.safety.checkin_plan import effective_plan
from rota.safety.model import (
    CheckIn,
    CheckInState,
    EscalationKind,
    Location,
    Pair,
    TimerKind,
    WalkState,
)
from rota.safety.notices import (
    CheckInDone,
    CheckInPrompt,
    CheckInReminder,
    HomeDone,
    HomeNews,
    HomePrompt,
    HomeReminder,
    LateCheckIn,
)
from rota.safety.refusals import SafetyRefusal
from rota.safety.rules import may_check_in
from rota.safety.walks import CHECKIN_TIMERS

CHECKIN_REF = "checkin"
HOME_REF = "home"
PROMPT_KINDS = (CheckInPrompt.KIND, CheckInReminder.KIND)
ON_WALK = (WalkState.WALKING.value, WalkState.WALK_OVER.value)  # check-ins can still be open
# Until everyone is home a walker may still need help: SOS, duress and locations count then.
UNTIL_HOME = (*ON_WALK, WalkState.ENDED.value)
HOME_KINDS = (HomePrompt.KIND, HomeReminder.KIND)


@dataclass(frozen=True, slots=True)
class CheckInResult:
    """The check-in after a tap: who closed it and when, and whether this tap did it."""

    checkin: CheckIn
    pair: Pair
    by_name: str
    at: dtm.datetime
    changed: bool


async def _walk_of(
    uow: UnitOfWork, volunteer: Volunteer, now: dtm.datetime, *, states: tuple[str, ...]
) -> tuple[Session, Pair | None] | None:
    """The live session this volunteer is on (and their pair), if any.

    On it means paired, or holding a confirmed place: someone on the waitlist is not out
    with the team tonight, so their /sos or location is not the walk's.
    """
    for session in await uow.safety.live_sessions(now):
        if session.walk_state not in states:
            continue
        pair = await uow.safety.pair_of(session.id, volunteer.id)
        if pair is not None:
            return session, pair
        signup = await uow.signups.active_for(session.id, volunteer.id)
        if signup is not None and signup.status is SignUpStatus.CONFIRMED:
            return session, None
    return None


async def _close(
    uow: UnitOfWork,
    checkin: CheckIn,
    pair: Pair,
    volunteer: Volunteer,
    *,
    at: dtm.datetime,
    now: dtm.datetime,
) -> CheckInResult:
    if not await uow.safety.close_checkin(checkin.id, by=volunteer.id, at=at):
        return await _already(uow, checkin.id, pair)
    await uow.safety.cancel_timers(CHECKIN_TIMERS, [checkin.id])
    await uow.outbox.cancel_pending(CHECKIN_REF, checkin.id, list(PROMPT_KINDS))
    done = CheckInDone(by=volunteer.display_name, at=at, seq=checkin.seq, total=checkin.total)
    # A prompt still being sent counts: it is about to arrive, and must not keep its buttons.
    for sent in await uow.outbox.sent_for(CHECKIN_REF, checkin.id, in_flight=True):
        if sent.kind in PROMPT_KINDS:
            await uow.outbox.add(
                Notice(
                    chat_id=sent.chat_id,
                    payload=done,
                    dedupe_key=f"checkin_done:{sent.outbox_id}",
                    edit_of=sent.outbox_id,
                ),
                now=now,
                due_at=None,
            )
    late = at > checkin.due_at
    if checkin.escalation_id is not None:
        # They answered: the alert stays open for a coordinator to resolve, but stops climbing.
        await uow.safety.cancel_timers([TimerKind.REESCALATE], [checkin.escalation_id])
        await alarms.tell_alerted(
            uow,
            LateCheckIn(
                escalation_id=checkin.escalation_id,
                names=pair.names,
                by=volunteer.display_name,
                at=at,
            ),
            now,
        )
    await uow.safety.log(
        checkin.session_id,
        "checked_in",
        at=at,
        detail=f"{volunteer.display_name} for {pair.names}, check-in {checkin.seq}/"
        f"{checkin.total}{' (late)' if late else ''}",
        pair_id=pair.id,
        volunteer_id=volunteer.id,
        escalation_id=checkin.escalation_id,
    )
    closed = await uow.safety.checkin(checkin.id)
    assert closed is not None
    return CheckInResult(closed, pair, volunteer.display_name, at, changed=True)


async def _already(uow: UnitOfWork, checkin_id: int, pair: Pair) -> CheckInResult:
    checkin = await uow.safety.checkin(checkin_id)
    assert checkin is not None
    by = next((m.name for m in pair.members if m.volunteer_id == checkin.checked_by), "")
    return CheckInResult(checkin, pair, by, checkin.checked_at or checkin.due_at, changed=False)


async def check_in(
    uow: UnitOfWork, *, telegram_id: int, checkin_id: int, config: RotaConfig, now: dtm.datetime
) -> CheckInResult:
    """'We're OK' on a prompt: closes the pair's check-in; a double tap changes nothing."""
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        checkin = await uow.safety.checkin(checkin_id)
        if checkin is None:
            raise NotFound(SafetyRefusal.CHECKIN_GONE)
        pair = await uow.safety.pair(checkin.pair_id)
        if pair is None or not pair.has(volunteer.id):
            raise NotSignedUp(SafetyRefusal.CHECKIN_OTHER_PAIR)
        if checkin.state is CheckInState.OK:
            return await _already(uow, checkin.id, pair)
        if checkin.state is CheckInState.CANCELLED:
            raise SessionClosed(SafetyRefusal.CHECKIN_CALLED_OFF)
        # Telegram does not check callback data: the id may be forged (ids are consecutive).
        # Only a check-in due now or late, on a walk still on, may be closed by a press, so
        # nobody can close the pair's later check-ins and switch their safety net off.
        session = await uow.sessions.get(checkin.session_id)
        if session is None or session.walk_state not in ON_WALK:
            raise SessionClosed(SafetyRefusal.CHECKINS_STOPPED)
        plan = effective_plan(config.template.checkins, session.checkin_plan)
        if not may_check_in(checkin.due_at, now, plan):
            raise TooEarly(SafetyRefusal.CHECKIN_NOT_DUE, due_at=checkin.due_at)
        result = await _close(uow, checkin, pair, volunteer, at=now, now=now)
        await uow.commit()
        return result


async def check_in_now(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    config: RotaConfig,
    now: dtm.datetime,
    sent_at: dtm.datetime | None = None,
) -> CheckInResult:
    """/ok: counts for the pair's next due check-in, at the time the message was sent."""
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        # A walk ended early keeps its overdue check-in open (and escalating): it still counts.
        found = await _walk_of(uow, volunteer, now, states=ON_WALK)
        if found is None or found[1] is None:
            raise SessionClosed(SafetyRefusal.NOT_ON_WALK)
        session, pair = found
        assert pair is not None
        checkin = await uow.safety.next_open_checkin(pair.id)
        if checkin is None:
            raise SessionClosed(SafetyRefusal.NO_MORE_CHECKINS)
        at = min(sent_at or now, now)
        # Early counts only within half an interval of the due time: otherwise two quick /ok
        # in a row would close the next check-in and leave the pair an hour unwatched.
        plan = effective_plan(config.template.checkins, session.checkin_plan)
        if not may_check_in(checkin.due_at, at, plan):
            raise TooEarly(SafetyRefusal.OK_NOT_DUE, due_at=checkin.due_at)
        result = await _close(uow, checkin, pair, volunteer, at=at, now=now)
        await uow.commit()
        return result


@dataclass(frozen=True, slots=True)
class HelpResult:
    """An SOS (or duress) raised, or the one already open."""

    escalation_id: int
    new: bool


async def sos(
    uow: UnitOfWork, *, telegram_id: int, config: RotaConfig, now: dtm.datetime
) -> HelpResult:
    """'Need help' or /sos: everyone in the chain is alerted at once."""
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        found = await _walk_of(
            uow,
            volunteer,
            now,
            states=UNTIL_HOME,
        )
        if found is None:
            raise SessionClosed(SafetyRefusal.NO_SESSION_FOR_SOS)
        session, pair = found
        existing = await uow.safety.open_sos_for(session.id, volunteer.id)
        # A silent duress alert reached the coordinators only: an SOS must still reach everyone.
        if existing is not None and existing.kind is EscalationKind.SOS:
            return HelpResult(existing.id, new=False)
        escalation = await alarms.open_escalation(
            uow,
            session,
            EscalationKind.SOS,
            alarms.person_subject(volunteer, pair),
            config=config,
            now=now,
        )
        await uow.commit()
        return HelpResult(escalation.id, new=True)


async def duress(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    text: str,
    config: RotaConfig,
    now: dtm.datetime,
    sent_at: dtm.datetime | None = None,
) -> dtm.datetime | None:
    """The duress word: look like an ordinary check-in, silently alert the coordinators.

    Returns the check-in time to show, or None if the text is not the duress word (or the
    sender is on no session), in which case nothing happened.
    """
    word = config.template.checkins.duress_word
    if word is None or " ".join(text.lower().split()) != word:
        return None
    async with uow:
        volunteer = await uow.volunteers.by_telegram_id(telegram_id)
        if volunteer is None or not volunteer.is_active:
            return None
        found = await _walk_of(
            uow,
            volunteer,
            now,
            states=UNTIL_HOME,
        )
        if found is None:
            return None
        session, pair = found
        at = min(sent_at or now, now)
        if pair is not None and session.walk_state in ON_WALK:
            checkin = await uow.safety.next_open_checkin(pair.id)
            plan = effective_plan(config.template.checkins, session.checkin_plan)
            # The same window as /ok: a duress word long before a check-in is due must not
            # close it and leave the pair unwatched (the alarm goes out either way).
            if checkin is not None and may_check_in(checkin.due_at, at, plan):
                await _close(uow, checkin, pair, volunteer, at=at, now=now)
        await alarms.open_escalation(
            uow,
            session,
            EscalationKind.DURESS,
            alarms.person_subject(volunteer, pair),
            config=config,
            now=now,
        )
        await uow.commit()
        return at


@dataclass(frozen=True, slots=True)
class HomeResult:
    """A home-safe confirmation."""

    at: dtm.datetime
    changed: bool


async def home_safe(
    uow: UnitOfWork, *, telegram_id: int, home_safe_id: int, config: RotaConfig, now: dtm.datetime
) -> HomeResult:
    """'I'm home safe': stops the reminder and escalation for this person."""
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        home = await uow.safety.home_safe(home_safe_id)
        if home is None or home.volunteer_id != volunteer.id:
            raise NotSignedUp(SafetyRefusal.NOT_YOUR_BUTTON)
        if not await uow.safety.mark_home_safe(home.id, at=now):
            return HomeResult(home.safe_at or now, changed=False)
        await uow.safety.cancel_timers([TimerKind.HOME_REMIND, TimerKind.HOME_ESCALATE], [home.id])
        await uow.outbox.cancel_pending(HOME_REF, home.id, list(HOME_KINDS))
        for sent in await uow.outbox.sent_for(HOME_REF, home.id, in_flight=True):
            if sent.kind in HOME_KINDS:
                await uow.outbox.add(
                    Notice(
                        chat_id=sent.chat_id,
                        payload=HomeDone(at=now),
                        dedupe_key=f"home_done:{sent.outbox_id}",
                        edit_of=sent.outbox_id,
                    ),
                    now=now,
                    due_at=None,
                )
        if home.escalation_id is not None:
            await uow.safety.cancel_timers([TimerKind.REESCALATE], [home.escalation_id])
            await alarms.tell_alerted(
                uow,
                HomeNews(escalation_id=home.escalation_id, name=volunteer.display_name, at=now),
                now,
            )
        await uow.safety.log(
            home.session_id,
            "home_safe",
            at=now,
            detail=volunteer.display_name,
            volunteer_id=volunteer.id,
            escalation_id=home.escalation_id,
        )
        await uow.commit()
        return HomeResult(now, changed=True)


async def share_location(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    latitude: float,
    longitude: float,
    config: RotaConfig,
    now: dtm.datetime,
) -> bool:
    """Keep a walker's latest position; while their SOS is unresolved, it follows the alert.

    Each responder has one live location message for the alert, moved by edits (a live
    location updates every few seconds: one new message each would flood every chat). The
    team chat never gets it. Returns whether it went to the coordinators.
    """
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise NotFound(SafetyRefusal.BAD_LOCATION)
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        found = await _walk_of(
            uow,
            volunteer,
            now,
            states=UNTIL_HOME,
        )
        if found is None:
            raise SessionClosed(SafetyRefusal.LOCATION_NOT_ON_WALK)
        session, pair = found
        alarm = alarms.followed_alarm(await uow.safety.escalations(session.id), volunteer.id)
        if pair is None and alarm is None:
            raise SessionClosed(SafetyRefusal.LOCATION_NOT_WALKING)
        if session.walk_state == WalkState.ENDED and alarm is None:
            raise SessionClosed(SafetyRefusal.LOCATION_WALK_OVER)
        await uow.safety.put_location(
            session.id, volunteer.id, latitude=latitude, longitude=longitude, at=now
        )
        sent_to: list[int] = []
        if alarm is not None:
            place = Location(volunteer.id, latitude, longitude, now)
            sent_to = await alarms.follow_location(
                uow, alarm, volunteer.display_name, place, config=config, now=now
            )
        await uow.commit()
        return bool(sent_to)
