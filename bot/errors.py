"""The global error handler: log the traceback, apologise to the person, change nothing."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot import texts
from bot.context import RotaContext

log = logging.getLogger(__name__)


async def on_error(update: object, context: RotaContext) -> None:
    """Unexpected failures end here; the unit of work already rolled back."""
    log.error("unhandled error for update %r", update, exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.ERROR, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(texts.ERROR)
    except TelegramError:
        log.warning("could not tell the user about the error", exc_info=True)
