"""The day-before reminder's buttons (rm:), and cover: /cover and its buttons (cv:)."""

from __future__ import annotations

from typing import Any

from telegram import BotCommand, CallbackQuery, Update

from bot import texts
from bot.context import RotaContext
from bot.handlers.access import Place, button, command
from bot.handlers.base import edit_in_place, refusals_answered
from bot.roster import texts as roster_texts
from bot.staffing import keyboards as staffing_keyboards
from bot.staffing import texts as words
from rota.staffing import services as staffing

COMMANDS: list[BotCommand] = [BotCommand("cover", "Ask someone to cover your shift")]


def handlers() -> list[Any]:
    """This feature's handlers, registered before the fallbacks."""
    return [
        command("cover", show_cover, Place.PRIVATE),
        button(staffing_keyboards.REMINDER, reminder_button, Place.PRIVATE),
        button(staffing_keyboards.COVER, cover_button, Place.PRIVATE),
    ]


def _own_chat(query: CallbackQuery) -> bool:
    """Reminders and offers live in the person's private chat; a press elsewhere is forged."""
    return query.message is not None and query.message.chat.id == query.from_user.id


@refusals_answered
async def reminder_button(update: Update, context: RotaContext) -> None:
    """rm:y (still coming), rm:n (can't make it), rm:w (withdraw), rm:c (ask for cover)."""
    query = update.callback_query
    if query is None:
        return
    press = staffing_keyboards.REMINDER.parse(query.data)
    if press is None or press.ident is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    if not _own_chat(query):
        await query.answer(words.NOT_YOURS, show_alert=True)
        return
    deps = context.deps
    user_id, session_id, zone = query.from_user.id, press.ident, deps.config.zone
    now = deps.clock.now()
    if press.action == "y":
        shift = await staffing.still_coming(
            deps.uow(), telegram_id=user_id, session_id=session_id, config=deps.config, now=now
        )
        await query.answer(words.STILL_COMING_ANSWER)
        await edit_in_place(query, words.still_coming(shift, zone), None)
    elif press.action == "n":
        shift = await staffing.cant_make_it(
            deps.uow(), telegram_id=user_id, session_id=session_id, config=deps.config, now=now
        )
        await query.answer()
        await edit_in_place(
            query, words.confirm_cant(shift, zone), staffing_keyboards.confirm_cant(session_id)
        )
    elif press.action == "w":
        outcome = await staffing.withdraw_after_reminder(
            deps.uow(), telegram_id=user_id, session_id=session_id, config=deps.config, now=now
        )
        await query.answer(words.WITHDRAWN_ANSWER)
        await edit_in_place(query, roster_texts.withdrawn(outcome, zone), None)
    else:
        asked = await staffing.cover_after_reminder(
            deps.uow(), telegram_id=user_id, session_id=session_id, config=deps.config, now=now
        )
        await query.answer(words.COVER_ASKED_ANSWER)
        await edit_in_place(
            query,
            words.cover_asked(asked, zone),
            staffing_keyboards.cancel_cover(asked.request.id),
        )


@refusals_answered
async def show_cover(update: Update, context: RotaContext) -> None:
    """/cover: the caller's confirmed shifts, each with an Ask for cover button."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = context.deps
    choices = await staffing.cover_choices(
        deps.uow(), telegram_id=user.id, config=deps.config, now=deps.clock.now()
    )
    zone = deps.config.zone
    await message.reply_text(
        words.cover_list(choices, zone),
        reply_markup=staffing_keyboards.cover_list(choices, zone),
    )


@refusals_answered
async def cover_button(update: Update, context: RotaContext) -> None:
    """cv:r:<signup> (ask for cover), cv:a:<request> (I can cover), cv:x:<request> (cancel)."""
    query = update.callback_query
    if query is None:
        return
    press = staffing_keyboards.COVER.parse(query.data)
    if press is None or press.ident is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    if not _own_chat(query):
        await query.answer(words.NOT_YOURS, show_alert=True)
        return
    deps = context.deps
    user_id, zone, now = query.from_user.id, deps.config.zone, deps.clock.now()
    if press.action == "r":
        asked = await staffing.request_cover(
            deps.uow(), telegram_id=user_id, signup_id=press.ident, config=deps.config, now=now
        )
        await query.answer(words.COVER_ASKED_ANSWER)
        await edit_in_place(
            query,
            words.cover_asked(asked, zone),
            staffing_keyboards.cancel_cover(asked.request.id),
        )
    elif press.action == "a":
        taken = await staffing.accept_cover(
            deps.uow(), telegram_id=user_id, request_id=press.ident, config=deps.config, now=now
        )
        await query.answer(words.COVER_TAKEN_ANSWER)
        await edit_in_place(query, words.cover_accepted(taken, zone), None)
    else:
        cancelled = await staffing.cancel_cover(
            deps.uow(), telegram_id=user_id, request_id=press.ident, config=deps.config, now=now
        )
        await query.answer(words.COVER_CANCELLED_ANSWER)
        await edit_in_place(query, words.cover_cancelled(cancelled, zone), None)
