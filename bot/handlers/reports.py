"""After the shift: the debrief conversation, /report for coordinators, /mycalendar for all."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import BotCommand, InputFile, Update

from bot import texts
from bot.context import RotaContext
from bot.handlers.access import Place, command
from bot.handlers.base import command_args, coordinators_only, is_private, refusals_answered
from bot.reports import chart, exports
from bot.reports import texts as report_texts
from rota.reports import debriefs
from rota.reports import services as reports

COMMANDS: list[BotCommand] = [  # shown in Telegram's command menu
    BotCommand("mycalendar", "Your shifts as a calendar file"),
]


async def offer_debrief_text(update: Update, context: RotaContext, text: str) -> bool:
    """Give a private message to the sender's waiting debrief; False if none is waiting.

    Called by the free-text handler after its duress check, never before it.
    """
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not is_private(update):
        return False
    deps = context.deps
    reply = await debriefs.answer(
        deps.uow(), telegram_id=user.id, text=text, config=deps.config, now=deps.clock.now()
    )
    if reply is None:
        return False
    await message.reply_text(report_texts.turn(reply, deps.config.zone))
    return True


@refusals_answered
async def show_debrief(update: Update, context: RotaContext) -> None:
    """/debrief: the debrief question waiting for you, again."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = context.deps
    reply = await debriefs.current(
        deps.uow(), telegram_id=user.id, config=deps.config, now=deps.clock.now()
    )
    if reply is None:
        await message.reply_text(report_texts.NO_DEBRIEF)
        return
    await message.reply_text(report_texts.turn(reply, deps.config.zone))


@refusals_answered
@coordinators_only
async def monthly_report(update: Update, context: RotaContext) -> None:
    """/report [YYYY-MM]: the month's report as a table, a PNG chart and a CSV."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    words = command_args(update).split()
    if len(words) > 1:
        raise texts.usage("Usage: /report [YYYY-MM], e.g. /report 2026-11")
    deps = context.deps
    report = await reports.coordinator_report(
        deps.uow(),
        telegram_id=user.id,
        month=words[0] if words else "",
        config=deps.config,
        now=deps.clock.now(),
    )
    zone = deps.config.zone
    await message.reply_text(report_texts.report_message(report, zone))
    png = await asyncio.to_thread(chart.report_png, report)
    name = f"outreach-report-{report.month.key}"
    await message.reply_document(
        InputFile(png, filename=f"{name}.png"), caption="The chart, for funder reports."
    )
    await message.reply_document(
        InputFile(exports.report_csv(report), filename=f"{name}.csv"),
        caption="The same figures as a spreadsheet (CSV).",
    )


@refusals_answered
async def my_calendar(update: Update, context: RotaContext) -> None:
    """/mycalendar: your upcoming shifts as an .ics file for your calendar app."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = context.deps
    mine = await reports.my_calendar(
        deps.uow(), telegram_id=user.id, config=deps.config, now=deps.clock.now()
    )
    if not mine.shifts:
        await message.reply_text(report_texts.NO_SHIFTS)
        return
    await message.reply_document(
        InputFile(mine.ics, filename="outreach-shifts.ics"),
        caption=report_texts.calendar_caption(mine.shifts, mine.waitlisted),
    )


def handlers() -> list[Any]:
    """This feature's handlers, registered before the fallbacks."""
    return [
        command("debrief", show_debrief, Place.PRIVATE),
        command("report", monthly_report, Place.PRIVATE),
        command("mycalendar", my_calendar, Place.PRIVATE),
    ]
