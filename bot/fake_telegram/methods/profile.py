"""The bot's own account: getMe, its command menus, logOut and close."""

from __future__ import annotations

import re

from ..state import World, commands_key
from ..wire import JSON, bad
from .common import known_chat


async def true(world: World, params: JSON) -> bool:
    """logOut and close: accepted, nothing to model."""
    return True


async def get_me(world: World, params: JSON) -> JSON:
    """The bot's User object with the flags PTB reads at start-up."""
    return {
        **world.bot_user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


async def set_my_commands(world: World, params: JSON) -> bool:
    """Store a command list per scope and language, refusing names Telegram refuses."""
    commands = params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad("Bad Request: can't parse commands JSON object")
    for command in commands:
        if not isinstance(command, dict):
            raise bad("Bad Request: can't parse commands JSON object")
        name, description = command.get("command"), command.get("description")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
            raise bad("Bad Request: BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
    key = commands_key(params.get("scope"), params.get("language_code"))
    world.command_lists[key] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


async def get_my_commands(world: World, params: JSON) -> list[JSON]:
    """The command list for a scope and language (empty if never set)."""
    return world.commands(params.get("scope"), params.get("language_code") or "")


async def delete_my_commands(world: World, params: JSON) -> bool:
    """Forget the command list of one scope and language."""
    key = commands_key(params.get("scope"), params.get("language_code"))
    world.command_lists.pop(key, None)
    return True


async def set_chat_menu_button(world: World, params: JSON) -> bool:
    """Remember the menu button per chat (None: the default for every chat)."""
    chat_id = known_chat(world, params).id if params.get("chat_id") is not None else None
    world.menu_buttons[chat_id] = params.get("menu_button", {"type": "default"})
    return True
