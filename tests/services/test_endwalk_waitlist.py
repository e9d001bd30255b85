"""Only the confirmed team lead (or a coordinator) ends the walk; a waitlisted lead may not."""

from __future__ import annotations

import pytest

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.errors import NotCoordinator
from rota.roster.model import SignUpStatus
from rota.safety import walks
from tests.safety.support import CORA, LENA, Night, at, make_night, walk_state
from tests.services.helpers import Uow, snapshot

WES = 302  # a second lead, on the lead role's waitlist


async def _night_with_waitlisted_lead(
    uow: Uow, config: RotaConfig, clock: FakeClock, *, confirmed_lead: bool
) -> Night:
    night = await make_night(uow, config, clock, lead=confirmed_lead)
    async with uow() as work:
        wes = await work.volunteers.add(
            telegram_id=WES,
            display_name="Wes",
            username=None,
            tags=frozenset({"lead", "trained"}),
            now=clock.now(),
        )
        await work.signups.add(
            session_id=night.session_id,
            role_id=night.roles["lead"],
            volunteer_id=wes.id,
            status=SignUpStatus.WAITLISTED,
            now=clock.now(),
        )
        await work.commit()
    return night


async def _end_walk(night: Night, telegram_id: int) -> None:
    await walks.end_walk(
        night.uow(), telegram_id=telegram_id, config=night.config, now=night.clock.now()
    )


@pytest.mark.parametrize("confirmed_lead", [True, False], ids=["lead-on-rota", "no-lead"])
async def test_a_waitlisted_lead_cannot_end_the_walk(
    uow: Uow, config: RotaConfig, clock: FakeClock, confirmed_lead: bool
) -> None:
    night = await _night_with_waitlisted_lead(uow, config, clock, confirmed_lead=confirmed_lead)
    await night.start()
    night.clock.set(at(20, 5))
    before = await snapshot(night.uow)
    with pytest.raises(NotCoordinator):
        await _end_walk(night, WES)
    assert await snapshot(night.uow) == before
    assert await walk_state(night.uow, night.session_id) == "walking"


@pytest.mark.parametrize("who", [LENA, CORA], ids=["confirmed-lead", "coordinator"])
async def test_the_confirmed_lead_and_a_coordinator_still_can(
    uow: Uow, config: RotaConfig, clock: FakeClock, who: int
) -> None:
    night = await _night_with_waitlisted_lead(uow, config, clock, confirmed_lead=True)
    await night.start()
    night.clock.set(at(20, 5))
    await _end_walk(night, who)
    assert await walk_state(night.uow, night.session_id) == "walk_over"
