"""The walk, from a walker's phone: check-in buttons, /ok, Need help and /sos, home-safe,
locations and the duress word; and the alarm buttons coordinators press."""

from __future__ import annotations

import contextlib
import datetime as dtm

from telegram import Message, Update
from telegram.error import BadRequest

from bot import texts
from bot.context import RotaContext
from bot.handlers import reports
from bot.handlers.base import is_private, refusals_answered
from bot.safety import keyboards as safety_keyboards
from bot.safety import texts as safety_texts
from rota.safety import alarms, checkins, walks


def _sent_at(update: Update, now: dtm.datetime) -> dtm.datetime:
    """When the person sent it (Telegram's date), so a backlog after a restart counts on time."""
    message = update.effective_message
    return message.date if message is not None and message.date is not None else now


@refusals_answered
async def checkin_button(update: Update, context: RotaContext) -> None:
    """ci:o:<id> (we're OK) and ci:h:<id> (need help)."""
    query = update.callback_query
    if query is None:
        return
    press = safety_keyboards.CHECKIN.parse(query.data)
    if press is None or press.ident is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    deps = context.deps
    now = deps.clock.now()
    if press.action == "h":
        await _raise_sos(update, context)
        return
    result = await checkins.check_in(
        deps.uow(),
        telegram_id=query.from_user.id,
        checkin_id=press.ident,
        config=deps.config,
        now=now,
    )
    at = safety_texts.checked_in_reply(result.at, deps.config.zone)
    if not result.changed:
        await query.answer(f"Already checked in by {result.by_name}. ✓")
        return
    await query.answer(at)


async def _raise_sos(update: Update, context: RotaContext) -> None:
    user = update.effective_user
    assert user is not None
    deps = context.deps
    result = await checkins.sos(
        deps.uow(), telegram_id=user.id, config=deps.config, now=deps.clock.now()
    )
    reply = safety_texts.SOS_REPLY if result.new else safety_texts.SOS_AGAIN
    if update.callback_query is not None:
        await update.callback_query.answer("Alerting the coordinators now.")
    await context.bot.send_message(user.id, reply, reply_markup=safety_keyboards.share_location())


@refusals_answered
async def sos(update: Update, context: RotaContext) -> None:
    """/sos: everyone in the chain is alerted at once."""
    if update.effective_user is None:
        return
    await _raise_sos(update, context)


@refusals_answered
async def ok(update: Update, context: RotaContext) -> None:
    """/ok: check in early (or late) for the pair, at the time the message was sent."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = context.deps
    now = deps.clock.now()
    result = await checkins.check_in_now(
        deps.uow(),
        telegram_id=user.id,
        config=deps.config,
        now=now,
        sent_at=_sent_at(update, now),
    )
    await message.reply_text(safety_texts.checked_in_reply(result.at, deps.config.zone))


async def text_or_duress(update: Update, context: RotaContext) -> None:
    """Free text: the duress word looks like a check-in; then a waiting debrief may take it;
    anything else gets the hint."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None or not is_private(update):
        return
    deps = context.deps
    now = deps.clock.now()
    at = await checkins.duress(
        deps.uow(),
        telegram_id=user.id,
        text=message.text,
        config=deps.config,
        now=now,
        sent_at=_sent_at(update, now),
    )
    if at is None:
        # Only after the duress check: otherwise an open debrief could swallow the word.
        if not await reports.offer_debrief_text(update, context, message.text):
            await message.reply_text(texts.NOT_A_COMMAND)
        return
    await message.reply_text(safety_texts.checked_in_reply(at, deps.config.zone))


@refusals_answered
async def location(update: Update, context: RotaContext) -> None:
    """A shared (or live-updated) location from a walker."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.location is None or not is_private(update):
        return
    deps = context.deps
    forwarded = await checkins.share_location(
        deps.uow(),
        telegram_id=user.id,
        latitude=message.location.latitude,
        longitude=message.location.longitude,
        config=deps.config,
        now=deps.clock.now(),
    )
    if update.edited_message is not None:
        return  # live-location updates arrive every few seconds: store them quietly
    await message.reply_text(
        safety_texts.LOCATION_SENT if forwarded else safety_texts.LOCATION_KEPT
    )


@refusals_answered
async def home_button(update: Update, context: RotaContext) -> None:
    """hs:o:<id>: I'm home safe."""
    query = update.callback_query
    if query is None:
        return
    press = safety_keyboards.HOME_SAFE.parse(query.data)
    if press is None or press.ident is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    deps = context.deps
    result = await checkins.home_safe(
        deps.uow(),
        telegram_id=query.from_user.id,
        home_safe_id=press.ident,
        config=deps.config,
        now=deps.clock.now(),
    )
    await query.answer("Thank you! 💜" if result.changed else safety_texts.ALREADY_HOME)


@refusals_answered
async def alarm_button(update: Update, context: RotaContext) -> None:
    """es:a:<id> (acknowledge) and es:r:<id> (they're safe): coordinators only.

    es:t and es:f are the same for every alert a digest message lists.
    """
    query = update.callback_query
    if query is None:
        return
    press = safety_keyboards.ALARM.parse(query.data)
    if press is not None and press.action in ("t", "f"):
        await _digest_button(update, context, resolving=press.action == "f")
        return
    if press is None or press.ident is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    deps = context.deps
    act = alarms.acknowledge if press.action == "a" else alarms.resolve
    change = await act(
        deps.uow(),
        telegram_id=query.from_user.id,
        escalation_id=press.ident,
        config=deps.config,
        now=deps.clock.now(),
    )
    escalation = change.escalation
    if change.changed:
        await query.answer(
            "It's yours. Everyone alerted can see you took it."
            if press.action == "a"
            else "Resolved. Thank you."
        )
        return
    taker_id = escalation.acknowledged_by or escalation.resolved_by
    async with deps.uow() as uow:
        taker = await uow.volunteers.get(taker_id) if taker_id else None
    name = taker.display_name if taker else "another coordinator"
    await query.answer(f"Already {escalation.state.value} by {name}.", show_alert=True)


async def _digest_button(update: Update, context: RotaContext, *, resolving: bool) -> None:
    """Acknowledge (or resolve) every alert in the pressed digest message."""
    query = update.callback_query
    assert query is not None
    message = query.message
    if message is None or not isinstance(message, Message):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    deps = context.deps
    change = await alarms.take_listed(
        deps.uow(),
        telegram_id=query.from_user.id,
        chat_id=message.chat.id,
        message_id=message.message_id,
        config=deps.config,
        now=deps.clock.now(),
        resolving=resolving,
    )
    await query.answer(safety_texts.digest_answer(change, resolving=resolving), show_alert=True)
    if change.changed and not resolving:
        with contextlib.suppress(BadRequest):  # already showing it: nothing to change
            await query.edit_message_reply_markup(safety_keyboards.alert_digest(taken=True))


@refusals_answered
async def end_walk(update: Update, context: RotaContext) -> None:
    """/endwalk or the End-the-walk button: the team lead or a coordinator ends it early."""
    user = update.effective_user
    if user is None:
        return
    deps = context.deps
    await walks.end_walk(deps.uow(), telegram_id=user.id, config=deps.config, now=deps.clock.now())
    reply = "The walk is over: check-ins stopped and the walkers were told. Thank you."
    if update.callback_query is not None:
        await update.callback_query.answer("Walk ended.")
        await update.callback_query.edit_message_text(reply)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(reply)
