"""The single ordered list of handlers; the fallbacks come last."""

from __future__ import annotations

from typing import Any

from telegram import BotCommand, Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, TypeHandler, filters

from bot.handlers import briefings as briefing
from bot.handlers import coordinator, fallback, reports, safety, staffing, tonight
from bot.handlers import people as start
from bot.handlers import roster as rota
from bot.handlers.access import (
    Place,
    button,
    command,
    leave_after_safety,
    message_guards,
    team_groups_only,
    unclaimed_button,
)
from bot.people import keyboards as people_keyboards
from bot.roster import keyboards as roster_keyboards
from bot.safety import keyboards as safety_keyboards

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
    """Add every handler in order: where each command and button works is declared here.

    The README's "Who can do what, where" table is this list; who may act is checked by the
    domain on every call.
    """
    private, team, both = Place.PRIVATE, Place.TEAM, Place.BOTH
    commands = [
        command("start", start.start, private),
        command("help", start.show_help, both),
        command("name", start.rename, private),
        command("phone", start.ask_phone, private),
        command("me", start.show_me, private),
        command("forgetme", start.ask_forget, private),
        command("rota", rota.show_rota, both),  # in a group: a pointer to /postrota
        command("myshifts", rota.show_my_shifts, private),
        command("postrota", rota.post_rota, team),
        # Coordinators' commands show names, rosters and invite links: private chats only.
        command("invite", coordinator.invite, private),
        command("volunteers", coordinator.list_volunteers, private),
        command("tag", coordinator.tag, private),
        command("untag", coordinator.untag, private),
        command("remove", coordinator.remove, private),
        command("addsession", coordinator.add_session, private),
        command("cancelsession", coordinator.cancel_session, private),
        command("session", coordinator.show_session, private),
        command("tonight", tonight.show_tonight, private),
        command("log", tonight.show_log, private),
        command("pairs", tonight.show_pairs, private),
        command("checkins", tonight.checkin_plan, private),
        # A walker in trouble may type these anywhere.
        command("ok", safety.ok, both),
        command("sos", safety.sos, both),
        command("endwalk", safety.end_walk, both),
    ]
    buttons = [
        button(roster_keyboards.ROTA, rota.rota_button, both),  # the team post's join buttons
        button(roster_keyboards.MY_SHIFTS, rota.my_shifts_button, private),
        button(people_keyboards.FORGET, start.forget_button, private),
        # Need help counts from a stale screen too
        button(safety_keyboards.CHECKIN, safety.checkin_button, private, urgent=frozenset({"h"})),
        # the team group gets a copy of late alarms
        button(safety_keyboards.ALARM, safety.alarm_button, both),
        button(safety_keyboards.HOME_SAFE, safety.home_button, private),
        button(safety_keyboards.END_WALK, safety.end_walk, private),
        button(safety_keyboards.PAIRS, tonight.pairs_button, private),
    ]
    features = [*briefing.handlers(), *staffing.handlers(), *reports.handlers(), *buttons]
    handlers: list[Any] = [
        *message_guards(),
        *commands,
        *features,
        MessageHandler(
            filters.CONTACT & filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE,
            start.save_contact,
        ),
        MessageHandler(filters.LOCATION & filters.ChatType.PRIVATE, safety.location),
        # fallbacks: every other command, stray text and unclaimed button gets an answer
        MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, fallback.unknown_command),
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE, safety.text_or_duress
        ),
        unclaimed_button(features),  # a feature's prefix, but none of its shapes
        CallbackQueryHandler(fallback.unknown_button),
    ]
    # Before everything: a group that is not the team's is told once and left.
    app.add_handler(TypeHandler(Update, team_groups_only), group=-1)
    app.add_handlers(handlers)
    # After them: an /sos or /ok that counted in a group that is not the team's, then leave.
    app.add_handler(TypeHandler(Update, leave_after_safety), group=1)
