"""Words for /me and /me export: what the bot keeps about you, on one phone screen."""

from __future__ import annotations

import datetime as dtm
from collections import Counter
from collections.abc import Sequence

from bot.outbox.registry import called
from bot.refusals import words
from bot.roster.texts import day
from bot.texts import esc
from rota.kernel.localtime import format_day, to_local
from rota.privacy.model import MySignUp
from rota.privacy.my_data import MyData, in_words
from rota.privacy.refusals import PrivacyRefusal
from rota.roster.model import SignUpStatus

PAST_SHOWN = 3  # past shifts listed by date; the rest are counted (all in the export)

ME_USAGE = (
    "/me shows what I keep about you; /me export sends all of it as a file. "
    "Nothing else goes after /me."
)
EXPORT_CAPTION = (
    "Everything I keep about you, as a JSON file (times in UTC). "
    "It holds nothing about anyone else. /forgetme deletes it."
)


def message_kind(kind: str) -> str:
    """A message kind in plain words, as its renderer registered them (an unknown one is
    shown by its own name)."""
    return called(kind) or kind.replace("_", " ")


def _shift(signup: MySignUp) -> str:
    waiting = " (waitlist)" if signup.status == SignUpStatus.WAITLISTED.value else ""
    return f"{format_day(signup.session_date)} {esc(signup.role)}{waiting}"


def _kinds(kinds: Sequence[str]) -> str:
    counted = Counter(message_kind(k) for k in kinds)
    return ", ".join(f"{what} ×{n}" if n > 1 else what for what, n in counted.items())


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def me(data: MyData, zone: str) -> str:
    """/me: everything stored about the person, grouped, short enough for one phone screen."""
    p, r = data.profile, data.records
    handle = f"@{esc(p.username)}" if p.username else "no username"
    joined = f"{day(p.joined_at, zone)} {to_local(p.joined_at, zone).year}"
    lines = [
        "<b>What I keep about you</b>",
        f"Name: {esc(p.name)}",
        f"Telegram: {handle} (id {p.telegram_id})",
        f"Phone: {esc(p.phone) if p.phone else 'not shared (/phone)'}",
        f"Tags: {esc(', '.join(p.tags)) if p.tags else 'none'}",
        f"Joined: {joined}",
        "",
        "<b>Shifts</b>",
    ]
    upcoming = data.upcoming
    lines.append(
        f"Upcoming shifts: {len(upcoming)}"
        + (f": {', '.join(_shift(s) for s in upcoming)}" if upcoming else "")
    )
    past = data.past
    if past:
        latest = ", ".join(format_day(s.session_date) for s in reversed(past[-PAST_SHOWN:]))
        more = " (all of them in /me export)" if len(past) > PAST_SHOWN else ""
        last = "last" if len(past) > PAST_SHOWN else "on"
        lines.append(f"Past shifts: {len(past)}, {last} {latest}{more}")
    else:
        lines.append("Past shifts: none")
    night = [
        _count(len(r.checkins_closed), "check-in you sent", "check-ins you sent"),
        _count(
            sum(h.safe_at is not None for h in r.home_safe),
            "home-safe answer",
            "home-safe answers",
        ),
        _count(len(r.escalations), "alert about you", "alerts about you"),
    ]
    lines.append(f"On the nights: {', '.join(night)}")
    if r.locations:
        lines.append(
            f"Locations: {len(r.locations)}, deleted when the walk ends "
            "(an alert's when it is resolved)"
        )
    else:
        lines.append("Locations: none kept")
    owed = [m.kind for m in r.messages_pending]
    lines += [
        "",
        "<b>Messages I still owe you</b>",
        f"{len(owed)}: {_kinds(owed)}" if owed else "none",
        "",
        "<b>How long I keep it</b>",
        *retention_lines(data),
        "",
        "/me export – all of it as a file · /forgetme – delete it",
    ]
    return "\n".join(lines)


def retention_lines(data: MyData) -> list[str]:
    """The retention periods, one short line each."""
    k = data.retention
    span = in_words
    return [
        f"• you: while on the team; {span(k.removed_volunteers)} after a /remove",
        f"• what messages said: {span(k.message_bodies)} after delivery; "
        f"that they were sent: {span(k.message_rows)}",
        "• locations: until the walk ends (an alert's until resolved)",
        f"• names in the safety log: {span(k.safety_log_details)}",
        f"• invites: {span(k.invites)} after use or expiry",
    ]


def export_filename(now: dtm.datetime, zone: str) -> str:
    """The export file's name, dated in local time."""
    return f"my-rotabot-data-{to_local(now, zone).date().isoformat()}.json"


# ---------------------------------------------------------------------------- refusals

words(
    {
        PrivacyRefusal.OWN_ALERT_OPEN: (
            "An alert about you is still open, so I can't delete your details yet: the "
            "coordinators may need them to reach you. Once a coordinator has resolved it, "
            "send /forgetme again."
        ),
        PrivacyRefusal.ALERT_OPEN_ABOUT: (
            "An alert about {name} is still open, so I can't erase their details yet: whoever "
            "responds may need them. Resolve it first, then send the command again."
        ),
    }
)
