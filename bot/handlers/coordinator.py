"""Coordinator commands: invites, the team, sessions. Each refuses non-coordinators politely."""

from __future__ import annotations

from telegram import Update

from bot import texts
from bot.context import RotaContext
from bot.handlers.base import command_args, coordinators_only, refusals_answered
from bot.people import texts as people_texts
from bot.roster import texts as roster_texts
from rota.kernel.errors import InvalidInput
from rota.people import membership as people
from rota.roster import sessions


def _usage(example: str) -> InvalidInput:
    return texts.usage(f"Usage: {example}")


@refusals_answered
@coordinators_only
async def invite(update: Update, context: RotaContext) -> None:
    """/invite [tags...]: a one-use deep link valid for 7 days."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = context.deps
    tags = people.parse_tags(command_args(update).split())
    created = await people.create_invite(
        deps.uow(), telegram_id=user.id, tags=tags, config=deps.config, now=deps.clock.now()
    )
    await message.reply_text(
        people_texts.invite_link(created, deps.bot_username, deps.config.zone)
    )


@refusals_answered
@coordinators_only
async def list_volunteers(update: Update, context: RotaContext) -> None:
    """/volunteers: the team with tags."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = context.deps
    team = await people.list_volunteers(deps.uow(), telegram_id=user.id, config=deps.config)
    await message.reply_text(people_texts.volunteers(team))


async def _retag(update: Update, context: RotaContext, *, add: bool) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    command = "/tag" if add else "/untag"
    words = command_args(update).split()
    if len(words) < 2:
        raise _usage(f"{command} <name, @username or id> <tag>, e.g. {command} Sam trained")
    deps = context.deps
    volunteer = await people.retag(
        deps.uow(),
        telegram_id=user.id,
        who=" ".join(words[:-1]),
        tags=people.parse_tags(words[-1:]),
        add=add,
        config=deps.config,
    )
    await message.reply_text(people_texts.tags_changed(volunteer))


@refusals_answered
@coordinators_only
async def tag(update: Update, context: RotaContext) -> None:
    """/tag <who> <tag>."""
    await _retag(update, context, add=True)


@refusals_answered
@coordinators_only
async def untag(update: Update, context: RotaContext) -> None:
    """/untag <who> <tag>."""
    await _retag(update, context, add=False)


@refusals_answered
@coordinators_only
async def remove(update: Update, context: RotaContext) -> None:
    """/remove <who> [forget]: off the team, upcoming shifts freed; data erased now or later."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    who, forget = people.parse_remove(command_args(update))
    if not who:
        raise _usage("/remove <name, @username or id> [forget]")
    deps = context.deps
    removal = await people.remove_volunteer(
        deps.uow(),
        telegram_id=user.id,
        who=who,
        config=deps.config,
        now=deps.clock.now(),
        forget=forget,
    )
    await message.reply_text(
        people_texts.removed(
            removal.volunteer,
            removal.shifts,
            erased=removal.erased is not None,
            erase_after=removal.erase_after,
            zone=deps.config.zone,
        )
    )


@refusals_answered
@coordinators_only
async def add_session(update: Update, context: RotaContext) -> None:
    """/addsession YYYY-MM-DD HH:MM HH:MM [note]."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    parts = command_args(update).split(maxsplit=3)
    if len(parts) < 3:
        raise _usage(
            "/addsession YYYY-MM-DD HH:MM HH:MM [note], "
            "e.g. /addsession 2026-12-23 19:00 23:00 Christmas run"
        )
    deps = context.deps
    session = await sessions.add_session(
        deps.uow(),
        telegram_id=user.id,
        day=parts[0],
        start=parts[1],
        end=parts[2],
        note=parts[3] if len(parts) > 3 else "",
        config=deps.config,
        now=deps.clock.now(),
    )
    await message.reply_text(
        roster_texts.session_added(session.starts_at, session.ends_at, deps.config.zone)
    )


@refusals_answered
@coordinators_only
async def cancel_session(update: Update, context: RotaContext) -> None:
    """/cancelsession YYYY-MM-DD."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    day = command_args(update)
    if not day:
        raise _usage("/cancelsession YYYY-MM-DD")
    deps = context.deps
    session, told = await sessions.cancel_session(
        deps.uow(), telegram_id=user.id, day=day, config=deps.config, now=deps.clock.now()
    )
    await message.reply_text(
        roster_texts.session_cancelled(session.starts_at, session.ends_at, deps.config.zone, told)
    )


@refusals_answered
@coordinators_only
async def show_session(update: Update, context: RotaContext) -> None:
    """/session YYYY-MM-DD: the roster."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    day = command_args(update)
    if not day:
        raise _usage("/session YYYY-MM-DD")
    deps = context.deps
    board = await sessions.session_roster(
        deps.uow(), telegram_id=user.id, day=day, config=deps.config
    )
    await message.reply_text(roster_texts.roster(board, deps.config.zone))
