"""Sign-ups: joining roles, waitlists, withdrawing, promotion and late-notice alerts."""

from __future__ import annotations

import dataclasses
import datetime as dtm
import json

import pytest
from sqlalchemy import select

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.errors import (
    AlreadySignedUp,
    NotEligible,
    NotFound,
    NotRegistered,
    NotSignedUp,
    RoleFull,
    SessionClosed,
)
from rota.people import membership as people
from rota.people.model import COORDINATOR_TAG
from rota.roster import sessions, signups
from rota.roster.model import SessionBoard
from rota.storage.tables import OutboxRow
from tests.conftest import ADMIN_ID
from tests.refusing import refusing
from tests.services.helpers import (
    Uow,
    admin_starts,
    boards,
    fetch,
    filled,
    first_session,
    join,
    join_team,
    outbox,
    role_id,
    signup_states,
    snapshot,
    wait,
    withdraw,
)

TEAM_CHAT = -100_555


async def _setup(
    uow: Uow, config: RotaConfig, clock: FakeClock, *telegram_ids: int
) -> SessionBoard:
    """The first session, and trained volunteers with these Telegram ids."""
    board = await first_session(uow, config, clock)
    for telegram_id in telegram_ids:
        await join_team(uow, config, clock, telegram_id)
    return board


# --- joining ---------------------------------------------------------------------------------


async def test_join_role_takes_a_place(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    board = await _setup(uow, config, clock, 5)
    walker = role_id(board, "walker")

    out = await join(uow, config, clock, 5, walker)

    assert await signup_states(uow) == [(5, "walker", board.session.id, "confirmed")]
    assert await filled(uow, walker) == 1
    assert (out.role.filled, out.board.mine) == (1, out.signup)


async def test_role_requiring_tags_refuses_a_volunteer_without_any_of_them(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await first_session(uow, config, clock)
    await join_team(uow, config, clock, 5, tags=["lead"])
    before = await snapshot(uow)

    with refusing(NotEligible, match="'new or trained'"):
        await join(uow, config, clock, 5, role_id(board, "walker"))

    assert await snapshot(uow) == before


@pytest.mark.parametrize("tag", ["trained", "new"])
async def test_role_requiring_tags_takes_anyone_with_one_of_them(
    uow: Uow, config: RotaConfig, clock: FakeClock, tag: str
) -> None:
    board = await first_session(uow, config, clock)
    await join_team(uow, config, clock, 5, tags=[tag])

    await join(uow, config, clock, 5, role_id(board, "walker"))

    assert await signup_states(uow) == [(5, "walker", board.session.id, "confirmed")]


async def test_role_without_requirements_takes_anyone(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await first_session(uow, config, clock)
    await join_team(uow, config, clock, 5, tags=[])

    await join(uow, config, clock, 5, role_id(board, "dropin"))

    assert await signup_states(uow) == [(5, "dropin", board.session.id, "confirmed")]


async def test_bootstrap_admin_counts_as_coordinator_for_oncall_even_without_the_tag(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await first_session(uow, config, clock)
    await admin_starts(uow, config, clock)
    await people.retag(
        uow(),
        telegram_id=ADMIN_ID,
        who="@ada",
        tags=frozenset({COORDINATOR_TAG}),
        add=False,
        config=config,
    )

    await join(uow, config, clock, ADMIN_ID, role_id(board, "oncall"))

    assert await signup_states(uow) == [(ADMIN_ID, "oncall", board.session.id, "confirmed")]


async def test_a_stranger_cannot_join(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    board = await first_session(uow, config, clock)

    with pytest.raises(NotRegistered):
        await join(uow, config, clock, 77, role_id(board, "dropin"))

    assert await signup_states(uow) == []


async def test_joining_an_unknown_role_is_not_found(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await _setup(uow, config, clock, 5)

    with pytest.raises(NotFound):
        await join(uow, config, clock, 5, 999_999)


@pytest.mark.parametrize("second_role", ["walker", "dropin"])
async def test_one_role_per_session(
    uow: Uow, config: RotaConfig, clock: FakeClock, second_role: str
) -> None:
    board = await _setup(uow, config, clock, 5)
    await join(uow, config, clock, 5, role_id(board, "walker"))
    before = await snapshot(uow)

    with refusing(AlreadySignedUp, match="already down as"):
        await join(uow, config, clock, 5, role_id(board, second_role))
    with pytest.raises(AlreadySignedUp):
        await wait(uow, config, clock, 5, role_id(board, second_role))

    assert await snapshot(uow) == before


async def test_waitlisted_volunteer_cannot_also_join_another_role(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await _setup(uow, config, clock, 5, 6, 7)
    dropin = role_id(board, "dropin")
    await join(uow, config, clock, 5, dropin)
    await join(uow, config, clock, 6, dropin)
    await wait(uow, config, clock, 7, dropin)

    with refusing(AlreadySignedUp, match="already on the waitlist"):
        await wait(uow, config, clock, 7, dropin)
    with refusing(AlreadySignedUp, match="already down as Drop-in"):
        await join(uow, config, clock, 7, role_id(board, "walker"))

    assert len(await signup_states(uow)) == 3


async def test_same_volunteer_may_join_different_sessions(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await join_team(uow, config, clock, 5)
    first, second, _ = await boards(uow, config, clock)

    await join(uow, config, clock, 5, role_id(first, "dropin"))
    await join(uow, config, clock, 5, role_id(second, "dropin"))

    assert [s[2] for s in await signup_states(uow)] == [first.session.id, second.session.id]


async def test_full_role_raises_role_full_and_stores_nothing(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await _setup(uow, config, clock, 5, 6, 7)
    walker = role_id(board, "walker")
    await join(uow, config, clock, 5, walker)
    await join(uow, config, clock, 6, walker)
    before = await snapshot(uow)

    with refusing(RoleFull, match="waitlist"):
        await join(uow, config, clock, 7, walker)

    assert await snapshot(uow) == before
    assert await filled(uow, walker) == 2


async def test_join_waitlist_queues_in_order(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await _setup(uow, config, clock, 5, 6, 7, 8)
    dropin = role_id(board, "dropin")
    await join(uow, config, clock, 5, dropin)
    await join(uow, config, clock, 6, dropin)

    await wait(uow, config, clock, 8, dropin)
    clock.advance(minutes=1)
    await wait(uow, config, clock, 7, dropin)

    sid = board.session.id
    assert await signup_states(uow) == [
        (5, "dropin", sid, "confirmed"),
        (6, "dropin", sid, "confirmed"),
        (8, "dropin", sid, "waitlisted"),
        (7, "dropin", sid, "waitlisted"),
    ]
    assert await filled(uow, dropin) == 2
    shifts = await signups.my_shifts(uow(), telegram_id=7, config=config, now=clock.now())
    assert [s.waitlist_position for s in shifts] == [2]


async def test_join_waitlist_takes_a_free_place_directly(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await _setup(uow, config, clock, 5, 6)
    dropin = role_id(board, "dropin")
    await join(uow, config, clock, 5, dropin)

    out = await wait(uow, config, clock, 6, dropin)

    assert out.signup.status.value == "confirmed"
    assert [s[3] for s in await signup_states(uow)] == ["confirmed", "confirmed"]
    assert await filled(uow, dropin) == 2


# --- withdrawing -----------------------------------------------------------------------------


async def test_withdraw_frees_the_place(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    board = await _setup(uow, config, clock, 5, 6)
    walker = role_id(board, "walker")
    await join(uow, config, clock, 6, walker)
    out = await join(uow, config, clock, 5, walker)

    result = await withdraw(uow, config, clock, 5, out.signup.id)

    assert (result.promoted, result.late) == (None, False)
    assert await filled(uow, walker) == 1
    assert [s[3] for s in await signup_states(uow)] == ["confirmed", "withdrawn"]
    assert await outbox(uow) == []


async def test_withdrawing_from_the_waitlist_keeps_the_places(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await _setup(uow, config, clock, 5, 6, 7)
    dropin = role_id(board, "dropin")
    await join(uow, config, clock, 5, dropin)
    await join(uow, config, clock, 6, dropin)
    queued = await wait(uow, config, clock, 7, dropin)
    clock.advance(hours=30)  # late, but a waitlist spot is no loss to the night

    result = await withdraw(uow, config, clock, 7, queued.signup.id)

    assert (result.promoted, result.late) == (None, False)
    assert await filled(uow, dropin) == 2
    assert [s[3] for s in await signup_states(uow)] == ["confirmed", "confirmed", "withdrawn"]
    assert await outbox(uow) == []


async def test_withdraw_promotes_the_first_waitlisted_volunteer_and_tells_them(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await _setup(uow, config, clock, 5, 6, 7, 8)
    walker = role_id(board, "walker")
    out = await join(uow, config, clock, 5, walker)
    await join(uow, config, clock, 6, walker)
    await wait(uow, config, clock, 7, walker)
    await wait(uow, config, clock, 8, walker)

    result = await withdraw(uow, config, clock, 5, out.signup.id)

    assert result.promoted is not None
    assert result.promoted.telegram_id == 7
    assert [s[3] for s in await signup_states(uow)] == [
        "withdrawn",
        "confirmed",
        "confirmed",
        "waitlisted",
    ]
    assert await filled(uow, walker) == 2
    assert await outbox(uow) == [("promoted", 7, "pending")]
    (payload,) = await fetch(uow, select(OutboxRow.payload))
    assert json.loads(payload[0]) == {
        "session_id": board.session.id,
        "starts_at": "2026-12-02T19:00:00+00:00",
        "ends_at": "2026-12-02T23:00:00+00:00",
        "meeting_point": "St Anne's Hall",
        "role": "Walker",
    }


async def test_promotion_skips_a_waitlisted_volunteer_who_lost_the_required_tag(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await _setup(uow, config, clock, 5, 6, 7, 8)
    walker = role_id(board, "walker")
    out = await join(uow, config, clock, 5, walker)
    await join(uow, config, clock, 6, walker)
    await wait(uow, config, clock, 7, walker)
    await wait(uow, config, clock, 8, walker)
    await people.retag(
        uow(),
        telegram_id=ADMIN_ID,
        who="7",
        tags=frozenset({"trained"}),
        add=False,
        config=config,
    )

    result = await withdraw(uow, config, clock, 5, out.signup.id)

    assert result.promoted is not None
    assert result.promoted.telegram_id == 8
    assert [s[3] for s in await signup_states(uow)] == [
        "withdrawn",
        "confirmed",
        "waitlisted",  # stays queued; a coordinator may re-tag them
        "confirmed",
    ]
    assert await filled(uow, walker) == 2
    assert await outbox(uow) == [("promoted", 8, "pending")]


async def test_withdraw_with_only_ineligible_waitlisters_frees_the_place(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await _setup(uow, config, clock, 5, 6, 7)
    walker = role_id(board, "walker")
    out = await join(uow, config, clock, 5, walker)
    await join(uow, config, clock, 6, walker)
    await wait(uow, config, clock, 7, walker)
    await people.retag(
        uow(), telegram_id=ADMIN_ID, who="7", tags=frozenset({"trained"}), add=False, config=config
    )

    result = await withdraw(uow, config, clock, 5, out.signup.id)

    assert result.promoted is None
    assert await filled(uow, walker) == 1
    assert await outbox(uow) == []


async def test_late_withdrawal_alerts_every_coordinator_and_the_team_chat(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    config = dataclasses.replace(config, team_chat_id=TEAM_CHAT)
    board = await _setup(uow, config, clock, 5)
    await join_team(uow, config, clock, 600, tags=[COORDINATOR_TAG])
    await join_team(uow, config, clock, 601, tags=[COORDINATOR_TAG, "trained"])
    out = await join(uow, config, clock, 5, role_id(board, "walker"))
    clock.set(board.session.starts_at - dtm.timedelta(hours=47, minutes=59))

    result = await withdraw(uow, config, clock, 5, out.signup.id)

    assert result.late is True
    assert sorted(await outbox(uow), key=lambda r: r[1]) == [
        ("late_withdrawal", TEAM_CHAT, "pending"),
        ("late_withdrawal", 600, "pending"),
        ("late_withdrawal", 601, "pending"),
        ("late_withdrawal", ADMIN_ID, "pending"),
    ]
    payloads = {json.loads(r[0])["volunteer"] for r in await fetch(uow, select(OutboxRow.payload))}
    assert payloads == {"Vol5"}


async def test_late_withdrawal_without_a_team_chat_alerts_only_coordinators(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await _setup(uow, config, clock, 5)
    out = await join(uow, config, clock, 5, role_id(board, "walker"))
    clock.set(board.session.starts_at - dtm.timedelta(hours=1))

    await withdraw(uow, config, clock, 5, out.signup.id)

    assert await outbox(uow) == [("late_withdrawal", ADMIN_ID, "pending")]


async def test_withdrawal_exactly_48h_before_is_not_late(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    config = dataclasses.replace(config, team_chat_id=TEAM_CHAT)
    board = await _setup(uow, config, clock, 5)
    out = await join(uow, config, clock, 5, role_id(board, "walker"))
    clock.set(board.session.starts_at - dtm.timedelta(hours=48))

    result = await withdraw(uow, config, clock, 5, out.signup.id)

    assert result.late is False
    assert await outbox(uow) == []


async def test_withdrawing_someone_elses_signup_is_refused(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await _setup(uow, config, clock, 5, 6)
    out = await join(uow, config, clock, 5, role_id(board, "walker"))
    before = await snapshot(uow)

    with pytest.raises(NotSignedUp):
        await withdraw(uow, config, clock, 6, out.signup.id)
    with pytest.raises(NotSignedUp):
        await withdraw(uow, config, clock, 6, 999_999)

    assert await snapshot(uow) == before


async def test_withdrawing_twice_is_refused(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await _setup(uow, config, clock, 5, 6)
    walker = role_id(board, "walker")
    out = await join(uow, config, clock, 5, walker)
    await join(uow, config, clock, 6, walker)
    await withdraw(uow, config, clock, 5, out.signup.id)
    before = await snapshot(uow)

    with refusing(NotSignedUp, match="already withdrawn"):
        await withdraw(uow, config, clock, 5, out.signup.id)

    assert await snapshot(uow) == before
    assert await filled(uow, walker) == 1


async def test_withdrawing_after_the_session_started_is_refused(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await _setup(uow, config, clock, 5)
    out = await join(uow, config, clock, 5, role_id(board, "walker"))
    clock.set(board.session.starts_at)
    before = await snapshot(uow)

    with refusing(SessionClosed, match="already started"):
        await withdraw(uow, config, clock, 5, out.signup.id)

    assert await snapshot(uow) == before


# --- closed sessions -------------------------------------------------------------------------


async def test_a_cancelled_session_refuses_joins(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await _setup(uow, config, clock, 5)
    await sessions.cancel_session(
        uow(), telegram_id=ADMIN_ID, day="2026-12-02", config=config, now=clock.now()
    )

    with refusing(SessionClosed, match="cancelled"):
        await join(uow, config, clock, 5, role_id(board, "dropin"))
    with refusing(SessionClosed, match="cancelled"):
        await wait(uow, config, clock, 5, role_id(board, "dropin"))

    assert await signup_states(uow) == []


async def test_a_started_session_refuses_joins(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await _setup(uow, config, clock, 5)
    clock.set(board.session.starts_at + dtm.timedelta(minutes=1))

    with refusing(SessionClosed, match="already started"):
        await join(uow, config, clock, 5, role_id(board, "dropin"))
    with refusing(SessionClosed, match="already started"):
        await wait(uow, config, clock, 5, role_id(board, "dropin"))

    assert await signup_states(uow) == []
    assert await filled(uow, role_id(board, "dropin")) == 0


# --- my shifts -------------------------------------------------------------------------------


async def test_my_shifts_lists_upcoming_shifts_soonest_first_with_waitlist_positions(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    for telegram_id in (5, 6, 7):
        await join_team(uow, config, clock, telegram_id)
    first, second, third = await boards(uow, config, clock)
    await join(uow, config, clock, 5, role_id(third, "walker"))
    await join(uow, config, clock, 6, role_id(first, "dropin"))
    await join(uow, config, clock, 7, role_id(first, "dropin"))
    await wait(uow, config, clock, 5, role_id(first, "dropin"))
    await join(uow, config, clock, 5, role_id(second, "dropin"))

    shifts = await signups.my_shifts(uow(), telegram_id=5, config=config, now=clock.now())

    assert [(s.session.id, s.entry.role.key, s.waitlist_position) for s in shifts] == [
        (first.session.id, "dropin", 1),
        (second.session.id, "dropin", None),
        (third.session.id, "walker", None),
    ]


async def test_my_shifts_leaves_out_past_cancelled_and_withdrawn_shifts(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await join_team(uow, config, clock, 5)
    first, second, third = await boards(uow, config, clock)
    await join(uow, config, clock, 5, role_id(first, "dropin"))
    await join(uow, config, clock, 5, role_id(second, "dropin"))
    gone = await join(uow, config, clock, 5, role_id(third, "dropin"))
    await withdraw(uow, config, clock, 5, gone.signup.id)
    await sessions.cancel_session(
        uow(), telegram_id=ADMIN_ID, day="2026-12-09", config=config, now=clock.now()
    )
    clock.set(first.session.starts_at)

    shifts = await signups.my_shifts(uow(), telegram_id=5, config=config, now=clock.now())

    assert shifts == []
