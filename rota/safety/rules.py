"""The safety rules as pure functions: who an alarm reaches, and when a check-in needs what.

Plain values in, decisions out: no repositories, no unit of work, no awaiting, and `now` is
always passed in (UTC). alarms.py, timers.py, walks.py and checkins.py gather the inputs,
call these, and write the outcome; the unit tests in tests/unit/test_safety_rules.py pin
every branch without a database.
"""

from __future__ import annotations

import datetime as dtm
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from rota.kernel.template import CheckInPlan
from rota.roster.model import RosterEntry, SignUpStatus
from rota.safety.model import (
    Audience,
    CheckIn,
    CheckInState,
    Escalation,
    EscalationKind,
    EscalationState,
    HomeSafe,
    TimerKind,
)

# --- the escalation chain ------------------------------------------------------------------

ALL_STEPS = 99  # an SOS: everyone in the chain at once
# Alarms that go to every step at once and never climb: nobody should wait on one person.
AT_ONCE = frozenset({EscalationKind.SOS, EscalationKind.DURESS})
TEAM_STEP = 3  # from this step on the team chat hears too; later steps repeat it


@dataclass(frozen=True, slots=True)
class ChainPeople:
    """Everyone an alarm's chain can reach, as private chat ids (and the team chat's id).

    Each list is in the order the repositories give it; the chain keeps the first place of
    anyone who appears twice (an on-call who is also a coordinator gets one alert).
    """

    oncall: Sequence[int]
    leads: Sequence[int]
    coordinators: Sequence[int]
    team_chat: int | None = None


@dataclass(frozen=True, slots=True)
class NextStep:
    """The step an unacknowledged alarm climbs to next, and when."""

    step: int
    due_at: dtm.datetime


def reachable_chats(holders: Sequence[RosterEntry]) -> list[int]:
    """The private chats of the people confirmed in one role: who that role's step can reach.

    A waitlisted or withdrawn sign-up holds no role tonight, and someone with no Telegram
    chat on record cannot be alerted at all; both are left out, so a role with nobody
    reachable counts as nobody in it (and the first step falls back to the coordinators).
    """
    return [
        e.volunteer.telegram_id
        for e in holders
        if e.signup.status is SignUpStatus.CONFIRMED and e.volunteer.telegram_id is not None
    ]


def chain_recipients(step: int, kind: EscalationKind, people: ChainPeople) -> list[int]:
    """The chats alerted at this step, each once, in a stable order.

    Step 1 is the on-call coordinator, or every coordinator when nobody reachable holds that
    role. Step 2 is the on-call, the team lead and every coordinator. Step 3 and later add
    the team chat (if there is one); without it they repeat step 2. A duress alert, at any
    step, goes to the on-call and the coordinators only: never the team chat, and never the
    lead who may be standing next to whoever has the phone.
    """
    if kind is EscalationKind.DURESS:
        chats = [*people.oncall, *people.coordinators]
    elif step <= 1:
        chats = list(people.oncall or people.coordinators)
    else:
        chats = [*people.oncall, *people.leads, *people.coordinators]
        if step >= TEAM_STEP and people.team_chat is not None:
            chats.append(people.team_chat)
    return list(dict.fromkeys(chats))


def chain_class(step: int, kind: EscalationKind) -> tuple[int, bool]:
    """What `chain_recipients` depends on besides the people: steps that get the same chats.

    Every step from the team step on is the same chain (an SOS's ALL_STEPS too), and only a
    duress alert changes who is in it; callers remember the chats per class.
    """
    return min(step, TEAM_STEP), kind is EscalationKind.DURESS


def audience(chat_id: int, team_chat: int | None) -> Audience:
    """Whether a chat of the chain gets the details (phones, places) or only who and what.

    People act on an alarm in their private chats; any group only hears of it. Telegram's
    group ids are negative, so no group gets the details even if one were in the chain by
    mistake (a team chat adopted by /postrota, or a changed setting).
    """
    if chat_id == team_chat or chat_id < 0:
        return Audience.TEAM
    return Audience.RESPONDERS


def first_step(kind: EscalationKind) -> int:
    """The step an alarm opens at: 1, or every step at once for an SOS or a duress alert."""
    return ALL_STEPS if kind in AT_ONCE else 1


def next_step(
    kind: EscalationKind, step: int, plan: CheckInPlan, now: dtm.datetime
) -> NextStep | None:
    """When an alarm alerted at `step` now climbs again if nobody acknowledges it.

    Args:
        kind: the alarm's kind; an SOS or duress alert already reached everyone and never
            climbs (None).
        step: the step just alerted.
        plan: the session's check-in plan; its `reescalate_after` is the gap between steps.
        now: when that step was alerted (UTC). The gap is elapsed time, so a clock change
            in the night neither shortens nor stretches it.
    """
    if kind in AT_ONCE:
        return None
    return NextStep(step + 1, now + plan.reescalate_after)


def may_climb(escalation: Escalation | None) -> bool:
    """Whether a re-escalation timer still climbs: only while nobody has acknowledged it."""
    return escalation is not None and escalation.state is EscalationState.OPEN


def skip_ahead_when_unreachable(escalation: Escalation) -> bool:
    """Whether an alert that could not be delivered (a 403) brings the next step forward.

    Only the first step waits on the on-call alone, so only there does a 403 bring the next
    step forward. From step 2 on everyone else has it already; moving on again would race
    through every step, one per sweep, each time the unreachable person is tried again.
    """
    return escalation.state is EscalationState.OPEN and escalation.step <= 1


# --- check-ins: due, late, escalate ----------------------------------------------------------


class CheckInAct(StrEnum):
    """What a check-in's (or home-safe's) timer does when it fires."""

    NOTHING = "nothing"
    PROMPT = "prompt"
    REMIND = "remind"
    ESCALATE = "escalate"


@dataclass(frozen=True, slots=True)
class CheckInCall:
    """What one check-in calls for at one instant."""

    due: bool  # its time has come: the pair is asked
    late: bool  # the grace has run out too: the reminder is owed
    escalate: bool  # the escalation gap has run out and no alarm is open for it yet
    next_at: dtm.datetime | None  # when the answer next changes; None: it never will


def checkin_timers(
    due_at: dtm.datetime, plan: CheckInPlan
) -> tuple[tuple[TimerKind, dtm.datetime], ...]:
    """The prompt, reminder and escalation instants of a check-in due at `due_at`.

    Args:
        due_at: when the check-in is due (UTC).
        plan: the plan in force; `grace` is the reminder's gap, `escalate_after` the alarm's,
            both elapsed time after `due_at` (a clock change does not move them).
    """
    return (
        (TimerKind.PROMPT, due_at),
        (TimerKind.REMIND, due_at + plan.grace),
        (TimerKind.ESCALATE, due_at + plan.escalate_after),
    )


def judge_checkin(checkin: CheckIn, plan: CheckInPlan, now: dtm.datetime) -> CheckInCall:
    """Whether a check-in is due, late or must escalate at `now`, and when that next changes.

    Each threshold counts from its instant on: exactly at `due_at` it is due, exactly at
    `due_at + grace` it is late. A check-in answered or called off calls for nothing.

    Args:
        checkin: the check-in, with its state and any alarm already opened for it.
        plan: the plan in force (grace and escalate_after).
        now: the instant to judge at (UTC).
    """
    if checkin.state is not CheckInState.OPEN:
        return CheckInCall(due=False, late=False, escalate=False, next_at=None)
    marks = checkin_timers(checkin.due_at, plan)
    if checkin.escalation_id is not None:  # already escalated: that alarm climbs on its own
        marks = tuple(m for m in marks if m[0] is not TimerKind.ESCALATE)
    passed = {kind for kind, at in marks if at <= now}
    return CheckInCall(
        due=TimerKind.PROMPT in passed,
        late=TimerKind.REMIND in passed,
        escalate=TimerKind.ESCALATE in passed,
        next_at=min((at for _, at in marks if at > now), default=None),
    )


def may_escalate(checkin: CheckIn) -> bool:
    """Whether a missed check-in may open an alarm: still open and not already escalated."""
    return checkin.state is CheckInState.OPEN and checkin.escalation_id is None


def checkin_timer_act(kind: TimerKind, checkin: CheckIn | None) -> CheckInAct:
    """What a check-in timer does when it fires.

    Its instant was fixed when the walk started (`checkin_timers`), so only the check-in's
    state decides now: answered, called off or gone does nothing; an escalation fires once.
    """
    if checkin is None or checkin.state is not CheckInState.OPEN:
        return CheckInAct.NOTHING
    if kind is TimerKind.ESCALATE:
        return CheckInAct.ESCALATE if may_escalate(checkin) else CheckInAct.NOTHING
    if kind is TimerKind.PROMPT:
        return CheckInAct.PROMPT
    if kind is TimerKind.REMIND:
        return CheckInAct.REMIND
    return CheckInAct.NOTHING


def counts_from(due_at: dtm.datetime, plan: CheckInPlan) -> dtm.datetime:
    """When a check-in starts to count: half an interval before it is due.

    Earlier than that, a check-in (/ok twice in a row, or a press of a forged button for a
    later check-in) would close the next one too and leave the pair an interval or more
    unwatched. The button and /ok share this one rule.
    """
    return due_at - plan.interval / 2


def may_check_in(due_at: dtm.datetime, at: dtm.datetime, plan: CheckInPlan) -> bool:
    """Whether a check-in made at `at` counts for the one due at `due_at` (due now or late)."""
    return at >= counts_from(due_at, plan)


# --- home safe -------------------------------------------------------------------------------


def home_safe_due(ends_at: dtm.datetime, plan: CheckInPlan) -> dtm.datetime:
    """When everyone should be home: `home_safe_within` (elapsed time) after the end."""
    return ends_at + plan.home_safe_within


def home_timers(
    due_at: dtm.datetime, plan: CheckInPlan
) -> tuple[tuple[TimerKind, dtm.datetime], ...]:
    """The reminder and alarm instants of a home-safe due at `due_at`.

    The reminder goes at the due time itself; the alarm keeps the check-ins' gap between
    reminder and alarm (`escalate_after - grace`).
    """
    return (
        (TimerKind.HOME_REMIND, due_at),
        (TimerKind.HOME_ESCALATE, due_at + plan.escalate_after - plan.grace),
    )


def home_timer_act(kind: TimerKind, home: HomeSafe | None) -> CheckInAct:
    """What a home-safe timer does when it fires: nothing once they are home."""
    if home is None or home.safe_at is not None:
        return CheckInAct.NOTHING
    if kind is TimerKind.HOME_ESCALATE:
        return CheckInAct.ESCALATE if home.escalation_id is None else CheckInAct.NOTHING
    if kind is TimerKind.HOME_REMIND:
        return CheckInAct.REMIND
    return CheckInAct.NOTHING


# --- the live board: a pair's state at an instant --------------------------------------------


def overdue(checkins: Sequence[CheckIn], now: dtm.datetime) -> CheckIn | None:
    """The pair's earliest open check-in that has fallen due."""
    due = [c for c in checkins if c.state is CheckInState.OPEN and c.due_at <= now]
    return min(due, key=lambda c: c.seq, default=None)


def next_due(checkins: Sequence[CheckIn], now: dtm.datetime) -> CheckIn | None:
    """The pair's next open check-in that has not fallen due yet."""
    ahead = [c for c in checkins if c.state is CheckInState.OPEN and c.due_at > now]
    return min(ahead, key=lambda c: c.seq, default=None)


def last_done(checkins: Sequence[CheckIn]) -> CheckIn | None:
    """The pair's most recent completed check-in."""
    done = [c for c in checkins if c.state is CheckInState.OK and c.checked_at is not None]
    return max(done, key=lambda c: c.checked_at or c.due_at, default=None)


def pair_state(
    checkins: Sequence[CheckIn],
    escalations: dict[int, Escalation],
    plan: CheckInPlan,
    now: dtm.datetime,
) -> str:
    """ok / due / late / escalated / acknowledged / resolved, for one pair at `now`.

    Args:
        checkins: the pair's check-ins.
        escalations: the session's escalations by id.
        plan: the check-in plan in force (its grace decides due vs late).
        now: the instant to judge at (UTC).
    """
    missed = overdue(checkins, now)
    linked = [c.escalation_id for c in checkins if c.escalation_id is not None]
    open_alarm = [
        escalations[i]
        for i in linked
        if i in escalations and escalations[i].state is not EscalationState.RESOLVED
    ]
    if open_alarm:
        return (
            open_alarm[-1].state.value
            if open_alarm[-1].state is EscalationState.ACKNOWLEDGED
            else "escalated"
        )
    if missed is None:
        if any(escalations.get(i) for i in linked):
            return "resolved"
        return "ok"
    return "late" if judge_checkin(missed, plan, now).late else "due"
