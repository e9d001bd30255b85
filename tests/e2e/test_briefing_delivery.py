"""Briefings across a second worker, a restart in the middle of a batch, and a blocked phone.

What must hold: everyone on the rota gets exactly one briefing, whatever the bot goes through,
and someone the bot cannot reach is reported to the coordinators once, without holding up
anyone else's briefing.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.app import running_jobs_done
from bot.fake_telegram import FakeTelegram, FakeUser
from bot.jobs.dispatch import deliver
from bot.jobs.shift import run_shift_tick
from rota.briefings import services as briefings
from rota.kernel import delivery
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from tests.briefings.team import BRIEF_AT, DAY, HEAD, UPDATE, Team, count, move_clock
from tests.conftest import DbInfo
from tests.e2e.conftest import (
    Harness,
    another_app,
    night,
    outbox_settled,
    running_bot,
    sends_to,
)

pytestmark = pytest.mark.e2e

BLOCKED = "I couldn't deliver the briefing for Wed 2 Dec to Bea"


async def _more_people(bot: Harness, team: Team) -> list[FakeUser]:
    """Two drop-in volunteers as well, so a batch has something to be in the middle of."""
    from tests.e2e.conftest import sign_up

    extra = [await bot.join(name, "trained") for name in ("Eve", "Fay")]
    for person in extra:
        await sign_up(bot, person, "Drop-in")
    return [*team.on_rota, *extra]


async def test_two_workers_over_one_database_brief_everyone_once(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    async with running_bot(tg, db, config, clock) as one:
        team = await Team(one).sign_up()
        everyone = await _more_people(one, team)
        async with another_app(tg, db, config, clock, poll=False) as two:
            apps = [one.app, two.app]
            for when in (BRIEF_AT, night(16, 0, 1), night(16, 0, 5)):
                clock.set(when)
                await asyncio.gather(
                    *(run_shift_tick(a.bot_data.deps, a.bot) for a in apps),
                    *(run_shift_tick(a.bot_data.deps, a.bot) for a in apps),
                )
                await asyncio.gather(one.run_job("dispatch"), two.run_job("dispatch"))
            for person in everyone:
                await person.wait_for(HEAD)
            assert await outbox_settled(one)
            await asyncio.sleep(1.0)  # a few sweeps of both job queues
    for person in everyone:
        assert sends_to(tg, person.id, HEAD) == 1, person
    assert sends_to(tg, team.dee.id, HEAD) == 0


async def test_a_restart_in_the_middle_of_a_batch_misses_nobody_and_doubles_nobody(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    async with running_bot(tg, db, config, clock) as first:
        team = await Team(first).sign_up()
        everyone = await _more_people(first, team)
        deps = first.app.bot_data.deps
        with first.jobs_paused():
            # A dispatch pass already under way would claim the rows this test leaves pending.
            await running_jobs_done(first.app, 10.0)
            clock.set(BRIEF_AT)
            assert await briefings.run_due(deps.uow, config=deps.config, now=BRIEF_AT) == 6
            # This worker claims a batch, delivers two of it, and is stopped before the rest
            # (they stay claimed, their lease running). PostgreSQL's claim may lease more
            # rows than asked for; on SQLite three are left pending, never claimed.
            batch = await delivery.claim_due(deps.uow(), now=BRIEF_AT, limit=3)
            assert len(batch) >= 3
            for item in batch[:2]:
                outcome = await deliver(first.app.bot, item, deps)
                await delivery.record_outcome(
                    deps.uow(), item, outcome, now=BRIEF_AT, config=deps.config
                )
            states = [r["state"] for r in await first.rows("outbox") if r["kind"] == "briefing"]
            assert states.count("sent") == 2
            assert states.count("sending") == len(batch) - 2
            assert states.count("pending") == 6 - len(batch)
    delivered = [p for p in everyone if count(p, HEAD)]
    assert len(delivered) == 2

    clock.set(night(16, 0, 31))  # the new process starts after the old lease has run out
    async with another_app(tg, db, config, clock) as second:
        await second.run_job("shift")
        await second.run_job("dispatch")
        for person in everyone:
            await person.wait_for(HEAD)
        assert await outbox_settled(second)
        await second.run_job("shift")
        await second.run_job("dispatch")
        assert len(await second.rows("briefings")) == 6
    for person in everyone:
        assert sends_to(tg, person.id, HEAD) == 1, person


async def test_a_blocked_volunteer_is_reported_once_and_the_rest_are_briefed(
    bot: Harness,
) -> None:
    team = await Team(bot).sign_up()
    bot.tg.block(team.bea)
    bot.clock.set(BRIEF_AT)
    await bot.run_job("shift")
    for person in (team.ana, team.lee, team.cora):
        await person.wait_for(HEAD)
    for coordinator in (team.cora, team.dee):
        notice = await coordinator.wait_for(BLOCKED)
        assert notice.text == (
            f"⚠️ {BLOCKED}: they blocked the bot or never started it. Please brief them "
            "another way (and ask them to open the bot)."
        )
    # A note goes out as an update: it cannot reach Bea either; nobody is told twice.
    reply = await bot.ask(team.cora, f"/brief {DAY} Mill Road is closed tonight.")
    assert "Sent as an update to the 4 people already briefed." in reply.text
    for person in (team.ana, team.lee, team.cora):
        await person.wait_for(UPDATE)
    await move_clock(bot, night(16, 30))
    await bot.run_job("shift")
    await bot.run_job("dispatch")
    assert await outbox_settled(bot)
    for coordinator in (team.cora, team.dee):
        assert sends_to(bot.tg, coordinator.id, BLOCKED) == 1
    assert sends_to(bot.tg, team.bea.id, HEAD) == 0
    for person in (team.ana, team.lee, team.cora):
        assert sends_to(bot.tg, person.id, HEAD) == 1
    status = await bot.ask(team.dee, f"/briefstatus {DAY}")
    assert "⚠️ Couldn't be delivered (blocked the bot or never started it): Bea" in status.text
    assert "⏳ Not yet: Ana, Lee, Cora" in status.text
