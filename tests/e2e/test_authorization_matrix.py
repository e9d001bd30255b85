"""The authorisation matrix of issue 11, table-driven.

Actors (stranger; stranger in the team group; volunteer; volunteer of another pair; waitlisted
lead; lead; coordinator by tag; admin by ROTABOT_ADMIN_IDS; an anonymous group admin) × every
command × chat (private, the team group, another group), and every callback prefix × actor ×
the messages it can be pressed on (its own kind, every other kind, plain text; real and forged
data). Each cell declares what it may change; the database and every chat are compared before
and after each cell, and any other difference fails. The rules below are written from what
the bot promises (README, issue 11), not read off the handlers; a command or button prefix the
real Application registers without rows here fails the test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable

import pytest

from bot.fake_telegram import BotMessage, FakeGroup, FakeTelegram
from bot.fake_telegram.people import JSON
from bot.pacing import UNPACED_CHATS
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.template import parse_template
from tests.conftest import TEMPLATE, DbInfo
from tests.e2e.conftest import running_bot
from tests.e2e.matrix import (
    NOTHING,
    OTHER,
    PRIVATE,
    TEAM,
    WHERES,
    Actor,
    Allowed,
    Cell,
    Runner,
    Tracker,
    World,
    build_world,
    last_update_id,
    registered_commands,
    registered_prefixes,
)

pytestmark = pytest.mark.e2e

DAY = "2026-12-02"  # tonight

# ---------------------------------------------------------------------------- the commands
# Every command with the arguments that would make it do its work if it were allowed.
COMMAND_ARGS = {
    "start": "",
    "help": "",
    "name": "{name}",  # the actor's own name: a rename that changes nothing visible
    "phone": "",
    "me": "",
    "forgetme": "",  # only asks; the button is in the callback matrix
    "rota": "",
    "myshifts": "",
    "cover": "",
    "debrief": "",
    "mycalendar": "",
    "postrota": "",
    "invite": "coordinator",
    "volunteers": "",
    "tag": "Zebedee lead",
    "untag": "Zebedee lead",
    "remove": "Zebedee",
    "addsession": "2026-12-23 19:00 23:00 Christmas run",
    "cancelsession": "2026-12-16",
    "session": DAY,
    "tonight": "",
    "log": DAY,
    "pairs": DAY,
    "checkins": DAY,
    "brief": DAY,
    "briefstatus": DAY,
    "report": "2026-11",
    "ok": "",
    "sos": "",
    "endwalk": "",
}
# Names, rosters, invite links, logs: coordinators only, and in a private chat only.
COORDINATOR_COMMANDS = {
    "invite": {"invites"},
    "volunteers": set(),
    "tag": {"volunteers"},
    "untag": {"volunteers"},
    "remove": {"volunteers", "signups", "session_roles", "outbox", "team_posts"},
    "addsession": {"sessions", "session_roles", "team_posts"},
    "cancelsession": {"sessions", "signups", "session_roles", "outbox", "team_posts"},
    "session": set(),
    "tonight": set(),
    "log": set(),
    "pairs": set(),
    "checkins": set(),
    "brief": set(),
    "briefstatus": set(),
    "report": set(),
}
# A person's own data and shifts: a private chat only, for people on the team.
PERSONAL_COMMANDS = {
    "start": {"volunteers"},
    "name": {"volunteers"},
    "phone": set(),
    "me": set(),
    "forgetme": set(),
    "myshifts": set(),
    "cover": set(),
    "debrief": set(),
    "mycalendar": set(),
}
GENERAL_COMMANDS = {"help", "rota"}  # anyone, anywhere the bot works: no personal data
SAFETY_COMMANDS = {"ok", "sos", "endwalk"}  # a walker in trouble may type these anywhere
TEAM_COMMANDS = {"postrota"}  # in the team group, by anyone on the team

CHECKIN_TABLES = {"checkins", "timers", "outbox", "safety_log"}
ALARM_TABLES = {"escalations", "timers", "outbox", "safety_log"}
WALK_TABLES = {
    "sessions",
    "checkins",
    "timers",
    "outbox",
    "safety_log",
    "escalations",
    "home_safe",
    "session_milestones",
    "locations",
    "pairs",
    "pair_members",
}
SIGNUP_TABLES = {"signups", "session_roles", "team_posts", "outbox"}
# The tables the bot may touch when it meets a group that is not the team's (easy to edit:
# a row recording the group would go here).
FOREIGN_GROUP_TABLES = {"outbox"}

# Phases: cells that may change things run after every cell that may not, in this order.
READ, OWN, JOIN, CHECK_IN, ALARM, SOS, END = range(7)


# ---------------------------------------------------------------------------- who is who

REGISTERED = {
    "volunteer",
    "volunteer of another pair",
    "waitlisted lead",
    "lead",
    "coordinator by tag",
    "admin",
}
COORDINATORS = {"coordinator by tag", "admin"}
WALKERS = {"volunteer", "volunteer of another pair"}
CREW = WALKERS | {"lead", "coordinator by tag"}  # confirmed on tonight's session
WALK_ENDERS = {"lead", "coordinator by tag", "admin"}  # never a waitlisted lead (issue 11.10)


def _chain(w: World, actor: Actor) -> frozenset[int]:
    """Who an alarm about the actor reaches: coordinators, the on-call, the lead, the team
    group, and the actor's own pair."""
    people = {w.user(k).chat_id for k in ("admin", "coordinator by tag", "lead")}
    partner = w.partner(actor.user)
    if partner is not None:
        people.add(partner.chat_id)
    return frozenset({*people, w.team.chat_id, actor.chat_id})


def _pair_chats(w: World, actor: Actor) -> frozenset[int]:
    partner = w.partner(actor.user)
    return frozenset({actor.chat_id, *([partner.chat_id] if partner else [])})


def _everyone(w: World) -> frozenset[int]:
    return frozenset({*w.tg.users, w.team.chat_id})


def _coordinator_chats(w: World) -> frozenset[int]:
    return frozenset(w.user(k).chat_id for k in COORDINATORS)


def _safety(w: World, actor: Actor, name: str) -> Allowed | None:
    """What /ok, /sos and /endwalk may change when the actor is entitled to them."""
    key = actor.key
    if actor.anonymous:
        return None
    if name == "ok" and key in WALKERS:
        return Allowed(frozenset(CHECKIN_TABLES), _pair_chats(w, actor), phase=CHECK_IN)
    if name == "sos" and key in CREW:
        return Allowed(frozenset(ALARM_TABLES), _chain(w, actor), phase=SOS)
    if name == "endwalk" and key in WALK_ENDERS:
        return Allowed(frozenset(WALK_TABLES), _everyone(w), phase=END)
    return None


def _foreign(w: World, chat_id: int) -> Allowed:
    """A group that is not the team's: one short reply at most, the coordinators told, and
    the bot leaves (README: "Added to any other group ... and leaves")."""
    return Allowed(
        frozenset(FOREIGN_GROUP_TABLES),
        _coordinator_chats(w),
        reply_in=chat_id,
        must_leave=True,
        short=True,
    )


def command_rule(w: World, actor: Actor, name: str, where: str, chat_id: int) -> Allowed:
    """What `/name` by `actor` in `where` may change: the matrix's command rows."""
    key = actor.key
    refusal = Allowed(reply_in=chat_id)  # at most one polite reply, there
    if where == OTHER:
        allowed = _safety(w, actor, name) if name in {"ok", "sos"} else None
        if allowed is not None:  # the safety exception: it counts, then the bot leaves
            return Allowed(
                allowed.tables | FOREIGN_GROUP_TABLES,
                allowed.chats | _coordinator_chats(w) | {chat_id},
                must_leave=True,
                phase=allowed.phase,
            )
        if name in {"ok", "sos"}:  # it is answered (a refusal here), then the bot says it leaves
            return dataclasses.replace(_foreign(w, chat_id), replies=2)
        return _foreign(w, chat_id)
    if name in SAFETY_COMMANDS:
        allowed = _safety(w, actor, name)
        if allowed is None:
            return refusal
        return Allowed(allowed.tables, allowed.chats | {chat_id}, phase=allowed.phase)
    if where == TEAM:
        if name in TEAM_COMMANDS and key in REGISTERED and not actor.anonymous:
            tables = frozenset({"team_posts", "team_chats"})
            return Allowed(tables, frozenset({chat_id}), phase=OWN)
        if name in GENERAL_COMMANDS or name in TEAM_COMMANDS:
            return refusal
        return Allowed(reply_in=chat_id, short=True)  # "send me that in a private chat"
    # private
    own = frozenset({actor.chat_id})
    if name in COORDINATOR_COMMANDS:
        if key not in COORDINATORS:
            return refusal
        tables = frozenset(COORDINATOR_COMMANDS[name])
        return Allowed(tables, own, phase=OWN if tables else READ)
    if name in PERSONAL_COMMANDS:
        if key not in REGISTERED:
            return refusal
        tables = frozenset(PERSONAL_COMMANDS[name])
        return Allowed(tables, own, phase=OWN if tables else READ)
    if name in GENERAL_COMMANDS:
        return Allowed(chats=own) if key in REGISTERED else refusal
    if name in TEAM_COMMANDS:
        return refusal
    raise AssertionError(f"/{name} has no row in the matrix")


# ---------------------------------------------------------------------------- the buttons
# Forged data for each prefix: what a modified client would send to do harm.
Samples = Callable[[World, Actor], list[str]]


def _own_briefing(w: World, actor: Actor) -> int:
    return w.briefing_of.get(actor.key, w.briefing_ids[0])


PREFIX_SAMPLES: dict[str, Samples] = {
    "ro": lambda w, a: [f"ro:s:{w.session_ids[0]}"],
    "ms": lambda w, a: [f"ms:y:{w.signup_ids[0]}"],
    "me": lambda w, a: ["me:n"],
    "ci": lambda w, a: [f"ci:o:{w.checkin_ids[0][-1]}", f"ci:h:{w.checkin_ids[0][0]}"],
    "es": lambda w, a: [f"es:a:{w.escalation_id}", "es:t"],
    "hs": lambda w, a: ["hs:o:1"],
    "wk": lambda w, a: ["wk:e"],
    "pr": lambda w, a: [f"pr:s:{w.session_ids[0]}:{w.walker_ids[0]}:{w.walker_ids[-1]}"],
    "bf": lambda w, a: [f"bf:g:{_own_briefing(w, a)}"],
    "rm": lambda w, a: [f"rm:w:{w.session_ids[0]}"],
    "cv": lambda w, a: [f"cv:r:{w.signup_ids[0]}"],
}


def forged_rule(w: World, actor: Actor, where: str, data: str) -> Allowed:
    """A press whose data is not on the pressed message changes nothing, with one exception:
    Need help is /sos (README: "Need help or /sos"), so in a private chat it may count as
    /sos wherever it was pressed; it is still refused to anyone /sos would refuse."""
    if data.startswith("ci:h:") and where == PRIVATE:
        return _safety(w, actor, "sos") or NOTHING
    return NOTHING


# A real press of a message's own button, per prefix: which button, and what it may change.
GenuineRule = Callable[[World, Actor, BotMessage, str], Allowed]


def _ro(w: World, a: Actor, m: BotMessage, data: str) -> Allowed:
    if m.chat_id == w.team.chat_id:  # a join button on the team post: signs the presser up
        return Allowed(frozenset(SIGNUP_TABLES), phase=JOIN) if a.key in REGISTERED else NOTHING
    return Allowed(chats=frozenset({a.chat_id}), phase=OWN)  # opens a session, in place


def _es(w: World, a: Actor, m: BotMessage, data: str) -> Allowed:
    if a.key not in COORDINATORS:
        return NOTHING  # only coordinators acknowledge or resolve
    # Every copy of the alarm says who took it; its subject's pair hears someone is coming.
    return Allowed(frozenset(ALARM_TABLES), _everyone(w), phase=ALARM)


def _ci(w: World, a: Actor, m: BotMessage, data: str) -> Allowed:
    if data.startswith("ci:h:"):
        return Allowed(frozenset(ALARM_TABLES), _chain(w, a), phase=SOS)
    return Allowed(frozenset(CHECKIN_TABLES), _pair_chats(w, a), phase=CHECK_IN)


def _own(tables: set[str] = set()) -> GenuineRule:  # noqa: B006 - never mutated
    return lambda w, a, m, data: Allowed(frozenset(tables), frozenset({a.chat_id}), phase=OWN)


GENUINE: dict[str, tuple[Callable[[BotMessage], str | None], GenuineRule]] = {
    # prefix: (which of the message's buttons to press, its rule)
    "ro": (lambda m: _data(m, "ro:j:", "Wed 9 Dec · Join Drop-in") or _data(m, "ro:s:"), _ro),
    "ms": (lambda m: _data(m, "ms:w:"), _own()),
    "me": (lambda m: _data(m, "me:n"), _own()),  # never "yes": it erases the presser
    "ci": (lambda m: _data(m, "ci:o:"), _ci),
    "es": (lambda m: _data(m, "es:a:") or _data(m, "es:t"), _es),
    "hs": (lambda m: _data(m, "hs:o:"), _own({"home_safe", "outbox", "safety_log"})),
    "wk": (
        lambda m: _data(m, "wk:e"),
        lambda w, a, m, d: Allowed(frozenset(WALK_TABLES), _everyone(w), phase=END),
    ),
    "pr": (lambda m: _data(m, "pr:a:"), _own()),
    "bf": (lambda m: _data(m, "bf:g:"), _own({"briefings"})),
    "rm": (lambda m: _data(m, "rm:y:"), _own({"reminder_answers", "outbox"})),
    "cv": (
        lambda m: _data(m, "cv:r:"),
        lambda w, a, m, d: Allowed(
            frozenset({"cover_requests", "cover_offers", "outbox"}),
            frozenset(w.tg.users),
            phase=OWN,
        ),
    ),
}


def _data(message: BotMessage, start: str, label: str | None = None) -> str | None:
    """The callback data of the message's first button whose data starts with `start`."""
    for row in message.buttons:
        for button in row:
            data = button.callback_data or ""
            if data.startswith(start) and (label is None or label in button.text):
                return data
    return None


def _kind(message: BotMessage) -> str:
    """A message's kind: the prefix of its buttons, or "text" for a message without any."""
    for row in message.buttons:
        for button in row:
            if button.callback_data:
                return button.callback_data.split(":", 1)[0]
    return "text"


def _targets(w: World, actor: Actor) -> list[tuple[str, BotMessage]]:
    """The messages the actor can press on: the newest of each kind in their private chat,
    and (if they are in it) in the team group."""
    found: list[tuple[str, BotMessage]] = []
    chats: list[tuple[str, list[BotMessage]]] = [(PRIVATE, actor.user.messages())]
    if actor.in_team:
        chats.append((TEAM, w.team.messages()))
    for where, messages in chats:
        newest: dict[str, BotMessage] = {}
        for message in messages:
            if message.kind == "text":
                newest[_kind(message)] = message
        found += [(where, m) for m in newest.values()]
    return found


# ---------------------------------------------------------------------------- the test


@pytest.fixture
async def night_world(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> AsyncIterator[World]:
    """Four walker places (two pairs), a team group the bot is configured for."""
    walkers = "capacity = 2\nminimum = 2\npairs = true"
    template = parse_template(
        TEMPLATE.replace(walkers, walkers.replace("capacity = 2", "capacity = 4")),
        source="test.toml",
    )
    four = RotaConfig(template=template, zone=config.zone, admin_ids=config.admin_ids)
    team = tg.group("Outreach team")
    # No overall pace either: the foreign-group cells alone send the coordinators ~480
    # notices, 16 s at Telegram's 30 a second; pacing is tested elsewhere, not here.
    unpaced = dataclasses.replace(UNPACED_CHATS, overall_interval=0.0, overall_burst=1)
    async with running_bot(tg, db, four, clock, pacing=unpaced, team_chat_id=team.chat_id) as bot:
        yield await build_world(bot, team)


def _command_cells(w: World, runner: Runner) -> list[Cell]:
    cells = []
    for name in COMMAND_ARGS:
        for actor in w.actors.values():
            for where in WHERES:
                if actor.anonymous and where != TEAM:
                    continue  # only a group has anonymous admins
                if where == TEAM and not actor.in_team:
                    continue
                text = f"/{name} {COMMAND_ARGS[name].format(name=actor.user.first_name)}"
                cells.append(_command_cell(w, runner, actor, text.strip(), name, where))
    return cells


def _edit_cells(w: World, runner: Runner, drafts: dict[tuple[str, str, str], JSON]) -> list[Cell]:
    """A message edited into each command: an edit never runs a command (issue 11.6)."""
    cells = []
    for (key, where, name), draft in drafts.items():
        actor = w.actors[key]
        text = f"/{name} {COMMAND_ARGS[name].format(name=actor.user.first_name)}".strip()
        chat_id = draft["chat"]["id"]
        allowed = Allowed(reply_in=chat_id, short=chat_id < 0)

        async def run(actor: Actor = actor, draft: JSON = draft, text: str = text) -> None:
            await runner.edit(actor, draft, text)

        cells.append(Cell(f"a message edited into {text!r} in {where}", actor, allowed, run))
    return cells


async def _drafts(w: World) -> tuple[dict[tuple[str, str, str], JSON], list[int]]:
    """The messages the edit cells edit: the admin's in private, a volunteer's in the group
    (and the ids of their updates, to wait for)."""
    drafts, update_ids = {}, []
    for name in COMMAND_ARGS:
        drafts["admin", PRIVATE, name] = await w.user("admin").send(f"draft {name}")
        update_ids.append(last_update_id(w.tg))
        drafts["volunteer", TEAM, name] = await w.user("volunteer").send_in(w.team, "draft")
        update_ids.append(last_update_id(w.tg))
    return drafts, update_ids


def _forward_cells(w: World, runner: Runner) -> list[Cell]:
    """Someone else's words or place, forwarded: never the forwarder's own (issue 11.7)."""
    admin, walker = w.actors["admin"], w.actors["volunteer"]
    other = w.actors["volunteer of another pair"].user
    origin = w.user("lead")
    cells = []
    forwards: list[tuple[Actor, str, JSON]] = [
        (admin, f"/{name} {COMMAND_ARGS[name].format(name=origin.first_name)}".strip(), {})
        for name in COMMAND_ARGS
    ]
    said_by_other: dict[str, JSON] = {
        "location": {"location": {"latitude": 51.5101, "longitude": -0.134}},
        "venue": {
            "venue": {
                "location": {"latitude": 51.51, "longitude": -0.13},
                "title": "St Anne's Hall",
                "address": "55 Dean St",
            },
            "location": {"latitude": 51.51, "longitude": -0.13},
        },
        "contact": {
            "contact": {"phone_number": "+447700900999", "first_name": "X", "user_id": other.id}
        },
    }
    forwards += [(walker, "/sos", {}), (walker, "/ok", {})]
    forwards += [(walker, kind, content) for kind, content in said_by_other.items()]
    for actor, text, content in forwards:
        sender = other if actor is walker else origin
        message: JSON = {
            "message_id": 1,
            "date": int(w.tg.clock()) - 60,
            "chat": sender.private_chat_dict(),
            "from": sender.to_dict(),
            **(content or _text(text)),
        }

        async def run(actor: Actor = actor, message: JSON = message) -> None:
            await runner.forward(actor, message, None)

        label = f"a forwarded {text!r} (from {sender.first_name}) in {PRIVATE}"
        cells.append(Cell(label, actor, Allowed(reply_in=actor.chat_id), run))
    return cells


def _text(text: str) -> JSON:
    command = text.split()[0]
    return {
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
    }


def _added_cells(w: World, runner: Runner) -> list[Cell]:
    """Anyone adds the bot to their own group: it leaves (and again if added back)."""
    cells = []
    for actor in w.actors.values():
        if actor.anonymous:
            continue
        group = w.tg.group(f"{actor.user.first_name}'s group", [actor.user], admins=[actor.user])

        async def add(actor: Actor = actor, group: FakeGroup = group) -> None:
            await runner.added_to_group(actor, group)

        allowed = _foreign(w, group.chat_id)
        cells.append(Cell("adds the bot to a group", actor, allowed, add, where=group.chat_id))
        cells.append(
            Cell("adds the bot back after it left", actor, allowed, add, where=group.chat_id)
        )
    return cells


def _command_cell(
    w: World, runner: Runner, actor: Actor, text: str, name: str, where: str
) -> Cell:
    chat: FakeGroup | None = None
    if where == TEAM:
        chat = w.team
    elif where == OTHER:
        chat = w.another_group(actor)
    chat_id = chat.chat_id if chat is not None else actor.chat_id
    allowed = command_rule(w, actor, name, where, chat_id)

    async def run() -> None:
        await runner.command(actor, text, chat)

    later = where == OTHER and allowed.tables <= FOREIGN_GROUP_TABLES
    return Cell(f"{text!r} in {where}", actor, allowed, run, where=chat_id, deliver_later=later)


def _press_cell(
    runner: Runner, actor: Actor, where: str, message: BotMessage, data: str, allowed: Allowed
) -> Cell:
    async def run() -> str:
        return await runner.press(actor, message, data)

    label = f"press {data!r} on a {_kind(message)} message in {where}"
    return Cell(label, actor, allowed, run, pressed=message, where=message.chat_id)


def _press_cells(w: World, runner: Runner) -> list[Cell]:
    cells = []
    for actor in w.actors.values():
        if actor.anonymous:
            continue  # a press always comes from the person, never from the group
        for where, message in _targets(w, actor):
            on_it = {b.callback_data for row in message.buttons for b in row}
            for samples in PREFIX_SAMPLES.values():
                for data in samples(w, actor):
                    if data not in on_it:  # forged: from another message, or another id
                        allowed = forged_rule(w, actor, where, data)
                        cells.append(_press_cell(runner, actor, where, message, data, allowed))
            kind = _kind(message)
            if kind in GENUINE:
                choose, rule = GENUINE[kind]
                real = choose(message)
                if real is not None:
                    allowed = rule(w, actor, message, real)
                    cells.append(_press_cell(runner, actor, where, message, real, allowed))
    return cells


def _missing_rows(w: World) -> list[str]:
    app = w.bot.app
    missing = [
        f"command /{c} has no row (add it to COMMAND_ARGS and a category)"
        for c in sorted(registered_commands(app))
        if c not in COMMAND_ARGS
        or not any(
            c in group
            for group in (
                COORDINATOR_COMMANDS,
                PERSONAL_COMMANDS,
                GENERAL_COMMANDS,
                SAFETY_COMMANDS,
                TEAM_COMMANDS,
            )
        )
    ]
    missing += [
        f"button prefix {p}: has no row (add it to PREFIX_SAMPLES and GENUINE)"
        for p in sorted(registered_prefixes(app))
        if p not in PREFIX_SAMPLES or p not in GENUINE
    ]
    return missing


async def test_authorization_matrix(night_world: World) -> None:
    w = night_world
    missing = _missing_rows(w)
    assert not missing, "\n".join(missing)
    runner = Runner(w, Tracker(w.bot.app))
    with w.bot.jobs_paused():
        drafts, update_ids = await _drafts(w)
        await runner.settle(update_ids)
        commands = [
            *_command_cells(w, runner),
            *_edit_cells(w, runner, drafts),
            *_forward_cells(w, runner),
            *_added_cells(w, runner),
        ]
        early = sorted(
            (c for c in commands if c.allowed.phase <= OWN),
            key=lambda c: (c.allowed.phase, c.deliver_later),
        )
        for cell in early:
            await runner.run(cell)
        presses = _press_cells(w, runner)
        later = [c for c in commands if c.allowed.phase > OWN] + presses
        for cell in sorted(later, key=_phase):
            await runner.run(cell)
    runner.failures[:0] = w.leaks
    size = runner.cells
    print(f"\nauthorisation matrix: {size} cells, {len(runner.failures)} failed")
    for line in runner.skipped:
        print(f"skipped {line}")
    assert not runner.failures, f"{len(runner.failures)} of {size} cells failed:\n" + "\n".join(
        runner.failures
    )


def _phase(cell: Cell) -> int:
    return cell.allowed.phase
