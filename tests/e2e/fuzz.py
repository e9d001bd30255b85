"""A seeded fuzz run of hostile updates against the real bot (issue 11, "A fuzz run").

Random updates from a weighted menu (commands with random arguments in any chat; button
presses with random or replayed callback data on random messages; edits of earlier commands;
forwards; locations, live-location edits, venues, contacts; group text; the anonymous group
admin; channel posts; the bot being added to groups) go one at a time, through the fake
Telegram, to the real Application during a walk in progress. After each one the run checks:

- nothing reached the error handler (or was logged at ERROR) and the update was handled;
- a button press got its answerCallbackQuery;
- every change to a checked table is allowed by a row of ``RULES`` (one table, below), judged
  against the database as it was before the update (so roles follow the world as it changes);
- nothing a group can read holds a phone number, a location or an invite link, and a press by
  someone who is not a coordinator never turns a group's message into something else.

One update at a time, so every change is attributed to exactly one update, and the run is
reproducible: the same seed gives the same updates (the generator reads only the random
generator and the chats, which are the same when the bot behaves the same). A finding prints
the seed, the update's index and the update itself, which ``replay`` sends again.

Used by tests/e2e/test_fuzz.py (small, in CI) and bench/fuzz.py (10,000 updates).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dtm
import json
import logging
import random
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from sqlalchemy import event, select
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.fake_telegram import BotMessage, FakeGroup, FakeTelegram, FakeUser
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.template import parse_template
from rota.storage.tables import Base
from tests.conftest import ADMIN_ID, TEMPLATE, DbInfo
from tests.e2e.conftest import Harness, night, running_bot, sign_up, tick

JSON = dict[str, Any]
Row = dict[str, Any]
Tables = dict[str, dict[tuple[Any, ...], Row]]

ANONYMOUS_ADMIN_ID = 1087968824  # GroupAnonymousBot: an admin posting as the group
CHANNEL_BOT_ID = 136817688  # Channel_Bot: a message posted in a group on behalf of a channel
DURESS_WORD = "pineapple"
PHONES = {"ana": "+447700900101", "cal": "+447700900103", "lee": "+447700900105"}
WALK_CLOCK = night(19, 52)  # check-in 1 done by pair 1, pair 2's alarm at step 3
AFTER_CLOCK = night(23, 10)  # the walk is over: home-safe prompts and the lead's debrief
STEP_TIMEOUT = 15.0  # an update not handled within this is a stall (a finding)
LOGGERS = ("bot", "rota", "telegram", "apscheduler", "asyncio", "tests")


def fuzz_config(config: RotaConfig) -> RotaConfig:
    """The test template with room for two pairs and a duress word."""
    walker = 'label = "Walker"\ncapacity = 2'
    assert walker in TEMPLATE, "the test template changed: update fuzz_config"
    source = TEMPLATE.replace(walker, 'label = "Walker"\ncapacity = 4') + (
        f'\n[checkins]\nduress_word = "{DURESS_WORD.capitalize()}"\n'
    )
    template = parse_template(source, source="test.toml")
    return RotaConfig(template=template, zone=config.zone, admin_ids=config.admin_ids)


@contextlib.asynccontextmanager
async def fuzz_bot(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> AsyncIterator[Harness]:
    """The real bot with the team chat set (ROTABOT_TEAM_CHAT_ID), as a charity runs it."""
    team = tg.group("Outreach team")
    async with running_bot(
        tg, db, fuzz_config(config), clock, team_chat_id=team.chat_id
    ) as harness:
        yield harness


# ============================================================================ the world


@dataclasses.dataclass
class World:
    """A walk in progress: who is who, the chats, and what the generator may pick from."""

    bot: Harness
    team: FakeGroup
    other: FakeGroup
    channel: FakeGroup  # a chat the fake knows, presented as a channel in channel posts
    people: dict[str, FakeUser]
    roles: dict[int, str]  # telegram id -> role label, for the generator's weights only
    protected: set[int]  # people whose legitimate self-destruction would end the world
    admin_ids: frozenset[int]
    tonight: dtm.date
    interval: dtm.timedelta
    commands: list[str]
    prefixes: list[str]
    user_messages: list[JSON] = dataclasses.field(default_factory=list)
    live: dict[int, JSON] = dataclasses.field(default_factory=dict)  # user id -> live location
    pressable: set[tuple[int, int]] = dataclasses.field(default_factory=set)
    ids: list[int] = dataclasses.field(default_factory=list)  # row ids seen in the database

    @property
    def tg(self) -> FakeTelegram:
        return self.bot.tg

    def groups_of(self, user_id: int) -> list[FakeGroup]:
        return [g for g in (self.team, self.other) if any(m.id == user_id for m in g.members)]

    def chats_of(self, user_id: int) -> list[int]:
        """The chats this person can see: their private chat and their groups."""
        return [user_id, *(g.chat_id for g in self.groups_of(user_id))]


async def build_world(bot: Harness) -> World:
    """Join, sign up, post the rota, start the walk; pair 2 misses check-in 1 (an alarm)."""
    tg, cora = bot.tg, bot.coordinator
    (team,) = tg.groups.values()
    people: dict[str, FakeUser] = {"cora": cora}
    tags = {
        "ana": "trained",
        "bea": "new",
        "cal": "trained",
        "dan": "new",
        "lee": "lead",
        "wes": "lead",
        "dee": "coordinator",
        "vic": "trained",
    }
    for key, tag in tags.items():
        people[key] = await bot.join(key.capitalize(), tag, username=key)
    for key in ("stan", "zed", "otto"):  # strangers: in the team group, private only, elsewhere
        people[key] = tg.user(key.capitalize(), username=key)
    for key, phone in PHONES.items():
        person = people[key]
        sent = await person.share_contact(phone)
        await person.wait_for("Your number is saved", after=sent["message_id"])

    for key in ("ana", "bea", "cal", "dan"):
        await sign_up(bot, people[key], "Walker")
    await sign_up(bot, people["lee"], "Team lead")
    await sign_up(bot, cora, "On-call coordinator")
    await bot.open_session(people["wes"], "Wed 2 Dec")
    await people["wes"].tap("Team lead: full, join waitlist")

    for key in ("cora", "dee", "lee", "ana", "cal", "wes", "stan"):
        team.add(people[key])
    team.admins.append(cora)
    other = tg.group(
        "Pub quiz", [people[k] for k in ("bea", "dan", "dee", "vic", "otto")], admins=[]
    )
    channel = tg.group("Outreach news")
    await cora.send_in(team, "/postrota")
    await team.wait_for("Outreach rota")

    await tick(bot, night(19))
    await bot.run_job("shift")
    for key in ("ana", "bea", "cal", "dan", "lee"):
        await people[key].wait_for("Briefing:")
    await tick(bot, night(19, 30))
    for key in ("ana", "bea", "cal", "dan"):
        await people[key].wait_for("Check-in 1 of")
    pairs = await _pairs(bot, people)
    first = pairs[0][0]
    await first.tap("✅ We're OK", message=first.last())
    for minute in (35, 40, 45, 50):
        await tick(bot, night(19, minute))
    await team.wait_for("", timeout=10)  # the alarm reaches the team chat at step 3
    await tick(bot, WALK_CLOCK)

    world = World(
        bot=bot,
        team=team,
        other=other,
        channel=channel,
        people=people,
        roles={},
        protected={p.id for k, p in people.items() if k not in ("vic", "wes", "stan", "zed")},
        admin_ids=frozenset({ADMIN_ID}),
        tonight=night(19).date(),
        interval=bot.app.bot_data.deps.config.template.checkins.interval,
        commands=_commands(bot.app),
        prefixes=_prefixes(bot.app),
    )
    for key, person in people.items():
        world.roles[person.id] = (
            "coordinator"
            if key in ("cora", "dee")
            else "lead"
            if key == "lee"
            else "waitlisted lead"
            if key == "wes"
            else "walker"
            if key in ("ana", "bea", "cal", "dan")
            else "volunteer"
            if key == "vic"
            else "stranger"
        )
    return world


async def _pairs(bot: Harness, people: dict[str, FakeUser]) -> list[list[FakeUser]]:
    """Tonight's pairs as people, in pair-number order."""
    by_volunteer = {await bot.volunteer_id(p): p for p in people.values()}
    pairs = {p["id"]: p["number"] for p in await bot.rows("pairs")}
    members: dict[int, list[FakeUser]] = {}
    for m in await bot.rows("pair_members"):
        members.setdefault(m["pair_id"], []).append(by_volunteer[m["volunteer_id"]])
    return [members[i] for i in sorted(members, key=lambda i: pairs[i])]


def _commands(app: Any) -> list[str]:
    """Every registered command, from the Application's own handlers."""
    found: set[str] = set()
    for group in app.handlers.values():
        for handler in group:
            if isinstance(handler, CommandHandler):
                found |= set(handler.commands)
    return sorted(found)


def _prefixes(app: Any) -> list[str]:
    """Every callback prefix a handler claims (``^ro:`` -> ``ro``)."""
    found: set[str] = set()
    for group in app.handlers.values():
        for handler in group:
            if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
                pattern = getattr(handler.pattern, "pattern", handler.pattern)
                match = re.match(r"\^([a-z]{2}):", str(pattern))
                if match:
                    found.add(match.group(1))
    return sorted(found)


# ============================================================================ the generator

ACTIONS = {
    "ro": "lsjw",
    "ms": "wyn",
    "me": "yn",
    "ci": "oh",
    "es": "artf",
    "hs": "o",
    "wk": "e",
    "pr": "asc",
    "bf": "g",
    "rm": "ynwc",
    "cv": "rax",
}
ODD_IDS = [0, -1, 2**31 - 1, 2**31, 2**32, 2**63, 10**12 - 1, 10**12]
ODD_TEXT = [
    "",
    " ",
    "👩‍⚕️ Sam",
    "\u202eevil\u202c",
    "\u200b",
    "Ωμέγα",
    "日本語",
    "e\u0301",
    "<b>x</b>",
    "&amp;",
    "<script>",
    '=HYPERLINK("http://x","y")',
    "@",
    "@@",
    "\n\n",
    "\x00",
    "9" * 300,
    "x" * 3000,
]
DATES = [
    "2026-12-02",
    "2026-12-09",
    "2026-12-03",
    "2026-02-30",
    "2026-13-01",
    "0000-01-01",
    "9999-12-31",
    "2026-10-25",
    "tomorrow",
    "02/12/2026",
    "2026-12-02T19:00",
]
WORDS = [
    "coordinator",
    "lead",
    "trained",
    "new",
    "admin",
    "coordinator,lead",
    "19:00 23:00",
    "25:00 26:00",
    "23:00 19:00",
    "interval=1m",
    "grace=0m",
    "escalate_after=9999h",
    "interval=-5m",
    "home_safe_within=0m",
    "2026-11",
    "2026-13",
    "1900-01",
    "all",
    "me",
]
TEXTS = [
    "hello",
    "ok",
    "OK",
    "help",
    "we're fine",
    DURESS_WORD,
    DURESS_WORD.upper(),
    f"  {DURESS_WORD}  ",
    f"{DURESS_WORD}!",
    f"my {DURESS_WORD}",
    "Yes",
    "No",
    "Everyone was fine tonight.",
    "Someone was hurt near the station.",
    "+447700900999",
]
MENU: list[tuple[str, int]] = [
    ("command", 30),
    ("press_random", 14),
    ("press_replayed", 16),
    ("edit", 7),
    ("forward", 7),
    ("location", 4),
    ("live_location", 3),
    ("venue", 2),
    ("contact", 4),
    ("text", 6),
    ("anonymous_admin", 2),
    ("channel", 2),
    ("my_chat_member", 2),
]
# Destructive commands a coordinator (or the lead) may legitimately give: from a protected
# person in a private chat their arguments never name a real target, so the world survives
# 10,000 updates (the matrix tests them for real; the fuzz is about everyone else).
DESTRUCTIVE = {"remove", "cancelsession", "untag", "tag", "checkins", "endwalk", "forgetme"}


@dataclasses.dataclass
class Sent:
    """One generated update, as queued at the fake, and what the checks need to know of it."""

    index: int
    label: str
    kind: str  # message, edited_message, callback_query, channel_post, my_chat_member
    payload: JSON
    update_id: int | None = None
    query_id: str | None = None

    @property
    def actor(self) -> int | None:
        sender = self.payload.get("from")
        return int(sender["id"]) if isinstance(sender, dict) else None

    @property
    def message(self) -> JSON:
        if self.kind == "callback_query":
            return dict(self.payload.get("message") or {})
        return self.payload

    @property
    def chat_id(self) -> int | None:
        chat = self.message.get("chat")
        return int(chat["id"]) if isinstance(chat, dict) else None

    @property
    def chat_type(self) -> str:
        chat = self.message.get("chat")
        return str(chat.get("type")) if isinstance(chat, dict) else ""

    @property
    def private(self) -> bool:
        return self.chat_type == "private" and self.chat_id == self.actor

    @property
    def edited(self) -> bool:
        return self.kind == "edited_message"

    @property
    def forwarded(self) -> bool:
        return self.kind != "callback_query" and "forward_origin" in self.payload

    @property
    def on_behalf(self) -> bool:
        """Written as a group or a channel: the person behind it is unknown."""
        return self.actor in (ANONYMOUS_ADMIN_ID, CHANNEL_BOT_ID) or "sender_chat" in self.payload

    @property
    def own(self) -> bool:
        """A person's own new action: not an edit, not a forward, not on behalf of a chat."""
        return not self.edited and not self.forwarded and not self.on_behalf

    @property
    def text(self) -> str:
        return str(self.payload.get("text") or "") if self.kind != "callback_query" else ""

    @property
    def data(self) -> str | None:
        value = self.payload.get("data") if self.kind == "callback_query" else None
        return value if isinstance(value, str) else None

    def command(self, bot_username: str) -> str | None:
        """The command PTB's CommandHandler would see (None for another bot's or no command)."""
        entities = self.payload.get("entities") or []
        if not any(e.get("type") == "bot_command" and e.get("offset") == 0 for e in entities):
            return None
        word = self.text.split(maxsplit=1)[0][1:] if self.text.startswith("/") else ""
        name, _, target = word.partition("@")
        if target and target.lower() != bot_username.lower():
            return None
        return name.lower()

    @property
    def args(self) -> str:
        parts = self.text.split(maxsplit=1)
        return parts[1].strip() if len(parts) > 1 else ""

    def press(self, prefix: str, actions: str = "") -> tuple[str, tuple[int, ...]] | None:
        """(action, ids) if this is a press with ``prefix:`` data of one of ``actions``."""
        data = self.data
        if data is None:
            return None
        match = re.fullmatch(r"([a-z]{2}):([a-z])((?::\d{1,12}){0,3})", data)
        if match is None or match.group(1) != prefix:
            return None
        if actions and match.group(2) not in actions:
            return None
        ids = tuple(int(i) for i in match.group(3).split(":")[1:])
        return match.group(2), ids

    def describe(self) -> str:
        """The exact update, for a finding: enough to replay it."""
        body = {"update_id": self.update_id, self.kind: self.payload}
        return json.dumps(body, ensure_ascii=False, default=str)


def _content(text: str) -> JSON:
    """Text with the bot_command entity Telegram adds to a leading /command."""
    content: JSON = {"text": text}
    if text.startswith("/") and len(text) > 1:
        word = text.split(maxsplit=1)[0]
        length = len(word.encode("utf-16-le")) // 2
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return content


class Generator:
    """Random updates from the weighted menu; reads only its random generator and the chats."""

    def __init__(self, world: World, seed: int) -> None:
        self.world = world
        self.rng = random.Random(seed)
        self.everyone = sorted(world.people.values(), key=lambda p: p.id)

    # ------------------------------------------------------------------ pieces

    def person(self) -> FakeUser:
        return self.rng.choice(self.everyone)

    def chat_for(self, person: FakeUser) -> int:
        """One of this person's chats where a message reaches the bot (a group it has left
        delivers nothing: Telegram sends the bot no updates from it)."""
        left = getattr(self.world.tg, "bot_left", None)
        chats = [
            c
            for c in self.world.chats_of(person.id)
            if c > 0 or left is None or not left(self.world.tg.groups[c])
        ]
        return self.rng.choice(chats)

    def some_id(self) -> int:
        pick = self.rng.random()
        if pick < 0.5 and self.world.ids:
            return self.rng.choice(self.world.ids) + self.rng.choice((0, 0, 0, -1, 1, 2))
        if pick < 0.7:
            return self.rng.choice(ODD_IDS)
        if pick < 0.85:
            return self.rng.choice(self.everyone).id
        return self.rng.randrange(1, 10_000)

    def argument(self) -> str:
        pick = self.rng.random()
        people = self.everyone
        if pick < 0.15:
            return self.rng.choice(DATES)
        if pick < 0.3:
            return "@" + str(self.rng.choice(people).username or "nobody")
        if pick < 0.4:
            return self.rng.choice(people).first_name
        if pick < 0.55:
            return str(self.some_id())
        if pick < 0.7:
            return self.rng.choice(WORDS)
        if pick < 0.8:
            return self.invite_code()
        if pick < 0.9:
            return self.rng.choice(ODD_TEXT)
        return str(self.rng.choice((10**30, -(2**63), 2**64, 3.5, "1e9", "NaN")))

    def invite_code(self) -> str:
        """A code seen in any bot message (replayed), or a made-up one."""
        codes = sorted(
            {
                m.group(1)
                for chat in self.world.chats_of(self.person().id)
                for msg in self.recent(chat)
                for m in re.finditer(r"\?start=([A-Za-z0-9_-]+)", msg.text)
            }
        )
        if codes and self.rng.random() < 0.7:
            return self.rng.choice(codes)
        return "".join(
            self.rng.choice("abcdef0123456789") for _ in range(self.rng.choice((8, 22)))
        )

    def command_text(self, who: FakeUser, chat_id: int) -> str:
        names = self.world.commands
        pick = self.rng.random()
        name = (
            self.rng.choice(names)
            if pick < 0.85
            else self.rng.choice(("foo", "START", "Rota", "sos_", "ok1", "a" * 40))
        )
        suffix = self.rng.choice(
            ("", "", "", "", f"@{self.world.tg.bot_username}", "@OtherBot", "@")
        )
        args = " ".join(self.argument() for _ in range(self.rng.choice((0, 0, 1, 1, 2, 3))))
        if name.lower() in DESTRUCTIVE and self._protected(who, chat_id, name.lower()):
            args = self.rng.choice(("", "nobody", "9999-01-01", "@nobody", "x y"))
            if name.lower() in ("endwalk", "forgetme"):
                name = "me"
        return f"/{name}{suffix} {args}".rstrip()

    def _protected(self, who: FakeUser, chat_id: int, name: str) -> bool:
        """A protected person giving a destructive command they may give: keep the world."""
        return who.id in self.world.protected and (chat_id == who.id or name == "endwalk")

    def callback_data(self) -> str:
        prefixes = self.world.prefixes or list(ACTIONS)
        pick = self.rng.random()
        if pick < 0.75:
            prefix = self.rng.choice(prefixes)
            action = self.rng.choice(ACTIONS.get(prefix, "abc") + "zq")
            ids = [str(self.some_id()) for _ in range(self.rng.choice((0, 1, 1, 1, 2, 3)))]
            return ":".join([prefix, action, *ids])
        if pick < 0.85:
            prefix = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(2))
            return f"{prefix}:{self.rng.choice('abcxyz')}:{self.some_id()}"
        return self.rng.choice(
            (
                "",
                " ",
                "ci:o:",
                "ci:o:1:",
                "ci::1",
                "ci:o:-1",
                "ci:o:٣",
                "ci:o:1e3",
                "CI:O:1",
                "ci:o:1 ",
                "es:a:" + "9" * 60,
                "ro:j:" + "1" * 70,
                "ci:🆘:1",
                "ro:l\n",
                "x" * 65,
                "é" * 40,
            )
        )

    def replayed_data(self) -> str | None:
        """The data of a real button on any bot message, in any chat."""
        found = sorted(
            {
                b.callback_data
                for chat in self._all_chats()
                for msg in self.recent(chat, include_deleted=True)
                for row in msg.buttons
                for b in row
                if b.callback_data
            }
        )
        return self.rng.choice(found) if found else None

    def recent(self, chat: int, *, include_deleted: bool = False) -> list[BotMessage]:
        """A chat's first and latest bot messages: what a client has at hand (and bounded, so
        10,000 updates do not make every draw scan thousands of messages)."""
        shown = self.world.tg.messages(chat, include_deleted=include_deleted)
        return shown if len(shown) <= 80 else shown[:20] + shown[-60:]

    def _all_chats(self) -> list[int]:
        world = self.world
        chats = {p.id for p in self.everyone} | {world.team.chat_id, world.other.chat_id}
        return sorted(chats)

    def message_to_press(self, who: FakeUser) -> BotMessage | None:
        """A bot message with buttons (now, or once) in a chat this person can see."""
        candidates: list[BotMessage] = []
        for chat in self.world.chats_of(who.id):
            for msg in self.recent(chat):
                if msg.inline_markup is not None:
                    self.world.pressable.add((msg.chat_id, msg.message_id))
                    candidates.append(msg)
                elif (msg.chat_id, msg.message_id) in self.world.pressable and (
                    self.rng.random() < 0.15
                ):
                    candidates.append(msg)  # its buttons are gone, but a client kept them
        return self.rng.choice(candidates) if candidates else None

    def location(self) -> JSON:
        lat, lon = self.rng.choice(
            (
                (51.5101, -0.1340),
                (0.0, 0.0),
                (90.0, 180.0),
                (-90.0, -180.0),
                (51.5 + self.rng.random() / 100, -0.1 - self.rng.random() / 100),
            )
        )
        return {"latitude": lat, "longitude": lon}

    def contact(self, who: FakeUser) -> JSON:
        other = self.person()
        pick = self.rng.random()
        phone = self.rng.choice(
            ("+447700900111", "07700 900222", "+1 555 0100", "not a number", "+" + "9" * 30)
        )
        if pick < 0.4:
            return {"phone_number": phone, "first_name": who.first_name, "user_id": who.id}
        if pick < 0.8:
            return {"phone_number": phone, "first_name": other.first_name, "user_id": other.id}
        return {"phone_number": phone, "first_name": "Nobody"}

    def origin(self) -> JSON:
        other = self.person()
        date = int(self.world.tg.clock()) - self.rng.randrange(0, 86_400)
        pick = self.rng.random()
        if pick < 0.6:
            return {"type": "user", "sender_user": other.to_dict(), "date": date}
        if pick < 0.8:
            return {"type": "hidden_user", "sender_user_name": "Someone", "date": date}
        return {
            "type": "channel",
            "chat": {"id": self.world.channel.chat_id, "type": "channel", "title": "News"},
            "message_id": self.rng.randrange(1, 999),
            "date": date,
        }

    # ------------------------------------------------------------------ updates

    def next(self, index: int) -> Sent | None:
        """Queue one random update at the fake; None if the menu item had nothing to act on."""
        labels = [label for label, _ in MENU]
        label = self.rng.choices(labels, weights=[w for _, w in MENU])[0]
        make: Callable[[int, str], Sent | None] = getattr(self, f"_{label}")
        return make(index, label)

    def _message(self, index: int, label: str, who: FakeUser, chat: int, content: JSON) -> Sent:
        tg = self.world.tg
        if chat == who.id:
            tg.mark_started(who)
        message = tg.new_user_message(chat, who, content)
        if "text" in content and "from" not in content:
            self.world.user_messages.append(message)
        return Sent(index, label, "message", message)

    def _command(self, index: int, label: str) -> Sent:
        who = self.person()
        chat = self.chat_for(who)
        return self._message(index, label, who, chat, _content(self.command_text(who, chat)))

    def _press(self, index: int, label: str, data: str | None) -> Sent | None:
        who = self.person()
        msg = self.message_to_press(who)
        if msg is None or data is None:
            return None
        if data == "me:y" and who.id in self.world.protected and msg.chat_id == who.id:
            data = "me:n"  # see DESTRUCTIVE
        if data.startswith("wk:") and who.id in self.world.protected:
            data = "wk:x"
        tg = self.world.tg
        query_id = tg.queue_callback_query(who, msg, data)
        payload = tg.updates[-1]["callback_query"]
        return Sent(index, label, "callback_query", payload, query_id=query_id)

    def _press_random(self, index: int, label: str) -> Sent | None:
        return self._press(index, label, self.callback_data())

    def _press_replayed(self, index: int, label: str) -> Sent | None:
        return self._press(index, label, self.replayed_data())

    def _edit(self, index: int, label: str) -> Sent | None:
        earlier = [m for m in self.world.user_messages if "text" in m]
        if not earlier:
            return None
        original = self.rng.choice(earlier[-200:])
        who = self.world.tg.users.get(original["from"]["id"])
        if who is None:
            return None
        chat = original["chat"]["id"]
        pick = self.rng.random()
        if pick < 0.5 and original["text"].startswith("/"):
            text = original["text"].split()[0] + " " + self.argument()  # same command again
        elif pick < 0.8:
            text = self.command_text(who, chat)
        else:
            text = self.rng.choice(TEXTS)
        changes = _content(text)
        changes.setdefault("entities", [])
        edited = self.world.tg.edit_user_message(original, changes)
        if not edited["entities"]:
            del edited["entities"]
        return Sent(index, label, "edited_message", edited)

    def _forward(self, index: int, label: str) -> Sent:
        who = self.person()
        chat = self.chat_for(who)
        pick = self.rng.random()
        content: JSON
        if pick < 0.3:
            content = _content(self.command_text(who, chat))
        elif pick < 0.5:
            content = _content(self.rng.choice((DURESS_WORD, DURESS_WORD.title(), "ok")))
        elif pick < 0.65:
            content = {"location": self.location()}
        elif pick < 0.75:
            place = self.location()
            content = {
                "venue": {"location": place, "title": "Cafe", "address": "1 High St"},
                "location": dict(place),
            }
        elif pick < 0.9:
            content = {"contact": self.contact(who)}
        else:
            content = _content(self.rng.choice(TEXTS))
        content["forward_origin"] = self.origin()
        return self._message(index, label, who, chat, content)

    def _location(self, index: int, label: str) -> Sent:
        who = self.person()
        return self._message(index, label, who, self.chat_for(who), {"location": self.location()})

    def _live_location(self, index: int, label: str) -> Sent:
        who = self.person()
        tg = self.world.tg
        held = self.world.live.get(who.id)
        if held is not None and self.rng.random() < 0.7:
            moved = {**held["location"], **self.location(), "live_period": 3600}
            edited = tg.edit_user_message(held, {"location": moved})
            self.world.live[who.id] = edited
            return Sent(index, label, "edited_message", edited)
        location = {**self.location(), "live_period": 3600}
        sent = self._message(index, label, who, self.chat_for(who), {"location": location})
        self.world.live[who.id] = sent.payload
        return sent

    def _venue(self, index: int, label: str) -> Sent:
        who = self.person()
        place = self.location()
        content = {
            "venue": {"location": place, "title": "Night shelter", "address": "2 Low Rd"},
            "location": dict(place),
        }
        return self._message(index, label, who, self.chat_for(who), content)

    def _contact(self, index: int, label: str) -> Sent:
        who = self.person()
        return self._message(index, label, who, self.chat_for(who), {"contact": self.contact(who)})

    def _text(self, index: int, label: str) -> Sent:
        who = self.person()
        text = self.rng.choice(TEXTS + ODD_TEXT[1:8])
        return self._message(index, label, who, self.chat_for(who), _content(text))

    def _anonymous_admin(self, index: int, label: str) -> Sent:
        world = self.world
        group = self.rng.choice((world.team, world.other))
        admin = world.people["cora"]
        content = _content(
            self.command_text(admin, group.chat_id)
            if self.rng.random() < 0.7
            else self.rng.choice(TEXTS)
        )
        content["from"] = {
            "id": ANONYMOUS_ADMIN_ID,
            "is_bot": True,
            "first_name": "Group",
            "username": "GroupAnonymousBot",
        }
        content["sender_chat"] = {"id": group.chat_id, "type": "supergroup", "title": group.title}
        return self._message(index, label, admin, group.chat_id, content)

    def _channel(self, index: int, label: str) -> Sent:
        world = self.world
        pick = self.rng.random()
        channel = {"id": world.channel.chat_id, "type": "channel", "title": "Outreach news"}
        text = (
            self.command_text(world.people["cora"], world.channel.chat_id)
            if self.rng.random() < 0.5
            else self.rng.choice(TEXTS)
        )
        if pick < 0.5:  # a post in the channel itself
            payload: JSON = {
                "message_id": 10_000 + index,
                "date": int(world.tg.clock()),
                "chat": channel,
                "sender_chat": channel,
                **_content(text),
            }
            update = world.tg.queue_update("channel_post", payload)
            return Sent(index, label, "channel_post", update["channel_post"])
        group = self.rng.choice((world.team, world.other))
        content = _content(text)
        content["from"] = {
            "id": CHANNEL_BOT_ID,
            "is_bot": True,
            "first_name": "Channel",
            "username": "Channel_Bot",
        }
        content["sender_chat"] = channel
        if pick < 0.75:
            content["is_automatic_forward"] = True
            content["forward_origin"] = {
                "type": "channel",
                "chat": channel,
                "message_id": index,
                "date": int(world.tg.clock()),
            }
        return self._message(index, label, world.people["cora"], group.chat_id, content)

    def _my_chat_member(self, index: int, label: str) -> Sent:
        world = self.world
        group = self.rng.choice((world.team, world.other))
        who = self.rng.choice(group.members)
        old, new = self.rng.choice(
            (("left", "member"), ("member", "administrator"), ("member", "left"))
        )
        add = getattr(world.tg, "add_bot_to_group", None)
        left = getattr(world.tg, "bot_left", None)
        if add is not None and left is not None and left(group):  # someone adds it back
            update = add(group, by=who)  # the fake's own: the bot is in the group again
            return Sent(index, label, "my_chat_member", update["my_chat_member"])

        def member(status: str) -> JSON:
            body: JSON = {"status": status, "user": world.tg.bot_user()}
            if status == "administrator":
                body.update(
                    can_be_edited=False,
                    is_anonymous=False,
                    can_manage_chat=True,
                    can_delete_messages=True,
                    can_manage_video_chats=True,
                    can_restrict_members=True,
                    can_promote_members=False,
                    can_change_info=True,
                    can_invite_users=True,
                    can_post_stories=False,
                    can_edit_stories=False,
                    can_delete_stories=False,
                )
            return body

        payload = {
            "chat": world.tg.chat_dict(group.chat_id),
            "from": who.to_dict(),
            "date": int(world.tg.clock()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        update = world.tg.queue_update("my_chat_member", payload)
        return Sent(index, label, "my_chat_member", update["my_chat_member"])


# ============================================================================ the rules


@dataclasses.dataclass(frozen=True)
class Change:
    """One row inserted, deleted or updated by one update."""

    table: str
    key: tuple[Any, ...]
    before: Row | None
    after: Row | None

    @property
    def row(self) -> Row:
        row = self.after if self.after is not None else self.before
        assert row is not None
        return row

    @property
    def columns(self) -> frozenset[str]:
        if self.before is None or self.after is None:
            return frozenset(self.row)
        return frozenset(k for k in self.after if self.after[k] != self.before.get(k))

    @property
    def kind(self) -> str:
        return "insert" if self.before is None else "delete" if self.after is None else "update"

    def became(self, column: str, value: Any) -> bool:
        """Whether this update set `column` to `value` (an insert counts)."""
        return self.row.get(column) == value and (
            self.before is None or self.before.get(column) != value
        )

    def describe(self) -> str:
        if self.kind == "update":
            assert self.before is not None
            assert self.after is not None
            diff = {k: [self.before.get(k), self.after[k]] for k in sorted(self.columns)}
            return f"{self.table} {self.key} update {diff}"
        return f"{self.table} {self.key} {self.kind} {self.row}"


@dataclasses.dataclass
class Ctx:
    """What a rule may look at: the update, the world and the database before and after."""

    sent: Sent
    world: World
    before: Tables
    after: Tables
    changes: list[Change]

    @property
    def actor(self) -> int | None:
        return self.sent.actor

    def volunteer(self, telegram_id: int | None, *, after: bool = False) -> Row | None:
        tables = self.after if after else self.before
        for row in tables.get("volunteers", {}).values():
            if telegram_id is not None and row["telegram_id"] == telegram_id:
                return row
        return None

    @property
    def vid(self) -> int | None:
        row = self.volunteer(self.actor)
        return int(row["id"]) if row is not None else None

    @property
    def member(self) -> bool:
        """On the team (an active volunteer) before this update."""
        row = self.volunteer(self.actor)
        return row is not None and row["status"] == "active"

    @property
    def coordinator(self) -> bool:
        """A coordinator (by tag) or an admin (ROTABOT_ADMIN_IDS), before this update."""
        if self.actor in self.world.admin_ids:
            return True
        row = self.volunteer(self.actor)
        return (
            row is not None
            and row["status"] == "active"
            and "coordinator" in str(row["tags"]).split()
        )

    def command(self, *names: str) -> bool:
        return self.sent.command(self.world.tg.bot_username) in names

    def pair_of(self, pair_id: int) -> set[int]:
        return {
            int(m["volunteer_id"])
            for m in self.before.get("pair_members", {}).values()
            if m["pair_id"] == pair_id
        }

    def signed_up(self, session_id: int, role_key: str | None = None) -> bool:
        """The actor has a confirmed place in this session (in this role)."""
        roles = {
            r["id"]: r["key"]
            for r in self.before.get("session_roles", {}).values()
            if r["session_id"] == session_id
        }
        return any(
            s["volunteer_id"] == self.vid
            and s["session_id"] == session_id
            and s["status"] == "confirmed"
            and (role_key is None or roles.get(s["role_id"]) == role_key)
            for s in self.before.get("signups", {}).values()
        )

    def changed(self, table: str, kind: str | None = None) -> list[Change]:
        return [c for c in self.changes if c.table == table and (kind in (None, c.kind))]

    def removed_volunteers(self) -> set[int]:
        """Volunteers this update deleted or set inactive (a legitimate /remove or forget)."""
        gone = {int(c.before["id"]) for c in self.changed("volunteers", "delete") if c.before}
        gone |= {
            int(c.row["id"])
            for c in self.changed("volunteers", "update")
            if "status" in c.columns and c.row["status"] != "active"
        }
        return gone if self.volunteers_removed_legitimately() else set()

    def volunteers_removed_legitimately(self) -> bool:
        return all(_allowed(c, self) is None for c in self.changed("volunteers"))


def _private_command(ctx: Ctx, *names: str) -> bool:
    """A coordinator's own command, in their private chat (issue 11, item 3)."""
    return ctx.sent.own and ctx.sent.private and ctx.coordinator and ctx.command(*names)


def _press_by(ctx: Ctx, prefix: str, actions: str, ident: Any = None) -> bool:
    press = ctx.sent.press(prefix, actions)
    return press is not None and (ident is None or (press[1][:1] == (ident,)))


def _checkin_ok(c: Change, ctx: Ctx) -> bool:
    row = c.row
    by_member = ctx.vid is not None and ctx.vid in ctx.pair_of(row["pair_id"])
    how = (
        _press_by(ctx, "ci", "o", row["id"])
        or ctx.command("ok")
        or (ctx.sent.private and " ".join(ctx.sent.text.lower().split()) == DURESS_WORD)
    )
    due = row["checked_at"] is not None and row["checked_at"] >= row["due_at"] - (
        ctx.world.interval / 2
    )
    return (
        ctx.sent.own
        and by_member
        and how
        and due
        and row["checked_by"] == ctx.vid
        and c.columns <= {"state", "checked_at", "checked_by"}
    )


def _walk_ender(ctx: Ctx) -> bool:
    """The confirmed lead of tonight or a coordinator, ending the walk (/endwalk, End button)."""
    tonight = [
        s["id"]
        for s in ctx.before.get("sessions", {}).values()
        if s["local_date"] == ctx.world.tonight
    ]
    lead = any(ctx.signed_up(sid, "lead") for sid in tonight)
    how = ctx.command("endwalk") or _press_by(ctx, "wk", "e")
    return ctx.sent.own and how and (lead or ctx.coordinator)


def _walk_ended(ctx: Ctx) -> bool:
    return any(
        "walk_state" in c.columns and _walk_ender(ctx) for c in ctx.changed("sessions", "update")
    )


def _help_raised(c: Change, ctx: Ctx) -> bool:
    row = c.row
    how = (
        (ctx.command("sos") or _press_by(ctx, "ci", "h"))
        if row["kind"] == "sos"
        else row["kind"] == "duress"
        and ctx.sent.private
        and " ".join(ctx.sent.text.lower().split()) == DURESS_WORD
    )
    return (
        ctx.sent.own
        and bool(how)
        and row["volunteer_id"] == ctx.vid
        and ctx.signed_up(row["session_id"])
    )


def _alarm_taken(c: Change, ctx: Ctx) -> bool:
    row = c.row
    acked = "acknowledged_by" in c.columns or "resolved_by" in c.columns
    who = row["acknowledged_by"] if "acknowledged_by" in c.columns else row["resolved_by"]
    how = _press_by(ctx, "es", "artf")
    return (
        ctx.sent.own
        and ctx.coordinator
        and acked
        and who == ctx.vid
        and how
        and c.columns
        <= {"state", "acknowledged_by", "acknowledged_at", "resolved_by", "resolved_at"}
    )


def _own_row(c: Change, ctx: Ctx, column: str = "volunteer_id") -> bool:
    return ctx.vid is not None and c.row.get(column) == ctx.vid


def _forgot_self(c: Change, ctx: Ctx) -> bool:
    """me:y pressed in one's own private chat: one's own data goes (and what hangs off it)."""
    own_chat = ctx.sent.own and ctx.sent.private
    return own_chat and _press_by(ctx, "me", "y") and _own_row(c, ctx, "id")


def _removed(ctx: Ctx) -> bool:
    return _private_command(ctx, "remove")


def _cascade(c: Change, ctx: Ctx) -> bool:
    """A row that belonged to a volunteer removed (or forgotten) in this same update."""
    return c.row.get("volunteer_id") in ctx.removed_volunteers()


def _new_member(c: Change, ctx: Ctx) -> bool:
    return (
        ctx.sent.own
        and ctx.sent.private
        and ctx.command("start")
        and c.row["telegram_id"] == ctx.actor
    )


def _signup_own(c: Change, ctx: Ctx) -> bool:
    """One's own place: join (any rota view, the group post included), withdraw, cover."""
    how = (
        _press_by(ctx, "ro", "jw")
        or _press_by(ctx, "ms", "y")
        or _press_by(ctx, "rm", "ynwc")
        or _press_by(ctx, "cv", "rax")
    )
    return ctx.sent.own and how and _own_row(c, ctx)


def _signup_promoted(c: Change, ctx: Ctx) -> bool:
    """A waitlisted place confirmed because a place in the same role was given up just now."""
    freed = [
        o
        for o in ctx.changed("signups")
        if o is not c
        and o.before is not None
        and o.before["role_id"] == c.row["role_id"]
        and o.before["status"] == "confirmed"
        and (o.after is None or o.after["status"] != "confirmed")
        and _allowed(o, ctx) is None
    ]
    return (
        c.kind == "update"
        and c.before is not None
        and c.before["status"] == "waitlisted"
        and c.row["status"] == "confirmed"
        and bool(freed)
    )


def _cover_taken(c: Change, ctx: Ctx) -> bool:
    """I can cover: the requester's place passes to the one who took the open request."""
    taken = any(
        r.became("state", "taken") and r.row["taken_by"] == ctx.vid
        for r in ctx.changed("cover_requests")
    )
    return ctx.sent.own and _press_by(ctx, "cv", "a") and taken


def _cover_request_own(c: Change, ctx: Ctx) -> bool:
    how = _press_by(ctx, "cv", "rx") or _press_by(ctx, "rm", "c")
    return ctx.sent.own and how and _own_row(c, ctx, "requester_id")


def _cover_request_taken(c: Change, ctx: Ctx) -> bool:
    return (
        ctx.sent.own
        and _press_by(ctx, "cv", "a")
        and c.became("state", "taken")
        and c.row["taken_by"] == ctx.vid
    )


def _cover_offers(c: Change, ctx: Ctx) -> bool:
    """Offers follow a request (made or taken) in the same update."""
    return any(_allowed(r, ctx) is None for r in ctx.changed("cover_requests"))


def _location_own(c: Change, ctx: Ctx) -> bool:
    sent = ctx.sent
    located = "location" in sent.payload
    return (
        located
        and not sent.forwarded
        and not sent.on_behalf
        and sent.private
        and _own_row(c, ctx)
        and (not sent.edited or "live_period" in sent.payload["location"])
    )


def _phone_own(c: Change, ctx: Ctx) -> bool:
    contact = ctx.sent.payload.get("contact") or {}
    return (
        ctx.sent.own
        and ctx.sent.private
        and contact.get("user_id") == ctx.actor
        and c.row["telegram_id"] == ctx.actor
        and c.columns <= {"phone"}
    )


def _name_own(c: Change, ctx: Ctx) -> bool:
    return (
        ctx.sent.own
        and ctx.command("name", "start")
        and c.row["telegram_id"] == ctx.actor
        and c.columns <= {"display_name", "username"}
    )


def _retagged(c: Change, ctx: Ctx) -> bool:
    return _private_command(ctx, "tag", "untag") and c.columns <= {"tags"}


def _joined_again(c: Change, ctx: Ctx) -> bool:
    """An invite opened by someone already on the team (its tags, their status)."""
    return _new_member(c, ctx) and c.columns <= {"tags", "status", "display_name", "username"}


def _invite_used(c: Change, ctx: Ctx) -> bool:
    return (
        ctx.sent.own
        and ctx.sent.private
        and ctx.command("start")
        and ctx.sent.args.split()[:1] == [c.row["code"]]
        and c.columns <= {"used_at", "used_by"}
    )


def _invite_made(c: Change, ctx: Ctx) -> bool:
    return _private_command(ctx, "invite") and c.row["created_by"] == ctx.vid


def _walk_state(c: Change, ctx: Ctx) -> bool:
    return _walk_ender(ctx) and c.columns <= {"walk_state", "walk_over_at", "walk_over_by"}


def _checkins_cancelled(c: Change, ctx: Ctx) -> bool:
    return c.became("state", "cancelled") and _walk_ended(ctx)


def _home_safe(c: Change, ctx: Ctx) -> bool:
    return (
        ctx.sent.own
        and _press_by(ctx, "hs", "o", c.row["id"])
        and _own_row(c, ctx)
        and c.columns <= {"safe_at"}
    )


def _briefing_read(c: Change, ctx: Ctx) -> bool:
    return (
        ctx.sent.own
        and _press_by(ctx, "bf", "g", c.row["id"])
        and _own_row(c, ctx)
        and c.columns <= {"read_at"}
    )


def _reminder_answer(c: Change, ctx: Ctx) -> bool:
    return ctx.sent.own and _press_by(ctx, "rm", "ynwc") and _own_row(c, ctx)


def _debrief_answer(c: Change, ctx: Ctx) -> bool:
    return (
        ctx.sent.own
        and ctx.sent.private
        and c.row["lead_id"] == ctx.vid
        and bool(ctx.sent.text)
        and not ctx.sent.text.startswith("/")
    )


def _post_made(c: Change, ctx: Ctx) -> bool:
    """Team members may post the rota in the team's group (rota.roster.posts)."""
    return (
        ctx.sent.own
        and ctx.member
        and ctx.command("postrota")
        and c.row["chat_id"] == ctx.world.team.chat_id
        and ctx.sent.chat_id == ctx.world.team.chat_id
    )


def _post_bookkeeping(c: Change, ctx: Ctx) -> bool:
    return c.kind == "update" and c.columns <= {"dirty_since", "last_edit_at"}


def _pairs_swapped(c: Change, ctx: Ctx) -> bool:
    return ctx.sent.own and ctx.coordinator and _press_by(ctx, "pr", "s")


def _job_made(c: Change, ctx: Ctx) -> bool:
    """Rows the sweeps write in the background (a briefing for a late joiner, a reminder)."""
    return c.kind == "insert"


@dataclasses.dataclass(frozen=True)
class Rule:
    """One way a row of a checked table may change during the fuzz."""

    table: str
    change: str
    allowed_when: str
    check: Callable[[Change, Ctx], bool]


# Every change to these tables must match one row here; anything else is a finding. "Own"
# means: a person's new action (not an edit, not a forward, not written as a group or a
# channel). Roles are read from the database as it was just before the update.
RULES: tuple[Rule, ...] = (
    Rule(
        "checkins",
        "open -> ok",
        "a member of that pair, own: We're OK (ci:o:<that id>), /ok, or the duress word in "
        "private; once the check-in is due (within half an interval of it, as /ok)",
        _checkin_ok,
    ),
    Rule(
        "checkins",
        "-> cancelled",
        "the walk ended by its lead or a coordinator",
        _checkins_cancelled,
    ),
    Rule(
        "escalations",
        "insert (sos, duress)",
        "a person with a confirmed place tonight, own, about themself: /sos, Need help (ci:h), "
        "or the duress word in private",
        _help_raised,
    ),
    Rule(
        "escalations",
        "acknowledged / resolved",
        "a coordinator, own, as themself, with an alarm button (es:a/r/t/f)",
        _alarm_taken,
    ),
    Rule(
        "volunteers",
        "insert",
        "the person themself, own, /start in their private chat",
        _new_member,
    ),
    Rule(
        "volunteers",
        "phone",
        "their own contact (contact.user_id is the sender), own, in private",
        _phone_own,
    ),
    Rule(
        "volunteers",
        "display_name, username",
        "the person themself, own, /name or /start",
        _name_own,
    ),
    Rule(
        "volunteers",
        "tags, status",
        "/start <code> by the person themself, own, in private",
        _joined_again,
    ),
    Rule(
        "volunteers",
        "tags",
        "a coordinator's own /tag or /untag in their private chat",
        _retagged,
    ),
    Rule(
        "volunteers",
        "delete, status",
        "a coordinator's own /remove in private, or the person's own me:y in their private chat",
        lambda c, ctx: _removed(ctx) or _forgot_self(c, ctx),
    ),
    Rule(
        "invites",
        "insert",
        "a coordinator's own /invite in their private chat",
        _invite_made,
    ),
    Rule(
        "invites",
        "used",
        "/start <that code> by the joiner, own, in private",
        _invite_used,
    ),
    Rule(
        "signups",
        "any",
        "the volunteer's own place, own press: join (ro:j/w), withdraw (ms:y), reminder (rm:), "
        "cover (cv:)",
        _signup_own,
    ),
    Rule(
        "signups",
        "waitlisted -> confirmed",
        "a place in the same role given up legitimately in the same update",
        _signup_promoted,
    ),
    Rule(
        "signups",
        "any",
        "I can cover (cv:a) taking an open request: the requester's place",
        _cover_taken,
    ),
    Rule(
        "signups",
        "any",
        "a coordinator's own /remove or /cancelsession in private",
        lambda c, ctx: _private_command(ctx, "remove", "cancelsession"),
    ),
    Rule(
        "signups, pair_members, locations, briefings, home_safe, reminder_answers, cover_*",  # noqa: E501
        "delete",
        "the volunteer removed or forgotten legitimately in the same update",
        _cascade,
    ),
    Rule(
        "sessions",
        "insert, status, checkin_plan",
        "a coordinator's own /addsession, /cancelsession, /checkins in private",
        lambda c, ctx: _private_command(ctx, "addsession", "cancelsession", "checkins"),
    ),
    Rule(
        "sessions",
        "walk_state",
        "tonight's confirmed lead or a coordinator, own: /endwalk or End the walk (wk:e)",
        _walk_state,
    ),
    Rule(
        "pairs, pair_members",
        "any",
        "a coordinator's own swap press (pr:s)",
        _pairs_swapped,
    ),
    Rule(
        "locations",
        "insert, update",
        "the walker's own location or venue (or a live-location edit) in private, not forwarded",
        _location_own,
    ),
    Rule(
        "home_safe",
        "safe_at",
        "the person's own I'm home safe (hs:o:<that id>)",
        _home_safe,
    ),
    Rule(
        "briefings",
        "read_at",
        "the person's own Got it (bf:g:<that id>)",
        _briefing_read,
    ),
    Rule(
        "briefings, reminder_answers, cover_offers, debriefs",
        "insert",
        "the sweeps (a late joiner's briefing, a reminder, offers, the lead's debrief)",
        _job_made,
    ),
    Rule(
        "reminder_answers",
        "update",
        "the person's own reminder button (rm:)",
        _reminder_answer,
    ),
    Rule(
        "cover_requests",
        "insert, cancel",
        "the requester's own press (cv:r, cv:x, rm:c)",
        _cover_request_own,
    ),
    Rule(
        "cover_requests",
        "taken",
        "I can cover (cv:a), own, as the taker",
        _cover_request_taken,
    ),
    Rule(
        "cover_offers",
        "any",
        "a cover request made or taken legitimately in the same update",
        _cover_offers,
    ),
    Rule(
        "safety_notes",
        "insert",
        "a coordinator's own /brief in private",
        lambda c, ctx: _private_command(ctx, "brief"),
    ),
    Rule(
        "debriefs",
        "update",
        "the lead of that debrief, own, a text in private",
        _debrief_answer,
    ),
    Rule(
        "team_posts",
        "insert, message",
        "a team member's own /postrota in the team chat",
        _post_made,
    ),
    Rule(
        "team_posts",
        "dirty_since, last_edit_at",
        "anyone (the post's refresh bookkeeping)",
        _post_bookkeeping,
    ),
    Rule(
        "team_chats",
        "insert",
        "the configured team chat only (ROTABOT_TEAM_CHAT_ID is set), by a rota post allowed "
        "above",
        _post_made,
    ),
)
# Written by the bot as consequences of allowed changes, or bookkeeping: not judged row by row
# (what they lead to is: messages are checked for leaks, and the tables above for causes).
UNCHECKED = ("outbox", "timers", "safety_log", "session_milestones", "session_roles")


def _rules_for(table: str) -> list[Rule]:
    return [r for r in RULES if table in [t.strip() for t in r.table.split(",")] or (
        r.table.endswith("cover_*") and table.startswith("cover_")
    )]  # fmt: skip


def checked_tables() -> list[str]:
    """The tables the rules judge: every table not listed as unchecked."""
    return [t.name for t in Base.metadata.sorted_tables if t.name not in UNCHECKED]


def _allowed(change: Change, ctx: Ctx) -> str | None:
    """None if a rule allows this change, else why not."""
    rules = _rules_for(change.table)
    for rule in rules:
        if rule.check(change, ctx):
            return None
    if not rules:
        return f"no rule allows any change to {change.table}"
    return "allowed only when: " + " | ".join(f"{r.change}: {r.allowed_when}" for r in rules)


# ============================================================================ the run


@dataclasses.dataclass
class Finding:
    """One thing that went wrong, with the update that caused it (None: setup or a sweep)."""

    what: str
    detail: str
    sent: Sent | None

    @property
    def signature(self) -> str:
        """Findings of the same kind from the same menu item and command or button prefix."""
        if self.sent is None:
            return f"{self.what} [no update]"
        sent = self.sent
        key = sent.label
        if sent.data is not None:
            key += f" {sent.data[:2]}"
        elif sent.text.startswith("/"):
            key += f" {sent.text.split()[0].split('@')[0]}"
        return f"{self.what} [{key}, {sent.kind}]"


@dataclasses.dataclass
class Report:
    """What a fuzz run did and found."""

    seed: int
    count: int
    sent: int = 0
    handled: int = 0
    not_requested: Counter[str] = dataclasses.field(default_factory=Counter)
    not_delivered: int = 0
    presses: int = 0
    unanswered: int = 0
    exceptions: int = 0
    stalls: int = 0
    violations: int = 0
    leaks: int = 0
    labels: Counter[str] = dataclasses.field(default_factory=Counter)
    findings: list[Finding] = dataclasses.field(default_factory=list)
    elapsed_s: float = 0.0
    responsive: bool | None = None

    @property
    def ok(self) -> bool:
        return not self.findings and self.responsive is not False

    @property
    def updates_per_s(self) -> float:
        return self.sent / self.elapsed_s if self.elapsed_s else 0.0

    def distinct(self) -> dict[str, list[Finding]]:
        groups: dict[str, list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault(finding.signature, []).append(finding)
        return groups

    def summary(self, limit: int = 40) -> str:
        """The figures, then each distinct finding once, with its first update in full."""
        lines = [
            f"fuzz seed={self.seed} count={self.count}: {self.sent} updates sent, "
            f"{self.handled} handled, {self.presses} presses, {self.updates_per_s:.1f}/s; "
            f"{self.exceptions} exceptions, {self.unanswered} unanswered presses, "
            f"{self.stalls} stalls, {self.violations} state violations, {self.leaks} leaks; "
            f"responsive after: {self.responsive}",
        ]
        if self.not_requested:
            lines.append(f"not asked for by the bot (never delivered): {dict(self.not_requested)}")
        if self.not_delivered:
            lines.append(f"in a group the bot has left (never delivered): {self.not_delivered}")
        groups = self.distinct()
        for i, (signature, found) in enumerate(groups.items()):
            if i >= limit:
                lines.append(f"... and {len(groups) - limit} more distinct findings")
                break
            first = found[0]
            where = f"update #{first.sent.index}" if first.sent else "no update"
            lines.append(f"\n[{len(found)}x] {signature}  (first: {where}, seed {self.seed})")
            lines.append(f"  {first.detail[:1500]}")
            if first.sent is not None:
                lines.append(f"  update: {first.sent.describe()[:2500]}")
        return "\n".join(lines)


class Observer:
    """Sees every update the Application finishes, every error handled, every ERROR logged."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.done: set[int] = set()
        self.finished = asyncio.Event()  # set whenever an update is done
        self.errors: list[tuple[int | None, str]] = []
        self.logged: list[logging.LogRecord] = []
        self._original = app.process_update

        async def process_update(update: object) -> None:
            try:
                await self._original(update)
            finally:
                update_id = getattr(update, "update_id", None)
                if isinstance(update_id, int):
                    self.done.add(update_id)
                self.finished.set()

        async def on_error(update: object, context: Any) -> None:
            import traceback

            error = context.error
            text = "".join(traceback.format_exception(error)) if error else "no exception"
            self.errors.append((getattr(update, "update_id", None), text))

        self._on_error = on_error
        self._handler = _ListHandler(self.logged)
        setattr(app, "process_update", process_update)  # noqa: B010 - patching a method
        app.add_error_handler(on_error)
        for name in LOGGERS:
            logging.getLogger(name).addHandler(self._handler)

    def close(self) -> None:
        setattr(self.app, "process_update", self._original)  # noqa: B010
        self.app.remove_error_handler(self._on_error)
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(self._handler)


class _ListHandler(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


async def snapshot(bot: Harness, tables: Iterable[str]) -> Tables:
    """The checked tables, row by primary key."""
    out: Tables = {}
    async with bot.uow.engine.connect() as conn:
        for name in tables:
            table = Base.metadata.tables[name]
            keys = list(table.primary_key.columns)
            result = await conn.execute(select(table))
            rows: dict[tuple[Any, ...], Row] = {}
            for row in result.mappings():
                as_dict = dict(row)
                rows[tuple(as_dict[k.name] for k in keys)] = as_dict
            out[name] = rows
    return out


def diff(before: Tables, after: Tables) -> list[Change]:
    """Every row inserted, deleted or changed between two snapshots."""
    changes: list[Change] = []
    for table in after:
        old, new = before.get(table, {}), after[table]
        for key in sorted(set(old) | set(new), key=repr):
            a, b = old.get(key), new.get(key)
            if a != b:
                changes.append(Change(table, key, a, b))
    return changes


class WriteWatch:
    """The tables written through the bot's engine since the last `take`.

    Most updates write nothing (a refusal, a view): then the database is as it was and the
    run neither takes a snapshot nor waits for the outbox. Every write of the bot goes through
    this engine, so a change cannot slip past (a cascade follows a DELETE, which is seen).
    """

    _WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)

    def __init__(self, engine: Any) -> None:
        self.engine = engine.sync_engine
        self.tables: set[str] = set()
        self.deletes = False
        event.listen(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        match = self._WRITE.match(statement)
        if match:
            self.tables.add(match.group(1).lower())
            self.deletes |= statement.lstrip()[:6].upper() == "DELETE"

    def take(self) -> tuple[set[str], bool]:
        """What was written since the last call, and whether anything was deleted."""
        found, deleted = self.tables, self.deletes
        self.tables, self.deletes = set(), False
        return found, deleted

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


_PHONE_DIGITS = re.compile(r"\+?\d[\d ()-]{6,}\d")
_LEAK_METHODS = ("sendMessage", "editMessageText", "editMessageCaption", "sendDocument")
_LOCATION_METHODS = ("sendLocation", "sendVenue", "editMessageLiveLocation", "sendContact")


class Runner:
    """Sends the generated updates one at a time and checks each before the next."""

    def __init__(self, world: World, seed: int, count: int) -> None:
        self.world = world
        self.bot = world.bot
        self.report = Report(seed=seed, count=count)
        self.generator = Generator(world, seed)
        self.tables = checked_tables()
        self.calls_seen = 0
        self.last_update_id = 0
        self.errors_seen = 0
        self.logged_seen = 0
        self.phones: set[str] = set(PHONES.values())  # every number a volunteer has given
        self.stuck: set[int] = set()  # outbox rows reported undelivered: not waited for again
        self.stuck_timers: set[int] = set()  # timers reported unfired: not waited for again

    def find(self, what: str, detail: str, sent: Sent | None) -> None:
        self.report.findings.append(Finding(what, detail, sent))

    async def run(self, phases: list[tuple[dtm.datetime, int]]) -> Report:
        """Each phase: move the clock (and let the sweeps run), then `n` updates at that time."""
        observer = Observer(self.bot.app)
        self.watch = WriteWatch(self.bot.uow.engine)
        started = time.monotonic()
        try:
            self.check_messages(None)
            index = 0
            for when, n in phases:
                if when != self.bot.clock.now():
                    await tick(self.bot, when)
                    await self.quiet()
                    self.check_messages(None)
                self.watch.take()
                before = await snapshot(self.bot, self.tables)
                self.world.ids = _ids(before)
                for _ in range(n):
                    before = await self.step(index, observer, before)
                    index += 1
            self.report.elapsed_s = time.monotonic() - started
            self.report.responsive = await self.responsive()
            self.check_errors(observer, None)
        finally:
            observer.close()
            self.watch.close()
        return self.report

    async def step(self, index: int, observer: Observer, before: Tables) -> Tables:
        sent = None
        for _ in range(20):  # a menu item with nothing to act on draws again
            sent = self.generator.next(index)
            if sent is not None:
                break
        if sent is None:
            return before
        self.report.sent += 1
        self.report.labels[sent.label] += 1
        tg = self.bot.tg
        queued = tg.updates[-1]["update_id"] if tg.updates else None
        if queued is None or queued <= self.last_update_id:
            self.report.not_delivered += 1
            return before
        self.last_update_id = sent.update_id = queued
        pressed = self._pressed(sent)
        if sent.kind not in self._asked_for():
            self.report.not_requested[sent.kind] += 1
            return before
        handled = await self._handled(sent, observer)
        if handled:
            self.report.handled += 1
        else:
            self.report.stalls += 1
            self.find("update not handled within 15 s", "the bot never finished it", sent)
        written, deleted = self.watch.take()
        if "outbox" in written:
            await self.quiet(sent)
            more, gone = self.watch.take()
            written, deleted = written | more, deleted or gone
        if sent.query_id is not None:
            self.report.presses += 1
            if tg.callback_answer(sent.query_id) is None:
                self.report.unanswered += 1
                self.find("press never answered", f"data={sent.data!r}", sent)
        self.check_errors(observer, sent)
        self.check_messages(sent)
        self.check_pressed(sent, pressed)
        if deleted or written & set(self.tables):
            self.watch.take()  # writes from here on belong to the next update
            after = await snapshot(self.bot, self.tables)
            self.check_changes(sent, before, after)
            return after
        return before

    def _asked_for(self) -> set[str]:
        """The update types the bot asked Telegram for (its last getUpdates)."""
        for call in reversed(self.bot.tg.calls_to("getUpdates")):
            allowed = call.params.get("allowed_updates")
            if isinstance(allowed, list) and allowed:
                return set(allowed)
        return {"message", "edited_message", "callback_query", "channel_post", "my_chat_member"}

    async def _handled(self, sent: Sent, observer: Observer) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STEP_TIMEOUT
        while sent.update_id not in observer.done:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            observer.finished.clear()
            if sent.update_id in observer.done:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(observer.finished.wait(), remaining)
        return True

    async def quiet(self, sent: Sent | None = None, within: float = 5.0) -> None:
        """Wait until the outbox has nothing due left to send (alerts made by this update).

        Rows still undelivered after `within` s are a finding (once): the clock stands still
        during a phase, so a row left "sending" (its send crashed) is never sent again, and
        the run stops waiting for it.
        """
        now = self.bot.clock.now()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        table = Base.metadata.tables["outbox"]
        timers = Base.metadata.tables["timers"]
        columns = (table.c.id, table.c.kind, table.c.chat_id, table.c.state, table.c.due_at)
        due: list[Any] = []
        while loop.time() < deadline:
            async with self.bot.uow.engine.connect() as conn:
                result = await conn.execute(
                    select(*columns).where(table.c.state.in_(("pending", "sending")))
                )
                due = [
                    r
                    for r in result
                    if r.id not in self.stuck and (r.due_at is None or _utc(r.due_at) <= now)
                ]
                # A sweep still working through this minute's timers (on a loaded machine it
                # takes more than one pass) would write while the next update is handled, and
                # its alarm would be blamed on that update.
                firing = (
                    await conn.execute(
                        select(timers.c.id, timers.c.state, timers.c.due_at).where(
                            timers.c.state.in_(("pending", "firing"))
                        )
                    )
                ).all()
            sweeping = [
                t
                for t in firing
                if t.id not in self.stuck_timers and (t.state == "firing" or _utc(t.due_at) <= now)
            ]
            if not due and not sweeping:
                return
            await asyncio.sleep(0.01)
        if sweeping:
            self.stuck_timers |= {t.id for t in sweeping}
            self.find(
                "timers due but not fired within 5 s",
                "; ".join(f"timer #{t.id} ({t.state})" for t in sweeping[:10]),
                sent,
            )
        if due:
            self.stuck |= {r.id for r in due}
            self.find(
                "outbox rows due but not delivered within 5 s",
                "; ".join(f"#{r.id} {r.kind} to {r.chat_id} ({r.state})" for r in due[:10]),
                sent,
            )

    def _pressed(self, sent: Sent) -> tuple[BotMessage, str, bool] | None:
        """The group message pressed (its first line and whether it had buttons), if any."""
        if sent.kind != "callback_query" or (sent.chat_id or 0) > 0:
            return None
        message = sent.message
        msg = self.bot.tg.message(int(message["chat"]["id"]), int(message["message_id"]))
        return msg, msg.text.split("\n", 1)[0], bool(msg.buttons)

    # ------------------------------------------------------------------ checks

    def check_errors(self, observer: Observer, sent: Sent | None) -> None:
        for update_id, text in observer.errors[self.errors_seen :]:
            self.report.exceptions += 1
            last = text.strip().splitlines()[-1] if text.strip() else text
            if update_id is None:  # a job's (the dispatcher's, a sweep's): no update caused it
                during = f"while update #{sent.index} was handled\n" if sent else ""
                self.find(f"exception in a job: {last[:120]}", during + text[-3000:], None)
            else:
                self.find(f"unhandled exception: {last[:120]}", text[-3000:], sent)
        self.errors_seen = len(observer.errors)
        for record in observer.logged[self.logged_seen :]:
            if record.name == "bot.errors":
                continue  # the error handler's own log line: counted above
            self.find(
                f"logged at {record.levelname} by {record.name}",
                record.getMessage()[:1500],
                sent,
            )
        self.logged_seen = len(observer.logged)

    def check_messages(self, sent: Sent | None) -> None:
        """Nothing a group can read holds a phone number, a location or an invite link."""
        calls = self.bot.tg.calls
        phones = self.phones
        for call in calls[self.calls_seen :]:
            if not call.ok:
                continue
            chat = call.params.get("chat_id")
            if not isinstance(chat, int) or chat > 0:
                continue
            text = str(call.params.get("text") or call.params.get("caption") or "")
            digits = {re.sub(r"\D", "", m) for m in _PHONE_DIGITS.findall(text)}
            leaked = sorted(p for p in phones if re.sub(r"\D", "", p) in digits)
            if call.method in _LEAK_METHODS and leaked:
                self.report.leaks += 1
                self.find(
                    "a phone number sent to a group",
                    f"{call.method} to {chat}: {leaked} in {text[:600]!r}",
                    sent,
                )
            if call.method in _LEAK_METHODS and "?start=" in text:
                self.report.leaks += 1
                self.find("an invite link sent to a group", f"{call.method} to {chat}", sent)
            if call.method in _LOCATION_METHODS:
                self.report.leaks += 1
                self.find(
                    f"{call.method} to a group",
                    f"to {chat}: {call.params.get('latitude')}, {call.params.get('longitude')}",
                    sent,
                )
        self.calls_seen = len(calls)

    def check_pressed(self, sent: Sent, pressed: tuple[BotMessage, str, bool] | None) -> None:
        """A press by someone who is not a coordinator never turns a group message into another."""
        if pressed is None or sent.actor in self._coordinator_ids():
            return
        msg, first_line, had_buttons = pressed
        now_first = msg.text.split("\n", 1)[0]
        if now_first != first_line or (had_buttons and not msg.buttons) or msg.deleted:
            self.report.violations += 1
            self.find(
                "a press changed a group message",
                f"#{msg.message_id} in {msg.chat_id} was {first_line!r} (buttons: {had_buttons}), "
                f"now {msg.describe()[:400]}",
                sent,
            )

    def _coordinator_ids(self) -> set[int]:
        return {p.id for k, p in self.world.people.items() if k in ("cora", "dee")}

    def check_changes(self, sent: Sent, before: Tables, after: Tables) -> None:
        changes = diff(before, after)
        ctx = Ctx(sent, self.world, before, after, changes)
        self.phones |= {
            str(r["phone"]) for r in after.get("volunteers", {}).values() if r.get("phone")
        }
        for change in changes:
            why = _allowed(change, ctx)
            if why is not None:
                self.report.violations += 1
                self.find(
                    f"{change.table} {change.kind} not allowed",
                    f"{change.describe()[:1200]}; {why[:600]}",
                    sent,
                )

    async def responsive(self) -> bool:
        """A volunteer's /me is still answered after the run."""
        vic = self.world.people["vic"]
        sent = await vic.send("/me")
        try:
            await vic.wait_for("", after=sent["message_id"], timeout=10)
        except AssertionError:
            return False
        return True


def _utc(value: dtm.datetime) -> dtm.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dtm.UTC)


def _ids(tables: Tables) -> list[int]:
    """Row ids a forged press may aim at (and their neighbours)."""
    found: set[int] = set()
    for rows in tables.values():
        for row in rows.values():
            value = row.get("id")
            if isinstance(value, int):
                found.add(value)
    return sorted(found)


def phases_for(count: int) -> list[tuple[dtm.datetime, int]]:
    """Seven in ten updates during the walk, the rest after it (home-safe, debrief)."""
    walking = count * 7 // 10
    return [(WALK_CLOCK, walking), (AFTER_CLOCK, count - walking)]


async def fuzz(bot: Harness, *, seed: int, count: int) -> Report:
    """Build the world on a freshly started bot and send `count` random updates."""
    world = await build_world(bot)
    return await Runner(world, seed, count).run(phases_for(count))
