"""The single ordered list of handlers; the fallbacks come last."""

from __future__ import annotations

from typing import Any

from telegram import BotCommand
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.handlers import (
    briefing,
    coordinator,
    fallback,
    reports,
    rota,
    safety,
    staffing,
    start,
    tonight,
)

COMMANDS = [
    BotCommand("rota", "Upcoming sessions: claim a shift"),
    BotCommand("myshifts", "Your shifts (withdraw here)"),
    BotCommand("me", "What the bot keeps about you"),
    BotCommand("phone", "Share your number for emergencies"),
    BotCommand("name", "Change the name the team sees"),
    BotCommand("forgetme", "Delete your data"),
    BotCommand("ok", "Check in for your pair now"),
    BotCommand("sos", "Alert the coordinators at once"),
    *briefing.COMMANDS,
    *staffing.COMMANDS,
    *reports.COMMANDS,
    BotCommand("help", "All commands"),
]


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add every handler in order."""
    commands: dict[str, Any] = {
        "start": start.start,
        "help": start.show_help,
        "name": start.rename,
        "phone": start.ask_phone,
        "me": start.show_me,
        "forgetme": start.ask_forget,
        "rota": rota.show_rota,
        "myshifts": rota.show_my_shifts,
        "postrota": rota.post_rota,
        "invite": coordinator.invite,
        "volunteers": coordinator.list_volunteers,
        "tag": coordinator.tag,
        "untag": coordinator.untag,
        "remove": coordinator.remove,
        "addsession": coordinator.add_session,
        "cancelsession": coordinator.cancel_session,
        "session": coordinator.show_session,
        "ok": safety.ok,
        "sos": safety.sos,
        "endwalk": safety.end_walk,
        "tonight": tonight.show_tonight,
        "log": tonight.show_log,
        "pairs": tonight.show_pairs,
        "checkins": tonight.checkin_plan,
    }
    handlers: list[Any] = [CommandHandler(name, cb) for name, cb in commands.items()]
    handlers += [
        MessageHandler(filters.CONTACT & filters.ChatType.PRIVATE, start.save_contact),
        CallbackQueryHandler(rota.rota_button, pattern=r"^ro:"),
        CallbackQueryHandler(rota.my_shifts_button, pattern=r"^ms:"),
        CallbackQueryHandler(start.forget_button, pattern=r"^me:"),
        CallbackQueryHandler(safety.checkin_button, pattern=r"^ci:"),
        CallbackQueryHandler(safety.alarm_button, pattern=r"^es:"),
        CallbackQueryHandler(safety.home_button, pattern=r"^hs:"),
        CallbackQueryHandler(safety.end_walk, pattern=r"^wk:e$"),
        CallbackQueryHandler(tonight.pairs_button, pattern=r"^pr:"),
        MessageHandler(filters.LOCATION & filters.ChatType.PRIVATE, safety.location),
        *briefing.handlers(),
        *staffing.handlers(),
        *reports.handlers(),
        # fallbacks: every other command, stray text and unclaimed button gets an answer
        MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, fallback.unknown_command),
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE, safety.text_or_duress
        ),
        CallbackQueryHandler(fallback.unknown_button),
    ]
    app.add_handlers(handlers)
