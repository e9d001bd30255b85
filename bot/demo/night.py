"""A whole Wednesday night played by simulated people against the real bot and a fake Telegram.

The bot is the one `rotabot run` builds (handlers, jobs, database code and outbox); only
Telegram is simulated (bot.fake_telegram on 127.0.0.1) and the clock is a FakeClock that the
script moves from scene to scene, so a night of minutes and hours plays in seconds.
"""

# The waiting helpers take ``timeout`` like the fake's own: wait_for(..., timeout=8).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dtm
import random
import re
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import start_app
from bot.config import Settings
from bot.demo.transcript import Entry, Transcript, html_page
from bot.fake_telegram import BotMessage, FakeGroup, FakeTelegram, FakeUser
from bot.pacing import UNPACED_CHATS
from rota.kernel.clock import FakeClock, SystemClock
from rota.kernel.template import parse_template
from rota.storage.engine import create_engine
from rota.storage.migrate import upgrade
from rota.storage.tables import Base
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory

ZONE = "Europe/London"
COORDINATOR_ID = 900_001
NAMES = (
    "Ana", "Bea", "Cat", "Dee", "Eli", "Fay", "Gem", "Hana",
    "Ines", "Jo", "Kit", "Lou", "Mia", "Noor", "Rosa", "Tam",
)  # fmt: skip
SCENE_PAUSE = 1.2  # real seconds between scenes at --speed 1
STEP_PAUSE = 0.08  # real seconds between two people's actions at --speed 1
WAIT = 8.0  # how long a person waits for the bot before the demo calls it missing

DEMO_TEMPLATE = """
late_notice = "48h"

[[session]]
key = "wednesday"
weekday = "wednesday"
start = "19:00"
end = "23:00"
meeting_point = "St Anne's Hall, side door"
weeks_ahead = 2

[[role]]
key = "lead"
label = "Team lead"
capacity = 1
minimum = 1
requires = ["lead"]

[[role]]
key = "walker"
label = "Walker"
capacity = 4
minimum = 2
pairs = true
requires = ["trained", "new"]

[[role]]
key = "dropin"
label = "Drop-in"
capacity = 1
minimum = 1

[[role]]
key = "oncall"
label = "On-call coordinator"
capacity = 1
minimum = 1
requires = ["coordinator"]

[checkins]
interval = "30m"
grace = "5m"
escalate_after = "10m"
reescalate_after = "5m"
home_safe_within = "90m"

[briefing]
send_before = "3h"
checklist = ["Charged phone", "ID badge", "Kit bag", "Spare socks"]
"""

SAFETY_NOTE = "Ugly Mugs alert: a man in a grey van offering lifts near Mill Road & Kent St."
OK = "✅ We're OK"
HELP = "🆘 Need help"
ACK = "✋ Acknowledge"
SAFE = "✅ They're safe (resolve)"
HOME = "🏠 I'm home safe"
GOT_IT = "✅ Got it"
DEBRIEF_ANSWERS = ("3", "7", "12", "5", "40", "2", "1", "0", "0")

# The checklist: every event the night must show, in this order.
EXPECTED = (
    ("joined", "every volunteer joined from a coordinator's invite"),
    ("signed_up", "the team signed up for the Wednesday walk"),
    ("role_full", "a full role was offered as a waitlist"),
    ("waitlisted", "a volunteer joined the waitlist"),
    ("promoted", "a withdrawal promoted the waitlisted volunteer"),
    ("safety_note", "a coordinator added a safety note with /brief"),
    ("briefed", "everyone on the rota got the briefing with the safety note"),
    ("briefing_read", "everyone tapped Got it"),
    ("walk_started", "the walk started and each walker was told their pair"),
    ("checked_in", "the pairs checked in"),
    ("reminder", "a pair that missed a check-in was reminded"),
    ("escalated", "the missed check-in reached the on-call coordinator"),
    ("acknowledged", "the on-call coordinator acknowledged it"),
    ("resolved", "the alert was resolved"),
    ("sos_sent", "SOS drill: Need help alerted every coordinator at once"),
    ("sos_location", "SOS drill: the location reached the coordinators"),
    ("sos_resolved", "SOS drill: acknowledged and resolved"),
    ("walk_ended", "the team lead ended the walk; the drop-in closed"),
    ("home_asked", "everyone was asked to confirm they got home"),
    ("home_late", "a late volunteer was escalated to the on-call coordinator"),
    ("home_confirmed", "everyone confirmed home safe"),
    ("debriefed", "the team lead answered the debrief"),
    ("report", "the coordinator got the month's report"),
)


@dataclasses.dataclass(frozen=True)
class DemoOptions:
    """What `rotabot demo` was asked for; validated by the CLI."""

    seed: int = 1
    speed: float = 1.0
    wednesday: dtm.date | None = None  # the night played; None: the last one that is over
    html: Path | None = None
    keep: Path | None = None


@dataclasses.dataclass
class Cast:
    """Who plays what tonight (drawn from NAMES with the seed)."""

    lead: FakeUser
    walkers: list[FakeUser]  # the first four sign up; the fifth finds the role full
    dropin: FakeUser
    coordinators: list[FakeUser]  # besides the bootstrap coordinator, who is on call


class DemoFailed(Exception):
    """An expected event did not happen."""


def _local(instant: dtm.datetime) -> str:
    return instant.astimezone(ZoneInfo(ZONE)).strftime("%H:%M")


def last_wednesday(now: dtm.datetime) -> dtm.date:
    """The latest Wednesday whose night (to the report on Thursday at noon) is over by `now`.

    A night in the past is what `rotabot report` on a kept database counts as held.
    """
    today = now.astimezone(ZoneInfo(ZONE)).date()
    wednesday = today - dtm.timedelta(days=(today.weekday() - 2) % 7)
    report_at = dtm.datetime.combine(
        wednesday + dtm.timedelta(days=1), dtm.time(13), tzinfo=ZoneInfo(ZONE)
    )
    if report_at > now:
        wednesday -= dtm.timedelta(days=7)
    return wednesday


class Night:
    """Runs the script; people act only through the fake Telegram."""

    def __init__(self, options: DemoOptions, out: TextIO, colour: bool) -> None:
        self.options = options
        self.rng = random.Random(options.seed)
        self.wednesday = options.wednesday or last_wednesday(SystemClock().now())
        if self.wednesday.weekday() != 2:
            raise ValueError(f"{self.wednesday} is not a Wednesday")
        wed = self.wednesday
        self.day = wed.isoformat()
        self.day_label = f"{wed:%a} {wed.day} {wed:%b}"  # as the bot writes it: Wed 2 Dec
        self.month = f"{wed:%Y-%m}"
        self.clock = FakeClock(self.at(-2, 12))
        self.tg = FakeTelegram(clock=lambda: self.clock.now().timestamp())
        self.transcript = Transcript(out, colour=colour)
        self.done: list[str] = []
        self.facts: list[str] = []
        self.arrived: dict[tuple[int, int], float] = {}
        self.names: dict[int, str] = {}
        self.app: Any = None
        self.uow: SqlAlchemyUnitOfWorkFactory | None = None
        self.team: FakeGroup | None = None
        self.choices: list[str] = []

    def at(self, days: int, hour: int, minute: int = 0) -> dtm.datetime:
        """A local time `days` after the Wednesday, as an aware instant."""
        day = self.wednesday + dtm.timedelta(days=days)
        return dtm.datetime.combine(day, dtm.time(hour, minute), tzinfo=ZoneInfo(ZONE))

    def night(self, hour: int, minute: int = 0) -> dtm.datetime:
        """An instant of the Wednesday night; hours before 12 are after midnight."""
        return self.at(1 if hour < 12 else 0, hour, minute)

    # ------------------------------------------------------------------ transcript

    def _chat_name(self, chat_id: int) -> str:
        if chat_id in self.tg.groups:
            return f"#{self.tg.groups[chat_id].title}"
        return self.names.get(chat_id, str(chat_id))

    def _observe(self, msg: BotMessage, change: str) -> None:
        now = self.clock.now()
        if change == "sent":
            self.arrived[(msg.chat_id, msg.message_id)] = time.perf_counter()
        if msg.kind == "location":
            text = f"📍 location {msg.latitude:.4f}, {msg.longitude:.4f}"
        elif msg.kind in ("document", "photo"):
            text = f"📎 {msg.filename or msg.kind}" + (f"\n{msg.text}" if msg.text else "")
        else:
            text = msg.text
        self.transcript.add(
            Entry(
                kind="bot" if change == "sent" else "edit",
                time=_local(now),
                chat=self._chat_name(msg.chat_id),
                who="bot",
                text=text,
                buttons=tuple(tuple(b.text for b in row) for row in msg.buttons),
                keyboard=tuple(tuple(row) for row in msg.keyboard),
            )
        )

    def _say(self, kind: str, who: FakeUser | None, text: str, chat: str | None = None) -> None:
        name = who.first_name if who else ""
        self.transcript.add(
            Entry(kind=kind, time=_local(self.clock.now()), chat=chat or name, who=name, text=text)
        )

    async def scene(self, title: str, at: dtm.datetime | None = None) -> None:
        """A heading with the simulated day and time, once the last scene's sends are done."""
        await self._settled(("pending", "sending"))
        await asyncio.sleep(0.05)  # edits answered in a handler are not in the outbox
        await self.pause(SCENE_PAUSE)
        if at is not None:
            await self.move(at)
        local = self.clock.now().astimezone(ZoneInfo(ZONE))
        self.transcript.add(
            Entry(kind="scene", time=local.strftime("%a %d %b %H:%M"), chat="", who="", text=title)
        )

    def check(self, key: str) -> None:
        """An expected event happened."""
        self.done.append(key)

    async def pause(self, seconds: float = STEP_PAUSE) -> None:
        """A real pause, scaled by --speed."""
        await asyncio.sleep(seconds / self.options.speed)

    # ------------------------------------------------------------------ people acting

    async def send(self, user: FakeUser, text: str) -> dict[str, Any]:
        """A person writes to the bot privately."""
        await self.pause()
        self._say("person", user, text)
        return await user.send(text)

    async def ask(self, user: FakeUser, text: str, needle: str = "") -> BotMessage:
        """Write, then the bot's first answer (containing `needle`) after it."""
        sent = await self.send(user, text)
        return await user.wait_for(needle, after=sent["message_id"], timeout=WAIT)

    def _find(self, user: FakeUser, label: str, contains: bool) -> BotMessage:
        for candidate in reversed(user.messages()):
            if candidate.find_button(label, contains=contains) is not None:
                return candidate
        raise DemoFailed(f"{user.first_name} sees no button {label!r}")

    async def press(
        self,
        user: FakeUser,
        label: str,
        *,
        message: BotMessage | None = None,
        contains: bool = False,
    ) -> str:
        """Press a button the bot sent; returns the bot's answer (toast) text."""
        await self.pause()
        message = message or self._find(user, label, contains)
        button = message.find_button(label, contains=contains)
        if button is None or button.callback_data is None:
            raise DemoFailed(f"{user.first_name}'s message has no button {label!r}")
        chat = self._chat_name(message.chat_id)
        self._say("press", user, f"[ {button.text} ]", chat=chat)
        answer = await user.press_data(message, button.callback_data, timeout=WAIT)
        if answer.text:
            self._say("answer", user, answer.text, chat=chat)
        return answer.text or ""

    # ------------------------------------------------------------------ the clock

    async def _rows(self, table: str) -> list[dict[str, Any]]:
        assert self.uow is not None
        found = Base.metadata.tables[table]
        async with self.uow.engine.connect() as conn:
            result = await conn.execute(select(found))
            return [dict(row) for row in result.mappings()]

    async def _settled(self, states: tuple[str, ...] = ("sending",)) -> None:
        """Wait until no outbox row is in these states (a clock jump must not break a lease)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while loop.time() < deadline:
            if not [r for r in await self._rows("outbox") if r["state"] in states]:
                return
            await asyncio.sleep(0.02)

    async def move(self, when: dtm.datetime) -> float:
        """Move the clock (once nothing is being sent); returns the real time it moved."""
        await self._settled()
        self.clock.set(when)
        return time.perf_counter()

    async def run_job(self, name: str) -> None:
        """Run one of the bot's own jobs now (the e2e tests' run_job)."""
        for job in self.app.job_queue.get_jobs_by_name(name):
            await job.run(self.app)

    async def tick(self, when: dtm.datetime) -> float:
        """Move the clock and run one safety sweep, as the e2e tick helper does."""
        moved = await self.move(when)
        await self.run_job("safety")
        return moved

    def latency(self, msg: BotMessage, since: float) -> float:
        """Real seconds from `since` until the fake Telegram received this message."""
        return self.arrived.get((msg.chat_id, msg.message_id), since) - since

    # ------------------------------------------------------------------ the scenes

    async def invite_and_join(self) -> Cast:
        cora = self.tg.users[COORDINATOR_ID]
        await self.scene("Invites and joining")
        await self.ask(cora, "/start", "Welcome")
        names = list(NAMES)
        self.rng.shuffle(names)
        roles = [
            ("lead trained", "lead"),
            *[(tag, "walker") for tag in ("trained", "new", "trained", "new", "trained")],
            ("trained", "dropin"),
            ("coordinator", "coordinator"),
            ("coordinator", "coordinator"),
        ]
        people: dict[str, list[FakeUser]] = {}
        for name, (tags, part) in zip(names, roles, strict=False):
            await self.move(self.clock.now() + dtm.timedelta(minutes=3))
            invite = await self.ask(cora, f"/invite {tags}", "t.me/")
            code = invite.text.split("?start=")[1].split()[0]
            user = self.tg.user(name)
            self.names[user.id] = name
            await self.ask(user, f"/start {code}", "Welcome to the team")
            people.setdefault(part, []).append(user)
        self.check("joined")
        cast = Cast(
            lead=people["lead"][0],
            walkers=people["walker"],
            dropin=people["dropin"][0],
            coordinators=people["coordinator"],
        )
        assert self.team is not None
        for person in (cora, cast.lead, *cast.coordinators):
            self.team.add(person)
        return cast

    async def open_session(self, user: FakeUser) -> BotMessage:
        listing = await self.ask(user, "/rota", "Upcoming sessions")
        await self.press(user, self.day_label, message=listing)
        return await user.wait_for("Meet:", after=listing.message_id - 1, timeout=WAIT)

    async def sign_up(self, user: FakeUser, role: str) -> None:
        await self.move(self.clock.now() + dtm.timedelta(minutes=4))
        await self.open_session(user)
        answer = await self.press(user, f"Join {role} (", contains=True)
        if not answer.startswith("You're down as"):
            raise DemoFailed(f"{user.first_name} could not join {role}: {answer}")

    async def sign_ups(self, cast: Cast) -> None:
        cora = self.tg.users[COORDINATOR_ID]
        await self.scene("Sign-ups, a full role, the waitlist and a promotion", self.at(-2, 14))
        await self.sign_up(cast.lead, "Team lead")
        for walker in cast.walkers[:4]:
            await self.sign_up(walker, "Walker")
        await self.sign_up(cast.dropin, "Drop-in")
        await self.sign_up(cora, "On-call coordinator")
        self.check("signed_up")
        fifth = cast.walkers[4]
        await self.move(self.clock.now() + dtm.timedelta(minutes=30))
        view = await self.open_session(fifth)
        if "Walker: 4/4 (full)" not in view.text:
            raise DemoFailed(f"the Walker role is not shown full: {view.text!r}")
        self.check("role_full")
        answer = await self.press(fifth, "Walker: full, join waitlist")
        if "waitlist" not in answer:
            raise DemoFailed(f"no waitlist: {answer}")
        await fifth.wait_for("You're on the waitlist for Walker", timeout=WAIT)
        self.check("waitlisted")
        leaving = self.rng.choice(cast.walkers[:4])
        self.choices.append(f"{leaving.first_name} withdraws")
        await self.move(self.clock.now() + dtm.timedelta(hours=2))
        await self.ask(leaving, "/myshifts", "Your upcoming shifts")
        await self.press(leaving, f"Withdraw: {self.day_label} Walker")
        await leaving.wait_for("Withdraw from Walker", timeout=WAIT)
        await self.press(leaving, "Yes, withdraw")
        await leaving.wait_for("You've withdrawn from Walker", timeout=WAIT)
        await fifth.wait_for("a place opened up", timeout=WAIT)
        cast.walkers.remove(leaving)
        self.check("promoted")

    def on_rota(self, cast: Cast) -> list[FakeUser]:
        return [cast.lead, *cast.walkers[:4], cast.dropin, self.tg.users[COORDINATOR_ID]]

    async def briefing(self, cast: Cast) -> None:
        cora = self.tg.users[COORDINATOR_ID]
        await self.scene("The safety note", self.at(-1, 10))
        reply = await self.ask(cora, f"/brief {self.day} {SAFETY_NOTE}", "Safety note added")
        if "briefing goes out" not in reply.text:
            raise DemoFailed(f"unexpected /brief answer: {reply.text!r}")
        self.check("safety_note")
        await self.scene("The briefing", self.night(16))
        await self.run_job("shift")
        head = f"Briefing: {self.day_label} 19:00–23:00"
        for person in self.on_rota(cast):
            message = await person.wait_for(head, timeout=WAIT)
            if "Ugly Mugs alert" not in message.text:
                raise DemoFailed(f"{person.first_name}'s briefing lacks the safety note")
        self.check("briefed")
        await self.move(self.night(16, 5))
        for person in self.on_rota(cast):
            answer = await self.press(person, GOT_IT)
            if "Marked as read" not in answer:
                raise DemoFailed(f"Got it failed for {person.first_name}: {answer}")
        self.check("briefing_read")

    async def walk(self, cast: Cast) -> list[tuple[FakeUser, FakeUser]]:
        cora = self.tg.users[COORDINATOR_ID]
        await self.scene("The walk: check-ins", self.night(19))
        await self.tick(self.night(19))
        walkers = cast.walkers[:4]
        by_name = {w.first_name: w for w in walkers}
        pairs: list[tuple[FakeUser, FakeUser]] = []
        for walker in walkers:
            started = await walker.wait_for("The walk has started", timeout=WAIT)
            found = re.search(r"You're with (\w+)\.", started.text)
            if found is None:
                raise DemoFailed(f"{walker.first_name} was not told their pair")
            mate = by_name[found.group(1)]
            if all(walker not in pair for pair in pairs):
                pairs.append((walker, mate))
        self.check("walk_started")
        await self.tick(self.night(19, 30))
        await self.move(self.night(19, 31))
        for first, _ in pairs:
            await first.wait_for("Check-in 1 of", timeout=WAIT)
            await self.press(first, OK)
        self.check("checked_in")

        quiet = self.rng.randrange(len(pairs))
        good, bad = pairs[1 - quiet], pairs[quiet]
        self.choices.append(f"{bad[0].first_name} and {bad[1].first_name} miss a check-in")
        title = f"A missed check-in: {bad[0].first_name} and {bad[1].first_name}"
        await self.scene(title, self.night(20))
        await self.tick(self.night(20))
        await good[1].wait_for("Check-in 2 of", timeout=WAIT)
        await self.move(self.night(20, 2))
        await self.press(good[1], OK)
        await self.tick(self.night(20, 5))
        for walker in bad:
            await walker.wait_for("⏰ Check-in 2", timeout=WAIT)
        self.check("reminder")
        due = await self.tick(self.night(20, 10))
        alert = await cora.wait_for(f"MISSED CHECK-IN: {bad[0].first_name}", timeout=WAIT)
        self.facts.append(
            f"escalation reached the on-call coordinator {self.latency(alert, due):.2f} s after "
            "it was due (real time)"
        )
        self.check("escalated")
        await self.move(self.night(20, 11))
        await self.press(cora, ACK, message=alert)
        for walker in bad:
            await walker.wait_for("is following up on your check-in", timeout=WAIT)
        self.check("acknowledged")
        await self.move(self.night(20, 12))
        await self.press(bad[1], OK)
        await cora.wait_for(f"✓ Update: {bad[1].first_name} checked in", timeout=WAIT)
        await self.move(self.night(20, 16))
        await self.press(cora, SAFE, message=alert)
        await self._edited(alert, "✅ Resolved by")
        self.check("resolved")
        return [good, bad]

    async def _edited(self, message: BotMessage, needle: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while needle not in message.text:
            if loop.time() > deadline:
                raise DemoFailed(f"message never showed {needle!r}: {message.text!r}")
            await asyncio.sleep(0.02)

    async def sos(self, cast: Cast, pairs: list[tuple[FakeUser, FakeUser]]) -> None:
        cora = self.tg.users[COORDINATOR_ID]
        assert self.team is not None
        await self.scene("SOS drill", self.night(20, 30))
        await self.tick(self.night(20, 30))
        caller = self.rng.choice([w for pair in pairs for w in pair])
        mate = next(b if a is caller else a for a, b in pairs if caller in (a, b))
        other = next(p for p in pairs if caller not in p)
        self.choices.append(f"{caller.first_name} presses Need help in the SOS drill")
        prompt = await caller.wait_for("Check-in 3 of", timeout=WAIT)
        await self.move(self.night(20, 31))
        pressed = time.perf_counter()
        await self.press(caller, HELP, message=prompt)
        coordinators = [cora, *cast.coordinators]
        alerts = {}
        for person in coordinators:
            alerts[person.id] = await person.wait_for(
                f"SOS from {caller.first_name}", timeout=WAIT
            )
        await self.team.wait_for(f"SOS from {caller.first_name}", timeout=WAIT)
        slowest = max(self.latency(m, pressed) for m in alerts.values())
        self.facts.append(
            f"SOS alert reached {len(coordinators)} coordinators {slowest:.2f} s after the "
            "button press (real time)"
        )
        self.check("sos_sent")
        await caller.wait_for("share your location", timeout=WAIT)
        await self.pause()
        self._say("person", caller, "📍 shares her location (51.5101, -0.1340)")
        await caller.share_location(51.5101, -0.1340)
        await caller.wait_for("Your location has gone to the coordinators", timeout=WAIT)
        for person in coordinators:
            await self._location_in(person.chat_id)
        self.check("sos_location")
        await self.move(self.night(20, 33))
        await self.press(cora, ACK, message=alerts[cora.id])
        await self.move(self.night(20, 40))
        await self.press(cora, SAFE, message=alerts[cora.id])
        await self._edited(alerts[cora.id], "✅ Resolved by")
        self.check("sos_resolved")
        await self.press(mate, OK)
        await self.press(other[0], OK)

    async def _location_in(self, chat_id: int) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while not any(m.kind == "location" for m in self.tg.messages(chat_id)):
            if loop.time() > deadline:
                raise DemoFailed(f"no location reached {self._chat_name(chat_id)}")
            await asyncio.sleep(0.02)

    async def end_of_walk(self, cast: Cast, pairs: list[tuple[FakeUser, FakeUser]]) -> None:
        await self.scene("The end of the walk and the drop-in", self.night(21))
        await self.tick(self.night(21))
        await self.move(self.night(21, 1))
        for first, _ in pairs:
            await first.wait_for("Check-in 4 of", timeout=WAIT)
            await self.press(first, OK)
        await self.move(self.night(21, 5))
        await self.ask(cast.lead, "/endwalk", "The walk is over")
        for walker in cast.walkers[:4]:
            await walker.wait_for("The walk is over", timeout=WAIT)
        await self.tick(self.night(21, 30))  # no check-in 5: the walk is over
        if any("Check-in 5" in m.text for w in cast.walkers[:4] for m in w.messages()):
            raise DemoFailed("a check-in was asked after the walk ended")
        self.check("walk_ended")

    async def home_safe(self, cast: Cast) -> None:
        cora = self.tg.users[COORDINATOR_ID]
        await self.scene("Home safe", self.night(23))
        await self.tick(self.night(23))
        people = self.on_rota(cast)
        prompts = {p.id: await p.wait_for("when you're home safe", timeout=WAIT) for p in people}
        self.check("home_asked")
        late = self.rng.choice(cast.walkers[:4])
        self.choices.append(f"{late.first_name} forgets to confirm home safe")
        await self.move(self.night(23, 25))
        for person in people:
            if person is not late:
                await self.press(person, HOME, message=prompts[person.id])
        await self.tick(self.night(0, 30))
        reminder = await late.wait_for("⏰ Are you home safe?", timeout=WAIT)
        due = await self.tick(self.night(0, 35))
        alert = await cora.wait_for(f"NOT HOME SAFE: {late.first_name}", timeout=WAIT)
        self.facts.append(
            f"the late home-safe alert reached the on-call coordinator "
            f"{self.latency(alert, due):.2f} s after it was due (real time)"
        )
        self.check("home_late")
        await self.move(self.night(0, 37))
        await self.press(late, HOME, message=reminder)
        await cora.wait_for(f"Update: {late.first_name} confirmed home safe", timeout=WAIT)
        await self.move(self.night(0, 39))
        await self.press(cora, SAFE, message=alert)
        await self._edited(alert, "✅ Resolved by")
        self.check("home_confirmed")

    async def debrief(self, cast: Cast) -> None:
        await self.scene("The debrief", self.night(0, 45))
        await self.run_job("shift")
        await cast.lead.wait_for(f"Debrief · {self.day_label} · 1/10", timeout=WAIT)
        for number, answer in enumerate(DEBRIEF_ANSWERS, start=2):
            await self.ask(cast.lead, answer, f"{number}/10")
        thanks = await self.ask(cast.lead, "no", "Thank you!")
        if "is saved" not in thanks.text:
            raise DemoFailed(f"the debrief was not saved: {thanks.text!r}")
        self.check("debriefed")

    async def report(self) -> None:
        cora = self.tg.users[COORDINATOR_ID]
        await self.scene("The month's report", self.at(1, 12))
        table = await self.ask(cora, f"/report {self.month}", "Outreach report")
        if f"{self.wednesday:%B %Y}" not in table.text:
            raise DemoFailed(f"unexpected report: {table.text!r}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while len([m for m in cora.messages() if m.kind == "document"]) < 2:
            if loop.time() > deadline:
                raise DemoFailed("the report's CSV and chart never arrived")
            await asyncio.sleep(0.02)
        self.check("report")

    async def play(self) -> None:
        cast = await self.invite_and_join()
        await self.sign_ups(cast)
        await self.briefing(cast)
        pairs = await self.walk(cast)
        await self.sos(cast, pairs)
        await self.end_of_walk(cast, pairs)
        await self.home_safe(cast)
        await self.debrief(cast)
        await self.report()
        await self._settled(("pending", "sending"))

    # ------------------------------------------------------------------ running it

    async def run(self, folder: Path) -> int:
        """Start the fake and the real bot, play the night, summarise; the exit status."""
        started = time.perf_counter()
        database = folder / "rotabot.db"
        url = f"sqlite:///{database}"
        engine = create_engine(url)
        await upgrade(engine)
        self.uow = SqlAlchemyUnitOfWorkFactory(engine)
        await self.tg.start()
        self.tg.observers.append(self._observe)
        cora = self.tg.user("Cora", user_id=COORDINATOR_ID, username="cora")
        self.names[cora.id] = "Cora"
        self.team = self.tg.group("Outreach team", admins=[cora])
        settings = Settings(
            token=self.tg.token,
            api_base_url=self.tg.base_url,
            database_url=url,
            template_path=Path("demo.toml"),
            template=parse_template(DEMO_TEMPLATE, source="demo.toml"),
            timezone=ZONE,
            admin_ids=frozenset({COORDINATOR_ID}),
            team_chat_id=self.team.chat_id,
        )
        failure: str | None = None
        self.transcript.line(
            f"rotabot demo: the real bot on a fake Telegram at {self.tg.base_url}, seed "
            f"{self.options.seed}, speed {self.options.speed:g}",
            "scene",
        )
        try:
            # Started as `rotabot run` starts it. The fake clock jumps through the evening,
            # but Telegram's one-message-a-second per chat is real time: paced, the night
            # would take minutes of waiting for nothing (this fake does not enforce the
            # limits). The benchmarks run with the real limits.
            async with start_app(
                settings,
                clock=self.clock,
                uow=self.uow,
                pacing=UNPACED_CHATS,
                poll_timeout=dtm.timedelta(seconds=1),
            ) as self.app:
                try:
                    await self.play()
                except (DemoFailed, AssertionError, TimeoutError) as err:
                    failure = " ".join(str(err).splitlines()[:1])
        finally:
            await self.tg.stop()
            await engine.dispose()
        return self.summary(time.perf_counter() - started, failure, database)

    def summary(self, seconds: float, failure: str | None, database: Path) -> int:
        """Print the measured facts and the checklist; 0 only if every event happened."""
        t = self.transcript
        sends = [c for c in self.tg.calls if c.method.startswith("send") and c.ok]
        edits = [c for c in self.tg.calls if c.method.startswith("edit") and c.ok]
        limited = [c for c in self.tg.calls if c.status == 429]
        lines = [
            f"seed {self.options.seed}: " + "; ".join(self.choices),
            *self.facts,
            f"messages sent: {len(sends)} (and {len(edits)} edits) in "
            f"{len(self.tg.calls)} Bot API calls",
            f"429s seen: {len(limited)}",
            f"whole night played in {seconds:.1f} s (real time)",
        ]
        if self.options.keep is not None:
            lines.append(
                f"database kept: DATABASE_URL=sqlite:///{database} "
                f"rotabot report --month {self.month}"
            )
        t.line()
        t.line("Summary", "scene")
        for line in lines:
            t.line(f"  {line}")
        t.line()
        t.line("Checklist", "scene")
        missing = None
        for position, (key, text) in enumerate(EXPECTED):
            happened = position < len(self.done) and self.done[position] == key
            if not happened and missing is None:
                missing = text
            t.line(f"  [{'x' if happened else ' '}] {text}", "ok" if happened else "bad")
        if missing is not None:
            t.line(f"missing: {missing}" + (f" ({failure})" if failure else ""), "bad")
        else:
            t.line("every expected event happened, in order", "ok")
        if self.options.html is not None:
            summary = "\n".join([*lines, "", *(f"✓ {text}" for _, text in EXPECTED)])
            if missing is not None:
                summary += f"\nmissing: {missing}"
            self.options.html.write_text(
                html_page(t.entries, summary, f"rotabot demo · seed {self.options.seed}"),
                encoding="utf-8",
            )
            t.line(f"wrote {self.options.html}")
        return 0 if missing is None else 1


async def run_demo(options: DemoOptions, out: TextIO, *, colour: bool = False) -> int:
    """Play the night; returns the exit status (0 only if every expected event happened)."""
    if options.keep is not None:
        return await Night(options, out, colour).run(options.keep)
    with tempfile.TemporaryDirectory(prefix="rotabot-demo-") as folder:
        return await Night(options, out, colour).run(Path(folder))
