"""Claiming shifts: /rota and its buttons, /myshifts and withdrawals, /postrota for the group."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot import texts
from bot.context import RotaContext
from bot.handlers.base import edit_in_place, is_private, refusals_answered
from bot.roster import keyboards as roster_keyboards
from bot.roster import texts as roster_texts
from rota.kernel.errors import RoleFull
from rota.roster import posts, sessions, signups
from rota.roster.model import SessionBoard, SignUpStatus


def _labels(boards: list[SessionBoard], zone: str) -> dict[int, str]:
    return {b.session.id: roster_texts.day(b.session.starts_at, zone) for b in boards}


async def _edit(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    assert update.callback_query is not None
    await edit_in_place(update.callback_query, text, markup)


@refusals_answered
async def show_rota(update: Update, context: RotaContext) -> None:
    """/rota: upcoming sessions with places, and a button per session."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if not is_private(update):
        await message.reply_text("In a group, use /postrota to post the rota with join buttons.")
        return
    deps = context.deps
    boards = await sessions.upcoming_boards(
        deps.uow(), telegram_id=user.id, config=deps.config, now=deps.clock.now()
    )
    zone = deps.config.zone
    await message.reply_text(
        roster_texts.rota(boards, zone),
        reply_markup=roster_keyboards.rota_list(boards, _labels(boards, zone)),
    )


@refusals_answered
async def rota_button(update: Update, context: RotaContext) -> None:
    """ro:l (list), ro:s:<session> (open), ro:j:<role> (join), ro:w:<role> (waitlist)."""
    query = update.callback_query
    if query is None:
        return
    press = roster_keyboards.ROTA.parse(query.data)
    if press is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    deps = context.deps
    zone, user_id, now = deps.config.zone, query.from_user.id, deps.clock.now()
    if press.action == "l":
        boards = await sessions.upcoming_boards(
            deps.uow(), telegram_id=user_id, config=deps.config, now=now
        )
        await query.answer()
        await _edit(
            update,
            roster_texts.rota(boards, zone),
            roster_keyboards.rota_list(boards, _labels(boards, zone)),
        )
        return
    assert press.ident is not None
    if press.action == "s":
        board = await sessions.session_board(
            deps.uow(), telegram_id=user_id, session_id=press.ident, config=deps.config, now=now
        )
        await query.answer()
        await _edit(
            update, roster_texts.session_detail(board, zone), roster_keyboards.session_view(board)
        )
        return
    join = signups.join_role if press.action == "j" else signups.join_waitlist
    try:
        outcome = await join(
            deps.uow(), telegram_id=user_id, role_id=press.ident, config=deps.config, now=now
        )
    except RoleFull as full:
        await query.answer(texts.refusal_plain(full, zone), show_alert=True)
        if is_private(update):  # show the waitlist button in place of the join button
            role = await sessions.role_board(
                deps.uow(), telegram_id=user_id, role_id=press.ident, config=deps.config, now=now
            )
            await _edit(
                update,
                roster_texts.session_detail(role, zone),
                roster_keyboards.session_view(role),
            )
        return
    when = roster_texts.day(outcome.board.session.starts_at, zone)
    answer = roster_texts.joined_answer(outcome.role.label, outcome.signup.status, when)
    await query.answer(answer, show_alert=not is_private(update))
    if is_private(update):
        await _edit(
            update,
            roster_texts.session_detail(outcome.board, zone),
            roster_keyboards.session_view(outcome.board),
        )


@refusals_answered
async def show_my_shifts(update: Update, context: RotaContext) -> None:
    """/myshifts: the caller's shifts with Withdraw buttons."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    text, markup = await _shifts_view(context, user.id)
    await message.reply_text(text, reply_markup=markup)


async def _shifts_view(
    context: RotaContext, user_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    deps = context.deps
    shifts = await signups.my_shifts(
        deps.uow(), telegram_id=user_id, config=deps.config, now=deps.clock.now()
    )
    zone = deps.config.zone
    markup = roster_keyboards.my_shifts(
        [(s.entry.signup.id, roster_texts.shift_label(s, zone)) for s in shifts]
    )
    return roster_texts.my_shifts(shifts, zone), markup


@refusals_answered
async def my_shifts_button(update: Update, context: RotaContext) -> None:
    """ms:w:<signup> (ask), ms:y:<signup> (withdraw), ms:n (keep)."""
    query = update.callback_query
    if query is None:
        return
    press = roster_keyboards.MY_SHIFTS.parse(query.data)
    if press is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    deps = context.deps
    user_id, zone, now = query.from_user.id, deps.config.zone, deps.clock.now()
    if press.action == "n":
        await query.answer(roster_texts.WITHDRAW_KEPT)
        await _edit(update, *await _shifts_view(context, user_id))
        return
    if press.action == "w":
        shifts = await signups.my_shifts(
            deps.uow(), telegram_id=user_id, config=deps.config, now=now
        )
        shift = next((s for s in shifts if s.entry.signup.id == press.ident), None)
        if shift is None:
            await query.answer(texts.STALE_BUTTON, show_alert=True)
            return
        late = (
            shift.entry.signup.status is SignUpStatus.CONFIRMED
            and shift.session.starts_at - now < deps.config.template.late_notice
        )
        await query.answer()
        await _edit(
            update,
            roster_texts.confirm_withdraw(shift, zone, late=late),
            roster_keyboards.confirm_withdraw(shift.entry.signup.id),
        )
        return
    assert press.ident is not None
    outcome = await signups.withdraw(
        deps.uow(), telegram_id=user_id, signup_id=press.ident, config=deps.config, now=now
    )
    await query.answer("Withdrawn.")
    await _edit(update, roster_texts.withdrawn(outcome, zone), None)


@refusals_answered
async def post_rota(update: Update, context: RotaContext) -> None:
    """/postrota in the team group: a rota post with join buttons, kept current."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    deps = context.deps
    await posts.check_can_post(
        deps.uow(), telegram_id=user.id, chat_id=chat.id, config=deps.config
    )
    boards = await sessions.upcoming_boards(
        deps.uow(),
        telegram_id=None,
        config=deps.config,
        now=deps.clock.now(),
        limit=posts.POST_SESSIONS,
    )
    zone = deps.config.zone
    sent = await context.bot.send_message(
        chat.id,
        roster_texts.team_post(boards, zone),
        reply_markup=roster_keyboards.team_post(boards, _labels(boards, zone)),
    )
    await posts.record_post(
        deps.uow(), chat_id=chat.id, message_id=sent.message_id, now=deps.clock.now()
    )
