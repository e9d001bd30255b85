"""Machinery of the authorisation matrix: the night it runs in, cells, snapshots and diffs.

The declarations (who may do what, where) live in test_authorization_matrix.py; this module
only builds the world, runs one cell at a time and reports every difference a cell did not
allow.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.fake_telegram import BotMessage, FakeGroup, FakeTelegram, FakeUser
from rota.storage.tables import Base
from tests.e2e.conftest import Harness, night, outbox_settled, sign_up, tick

PRIVATE, TEAM, OTHER = "private", "team group", "another group"
WHERES = (PRIVATE, TEAM, OTHER)

# Long enough for a refusal, too short for a roster; group replies are checked against it.
GROUP_REPLY_MAX = 300
PHONES = {"annika": "+447700900111", "calum": "+447700900222"}
LOCATION = (51.5101, -0.1340)  # where the walker who asked for help is
LOCATIONS = ("51.5101", "-0.134")

JSON = dict[str, Any]
# Every row of every table, as one JSON text per table.
Snapshot = dict[str, str]
# What a person sees of one chat: every bot message (text, buttons, deleted or not).
ChatView = tuple[tuple[Any, ...], ...]


@dataclasses.dataclass
class Actor:
    """One column of the matrix: a person, and the chats they can write in."""

    key: str
    user: FakeUser
    in_team: bool = True
    anonymous: bool = False  # writes in the team group as the group (GroupAnonymousBot)

    @property
    def chat_id(self) -> int:
        return self.user.chat_id


@dataclasses.dataclass(frozen=True)
class Allowed:
    """What a cell may change; everything else must stay exactly as it was.

    `tables`: database tables that may change. `chats`: chats that may change in any way.
    `reply_in`: a chat that may get at most `replies` new messages (nothing else in it may
    change); in a group such a reply must also be discreet (no names, links or numbers).
    `may_leave`: the bot may leave the chat the cell happened in.
    """

    tables: frozenset[str] = frozenset()
    chats: frozenset[int] = frozenset()
    reply_in: int | None = None
    replies: int = 1
    may_leave: bool = False
    must_leave: bool = False  # the bot must be out of that group afterwards
    short: bool = False  # a group reply must also be short: a pointer, not an answer
    phase: int = 0  # cells that may change things run later, in this order


NOTHING = Allowed()


@dataclasses.dataclass
class Cell:
    """One action by one actor, and what it may change."""

    label: str
    actor: Actor
    allowed: Allowed
    run: Callable[[], Awaitable[str | None]]  # returns the callback query id, if any
    pressed: BotMessage | None = None
    where: int | None = None  # the chat it happened in
    # Its outbox rows may wait for the next delivery: they go only to chats the cell may
    # change anyway (the coordinators, told about a foreign group), and batching them saves
    # a dispatcher run per cell. The runner delivers them before the next other cell.
    deliver_later: bool = False


@dataclasses.dataclass
class World:
    """The night: two pairs walking, an SOS open, a rota post and briefings."""

    bot: Harness
    team: FakeGroup
    actors: dict[str, Actor]
    pairs: list[tuple[FakeUser, FakeUser]]
    names: list[str]
    zed: FakeUser  # a volunteer with no shift, for /tag, /untag and /remove
    rota_post: BotMessage
    alarm_copy: BotMessage
    escalation_id: int
    checkin_ids: dict[int, list[int]]  # pair index -> its check-in ids, in order
    briefing_ids: list[int]
    session_ids: list[int]
    role_ids: dict[tuple[int, str], int]  # (session index, role key) -> role id
    signup_ids: list[int]
    walker_ids: list[int]  # volunteer ids: pair 0's two, then pair 1's
    briefing_of: dict[str, int]  # actor key -> the id of their briefing
    leaks: list[str] = dataclasses.field(default_factory=list)  # found while building it
    other_groups: int = 0

    @property
    def tg(self) -> FakeTelegram:
        return self.bot.tg

    def user(self, key: str) -> FakeUser:
        return self.actors[key].user

    def partner(self, user: FakeUser) -> FakeUser | None:
        for a, b in self.pairs:
            if user is a:
                return b
            if user is b:
                return a
        return None

    def another_group(self, actor: Actor) -> FakeGroup:
        """A fresh group the bot is in (added before it knew better) with the actor in it."""
        self.other_groups += 1
        return self.tg.group(f"Not the team {self.other_groups}", [actor.user])


# -------------------------------------------------------------------------- the night


async def build_world(bot: Harness, team: FakeGroup) -> World:
    """Wed 2 Dec, 19:31: two pairs walk, check-in 1 is due, one walker pressed Need help.

    Cora is the admin (ROTABOT_ADMIN_IDS, not on shift), Deirdre the coordinator by tag and
    on call, Leona tonight's team lead, Wesley a lead on the waitlist, Sam a stranger, Tom a
    stranger who is in the team group.
    """
    tg = bot.tg
    cora = bot.coordinator
    annika = await bot.join("Annika", "trained")
    beatrix = await bot.join("Beatrix", "new")
    calum = await bot.join("Calum", "trained")
    dania = await bot.join("Dania", "new")
    leona = await bot.join("Leona", "lead trained")
    wesley = await bot.join("Wesley", "lead")
    deirdre = await bot.join("Deirdre", "coordinator")
    zed = await bot.join("Zebedee", "trained")
    sam = tg.user("Sam")
    tom = tg.user("Tom")
    await sam.send("/start")
    await sam.wait_for("")
    for person in (annika, beatrix, calum, dania):
        await sign_up(bot, person, "Walker")
    await sign_up(bot, leona, "Team lead")
    await bot.open_session(wesley, "Wed 2 Dec")
    waitlisted = await wesley.tap("Team lead", contains=True)
    assert "waitlist" in (waitlisted.text or ""), waitlisted
    await sign_up(bot, deirdre, "On-call coordinator")
    for person, phone in ((annika, PHONES["annika"]), (calum, PHONES["calum"])):
        await person.share_contact(phone)
        await person.wait_for("saved")
    for person in (cora, annika, beatrix, calum, dania, leona, wesley, deirdre, zed, tom):
        team.add(person)
    team.admins.append(cora)

    await cora.send_in(team, "/postrota")
    rota_post = await team.wait_for("Outreach rota")

    await tick(bot, night(19))
    await bot.run_job("shift")
    for person in (annika, beatrix, calum, dania, leona, deirdre):
        await person.wait_for("Briefing")
    await tick(bot, night(19, 30))
    for person in (annika, beatrix, calum, dania):
        await person.wait_for("Check-in 1 of")

    by_volunteer = {await bot.volunteer_id(u): u for u in (annika, beatrix, calum, dania)}
    members: dict[int, list[FakeUser]] = {}
    for row in await bot.rows("pair_members"):
        members.setdefault(row["pair_id"], []).append(by_volunteer[row["volunteer_id"]])
    pairs = [(m[0], m[1]) for _, m in sorted(members.items())]
    assert len(pairs) == 2, pairs
    # The actor "volunteer" walks in pair 0 (Annika's); "other pair" is someone of pair 1.
    if annika not in pairs[0]:
        pairs.reverse()
    other = pairs[1][0]

    bot.clock.set(night(19, 31))
    await other.tap("🆘 Need help", message=other.last())
    alarm_copy = await team.wait_for("SOS")
    for person in (cora, deirdre, leona):
        await person.wait_for("SOS")
    await other.share_location(*LOCATION)
    await other.wait_for("location")
    assert await outbox_settled(bot)
    leaks = [
        f"the night itself: the team group was shown {why}: {message.text[:80]!r}"
        for message in team.messages()
        for why in [private_details(chat_view_of(message))]
        if why is not None
    ]

    pair_ids = sorted(members)
    checkin_ids: dict[int, list[int]] = {0: [], 1: []}
    for row in await bot.rows("checkins"):
        index = pair_ids.index(row["pair_id"])
        if pairs[0][0] not in members[pair_ids[0]]:
            index = 1 - index
        checkin_ids[index].append(row["id"])
    (escalation,) = await bot.rows("escalations")
    sessions = sorted(await bot.rows("sessions"), key=lambda r: r["starts_at"])
    session_ids = [s["id"] for s in sessions]
    role_ids = {
        (session_ids.index(r["session_id"]), r["key"]): r["id"]
        for r in await bot.rows("session_roles")
        if r["session_id"] in session_ids
    }
    volunteer_ids = {user: vid for vid, user in by_volunteer.items() if vid is not None}
    actors = {
        "stranger": Actor("stranger", sam, in_team=False),
        "stranger in team group": Actor("stranger in team group", tom),
        "volunteer": Actor("volunteer", annika),
        "volunteer of another pair": Actor("volunteer of another pair", other),
        "waitlisted lead": Actor("waitlisted lead", wesley),
        "lead": Actor("lead", leona),
        "coordinator by tag": Actor("coordinator by tag", deirdre),
        "admin": Actor("admin", cora),
        "anonymous group admin": Actor("anonymous group admin", cora, anonymous=True),
    }
    return World(
        bot=bot,
        team=team,
        actors=actors,
        pairs=pairs,
        names=[
            "Annika",
            "Beatrix",
            "Calum",
            "Dania",
            "Leona",
            "Wesley",
            "Deirdre",
            "Zebedee",
            "Cora",
        ],
        zed=zed,
        rota_post=rota_post,
        alarm_copy=alarm_copy,
        escalation_id=escalation["id"],
        checkin_ids=checkin_ids,
        briefing_ids=[r["id"] for r in await bot.rows("briefings")],
        session_ids=session_ids,
        role_ids=role_ids,
        signup_ids=[r["id"] for r in await bot.rows("signups")],
        walker_ids=[volunteer_ids[u] for pair in pairs for u in pair],
        briefing_of={
            key: row["id"]
            for key, actor in actors.items()
            for row in await bot.rows("briefings")
            if row["volunteer_id"] == await bot.volunteer_id(actor.user)
        },
        leaks=leaks,
    )


# -------------------------------------------------------------------------- discovery


def registered_commands(app: Any) -> set[str]:
    """Every command name a CommandHandler of the real Application answers."""
    found: set[str] = set()
    for handlers in app.handlers.values():
        for handler in handlers:
            if isinstance(handler, CommandHandler):
                found |= set(handler.commands)
    return found


def registered_prefixes(app: Any) -> set[str]:
    """Every callback-data prefix a CallbackQueryHandler pattern claims (``^ro:`` -> ro;
    ``^(?:ro|ms):``, the one for malformed data of the known prefixes, -> ro and ms)."""
    found: set[str] = set()
    for handlers in app.handlers.values():
        for handler in handlers:
            if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
                pattern = getattr(handler.pattern, "pattern", handler.pattern)
                match = re.match(r"\^(?:([A-Za-z0-9_]+)|\(\?:([A-Za-z0-9_|]+)\)):", str(pattern))
                if match is None:
                    raise AssertionError(f"cannot read a prefix from pattern {pattern!r}")
                found |= set((match.group(1) or match.group(2)).split("|"))
    return found


# -------------------------------------------------------------------------- running cells


class Tracker:
    """Knows when the Application has finished an update, and every error it raised."""

    def __init__(self, app: Any) -> None:
        self.done: set[int] = set()
        self.errors: list[str] = []
        self._changed = asyncio.Event()
        original = app.process_update

        async def tracked(update: object) -> None:
            try:
                await original(update)
            finally:
                if isinstance(update, Update):
                    self.done.add(update.update_id)
                    self._changed.set()

        async def on_error(update: object, context: Any) -> None:
            self.errors.append(repr(context.error))

        app.process_update = tracked  # the fetcher calls self.process_update(update)
        app.add_error_handler(on_error)

    async def wait(self, update_id: int, within: float = 10.0) -> None:
        """Until the update was handled (every handler and error handler returned)."""
        deadline = time.monotonic() + within
        while update_id not in self.done:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"update {update_id} was not handled within {within}s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue


def last_update_id(tg: FakeTelegram) -> int:
    """The id of the update just queued (read before anything else can run)."""
    return int(tg.updates[-1]["update_id"])


def chat_view_of(m: BotMessage) -> tuple[Any, ...]:
    """One bot message as compared: id, kind, text, deleted, and every button."""
    return (
        m.message_id,
        m.kind,
        m.text,
        m.deleted,
        tuple((b.text, b.callback_data, b.url) for row in m.buttons for b in row),
    )


def chat_view(tg: FakeTelegram, chat_id: int) -> ChatView:
    """One chat's bot messages, oldest first."""
    return tuple(chat_view_of(m) for m in tg.messages(chat_id, include_deleted=True))


class ChatWatch:
    """Which chats the bot changed during a cell, and how they looked before.

    Every send and edit reaches an observer of the fake, every delete and leaveChat is in its
    call log; so only the chats touched are compared (looking at every chat twice a cell
    cost more than the cells themselves).
    """

    def __init__(self, tg: FakeTelegram) -> None:
        self.tg = tg
        self.views = {chat_id: chat_view(tg, chat_id) for chat_id in [*tg.users, *tg.groups]}
        self.touched: set[int] = set()
        self.left: set[int] = set()
        self._calls = len(tg.calls)
        tg.observers.append(lambda message, change: self.touched.add(message.chat_id))

    def _read_calls(self) -> None:
        for call in self.tg.calls[self._calls :]:
            if call.method in ("deleteMessage", "leaveChat") and call.status in (0, 200):
                chat_id = int(call.params["chat_id"])
                self.touched.add(chat_id)
                if call.method == "leaveChat":
                    self.left.add(chat_id)
        self._calls = len(self.tg.calls)

    def baseline(self) -> None:
        """Catch up with what changed outside any cell; the next diff starts here."""
        self._read_calls()
        for chat_id in self.touched:
            self.views[chat_id] = chat_view(self.tg, chat_id)
        self.touched.clear()
        self.left.clear()

    def diff(self) -> tuple[dict[int, ChatView], dict[int, ChatView]]:
        """(before, after) of every chat touched since the baseline."""
        self._read_calls()
        before = {chat_id: self.views.get(chat_id, ()) for chat_id in self.touched}
        after = {chat_id: chat_view(self.tg, chat_id) for chat_id in self.touched}
        return before, after


def snapshot_query(dialect: Any) -> str:
    """One statement that returns every row of every table, one JSON column per table.

    What Harness.snapshot reads, in one round trip instead of one per table: a cell would
    otherwise spend most of its time on its snapshot (23 queries, about 30 ms on SQLite).
    """
    quote = dialect.identifier_preparer.quote
    columns = []
    for table in Base.metadata.sorted_tables:
        values = ", ".join(quote(c.name) for c in table.columns)
        order = ", ".join(quote(c.name) for c in table.primary_key.columns)
        name = quote(table.name)
        if dialect.name == "postgresql":
            rows = (
                f"(SELECT coalesce(json_agg(json_build_array({values}) ORDER BY {order}), "
                f"'[]'::json)::text FROM {name})"
            )
        else:
            rows = (
                f"(SELECT json_group_array(json_array({values})) "
                f"FROM (SELECT * FROM {name} ORDER BY {order}))"
            )
        columns.append(f"{rows} AS {quote(table.name)}")
    return "SELECT " + ", ".join(columns)


async def snapshot(bot: Harness) -> Snapshot:
    """Every row of every table (run it inside jobs_paused, after the outbox settled)."""
    engine = bot.uow.engine
    async with engine.connect() as conn:
        result = await conn.execute(text(snapshot_query(engine.dialect)))
        row = result.mappings().one()
    return {str(k): str(v) for k, v in row.items()}


def db_diff(before: Snapshot, after: Snapshot) -> set[str]:
    return {t for t in set(before) | set(after) if before.get(t) != after.get(t)}


def private_details(message: tuple[Any, ...]) -> str | None:
    """What a team-group message must never show: a phone number or a location (issue 11.9)."""
    kind, text = message[1], str(message[2]).replace(" ", "")
    if kind in ("location", "venue"):
        return "a location"
    if any(phone[-6:] in text for phone in PHONES.values()):
        return "a phone number"
    if any(place in text for place in LOCATIONS):
        return "coordinates"
    return None


def discreet(text: str, names: list[str], *, short: bool) -> str | None:
    """Why a group reply says too much, or None if it is fine."""
    if short and len(text) > GROUP_REPLY_MAX:
        return f"{len(text)} characters long"
    if "t.me/" in text:
        return "contains a link"
    for name in names:
        if re.search(rf"\b{re.escape(name)}\b", text):
            return f"names {name}"
    for phone in PHONES.values():
        if phone[-6:] in text.replace(" ", ""):
            return "contains a phone number"
    return None


class Runner:
    """Runs cells one by one and collects every difference a cell did not allow."""

    def __init__(self, world: World, tracker: Tracker) -> None:
        self.world = world
        self.tracker = tracker
        self.watch = ChatWatch(world.tg)
        self.failures: list[str] = []
        self.skipped: list[str] = []
        self.cells = 0
        self._db: Snapshot | None = None
        self._undelivered = False

    @property
    def bot(self) -> Harness:
        return self.world.bot

    async def _snapshot(self, before: Snapshot | None = None) -> Snapshot:
        """The database now; if the cell wrote to the outbox, delivered first (as the
        dispatcher would have), so its messages show in the chats too."""
        found = await snapshot(self.bot)
        if before is not None and found["outbox"] != before["outbox"]:
            await self._deliver()
            found = await snapshot(self.bot)
        return found

    async def _deliver(self) -> None:
        await self.bot.run_job("dispatch")
        await outbox_settled(self.bot, within=10.0)
        self._undelivered = False

    async def run(self, cell: Cell) -> None:
        """Run one cell: act, wait until handled, deliver the outbox, compare, record."""
        tg = self.bot.tg
        if cell.pressed is not None and cell.pressed.deleted:
            self.skipped.append(f"[{cell.actor.key}] {cell.label}: the message was deleted")
            return  # an earlier cell's doing; nobody can press a deleted message
        self.cells += 1
        if self._undelivered and not cell.deliver_later:
            await self._deliver()  # the batch's messages, before this cell's "before"
            self._db = None
        before_db = self._db if self._db is not None else await self._snapshot()
        self.watch.baseline()
        errors = len(self.tracker.errors)
        problems: list[str] = []
        try:
            query_id = await cell.run()
            if query_id is not None:
                answer = tg.callback_answer(query_id)
                if answer is None:
                    problems.append("the press was never answered")
        except AssertionError as exc:
            problems.append(f"did not finish: {exc}")
        if cell.deliver_later:
            after_db = await snapshot(self.bot)
            self._undelivered = True
        else:
            after_db = await self._snapshot(before_db)
        self._db = after_db
        before_chats, after_chats = self.watch.diff()
        problems += self._compare(cell, before_db, after_db, before_chats, after_chats)
        left = self.watch.left
        may_leave = cell.allowed.may_leave or cell.allowed.must_leave
        if left and not (may_leave and left <= {cell.where}):
            problems.append(f"the bot left {sorted(left)}")
        if cell.allowed.must_leave and cell.where not in left:
            problems.append("the bot stayed in a group that is not the team's")
        if len(self.tracker.errors) > errors:
            problems.append(f"raised {self.tracker.errors[errors:]}")
        team = self.world.team.chat_id
        if team in after_chats:
            was = set(before_chats[team])
            problems += [
                f"the team group was shown {why}"
                for message in after_chats[team]
                if message not in was
                for why in [private_details(message)]
                if why is not None
            ]
        for problem in problems:
            self.failures.append(f"[{cell.actor.key}] {cell.label}: {problem}")

    def _compare(
        self,
        cell: Cell,
        before_db: Snapshot,
        after_db: Snapshot,
        before_chats: dict[int, ChatView],
        after_chats: dict[int, ChatView],
    ) -> list[str]:
        allowed = cell.allowed
        problems = []
        changed = db_diff(before_db, after_db) - allowed.tables
        if changed:
            problems.append(f"changed table(s) {sorted(changed)}")
        for chat_id, now in after_chats.items():
            was = before_chats.get(chat_id, ())
            if now == was or chat_id in allowed.chats:
                continue
            name = self._chat_name(chat_id)
            if chat_id != allowed.reply_in:
                problems.append(f"wrote to {name}: {self._new_texts(was, now)}")
                continue
            if now[: len(was)] != was:
                problems.append(f"edited or deleted a message in {name}")
                continue
            new = now[len(was) :]
            if len(new) > allowed.replies:
                problems.append(f"{len(new)} replies in {name}: {[m[2] for m in new]}")
            if chat_id < 0:
                for message in new:
                    why = discreet(message[2], self.world.names, short=allowed.short)
                    if why is not None:
                        problems.append(f"group reply {why}: {message[2][:120]!r}")
                    if message[4]:
                        problems.append(f"group reply has buttons: {message[4]}")
        return problems

    def _chat_name(self, chat_id: int) -> str:
        tg = self.bot.tg
        if chat_id in tg.groups:
            return f"group {tg.groups[chat_id].title!r}"
        return f"{tg.users[chat_id].first_name}'s chat"

    @staticmethod
    def _new_texts(was: ChatView, now: ChatView) -> list[str]:
        old = dict((m[0], m) for m in was)
        return [
            ("edited: " if m[0] in old else "") + str(m[2])[:80] for m in now if old.get(m[0]) != m
        ]

    # ------------------------------------------------------------------ actions

    async def command(self, actor: Actor, text: str, chat: FakeGroup | None) -> None:
        """The actor sends `text` in their private chat or a group; wait until handled."""
        tg = self.bot.tg
        if chat is None:
            await actor.user.send(text)
        else:
            await actor.user.send_in(chat, text, anonymous=actor.anonymous)
        if chat is not None and chat.bot_left:
            return  # Telegram delivers nothing from a group the bot is not in
        await self.tracker.wait(last_update_id(tg))

    async def settle(self, update_ids: list[int]) -> None:
        """Let what was sent outside any cell be handled and delivered; a fresh baseline."""
        for update_id in update_ids:
            await self.tracker.wait(update_id)
        await self._deliver()
        self._db = None

    async def edit(self, actor: Actor, draft: JSON, text: str) -> None:
        """The actor edits an earlier message of theirs into `text`."""
        await actor.user.edit(draft, text)
        await self.tracker.wait(last_update_id(self.bot.tg))

    async def forward(self, actor: Actor, message: JSON, chat: FakeGroup | None) -> None:
        """The actor forwards someone else's message to the bot (or into a group)."""
        await actor.user.forward(message, to=chat)
        await self.tracker.wait(last_update_id(self.bot.tg))

    async def added_to_group(self, actor: Actor, group: FakeGroup | None) -> FakeGroup:
        """The actor makes a group and adds the bot (or adds it back to `group`)."""
        tg = self.bot.tg
        if group is None:
            group = tg.group_added_by(actor.user, f"{actor.user.first_name}'s group")
        else:
            tg.add_bot_to_group(group, by=actor.user)
        await self.tracker.wait(last_update_id(tg))
        return group

    async def press(self, actor: Actor, message: BotMessage, data: str) -> str:
        """The actor presses `data` on `message` (a modified client can send any data)."""
        tg = self.bot.tg
        query_id = tg.queue_callback_query(actor.user, message, data)
        await self.tracker.wait(last_update_id(tg))
        return query_id
