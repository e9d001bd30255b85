"""What every handler shares: turning refusals into polite replies, and small reply helpers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest

from bot import texts
from bot.context import RotaContext
from rota.kernel.errors import DomainError, NotCoordinator
from rota.people import membership as people
from rota.people.refusals import PeopleRefusal

Handler = Callable[[Update, RotaContext], Coroutine[Any, Any, None]]
ALERT_LIMIT = 200  # Telegram's limit for a callback answer


def coordinators_only(func: Handler) -> Handler:
    """Refuse non-coordinators before reading any arguments (use under refusals_answered)."""

    @functools.wraps(func)
    async def wrapper(update: Update, context: RotaContext) -> None:
        user = update.effective_user
        if user is None:
            return
        actor = await people.who_is(
            context.deps.uow(), telegram_id=user.id, config=context.deps.config
        )
        if not actor.is_coordinator:
            raise NotCoordinator(PeopleRefusal.COORDINATORS_ONLY)
        await func(update, context)

    return wrapper


async def edit_in_place(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit the pressed message; a double tap that changes nothing is not an error."""
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as err:
        if "not modified" not in err.message:
            raise


def refusals_answered(func: Handler) -> Handler:
    """Reply to a DomainError with its message (an alert for buttons); nothing else changes."""

    @functools.wraps(func)
    async def wrapper(update: Update, context: RotaContext) -> None:
        try:
            await func(update, context)
        except DomainError as err:
            await refuse(update, err, context.deps.config.zone)

    return wrapper


async def refuse(update: Update, err: DomainError, zone: str) -> None:
    """Tell the person why not, in the place they asked (worded by bot.texts, by its code)."""
    if update.callback_query is not None:
        alert = texts.refusal_plain(err, zone)[:ALERT_LIMIT]  # an alert is plain text
        await update.callback_query.answer(alert, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(texts.refusal(err, zone))


def is_private(update: Update) -> bool:
    """Whether the update came from a one-to-one chat with the bot."""
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


def command_args(update: Update) -> str:
    """Everything after the command word, spaces kept (names may contain spaces)."""
    message = update.effective_message
    if message is None or message.text is None:
        return ""
    parts = message.text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""
