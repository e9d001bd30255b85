"""Turn an outbox row into what Telegram should show: text and buttons, or a location."""

from __future__ import annotations

from collections.abc import Callable

from bot import (
    briefing_notices,
    keyboards,
    report_notices,
    safety_texts,
    staffing_notices,
    texts,
)
from bot.outgoing import Outgoing
from rota.model import UNKNOWN_OUTCOME, OutboxItem

ALARM_KINDS = frozenset({"alert", "alert_location"})  # sent again when the outcome is unknown
# How long a responder's copy of a walker's place stays live (movable by edits): a day, the
# longest Telegram allows; an alarm is resolved long before.
LIVE_PERIOD = 86400


FEATURE_RENDERERS: tuple[Callable[[OutboxItem, str], Outgoing | None], ...] = (
    briefing_notices.render,
    staffing_notices.render,
    report_notices.render,
)


def fallback(item: OutboxItem) -> Outgoing | None:
    """A plain alarm when the full one cannot be rendered: an alarm is never dropped."""
    if item.kind != "alert":
        return None
    escalation = item.payload.get("escalation_id")
    markup = keyboards.alert(int(str(escalation))) if escalation is not None else None
    names = texts.esc(str(item.payload.get("names", "a walking pair")))
    return Outgoing(
        f"🚨 <b>ALERT about {names}</b>. The details could not be shown: "
        "open /tonight now and contact them.",
        markup,
    )


def _int(payload: dict[str, object], key: str) -> int:
    return int(str(payload[key]))


def render(item: OutboxItem, zone: str) -> Outgoing:
    """Render a notice; raises KeyError/ValueError for a row this version cannot show."""
    p, kind = item.payload, item.kind
    repeat = item.attempts > 1 and (item.last_error or "").startswith(UNKNOWN_OUTCOME)
    match kind:
        case "promoted" | "session_cancelled" | "late_withdrawal" | "left_group":
            return Outgoing(texts.notice(kind, p, zone))
        case "walk_started":
            return Outgoing(safety_texts.walk_started(p, zone))
        case "checkin_prompt" | "checkin_reminder":
            return Outgoing(
                safety_texts.checkin_prompt(p, zone, reminder=kind == "checkin_reminder"),
                keyboards.checkin_prompt(_int(p, "checkin_id")),
            )
        case "checkin_done":
            return Outgoing(safety_texts.checkin_done(p, zone))
        case "alert":
            return Outgoing(
                safety_texts.alert(p, zone, repeat=repeat),
                keyboards.alert(_int(p, "escalation_id")),
            )
        case "alert_location" | "alert_location_move":
            return Outgoing(
                location=(float(str(p["latitude"])), float(str(p["longitude"]))),
                live_period=LIVE_PERIOD if p.get("live") else None,
            )
        case "alert_taken":
            return Outgoing(
                safety_texts.alert_taken(p, zone),
                keyboards.alert(_int(p, "escalation_id"), taken=True),
            )
        case "alert_resolved":
            return Outgoing(safety_texts.alert_resolved(p, zone))
        case "late_checkin":
            return Outgoing(safety_texts.late_checkin(p, zone))
        case "home_news":
            return Outgoing(safety_texts.home_news(p, zone))
        case "followup":
            return Outgoing(safety_texts.followup(p))
        case "unreachable":
            return Outgoing(safety_texts.unreachable(p))
        case "pairs_problem":
            return Outgoing(safety_texts.pairs_problem(p))
        case "walk_over":
            return Outgoing(safety_texts.walk_over(p))
        case "home_prompt" | "home_reminder":
            return Outgoing(
                safety_texts.home_prompt(p, zone, reminder=kind == "home_reminder"),
                keyboards.home_safe(_int(p, "home_safe_id")),
            )
        case "home_done":
            return Outgoing(safety_texts.home_done(p, zone))
        case "started_unreachable":
            return Outgoing(safety_texts.started_unreachable(p))
    for render_feature in FEATURE_RENDERERS:
        out = render_feature(item, zone)
        if out is not None:
            return out
    raise ValueError(f"no rendering for notice kind {kind!r}")
