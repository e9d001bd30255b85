"""The day-before reminder: sent once to each confirmed volunteer, and its three answers."""

from __future__ import annotations

import asyncio
import datetime as dtm

import pytest

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.errors import NotRegistered, NotSignedUp, SessionClosed
from rota.roster import sessions, signups
from rota.staffing import services as staffing
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from tests.conftest import ADMIN_ID, DbInfo
from tests.refusing import refusing, worded
from tests.services.helpers import Uow, snapshot, wait, withdraw
from tests.staffing.support import (
    CORA,
    DEE,
    DOT,
    FULL_NIGHT,
    LENA,
    NELL,
    START,
    TEAM_CHAT,
    TESS,
    TIA,
    UMA,
    before,
    chats,
    filled,
    make_night,
    milestones,
    outbox_rows,
    reminder_answers,
    roster,
    tick,
    with_team_chat,
)

ON_THE_NIGHT = sorted(FULL_NIGHT)


async def test_nothing_is_sent_before_the_reminder_time(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock)

    await tick(uow, config, clock, before(30))
    await tick(uow, config, clock, before(24) - dtm.timedelta(seconds=1))

    assert await outbox_rows(uow, "reminder") == []
    assert "reminder" not in await milestones(uow, night.session_id)


async def test_the_reminder_goes_once_to_each_confirmed_volunteer(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock)
    await wait(uow, config, clock, UMA, night.role("walker"))  # waitlisted: no reminder

    await tick(uow, config, clock, before(24))
    await tick(uow, config, clock, before(23))
    await tick(uow, config, clock, before(1))

    rows = await outbox_rows(uow, "reminder")
    assert sorted(r.chat_id for r in rows) == ON_THE_NIGHT
    tia = next(r for r in rows if r.chat_id == TIA)
    assert tia.payload == {
        "session_id": night.session_id,
        "starts_at": START.isoformat(),
        "ends_at": (START + dtm.timedelta(hours=4)).isoformat(),
        "meeting_point": "St Anne's Hall",
        "days": 1,
        "role": "Walker",
        "name": "Tia",
    }
    assert tia.dedupe_key == f"reminder:{night.session_id}:{night.people[TIA].id}"
    assert await reminder_answers(uow) == dict.fromkeys(ON_THE_NIGHT, "asked")
    assert "reminder" in await milestones(uow, night.session_id)


async def test_two_workers_at_once_send_one_reminder_each(
    db: DbInfo, uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await make_night(uow, config, clock)
    clock.set(before(24))
    other_engine = db.engine()
    try:
        other = SqlAlchemyUnitOfWorkFactory(other_engine)
        done = await asyncio.gather(
            *(
                staffing.send_reminders(worker, config=config, now=clock.now())
                for worker in (uow, other, uow, other)
            )
        )
    finally:
        await other_engine.dispose()

    assert sorted(done) == [0, 0, 0, len(ON_THE_NIGHT) + 1]  # the winner: 5 notices + claim
    assert await chats(uow, "reminder") == ON_THE_NIGHT


async def test_someone_joining_after_the_reminder_went_out_gets_none(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock)
    await tick(uow, config, clock, before(24))
    await signups.join_role(
        uow(), telegram_id=UMA, role_id=night.role("dropin"), config=config, now=clock.now()
    )

    await tick(uow, config, clock, before(20))

    assert await chats(uow, "reminder") == ON_THE_NIGHT


async def test_a_worker_down_until_briefing_time_sends_no_reminder(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock)

    await tick(uow, config, clock, before(3))  # send_before is 3h: the briefing's turn
    await tick(uow, config, clock, before(2))

    assert await outbox_rows(uow, "reminder") == []
    assert "reminder" in await milestones(uow, night.session_id)


async def test_a_late_reminder_says_later_today(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await make_night(uow, config, clock)

    await tick(uow, config, clock, before(5))  # the bot was down at 19:00 yesterday

    assert {r.payload["days"] for r in await outbox_rows(uow, "reminder")} == {0}


async def test_a_cancelled_session_gets_no_reminder(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await make_night(uow, config, clock)
    await sessions.cancel_session(
        uow(), telegram_id=ADMIN_ID, day="2026-12-02", config=config, now=clock.now()
    )

    await tick(uow, config, clock, before(24))

    assert await outbox_rows(uow, "reminder") == []


# --- Still coming ----------------------------------------------------------------------------


async def test_still_coming_records_the_answer(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock)
    await tick(uow, config, clock, before(24))
    clock.set(before(23))

    shift = await staffing.still_coming(
        uow(), telegram_id=TIA, session_id=night.session_id, config=config, now=clock.now()
    )
    again = await staffing.still_coming(
        uow(), telegram_id=TIA, session_id=night.session_id, config=config, now=clock.now()
    )

    assert (shift.role.label, shift.volunteer.display_name, shift.late) == ("Walker", "Tia", True)
    assert again.signup == shift.signup
    answers = await reminder_answers(uow)
    assert answers[TIA] == "coming"
    assert answers[TESS] == "asked"
    assert (await roster(uow, night.session_id))[TIA] == ("walker", "confirmed")


async def test_cant_make_it_only_asks(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    night = await make_night(uow, config, clock)
    await tick(uow, config, clock, before(24))
    before_press = await snapshot(uow)

    shift = await staffing.cant_make_it(
        uow(), telegram_id=TIA, session_id=night.session_id, config=config, now=clock.now()
    )

    assert shift.signup.id == night.signups[TIA]
    assert await snapshot(uow) == before_press


@pytest.mark.parametrize(
    "answer", [staffing.still_coming, staffing.cant_make_it, staffing.withdraw_after_reminder]
)
async def test_reminder_buttons_refuse_anyone_not_reminded(
    uow: Uow, config: RotaConfig, clock: FakeClock, answer: object
) -> None:
    night = await make_night(uow, config, clock)
    await tick(uow, config, clock, before(24))
    unchanged = await snapshot(uow)
    assert callable(answer)

    cases = [
        (DOT, night.session_id, NotSignedUp, "That reminder wasn't sent to you."),  # not on it
        (TIA, night.session_id + 1, NotSignedUp, "That reminder wasn't sent to you."),  # forged
        (TIA, 999_999, NotSignedUp, "That reminder wasn't sent to you."),
        (TIA, 2**40, NotSignedUp, "That reminder wasn't sent to you."),  # no 32-bit id
        (777, night.session_id, NotRegistered, None),  # a stranger
    ]
    for who, session_id, error, message in cases:
        with pytest.raises(error) as refused:
            await answer(
                uow(), telegram_id=who, session_id=session_id, config=config, now=clock.now()
            )
        if message:
            assert worded(refused.value) == message

    assert await snapshot(uow) == unchanged


async def test_reminder_buttons_refuse_once_the_session_started(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock)
    await tick(uow, config, clock, before(24))
    clock.set(START)
    unchanged = await snapshot(uow)

    for answer in (staffing.still_coming, staffing.withdraw_after_reminder):
        with pytest.raises(SessionClosed):
            await answer(
                uow(), telegram_id=TIA, session_id=night.session_id, config=config, now=START
            )

    assert await snapshot(uow) == unchanged


async def test_reminder_buttons_refuse_after_withdrawing_elsewhere(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock)
    await tick(uow, config, clock, before(24))
    await withdraw(uow, config, clock, TIA, night.signups[TIA])  # through /myshifts
    unchanged = await snapshot(uow)

    with refusing(NotSignedUp, match="no longer down for that session"):
        await staffing.still_coming(
            uow(), telegram_id=TIA, session_id=night.session_id, config=config, now=clock.now()
        )

    assert await snapshot(uow) == unchanged


# --- Can't make it -> withdraw ---------------------------------------------------------------


async def test_withdrawing_from_the_reminder_promotes_and_alerts(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    config = with_team_chat(config)
    night = await make_night(uow, config, clock)
    await wait(uow, config, clock, UMA, night.role("walker"))
    await tick(uow, config, clock, before(24))

    outcome = await staffing.withdraw_after_reminder(
        uow(), telegram_id=TIA, session_id=night.session_id, config=config, now=clock.now()
    )

    assert outcome.late is True
    assert outcome.promoted is not None
    assert outcome.promoted.display_name == "Uma"
    on_it = await roster(uow, night.session_id)
    assert TIA not in on_it
    assert on_it[UMA] == ("walker", "confirmed")
    assert (await filled(uow, night.session_id))["walker"] == 2
    assert await chats(uow, "promoted") == [UMA]
    assert await chats(uow, "late_withdrawal") == sorted([CORA, DOT, ADMIN_ID, TEAM_CHAT])
    (late,) = [r for r in await outbox_rows(uow, "late_withdrawal") if r.chat_id == TEAM_CHAT]
    assert (late.payload["volunteer"], late.payload["promoted"]) == ("Tia", "Uma")
    assert (await reminder_answers(uow))[TIA] == "withdrawn"

    unchanged = await snapshot(uow)
    with pytest.raises(NotSignedUp):  # the second tap of a double tap
        await staffing.withdraw_after_reminder(
            uow(), telegram_id=TIA, session_id=night.session_id, config=config, now=clock.now()
        )
    assert await snapshot(uow) == unchanged


async def test_withdrawing_with_nobody_waiting_frees_the_place(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock)
    await tick(uow, config, clock, before(24))

    outcome = await staffing.withdraw_after_reminder(
        uow(), telegram_id=DEE, session_id=night.session_id, config=config, now=clock.now()
    )

    assert outcome.promoted is None
    assert (await filled(uow, night.session_id))["dropin"] == 0
    assert await chats(uow, "late_withdrawal") == sorted([CORA, DOT, ADMIN_ID])
    assert {r.payload["promoted"] for r in await outbox_rows(uow, "late_withdrawal")} == {None}
    assert LENA in await roster(uow, night.session_id)
    assert NELL not in await reminder_answers(uow)
