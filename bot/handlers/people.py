"""Joining, help and a volunteer's own data: /start, /help, /name, /phone, /me, /forgetme."""

from __future__ import annotations

from telegram import InputFile, ReplyKeyboardRemove, Update

from bot import texts
from bot.context import RotaContext
from bot.handlers.base import command_args, refusals_answered
from bot.people import keyboards as people_keyboards
from bot.people import texts as people_texts
from bot.privacy import texts as privacy_texts
from rota.people import membership as people
from rota.people.model import COORDINATOR_TAG
from rota.privacy import my_data


@refusals_answered
async def start(update: Update, context: RotaContext) -> None:
    """/start [code]: join with an invite code, or get a welcome or a polite explanation."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = context.deps
    code = context.args[0] if context.args else ""
    if code:
        volunteer = await people.accept_invite(
            deps.uow(),
            code=code,
            telegram_id=user.id,
            first_name=user.first_name,
            last_name=user.last_name,
            username=user.username,
            config=deps.config,
            now=deps.clock.now(),
        )
        coordinator = COORDINATOR_TAG in volunteer.tags or user.id in deps.config.admin_ids
        await message.reply_text(
            people_texts.welcome(volunteer, coordinator=coordinator, joined=True)
        )
        return
    welcome = await people.start(
        deps.uow(),
        telegram_id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        config=deps.config,
        now=deps.clock.now(),
    )
    actor = welcome.actor
    if actor.volunteer is None:
        await message.reply_text(texts.STRANGER)
        return
    await message.reply_text(
        people_texts.welcome(
            actor.volunteer, coordinator=actor.is_coordinator, joined=welcome.joined
        )
    )


async def show_help(update: Update, context: RotaContext) -> None:
    """/help: the commands this person may use."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    actor = await people.who_is(
        context.deps.uow(), telegram_id=user.id, config=context.deps.config
    )
    if actor.volunteer is None and not actor.is_admin:
        await message.reply_text(texts.STRANGER)
        return
    await message.reply_text(texts.help_text(coordinator=actor.is_coordinator))


@refusals_answered
async def rename(update: Update, context: RotaContext) -> None:
    """/name <new name>."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = context.deps
    volunteer = await people.rename(
        deps.uow(), telegram_id=user.id, name=command_args(update), config=deps.config
    )
    await message.reply_text(
        f"Done: the team now sees you as {texts.esc(volunteer.display_name)}."
    )


@refusals_answered
async def ask_phone(update: Update, context: RotaContext) -> None:
    """/phone: offer Telegram's share-contact button."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = context.deps
    # Refuses strangers before the button is offered.
    await my_data.my_profile(deps.uow(), telegram_id=user.id, config=deps.config)
    await message.reply_text(people_texts.ASK_PHONE, reply_markup=people_keyboards.share_phone())


@refusals_answered
async def save_contact(update: Update, context: RotaContext) -> None:
    """A shared contact: keep it if it is the sender's own number."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.contact is None:
        return
    deps = context.deps
    volunteer = await people.save_phone(
        deps.uow(),
        telegram_id=user.id,
        phone=message.contact.phone_number,
        contact_user_id=message.contact.user_id,
        config=deps.config,
    )
    await message.reply_text(
        people_texts.PHONE_SAVED.format(name=texts.esc(volunteer.display_name)),
        reply_markup=ReplyKeyboardRemove(),
    )


@refusals_answered
async def show_me(update: Update, context: RotaContext) -> None:
    """/me: everything stored about the caller; /me export: all of it as a JSON file."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = context.deps
    wanted = command_args(update).strip().lower()
    if wanted not in ("", "export"):
        await message.reply_text(privacy_texts.ME_USAGE)
        return
    now = deps.clock.now()
    if wanted == "export":
        export = await my_data.my_export(
            deps.uow(), telegram_id=user.id, config=deps.config, now=now
        )
        await message.reply_document(
            InputFile(
                my_data.export_json(export),
                filename=privacy_texts.export_filename(now, deps.config.zone),
            ),
            caption=privacy_texts.EXPORT_CAPTION,
        )
        return
    data = await my_data.my_data(deps.uow(), telegram_id=user.id, config=deps.config, now=now)
    await message.reply_text(privacy_texts.me(data, deps.config.zone))


@refusals_answered
async def ask_forget(update: Update, context: RotaContext) -> None:
    """/forgetme: say what would be deleted and what stays, then ask (refused while an
    alert about the person is open)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = context.deps
    await people.may_forget(deps.uow(), telegram_id=user.id, config=deps.config)
    await message.reply_text(
        people_texts.FORGET_ASK, reply_markup=people_keyboards.confirm_forget()
    )


@refusals_answered
async def forget_button(update: Update, context: RotaContext) -> None:
    """The yes/no answer to /forgetme."""
    query = update.callback_query
    if query is None:
        return
    press = people_keyboards.FORGET.parse(query.data)
    if press is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    if press.action == "n":
        await query.answer()
        await query.edit_message_text(people_texts.FORGET_KEPT)
        return
    deps = context.deps
    forgotten = await people.forget_me(
        deps.uow(), telegram_id=query.from_user.id, config=deps.config, now=deps.clock.now()
    )
    await query.answer()
    shifts = forgotten.shifts
    freed = f", and gave up your {shifts} upcoming shift(s)" if shifts else ""
    await query.edit_message_text(people_texts.FORGET_DONE.format(shifts=freed))
