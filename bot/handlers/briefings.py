"""The briefing, from chat: coordinators' /brief and /briefstatus, and everyone's Got it.

The briefings themselves go out from the shift job (rota.briefings.services.run_due).
"""

from __future__ import annotations

from typing import Any

from telegram import BotCommand, Update

from bot import texts
from bot.briefings import keyboards as briefing_keyboards
from bot.briefings import texts as briefing_texts
from bot.context import RotaContext
from bot.handlers.access import Place, button, command
from bot.handlers.base import command_args, coordinators_only, refusals_answered
from rota.briefings import services as briefings
from rota.kernel.localtime import format_clock

# Coordinators' commands are not in the menu everyone sees (like /invite); /help lists them.
COMMANDS: list[BotCommand] = []


@refusals_answered
@coordinators_only
async def brief(update: Update, context: RotaContext) -> None:
    """/brief YYYY-MM-DD [note]: list a session's safety notes, or add one."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    parts = command_args(update).split(maxsplit=1)
    if not parts:
        raise texts.usage(briefing_texts.BRIEF_USAGE)
    deps = context.deps
    zone = deps.config.zone
    if len(parts) == 1:
        listed = await briefings.list_notes(
            deps.uow(), telegram_id=user.id, day=parts[0], config=deps.config, now=deps.clock.now()
        )
        await message.reply_text(briefing_texts.notes_list(listed, zone))
        return
    added = await briefings.add_note(
        deps.uow(),
        telegram_id=user.id,
        day=parts[0],
        text=parts[1],
        config=deps.config,
        now=deps.clock.now(),
    )
    await message.reply_text(briefing_texts.note_added(added, zone))


@refusals_answered
@coordinators_only
async def brief_status(update: Update, context: RotaContext) -> None:
    """/briefstatus YYYY-MM-DD: who has read the briefing and who hasn't."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    day = command_args(update)
    if not day or len(day.split()) != 1:
        raise texts.usage(briefing_texts.STATUS_USAGE)
    deps = context.deps
    found = await briefings.status(
        deps.uow(), telegram_id=user.id, day=day, config=deps.config, now=deps.clock.now()
    )
    await message.reply_text(briefing_texts.status(found, deps.config.zone))


@refusals_answered
async def got_it_button(update: Update, context: RotaContext) -> None:
    """bf:g:<briefing id>: the person has read their briefing."""
    query = update.callback_query
    if query is None:
        return
    press = briefing_keyboards.GOT_IT.parse(query.data)
    if press is None or press.ident is None:
        await query.answer(briefing_texts.STALE, show_alert=True)
        return
    deps = context.deps
    zone = deps.config.zone
    result = await briefings.got_it(
        deps.uow(),
        telegram_id=query.from_user.id,
        briefing_id=press.ident,
        config=deps.config,
        now=deps.clock.now(),
    )
    read_at = result.briefing.read_at
    if not result.changed and read_at is not None:
        await query.answer(briefing_texts.GOT_IT_AGAIN.format(at=format_clock(read_at, zone)))
        return
    await query.answer(briefing_texts.GOT_IT_THANKS)
    if result.payload is not None and read_at is not None:
        await query.edit_message_text(
            briefing_texts.briefing(result.payload, zone, read_at=read_at), reply_markup=None
        )
    else:
        await query.edit_message_reply_markup(reply_markup=None)


def handlers() -> list[Any]:
    """This feature's handlers, registered before the fallbacks.

    Notes may concern third parties: never in a group.
    """
    return [
        command("brief", brief, Place.PRIVATE),
        command("briefstatus", brief_status, Place.PRIVATE),
        button(briefing_keyboards.GOT_IT, got_it_button, Place.PRIVATE),
    ]
