"""Pure time rules for the live board: what state a pair is in at a given instant."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Sequence

from rota.kernel.template import CheckInPlan
from rota.safety.model import CheckIn, CheckInState, Escalation, EscalationState


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
    return "late" if now >= missed.due_at + plan.grace else "due"
