"""Words about the team's people: welcome, invites, phone, tags, forgetting."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Sequence

from bot.refusals import words
from bot.roster.texts import day
from bot.texts import esc
from rota.kernel.localtime import format_clock, to_local
from rota.people.model import Invite, Volunteer
from rota.people.refusals import PeopleRefusal

ASK_PHONE = (
    "Your number is shown only in an alert about you (a missed check-in, a call for help, "
    "or not confirming you got home), and only to the coordinators and that night's team "
    "lead, never in the team group. "
    "Tap the button below to share it (or ignore this to keep it private)."
)
PHONE_SAVED = "Thanks, {name}. Your number is saved; /me shows it and /forgetme deletes it."
FORGET_ASK = (
    "<b>Delete what I keep about you?</b>\n\n"
    "<b>Deleted:</b> your name, @username, phone number, Telegram id and tags, and any "
    "locations you shared. Where a stored message, alert, briefing, safety-log line or "
    'debrief note names you, your name and number are replaced by "a former volunteer".\n'
    "<b>Given up:</b> your upcoming shifts (the coordinators are told, without your name).\n"
    "<b>Kept, without your name:</b> the counts of past shifts, check-ins and debriefs, for "
    "the charity's reports.\n"
    "<b>Out of my reach:</b> messages already delivered into Telegram chats (the coordinators', "
    "the team group's, this one). I can't delete those; you can delete this chat yourself.\n\n"
    "You'd need a new invite to come back."
)
FORGET_KEPT = "OK, nothing was deleted."
FORGET_DONE = (
    "Done. I deleted your name, username, phone number, Telegram id, tags and locations, and "
    'replaced your name with "a former volunteer" wherever I had stored it{shifts}. '
    "What stays: anonymous counts of past shifts for the charity's reports, and messages "
    "already delivered into Telegram chats, which I can't reach (you can delete this chat). "
    "Take care!"
)


def welcome(volunteer: Volunteer, *, coordinator: bool, joined: bool) -> str:
    """Greeting after /start."""
    first = "Welcome to the team" if joined else "Welcome back"
    text = (
        f"{first}, {esc(volunteer.display_name)}!\n\n"
        "Send /rota to see the upcoming sessions and claim a shift, and /phone to share your "
        "number for emergencies. /name changes the name the team sees."
    )
    if coordinator:
        text += "\n\nYou're a coordinator: /invite makes invite links. /help lists everything."
    return text


def invite_link(invite: Invite, bot_username: str, zone: str) -> str:
    """The deep link a coordinator forwards to a newcomer."""
    tags = f" with tags {esc(', '.join(sorted(invite.tags)))}" if invite.tags else ""
    expires = f"{day(invite.expires_at, zone)} {format_clock(invite.expires_at, zone)}"
    return (
        f"Here's a one-use invite{tags}, valid until {expires}:\n"
        f"https://t.me/{esc(bot_username)}?start={esc(invite.code)}\n\n"
        "Send it only to the person joining."
    )


def volunteers(people: Sequence[Volunteer]) -> str:
    """/volunteers."""
    if not people:
        return "Nobody has joined yet. /invite makes an invite link."
    lines = [f"<b>The team</b> ({len(people)})"]
    for v in people:
        handle = f" @{esc(v.username)}" if v.username else ""
        tags = f" – {esc(', '.join(sorted(v.tags)))}" if v.tags else ""
        phone = " ☎" if v.phone else ""
        lines.append(f"• {esc(v.display_name)}{handle}{tags}{phone}")
    return "\n".join(lines)


def tags_changed(volunteer: Volunteer) -> str:
    """After /tag or /untag."""
    tags = ", ".join(sorted(volunteer.tags)) or "none"
    return f"{esc(volunteer.display_name)} now has tags: {esc(tags)}."


def removed(
    volunteer: Volunteer,
    shifts: int,
    *,
    erased: bool,
    erase_after: dtm.datetime | None,
    zone: str,
) -> str:
    """After /remove or /remove ... forget: who, and what happens to their data."""
    name = esc(volunteer.display_name)
    freed = f" Their {shifts} upcoming shift(s) were freed." if shifts else ""
    if erased:
        return (
            f"{name} is no longer on the team and their details are erased now: name, "
            "username, phone number, Telegram id, tags and locations; stored messages and "
            'logs that named them now say "a former volunteer".'
            f"{freed} Anonymous counts of their past shifts stay for reports; messages already "
            "delivered into Telegram chats are out of my reach."
        )
    when = (
        f" until {day(erase_after, zone)} {to_local(erase_after, zone).year}"
        if erase_after
        else ""
    )
    handle = f"@{esc(volunteer.username)}" if volunteer.username else name
    return (
        f"{name} is no longer on the team.{freed} Their details are kept{when} (a new invite "
        f"brings them back), then erased. To erase them now: /remove {handle} forget"
    )


# ---------------------------------------------------------------------------- refusals

_NEW_LINK = "Please ask a coordinator for a new one."

words(
    {
        PeopleRefusal.NOT_ON_TEAM: (
            "You're not on the team yet. Ask a coordinator for an invite link, then open it."
        ),
        PeopleRefusal.COORDINATORS_ONLY: "Sorry, only coordinators can do that.",
        PeopleRefusal.NAME_ODD_LETTERS: "Please use ordinary letters in your name.",
        PeopleRefusal.NAME_EMPTY: "Please give a name, e.g. /name Sam.",
        PeopleRefusal.NAME_TOO_LONG: "That name is too long: {limit} characters at most.",
        PeopleRefusal.NOT_A_TAG: (
            "'{word}' is not a tag: use a short lowercase word like trained, lead or new."
        ),
        PeopleRefusal.ALREADY_ON_TEAM: (
            "You're already on the team as {name}. Send /rota to see the sessions."
        ),
        PeopleRefusal.INVITE_UNKNOWN: f"That invite link isn't valid. {_NEW_LINK}",
        PeopleRefusal.INVITE_USED: f"That invite link has already been used. {_NEW_LINK}",
        PeopleRefusal.INVITE_EXPIRED: f"That invite link has expired. {_NEW_LINK}",
        PeopleRefusal.INVITE_JUST_USED: f"That invite link has just been used. {_NEW_LINK}",
        PeopleRefusal.NOT_OWN_CONTACT: (
            "Please share your own number with the button, not someone else's contact."
        ),
        PeopleRefusal.NOT_A_PHONE: "That doesn't look like a phone number.",
        PeopleRefusal.NAME_SOMEONE: "Name a volunteer: their name, @username or Telegram id.",
        PeopleRefusal.UNKNOWN_VOLUNTEER: (
            "I don't know a volunteer called '{wanted}'. See /volunteers."
        ),
        PeopleRefusal.AMBIGUOUS_NAME: "'{wanted}' could be more than one person:",
        PeopleRefusal.WHICH_TAG: "Which tag? e.g. /tag Sam trained",
        PeopleRefusal.CANNOT_REMOVE_SELF: "You can't remove yourself; ask another coordinator.",
    }
)
