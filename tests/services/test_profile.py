"""A volunteer's own profile: their name, their phone number, and being forgotten."""

from __future__ import annotations

import pytest

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.errors import InvalidInput, NotRegistered
from rota.kernel.outbox import Notice
from rota.people import membership as people
from rota.privacy.erasure import FORMER_VOLUNTEER
from rota.roster import signups
from rota.storage.tables import VolunteerRow
from tests.notices import raw
from tests.refusing import refusing
from tests.services.helpers import (
    Uow,
    filled,
    first_session,
    join,
    join_team,
    outbox,
    role_id,
    signup_states,
    snapshot,
    volunteer_row,
    wait,
)


async def test_rename_trims_and_collapses_spaces(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    volunteer = await join_team(uow, config, clock, 5)

    renamed = await people.rename(
        uow(), telegram_id=5, name="  Sam \t  de   Vries ", config=config
    )

    assert renamed.display_name == "Sam de Vries"
    assert (await volunteer_row(uow, volunteer.id)).display_name == "Sam de Vries"


async def test_rename_accepts_exactly_64_characters(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    volunteer = await join_team(uow, config, clock, 5)

    await people.rename(uow(), telegram_id=5, name="é" * 64, config=config)

    assert (await volunteer_row(uow, volunteer.id)).display_name == "é" * 64


BAD_NAMES = [
    ("", "give a name"),
    ("   \t ", "give a name"),
    ("x" * 65, "too long"),
    ("Sam\x00", "ordinary letters"),
    ("Sam\x1b[31mRed", "ordinary letters"),
    ("Sam\u202eevil", "ordinary letters"),
    ("Sam\x7f", "ordinary letters"),
]


async def test_rename_refuses_bad_names_and_changes_nothing(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await join_team(uow, config, clock, 5)
    before = await snapshot(uow)

    for name, message in BAD_NAMES:
        with refusing(InvalidInput, match=message):
            await people.rename(uow(), telegram_id=5, name=name, config=config)

    assert await snapshot(uow) == before


async def test_a_stranger_cannot_rename(uow: Uow, config: RotaConfig) -> None:
    with pytest.raises(NotRegistered):
        await people.rename(uow(), telegram_id=77, name="Sam", config=config)


async def test_save_phone_keeps_the_senders_own_number(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    volunteer = await join_team(uow, config, clock, 5)

    await people.save_phone(
        uow(), telegram_id=5, phone=" +44 7700 900123 ", contact_user_id=5, config=config
    )

    assert (await volunteer_row(uow, volunteer.id)).phone == "+44 7700 900123"


BAD_PHONES = [
    ("+44 7700 900123", 6, "your own number"),
    ("+44 7700 900123", None, "your own number"),
    ("call me maybe", 5, "phone number"),
    ("+1" + "2" * 40, 5, "phone number"),
]


async def test_save_phone_refuses_other_peoples_contacts_and_junk(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await join_team(uow, config, clock, 5)
    await join_team(uow, config, clock, 6)
    before = await snapshot(uow)

    for phone, contact_user_id, message in BAD_PHONES:
        with refusing(InvalidInput, match=message):
            await people.save_phone(
                uow(), telegram_id=5, phone=phone, contact_user_id=contact_user_id, config=config
            )

    assert await snapshot(uow) == before


async def test_forget_me_anonymises_the_volunteer(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    volunteer = await join_team(uow, config, clock, 5, tags=["trained", "lead"], username="sam")
    await people.save_phone(
        uow(), telegram_id=5, phone="07700 900123", contact_user_id=5, config=config
    )

    await people.forget_me(uow(), telegram_id=5, config=config, now=clock.now())

    row = await volunteer_row(uow, volunteer.id)
    assert (row.telegram_id, row.username, row.phone, row.tags, row.status) == (
        None,
        None,
        None,
        "",
        "removed",
    )
    assert row.display_name == FORMER_VOLUNTEER


async def test_forget_me_frees_upcoming_shifts_and_promotes_the_waitlist(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await first_session(uow, config, clock)
    dropin = role_id(board, "dropin")
    for telegram_id in (5, 6, 7):
        await join_team(uow, config, clock, telegram_id)
    await join(uow, config, clock, 5, dropin)
    await join(uow, config, clock, 6, dropin)
    await wait(uow, config, clock, 7, dropin)

    forgotten = await people.forget_me(uow(), telegram_id=5, config=config, now=clock.now())

    assert forgotten.shifts == 1
    assert await signup_states(uow) == [
        (None, "dropin", board.session.id, "withdrawn"),
        (6, "dropin", board.session.id, "confirmed"),
        (7, "dropin", board.session.id, "confirmed"),
    ]
    assert await filled(uow, dropin) == 2
    assert await outbox(uow) == [("promoted", 7, "pending")]


async def test_forget_me_deletes_pending_messages_to_their_chat(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await join_team(uow, config, clock, 5)
    async with uow() as u:
        await u.outbox.add(
            Notice(payload=raw("reminder"), chat_id=5), now=clock.now(), due_at=None
        )
        await u.outbox.add(
            Notice(payload=raw("reminder"), chat_id=6), now=clock.now(), due_at=None
        )
        await u.commit()

    await people.forget_me(uow(), telegram_id=5, config=config, now=clock.now())

    assert await outbox(uow) == [("reminder", 6, "pending")]


async def test_a_forgotten_volunteer_is_a_stranger(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await join_team(uow, config, clock, 5)

    await people.forget_me(uow(), telegram_id=5, config=config, now=clock.now())

    actor = await people.who_is(uow(), telegram_id=5, config=config)
    assert actor.volunteer is None
    with pytest.raises(NotRegistered):
        await signups.my_shifts(uow(), telegram_id=5, config=config, now=clock.now())
    with pytest.raises(NotRegistered):
        await people.forget_me(uow(), telegram_id=5, config=config, now=clock.now())
    assert len((await snapshot(uow))[VolunteerRow.__tablename__]) == 1
