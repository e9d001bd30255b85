"""Update throughput: volunteers pressing join/withdraw buttons at once, against rotabot and
against a minimal PTB echo bot (the framework's ceiling) under the identical load.

Each simulated volunteer walks the real UI in a loop, one action at a time:

    Join Walker (on the session view)  -> /myshifts (a message) -> Withdraw: ... ->
    Yes, withdraw -> « All sessions -> the day (back to the session view with join buttons)

that is 5 button presses and 1 message per cycle. A volunteer waits for the bot's answer
and for the pressed message to be edited before acting again, and acts at most once a
second (`--pace`): a person cannot tap faster, and it keeps each private chat within
Telegram's per-chat limit (1/s after a burst of 3), so what is measured is update handling,
not 429s. The echo bot gets the same presses (arbitrary callback data) and messages.

Handler latency is from the callback query being queued at the fake to the bot's
answerCallbackQuery reaching it (Call.at); "shown" latency is to the edit of the pressed
message reaching it. Throughput is presses answered / the time from the first press to the
last answer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dtm
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bench import echo_bot
from bench.clock import ShiftedClock
from bench.dbs import BenchDb, fresh_db
from bench.results import Metric, Result, percentile
from bench.running import ADMIN_ID, ZONE, running_bot, strict_fake
from bot.fake_telegram import BotMessage, CallbackAnswer, FakeTelegram, FakeUser
from rota.kernel.config import RotaConfig
from rota.kernel.template import parse_template
from rota.people import membership as people
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory

NAME = "throughput"
HELP = "button presses handled per second and p50/p99 latency, as a share of a PTB echo bot's"
GOAL = "≥ 0.7× echo"
GOAL_RATIO = 0.7

# Thursday noon: the next session (Wednesday 9 Dec, 19:00) is 151 h away, so withdrawals are
# not late (no coordinator alerts) and no briefing, reminder or staffing alert is due.
START = dtm.datetime(2026, 12, 3, 12, 0, tzinfo=dtm.UTC)
TEMPLATE = """
late_notice = "48h"

[[session]]
key = "wednesday"
weekday = "wednesday"
start = "19:00"
end = "23:00"
meeting_point = "St Anne's Hall"
weeks_ahead = 3

[[role]]
key = "lead"
label = "Team lead"
capacity = 1
minimum = 1
requires = ["lead"]

[[role]]
key = "walker"
label = "Walker"
capacity = 100
minimum = 2
pairs = true
requires = ["trained", "new"]

[[role]]
key = "dropin"
label = "Drop-in"
capacity = 100
minimum = 1

[[role]]
key = "oncall"
label = "On-call coordinator"
capacity = 1
minimum = 1
requires = ["coordinator"]
"""
MAX_VOLUNTEERS = 100  # a role's capacity can be at most 100: everyone must find a place
# One cycle through the UI: (action, the message it acts on). "shifts" is the /myshifts message.
CYCLE = (
    ("join", "session"),
    ("shifts", None),
    ("withdraw", "shifts"),
    ("confirm", "shifts"),
    ("list", "session"),
    ("open", "session"),
)
TELEGRAM_OVERALL = 30  # messages and edits a second, all chats together
TIMEOUT = 60.0  # seconds to wait for an answer or an edit before calling the run broken


def _volunteers(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_VOLUNTEERS:
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_VOLUNTEERS}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--volunteers",
        type=_volunteers,
        default=None,
        help="simulated volunteers pressing at once (default 50; quick 10)",
    )
    parser.add_argument(
        "--presses",
        type=_positive,
        default=None,
        help="button presses per bot and database (default 600; quick 20)",
    )
    parser.add_argument(
        "--pace",
        type=float,
        default=1.0,
        help="least seconds between one volunteer's actions (default 1)",
    )
    parser.add_argument(
        "--echo-limiter",
        choices=echo_bot.LIMITERS,
        default="aio",
        help="the echo bot's rate limiter: PTB's AIORateLimiter with its "
        "defaults (default) or none",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="PATH",
        help="profile rotabot's first run with pyinstrument; text report here",
    )


# ------------------------------------------------------------------------------ watching


class Screen:
    """What the volunteers see: when each bot message appeared or last changed.

    Registered as a FakeTelegram observer; wakes the volunteer whose chat changed.
    """

    def __init__(self, tg: FakeTelegram) -> None:
        self.tg = tg
        self.changed: dict[tuple[int, int], float] = {}
        self._events: dict[int, asyncio.Event] = {}

    def observe(self, message: BotMessage, change: str) -> None:
        self.changed[(message.chat_id, message.message_id)] = time.monotonic()
        event = self._events.get(message.chat_id)
        if event is not None:
            event.set()

    async def wait_until(self, chat_id: int, check: Callable[[], Any], what: str) -> Any:
        """Re-check after every change in the chat until `check` is truthy."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        event = self._events.setdefault(chat_id, asyncio.Event())
        while True:
            result = check()
            if result:
                return result
            event.clear()  # no await since check(): no change can slip in between
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"waited {TIMEOUT:.0f} s for {what}; chat:\n{self.tg.describe_chat(chat_id)}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def new_message(self, chat_id: int, after: int) -> tuple[BotMessage, float]:
        """The bot's first message after message id `after`, and when it arrived."""

        def find() -> BotMessage | None:
            return next((m for m in self.tg.messages(chat_id) if m.message_id > after), None)

        message = await self.wait_until(chat_id, find, f"a reply after #{after}")
        return message, self.changed[(chat_id, message.message_id)]

    async def edit_of(self, message: BotMessage, edits_before: int) -> float:
        """Wait for `message` to be edited again; when the edit arrived."""
        await self.wait_until(
            message.chat_id,
            lambda: message.edited > edits_before,
            f"an edit of #{message.message_id}",
        )
        return self.changed[(message.chat_id, message.message_id)]


# ------------------------------------------------------------------------------ the two UIs


class Ui(Protocol):
    """How a volunteer finds the next button on one bot (rotabot or the echo bot)."""

    async def setup(self, user: FakeUser, screen: Screen) -> tuple[BotMessage, float]: ...

    def data(self, action: str, message: BotMessage) -> str: ...


def _button_data(message: BotMessage, label: str, *, contains: bool = True) -> str:
    button = message.find_button(label, contains=contains)
    if button is None or button.callback_data is None:
        raise AssertionError(f"no {label!r} button on {message.describe()}")
    return button.callback_data


async def _press(
    user: FakeUser, screen: Screen, message: BotMessage, data: str
) -> tuple[str, float, CallbackAnswer, float]:
    """Press, wait for the answer and the edit: (query id, queued at, answer, edit seen at)."""
    tg = user.tg
    edits = message.edited
    queued = time.monotonic()
    query_id = tg.queue_callback_query(user, message, data)
    answer = await tg.wait_callback_answer(query_id, TIMEOUT)
    shown = await screen.edit_of(message, edits)
    return query_id, queued, answer, shown


class RotaUi:
    """rotabot's real screens: /rota, the day's button, then the session view."""

    def __init__(self) -> None:
        self.day: str | None = None  # "ro:s:<id>" of the session everyone works on

    async def setup(self, user: FakeUser, screen: Screen) -> tuple[BotMessage, float]:
        sent = await user.send("/rota")
        listing, _ = await screen.new_message(user.chat_id, sent["message_id"])
        days = [
            b.callback_data
            for row in listing.buttons
            for b in row
            if b.callback_data and b.callback_data.startswith("ro:s:")
        ]
        if not days:
            raise AssertionError(f"/rota shows no session: {listing.describe()}")
        self.day = self.day or days[0]
        _, _, _, shown = await _press(user, screen, listing, self.day)
        _button_data(listing, "Join Walker")
        return listing, shown

    def data(self, action: str, message: BotMessage) -> str:
        if action == "open":
            assert self.day is not None
            if self.day not in [b.callback_data for row in message.buttons for b in row]:
                raise AssertionError(f"no day button on {message.describe()}")
            return self.day
        label = {
            "join": "Join Walker",
            "withdraw": "Withdraw:",
            "confirm": "Yes, withdraw",
            "list": "« All sessions",
        }[action]
        return _button_data(message, label)


class EchoUi:
    """The echo bot: every message it sends carries the same keyboard of arbitrary data."""

    async def setup(self, user: FakeUser, screen: Screen) -> tuple[BotMessage, float]:
        sent = await user.send("/rota")
        return await screen.new_message(user.chat_id, sent["message_id"])

    def data(self, action: str, message: BotMessage) -> str:
        return {"join": "j", "withdraw": "w", "confirm": "y", "list": "l", "open": "s"}[action]


# ------------------------------------------------------------------------------ the load


@dataclass
class Press:
    """One button press: which, its query, when it was queued and when its edit was seen."""

    action: str
    query_id: str
    queued: float
    shown: float
    refused: bool


@dataclass
class Load:
    """What the volunteers did and saw during one run."""

    presses: list[Press] = field(default_factory=list)
    messages: list[tuple[float, float]] = field(default_factory=list)  # (sent, reply seen)
    refusals: list[str] = field(default_factory=list)
    left: int = 0  # presses still to make


async def _volunteer(
    user: FakeUser,
    ui: Ui,
    screen: Screen,
    load: Load,
    pace: float,
    start: asyncio.Event,
) -> None:
    session, last = await ui.setup(user, screen)
    await start.wait()
    shifts: BotMessage | None = None
    while True:
        for action, target in CYCLE:
            if load.left <= 0:
                return
            wait = last + pace - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if load.left <= 0:  # checked again: others pressed while this one waited
                return
            if action == "shifts":
                sent_at = time.monotonic()
                sent = await user.send("/myshifts")
                shifts, last = await screen.new_message(user.chat_id, sent["message_id"])
                load.messages.append((sent_at, last))
                continue
            message = session if target == "session" else shifts
            assert message is not None
            load.left -= 1
            query_id, queued, answer, last = await _press(
                user, screen, message, ui.data(action, message)
            )
            refused = answer.show_alert  # rotabot's refusals are alerts; its successes are not
            if refused:
                load.refusals.append(f"{user.first_name} {action}: {answer.text}")
            load.presses.append(Press(action, query_id, queued, last, refused))


@dataclass
class Run:
    """One bot's figures under the load."""

    bot: str
    metrics: dict[str, Metric]
    extra: dict[str, Any]


def _ms(values: list[float], q: float) -> float:
    return round(percentile(values, q) * 1000, 1) if values else float("nan")


def _flood_limited(method: str) -> bool:
    return method.startswith(("send", "edit")) and method != "sendChatAction"


async def drive(
    tg: FakeTelegram,
    ui: Ui,
    users: list[FakeUser],
    presses: int,
    pace: float,
    profile: Path | None = None,
) -> tuple[dict[str, Metric], dict[str, Any]]:
    """Set every volunteer up, then let them press until `presses` have been made."""
    screen = Screen(tg)
    tg.observers.append(screen.observe)
    load = Load(left=presses)
    start = asyncio.Event()
    tasks = [asyncio.create_task(_volunteer(u, ui, screen, load, pace, start)) for u in users]
    # Everyone's screen is ready before the clock starts (setup is not measured).
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while loop.time() < deadline and len(screen.changed) < len(users):
        if any(t.done() for t in tasks):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(pace)  # the per-chat burst refills a little
    calls_before, limited_before = len(tg.calls), len(tg.rate_limited)
    profiler = _start_profiler() if profile is not None else None
    cpu0 = time.process_time()
    start.set()
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
    cpu = time.process_time() - cpu0
    if profiler is not None and profile is not None:
        _stop_profiler(profiler, profile)

    answered = {
        str(c.params.get("callback_query_id")): c.at
        for c in tg.calls[calls_before:]
        if c.method == "answerCallbackQuery" and c.ok
    }
    missing = [p.query_id for p in load.presses if p.query_id not in answered]
    if missing:
        raise AssertionError(f"{len(missing)} presses have no recorded answer")
    first = min(p.queued for p in load.presses)
    last = max(answered[p.query_id] for p in load.presses)
    window = last - first
    handler = [answered[p.query_id] - p.queued for p in load.presses]
    shown = [p.shown - p.queued for p in load.presses]
    replies = [seen - sent for sent, seen in load.messages]
    window_calls = [c for c in tg.calls[calls_before:] if first <= c.at <= last]
    sends = sum(1 for c in window_calls if _flood_limited(c.method))
    errors = [c for c in tg.calls[calls_before:] if c.status >= 400 and c.status != 429]
    updates = len(load.presses) + len(load.messages)
    metrics: dict[str, Metric] = {
        "presses_per_s": round(len(load.presses) / window, 2),
        "p50_ms": _ms(handler, 50),
        "p99_ms": _ms(handler, 99),
        "shown_p50_ms": _ms(shown, 50),
        "shown_p99_ms": _ms(shown, 99),
        "updates_per_s": round(updates / window, 2),
        "sends_per_s": round(sends / window, 2),
        "cpu_ms_per_update": round(cpu * 1000 / updates, 2),
        "429s": len(tg.rate_limited),
        "429s_in_load": len(tg.rate_limited) - limited_before,
        "refusals": len(load.refusals),
        "api_errors": len(errors),
        "presses": len(load.presses),
        "messages": len(load.messages),
        "window_s": round(window, 2),
    }
    by_action: dict[str, dict[str, float]] = {}
    for action, _ in CYCLE:
        values = [answered[p.query_id] - p.queued for p in load.presses if p.action == action]
        if values:
            by_action[action] = {
                "n": len(values),
                "p50_ms": _ms(values, 50),
                "p99_ms": _ms(values, 99),
            }
    extra: dict[str, Any] = {
        "latency_by_action": by_action,
        "message_reply_p50_ms": _ms(replies, 50),
        "message_reply_p99_ms": _ms(replies, 99),
        "refusals_sample": load.refusals[:5],
        "api_errors_sample": [f"{c.method} {c.status}" for c in errors[:5]],
        "rate_limited_sample": [list(x) for x in tg.rate_limited[:5]],
        "fake_internal_errors": [repr(e) for e in tg.internal_errors[:5]],
    }
    return metrics, extra


# ------------------------------------------------------------------------------ profiling


def _start_profiler() -> Any:
    try:
        from pyinstrument import Profiler  # type: ignore[import-not-found, unused-ignore]
    except ImportError as exc:
        raise RuntimeError("--profile needs pyinstrument: pip install pyinstrument") from exc
    profiler = Profiler(interval=0.001, async_mode="disabled")
    profiler.start()
    return profiler


def _stop_profiler(profiler: Any, path: Path) -> None:
    profiler.stop()
    path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"profile written to {path}", flush=True)


# ------------------------------------------------------------------------------ the runs


def _config() -> RotaConfig:
    template = parse_template(TEMPLATE, source="bench-throughput.toml")
    return RotaConfig(template=template, zone=ZONE, admin_ids=frozenset({ADMIN_ID}))


async def _register(
    db: BenchDb, users: list[FakeUser], config: RotaConfig, now: dtm.datetime
) -> None:
    """Volunteers on the team through the same services an invite link uses (no chat)."""
    engine = db.engine()
    uow = SqlAlchemyUnitOfWorkFactory(engine)
    try:
        await people.start(
            uow(),
            telegram_id=ADMIN_ID,
            first_name="Cora",
            last_name=None,
            username="cora",
            config=config,
            now=now,
        )
        for user in users:
            invite = await people.create_invite(
                uow(), telegram_id=ADMIN_ID, tags=frozenset({"trained"}), config=config, now=now
            )
            await people.accept_invite(
                uow(),
                code=invite.code,
                telegram_id=user.id,
                first_name=user.first_name,
                last_name=None,
                username=None,
                config=config,
                now=now,
            )
    finally:
        await engine.dispose()


def _people(tg: FakeTelegram, n: int) -> list[FakeUser]:
    return [tg.user(f"Vol{i:03d}") for i in range(n)]


async def run_rotabot(
    db: BenchDb, volunteers: int, presses: int, pace: float, profile: Path | None = None
) -> Run:
    clock = ShiftedClock(START)
    config = _config()
    async with strict_fake(clock) as tg:
        users = _people(tg, volunteers)
        # The coordinator has a chat with the bot, so its start-up reachability check is quiet.
        tg.mark_started(tg.user("Cora", username="cora", user_id=ADMIN_ID))
        await _register(db, users, config, clock.now())
        async with running_bot(tg, db, config, clock):
            metrics, extra = await drive(tg, RotaUi(), users, presses, pace, profile)
    return Run("rotabot", metrics, extra)


async def run_echo(volunteers: int, presses: int, pace: float, limiter: str) -> Run:
    clock = ShiftedClock(START)
    async with strict_fake(clock) as tg, echo_bot.running_echo(tg, limiter):
        users = _people(tg, volunteers)
        metrics, extra = await drive(tg, EchoUi(), users, presses, pace)
    return Run("echo", metrics, extra)


def _ratio_note(ours: Run, echo: Run) -> str:
    """Say what bounded the numbers: the rate limiter, or the work per update."""
    cap = TELEGRAM_OVERALL
    parts = []
    for run in (ours, echo):
        sends = run.metrics["sends_per_s"]
        assert isinstance(sends, float | int)
        if sends >= 0.9 * cap:
            parts.append(f"{run.bot} sent {sends}/s")
    cpu_ours, cpu_echo = ours.metrics["cpu_ms_per_update"], echo.metrics["cpu_ms_per_update"]
    note = (
        f"each press edits the pressed message, so Telegram's {cap} sends/s overall limit "
        f"(enforced by the fake) caps both bots near 25 presses/s (6 sends per 5 presses): "
    )
    if parts:
        note += "; ".join(parts) + ". "
    else:
        note += "neither came within 10 % of it. "
    note += (
        f"CPU per update (bot + fake + load, one process): rotabot {cpu_ours} ms, "
        f"echo {cpu_echo} ms."
    )
    return note


async def run(args: argparse.Namespace) -> list[Result]:
    quick: bool = args.quick
    volunteers = args.volunteers or (10 if quick else 50)
    presses = args.presses or (20 if quick else 600)
    pace: float = args.pace
    limiter: str = args.echo_limiter
    params = {"volunteers": volunteers, "presses": presses, "pace_s": pace}
    echo_note = f"echo bot: {echo_bot.describe_limiter(limiter)}; sequential updates."
    results: list[Result] = []
    echo: Run | None = None
    profile: Path | None = args.profile
    for kind in args.dbs:
        async with fresh_db(kind) as db:
            ours = await run_rotabot(db, volunteers, presses, pace, profile)
        profile = None
        # Quick runs measure the echo bot once; full runs pair it with each database's run,
        # so a busy neighbour on a shared machine weighs on both sides of the ratio alike.
        if echo is None or not quick:
            echo = await run_echo(volunteers, presses, pace, limiter)
        ratio = float(ours.metrics["presses_per_s"] or 0) / float(
            echo.metrics["presses_per_s"] or 1
        )
        row_params = {"db": kind, **params}
        results.append(
            Result(
                NAME,
                {**row_params, "bot": "rotabot"},
                ours.metrics,
                extra=ours.extra,
                note=_flag(ours),
            )
        )
        results.append(
            Result(
                NAME,
                {**row_params, "bot": "echo"},
                echo.metrics,
                extra=echo.extra,
                note=echo_note + _flag(echo),
            )
        )
        results.append(
            Result(
                NAME,
                {**row_params, "bot": "rotabot/echo"},
                {
                    "ratio": round(ratio, 3),
                    "rotabot_presses_per_s": ours.metrics["presses_per_s"],
                    "echo_presses_per_s": echo.metrics["presses_per_s"],
                    "rotabot_p99_ms": ours.metrics["p99_ms"],
                    "echo_p99_ms": echo.metrics["p99_ms"],
                },
                goal=GOAL,
                met=ratio >= GOAL_RATIO,
                note=_ratio_note(ours, echo),
            )
        )
    return results


def _flag(run: Run) -> str:
    """Anything that makes a run's numbers suspect, said in its note."""
    problems = []
    for key in ("429s", "refusals", "api_errors"):
        value = run.metrics[key]
        if value:
            problems.append(f"{value} {key}")
    return (" CHECK: " + ", ".join(problems) + ".") if problems else ""
