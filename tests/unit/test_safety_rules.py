"""The safety rules without a database: the escalation chain, and due/late/escalate timing.

Every branch of rota/safety/rules.py, the time edges a second either side, and the nights the
UK clocks change (Europe/London: last Sunday of March and of October), where every gap must
be elapsed time, not wall-clock time.
"""

from __future__ import annotations

import ast
import datetime as dtm
import inspect
import itertools
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rota.kernel.template import CheckInPlan
from rota.people.model import Volunteer, VolunteerStatus
from rota.roster.model import Role, RosterEntry, SignUp, SignUpStatus
from rota.safety import rules
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
from rota.safety.rules import ChainPeople, CheckInAct, NextStep

UTC = dtm.UTC
LONDON = ZoneInfo("Europe/London")
SECOND = dtm.timedelta(seconds=1)
PLAN = CheckInPlan(
    interval=dtm.timedelta(minutes=30),
    grace=dtm.timedelta(minutes=5),
    escalate_after=dtm.timedelta(minutes=10),
    reescalate_after=dtm.timedelta(minutes=7),  # unlike every other gap, to tell them apart
    home_safe_within=dtm.timedelta(minutes=90),
)
# The clocks go forward at 01:00 UTC on 28 March 2027 and back at 01:00 UTC on 31 October 2027.
SPRING = dtm.datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
AUTUMN = dtm.datetime(2027, 10, 31, 1, 0, tzinfo=UTC)
NIGHT = dtm.datetime(2027, 1, 15, 20, 0, tzinfo=UTC)  # an ordinary winter night

ONCALL, LEAD, CORA, COLIN, TEAM = 101, 102, 201, 202, -100_555
MISSED = EscalationKind.MISSED_CHECKIN
ALL_KINDS = tuple(EscalationKind)


def people(
    oncall: tuple[int, ...] = (ONCALL,),
    leads: tuple[int, ...] = (LEAD,),
    coordinators: tuple[int, ...] = (CORA, COLIN),
    team_chat: int | None = TEAM,
) -> ChainPeople:
    return ChainPeople(oncall=oncall, leads=leads, coordinators=coordinators, team_chat=team_chat)


def checkin(
    due_at: dtm.datetime = NIGHT,
    *,
    state: CheckInState = CheckInState.OPEN,
    seq: int = 1,
    escalation_id: int | None = None,
    checked_at: dtm.datetime | None = None,
) -> CheckIn:
    return CheckIn(
        id=seq,
        session_id=1,
        pair_id=1,
        seq=seq,
        total=4,
        due_at=due_at,
        state=state,
        checked_at=checked_at,
        checked_by=None,
        escalation_id=escalation_id,
    )


def escalation(
    state: EscalationState = EscalationState.OPEN, *, step: int = 1, id_: int = 7
) -> Escalation:
    return Escalation(
        id=id_,
        session_id=1,
        kind=MISSED,
        pair_id=1,
        volunteer_id=None,
        checkin_id=1,
        home_safe_id=None,
        step=step,
        state=state,
        opened_at=NIGHT,
        acknowledged_by=None,
        acknowledged_at=None,
        resolved_by=None,
        resolved_at=None,
    )


def home(*, safe_at: dtm.datetime | None = None, escalation_id: int | None = None) -> HomeSafe:
    return HomeSafe(
        id=3,
        session_id=1,
        volunteer_id=9,
        due_at=NIGHT,
        safe_at=safe_at,
        escalation_id=escalation_id,
    )


def holder(
    volunteer_id: int, telegram_id: int | None, status: SignUpStatus = SignUpStatus.CONFIRMED
) -> RosterEntry:
    volunteer = Volunteer(
        id=volunteer_id,
        telegram_id=telegram_id,
        display_name=f"V{volunteer_id}",
        username=None,
        phone=None,
        tags=frozenset(),
        status=VolunteerStatus.ACTIVE,
        joined_at=NIGHT,
    )
    role = Role(
        id=1,
        session_id=1,
        key="oncall",
        label="On call",
        capacity=2,
        minimum=1,
        pairs=False,
        requires=frozenset(),
        filled=1,
        position=0,
    )
    signup = SignUp(volunteer_id, 1, 1, volunteer_id, status, NIGHT, NIGHT)
    return RosterEntry(signup=signup, volunteer=volunteer, role=role)


# --- the module stays pure ---------------------------------------------------------------


@pytest.mark.parametrize("module", [rules], ids=["rota.safety.rules"])
def test_the_rules_module_does_no_io(module: object) -> None:
    source = Path(inspect.getfile(module)).read_text()  # type: ignore[arg-type]
    tree = ast.parse(source)
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert imported <= {
        "__future__",
        "datetime",
        "collections.abc",
        "dataclasses",
        "enum",
        "rota.kernel.template",
        "rota.roster.model",
        "rota.safety.model",
    }
    assert not any(isinstance(n, (ast.AsyncFunctionDef, ast.Await)) for n in ast.walk(tree))


# --- who is alerted at each step ---------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "chain", "expected"),
    [
        pytest.param(1, people(), [ONCALL], id="step1-oncall-only"),
        pytest.param(0, people(), [ONCALL], id="step0-as-step1"),
        pytest.param(1, people(oncall=()), [CORA, COLIN], id="step1-no-oncall-all-coordinators"),
        pytest.param(1, people(oncall=(ONCALL, 103)), [ONCALL, 103], id="step1-two-oncall"),
        pytest.param(1, people(oncall=(), coordinators=()), [], id="step1-nobody"),
        pytest.param(2, people(), [ONCALL, LEAD, CORA, COLIN], id="step2-oncall-lead-coords"),
        pytest.param(2, people(oncall=()), [LEAD, CORA, COLIN], id="step2-no-oncall"),
        pytest.param(2, people(leads=()), [ONCALL, CORA, COLIN], id="step2-no-lead"),
        pytest.param(3, people(), [ONCALL, LEAD, CORA, COLIN, TEAM], id="step3-adds-team"),
        pytest.param(3, people(team_chat=None), [ONCALL, LEAD, CORA, COLIN], id="step3-no-team"),
        pytest.param(4, people(), [ONCALL, LEAD, CORA, COLIN, TEAM], id="step4-repeats-3"),
        pytest.param(rules.ALL_STEPS, people(), [ONCALL, LEAD, CORA, COLIN, TEAM], id="all-steps"),
    ],
)
def test_each_step_alerts_its_chats_in_order(
    step: int, chain: ChainPeople, expected: list[int]
) -> None:
    assert rules.chain_recipients(step, MISSED, chain) == expected


@pytest.mark.parametrize("kind", [k for k in ALL_KINDS if k is not EscalationKind.DURESS])
def test_every_kind_but_duress_follows_the_same_chain(kind: EscalationKind) -> None:
    for step in (1, 2, 3, rules.ALL_STEPS):
        assert rules.chain_recipients(step, kind, people()) == rules.chain_recipients(
            step, MISSED, people()
        )


@pytest.mark.parametrize("step", [1, 2, 3, rules.ALL_STEPS])
def test_a_duress_alert_skips_the_lead_and_the_team_chat_at_every_step(step: int) -> None:
    assert rules.chain_recipients(step, EscalationKind.DURESS, people()) == [ONCALL, CORA, COLIN]
    assert rules.chain_recipients(step, EscalationKind.DURESS, people(oncall=())) == [CORA, COLIN]


@pytest.mark.parametrize(
    ("step", "chain", "expected"),
    [
        # the on-call is also a coordinator: one alert, in the on-call's place
        pytest.param(1, people(oncall=(CORA,)), [CORA], id="oncall-coordinator-step1"),
        pytest.param(2, people(oncall=(CORA,)), [CORA, LEAD, COLIN], id="oncall-coord-step2"),
        # the lead is also a coordinator
        pytest.param(2, people(leads=(COLIN,)), [ONCALL, COLIN, CORA], id="lead-coordinator"),
        # the same person listed twice by a repository
        pytest.param(1, people(oncall=(ONCALL, ONCALL)), [ONCALL], id="oncall-twice"),
        # a team chat that is also listed as a coordinator's chat (a misconfiguration)
        pytest.param(
            3, people(coordinators=(CORA, TEAM)), [ONCALL, LEAD, CORA, TEAM], id="team-twice"
        ),
    ],
)
def test_nobody_is_alerted_twice_at_one_step(
    step: int, chain: ChainPeople, expected: list[int]
) -> None:
    assert rules.chain_recipients(step, MISSED, chain) == expected


def test_a_duress_alert_dedupes_an_oncall_coordinator() -> None:
    chain = people(oncall=(CORA,))
    assert rules.chain_recipients(1, EscalationKind.DURESS, chain) == [CORA, COLIN]


def test_the_chain_has_no_exception_for_the_person_the_alarm_is_about() -> None:
    # As before the rules moved: an on-call who raises their own SOS is still alerted (the
    # chain is decided from roles alone; nobody is dropped for being the subject).
    assert ONCALL in rules.chain_recipients(rules.ALL_STEPS, EscalationKind.SOS, people())


def test_only_confirmed_holders_with_a_chat_are_reachable() -> None:
    holders = [
        holder(1, 11),
        holder(2, None),  # no Telegram chat on record
        holder(3, 13, SignUpStatus.WAITLISTED),
        holder(4, 14, SignUpStatus.WITHDRAWN),
        holder(5, 15),
    ]
    assert rules.reachable_chats(holders) == [11, 15]
    assert rules.reachable_chats([]) == []


def test_an_oncall_nobody_can_reach_falls_back_to_every_coordinator() -> None:
    oncall = rules.reachable_chats([holder(1, None), holder(2, 12, SignUpStatus.WAITLISTED)])
    assert rules.chain_recipients(1, MISSED, people(oncall=tuple(oncall))) == [CORA, COLIN]


def test_steps_in_one_chain_class_get_the_same_chats() -> None:
    chains = [people(), people(oncall=()), people(team_chat=None), people(leads=(CORA,))]
    steps = (0, 1, 2, 3, 4, 5, rules.ALL_STEPS)
    for chain in chains:
        for (s1, k1), (s2, k2) in itertools.combinations(itertools.product(steps, ALL_KINDS), 2):
            if rules.chain_class(s1, k1) == rules.chain_class(s2, k2):
                assert rules.chain_recipients(s1, k1, chain) == rules.chain_recipients(
                    s2, k2, chain
                ), (s1, k1, s2, k2)


@pytest.mark.parametrize(
    ("step", "kind", "expected"),
    [
        (1, MISSED, (1, False)),
        (2, MISSED, (2, False)),
        (3, MISSED, (3, False)),
        (rules.ALL_STEPS, EscalationKind.SOS, (3, False)),
        (1, EscalationKind.DURESS, (1, True)),
        (rules.ALL_STEPS, EscalationKind.DURESS, (3, True)),
    ],
)
def test_chain_class_separates_what_changes_the_chain(
    step: int, kind: EscalationKind, expected: tuple[int, bool]
) -> None:
    assert rules.chain_class(step, kind) == expected


@pytest.mark.parametrize(
    ("chat", "team_chat", "expected"),
    [
        (TEAM, TEAM, Audience.TEAM),
        (-100_123, TEAM, Audience.TEAM),  # any group, even one not configured
        (-1, None, Audience.TEAM),
        (CORA, TEAM, Audience.RESPONDERS),
        (CORA, None, Audience.RESPONDERS),
        (555, 555, Audience.TEAM),  # a team chat id is the team's even if positive
    ],
)
def test_only_private_chats_of_responders_get_the_details(
    chat: int, team_chat: int | None, expected: Audience
) -> None:
    assert rules.audience(chat, team_chat) is expected


# --- when the chain climbs ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "first"),
    [
        (EscalationKind.MISSED_CHECKIN, 1),
        (EscalationKind.HOME_SAFE, 1),
        (EscalationKind.SOS, rules.ALL_STEPS),
        (EscalationKind.DURESS, rules.ALL_STEPS),
    ],
)
def test_an_sos_or_duress_opens_at_every_step_the_rest_at_step_one(
    kind: EscalationKind, first: int
) -> None:
    assert rules.first_step(kind) == first


@pytest.mark.parametrize("step", [1, 2, 3, 7])
def test_an_unacknowledged_alarm_climbs_one_step_after_the_gap(step: int) -> None:
    assert rules.next_step(MISSED, step, PLAN, NIGHT) == NextStep(
        step + 1, NIGHT + dtm.timedelta(minutes=7)
    )
    assert rules.next_step(EscalationKind.HOME_SAFE, step, PLAN, NIGHT) == NextStep(
        step + 1, NIGHT + PLAN.reescalate_after
    )


@pytest.mark.parametrize("kind", [EscalationKind.SOS, EscalationKind.DURESS])
def test_an_alarm_that_reached_everyone_never_climbs(kind: EscalationKind) -> None:
    assert rules.next_step(kind, rules.ALL_STEPS, PLAN, NIGHT) is None


@pytest.mark.parametrize(
    ("change", "wall_clock_gap"),
    [(SPRING, dtm.timedelta(minutes=67)), (AUTUMN, dtm.timedelta(minutes=-53))],
    ids=["clocks-forward", "clocks-back"],
)
def test_the_gap_between_steps_is_elapsed_time_across_a_clock_change(
    change: dtm.datetime, wall_clock_gap: dtm.timedelta
) -> None:
    alerted = change - dtm.timedelta(minutes=2)
    after = rules.next_step(MISSED, 1, PLAN, alerted)
    assert after is not None
    assert after.due_at - alerted == PLAN.reescalate_after
    assert after.due_at == change + dtm.timedelta(minutes=5)
    local_gap = after.due_at.astimezone(LONDON).replace(tzinfo=None) - alerted.astimezone(
        LONDON
    ).replace(tzinfo=None)
    assert local_gap == wall_clock_gap  # the wall clock jumps; the chain does not


@pytest.mark.parametrize(
    ("found", "climbs"),
    [
        (None, False),
        (escalation(EscalationState.OPEN), True),
        (escalation(EscalationState.ACKNOWLEDGED), False),
        (escalation(EscalationState.RESOLVED), False),
    ],
)
def test_only_an_open_alarm_climbs(found: Escalation | None, climbs: bool) -> None:
    assert rules.may_climb(found) is climbs


@pytest.mark.parametrize(
    ("state", "step", "skips"),
    [
        (EscalationState.OPEN, 1, True),  # only the on-call had it: move on now
        (EscalationState.OPEN, 0, True),
        (EscalationState.OPEN, 2, False),  # everyone else has it already
        (EscalationState.OPEN, 3, False),
        (EscalationState.OPEN, rules.ALL_STEPS, False),
        (EscalationState.ACKNOWLEDGED, 1, False),
        (EscalationState.RESOLVED, 1, False),
    ],
)
def test_an_undeliverable_alert_brings_only_the_first_step_forward(
    state: EscalationState, step: int, skips: bool
) -> None:
    assert rules.skip_ahead_when_unreachable(escalation(state, step=step)) is skips


# --- check-ins: due, late, escalate ------------------------------------------------------


def test_a_checkin_is_prompted_at_due_reminded_after_grace_and_escalated_after_the_gap() -> None:
    assert rules.checkin_timers(NIGHT, PLAN) == (
        (TimerKind.PROMPT, NIGHT),
        (TimerKind.REMIND, NIGHT + dtm.timedelta(minutes=5)),
        (TimerKind.ESCALATE, NIGHT + dtm.timedelta(minutes=10)),
    )


GRACE_AT = NIGHT + PLAN.grace
ESCALATE_AT = NIGHT + PLAN.escalate_after


@pytest.mark.parametrize(
    ("now", "due", "late", "escalate", "next_at"),
    [
        pytest.param(NIGHT - SECOND, False, False, False, NIGHT, id="a-second-before-due"),
        pytest.param(NIGHT, True, False, False, GRACE_AT, id="exactly-due"),
        pytest.param(NIGHT + SECOND, True, False, False, GRACE_AT, id="a-second-after-due"),
        pytest.param(GRACE_AT - SECOND, True, False, False, GRACE_AT, id="before-late"),
        pytest.param(GRACE_AT, True, True, False, ESCALATE_AT, id="exactly-late"),
        pytest.param(GRACE_AT + SECOND, True, True, False, ESCALATE_AT, id="after-late"),
        pytest.param(ESCALATE_AT - SECOND, True, True, False, ESCALATE_AT, id="before-escalate"),
        pytest.param(ESCALATE_AT, True, True, True, None, id="exactly-escalate"),
        pytest.param(ESCALATE_AT + SECOND, True, True, True, None, id="after-escalate"),
    ],
)
def test_an_open_checkin_is_due_then_late_then_escalates(
    now: dtm.datetime, due: bool, late: bool, escalate: bool, next_at: dtm.datetime | None
) -> None:
    assert rules.judge_checkin(checkin(), PLAN, now) == rules.CheckInCall(
        due=due, late=late, escalate=escalate, next_at=next_at
    )


@pytest.mark.parametrize("state", [CheckInState.OK, CheckInState.CANCELLED])
@pytest.mark.parametrize("now", [NIGHT - SECOND, NIGHT, ESCALATE_AT + SECOND])
def test_an_answered_or_called_off_checkin_calls_for_nothing(
    state: CheckInState, now: dtm.datetime
) -> None:
    assert rules.judge_checkin(checkin(state=state), PLAN, now) == rules.CheckInCall(
        due=False, late=False, escalate=False, next_at=None
    )


@pytest.mark.parametrize(
    ("now", "late", "next_at"),
    [
        (GRACE_AT - SECOND, False, GRACE_AT),
        (GRACE_AT, True, None),
        (ESCALATE_AT + SECOND, True, None),
    ],
)
def test_an_escalated_checkin_never_escalates_again(
    now: dtm.datetime, late: bool, next_at: dtm.datetime | None
) -> None:
    call = rules.judge_checkin(checkin(escalation_id=7), PLAN, now)
    assert call == rules.CheckInCall(due=True, late=late, escalate=False, next_at=next_at)


@pytest.mark.parametrize("change", [SPRING, AUTUMN], ids=["clocks-forward", "clocks-back"])
@pytest.mark.parametrize("offset", [-SECOND, dtm.timedelta(0), SECOND])
def test_late_and_escalate_count_elapsed_time_across_a_clock_change(
    change: dtm.datetime, offset: dtm.timedelta
) -> None:
    due = change - dtm.timedelta(minutes=3)  # 00:57 GMT, or 01:57 BST on the way back
    one = checkin(due)
    late_at = due + PLAN.grace  # two minutes after the clocks changed
    escalate_at = due + PLAN.escalate_after
    at_late = rules.judge_checkin(one, PLAN, late_at + offset)
    assert at_late.late is (offset >= dtm.timedelta(0))
    assert at_late.escalate is False
    at_escalate = rules.judge_checkin(one, PLAN, escalate_at + offset)
    assert at_escalate.escalate is (offset >= dtm.timedelta(0))
    assert rules.judge_checkin(one, PLAN, due).next_at == late_at
    assert late_at - due == PLAN.grace


@pytest.mark.parametrize(
    ("one", "may"),
    [
        (checkin(), True),
        (checkin(escalation_id=7), False),
        (checkin(state=CheckInState.OK), False),
        (checkin(state=CheckInState.CANCELLED), False),
    ],
)
def test_only_an_open_checkin_without_an_alarm_may_escalate(one: CheckIn, may: bool) -> None:
    assert rules.may_escalate(one) is may


@pytest.mark.parametrize(
    ("kind", "one", "act"),
    [
        (TimerKind.PROMPT, checkin(), CheckInAct.PROMPT),
        (TimerKind.REMIND, checkin(), CheckInAct.REMIND),
        (TimerKind.ESCALATE, checkin(), CheckInAct.ESCALATE),
        # escalated already: no second alarm, but prompts and reminders still go
        (TimerKind.ESCALATE, checkin(escalation_id=7), CheckInAct.NOTHING),
        (TimerKind.PROMPT, checkin(escalation_id=7), CheckInAct.PROMPT),
        (TimerKind.REMIND, checkin(escalation_id=7), CheckInAct.REMIND),
        # answered, called off or gone: nothing at all
        (TimerKind.PROMPT, checkin(state=CheckInState.OK), CheckInAct.NOTHING),
        (TimerKind.REMIND, checkin(state=CheckInState.OK), CheckInAct.NOTHING),
        (TimerKind.ESCALATE, checkin(state=CheckInState.OK), CheckInAct.NOTHING),
        (TimerKind.ESCALATE, checkin(state=CheckInState.CANCELLED), CheckInAct.NOTHING),
        (TimerKind.PROMPT, None, CheckInAct.NOTHING),
        # not a check-in timer
        (TimerKind.REESCALATE, checkin(), CheckInAct.NOTHING),
        (TimerKind.HOME_REMIND, checkin(), CheckInAct.NOTHING),
    ],
)
def test_a_checkin_timer_acts_only_on_an_open_checkin(
    kind: TimerKind, one: CheckIn | None, act: CheckInAct
) -> None:
    assert rules.checkin_timer_act(kind, one) is act


@pytest.mark.parametrize(
    ("offset", "counts"), [(-SECOND, False), (dtm.timedelta(0), True), (SECOND, True)]
)
def test_a_checkin_counts_from_half_an_interval_before_it_is_due(
    offset: dtm.timedelta, counts: bool
) -> None:
    opens = NIGHT - dtm.timedelta(minutes=15)
    assert rules.counts_from(NIGHT, PLAN) == opens
    assert rules.may_check_in(NIGHT, opens + offset, PLAN) is counts
    assert rules.may_check_in(NIGHT, NIGHT + dtm.timedelta(hours=3), PLAN)  # late counts


def test_the_checkin_window_is_half_an_interval_of_elapsed_time_across_a_clock_change() -> None:
    due = SPRING + dtm.timedelta(minutes=10)  # 02:10 BST; the window opens at 00:55 GMT
    assert rules.counts_from(due, PLAN) == SPRING - dtm.timedelta(minutes=5)
    assert not rules.may_check_in(due, SPRING - dtm.timedelta(minutes=5) - SECOND, PLAN)


# --- home safe ---------------------------------------------------------------------------


def test_home_safe_is_reminded_at_due_and_escalated_after_the_checkins_gap() -> None:
    due = rules.home_safe_due(NIGHT, PLAN)
    assert due == NIGHT + dtm.timedelta(minutes=90)
    assert rules.home_timers(due, PLAN) == (
        (TimerKind.HOME_REMIND, due),
        (TimerKind.HOME_ESCALATE, due + dtm.timedelta(minutes=5)),
    )


def test_home_safe_is_due_ninety_minutes_of_elapsed_time_after_an_end_in_the_repeated_hour() -> (
    None
):
    ends = AUTUMN - dtm.timedelta(minutes=30)  # 01:30 BST, the first of two 01:30s
    due = rules.home_safe_due(ends, PLAN)
    assert due - ends == PLAN.home_safe_within
    assert due.astimezone(LONDON).strftime("%H:%M %Z") == "02:00 GMT"


@pytest.mark.parametrize(
    ("kind", "found", "act"),
    [
        (TimerKind.HOME_REMIND, home(), CheckInAct.REMIND),
        (TimerKind.HOME_ESCALATE, home(), CheckInAct.ESCALATE),
        (TimerKind.HOME_ESCALATE, home(escalation_id=4), CheckInAct.NOTHING),
        (TimerKind.HOME_REMIND, home(escalation_id=4), CheckInAct.REMIND),
        (TimerKind.HOME_REMIND, home(safe_at=NIGHT), CheckInAct.NOTHING),
        (TimerKind.HOME_ESCALATE, home(safe_at=NIGHT), CheckInAct.NOTHING),
        (TimerKind.HOME_ESCALATE, None, CheckInAct.NOTHING),
        (TimerKind.PROMPT, home(), CheckInAct.NOTHING),
    ],
)
def test_a_home_safe_timer_acts_only_until_they_are_home(
    kind: TimerKind, found: HomeSafe | None, act: CheckInAct
) -> None:
    assert rules.home_timer_act(kind, found) is act


# --- the live board ----------------------------------------------------------------------

HOUR = dtm.timedelta(hours=1)
FIRST, SECOND_DUE, THIRD = NIGHT, NIGHT + HOUR, NIGHT + 2 * HOUR


def test_overdue_is_the_earliest_open_checkin_already_due() -> None:
    pair = [
        checkin(FIRST, seq=1, state=CheckInState.OK, checked_at=FIRST),
        checkin(SECOND_DUE, seq=2),
        checkin(THIRD, seq=3),
    ]
    assert rules.overdue(pair, SECOND_DUE - SECOND) is None
    found = rules.overdue(pair, SECOND_DUE)
    assert found is not None
    assert found.seq == 2
    found = rules.overdue(pair, THIRD + SECOND)
    assert found is not None
    assert found.seq == 2


def test_next_due_is_the_next_open_checkin_not_yet_due() -> None:
    pair = [checkin(FIRST, seq=1), checkin(SECOND_DUE, seq=2), checkin(THIRD, seq=3)]
    found = rules.next_due(pair, FIRST)
    assert found is not None
    assert found.seq == 2
    assert rules.next_due(pair, THIRD) is None


def test_last_done_is_the_latest_answered_checkin() -> None:
    pair = [
        checkin(FIRST, seq=1, state=CheckInState.OK, checked_at=FIRST + SECOND),
        checkin(SECOND_DUE, seq=2, state=CheckInState.OK, checked_at=SECOND_DUE + HOUR / 2),
        checkin(THIRD, seq=3, state=CheckInState.OK, checked_at=None),  # no time: ignored
        checkin(THIRD, seq=4),
    ]
    found = rules.last_done(pair)
    assert found is not None
    assert found.seq == 2
    assert rules.last_done([checkin()]) is None


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (NIGHT - SECOND, "ok"),
        (NIGHT, "due"),
        (GRACE_AT - SECOND, "due"),
        (GRACE_AT, "late"),
        (GRACE_AT + SECOND, "late"),
    ],
)
def test_a_pair_is_ok_then_due_then_late(now: dtm.datetime, state: str) -> None:
    assert rules.pair_state([checkin()], {}, PLAN, now) == state


@pytest.mark.parametrize(
    ("alarm", "state"),
    [
        (EscalationState.OPEN, "escalated"),
        (EscalationState.ACKNOWLEDGED, "acknowledged"),
    ],
)
def test_an_alarm_still_open_shows_on_the_board(alarm: EscalationState, state: str) -> None:
    pair = [checkin(escalation_id=7)]
    assert rules.pair_state(pair, {7: escalation(alarm)}, PLAN, ESCALATE_AT) == state


def test_a_resolved_alarm_shows_as_resolved_once_nothing_is_overdue() -> None:
    pair = [checkin(state=CheckInState.OK, escalation_id=7, checked_at=ESCALATE_AT)]
    alarms = {7: escalation(EscalationState.RESOLVED)}
    assert rules.pair_state(pair, alarms, PLAN, ESCALATE_AT + SECOND) == "resolved"
    # ... but a later check-in gone late shows as late, not as the old alarm
    later = [*pair, checkin(SECOND_DUE, seq=2)]
    assert rules.pair_state(later, alarms, PLAN, SECOND_DUE + PLAN.grace) == "late"


def test_an_alarm_the_board_does_not_know_counts_as_none() -> None:
    assert rules.pair_state([checkin(escalation_id=99)], {}, PLAN, NIGHT - SECOND) == "ok"


def test_the_grace_of_the_plan_in_force_decides_late() -> None:
    slow = CheckInPlan(grace=dtm.timedelta(minutes=8), escalate_after=dtm.timedelta(minutes=12))
    assert rules.pair_state([checkin()], {}, slow, GRACE_AT) == "due"
    assert rules.pair_state([checkin()], {}, slow, NIGHT + dtm.timedelta(minutes=8)) == "late"
