"""The global error handler: log what failed (never what people sent), apologise, change
nothing."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot import texts
from bot.context import RotaContext
from bot.logprivacy import describe_update, format_exception
from bot.pacing import ReplyDropped

log = logging.getLogger(__name__)


async def on_error(update: object, context: RotaContext) -> None:
    """Unexpected failures end here; the unit of work already rolled back.

    The log names the update by id and kind and shows the traceback; `repr(update)` would
    hold phone numbers, places and the duress word, and an exception's message may quote
    them, so the traceback is formatted here without such messages (and the token).
    """
    if isinstance(context.error, ReplyDropped):
        return  # a reply to someone flooding the bot, dropped on purpose (bot/pacing.py)
    where = describe_update(update) if update is not None else _job_name(context)
    error = context.error
    if error is None:
        log.error("unhandled error for %s", where)
    else:
        log.error("unhandled error for %s\n%s", where, format_exception(error))
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.ERROR, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(texts.ERROR)
    except TelegramError:
        log.warning("could not tell the user about the error", exc_info=True)


def _job_name(context: RotaContext) -> str:
    job = context.job
    return f"job {job.name}" if job is not None else "no update"
