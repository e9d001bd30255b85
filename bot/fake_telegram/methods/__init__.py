"""The Bot API methods the fake answers, grouped by concern; ``METHODS`` routes to them.

Each handler takes the chat state and the decoded parameters and returns the ``result`` of an
``ok`` answer, or raises ``ApiError`` with Telegram's own wording. A method missing here is
answered 404 and recorded in ``FakeTelegram.unknown_calls``, so a new call fails loudly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ..state import World
from ..wire import JSON
from . import callbacks, chats, media, messages, profile, updates

Handler = Callable[[World, JSON], Awaitable[Any]]

METHODS: dict[str, Handler] = {
    "getMe": profile.get_me,
    "logOut": profile.true,
    "close": profile.true,
    "setMyCommands": profile.set_my_commands,
    "getMyCommands": profile.get_my_commands,
    "deleteMyCommands": profile.delete_my_commands,
    "setChatMenuButton": profile.set_chat_menu_button,
    "getUpdates": updates.get_updates,
    "deleteWebhook": updates.delete_webhook,
    "getWebhookInfo": updates.get_webhook_info,
    "sendMessage": messages.send_message,
    "editMessageText": messages.edit_message_text,
    "editMessageReplyMarkup": messages.edit_message_reply_markup,
    "deleteMessage": messages.delete_message,
    "sendChatAction": messages.send_chat_action,
    "answerCallbackQuery": callbacks.answer_callback_query,
    "sendLocation": media.send_location,
    "editMessageLiveLocation": media.edit_message_live_location,
    "sendDocument": media.send_document,
    "sendPhoto": media.send_photo,
    "getChat": chats.get_chat,
    "getChatMember": chats.get_chat_member,
    "getChatAdministrators": chats.get_chat_administrators,
    "leaveChat": chats.leave_chat,
}
