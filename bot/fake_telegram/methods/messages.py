"""Text messages: send, edit (text or buttons), delete, and the "typing..." action."""

from __future__ import annotations

from ..keyboards import check_markup, same_markup
from ..params import int_param
from ..state import World
from ..wire import (
    CANT_DELETE,
    DELETE_NOT_FOUND,
    DELETE_WINDOW_SECONDS,
    JSON,
    NO_TEXT_TO_EDIT,
    NOT_MODIFIED,
    bad,
)
from .common import add_message, chat_for_send, known_chat, message_text, message_to_edit

_CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)


async def send_message(world: World, params: JSON) -> JSON:
    """A new text message with its entities and optional keyboard."""
    chat = chat_for_send(world, params)
    raw, text, entities = message_text(params)
    markup = check_markup(params.get("reply_markup"))
    msg = add_message(
        world,
        chat,
        params,
        text=text,
        raw_text=raw,
        parse_mode=params.get("parse_mode"),
        entities=entities,
        reply_markup=markup,
    )
    return world.message_dict(msg)


async def edit_message_text(world: World, params: JSON) -> JSON:
    """New text (and inline keyboard) for a text message; the same content is a 400."""
    msg = message_to_edit(world, params)
    if msg.kind != "text":
        raise bad(NO_TEXT_TO_EDIT)
    raw, text, entities = message_text(params)
    markup = check_markup(params.get("reply_markup"), inline_only=True)
    if text == msg.text and entities == msg.entities and same_markup(markup, msg.inline_markup):
        raise bad(NOT_MODIFIED)
    msg.text, msg.raw_text, msg.entities = text, raw, entities
    msg.parse_mode = params.get("parse_mode")
    msg.reply_markup = markup
    world.mark_edited(msg, params)
    return world.message_dict(msg)


async def edit_message_reply_markup(world: World, params: JSON) -> JSON:
    """New inline keyboard (none removes it); the same keyboard is a 400."""
    msg = message_to_edit(world, params)
    markup = check_markup(params.get("reply_markup"), inline_only=True)
    if same_markup(markup, msg.inline_markup):
        raise bad(NOT_MODIFIED)
    msg.reply_markup = markup
    world.mark_edited(msg, params)
    return world.message_dict(msg)


async def delete_message(world: World, params: JSON) -> bool:
    """Delete the bot's or a person's message, within Telegram's 48-hour window."""
    chat = known_chat(world, params)
    message_id = int_param(params, "message_id")
    msg = chat.bot_messages.get(message_id)
    if msg is not None and not msg.deleted:
        if world.clock() - msg.date > DELETE_WINDOW_SECONDS:
            raise bad(CANT_DELETE)
        msg.deleted = True
    elif message_id in chat.user_messages and message_id not in chat.deleted_user_messages:
        user_msg = chat.user_messages[message_id]
        if world.clock() - user_msg["date"] > DELETE_WINDOW_SECONDS:
            raise bad(CANT_DELETE)
        chat.deleted_user_messages.add(message_id)
    else:
        raise bad(DELETE_NOT_FOUND)
    world.state_signal.fire()
    return True


async def send_chat_action(world: World, params: JSON) -> bool:
    """Record a "typing..." (or other) action; it needs the same right to send."""
    chat = chat_for_send(world, params)
    action = params.get("action")
    if action not in _CHAT_ACTIONS:
        raise bad("Bad Request: wrong parameter action in request")
    world.chat_actions.append((chat.id, str(action)))
    return True
