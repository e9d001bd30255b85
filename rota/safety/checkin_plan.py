"""A session's check-in plan: the template's, with a coordinator's per-session overrides."""

from __future__ import annotations

import dataclasses
import datetime as dtm
import json

from rota.kernel.durations import format_duration, parse_duration
from rota.kernel.errors import InvalidInput
from rota.kernel.template import CheckInPlan
from rota.safety.refusals import SafetyRefusal

# When a check-in counts is a decision, so it lives with the other rules; named here too
# for callers that still import it from the plan.
from rota.safety.rules import counts_from as counts_from
from rota.safety.rules import may_check_in as may_check_in

OVERRIDABLE = ("interval", "grace", "escalate_after", "reescalate_after", "home_safe_within")


def effective_plan(template_plan: CheckInPlan, override_json: str | None) -> CheckInPlan:
    """The template's plan with the session's stored overrides applied."""
    if not override_json:
        return template_plan
    values = json.loads(override_json)
    plan = template_plan
    for key, seconds in values.items():
        if key in OVERRIDABLE:
            plan = dataclasses.replace(plan, **{key: dtm.timedelta(seconds=seconds)})  # type: ignore[arg-type]
    return plan


def parse_overrides(words: list[str], base: CheckInPlan) -> tuple[CheckInPlan, str]:
    """Read `interval=20m grace=5m` as typed by a coordinator; returns the plan and its JSON.

    Raises:
        InvalidInput: an unknown key, a bad duration, or a plan whose reminder would not come
            before its escalation.
    """
    plan = base
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or key not in OVERRIDABLE:
            raise InvalidInput(SafetyRefusal.NOT_A_SETTING, word=word[:40], keys=OVERRIDABLE)
        try:
            duration = parse_duration(value)
        except ValueError:
            raise InvalidInput(SafetyRefusal.NOT_A_DURATION, text=value) from None
        plan = dataclasses.replace(plan, **{key: duration})  # type: ignore[arg-type]
    for key in ("interval", "escalate_after", "reescalate_after"):
        if getattr(plan, key) <= dtm.timedelta(0):
            raise InvalidInput(SafetyRefusal.MUST_BE_POSITIVE, key=key)
    if plan.grace >= plan.escalate_after:
        raise InvalidInput(SafetyRefusal.GRACE_TOO_LONG)
    stored = {k: int(getattr(plan, k).total_seconds()) for k in OVERRIDABLE}
    return plan, json.dumps(stored, sort_keys=True)


def due_times(
    starts_at: dtm.datetime, ends_at: dtm.datetime, interval: dtm.timedelta
) -> list[dtm.datetime]:
    """Check-ins at start+interval, start+2*interval... strictly before the end."""
    times = []
    due = starts_at + interval
    while due < ends_at:
        times.append(due)
        due += interval
    return times


def describe(plan: CheckInPlan) -> str:
    """The plan in plain words, for coordinators and briefings."""
    return (
        f"check in every {format_duration(plan.interval)}; a reminder after "
        f"{format_duration(plan.grace)}; the on-call coordinator is alerted after "
        f"{format_duration(plan.escalate_after)}, then everyone every "
        f"{format_duration(plan.reescalate_after)} until someone acknowledges; "
        f"home safe within {format_duration(plan.home_safe_within)} of the end"
    )
