"""The standard night: one pair (Tia, trained, and Nell, new), a lead, an on-call, a drop-in."""

from __future__ import annotations

import pytest

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from tests.safety.support import NELL, TESS, TIA, UMA, Night, make_night
from tests.services.helpers import Uow


@pytest.fixture
async def night(uow: Uow, config: RotaConfig, clock: FakeClock) -> Night:
    return await make_night(uow, config, clock)


@pytest.fixture
async def two_pairs(uow: Uow, config: RotaConfig, clock: FakeClock) -> Night:
    """The standard night with Tess and Uma as a second pair."""
    return await make_night(uow, config, clock, walkers=(TIA, NELL, TESS, UMA))
