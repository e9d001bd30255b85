"""Seeding shared by the recovery and broadcast benchmarks: a template, people, fake users.

Both benchmarks need many volunteers on one Wednesday session, in the database and in the
fake Telegram under the same ids (started, so the bot may message them). Small numbers go
through the domain services; the recovery benchmark's 10,000 go in through the bulk helpers
of rota/storage/seeding.py, because one service call per person would take minutes.
FirstArrivals is the observer both use to see when every expected chat has its message.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import os
import time
from collections.abc import Iterable

from bench.running import ADMIN_ID, ZONE
from bot.fake_telegram import BotMessage, FakeTelegram
from rota.kernel.config import RotaConfig
from rota.kernel.localtime import local_today
from rota.kernel.template import parse_template
from rota.roster.model import Session
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory

# PTB's RetryAfter warns unless the timedelta behaviour is chosen (the tests choose it too).
os.environ.setdefault("PTB_TIMEDELTA", "true")

FIRST_USER_ID = 2_000_000  # clear of the fake server's own ids and of ADMIN_ID
# Once-per-session events a bot that ran all week would already have done by the night.
EARLIER_MILESTONES = ("reminder", "understaffed_1", "understaffed_2")


MAX_PLACES = 100  # the template allows at most 100 places per role


def role_keys(kind: str, n: int) -> list[str]:
    """One role key per person: a crowd of n fills `kind`, `kind2`, ... 100 places each."""
    return [kind if i < MAX_PLACES else f"{kind}{i // MAX_PLACES + 1}" for i in range(n)]


def _roles_toml(kind: str, label: str, n: int, extra: str) -> str:
    keys = list(dict.fromkeys(role_keys(kind, max(n, 1))))
    blocks = []
    for number, key in enumerate(keys, start=1):
        places = min(MAX_PLACES, max(n, 1) - (number - 1) * MAX_PLACES)
        blocks.append(
            f"""
[[role]]
key = "{key}"
label = "{label}{"" if number == 1 else f" {number}"}"
capacity = {max(2 if "pairs" in extra else 1, places)}
minimum = {(2 if "pairs" in extra else 1) if number == 1 else 0}
{extra}"""
        )
    return "".join(blocks)


def template_toml(
    *,
    walkers: int,
    dropin: int = 2,
    grace: str = "5m",
    escalate_after: str = "10m",
    send_before: str = "3h",
) -> str:
    """The standard Wednesday night with room for the benchmark's crowd.

    A role holds at most 100 places, so a big crowd is spread over several walker (and
    drop-in) roles, `walker`, `walker2`...: unusual, but every one is a real role.
    """
    walking = _roles_toml(
        "walker", "Walker", walkers, 'pairs = true\nrequires = ["trained", "new"]\n'
    )
    dropping = _roles_toml("dropin", "Drop-in", dropin, "")
    return f"""
late_notice = "48h"

[[session]]
key = "wednesday"
weekday = "wednesday"
start = "19:00"
end = "23:00"
meeting_point = "St Anne's Hall"
weeks_ahead = 2

[[role]]
key = "lead"
label = "Team lead"
capacity = 1
minimum = 1
requires = ["lead"]
{walking}{dropping}
[[role]]
key = "oncall"
label = "On-call coordinator"
capacity = 1
minimum = 1
requires = ["coordinator"]

[checkins]
interval = "30m"
grace = "{grace}"
escalate_after = "{escalate_after}"

[briefing]
send_before = "{send_before}"
"""


def make_config(toml: str) -> RotaConfig:
    """A RotaConfig as `rotabot run` would build it, with the benchmarks' admin."""
    return RotaConfig(
        template=parse_template(toml, source="bench.toml"),
        zone=ZONE,
        admin_ids=frozenset({ADMIN_ID}),
    )


def user_ids(n: int) -> list[int]:
    """Telegram ids for n people, the same in the database and in the fake server."""
    return [FIRST_USER_ID + i for i in range(n)]


def add_fake_users(tg: FakeTelegram, people: Iterable[tuple[int, str]]) -> None:
    """Create the fake people (and the admin) and mark them started: the bot may message them."""
    admin = tg.users.get(ADMIN_ID) or tg.user("Admin", user_id=ADMIN_ID)
    tg.mark_started(admin)
    for telegram_id, name in people:
        tg.mark_started(tg.user(name, user_id=telegram_id))


async def wednesday_session(
    uow: SqlAlchemyUnitOfWorkFactory, config: RotaConfig, night: dtm.date
) -> Session:
    """The template session on `night`, created by the real session sync (noon that day)."""
    from rota.roster.sessions import sync_sessions

    noon = dtm.datetime.combine(night, dtm.time(12, 0), tzinfo=dtm.UTC)
    await sync_sessions(uow(), config=config, now=noon)
    async with uow() as work:
        for session in await work.sessions.upcoming(noon, 5):
            if local_today(session.starts_at, config.zone) == night:
                return session
    raise RuntimeError(f"session sync made no session on {night}")


class FirstArrivals:
    """Observer of the fake: when each expected chat first got a message; set when all did."""

    def __init__(self, expected: set[int]) -> None:
        self.expected = expected
        self.first: dict[int, float] = {}
        self.all_there = asyncio.Event()

    def observe(self, message: BotMessage, change: str) -> None:
        if change != "sent" or message.chat_id not in self.expected:
            return
        self.first.setdefault(message.chat_id, time.monotonic())
        if len(self.first) == len(self.expected):
            self.all_there.set()
