"""Rendering of the rota's own outbox notices: waitlist places, cancellations, late notice."""

from __future__ import annotations

from bot import texts
from bot.outbox.outgoing import Outgoing
from bot.outbox.registry import Shown, renders
from bot.roster import texts as roster_texts
from rota.roster.notices import LateWithdrawal, LeftGroup, Promoted, SessionCancelled


@renders(Promoted, "a place from a waitlist")
def promoted(p: Promoted, shown: Shown) -> Outgoing:
    """To a volunteer moved up from the waitlist."""
    return Outgoing(roster_texts.promoted(p, shown.zone))


@renders(SessionCancelled, "a cancelled session")
def session_cancelled(p: SessionCancelled, shown: Shown) -> Outgoing:
    """To everyone on a cancelled session."""
    return Outgoing(roster_texts.session_cancelled_notice(p, shown.zone))


@renders(LateWithdrawal, "a late withdrawal")
def late_withdrawal(p: LateWithdrawal, shown: Shown) -> Outgoing:
    """To coordinators (and the team chat): a late withdrawal."""
    return Outgoing(roster_texts.late_withdrawal(p, shown.zone))


@renders(LeftGroup, "a group left")
def left_group(p: LeftGroup, shown: Shown) -> Outgoing:
    """To coordinators: the bot left a group that is not the team's."""
    return Outgoing(texts.left_group(p))
