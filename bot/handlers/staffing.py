"""Handlers of the staffing feature."""

from __future__ import annotations

from typing import Any

from telegram import BotCommand

COMMANDS: list[BotCommand] = []  # shown in Telegram's command menu


def handlers() -> list[Any]:
    """This feature's handlers, registered before the fallbacks."""
    return []
