"""Rendering of the briefing feature's outbox notices."""

from __future__ import annotations

from bot.briefings import keyboards as briefing_keyboards
from bot.briefings import texts as briefing_texts
from bot.outbox.outgoing import Outgoing
from bot.outbox.registry import Shown, renders
from rota.briefings.notices import (
    BriefingMessage,
    BriefingUnreachable,
    NoteUpdate,
    PairsChanged,
    UnreadAlert,
)


@renders(BriefingMessage, "a briefing")
def briefing(p: BriefingMessage, shown: Shown) -> Outgoing:
    """The briefing, with its Got it button."""
    return Outgoing(
        briefing_texts.briefing(p, shown.zone), briefing_keyboards.got_it(p.briefing_id)
    )


@renders(NoteUpdate, "a briefing update")
def note_update(p: NoteUpdate, shown: Shown) -> Outgoing:
    """A safety note added after the briefing went out."""
    return Outgoing(briefing_texts.note_update(p, shown.zone))


@renders(PairsChanged, "new pairs")
def pairs_changed(p: PairsChanged, shown: Shown) -> Outgoing:
    """The pairs changed after the briefing went out."""
    return Outgoing(briefing_texts.pairs_changed(p, shown.zone))


@renders(UnreadAlert, "unread briefings")
def unread_alert(p: UnreadAlert, shown: Shown) -> Outgoing:
    """To the lead and on-call: who hasn't read it."""
    return Outgoing(briefing_texts.unread_alert(p, shown.zone))


@renders(BriefingUnreachable, "an undelivered briefing")
def unreachable(p: BriefingUnreachable, shown: Shown) -> Outgoing:
    """To coordinators: a briefing could not be delivered."""
    return Outgoing(briefing_texts.unreachable(p, shown.zone))
