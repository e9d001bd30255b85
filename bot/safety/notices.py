"""Rendering of the safety feature's outbox notices: the walk, check-ins, home-safe, alarms."""

from __future__ import annotations

from bot.outbox.outgoing import Outgoing
from bot.outbox.registry import Shown, renders
from bot.safety import keyboards as safety_keyboards
from bot.safety import texts as safety_texts
from rota.safety.notices import (
    Alert,
    AlertBase,
    AlertLocation,
    AlertLocationMove,
    AlertResolved,
    AlertTaken,
    CheckInDone,
    CheckInPrompt,
    CheckInReminder,
    Followup,
    HomeDone,
    HomeNews,
    HomePrompt,
    HomeReminder,
    LateCheckIn,
    PairsProblem,
    StartedUnreachable,
    TeamAlert,
    Unreachable,
    WalkOver,
    WalkStarted,
)

# How long a responder's copy of a walker's place stays live (movable by edits): a day, the
# longest Telegram allows; an alarm is resolved long before.
LIVE_PERIOD = 86400


@renders(WalkStarted, "the walk starting")
def walk_started(p: WalkStarted, shown: Shown) -> Outgoing:
    """To each walker when the walk starts."""
    return Outgoing(safety_texts.walk_started(p, shown.zone))


@renders(CheckInPrompt, "a check-in", (CheckInReminder, "a check-in reminder"))
def checkin_prompt(p: CheckInPrompt, shown: Shown) -> Outgoing:
    """The check-in question (or its reminder), with the We're OK / Need help buttons."""
    return Outgoing(
        safety_texts.checkin_prompt(p, shown.zone), safety_keyboards.checkin_prompt(p.checkin_id)
    )


@renders(CheckInDone, "a check-in done")
def checkin_done(p: CheckInDone, shown: Shown) -> Outgoing:
    """A prompt rewritten once someone checked in: no buttons left."""
    return Outgoing(safety_texts.checkin_done(p, shown.zone))


@renders(Alert, "an alert", (TeamAlert, "an alert to the team group"))
def alert(p: AlertBase, shown: Shown) -> Outgoing:
    """An alert, with its Acknowledge button."""
    return Outgoing(
        safety_texts.alert(p, shown.zone, repeat=shown.repeat),
        safety_keyboards.alert(p.escalation_id),
    )


@renders(AlertLocation, "a location for an alert", (AlertLocationMove, "a moved location"))
def alert_location(p: AlertLocation, shown: Shown) -> Outgoing:
    """Where they were last seen (a live pin when it follows them)."""
    return Outgoing(
        location=(p.latitude, p.longitude), live_period=LIVE_PERIOD if p.live else None
    )


@renders(AlertTaken, "an alert taken", (AlertResolved, "an alert resolved"))
def alert_taken(p: AlertTaken, shown: Shown) -> Outgoing:
    """An alert rewritten once taken (They're safe button) or resolved (none)."""
    if isinstance(p, AlertResolved):
        return Outgoing(safety_texts.alert_taken(p, shown.zone))
    return Outgoing(
        safety_texts.alert_taken(p, shown.zone),
        safety_keyboards.alert(p.escalation_id, taken=True),
    )


@renders(LateCheckIn, "a late check-in")
def late_checkin(p: LateCheckIn, shown: Shown) -> Outgoing:
    """To everyone alerted: the pair checked in after all."""
    return Outgoing(safety_texts.late_checkin(p, shown.zone))


@renders(HomeNews, "home-safe news")
def home_news(p: HomeNews, shown: Shown) -> Outgoing:
    """To everyone alerted: home safe after all."""
    return Outgoing(safety_texts.home_news(p, shown.zone))


@renders(Followup, "a coordinator on the way")
def followup(p: Followup, shown: Shown) -> Outgoing:
    """To the pair: a coordinator is on it."""
    return Outgoing(safety_texts.followup(p))


@renders(Unreachable, "someone unreachable")
def unreachable(p: Unreachable, shown: Shown) -> Outgoing:
    """To the other coordinators: an alert could not be delivered."""
    return Outgoing(safety_texts.unreachable(p))


@renders(PairsProblem, "a problem with the pairs")
def pairs_problem(p: PairsProblem, shown: Shown) -> Outgoing:
    """To coordinators: a pairing problem."""
    return Outgoing(safety_texts.pairs_problem(p))


@renders(WalkOver, "the walk ending")
def walk_over(p: WalkOver, shown: Shown) -> Outgoing:
    """To walkers: the walk was ended early."""
    return Outgoing(safety_texts.walk_over(p))


@renders(HomePrompt, "the home-safe question", (HomeReminder, "a home-safe reminder"))
def home_prompt(p: HomePrompt, shown: Shown) -> Outgoing:
    """The home-safe question (or its reminder), with its button."""
    return Outgoing(
        safety_texts.home_prompt(p, shown.zone), safety_keyboards.home_safe(p.home_safe_id)
    )


@renders(HomeDone, "a home-safe answer")
def home_done(p: HomeDone, shown: Shown) -> Outgoing:
    """The home-safe question once answered."""
    return Outgoing(safety_texts.home_done(p, shown.zone))


@renders(StartedUnreachable, "someone unreachable")
def started_unreachable(p: StartedUnreachable, shown: Shown) -> Outgoing:
    """At start-up: people the bot cannot message."""
    return Outgoing(safety_texts.started_unreachable(p))
