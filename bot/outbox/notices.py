"""Turn an outbox row into what Telegram should show: text and buttons, or a location.

Each feature registers its renderers with `bot.outbox.registry.renders`; importing them all
here, and checking at import that every payload type has one, means a kind with no renderer
fails when the bot starts (and in the tests), not at 3 am.
"""

from __future__ import annotations

from bot import texts
from bot.briefings import notices as briefing_notices
from bot.outbox.outgoing import Outgoing
from bot.outbox.registry import Shown, entries
from bot.outbox.registry import render as render_payload
from bot.reports import notices as report_notices
from bot.roster import notices as rota_notices
from bot.safety import keyboards as safety_keyboards
from bot.safety import notices as safety_notices
from bot.staffing import notices as staffing_notices
from rota.kernel import notice_codec as codec
from rota.kernel.outbox import UNKNOWN_OUTCOME, OutboxItem
from rota.safety.notices import ALERT_KINDS, AlertLocation

FEATURES = (briefing_notices, report_notices, rota_notices, safety_notices, staffing_notices)
# Sent again when the outcome is unknown: a doubled alarm beats a lost one.
ALARM_KINDS = frozenset({*ALERT_KINDS, AlertLocation.KIND})
LIVE_PERIOD = safety_notices.LIVE_PERIOD


def missing_renderers() -> list[str]:
    """Payload types that no feature renders (should be none)."""
    rendered = entries()
    return sorted(cls.__name__ for cls in codec.payload_types() if cls not in rendered)


_MISSING = missing_renderers()
if _MISSING:
    raise ImportError(f"notice payload types with no renderer: {', '.join(_MISSING)}")


def fallback(item: OutboxItem) -> Outgoing | None:
    """A plain alarm when the full one cannot be rendered: an alarm is never dropped."""
    if item.kind not in ALERT_KINDS:
        return None
    # Read by hand, on purpose: the typed reader just failed on this row.
    escalation = item.payload.get("escalation_id")
    try:
        markup = safety_keyboards.alert(int(str(escalation))) if escalation is not None else None
    except ValueError:
        markup = None
    names = texts.esc(str(item.payload.get("names", "a walking pair")))
    return Outgoing(
        f"🚨 <b>ALERT about {names}</b>. The details could not be shown: "
        "open /tonight now and contact them.",
        markup,
    )


def is_repeat(item: OutboxItem) -> bool:
    """Whether an earlier send of this row may have arrived (its outcome was unknown)."""
    return item.attempts > 1 and (item.last_error or "").startswith(UNKNOWN_OUTCOME)


def render(item: OutboxItem, zone: str) -> Outgoing:
    """Render a row; raises KeyError/ValueError/TypeError for a row this version cannot show."""
    payload = codec.decode(item.kind, item.payload)
    return render_payload(payload, Shown(zone=zone, repeat=is_repeat(item)))
