"""Coordinators' view of the night: /tonight, /log, /pairs (with swaps), /checkins."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, InputFile, Update

from bot import texts
from bot.context import RotaContext
from bot.handlers.base import command_args, coordinators_only, refusals_answered
from bot.safety import keyboards as safety_keyboards
from bot.safety import texts as safety_texts
from rota.safety import tonight
from rota.safety.tonight import PairsView


@refusals_answered
@coordinators_only
async def show_tonight(update: Update, context: RotaContext) -> None:
    """/tonight: the live board."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = context.deps
    board = await tonight.board(
        deps.uow(), telegram_id=user.id, config=deps.config, now=deps.clock.now()
    )
    markup = safety_keyboards.end_walk() if board.session.walk_state == "walking" else None
    await message.reply_text(safety_texts.board(board, deps.config.zone), reply_markup=markup)


@refusals_answered
@coordinators_only
async def show_log(update: Update, context: RotaContext) -> None:
    """/log YYYY-MM-DD: the safety log as text, and as a CSV file."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    day = command_args(update)
    if not day:
        raise texts.usage("Usage: /log YYYY-MM-DD")
    deps = context.deps
    session, entries = await tonight.session_log(
        deps.uow(), telegram_id=user.id, day=day, config=deps.config
    )
    zone = deps.config.zone
    await message.reply_text(safety_texts.log_text(session, entries, zone))
    if entries:
        name = f"safety-log-{session.local_date.isoformat()}.csv"
        await message.reply_document(InputFile(safety_texts.log_csv(entries, zone), filename=name))


def _pairs_markup(view: PairsView) -> InlineKeyboardMarkup | None:
    if not view.editable or len(view.pairs) < 2:
        return None
    people = [(m.volunteer_id, m.name) for p in view.pairs for m in p.members]
    return safety_keyboards.pairs_pick(view.session.id, people)


@refusals_answered
@coordinators_only
async def show_pairs(update: Update, context: RotaContext) -> None:
    """/pairs YYYY-MM-DD: view the pairs and swap people between them."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    day = command_args(update)
    if not day:
        raise texts.usage("Usage: /pairs YYYY-MM-DD")
    deps = context.deps
    view = await tonight.view_pairs(
        deps.uow(), telegram_id=user.id, day=day, config=deps.config, now=deps.clock.now()
    )
    await message.reply_text(
        safety_texts.pairs_view(view, deps.config.zone), reply_markup=_pairs_markup(view)
    )


@refusals_answered
@coordinators_only
async def pairs_button(update: Update, context: RotaContext) -> None:
    """pr:a:<session>:<who> (pick), pr:s:<session>:<a>:<b> (swap), pr:c:<session> (cancel)."""
    query = update.callback_query
    if query is None:
        return
    press = safety_keyboards.PAIRS.parse(query.data)
    if press is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    deps = context.deps
    session_id = press.ids[0]
    if press.action == "s":
        view = await tonight.swap_walkers(
            deps.uow(),
            telegram_id=query.from_user.id,
            session_id=session_id,
            a=press.ids[1],
            b=press.ids[2],
            config=deps.config,
            now=deps.clock.now(),
        )
        await query.answer("Swapped.")
        await query.edit_message_text(
            safety_texts.pairs_view(view, deps.config.zone), reply_markup=_pairs_markup(view)
        )
        return
    day = await tonight.session_day(deps.uow(), session_id=session_id)
    view = await tonight.view_pairs(
        deps.uow(),
        telegram_id=query.from_user.id,
        day=day,
        config=deps.config,
        now=deps.clock.now(),
    )
    markup = _pairs_markup(view)
    if press.action == "a" and view.editable:
        first = press.ids[1]
        mine = next((p for p in view.pairs if p.has(first)), None)
        if mine is None:
            await query.answer(texts.STALE_BUTTON, show_alert=True)
            return
        others = [
            (m.volunteer_id, m.name) for p in view.pairs if p.id != mine.id for m in p.members
        ]
        markup = safety_keyboards.pairs_with(session_id, first, others)
    await query.answer()
    await query.edit_message_text(
        safety_texts.pairs_view(view, deps.config.zone), reply_markup=markup
    )


@refusals_answered
@coordinators_only
async def checkin_plan(update: Update, context: RotaContext) -> None:
    """/checkins YYYY-MM-DD [interval=20m grace=5m ...]: show or change one session's plan."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    words = command_args(update).split()
    if not words:
        raise texts.usage(
            "Usage: /checkins YYYY-MM-DD [interval=30m grace=5m escalate_after=10m "
            "reescalate_after=5m home_safe_within=90m]"
        )
    deps = context.deps
    session, plan = await tonight.set_checkin_plan(
        deps.uow(), telegram_id=user.id, day=words[0], words=words[1:], config=deps.config
    )
    await message.reply_text(safety_texts.plan_text(session, plan, deps.config.zone))
