"""Checks shared by the Bot API methods: which chat, which message, which file, what text.

Each refuses exactly as Telegram does (unknown chat, blocked user, never started, message gone),
because those refusals are what the bot's delivery code has to get right.
"""

from __future__ import annotations

import re
from typing import Any

from ..formatting import parse_text, utf16_len
from ..params import bool_param, int_param
from ..records import BotMessage, UploadedFile
from ..state import Chat, World
from ..wire import (
    BLOCKED,
    CANT_BE_EDITED,
    CANT_INITIATE,
    CAPTION_TOO_LONG,
    CHAT_NOT_FOUND,
    EDIT_NOT_FOUND,
    JSON,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_UPLOAD_BYTES,
    NOT_A_MEMBER,
    REPLY_NOT_FOUND,
    TEXT_EMPTY,
    TEXT_TOO_LONG,
    ApiError,
    bad,
)


def chat_for_send(world: World, params: JSON) -> Chat:
    """Resolve chat_id and refuse like Telegram: unknown chat, blocked, never started."""
    value = params.get("chat_id")
    if value is None or value == "":
        raise bad("Bad Request: chat_id is empty")
    try:
        chat_id = int(value)
    except (TypeError, ValueError):
        raise bad(CHAT_NOT_FOUND) from None
    chat = world.chats.get(chat_id)
    if chat is None:
        raise bad(CHAT_NOT_FOUND)
    check_member(world, chat)
    if chat.type == "private":
        if chat_id in world.blocked_ids:
            raise ApiError(403, BLOCKED)
        if chat_id not in world.started_ids:
            raise ApiError(403, CANT_INITIATE)
    return chat


def known_chat(world: World, params: JSON) -> Chat:
    """The chat named by chat_id, for methods that read or manage a chat rather than send."""
    value: Any = params.get("chat_id")
    try:
        chat = world.chats.get(int(value))
    except (TypeError, ValueError):
        chat = None
    if chat is None:
        raise bad(CHAT_NOT_FOUND)
    check_member(world, chat)
    return chat


def check_member(world: World, chat: Chat) -> None:
    """A group the bot left answers every method with 403, as Telegram does."""
    if chat.id in world.left_chat_ids:
        raise ApiError(403, NOT_A_MEMBER)


def _check_reply_target(chat: Chat, params: JSON) -> None:
    """A reply to a message that is gone fails unless the bot allowed sending without it."""
    target: Any = params.get("reply_to_message_id")
    allow = bool_param(params, "allow_sending_without_reply")
    reply = params.get("reply_parameters")
    if isinstance(reply, dict):
        target = reply.get("message_id")
        allow = allow or bool(reply.get("allow_sending_without_reply"))
    if target is None:
        return
    try:
        target_id = int(target)
    except (TypeError, ValueError):
        raise bad(REPLY_NOT_FOUND) from None
    bot_msg = chat.bot_messages.get(target_id)
    exists = (bot_msg is not None and not bot_msg.deleted) or (
        target_id in chat.user_messages and target_id not in chat.deleted_user_messages
    )
    if not exists and not allow:
        raise bad(REPLY_NOT_FOUND)


def add_message(world: World, chat: Chat, params: JSON, **fields: Any) -> BotMessage:
    """Store what the bot sent, once the message it replies to (if any) is known to exist."""
    _check_reply_target(chat, params)
    return world.add_bot_message(chat, params, **fields)


def message_text(params: JSON) -> tuple[str, str, list[JSON]]:
    """(source, plain text, entities) of a text message; empty or too long is a 400."""
    raw = params.get("text")
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = str(raw)  # a JSON client may send a number; Telegram takes it as text
    if not isinstance(raw, str):
        raise bad(TEXT_EMPTY)
    text, entities = parse_text(raw, params.get("parse_mode"), params.get("entities"))
    if not text.strip():
        raise bad(TEXT_EMPTY)
    if utf16_len(text) > MAX_TEXT_LENGTH:
        raise bad(TEXT_TOO_LONG)
    return raw, text, entities


def caption(params: JSON) -> tuple[str, str, list[JSON]]:
    """(source, plain text, entities) of an optional caption; over 1024 is a 400."""
    raw = params.get("caption")
    if not isinstance(raw, str) or not raw:
        return "", "", []
    text, entities = parse_text(raw, params.get("parse_mode"), params.get("caption_entities"))
    if utf16_len(text) > MAX_CAPTION_LENGTH:
        raise bad(CAPTION_TOO_LONG)
    return raw, text, entities


def message_to_edit(world: World, params: JSON) -> BotMessage:
    """The bot's own live message named by chat_id + message_id; anything else is refused."""
    if params.get("inline_message_id"):
        raise bad("Bad Request: MESSAGE_ID_INVALID")
    chat = known_chat(world, params)
    if chat.type == "private" and chat.id in world.blocked_ids:
        raise ApiError(403, BLOCKED)
    message_id = int_param(params, "message_id")
    msg = chat.bot_messages.get(message_id)
    if msg is None or msg.deleted:
        if message_id in chat.user_messages and message_id not in chat.deleted_user_messages:
            raise bad(CANT_BE_EDITED)
        raise bad(EDIT_NOT_FOUND)
    return msg


def file_param(world: World, params: JSON, name: str) -> tuple[str, UploadedFile | None]:
    """A new upload, a file_id sent before, or a URL; returns its file_id and the upload."""
    value = params.get(name)
    if isinstance(value, UploadedFile):
        if value.size > MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        return world.new_file_id(value), value
    if isinstance(value, str) and value:
        if value in world.files:
            known = world.files[value]
            return value, known if isinstance(known, UploadedFile) else None
        if re.match(r"^https?://", value):
            return world.new_file_id(value), None
        raise bad("Bad Request: wrong file identifier/HTTP URL specified")
    raise bad(f"Bad Request: there is no {name} in the request")
