"""Request parameters: wire strings decoded into what the bot meant, and typed getters.

Form values are always strings on the wire; tests assert on ``Call.params`` with real ints,
floats and dicts, and the method handlers read them through the getters below so a bad value
gets the 400 Telegram would send.
"""

from __future__ import annotations

import json
from typing import Any

from .wire import JSON, bad


def _words(text: str) -> frozenset[str]:
    """A set from a space-separated string; keeps the long name lists readable."""
    return frozenset(text.split())


_TEXT_KEYS = _words(
    "text caption callback_query_id parse_mode url action title description address "
    "phone_number first_name last_name language_code emoji question inline_message_id "
    "custom_title data"
)
_JSON_KEYS = _words(
    "reply_markup allowed_updates commands scope entities caption_entities menu_button "
    "link_preview_options reply_parameters media results permissions rights"
)
_INT_KEYS = _words(
    "chat_id message_id offset limit user_id live_period reply_to_message_id "
    "message_thread_id cache_time heading proximity_alert_radius from_chat_id"
)
_FLOAT_KEYS = frozenset({"latitude", "longitude", "horizontal_accuracy", "timeout"})


def decode_value(key: str, value: Any) -> Any:
    """Turn a wire value into what the caller meant (form values are always strings)."""
    if not isinstance(value, str) or key in _TEXT_KEYS:
        return value
    if key in _JSON_KEYS or value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value in ("true", "false"):
        return value == "true"
    if key in _INT_KEYS:
        try:
            return int(value)
        except ValueError:
            return value
    if key in _FLOAT_KEYS:
        try:
            return float(value)
        except ValueError:
            return value
    return value


def int_param(params: JSON, name: str) -> int:
    """A required integer parameter, or the 400 Telegram sends for a missing or bad one."""
    value = params.get(name)
    if value is None or value == "":
        raise bad(f"Bad Request: {name} is empty")
    if isinstance(value, bool):
        raise bad(f"Bad Request: invalid {name} specified")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad(f"Bad Request: invalid {name} specified") from None


def float_param(params: JSON, name: str) -> float:
    """A required number parameter (coordinates), or Telegram's 400."""
    value = params.get(name)
    if value is None or value == "":
        raise bad(f"Bad Request: {name} is empty")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise bad(f"Bad Request: invalid {name} specified") from None


def bool_param(params: JSON, name: str) -> bool:
    """An optional flag; absent means False, as in the Bot API."""
    value = params.get(name, False)
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)
