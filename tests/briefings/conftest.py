"""The standard night from tests/safety: Tia and Nell walk, Lena leads, Cora is on call."""

from __future__ import annotations

import pytest

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from tests.safety.support import Night, make_night
from tests.services.helpers import Uow


@pytest.fixture
async def night(uow: Uow, config: RotaConfig, clock: FakeClock) -> Night:
    return await make_night(uow, config, clock)
