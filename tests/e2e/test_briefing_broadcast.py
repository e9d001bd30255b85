"""A hundred briefings at once, against a Telegram that enforces its flood limits.

The fake runs in strict mode: more than 30 messages a second overall (or 1 a second to one
private chat after a burst of 3) is answered 429, and every 429 is counted. The briefing
round must cause none, and must be done in a few seconds, with the job queue's own sweeps
running alongside as they do in production.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator

import pytest

from bot.fake_telegram import FakeTelegram, FakeUser
from bot.pacing import Limits
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.roster.model import SignUpStatus
from tests.briefings.team import BRIEF_AT, HEAD
from tests.conftest import DbInfo
from tests.e2e.conftest import Harness, outbox_settled, running_bot, sends_to

pytestmark = pytest.mark.e2e

PLACES = {"lead": 1, "walker": 96, "dropin": 2, "oncall": 1}  # 100 people
TAGS = {"lead": "lead", "walker": "trained", "dropin": "trained", "oncall": "coordinator"}
WITHIN_SECONDS = 15.0  # 100 messages at Telegram's 30 a second take a little over 3


@pytest.fixture
async def strict_tg(clock: FakeClock) -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(strict=True, clock=lambda: clock.now().timestamp())
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
    assert fake.internal_errors == []
    assert fake.unknown_calls == []


def _big_night(config: RotaConfig) -> RotaConfig:
    roles = tuple(
        dataclasses.replace(r, capacity=PLACES[r.key], minimum=0) for r in config.template.roles
    )
    return dataclasses.replace(config, template=dataclasses.replace(config.template, roles=roles))


async def _hundred_on_the_rota(bot: Harness) -> list[FakeUser]:
    """A hundred people who have started the bot, with confirmed places on Wednesday."""
    people: list[FakeUser] = []
    async with bot.uow() as work:
        (session,) = [s for s in await work.sessions.upcoming(bot.clock.now(), 1)]
        roles = {r.key: r for r in await work.sessions.roles([session.id])}
        for key, places in PLACES.items():
            for _ in range(places):
                user = bot.tg.user(f"Vol {len(people):03d}")
                bot.tg.mark_started(user)
                volunteer = await work.volunteers.add(
                    telegram_id=user.id,
                    display_name=user.first_name,
                    username=None,
                    tags=frozenset({TAGS[key]}),
                    now=bot.clock.now(),
                )
                assert await work.signups.claim_place(roles[key].id)
                await work.signups.add(
                    session_id=session.id,
                    role_id=roles[key].id,
                    volunteer_id=volunteer.id,
                    status=SignUpStatus.CONFIRMED,
                    now=bot.clock.now(),
                )
                people.append(user)
        await work.commit()
    return people


async def test_a_hundred_briefings_stay_inside_telegrams_limits_and_go_out_in_seconds(
    strict_tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    tg = strict_tg
    async with running_bot(tg, db, _big_night(config), clock, pacing=Limits()) as bot:
        people = await _hundred_on_the_rota(bot)
        await asyncio.sleep(1.5)  # let the welcome's burst refill: measure the round alone
        bot.clock.set(BRIEF_AT)
        started = time.perf_counter()
        await bot.run_job("shift")
        for person in people:
            await person.wait_for(HEAD, timeout=WITHIN_SECONDS)
        elapsed = time.perf_counter() - started
        assert await outbox_settled(bot)
        print(f"\n100 briefings delivered in {elapsed:.2f} s ({db.url.split(':')[0]})")
        assert tg.rate_limited == []
        assert elapsed < WITHIN_SECONDS
        for person in people:
            assert sends_to(tg, person.id, HEAD) == 1
        assert {r["state"] for r in await bot.rows("outbox")} == {"sent"}
        text = people[50].messages()[-1].text
        assert "Walker: 96" in text or "Vol 000" in text  # summarised only if it must be
