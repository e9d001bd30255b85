"""The fuzz run in its small size (issue 11): random hostile updates during a walk.

`FUZZ_SEED` and `FUZZ_COUNT` override the seed and the size, to replay a failure printed by
this test or by `python -m bench fuzz` (which runs 10,000).
"""

from __future__ import annotations

import os

import pytest

from bot.fake_telegram import FakeTelegram
from rota.clock import FakeClock
from rota.config import RotaConfig
from tests.conftest import DbInfo
from tests.e2e.fuzz import fuzz, fuzz_bot

pytestmark = pytest.mark.e2e

SEED = int(os.environ.get("FUZZ_SEED", "20261202"))
# ~40 s a database on a 2-core machine (the world's set-up included): under CI's 60 s.
COUNT = int(os.environ.get("FUZZ_COUNT", "400"))


async def test_random_hostile_updates_change_nothing_they_may_not(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    async with fuzz_bot(tg, db, config, clock) as bot:
        report = await fuzz(bot, seed=SEED, count=COUNT)

    print(report.summary())
    assert report.sent == COUNT
    assert report.handled > COUNT // 2, report.summary()
    assert report.ok, report.summary()
