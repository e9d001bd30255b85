"""reply_markup as Telegram checks it: inline and reply keyboards, one action per button.

The bot's buttons carry every safety action, so a keyboard Telegram would refuse (callback data
over 64 bytes, a button with no action) must fail here too.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .wire import (
    BAD_MARKUP,
    BUTTON_DATA_INVALID,
    BUTTON_URL_INVALID,
    JSON,
    MAX_CALLBACK_DATA_BYTES,
    bad,
)

_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _check_inline_button(button: Any) -> None:
    """One action per button; callback data 1-64 bytes; URLs Telegram would open."""
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad(BAD_MARKUP)
    actions = [key for key in _BUTTON_ACTIONS if key in button]
    if len(actions) != 1:
        raise bad(BAD_MARKUP)
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str):
            raise bad(BAD_MARKUP)
        if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise bad(BUTTON_DATA_INVALID)
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
            raise bad(BUTTON_URL_INVALID)


def check_markup(value: Any, *, inline_only: bool = False) -> JSON | None:
    """Validate reply_markup like Telegram does; returns the parsed dict to store and echo."""
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise bad(BAD_MARKUP)
    if "inline_keyboard" in value:
        rows = value["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad(BAD_MARKUP)
        for row in rows:
            for button in row:
                _check_inline_button(button)
        return copy.deepcopy(value)
    if inline_only:
        raise bad(BAD_MARKUP)
    if "keyboard" in value:
        rows = value["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad(BAD_MARKUP)
        for row in rows:
            for button in row:
                if isinstance(button, str):
                    continue
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise bad(BAD_MARKUP)
        return copy.deepcopy(value)
    if value.get("remove_keyboard") is True or value.get("force_reply") is True:
        return copy.deepcopy(value)
    raise bad(BAD_MARKUP)


def same_markup(a: JSON | None, b: JSON | None) -> bool:
    """An empty inline keyboard is the same as none, as far as 'not modified' goes."""

    def norm(markup: JSON | None) -> JSON | None:
        if markup is not None and markup.get("inline_keyboard") in ([], [[]]):
            return None
        return markup

    return norm(a) == norm(b)
