"""Every word of the safety side: check-ins, alerts, home-safe. Pure functions of payloads.

Alerts are written for a coordinator woken at night: who, what, since when, how to reach
them, where they were; then the buttons.
"""

from __future__ import annotations

import csv
import datetime as dtm
import io
from collections.abc import Sequence
from dataclasses import dataclass

from bot.csvcells import safe_row
from bot.refusals import words
from bot.roster.texts import window
from bot.texts import esc
from rota.kernel.durations import format_duration
from rota.kernel.localtime import format_clock, to_local
from rota.kernel.template import CheckInPlan
from rota.roster.model import Session
from rota.safety.alarms import ListedChange
from rota.safety.checkin_plan import describe
from rota.safety.model import LogEntry
from rota.safety.notices import (
    Alert,
    AlertBase,
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
    Unreachable,
    WalkOver,
    WalkStarted,
)
from rota.safety.refusals import SafetyRefusal
from rota.safety.tonight import Board, PairsView

OK_REPLY = "✓ Checked in at {at}. Thank you, stay safe!"
SOS_REPLY = (
    "🆘 The coordinators have been alerted and someone will contact you. "
    "If you can, share your location with the button below. If you're in danger, call 999."
)
SOS_AGAIN = (
    "🆘 Your alert is already with the coordinators; help is on the way. "
    "Call 999 if you're in danger."
)
LOCATION_KEPT = "📍 Got your location; it's kept for tonight's walk only."
LOCATION_SENT = "📍 Your location has gone to the coordinators."
ALREADY_HOME = "You already told me you're home. Thank you!"
TEAM_DETAILS = (
    "Phone numbers and where they were last seen are with the coordinators and tonight's "
    "team lead, never in this group."
)


def _at(value: dtm.datetime | None, zone: str) -> str:
    return format_clock(value, zone) if value is not None else "?"


def _partners(partners: Sequence[str]) -> str:
    names = [esc(n) for n in partners]
    if len(names) <= 1:
        return names[0] if names else "nobody"
    return ", ".join(names[:-1]) + " and " + names[-1]


def checked_in_reply(at: dtm.datetime, zone: str) -> str:
    """What /ok (and the duress word, identically) answers."""
    return OK_REPLY.format(at=format_clock(at, zone))


def walk_started(p: WalkStarted, zone: str) -> str:
    """To each walker when the walk starts."""
    every = format_duration(dtm.timedelta(seconds=p.interval))
    when = f" (first at {_at(p.first_due, zone)})" if p.first_due else ""
    return (
        f"🚶 The walk has started. You're with <b>{_partners(p.partners)}</b>.\n"
        f"I'll ask your pair to check in every {every}{when}: tap <b>We're OK</b>, or send /ok. "
        "One of you checking in counts for both.\n"
        "If anything feels wrong, tap <b>Need help</b> or send /sos: every coordinator is "
        "alerted at once."
    )


def checkin_prompt(p: CheckInPrompt, zone: str) -> str:
    """The check-in question; the reminder says it is late."""
    both = "all" if len(p.partners) > 1 else "both"
    head = f"Check-in {p.seq} of {p.total}"
    if isinstance(p, CheckInReminder):
        return (
            f"⏰ <b>{head}</b> was due at {_at(p.due_at, zone)} and nobody has "
            f"checked in yet. Tap when you're {both} OK."
        )
    return f"<b>{head}</b> — tap when you're {both} OK."


def checkin_done(p: CheckInDone, zone: str) -> str:
    """A prompt after someone in the pair checked in."""
    return f"✓ Check-in {p.seq} of {p.total}: {esc(p.by)} checked in at {_at(p.at, zone)}."


_STEP = {
    1: "You're the on-call coordinator for tonight.",
    2: "Nobody acknowledged the first alert: now alerting the team lead and all coordinators.",
}


def _people(p: AlertBase) -> str:
    if not isinstance(p, Alert):  # the team group's copy has no phones to show
        return TEAM_DETAILS
    lines = []
    for member in p.members:
        phone = member.phone
        lines.append(f"• {esc(member.name)}: {esc(phone) if phone else 'no phone number shared'}")
    return "\n".join(lines)


def _last(p: AlertBase, zone: str, *, short: bool) -> str:
    if p.last_checkin_at is None:
        return "no check-in yet" if short else "Last check-in: none tonight"
    by = esc(str(p.last_checkin_by))
    if short:
        return f"last {_at(p.last_checkin_at, zone)} by {by}"
    return f"Last check-in: {_at(p.last_checkin_at, zone)} by {by}"


def _step_line(step: int) -> str:
    if step >= 99:
        return "Sent to everyone on the chain at once."
    return _STEP.get(step, f"Still nobody has acknowledged (step {step}).")


def alert(p: AlertBase, zone: str, *, repeat: bool) -> str:
    """An escalation message (a responder's, or the team group's without phones)."""
    names, detail = esc(p.names), p.detail
    if p.kind == "missed_checkin":
        head = (
            f"🚨 <b>MISSED CHECK-IN: {names}</b>\n"
            f"Check-in {detail.seq} of {detail.total} was due at "
            f"{_at(detail.due_at, zone)} and nobody in the pair has answered."
        )
    elif p.kind == "sos":
        head = f"🆘 <b>SOS from {names}</b>: they pressed Need help. Everyone is being alerted."
    elif p.kind == "duress":
        head = (
            f"🤫 <b>SILENT ALARM: {names}</b> sent the duress word. They were shown an ordinary "
            "check-in; do not contact them in a way that gives it away."
        )
    else:
        head = (
            f"🏠 <b>NOT HOME SAFE: {names}</b> has not confirmed they got home "
            f"(due {_at(detail.due_at, zone)})."
        )
    parts = [
        "🔁 <i>Repeat: an earlier copy may have reached you.</i>" if repeat else "",
        head,
        _people(p),
        _last(p, zone, short=False),
        f"Session: {window(p.starts_at, p.ends_at, zone)}",
        f"Meeting point: {esc(p.meeting_point)}",
        _step_line(p.step),
        "Tap <b>Acknowledge</b> if you're dealing with it.",
    ]
    return "\n".join(part for part in parts if part)


def alert_taken(p: AlertTaken, zone: str) -> str:
    """An alert after someone acknowledged it (or, for AlertResolved, resolved it)."""
    if isinstance(p, AlertResolved):
        return f"✅ Resolved by {esc(p.by)} at {_at(p.at, zone)}: {esc(p.names)} safe."
    return (
        f"✋ <b>{esc(p.by)}</b> is dealing with the alert about "
        f"{esc(p.names)} (since {_at(p.at, zone)}). "
        "Tap <b>They're safe</b> when it's over."
    )


def late_checkin(p: LateCheckIn, zone: str) -> str:
    """To everyone alerted, when the pair checks in after all."""
    return (
        f"✓ Update: {esc(p.by)} checked in for {esc(p.names)} at "
        f"{_at(p.at, zone)}. The alert stays open until a coordinator resolves it."
    )


def home_news(p: HomeNews, zone: str) -> str:
    """To everyone alerted, when the person confirms they are home after all."""
    return (
        f"🏠 Update: {esc(p.name)} confirmed home safe at "
        f"{_at(p.at, zone)}. The alert stays open until a coordinator resolves it."
    )


def followup(p: Followup) -> str:
    """To the pair once a coordinator has taken their alert."""
    return (
        f"A coordinator ({esc(p.by)}) is following up on your check-in. "
        "If you can, check in now or call them."
    )


def unreachable(p: Unreachable) -> str:
    """To the other coordinators when an alert could not be delivered."""
    return (
        f"⚠ I couldn't deliver an alert to {esc(p.name)}: they blocked the bot "
        "or never started it. The alert has moved to the next step."
    )


def pairs_problem(p: PairsProblem) -> str:
    """To coordinators: someone would walk alone, or a new walker has no trained partner."""
    problems = "\n".join(f"• {esc(problem)}" for problem in p.problems)
    return f"⚠ <b>Pairing problem for tonight's walk</b>\n{problems}\nThey have not been sent out."


def walk_over(p: WalkOver) -> str:
    """To walkers when the lead ends the walk early."""
    return (
        f"The walk is over ({esc(p.by)} ended it): no more check-ins. "
        "Head to the drop-in. At the end of the session I'll ask you to confirm you're home."
    )


def home_prompt(p: HomePrompt, zone: str) -> str:
    """The home-safe question; the reminder asks again."""
    if isinstance(p, HomeReminder):
        return "⏰ Are you home safe? Please tap the button so nobody worries."
    return (
        "Thank you for tonight. 💜 Tap the button when you're home safe "
        f"(by {_at(p.due_at, zone)}, please)."
    )


def home_done(p: HomeDone, zone: str) -> str:
    """The home-safe prompt once confirmed."""
    return f"🏠 Home safe at {_at(p.at, zone)}. Thank you, rest well."


def started_unreachable(p: StartedUnreachable) -> str:
    """At start-up: people the bot cannot message."""
    names = ", ".join(esc(n) for n in p.names)
    return (
        f"⚠ I can't send messages to: {names}. They need to open the bot and press Start "
        "(or unblock it), or they won't get check-ins and alerts."
    )


_STATE_ICON = {
    "ok": "🟢 ok",
    "due": "🟡 due",
    "late": "🟠 late",
    "escalated": "🔴 ESCALATED",
    "acknowledged": "✋ acknowledged",
    "resolved": "✅ resolved",
}


def board(board: Board, zone: str) -> str:
    """/tonight."""
    s = board.session
    lines = [f"<b>Tonight: {window(s.starts_at, s.ends_at, zone)}</b> · walk {s.walk_state}"]
    lines.append(f"<i>Plan: {esc(describe(board.plan))}</i>")
    if not board.pairs:
        lines.append("\nNo pairs yet (they are made when the walk starts, or with /pairs).")
    for line in board.pairs:
        last = (
            f"last {format_clock(line.last.checked_at, zone)} "
            f"({esc(board.names.get(line.last.checked_by or 0, '?'))})"
            if line.last and line.last.checked_at
            else "no check-in yet"
        )
        nxt = f"next {format_clock(line.next.due_at, zone)}" if line.next else "no more due"
        lines.append(
            f"\n{line.pair.number}. <b>{esc(line.pair.names)}</b>: "
            f"{_STATE_ICON.get(line.state, line.state)}\n   {last} · {nxt}"
        )
    if board.briefed:
        lines.append(
            "\nBriefing not read by: " + ", ".join(esc(n) for n in board.unread)
            if board.unread
            else "\nBriefing: everyone has read it."
        )
    if board.open_alarms:
        lines.append("\n<b>Open alerts</b>")
        for alarm in board.open_alarms:
            who = board.names.get(alarm.acknowledged_by or 0)
            taken = f", taken by {esc(who)}" if who else ""
            lines.append(
                f"• {alarm.kind.value.replace('_', ' ')} since "
                f"{format_clock(alarm.opened_at, zone)}: {alarm.state.value}{taken}"
            )
    if board.home:
        safe = [esc(n) for n, h in board.home if h.safe_at is not None]
        waiting = [esc(n) for n, h in board.home if h.safe_at is None]
        lines.append(f"\n<b>Home safe</b> {len(safe)}/{len(board.home)}")
        if waiting:
            lines.append("Not yet: " + ", ".join(waiting))
    return "\n".join(lines)


def log_text(session: Session, entries: Sequence[LogEntry], zone: str) -> str:
    """/log: the last lines of the safety log, as text."""
    head = f"<b>Safety log: {window(session.starts_at, session.ends_at, zone)}</b>"
    if not entries:
        return head + "\nNothing logged."
    shown = entries[-40:]
    more = (
        f"\n(first {len(entries) - len(shown)} lines are in the CSV)" if len(entries) > 40 else ""
    )
    lines = [f"{format_clock(e.at, zone)} {esc(e.event)}: {esc(e.detail)}" for e in shown]
    return head + more + "\n" + "\n".join(lines)


def log_csv(entries: Sequence[LogEntry], zone: str) -> bytes:
    """The safety log as CSV (local and UTC times), for the charity's records."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time_local", "time_utc", "event", "detail", "pair", "volunteer", "alert"])
    for e in entries:
        writer.writerow(
            safe_row(  # details quote names people chose: "=HYPERLINK(...)" must stay text
                [
                    to_local(e.at, zone).strftime("%Y-%m-%d %H:%M:%S"),
                    e.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    e.event,
                    e.detail,
                    e.pair_id or "",
                    e.volunteer_id or "",
                    e.escalation_id or "",
                ]
            )
        )
    return out.getvalue().encode("utf-8")


def pairs_view(view: PairsView, zone: str) -> str:
    """/pairs."""
    s = view.session
    lines = [f"<b>Pairs: {window(s.starts_at, s.ends_at, zone)}</b>"]
    if not view.pairs:
        lines.append("No walkers yet.")
    lines += [f"{p.number}. {esc(p.names)}" for p in view.pairs]
    if view.unpaired:
        lines.append("⚠ Not paired (not sent out): " + ", ".join(esc(n) for n in view.unpaired))
    lines += [f"⚠ {esc(p)}" for p in view.problems]
    lines.append(
        "Tap a name to swap them with someone in another pair."
        if view.editable
        else "The walk has started: pairs are fixed now."
    )
    return "\n".join(lines)


def plan_text(session: Session, plan: CheckInPlan, zone: str) -> str:
    """/checkins."""
    return (
        f"Check-in plan for {window(session.starts_at, session.ends_at, zone)}: "
        f"{esc(describe(plan))}."
    )


ALERT_ANSWER_LIMIT = 200  # Telegram shows at most 200 characters in a button's answer
# Telegram refuses a message over 4,096 characters; a digest is cut into parts below it.
DIGEST_LIMIT = 3800


@dataclass(frozen=True, slots=True)
class DigestPart:
    """One message of a digest, and how many of the digest's rows (in order) it carries."""

    text: str
    count: int


def _digest_entry(p: AlertBase, zone: str) -> str:
    """One alarm in a digest: what, who and how to reach them, on as few lines as will do."""
    names, detail = esc(p.names), p.detail
    if p.kind == "missed_checkin":
        what = (
            f"🚨 <b>{names}</b>: check-in {detail.seq} of {detail.total} "
            f"due {_at(detail.due_at, zone)}"
        )
    elif p.kind == "sos":
        what = f"🆘 <b>{names}</b>: SOS"
    elif p.kind == "duress":
        what = f"🤫 <b>{names}</b>: silent alarm (duress word); don't give it away"
    else:
        what = f"🏠 <b>{names}</b>: not home safe (due {_at(detail.due_at, zone)})"
    members = p.members if isinstance(p, Alert) else ()
    phones = "; ".join(f"{esc(m.name)} {esc(m.phone)}" for m in members if m.phone)
    return f"{what} ({_last(p, zone, short=True)})" + (f"\n    📞 {phones}" if phones else "")


def alert_digest(alerts: Sequence[AlertBase], zone: str, *, repeat: bool) -> list[DigestPart]:
    """Several alarms for one coordinator at one moment, as one message (or a few parts).

    Separate alerts would queue behind Telegram's one-message-a-second limit per chat: at
    a hundred pairs the last would arrive minutes late. Each part is below Telegram's limit.
    """
    count = len(alerts)
    step = max(a.step for a in alerts)
    head = f"🚨 <b>{count} ALERTS at once</b>"
    foot = (
        f"{_step_line(step)}\nTap <b>Acknowledge these</b> if you're dealing with the alerts "
        "in this message, or acknowledge them one by one in /tonight."
    )
    if any(not isinstance(a, Alert) for a in alerts):
        foot = f"{TEAM_DETAILS}\n{foot}"
    entries = [_digest_entry(a, zone) for a in alerts]
    parts = _pack(entries, head=head, foot=foot)
    if repeat:
        note = "🔁 <i>Repeat: an earlier copy may have reached you.</i>\n"
        parts = [DigestPart(note + part.text, part.count) for part in parts]
    return parts


def taken_digest(news: Sequence[AlertTaken], zone: str, *, resolved: bool) -> list[DigestPart]:
    """Several alarms taken (or resolved) at once, as one message or a few parts."""
    who = ", ".join(sorted({esc(n.by) for n in news}))
    entries = [f"• {esc(n.names)} (since {_at(n.at, zone)})" for n in news]
    if resolved:
        head = f"✅ Resolved by {who}: {len(news)} alerts, all safe."
        foot = ""
    else:
        head = f"✋ <b>{who}</b> is dealing with {len(news)} alerts:"
        foot = "Tap <b>All safe</b> when every one of them is over."
    return _pack(entries, head=head, foot=foot)


def digest_answer(change: ListedChange, *, resolving: bool) -> str:
    """The answer to a digest's button: what this press did, and what others had done."""
    verb = "resolved" if resolving else "took"
    parts = []
    if change.changed:
        parts.append(f"You {verb} {_count(len(change.changed))}.")
    if change.already:
        parts.append(f"{_count(len(change.already))} had already been taken or resolved.")
    return " ".join(parts)[:ALERT_ANSWER_LIMIT]


def _count(n: int) -> str:
    return "1 alert" if n == 1 else f"{n} alerts"


def _pack(entries: Sequence[str], *, head: str, foot: str) -> list[DigestPart]:
    """Entries into as few parts as fit under DIGEST_LIMIT, each with the head and foot."""
    parts: list[list[str]] = [[]]
    room = DIGEST_LIMIT - len(head) - len(foot) - 40
    used = 0
    for entry in entries:
        if parts[-1] and used + len(entry) + 1 > room:
            parts.append([])
            used = 0
        parts[-1].append(entry)
        used += len(entry) + 1
    total = len(parts)
    out = []
    for number, lines in enumerate(parts, start=1):
        label = f" (part {number} of {total})" if total > 1 else ""
        out.append(DigestPart("\n".join([head + label, *lines, foot]).rstrip(), len(lines)))
    return out


# ---------------------------------------------------------------------------- refusals


def _names(names: Sequence[str]) -> str:
    """'Ana', 'Ana and Bea', 'Ana, Bea and Cat'."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


_NOT_KEPT = "so I haven't kept your location."

words(
    {
        SafetyRefusal.NO_SESSION_TONIGHT: (
            "There's no session tonight. /rota shows the coming ones."
        ),
        SafetyRefusal.NO_SESSION_ON: "There's no session on {day}.",
        SafetyRefusal.SESSION_GONE: "That session no longer exists.",
        SafetyRefusal.PAIRS_FIXED: "The walk has started, so the pairs can't change now.",
        SafetyRefusal.PLAN_FIXED: "The walk has started, so its check-in plan can't change now.",
        SafetyRefusal.SIGNED_UP_TWICE: lambda *, names: (
            f"{_names(names)} signed up more than once."
        ),
        SafetyRefusal.NOT_IN_GROUP: "Volunteer {volunteer} is not in any group.",
        SafetyRefusal.NEITHER_IN_GROUP: "Volunteers {first} and {second} are not in any group.",
        SafetyRefusal.SAME_WALKER: "Pick two different walkers to swap, not {name} twice.",
        SafetyRefusal.SAME_GROUP: "{first} and {second} are already in the same group.",
        SafetyRefusal.CANNOT_SWAP: lambda *, first, second, problems: (
            f"Cannot swap {first} and {second}: {' '.join(problems)}"
        ),
        SafetyRefusal.NOT_A_SETTING: lambda *, word, keys: (
            f"'{word}' is not a setting: use key=duration with keys {', '.join(keys)}"
        ),
        SafetyRefusal.NOT_A_DURATION: (
            "{text!r} is not a duration: write it like 30m, 90s, 2h or 1d"
        ),
        SafetyRefusal.MUST_BE_POSITIVE: "{key} must be longer than zero",
        SafetyRefusal.GRACE_TOO_LONG: (
            "grace must be shorter than escalate_after (the reminder comes first)"
        ),
        SafetyRefusal.ALERTS_COORDINATORS_ONLY: (
            "Only coordinators can acknowledge or resolve alerts."
        ),
        SafetyRefusal.ALERT_GONE: "That alert no longer exists.",
        SafetyRefusal.NO_ALERTS_LISTED: "That message lists no alerts any more.",
        SafetyRefusal.NO_WALK_ON: "No walk is on right now.",
        SafetyRefusal.END_WALK_LEADS_ONLY: (
            "Only tonight's team lead or a coordinator can end the walk."
        ),
        SafetyRefusal.WALK_ALREADY_ENDED: "The walk has already ended.",
        SafetyRefusal.CHECKIN_GONE: "That check-in no longer exists.",
        SafetyRefusal.CHECKIN_OTHER_PAIR: (
            "That check-in is for another pair, so I've left it alone."
        ),
        SafetyRefusal.CHECKIN_CALLED_OFF: "That check-in was called off: the walk is over.",
        SafetyRefusal.CHECKINS_STOPPED: (
            "The walk is over, so check-ins have stopped and I've left this one as it was. "
            "If you need help, send /sos."
        ),
        SafetyRefusal.CHECKIN_NOT_DUE: (
            "That check-in isn't due until {due_at}, so I've left it open: I'll ask you then."
        ),
        SafetyRefusal.NOT_ON_WALK: (
            "You're not on a walk right now, so there's nothing to check in."
        ),
        SafetyRefusal.NO_MORE_CHECKINS: "There are no more check-ins due on this walk.",
        SafetyRefusal.OK_NOT_DUE: (
            "Thanks! That's noted, but your next check-in isn't due until {due_at}: "
            "I'll ask you then."
        ),
        SafetyRefusal.NO_SESSION_FOR_SOS: (
            "There's no session on right now, so I can't alert the team. "
            "If you are in danger, call 999."
        ),
        SafetyRefusal.NOT_YOUR_BUTTON: "That button is for someone else, so I've left it alone.",
        SafetyRefusal.BAD_LOCATION: "That location doesn't look right.",
        SafetyRefusal.LOCATION_NOT_ON_WALK: f"You're not on tonight's walk, {_NOT_KEPT}",
        SafetyRefusal.LOCATION_NOT_WALKING: f"You're not walking tonight, {_NOT_KEPT}",
        SafetyRefusal.LOCATION_WALK_OVER: f"The walk is over, {_NOT_KEPT}",
    }
)
