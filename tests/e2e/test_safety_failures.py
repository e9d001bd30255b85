"""Safety messages across crashes, restarts, a second worker and Telegram's bad moments.

What must hold every time: an alarm is never lost, never doubled by a retry or a second
worker (the one exception, an unknown outcome, is allowed one copy and says so), and goes out
as soon as Telegram lets it. Where step timing matters the job queue's timers are paused and
the sweeps are run by hand, so each step is deterministic; the injected clock decides what is
due.
"""

# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import os
import shutil
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from bot.app import running_jobs_done
from bot.fake_telegram import FakeTelegram, FakeUser
from bot.jobs.safety import run_reachability_check, run_safety_tick
from rota.kernel import delivery
from rota.kernel.clock import FakeClock, SystemClock
from rota.kernel.config import RotaConfig
from rota.kernel.template import parse_template
from rota.people import membership as people
from rota.roster import signups
from rota.safety import tonight
from rota.storage.engine import create_engine
from rota.storage.migrate import upgrade
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from tests.conftest import DbInfo
from tests.e2e.conftest import (
    Harness,
    another_app,
    count_of,
    eventually,
    night,
    outbox_settled,
    running_bot,
    sends_landed,
    sends_to,
    sent_text,
    sign_up,
    tick,
)

pytestmark = pytest.mark.e2e

MISSED = "MISSED CHECK-IN: Ana and Bea"
STEP2 = "Nobody acknowledged the first alert"
REPEAT = "🔁 Repeat: an earlier copy may have reached you."


class Crew:
    """Ana and Bea walk, Lee leads, Cora (bootstrap) is on call, Dee is another coordinator."""

    ana: FakeUser
    bea: FakeUser
    lee: FakeUser
    dee: FakeUser

    def __init__(self, bot: Harness) -> None:
        self.bot = bot
        self.cora = bot.coordinator

    async def sign_up(self) -> Crew:
        bot = self.bot
        self.ana = await bot.join("Ana", "trained")
        self.bea = await bot.join("Bea", "new")
        self.lee = await bot.join("Lee", "lead")
        self.dee = await bot.join("Dee", "coordinator")
        await sign_up(bot, self.ana, "Walker")
        await sign_up(bot, self.bea, "Walker")
        await sign_up(bot, self.lee, "Team lead")
        await sign_up(bot, self.cora, "On-call coordinator")
        return self

    async def walking(self) -> Crew:
        """Signed up, the walk started and check-in 1 asked (19:30)."""
        await self.sign_up()
        await tick(self.bot, night(19))
        await tick(self.bot, night(19, 30))
        await self.ana.wait_for("Check-in 1 of 7")
        await self.bea.wait_for("Check-in 1 of 7")
        return self


def _statuses(tg: FakeTelegram, chat_id: int, needle: str, since: int = 0) -> list[int]:
    """HTTP statuses of sendMessage calls to a chat whose text contains `needle`."""
    return [
        c.status
        for c in tg.calls[since:]
        if c.method == "sendMessage"
        and c.params.get("chat_id") == chat_id
        and needle in sent_text(c)
    ]


async def _pending(bot: Harness) -> list[dict[str, Any]]:
    return [r for r in await bot.rows("outbox") if r["state"] in ("pending", "sending")]


async def _dispatch(bot: Harness) -> None:
    await bot.run_job("dispatch")


async def _settled(bot: Harness) -> None:
    """Deliver whatever is still queued (e.g. the briefings, on a slow machine) before a
    test injects failures, so the failures land on the messages the test is about."""
    await running_jobs_done(bot.app, 10.0)  # a sweep that started before the pause finishes
    await sends_landed(bot)
    for _ in range(10):
        if not await _pending(bot):
            return
        await _dispatch(bot)
        await sends_landed(bot)
    assert await _pending(bot) == []


# ------------------------------------------------------------------ (a) crash and restart


async def test_an_alarm_fired_but_undelivered_when_the_bot_stops_goes_out_once_after_restart(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    async with running_bot(tg, db, config, clock) as first:
        crew = await Crew(first).walking()
        await tick(first, night(19, 35))
        tg.set_outage(True)
        await tick(first, night(19, 40))  # the escalation fires; Telegram refuses the alert
        (alert,) = [r for r in await _pending(first) if r["kind"] == "alert"]
        assert alert["last_error"] == "network: Bad Gateway"
        assert _statuses(tg, crew.cora.id, MISSED) == [502]
        # ... and the process is stopped here, the alert still owed.
    tg.set_outage(False)

    clock.set(night(19, 41))  # a minute later, a new process over the same database
    async with another_app(tg, db, config, clock) as second:
        await crew.cora.wait_for(MISSED)
        await second.run_job("safety")
        await second.run_job("dispatch")
        assert _statuses(tg, crew.cora.id, MISSED) == [502, 200]
        assert await outbox_settled(second)
        # The chain carries on from the database: step 2 at 19:45, once.
        await tick(second, night(19, 45))
        for person in (crew.cora, crew.lee, crew.dee):
            await person.wait_for(STEP2)
        await second.run_job("safety")
        assert _statuses(tg, crew.cora.id, STEP2) == [200]
        assert _statuses(tg, crew.lee.id, MISSED) == [200]


# ------------------------------------------------------------------ (b) an outage


async def test_alerts_due_during_an_outage_arrive_once_in_the_order_they_were_due(
    bot: Harness,
) -> None:
    crew = await Crew(bot).walking()
    tg = bot.tg
    mark = len(tg.calls)

    with bot.jobs_paused():
        tg.set_outage(True)
        for minute in range(34, 46):  # 19:34 to 19:45, a sweep and a delivery each minute
            bot.clock.set(night(19, minute))
            await bot.run_job("safety")
            await _dispatch(bot)
        assert count_of(crew.ana, "⏰") == count_of(crew.cora, "MISSED") == 0
        (escalation,) = await bot.rows("escalations")
        assert escalation["step"] == 2  # the chain climbed on time, while nothing got out

        tg.set_outage(False)
        bot.clock.set(night(19, 46))
        await _dispatch(bot)
        bot.clock.set(night(19, 47))  # past every backoff (capped at a minute)
        await _dispatch(bot)
        await _dispatch(bot)
        assert await _pending(bot) == []

    # Each exactly once ...
    for walker in (crew.ana, crew.bea):
        assert _statuses(tg, walker.id, "⏰", mark).count(200) == 1
    assert _statuses(tg, crew.cora.id, MISSED, mark).count(200) == 2  # steps 1 and 2
    for person in (crew.lee, crew.dee):
        assert _statuses(tg, person.id, MISSED, mark).count(200) == 1
    # ... and in the order they fell due: step 1 reaches the on-call before step 2 does.
    delivered = [
        (c.params["chat_id"], "step 2" if STEP2 in sent_text(c) else "step 1")
        for c in tg.calls[mark:]
        if c.method == "sendMessage" and c.ok and MISSED in sent_text(c)
    ]
    assert delivered[0] == (crew.cora.id, "step 1"), delivered
    assert sorted(delivered[1:]) == sorted(
        [(crew.cora.id, "step 2"), (crew.lee.id, "step 2"), (crew.dee.id, "step 2")]
    )
    first, second = [m for m in crew.cora.messages() if MISSED in m.text]
    assert STEP2 not in first.text
    assert STEP2 in second.text


# ------------------------------------------------------------------ (c) a 429 storm


async def test_a_429_storm_delays_the_alerts_by_the_pause_and_doubles_none(bot: Harness) -> None:
    crew = await Crew(bot).walking()
    tg = bot.tg
    await tick(bot, night(19, 35))
    await tick(bot, night(19, 40))
    await crew.cora.wait_for(MISSED)

    with bot.jobs_paused():
        await _settled(bot)  # what was already owed (a briefing, say) goes before the mark
        mark = len(tg.calls)
        tg.fail_next(
            "sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, count=5
        )
        await tick(bot, night(19, 45))  # step 2: Cora, Lee and Dee; all three get a 429
        assert [r["due_at"] for r in await _pending(bot)] == [night(19, 45, 1)] * 3
        await _dispatch(bot)  # still inside Telegram's pause: nobody is tried again
        assert len([c for c in tg.calls[mark:] if c.method == "sendMessage"]) == 3
        bot.clock.set(night(19, 45, 1))
        await _dispatch(bot)  # two more 429s, one gets through
        bot.clock.set(night(19, 45, 2))
        await _dispatch(bot)
        await _dispatch(bot)
        assert await _pending(bot) == []

    for person in (crew.cora, crew.lee, crew.dee):
        statuses = _statuses(tg, person.id, STEP2, mark)
        assert statuses.count(200) == 1, (person, statuses)
        assert set(statuses) <= {429, 200}
    every = [s for p in (crew.cora, crew.lee, crew.dee) for s in _statuses(tg, p.id, STEP2, mark)]
    assert every.count(429) == 5
    assert count_of(crew.cora, STEP2) == 1


# ------------------------------------------------------------------ (d) a blocked on-call


async def test_a_blocked_oncall_moves_the_chain_on_at_once_and_the_others_are_told(
    bot: Harness,
) -> None:
    crew = await Crew(bot).walking()
    tg = bot.tg
    await tick(bot, night(19, 35))

    with bot.jobs_paused():
        tg.block(crew.cora)
        await tick(bot, night(19, 40))  # step 1: the on-call alone, who blocked the bot
        assert _statuses(tg, crew.cora.id, MISSED) == [403]
        await _dispatch(bot)  # the notice to the others (the dispatch sweep's job)
        told = await crew.dee.wait_for("I couldn't deliver an alert to Cora")
        assert "The alert has moved to the next step." in told.text
        # The next sweep, at the same minute (the real alarm clock wakes it at once):
        await bot.run_job("safety")
        for person in (crew.lee, crew.dee):
            alert = await person.wait_for(MISSED)
            assert STEP2 in alert.text
        # And it does not race on through the steps because Cora is still unreachable.
        for _ in range(3):
            await bot.run_job("safety")
            await _dispatch(bot)
        (escalation,) = await bot.rows("escalations")
        assert escalation["step"] == 2
        assert count_of(crew.dee, "couldn't deliver an alert") == 1
        assert sends_to(tg, crew.lee.id, MISSED) == sends_to(tg, crew.dee.id, MISSED) == 1
        # Step 3 still comes on time, five minutes after step 2.
        await tick(bot, night(19, 45))
        await crew.dee.wait_for("(step 3)")
        assert sends_to(tg, crew.dee.id, MISSED) == 2


# ------------------------------------------------------------------ (e) a read timeout


async def _with_one_slow_send(bot: Harness, chat_id: int, run: Any) -> None:
    """Run `run()` while the first sendMessage to `chat_id` answers after 6 s (> PTB's 5 s)."""
    tg = bot.tg
    mark = len(tg.calls)
    tg.set_delay("sendMessage", 6)
    task = asyncio.ensure_future(run())
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while not [
            c
            for c in tg.calls[mark:]
            if c.method == "sendMessage" and c.params.get("chat_id") == chat_id
        ]:
            assert loop.time() < deadline, "the slow send never started"
            await asyncio.sleep(0.01)
    finally:
        tg.set_delay("sendMessage", 0)  # only that one call is slow
    await task


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
async def test_a_timed_out_alert_is_sent_again_marked_as_a_repeat_but_a_prompt_is_not(
    bot: Harness,
) -> None:
    """PTB gives up on a reply after 5 s; Telegram may have delivered the message anyway.

    SQLite only: each timeout costs 5 s of real time, and a read timeout is an HTTP matter.
    The database's part in a repeat (the unknown outcome stored, the copy marked) runs on
    both databases in the crash-window test below.
    """
    crew = await Crew(bot).sign_up()
    tg = bot.tg
    await tick(bot, night(19))

    with bot.jobs_paused():
        # The prompt to Ana times out: it reached her, and it is not sent again.
        bot.clock.set(night(19, 30))
        await _with_one_slow_send(bot, crew.ana.id, lambda: bot.run_job("safety"))
        await crew.bea.wait_for("Check-in 1 of 7")
        bot.clock.set(night(19, 31))
        await _dispatch(bot)
        assert count_of(crew.ana, "Check-in 1 of 7") == 1
        assert len(_statuses(tg, crew.ana.id, "Check-in 1 of 7")) == 1

        await tick(bot, night(19, 35))
        # The alert to Cora times out: the outcome is unknown, so it goes again, marked.
        bot.clock.set(night(19, 40))
        await _with_one_slow_send(bot, crew.cora.id, lambda: bot.run_job("safety"))
        (row,) = [r for r in await _pending(bot) if r["kind"] == "alert"]
        assert row["last_error"].startswith("timed out")
        bot.clock.set(night(19, 40, 1))
        await _dispatch(bot)

    first, second = [m for m in crew.cora.messages() if MISSED in m.text]
    assert REPEAT not in first.text
    assert second.text.startswith(REPEAT)
    assert len(_statuses(tg, crew.cora.id, MISSED)) == 2
    # The repeat is the copy the bot knows: acknowledging edits it.
    answer = await crew.cora.tap("✋ Acknowledge", message=second)
    assert answer.text == "It's yours. Everyone alerted can see you took it."
    await crew.cora.wait_for("✋ Cora is dealing with the alert")


# ------------------------------------------------------------------ (f) the backlog


async def test_an_ok_sent_while_the_bot_was_down_counts_before_the_first_sweep(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    async with running_bot(tg, db, config, clock) as first:
        crew = await Crew(first).walking()
        prompt = crew.ana.last()
    # The bot is down. At 19:32 Ana sends /ok; it waits at Telegram with its own date.
    clock.set(night(19, 32))
    sent = await crew.ana.send("/ok")
    assert sent["date"] == int(night(19, 32).timestamp())

    clock.set(night(19, 47))  # back at 19:47: past the reminder, step 1 and step 2
    async with another_app(tg, db, config, clock) as second:
        reply = await crew.ana.wait_for("Checked in", after=prompt.message_id)
        assert reply.text == "✓ Checked in at 19:32. Thank you, stay safe!"
        await second.run_job("safety")
        await second.run_job("dispatch")
        await crew.bea.wait_for("✓ Check-in 1 of 7: Ana checked in at 19:32.")
        (checkin, *_) = await second.rows("checkins")
        assert (checkin["state"], checkin["checked_at"]) == ("ok", night(19, 32))
        assert await second.rows("escalations") == []
        for person in (crew.cora, crew.lee, crew.dee):
            assert count_of(person, "MISSED") == 0
        for walker in (crew.ana, crew.bea):
            assert count_of(walker, "⏰") == 0


# ------------------------------------------------------------------ (g) a second worker


async def test_two_workers_over_one_database_send_every_prompt_and_alert_once(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    """Two Applications over the same database, both sweeping and delivering, at once.

    Only the first polls Telegram: a second poller is refused by Telegram itself (409
    Conflict), so the race that matters is over the timers and the outbox, which both own.
    """
    async with running_bot(tg, db, config, clock) as one:
        crew = await Crew(one).sign_up()
        async with another_app(tg, db, config, clock, poll=False) as two:
            deps = [one.app.bot_data.deps, two.app.bot_data.deps]
            bots = [one.app.bot, two.app.bot]
            for when in [night(19), night(19, 30), night(19, 35), night(19, 40), night(19, 45)]:
                # A jump of minutes while a send is under way would run its lease out under
                # it, and the other worker would rightly send it again (CI saw it once).
                assert await sends_landed(one)
                clock.set(when)
                # Both sweep at the same instant (and their own timers keep sweeping too).
                await asyncio.gather(
                    *(run_safety_tick(d, b) for d, b in zip(deps, bots, strict=True))
                )
                await asyncio.gather(one.run_job("dispatch"), two.run_job("dispatch"))
            await crew.lee.wait_for(STEP2)
            await asyncio.sleep(1.5)  # a few more sweeps of both job queues

    tg_calls = [c for c in tg.calls if c.method == "sendMessage" and c.ok]

    def sent(chat: FakeUser, needle: str) -> int:
        return sum(
            1 for c in tg_calls if c.params["chat_id"] == chat.id and needle in sent_text(c)
        )

    for walker in (crew.ana, crew.bea):
        assert sent(walker, "The walk has started") == 1
        assert sent(walker, "Check-in 1 of 7 — tap") == 1
        assert sent(walker, "⏰ Check-in 1 of 7") == 1
    assert sent(crew.cora, MISSED) == 2
    assert sent(crew.lee, MISSED) == sent(crew.dee, MISSED) == 1


# ------------------------------------------------------------------ the window for one copy


async def test_a_crash_between_telegram_accepting_and_the_row_marked_sent_repeats_once(
    bot: Harness,
) -> None:
    """The one window for a duplicate, shown exactly: Telegram accepted the alert, then the
    worker died before recording it (here: record_outcomes raises once, after the send).

    The row stays claimed; when its 30 s lease runs out another sweep sends it again. The
    outcome of the first send is unknown to the bot, so for an alarm the second copy says it
    may be a repeat. At most one duplicate: the second attempt is recorded normally.
    """
    crew = await Crew(bot).walking()
    tg = bot.tg
    await tick(bot, night(19, 35))
    real = delivery.record_outcomes
    crashed: list[int] = []

    async def crash_once(uow: Any, results: Any, **kw: Any) -> None:
        alert = next((item for item, _ in results if item.kind == "alert"), None)
        if alert is not None and not crashed:
            crashed.append(alert.id)
            raise RuntimeError("the worker died here")
        await real(uow, results, **kw)

    with bot.jobs_paused(), mock.patch.object(delivery, "record_outcomes", crash_once):
        await _settled(bot)
        await tick(bot, night(19, 40))
        assert crashed
        assert _statuses(tg, crew.cora.id, MISSED) == [200]
        (row,) = await _pending(bot)
        assert row["state"] == "sending"
        bot.clock.set(night(19, 40, 29))
        await _dispatch(bot)  # the lease still holds: nothing yet
        assert _statuses(tg, crew.cora.id, MISSED) == [200]
        bot.clock.set(night(19, 40, 31))
        await _dispatch(bot)
        await _dispatch(bot)
        bot.clock.set(night(19, 42))
        await _dispatch(bot)

    assert _statuses(tg, crew.cora.id, MISSED) == [200, 200]
    first, second = [m for m in crew.cora.messages() if MISSED in m.text]
    assert REPEAT not in first.text
    assert second.text.startswith(REPEAT)
    assert await _pending(bot) == []


async def test_a_batch_that_outlives_its_lease_stops_instead_of_doubling_the_rest(
    bot: Harness,
) -> None:
    """Slow sends: a worker claimed a batch of alerts and its 30 s lease runs out mid-batch.

    Another sweep may then claim the rest, so the first worker must stop rather than send
    them as well. Only alerts in flight at that moment can arrive twice (their outcome is
    unknown to the second sweep), and a second copy says it may be a repeat. Chats are sent
    to concurrently, so each of the three chats may have had its alert in flight.
    """
    crew = await Crew(bot).walking()
    tg = bot.tg
    await tick(bot, night(19, 35))
    await tick(bot, night(19, 40))
    await crew.cora.wait_for(MISSED)
    mark = len(tg.calls)

    with bot.jobs_paused():
        await _settled(bot)
        tg.set_delay("sendMessage", 0.3)  # slow, but well inside PTB's timeouts
        bot.clock.set(night(19, 45))
        slow = asyncio.ensure_future(bot.run_job("safety"))  # step 2: three alerts, one batch
        await tg.wait_for_call("sendMessage", after=mark)
        bot.clock.set(night(19, 45, 31))  # ... and the batch has outlived its lease
        await _dispatch(bot)  # another sweep takes over the rows
        await slow
        tg.set_delay("sendMessage", 0)
        await _dispatch(bot)
        assert await _pending(bot) == []

    counts = {p.first_name: _statuses(tg, p.id, STEP2, mark).count(200) for p in crew_chain(crew)}
    # Everyone once; an alert in flight at the moment the lease ran out at most twice.
    assert set(counts.values()) <= {1, 2}, counts
    # A row the second sweep took over may have been sent by the first (it cannot know), so
    # its copy carries the repeat line even where the first worker had stopped in time.
    for person in crew_chain(crew):
        _first, *again = [m for m in person.messages() if STEP2 in m.text]
        assert all(m.text.startswith(REPEAT) for m in again)


def crew_chain(crew: Crew) -> list[FakeUser]:
    """Who step 2 alerts: the on-call, the team lead and the other coordinator."""
    return [crew.cora, crew.lee, crew.dee]


# ------------------------------------------------------------------ (h) kill -9, for real

PROCESS_TEMPLATE = """
late_notice = "48h"

[[session]]
key = "weekly"
weekday = "{weekday}"
start = "19:00"
end = "23:00"
meeting_point = "St Anne's Hall"
weeks_ahead = 1

[[role]]
key = "walker"
label = "Walker"
capacity = 2
minimum = 2
pairs = true
requires = ["trained", "new"]

[[role]]
key = "oncall"
label = "On-call coordinator"
capacity = 1
minimum = 1
requires = ["coordinator"]
"""
CORA_ID, ANA_ID, BEA_ID = 880_001, 880_002, 880_003
PLAN = "interval=4s grace=2s escalate_after=3s reescalate_after=3s home_safe_within=5s"
LEAD_TIME = 8.0  # seconds from now to the walk's start: the process is up well before


def _rotabot() -> str:
    found = shutil.which("rotabot", path=str(Path(sys.executable).parent))
    found = found or shutil.which("rotabot")
    if found is None:
        pytest.fail("the rotabot console script is not installed (pip install -e .)")
    return found


async def _prepare_night(tmp_path: Path) -> tuple[dict[str, str], dtm.datetime]:
    """A migrated SQLite file with tonight's walk a few seconds ahead, through the services."""
    now = SystemClock().now()
    weekday = (now + dtm.timedelta(days=3)).strftime("%A").lower()  # never today's
    toml = tmp_path / "rota.toml"
    toml.write_text(PROCESS_TEMPLATE.format(weekday=weekday))
    template = parse_template(toml.read_text(), source=str(toml))
    config = RotaConfig(template=template, zone="UTC", admin_ids=frozenset({CORA_ID}))
    url = f"sqlite:///{tmp_path / 'rotabot.db'}"
    engine = create_engine(url)
    await upgrade(engine)
    uow = SqlAlchemyUnitOfWorkFactory(engine)
    await people.start(
        uow(),
        telegram_id=CORA_ID,
        first_name="Cora",
        last_name=None,
        username="cora",
        config=config,
        now=now,
    )
    for telegram_id, name, tag in [(ANA_ID, "Ana", "trained"), (BEA_ID, "Bea", "new")]:
        invite = await people.create_invite(
            uow(), telegram_id=CORA_ID, tags=frozenset({tag}), config=config, now=now
        )
        await people.accept_invite(
            uow(),
            code=invite.code,
            telegram_id=telegram_id,
            first_name=name,
            last_name=None,
            username=None,
            config=config,
            now=now,
        )
    starts_at = (now + dtm.timedelta(seconds=LEAD_TIME)).replace(microsecond=0)
    async with uow() as work:  # a one-off night at an exact second (/addsession takes minutes)
        session = await work.sessions.add(
            template_key=None,
            local_date=starts_at.date(),
            starts_at=starts_at,
            ends_at=starts_at + dtm.timedelta(seconds=9),  # check-ins at +4 s and +8 s
            meeting_point="St Anne's Hall",
            note="",
            roles=template.roles,
            now=now,
        )
        await work.commit()
    await tonight.set_checkin_plan(
        uow(),
        telegram_id=CORA_ID,
        day=starts_at.date().isoformat(),
        words=PLAN.split(),
        config=config,
    )
    async with uow() as work:
        roles = {r.key: r.id for r in await work.sessions.roles([session.id])}
    for telegram_id, role in [(ANA_ID, "walker"), (BEA_ID, "walker"), (CORA_ID, "oncall")]:
        await signups.join_role(
            uow(), telegram_id=telegram_id, role_id=roles[role], config=config, now=now
        )
    await engine.dispose()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PTB_TIMEDELTA": "true",
        "DATABASE_URL": url,
        "ROTABOT_CONFIG": str(toml),
        "ROTABOT_TIMEZONE": "UTC",
        "ROTABOT_ADMIN_IDS": str(CORA_ID),
    }
    return env, starts_at


class Process:
    """`rotabot run` as a child process, its output in files."""

    def __init__(self, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.proc = proc
        self.log = log

    @classmethod
    async def start(cls, env: dict[str, str], tmp_path: Path, name: str) -> Process:
        log = tmp_path / f"{name}.log"
        with log.open("wb") as out:
            proc = await asyncio.create_subprocess_exec(
                _rotabot(), "run", env=env, cwd=tmp_path, stdout=out, stderr=out
            )
        return cls(proc, log)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def wait_for(self, tg: FakeTelegram, chat_id: int, text: str, timeout: float) -> None:
        """A message in the chat, or a failure that shows the process's log."""
        waiting = asyncio.ensure_future(tg.wait_for(chat_id, text, timeout=timeout))
        ended = asyncio.ensure_future(self.proc.wait())
        await asyncio.wait({waiting, ended}, return_when=asyncio.FIRST_COMPLETED)
        if not waiting.done():
            waiting.cancel()
            pytest.fail(f"rotabot exited with {self.proc.returncode}:\n{self.output()}")
        ended.cancel()
        try:
            waiting.result()
        except AssertionError as err:
            pytest.fail(f"{err}\n--- rotabot's log\n{self.output()}")

    async def end(self, sig: int) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
            await asyncio.wait_for(self.proc.wait(), 15)


def _outbox_states(db_file: Path, kind: str) -> list[str]:
    with contextlib.closing(sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT state FROM outbox WHERE kind = ?", (kind,)).fetchall()
    return [r[0] for r in rows]


async def test_kill_9_after_the_first_prompt_loses_nothing_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    """The real `rotabot run`, on the real clock, killed with SIGKILL and started again.

    SQLite only: it is about the process dying, not about the database (the in-process
    restart, outage and second-worker tests run on both), and a real process on the real
    clock costs real seconds: about 17 here, with the plan compressed to seconds (check-ins
    every 4 s, reminder after 2 s, on-call after 3 s).

    The kill comes once both prompts are recorded as sent, so the window in which a crash
    can double a message (Telegram accepted it, the row is not yet marked) is closed here;
    that window has its own test above.
    """
    env, _starts_at = await _prepare_night(tmp_path)
    tg = FakeTelegram()  # the real clock: the process has no other
    await tg.start()
    env |= {"TELEGRAM_API_BASE_URL": tg.base_url, "TELEGRAM_BOT_TOKEN": tg.token}
    cora = tg.user("Cora", user_id=CORA_ID)
    ana, bea = tg.user("Ana", user_id=ANA_ID), tg.user("Bea", user_id=BEA_ID)
    for person in (cora, ana, bea):
        tg.mark_started(person)  # they pressed Start long ago
    first = second = None
    try:
        first = await Process.start(env, tmp_path, "first")
        await first.wait_for(tg, ana.id, "The walk has started", LEAD_TIME + 10)
        for walker in (ana, bea):
            await first.wait_for(tg, walker.id, "Check-in 1 of 2", 10)
        db_file = tmp_path / "rotabot.db"

        async def prompts_recorded() -> bool:
            return _outbox_states(db_file, "checkin_prompt") == ["sent", "sent"]

        assert await eventually(prompts_recorded), first.output()
        await first.end(signal.SIGKILL)
        assert first.proc.returncode == -signal.SIGKILL

        second = await Process.start(env, tmp_path, "second")
        for walker in (ana, bea):
            await second.wait_for(tg, walker.id, "⏰ Check-in 1 of 2", 20)
        await second.wait_for(tg, cora.id, "Check-in 1 of 2 was due", 10)
        await asyncio.sleep(1)  # what else the restarted process sends, to catch a double
        await second.end(signal.SIGTERM)
    finally:
        for process in (first, second):
            if process is not None and process.proc.returncode is None:
                process.proc.kill()
                await process.proc.wait()
        await tg.stop()

    sent = [(c.params["chat_id"], sent_text(c)) for c in tg.calls_to("sendMessage") if c.ok]
    doubled = {m for m in sent if sent.count(m) > 1}
    assert doubled == set(), doubled
    for walker in (ana, bea):
        assert sends_to(tg, walker.id, "The walk has started") == 1
        assert sends_to(tg, walker.id, "Check-in 1 of 2 — tap") == 1
        assert sends_to(tg, walker.id, "⏰ Check-in 1 of 2") == 1
    step1 = [
        t
        for chat, t in sent
        if chat == cora.id
        and "Check-in 1 of 2 was due" in t
        and "on-call coordinator for tonight" in t
    ]
    assert len(step1) == 1, step1
    assert tg.internal_errors == []
    assert tg.unknown_calls == []


async def test_two_rotabot_processes_on_one_database_send_everything_once(
    tmp_path: Path,
) -> None:
    """(g), for real: `rotabot run` started twice over the same SQLite file (a double deploy).

    SQLite only, like the kill test: it is about processes sharing a file. Telegram lets
    one poller in at a time (the other gets 409 Conflict and retries), but both processes
    sweep the timers and the outbox all the time: every prompt, reminder and alert of the
    compressed night must still go out exactly once.
    """
    env, _starts_at = await _prepare_night(tmp_path)
    tg = FakeTelegram()
    await tg.start()
    env |= {"TELEGRAM_API_BASE_URL": tg.base_url, "TELEGRAM_BOT_TOKEN": tg.token}
    cora = tg.user("Cora", user_id=CORA_ID)
    ana, bea = tg.user("Ana", user_id=ANA_ID), tg.user("Bea", user_id=BEA_ID)
    for person in (cora, ana, bea):
        tg.mark_started(person)
    processes: list[Process] = []
    try:
        processes = [
            await Process.start(env, tmp_path, "one"),
            await Process.start(env, tmp_path, "two"),
        ]
        one = processes[0]
        await one.wait_for(tg, ana.id, "The walk has started", LEAD_TIME + 10)
        for walker in (ana, bea):
            await one.wait_for(tg, walker.id, "⏰ Check-in 1 of 2", 10)
        await one.wait_for(tg, cora.id, "Check-in 1 of 2 was due", 10)
        for walker in (ana, bea):
            await one.wait_for(tg, walker.id, "Check-in 2 of 2", 10)
        for process in processes:
            assert process.proc.returncode is None, process.output()
        await asyncio.gather(*(process.end(signal.SIGTERM) for process in processes))
    finally:
        for process in processes:
            if process.proc.returncode is None:
                process.proc.kill()
                await process.proc.wait()
        await tg.stop()

    sent = [(c.params["chat_id"], sent_text(c)) for c in tg.calls_to("sendMessage") if c.ok]
    doubled = {m for m in sent if sent.count(m) > 1}
    assert doubled == set(), doubled
    for walker in (ana, bea):
        for text in ("The walk has started", "Check-in 1 of 2 — tap", "⏰ Check-in 1 of 2"):
            assert sends_to(tg, walker.id, text) == 1, (walker, text)
        assert sends_to(tg, walker.id, "Check-in 2 of 2 — tap") == 1
    alerts = [t for chat, t in sent if chat == cora.id and "Check-in 1 of 2 was due" in t]
    assert len([t for t in alerts if "on-call coordinator for tonight" in t]) == 1, alerts
    assert tg.internal_errors == []


async def test_a_process_holding_its_fill_of_rows_still_claims_alarms(bot: Harness) -> None:
    """Rows held past their lease while waiting their turn would be sent twice; so one process
    holds at most MAX_IN_FLIGHT rows, except alarms, which are always claimed (and go first)."""
    from bot.jobs import dispatch

    crew = await Crew(bot).walking()
    deps = bot.app.bot_data.deps
    with bot.jobs_paused():
        await _settled(bot)
        backlog = range(-dispatch.MAX_IN_FLIGHT, 0)
        deps.hold(backlog)  # as if a long backlog were on its way
        bot.clock.set(night(19, 40))  # the reminders (19:35) and the alert (19:40) fall due
        await bot.run_job("safety")
        assert _statuses(bot.tg, crew.cora.id, MISSED) == [200]  # the alarm went
        assert count_of(crew.ana, "⏰") == count_of(crew.bea, "⏰") == 0  # the rest waited
        assert {r["kind"] for r in await _pending(bot)} == {"checkin_reminder"}
        deps.release(backlog)
        await _dispatch(bot)
        assert await _pending(bot) == []
    assert count_of(crew.ana, "⏰") == count_of(crew.bea, "⏰") == 1


async def test_the_start_up_probe_reports_who_blocked_the_bot_and_yields_to_the_dispatcher(
    bot: Harness,
) -> None:
    """Coordinators are probed at once; tonight's volunteers while nothing waits to be sent
    (after a restart with a backlog, probing thousands slowed the catch-up)."""
    crew = await Crew(bot).sign_up()
    bot.tg.block(crew.bea)
    bot.tg.block(crew.dee)
    deps = bot.app.bot_data.deps
    probes = len(bot.tg.calls_to("sendChatAction"))

    def probed() -> set[int]:
        return {c.params["chat_id"] for c in bot.tg.calls_to("sendChatAction")[probes:]}

    coordinators = {crew.cora.id, crew.dee.id}
    with bot.jobs_paused():
        bot.clock.set(night(12))  # tonight's rota is within the probe's 48 hours
        backlog = [-1]
        deps.hold(backlog)  # the dispatcher is busy
        probe = asyncio.create_task(run_reachability_check(deps, bot.app.bot))

        async def coordinators_probed() -> bool:
            return coordinators <= probed()

        await eventually(coordinators_probed)
        await asyncio.sleep(0.2)
        assert probed() == coordinators  # Ana, Bea and Lee wait
        deps.release(backlog)
        unreachable = await asyncio.wait_for(probe, 10)
    assert probed() == coordinators | {crew.ana.id, crew.bea.id, crew.lee.id}
    assert sorted(unreachable.values()) == ["Bea", "Dee"]
    report = await crew.cora.wait_for("I can't send messages to")
    assert report.text.startswith("⚠ I can't send messages to: Bea, Dee.")
