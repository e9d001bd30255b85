"""Last-resort replies, so nothing a person sends goes unanswered."""

from __future__ import annotations

from telegram import Update

from bot import texts
from bot.context import RotaContext


async def unknown_command(update: Update, context: RotaContext) -> None:
    """A command we don't have."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    command = message.text.split()[0].split("@")[0][:32]
    await message.reply_text(texts.UNKNOWN_COMMAND.format(command=texts.esc(command)))


async def unknown_button(update: Update, context: RotaContext) -> None:
    """Callback data no handler claims: forged, or from an old version of the bot."""
    if update.callback_query is not None:
        await update.callback_query.answer(texts.STALE_BUTTON, show_alert=True)
