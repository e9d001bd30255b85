"""Cover requests: who is asked, the first acceptance wins (also in a race), and every refusal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from rota.kernel import delivery
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.errors import (
    AlreadySignedUp,
    DomainError,
    NotEligible,
    NotRegistered,
    NotSignedUp,
    SessionClosed,
)
from rota.people import membership as people
from rota.roster import sessions, signups
from rota.staffing import services as staffing
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from tests.conftest import ADMIN_ID, DbInfo
from tests.refusing import refusing, worded
from tests.services.helpers import Uow, snapshot, wait, withdraw
from tests.staffing.support import (
    CORA,
    DAN,
    DEE,
    DOT,
    LENA,
    NELL,
    START,
    TESS,
    TIA,
    UMA,
    VERA,
    Night,
    before,
    chats,
    deliver,
    filled,
    make_night,
    offered,
    outbox_rows,
    reminder_answers,
    requests,
    roster,
    tick,
)

WALKER_CANDIDATES = [NELL, UMA, VERA]  # trained or new, and not on Wed 2 Dec already
Call = Callable[[], Awaitable[Any]]


async def _night(uow: Uow, config: RotaConfig, clock: FakeClock, hours: float = 60) -> Night:
    """The full night, with the clock `hours` before the start (60: not late notice yet)."""
    night = await make_night(uow, config, clock)
    clock.set(before(hours))
    return night


async def _ask(uow: Uow, config: RotaConfig, clock: FakeClock, who: int, signup: int) -> Any:
    return await staffing.request_cover(
        uow(), telegram_id=who, signup_id=signup, config=config, now=clock.now()
    )


async def _accept(uow: Uow, config: RotaConfig, clock: FakeClock, who: int, request: int) -> Any:
    return await staffing.accept_cover(
        uow(), telegram_id=who, request_id=request, config=config, now=clock.now()
    )


async def _refused(
    uow: Uow, call: Call, error: type[DomainError], match: str | None = None
) -> str:
    """The call is refused with `error`, and not one row anywhere changed."""
    unchanged = await snapshot(uow)
    with refusing(error, match=match) as refused:
        await call()
    assert await snapshot(uow) == unchanged
    return worded(refused.value)


async def _warm_pool(uow: Uow, connections: int) -> None:
    """Open connections up front, so racers start together instead of queueing to connect."""

    async def hold() -> None:
        async with uow.engine.connect():
            await asyncio.sleep(0.02)

    await asyncio.gather(*(hold() for _ in range(connections)))


# --- asking ------------------------------------------------------------------------------------


async def test_a_request_asks_everyone_eligible_and_nobody_else(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await _night(uow, config, clock)
    await people.remove_volunteer(
        uow(), telegram_id=ADMIN_ID, who="Vera", config=config, now=clock.now()
    )

    asked = await _ask(uow, config, clock, TIA, night.signups[TIA])

    assert (asked.asked, asked.role.label) == (2, "Walker")
    assert await offered(uow, asked.request.id) == [NELL, UMA]  # not Vera: removed
    rows = await outbox_rows(uow, "cover_offer")
    assert sorted(r.chat_id for r in rows) == [NELL, UMA]
    assert rows[0].payload == {
        "session_id": night.session_id,
        "starts_at": START.isoformat(),
        "ends_at": rows[0].payload["ends_at"],
        "meeting_point": "St Anne's Hall",
        "request_id": asked.request.id,
        "role": "Walker",
        "requester": "Tia",
    }
    assert {(r.ref_kind, r.ref_id) for r in rows} == {("cover", asked.request.id)}
    (request,) = await requests(uow)
    assert (request.state, request.requester_id) == ("open", night.people[TIA].id)
    assert (await roster(uow, night.session_id))[TIA] == ("walker", "confirmed")  # still on


async def test_a_role_anyone_can_do_is_offered_to_the_whole_team_off_the_rota(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await _night(uow, config, clock)

    asked = await _ask(uow, config, clock, DEE, night.signups[DEE])

    assert await offered(uow, asked.request.id) == sorted([DAN, DOT, NELL, UMA, VERA])


async def test_cover_choices_list_confirmed_shifts_with_their_open_requests(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await _night(uow, config, clock)
    next_week = (
        await sessions.upcoming_boards(uow(), telegram_id=None, config=config, now=clock.now())
    )[1]
    await signups.join_role(
        uow(), telegram_id=TIA, role_id=next_week.roles[2].id, config=config, now=clock.now()
    )
    await wait(uow, config, clock, UMA, night.role("walker"))
    asked = await _ask(uow, config, clock, TIA, night.signups[TIA])

    tia = await staffing.cover_choices(uow(), telegram_id=TIA, config=config, now=clock.now())
    uma = await staffing.cover_choices(uow(), telegram_id=UMA, config=config, now=clock.now())

    assert [(c.session.id, c.entry.role.key, c.request) for c in tia] == [
        (night.session_id, "walker", asked.request),
        (next_week.session.id, "dropin", None),
    ]
    assert uma == []  # a waitlist spot has no place to hand on


# --- taking ------------------------------------------------------------------------------------


async def test_the_first_to_accept_takes_the_place(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await _night(uow, config, clock)
    asked = await _ask(uow, config, clock, TIA, night.signups[TIA])
    offers = await outbox_rows(uow, "cover_offer")
    await deliver(uow, offers, clock.now())

    taken = await _accept(uow, config, clock, UMA, asked.request.id)

    assert (taken.role.label, taken.requester) == ("Walker", "Tia")
    on_it = await roster(uow, night.session_id)
    assert TIA not in on_it
    assert on_it[UMA] == ("walker", "confirmed")
    assert (await filled(uow, night.session_id))["walker"] == 2
    (request,) = await requests(uow)
    assert (request.state, request.taken_by) == ("taken", night.people[UMA].id)
    assert await chats(uow, "cover_found") == [TIA]
    (found,) = await outbox_rows(uow, "cover_found")
    assert (found.payload["by"], found.payload["role"]) == ("Uma", "Walker")
    edits = await outbox_rows(uow, "cover_taken")
    by_chat = {o.chat_id: o.id for o in offers}
    assert sorted((e.chat_id, e.edit_of) for e in edits) == sorted(
        (c, by_chat[c]) for c in WALKER_CANDIDATES if c != UMA
    )
    assert await outbox_rows(uow, "cover_swap") == []  # 60 h ahead: not late notice


async def test_a_late_swap_tells_the_coordinators(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await _night(uow, config, clock, hours=30)
    asked = await _ask(uow, config, clock, TIA, night.signups[TIA])

    await _accept(uow, config, clock, NELL, asked.request.id)

    assert await chats(uow, "cover_swap") == sorted([CORA, DOT, ADMIN_ID])
    (swap, *_) = await outbox_rows(uow, "cover_swap")
    assert (swap.payload["by"], swap.payload["requester"]) == ("Nell", "Tia")


async def test_offers_not_yet_delivered_are_dropped_not_edited(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await _night(uow, config, clock)
    asked = await _ask(uow, config, clock, TIA, night.signups[TIA])

    await _accept(uow, config, clock, UMA, asked.request.id)

    assert {(r.chat_id, r.state) for r in await outbox_rows(uow, "cover_offer")} == {
        (c, "cancelled") for c in WALKER_CANDIDATES
    }
    assert await outbox_rows(uow, "cover_taken") == []


async def test_offers_being_sent_when_the_place_is_taken_are_edited_once_they_arrive(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    """An offer in flight (claimed, not yet recorded) will arrive: it must not stay open."""
    night = await _night(uow, config, clock)
    asked = await _ask(uow, config, clock, TIA, night.signups[TIA])
    in_flight = await delivery.claim_due(uow(), now=clock.now())  # a worker is sending them
    assert {i.kind for i in in_flight} == {"cover_offer"}

    await _accept(uow, config, clock, UMA, asked.request.id)

    edits = await outbox_rows(uow, "cover_taken")
    by_chat = {i.chat_id: i.id for i in in_flight}
    assert sorted((e.chat_id, e.edit_of) for e in edits) == sorted(
        (c, by_chat[c]) for c in WALKER_CANDIDATES if c != UMA
    )
    # Until the offer is recorded as delivered, the edit waits for it.
    assert (await delivery.edit_target(uow(), by_chat[NELL])).on_its_way is True


async def test_later_presses_are_told_the_place_is_taken(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await _night(uow, config, clock)
    asked = await _ask(uow, config, clock, TIA, night.signups[TIA])
    await _accept(uow, config, clock, UMA, asked.request.id)

    later = await _refused(
        uow, lambda: _accept(uow, config, clock, NELL, asked.request.id), staffing.CoverUnavailable
    )
    again = await _refused(
        uow, lambda: _accept(uow, config, clock, UMA, asked.request.id), staffing.CoverUnavailable
    )

    assert later == "Someone else has already taken this place. Thanks anyway!"
    assert again == "You've already taken this place. Thank you!"


@pytest.mark.parametrize("separate_workers", [False, True])
async def test_two_people_accepting_at_the_same_moment_one_wins(
    db: DbInfo, uow: Uow, config: RotaConfig, clock: FakeClock, separate_workers: bool
) -> None:
    night = await _night(uow, config, clock)
    asked = await _ask(uow, config, clock, TIA, night.signups[TIA])
    other_engine = db.engine()
    other = SqlAlchemyUnitOfWorkFactory(other_engine) if separate_workers else uow
    await _warm_pool(uow, 3)
    try:
        results = await asyncio.gather(
            _accept(uow, config, clock, UMA, asked.request.id),
            _accept(other, config, clock, NELL, asked.request.id),
            _accept(uow, config, clock, VERA, asked.request.id),
            return_exceptions=True,
        )
    finally:
        await other_engine.dispose()

    won = [r for r in results if isinstance(r, staffing.CoverTaken)]
    lost = [r for r in results if not isinstance(r, staffing.CoverTaken)]
    assert len(won) == 1
    assert [type(r) for r in lost] == [staffing.CoverUnavailable] * 2
    assert [worded(r) for r in lost] == [
        "Someone else has already taken this place. Thanks anyway!"
    ] * 2
    winner = next(tid for tid, r in zip((UMA, NELL, VERA), results, strict=True) if r in won)
    on_it = await roster(uow, night.session_id)
    assert TIA not in on_it
    assert [tid for tid in WALKER_CANDIDATES if tid in on_it] == [winner]
    assert (await filled(uow, night.session_id))["walker"] == 2
    (request,) = await requests(uow)
    assert (request.state, request.taken_by) == ("taken", night.people[winner].id)
    assert await chats(uow, "cover_found") == [TIA]


# --- cancelling and lapsing -------------------------------------------------------------------


async def test_the_requester_can_take_the_request_back(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await _night(uow, config, clock)
    asked = await _ask(uow, config, clock, TIA, night.signups[TIA])
    offers = await outbox_rows(uow, "cover_offer")
    await deliver(uow, offers[:1], clock.now())  # one delivered, two still queued

    cancelled = await staffing.cancel_cover(
        uow(), telegram_id=TIA, request_id=asked.request.id, config=config, now=clock.now()
    )

    assert cancelled.role.label == "Walker"
    (request,) = await requests(uow)
    assert request.state == "cancelled"
    (edit,) = await outbox_rows(uow, "cover_closed")
    assert (edit.chat_id, edit.edit_of) == (offers[0].chat_id, offers[0].id)
    assert [r.state for r in await outbox_rows(uow, "cover_offer")][1:] == ["cancelled"] * 2
    await _refused(
        uow,
        lambda: _accept(uow, config, clock, UMA, asked.request.id),
        staffing.CoverUnavailable,
        "no longer needed",
    )
    assert (await roster(uow, night.session_id))[TIA] == ("walker", "confirmed")
    again = await _ask(uow, config, clock, TIA, night.signups[TIA])  # may ask again later
    assert again.request.id != asked.request.id


async def test_a_request_lapses_when_the_session_starts(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await _night(uow, config, clock)
    asked = await _ask(uow, config, clock, TIA, night.signups[TIA])
    await deliver(uow, await outbox_rows(uow, "cover_offer"), clock.now())

    await tick(uow, config, clock, before(1))
    assert (await requests(uow))[0].state == "open"
    await tick(uow, config, clock, START)
    await tick(uow, config, clock, START)

    assert (await requests(uow))[0].state == "closed"
    assert await chats(uow, "cover_closed") == WALKER_CANDIDATES
    message = await _refused(
        uow, lambda: _accept(uow, config, clock, UMA, asked.request.id), staffing.CoverUnavailable
    )
    assert message == "That cover request is no longer needed. Thanks anyway!"


async def test_a_request_lapses_when_the_requester_withdraws_elsewhere(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await _night(uow, config, clock)
    asked = await _ask(uow, config, clock, TIA, night.signups[TIA])
    await withdraw(uow, config, clock, TIA, night.signups[TIA])  # /myshifts

    await _refused(
        uow,
        lambda: _accept(uow, config, clock, UMA, asked.request.id),
        staffing.CoverUnavailable,
        "no longer needed",
    )
    await tick(uow, config, clock, clock.now())

    assert (await requests(uow))[0].state == "closed"
    assert UMA not in await roster(uow, night.session_id)


# --- from the reminder --------------------------------------------------------------------------


async def test_asking_for_cover_from_the_reminder_keeps_the_place(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock)
    await tick(uow, config, clock, before(24))

    asked = await staffing.cover_after_reminder(
        uow(), telegram_id=TIA, session_id=night.session_id, config=config, now=clock.now()
    )

    assert asked.asked == len(WALKER_CANDIDATES)
    assert (await reminder_answers(uow))[TIA] == "cover"
    assert (await roster(uow, night.session_id))[TIA] == ("walker", "confirmed")
    assert await outbox_rows(uow, "late_withdrawal") == []


async def test_still_coming_after_asking_for_cover_withdraws_the_request(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock)
    await tick(uow, config, clock, before(24))
    asked = await staffing.cover_after_reminder(
        uow(), telegram_id=TIA, session_id=night.session_id, config=config, now=clock.now()
    )

    await staffing.still_coming(
        uow(), telegram_id=TIA, session_id=night.session_id, config=config, now=clock.now()
    )

    assert (await requests(uow))[0].state == "cancelled"
    assert (await reminder_answers(uow))[TIA] == "coming"
    await _refused(
        uow,
        lambda: _accept(uow, config, clock, UMA, asked.request.id),
        staffing.CoverUnavailable,
    )


async def test_withdrawing_from_the_reminder_closes_an_open_request(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock)
    await tick(uow, config, clock, before(24))
    await staffing.cover_after_reminder(
        uow(), telegram_id=TIA, session_id=night.session_id, config=config, now=clock.now()
    )

    await staffing.withdraw_after_reminder(
        uow(), telegram_id=TIA, session_id=night.session_id, config=config, now=clock.now()
    )

    assert (await requests(uow))[0].state == "cancelled"
    assert await chats(uow, "late_withdrawal") == sorted([CORA, DOT, ADMIN_ID])


# --- refusals: nothing changes ------------------------------------------------------------------


async def test_asking_for_cover_refusals(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    night = await _night(uow, config, clock)
    waiting = await wait(uow, config, clock, UMA, night.role("walker"))

    def ask(who: int, signup: int) -> Call:
        return lambda: _ask(uow, config, clock, who, signup)

    assert await _refused(uow, ask(UMA, night.signups[TIA]), NotSignedUp) == (
        "That shift isn't yours, or you've already withdrawn from it."
    )
    await _refused(uow, ask(TIA, 999_999), NotSignedUp)
    await _refused(uow, ask(TIA, 2**40), NotSignedUp)
    await _refused(uow, ask(UMA, waiting.signup.id), NotSignedUp, "waitlist")
    await _refused(uow, ask(777, night.signups[TIA]), NotRegistered)
    only_lead = await _refused(uow, ask(LENA, night.signups[LENA]), staffing.CoverUnavailable)
    assert only_lead.startswith("Nobody else on the team can do Team lead that night")

    await _ask(uow, config, clock, TIA, night.signups[TIA])
    twice = await _refused(uow, ask(TIA, night.signups[TIA]), staffing.CoverUnavailable)
    assert twice == (
        "You've already asked for cover for this shift. I'll tell you when someone takes it."
    )

    clock.set(START)
    await _refused(uow, ask(TESS, night.signups[TESS]), SessionClosed, "already started")


async def test_a_double_tap_racing_opens_one_request(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await _night(uow, config, clock)

    results = await asyncio.gather(
        *(_ask(uow, config, clock, TIA, night.signups[TIA]) for _ in range(3)),
        return_exceptions=True,
    )

    assert sum(isinstance(r, staffing.CoverAsked) for r in results) == 1
    assert sum(isinstance(r, staffing.CoverUnavailable) for r in results) == 2
    assert len(await requests(uow)) == 1
    assert await chats(uow, "cover_offer") == WALKER_CANDIDATES


async def test_asking_for_cover_on_a_cancelled_session_is_refused(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await _night(uow, config, clock)
    await sessions.cancel_session(
        uow(), telegram_id=ADMIN_ID, day="2026-12-02", config=config, now=clock.now()
    )

    await _refused(
        uow,
        lambda: _ask(uow, config, clock, TIA, night.signups[TIA]),
        SessionClosed,
        "cancelled",
    )


async def test_accepting_refusals(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    night = await _night(uow, config, clock)
    asked = await _ask(uow, config, clock, TIA, night.signups[TIA])
    request = asked.request.id

    def accept(who: int, request_id: int = request) -> Call:
        return lambda: _accept(uow, config, clock, who, request_id)

    not_sent = "That cover request wasn't sent to you."
    assert await _refused(uow, accept(DEE), NotEligible) == not_sent  # forged: no tag, no offer
    assert await _refused(uow, accept(TIA), NotEligible) == not_sent  # the requester
    assert await _refused(uow, accept(TESS), NotEligible) == not_sent  # already on the night
    assert await _refused(uow, accept(UMA, 999_999), NotEligible) == not_sent
    assert await _refused(uow, accept(UMA, 2**40), NotEligible) == not_sent  # no 32-bit id
    await _refused(uow, accept(777), NotRegistered)

    # offered, but no longer eligible: the tag was taken away, or they joined the night
    await people.retag(
        uow(), telegram_id=ADMIN_ID, who="Nell", tags=frozenset({"new"}), add=False, config=config
    )
    assert await _refused(uow, accept(NELL), NotEligible) == (
        "Walker needs the 'new or trained' tag, so you can't cover it."
    )
    await signups.join_role(
        uow(), telegram_id=UMA, role_id=night.role("dropin"), config=config, now=clock.now()
    )
    await _refused(uow, accept(UMA), AlreadySignedUp)

    clock.set(START)  # the session has started
    assert await _refused(uow, accept(VERA), SessionClosed) == (
        "That session has already started. Please tell the team lead directly."
    )
    assert (await requests(uow))[0].state == "open"


async def test_cancelling_refusals(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    night = await _night(uow, config, clock)
    asked = await _ask(uow, config, clock, TIA, night.signups[TIA])

    def cancel(who: int, request_id: int = asked.request.id) -> Call:
        return lambda: staffing.cancel_cover(
            uow(), telegram_id=who, request_id=request_id, config=config, now=clock.now()
        )

    assert await _refused(uow, cancel(UMA), NotSignedUp) == "That cover request isn't yours."
    await _refused(uow, cancel(TIA, 999_999), NotSignedUp)
    await _accept(uow, config, clock, UMA, asked.request.id)
    assert await _refused(uow, cancel(TIA), staffing.CoverUnavailable) == (
        "Too late: someone has already taken your place."
    )
