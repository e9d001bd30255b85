"""The outbox rings the dispatcher by itself: a notice a handler records goes out at once.

No handler calls anything to wake the dispatcher; the unit of work does after a commit
that added outbox rows. The periodic sweep is made an hour long here, so only the ring
can deliver within the test's time.
"""

from __future__ import annotations

import asyncio

import pytest

from bot import jobs
from bot.fake_telegram import FakeTelegram
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.outbox import Notice
from tests.conftest import DbInfo
from tests.e2e.conftest import running_bot
from tests.notices import raw

pytestmark = pytest.mark.e2e

AT_ONCE = 1.5  # seconds, real time: the sweep would take an hour


async def test_a_notice_recorded_by_a_handler_goes_out_before_any_sweep(
    tg: FakeTelegram,
    db: DbInfo,
    config: RotaConfig,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jobs, "DISPATCH_SWEEP_SECONDS", 3600.0)
    team = tg.group("Outreach team")
    async with running_bot(tg, db, config, clock, team_chat_id=team.chat_id) as bot:
        await asyncio.sleep(0.5)  # the start-up sweeps are over; the next is an hour away
        loop = asyncio.get_running_loop()
        started = loop.time()
        tg.group_added_by(bot.coordinator, "Party chat")  # handler: left_group notice
        told = await bot.coordinator.wait_for("added me to the group", timeout=AT_ONCE)
        took = loop.time() - started
    assert told.text.startswith("Cora added me to the group “Party chat”")
    assert took < AT_ONCE


async def test_rows_stored_in_the_old_shape_are_still_delivered(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    async with running_bot(tg, db, config, clock) as bot:
        old = {  # as rota/roster/signups.py wrote a waitlist promotion before typing
            "session_id": 1,
            "starts_at": "2026-12-02T19:00:00+00:00",
            "ends_at": "2026-12-02T23:00:00+00:00",
            "meeting_point": "St Anne's Hall",
            "role": "Walker",
        }
        async with bot.uow() as uow:
            await uow.outbox.add(
                Notice(chat_id=bot.coordinator.chat_id, payload=raw("promoted", **old)),
                now=clock.now(),
                due_at=None,
            )
            await uow.commit()
        told = await bot.coordinator.wait_for("a place opened up")
    assert "you're now down as Walker on Wed 2 Dec 19:00–23:00" in told.text
