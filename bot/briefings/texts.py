"""Every word of the briefing feature; its button is in keyboards.py. Pure functions.

The briefing is read on a phone a few hours before the walk: when and where first, then who
to call, your pair, the plan, the kit, and tonight's safety notes. It always fits in one
Telegram message: a big team is summarised rather than the message refused.
"""

from __future__ import annotations

import datetime as dtm
import html
import re
from collections.abc import Callable, Sequence

from bot.refusals import words
from bot.roster.texts import day, window
from bot.texts import esc
from rota.briefings.notices import (
    BriefingMessage,
    BriefingUnreachable,
    Contact,
    NoteUpdate,
    PairsChanged,
    UnreadAlert,
)
from rota.briefings.refusals import BriefingRefusal
from rota.briefings.services import BriefingStatus, NoteAdded, SessionNotes
from rota.kernel.localtime import format_clock
from rota.kernel.notices import SessionTimes

MESSAGE_LIMIT = 4096  # Telegram's limit, in UTF-16 units of the text as shown
_TAG = re.compile(r"<[^>]*>")

GOT_IT_THANKS = "Thanks! Marked as read. Stay safe tonight. 💜"
GOT_IT_AGAIN = "You already told me you've read it (at {at}). Thank you!"
STALE = "That button doesn't work any more. Your latest briefing has a fresh one."
BRIEF_USAGE = (
    "Usage: /brief YYYY-MM-DD to see a session's safety notes, or "
    "/brief YYYY-MM-DD <note> to add one, e.g.\n"
    "/brief 2026-12-02 Ugly Mugs alert: a man in a grey van offering lifts near Mill Road."
)
STATUS_USAGE = "Usage: /briefstatus YYYY-MM-DD, e.g. /briefstatus 2026-12-02"


# ---------------------------------------------------------------------------- helpers


def visible_length(text: str) -> int:
    """How long Telegram counts an HTML message: tags dropped, entities decoded, UTF-16."""
    shown = html.unescape(_TAG.sub("", text))
    return len(shown.encode("utf-16-le")) // 2


def _and(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return names[0] if names else ""
    return ", ".join(names[:-1]) + " and " + names[-1]


def _when(session: SessionTimes, zone: str) -> str:
    return window(session.starts_at, session.ends_at, zone)


def _link(person: Contact) -> str:
    """A tap-to-message link to a person (plain name if the bot has no Telegram id)."""
    name, telegram_id = esc(person[0]), person[1]
    if telegram_id is not None:
        return f'<a href="tg://user?id={telegram_id}">{name}</a>'
    return name


def _names(names: Sequence[str], most: int) -> str:
    """Escaped names joined by commas, at most `most` of them and a count of the rest."""
    shown = [esc(n) for n in names[:most]]
    if len(names) > most:
        shown.append(f"and {len(names) - most} more")
    return ", ".join(shown)


def _fit(build: Callable[[int], str], caps: Sequence[int] = (500, 100, 40, 15, 5)) -> str:
    """The first text built with a names cap that fits in one message (the last one if none)."""
    text = ""
    for cap in caps:
        text = build(cap)
        if visible_length(text) <= MESSAGE_LIMIT:
            return text
    return text


# ---------------------------------------------------------------------------- the briefing


def _team(p: BriefingMessage, *, full: bool) -> str:
    lines = ["<b>Tonight's team</b>"]
    for label, names in p.team:
        if full:
            lines.append(f"{esc(label)}: {', '.join(esc(n) for n in names)}")
        else:
            lines.append(f"{esc(label)}: {len(names)}")
    return "\n".join(lines)


def _pairs(p: BriefingMessage, *, full: bool) -> str:
    pairs = p.pairs
    if not pairs:
        return ""
    mine = p.pair
    if not full:
        return f"<b>Walking pairs</b>: {len(pairs)}"
    lines = ["<b>Walking pairs</b>"]
    for number, names in enumerate(pairs, start=1):
        you = " ← you" if number == mine else ""
        lines.append(f"{number}. {esc(_and(names))}{you}")
    return "\n".join(lines)


def _you(p: BriefingMessage) -> str:
    role = esc(p.role)
    if not p.walker:
        return f"You're <b>{role}</b> tonight."
    partners = p.partners
    if partners:
        return f"You're <b>{role}</b>, walking with <b>{esc(_and(partners))}</b>."
    return (
        f"You're <b>{role}</b>, but not in a pair yet: you won't go out alone. "
        "The team lead will pair you up."
    )


def _contacts(p: BriefingMessage, most: int = 5) -> str:
    lead = [_link(c) for c in p.lead[:most]]
    oncall = [_link(c) for c in p.oncall[:most]]
    lines = [
        "<b>Who to contact</b> (tap a name to message them)",
        f"Team lead: {', '.join(lead) if lead else 'nobody has signed up yet'}",
        "On call: "
        + (", ".join(oncall) if oncall else "nobody tonight, so alerts go to every coordinator"),
    ]
    return "\n".join(lines)


def _checklist(p: BriefingMessage, *, full: bool) -> str:
    items = [esc(i) for i in p.checklist]
    if not items:
        return ""
    if full:
        return "<b>Bring</b>\n" + "\n".join(f"☐ {i}" for i in items)
    return "<b>Bring</b>: " + " · ".join(items)


def _notes(notes: Sequence[str], budget: int | None = None) -> str:
    if not notes:
        return "No safety notes for tonight."
    body = "\n\n".join(f"• {esc(n)}" for n in notes)
    if budget is not None and visible_length(body) > budget:
        plain = "\n\n".join(f"• {n}" for n in notes)
        body = esc(_cut(plain, budget - 80)) + "… <i>(cut short to fit: ask the team lead)</i>"
    return "⚠️ <b>Tonight's safety notes</b>\n" + body


def _cut(text: str, units: int) -> str:
    """The longest start of `text` that is at most `units` UTF-16 units long."""
    used = 0
    for index, char in enumerate(text):
        used += len(char.encode("utf-16-le")) // 2
        if used > units:
            return text[:index]
    return text


def briefing(payload: BriefingMessage, zone: str, *, read_at: dtm.datetime | None = None) -> str:
    """The briefing: when, where, who, your pair, the plan, the kit and the safety notes.

    A big team is summarised (counts instead of names, the kit on one line) until it fits in
    one message; only if even that is too long are the notes cut, saying so.
    """
    head = [f"📋 <b>Briefing: {_when(payload.session, zone)}</b>"]
    head.append(f"📍 Meet at <b>{esc(payload.meeting_point)}</b>")
    if payload.session_note:
        head.append(f"Note: {esc(payload.session_note)}")
    head.append(_you(payload))
    plan = payload.plan
    check = f"<b>Check-ins</b>\n{esc(plan[:1].upper() + plan[1:])}." if plan else ""
    if read_at is None:
        foot = "Please read it all, then tap <b>Got it</b>."
    else:
        foot = f"✅ Read at {format_clock(read_at, zone)}. Thank you!"
    notes = list(payload.notes)

    def build(full_team: bool, full_pairs: bool, full_kit: bool, budget: int | None) -> str:
        parts = [
            "\n".join(head),
            _contacts(payload),
            _team(payload, full=full_team),
            _pairs(payload, full=full_pairs),
            check,
            _checklist(payload, full=full_kit),
            _notes(notes, budget),
            foot,
        ]
        return "\n\n".join(p for p in parts if p)

    for full_team, full_pairs, full_kit in (
        (True, True, True),
        (False, True, True),
        (False, False, True),
        (False, False, False),
    ):
        text = build(full_team, full_pairs, full_kit, None)
        if visible_length(text) <= MESSAGE_LIMIT:
            return text
    rest = visible_length(build(False, False, False, None)) - visible_length(_notes(notes))
    return build(False, False, False, MESSAGE_LIMIT - rest - 40)


def note_update(p: NoteUpdate, zone: str) -> str:
    """A safety note added after the person's briefing went out."""
    return f"⚠️ <b>Update to tonight's briefing</b> ({_when(p.session, zone)}):\n\n{esc(p.note)}"


def pairs_changed(p: PairsChanged, zone: str) -> str:
    """The pairs changed after the briefing (someone joined or withdrew)."""
    partners = p.partners
    if partners:
        now = f"You're now walking with <b>{esc(_and(partners))}</b>."
    else:
        now = (
            "You're not in a pair at the moment: you won't go out alone. "
            "The team lead will sort it out."
        )
    return (
        f"🔁 <b>Update to tonight's briefing</b> ({_when(p.session, zone)}): "
        f"the pairs have changed. {now}"
    )


def unread_alert(p: UnreadAlert, zone: str) -> str:
    """To the lead and on-call: who hasn't tapped Got it yet."""
    names = list(p.names)
    total = len(names) if p.total is None else p.total

    def build(cap: int) -> str:
        return (
            f"📋 <b>Briefing not read yet</b> for {_when(p.session, zone)}: "
            f"{len(names)} of {total} haven't tapped Got it:\n{_names(names, cap)}\n\n"
            "You might check they've seen it before the walk."
        )

    return _fit(build)


def unreachable(p: BriefingUnreachable, zone: str) -> str:
    """To coordinators: a briefing could not be delivered."""
    return (
        f"⚠️ I couldn't deliver the briefing for {day(p.session.starts_at, zone)} to "
        f"<b>{esc(p.name)}</b>: they blocked the bot or never "
        "started it. Please brief them another way (and ask them to open the bot)."
    )


# ---------------------------------------------------------------------------- coordinators


def _note_lines(notes: SessionNotes, zone: str) -> list[str]:
    if not notes.notes:
        return ["No safety notes yet."]
    return [
        f"{n}. {esc(note.text)} <i>({format_clock(note.created_at, zone)})</i>"
        for n, note in enumerate(notes.notes, start=1)
    ]


def _sending(notes: SessionNotes, zone: str) -> str:
    if notes.sent:
        return "The briefing has gone out: new notes go to everyone briefed as an update."
    return (
        f"The briefing goes out on {day(notes.sends_at, zone)} at "
        f"{format_clock(notes.sends_at, zone)}, with these notes."
    )


def notes_list(notes: SessionNotes, zone: str) -> str:
    """/brief YYYY-MM-DD: the session's notes."""
    s = notes.session
    lines = [f"<b>Safety notes: {window(s.starts_at, s.ends_at, zone)}</b>"]
    lines += _note_lines(notes, zone)
    lines += ["", _sending(notes, zone), "Add one with /brief YYYY-MM-DD <i>note</i>."]
    return "\n".join(lines)


def note_added(added: NoteAdded, zone: str) -> str:
    """After /brief YYYY-MM-DD <note>."""
    notes = added.notes
    s = notes.session
    if added.updates:
        sent = f"Sent as an update to the {added.updates} people already briefed."
    elif notes.sent:
        sent = "Nobody on the rota has been briefed yet; it will be in their briefings."
    else:
        sent = _sending(notes, zone)
    lines = [f"✓ Safety note added for {window(s.starts_at, s.ends_at, zone)}. {sent}", ""]
    lines += _note_lines(notes, zone)
    return "\n".join(lines)


def status(st: BriefingStatus, zone: str) -> str:
    """/briefstatus YYYY-MM-DD."""
    s = st.session
    head = f"<b>Briefing: {window(s.starts_at, s.ends_at, zone)}</b>"
    notes = f"{st.notes} safety note(s)."
    if not st.sent:
        everyone = st.not_briefed

        def before(cap: int) -> str:
            return (
                f"{head}\nIt goes out on {day(st.sends_at, zone)} at "
                f"{format_clock(st.sends_at, zone)} to the {len(everyone)} people on the rota"
                f"{': ' + _names(everyone, cap) if everyone else ''}.\n{notes}"
            )

        return _fit(before)
    briefed = len(st.read) + len(st.unread) + len(st.unreachable)

    def after(cap: int) -> str:
        lines = [head, f"Read by {len(st.read)} of {briefed} briefed. {notes}"]
        if st.read:
            read = [f"{n} ({format_clock(at, zone)})" for n, at in st.read]
            lines.append(f"✅ Read: {_names(read, cap)}")
        if st.unread:
            lines.append(f"⏳ Not yet: {_names(st.unread, cap)}")
        if st.unreachable:
            lines.append(
                f"⚠️ Couldn't be delivered (blocked the bot or never started it): "
                f"{_names(st.unreachable, cap)}"
            )
        if st.not_briefed:
            lines.append(f"🕓 Not briefed yet (next few seconds): {_names(st.not_briefed, cap)}")
        return "\n".join(lines)

    return _fit(after)


# ---------------------------------------------------------------------------- refusals

words(
    {
        BriefingRefusal.NOTE_EMPTY: (
            "The note is empty. Write what the team needs to know after the date, e.g. "
            "/brief 2026-12-02 Ugly Mugs alert: a grey van seen on Mill Road."
        ),
        BriefingRefusal.NOTE_TOO_LONG: (
            "That note is {length} characters long: {limit} at most, so the "
            "briefing still fits in one message. Please shorten it."
        ),
        BriefingRefusal.NOTES_TOO_LONG: (
            "Tonight's notes would be too long for one message: they already have {used} "
            "of {limit} characters, and this note has {length}. Please shorten it."
        ),
        BriefingRefusal.NO_SESSION_ON: "There's no session on {day}. /rota shows the coming ones.",
        BriefingRefusal.SESSION_CANCELLED: (
            "The session on {day} was cancelled, so it has no briefing."
        ),
        BriefingRefusal.SESSION_OVER: (
            "The session on {day} is over, so its briefing can't change any more."
        ),
        BriefingRefusal.NO_SESSION_TO_CHECK: "There's no session on {day}. /rota shows the dates.",
        BriefingRefusal.NOT_YOUR_BRIEFING: "That isn't your briefing, so I can't mark it read.",
    }
)
