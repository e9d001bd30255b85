"""Where each command and button may be used, checked before any handler reads or edits.

Telegram checks neither callback data nor which message a press came from, edits re-deliver
commands, forwards arrive as the forwarder's and anyone can add a bot to a group. So: every
command declares the chats it works in; every button prefix declares the chats its messages
live in, and a press counts only if its data is really a button of the pressed message; the
bot acts only in the team's group. *Who* may act is the domain's to decide (it re-reads the
database on every call); this module decides *where*.
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Iterable

from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.callbacks import CallbackSpec, any_prefix
from bot.context import RotaContext
from bot.handlers.base import Handler
from rota.people import membership as people
from rota.roster import posts
from rota.roster.posts import GroupStanding

log = logging.getLogger(__name__)

# Commands that must work wherever a walker in trouble types them.
SAFETY_COMMANDS = frozenset({"sos", "ok"})


class Place(enum.Flag):
    """The chats a command or button belongs in."""

    PRIVATE = enum.auto()  # the person's own chat with the bot
    TEAM = enum.auto()  # the team's group
    BOTH = PRIVATE | TEAM


def command(name: str, callback: Handler, where: Place) -> CommandHandler:  # type: ignore[type-arg]
    """A command that answers new messages only (an edit must not run it twice), in `where`."""
    return CommandHandler(
        name, _command_in(name, callback, where), filters=filters.UpdateType.MESSAGE
    )


class ButtonHandler(CallbackQueryHandler):  # type: ignore[type-arg]
    """The handler of one feature's buttons: presses whose data has a shape of its spec."""

    __slots__ = ("spec",)

    def __init__(self, spec: CallbackSpec, callback: Handler) -> None:
        super().__init__(callback, pattern=spec.pattern)
        self.spec = spec


def button(
    spec: CallbackSpec, callback: Handler, where: Place, *, urgent: frozenset[str] = frozenset()
) -> ButtonHandler:
    """A feature's buttons, as its spec declares them: presses count only on their own
    messages, in `where`.

    `urgent` actions count from a stale screen too (the button already gone from the message,
    say after the partner checked in): Need help must never be refused for being out of date.
    Their handlers edit nothing and the domain decides who they are for.
    """
    if not urgent <= spec.actions.keys():
        raise ValueError(f"{spec.prefix}: urgent actions {sorted(urgent)} are not all declared")
    return ButtonHandler(spec, _pressed_here(callback, where, spec, urgent))


def unclaimed_button(handlers: Iterable[object]) -> CallbackQueryHandler:  # type: ignore[type-arg]
    """After the buttons: data with a feature's prefix but none of its shapes.

    Forged, or a button of an older version: refused like any press that is not a button of
    the pressed message (an old button really on it is only out of date). Raises ValueError
    if two of `handlers`' buttons share a prefix.
    """
    specs = [h.spec for h in handlers if isinstance(h, ButtonHandler)]

    async def refuse(update: Update, context: RotaContext) -> None:
        query = update.callback_query
        if query is None:
            return
        message = query.message
        if isinstance(message, Message) and on_message(query.data, message):
            await query.answer(texts.STALE_BUTTON, show_alert=True)
        else:
            await query.answer(texts.PRESS_REFUSED, show_alert=True)

    return CallbackQueryHandler(refuse, pattern=any_prefix(specs))


def _command_in(name: str, callback: Handler, where: Place) -> Handler:
    @functools.wraps(callback)
    async def wrapper(update: Update, context: RotaContext) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None:
            return
        here = Place.PRIVATE if chat.type == ChatType.PRIVATE else Place.TEAM
        if here in where:
            await callback(update, context)
        elif here is Place.PRIVATE:
            await message.reply_text(texts.GROUP_ONLY)
        else:  # show nothing else: not even whether the sender may use it
            await message.reply_text(texts.SEND_PRIVATELY.format(command=f"/{name}"))

    return wrapper


def on_message(data: str | None, message: Message) -> bool:
    """Whether `data` is the data of a button on `message` (Telegram sends its keyboard)."""
    markup = message.reply_markup
    if data is None or markup is None:
        return False
    return any(b.callback_data == data for row in markup.inline_keyboard for b in row)


def _pressed_here(
    callback: Handler, where: Place, spec: CallbackSpec, urgent: frozenset[str]
) -> Handler:
    @functools.wraps(callback)
    async def wrapper(update: Update, context: RotaContext) -> None:
        query = update.callback_query
        if query is None:
            return
        message = query.message
        # A modified client can send any data from any message it can see: a press counts
        # only if the pressed message carries that very button (its keyboard comes from
        # Telegram, not from the client), so no handler edits a message of another kind.
        press = spec.parse(query.data)
        loose = press is not None and press.action in urgent
        if not isinstance(message, Message) or not (loose or on_message(query.data, message)):
            await query.answer(texts.PRESS_REFUSED, show_alert=True)
            return
        private = message.chat.type == ChatType.PRIVATE
        if private and message.chat.id != query.from_user.id:
            await query.answer(texts.PRESS_REFUSED, show_alert=True)
            return
        if (Place.PRIVATE if private else Place.TEAM) not in where:
            await query.answer(texts.PRESS_REFUSED, show_alert=True)
            return
        await callback(update, context)

    return wrapper


def _command_name(update: Update) -> str | None:
    message = update.message
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    return message.text.split(maxsplit=1)[0][1:].split("@")[0].lower()


async def team_groups_only(update: Update, context: RotaContext) -> None:
    """Runs before every handler: in a group that is not the team's, say so once and leave.

    Without a configured team chat a coordinator's /postrota adopts a group; until then the
    bot stays quiet there (if a coordinator added it) or leaves (if anyone else did).
    """
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    member = update.my_chat_member
    if member is not None and member.new_chat_member.status in (
        ChatMemberStatus.LEFT,
        ChatMemberStatus.BANNED,
    ):
        raise ApplicationHandlerStop  # removed from a group: nothing to say
    deps = context.deps
    if member is not None:  # added (again): a new arrival is told, and left, again
        deps.told_groups.discard(chat.id)
    standing = await posts.group_standing(deps.uow(), chat_id=chat.id, config=deps.config)
    if standing is GroupStanding.TEAM:
        if member is not None:
            raise ApplicationHandlerStop
        return
    name = _command_name(update)
    if name in SAFETY_COMMANDS:
        return  # never stand between a walker and an alarm: leave_after_safety leaves after
    if standing is GroupStanding.UNADOPTED:
        if name == "postrota":
            return  # the handler lets only a coordinator adopt the group
        adder = member.from_user.id if member is not None else None
        if adder is None or await _is_coordinator(context, adder):
            await _say_once(update, context, texts.ADOPT_HINT)
            raise ApplicationHandlerStop
    await _leave(update, context, added_by=member.from_user.id if member else None)
    raise ApplicationHandlerStop


async def leave_after_safety(update: Update, context: RotaContext) -> None:
    """After an /sos or /ok typed in a group that is not the team's has counted: leave it."""
    chat = update.effective_chat
    if (
        chat is None
        or chat.type == ChatType.PRIVATE
        or _command_name(update) not in (SAFETY_COMMANDS)
    ):
        return
    deps = context.deps
    standing = await posts.group_standing(deps.uow(), chat_id=chat.id, config=deps.config)
    if standing is GroupStanding.FOREIGN:
        await _leave(update, context, added_by=None)


async def _is_coordinator(context: RotaContext, telegram_id: int) -> bool:
    deps = context.deps
    actor = await people.who_is(deps.uow(), telegram_id=telegram_id, config=deps.config)
    return actor.is_coordinator


async def _say_once(update: Update, context: RotaContext, text: str) -> None:
    """Answer in a group at most once per chat and process: a flood gets one reply."""
    chat = update.effective_chat
    assert chat is not None
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    if chat.id in context.deps.told_groups:
        return
    context.deps.told_groups.add(chat.id)
    try:
        await context.bot.send_message(chat.id, text)
    except TelegramError:
        log.warning("could not speak in group %s", chat.id)


async def _leave(update: Update, context: RotaContext, *, added_by: int | None) -> None:
    chat = update.effective_chat
    assert chat is not None
    deps = context.deps
    first_time = chat.id not in deps.told_groups
    await _say_once(update, context, texts.NOT_TEAM_GROUP)
    if not first_time:
        return
    sender = update.effective_user
    await posts.left_group(
        deps.uow(),
        chat_id=chat.id,
        title=chat.title or "",
        added_by=added_by if added_by is not None else (sender.id if sender else None),
        config=deps.config,
        now=deps.clock.now(),
    )
    try:
        await context.bot.leave_chat(chat.id)
    except TelegramError:
        log.warning("could not leave group %s", chat.id)
    log.info("left group %s: it is not the team's", chat.id)


async def forwarded(update: Update, context: RotaContext) -> None:
    """A forwarded message is someone else's words or place: never act on it as the sender's."""
    message = update.effective_message
    if message is None:
        return
    place = message.location is not None or message.venue is not None
    await message.reply_text(texts.FORWARDED_LOCATION if place else texts.FORWARDED)


async def edited(update: Update, context: RotaContext) -> None:
    """An edit re-delivers a message: it never runs a command, checks in or answers again."""
    message = update.effective_message
    if message is None:
        return
    is_command = bool(message.text and message.text.startswith("/"))
    if (
        is_command
        or update.effective_chat is None
        or (update.effective_chat.type == ChatType.PRIVATE)
    ):
        await message.reply_text(texts.EDITED)


def message_guards() -> list[MessageHandler]:  # type: ignore[type-arg]
    """First in the list: forwards and edits are answered here and go no further.

    A live location's moves arrive as edits of a message that has a location: those go on
    to the location handler.
    """
    return [
        MessageHandler(filters.FORWARDED, forwarded),
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & ~filters.LOCATION, edited),
    ]
