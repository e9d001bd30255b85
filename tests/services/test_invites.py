"""Invites and joining: single-use codes, expiry, refusals, bootstrap admins, rejoining."""

from __future__ import annotations

import pytest

from rota.kernel.clock import FakeClock
from rota.kernel.config import INVITE_VALIDITY, RotaConfig
from rota.kernel.errors import AlreadyRegistered, InviteInvalid, NotCoordinator
from rota.people import membership as people
from rota.people.model import COORDINATOR_TAG, Volunteer, VolunteerStatus
from rota.storage.tables import InviteRow, VolunteerRow
from tests.conftest import ADMIN_ID
from tests.refusing import refusing
from tests.services.helpers import (
    Uow,
    admin_starts,
    count,
    invite_row,
    join_team,
    make_invite,
    snapshot,
    volunteer_row,
)


async def _accept(
    uow: Uow, config: RotaConfig, clock: FakeClock, code: str, telegram_id: int, name: str = "Ana"
) -> Volunteer:
    return await people.accept_invite(
        uow(),
        code=code,
        telegram_id=telegram_id,
        first_name=name,
        last_name="Smith",
        username=name.lower(),
        config=config,
        now=clock.now(),
    )


async def test_coordinator_invite_registers_the_person_who_opens_it(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    invite = await make_invite(uow, config, clock)
    volunteer = await _accept(uow, config, clock, invite.code, 5)

    row = await volunteer_row(uow, volunteer.id)
    assert (row.telegram_id, row.display_name, row.username, row.status) == (
        5,
        "Ana Smith",
        "ana",
        "active",
    )
    used = await invite_row(uow, invite.code)
    assert used.used_by == volunteer.id
    assert used.used_at == clock.now()


async def test_second_use_of_an_invite_is_refused_as_already_used(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    invite = await make_invite(uow, config, clock)
    first = await _accept(uow, config, clock, invite.code, 5)

    with refusing(InviteInvalid, match="already been used"):
        await _accept(uow, config, clock, invite.code, 6, name="Bo")

    assert await count(uow, VolunteerRow) == 1
    assert (await invite_row(uow, invite.code)).used_by == first.id


async def test_invite_still_works_just_before_seven_days(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    invite = await make_invite(uow, config, clock)
    clock.advance(days=7, seconds=-1)

    await _accept(uow, config, clock, invite.code, 5)

    assert await count(uow, VolunteerRow) == 1


async def test_invite_exactly_seven_days_old_is_expired(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    invite = await make_invite(uow, config, clock)
    clock.advance(days=7)

    with refusing(InviteInvalid, match="expired"):
        await _accept(uow, config, clock, invite.code, 5)

    assert await count(uow, VolunteerRow) == 0
    assert (await invite_row(uow, invite.code)).used_at is None


GARBAGE_CODES = [
    "nosuchcode123",
    "",
    "short",
    "x" * 65,
    "a" * 200,
    "ünïcødeçødé",
    "abc def ghi",
    "'; DROP TABLE volunteers; --",
    "abcdefgh\n",
    "\x00" * 10,
]


async def test_unknown_or_garbage_codes_are_refused_and_create_nobody(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await make_invite(uow, config, clock)
    before = await snapshot(uow)

    for code in GARBAGE_CODES:
        with refusing(InviteInvalid, match="isn't valid"):
            await _accept(uow, config, clock, code, 5)

    assert await snapshot(uow) == before


async def test_a_non_coordinator_cannot_create_invites(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await join_team(uow, config, clock, 5, tags=["trained", "lead"])
    before = await snapshot(uow)

    with pytest.raises(NotCoordinator):
        await make_invite(uow, config, clock, by=5)
    with pytest.raises(NotCoordinator):
        await make_invite(uow, config, clock, by=12345)  # a stranger

    assert await snapshot(uow) == before


async def test_tagged_coordinator_invite_records_who_made_it(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    coordinator = await join_team(uow, config, clock, 5, tags=[COORDINATOR_TAG])

    invite = await make_invite(uow, config, clock, by=5)

    row = await invite_row(uow, invite.code)
    assert row.created_by == coordinator.id
    assert row.expires_at == clock.now() + INVITE_VALIDITY


async def test_registered_volunteer_opening_another_invite_is_told_and_invite_stays_unused(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await join_team(uow, config, clock, 5, tags=["trained"])
    invite = await make_invite(uow, config, clock, tags=["lead"])

    with pytest.raises(AlreadyRegistered):
        await _accept(uow, config, clock, invite.code, 5)

    row = await invite_row(uow, invite.code)
    assert (row.used_at, row.used_by) == (None, None)
    assert await count(uow, VolunteerRow) == 1
    assert (await volunteer_row(uow, 1)).tags == "trained"


async def test_bootstrap_admin_start_registers_them_as_coordinator_exactly_once(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    first = await people.start(
        uow(),
        telegram_id=ADMIN_ID,
        first_name="Ada",
        last_name=None,
        username="ada",
        config=config,
        now=clock.now(),
    )
    again = await people.start(
        uow(),
        telegram_id=ADMIN_ID,
        first_name="Other",
        last_name=None,
        username=None,
        config=config,
        now=clock.now(),
    )

    assert (first.joined, again.joined) == (True, False)
    assert await count(uow, VolunteerRow) == 1
    row = await volunteer_row(uow, 1)
    assert (row.telegram_id, row.display_name, row.tags) == (ADMIN_ID, "Ada", COORDINATOR_TAG)


async def test_a_strangers_start_changes_nothing(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    before = await snapshot(uow)

    welcome = await people.start(
        uow(),
        telegram_id=4242,
        first_name="Stranger",
        last_name=None,
        username=None,
        config=config,
        now=clock.now(),
    )

    assert (welcome.joined, welcome.actor.volunteer, welcome.actor.is_coordinator) == (
        False,
        None,
        False,
    )
    assert await snapshot(uow) == before


async def test_invite_tags_are_given_to_the_newcomer(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    volunteer = await join_team(uow, config, clock, 5, tags=["trained", "lead"])

    assert (await volunteer_row(uow, volunteer.id)).tags == "lead,trained"
    assert volunteer.tags == frozenset({"trained", "lead"})


async def test_admin_opening_an_invite_also_becomes_coordinator(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    invite = await make_invite(uow, config, clock, tags=["trained"])

    volunteer = await _accept(uow, config, clock, invite.code, ADMIN_ID)

    assert (await volunteer_row(uow, volunteer.id)).tags == "coordinator,trained"


async def test_a_removed_volunteer_can_rejoin_with_a_new_invite(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await admin_starts(uow, config, clock)
    volunteer = await join_team(uow, config, clock, 5, tags=["trained"])
    await people.remove_volunteer(
        uow(), telegram_id=ADMIN_ID, who="5", config=config, now=clock.now()
    )
    assert (await volunteer_row(uow, volunteer.id)).status == VolunteerStatus.REMOVED.value
    invite = await make_invite(uow, config, clock, tags=["new"])

    back = await _accept(uow, config, clock, invite.code, 5, name="Ana")

    assert back.id == volunteer.id  # the same row comes back, past rotas still add up
    row = await volunteer_row(uow, volunteer.id)
    assert (row.status, row.tags, row.display_name) == ("active", "new", "Ana Smith")
    assert await count(uow, VolunteerRow) == 2
    assert (await invite_row(uow, invite.code)).used_by == volunteer.id
    assert await count(uow, InviteRow) == 2
