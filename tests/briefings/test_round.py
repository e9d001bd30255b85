"""The briefing round: at 16:00 everyone confirmed gets one briefing, with everything in it."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections import Counter

import pytest
from sqlalchemy import delete, update

from rota.briefings import services as briefings
from rota.roster import sessions, signups
from rota.roster.model import RosterEntry, SignUpStatus
from rota.storage.repositories import SqlSignUps
from rota.storage.tables import BriefingRow
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from tests.briefings.support import (
    BRIEF_AT,
    add_note,
    briefing_of,
    briefing_rows,
    chats_of,
    milestones,
    sent,
    tick,
)
from tests.conftest import ADMIN_ID, DbInfo
from tests.safety.support import (
    CORA,
    DEE,
    LENA,
    NELL,
    OUTSIDER,
    TIA,
    UMA,
    VERA,
    Night,
    at,
    next_week,
    pair_members,
)

ON_ROTA = sorted([CORA, LENA, DEE, TIA, NELL])
SECOND = dtm.timedelta(seconds=1)


async def test_nothing_goes_out_a_second_before_three_hours_ahead(night: Night) -> None:
    assert await tick(night, BRIEF_AT - SECOND) == 0
    assert await briefing_rows(night.uow) == []
    assert await sent(night.uow, briefings.BRIEFING) == []
    assert "briefing" not in await milestones(night.uow, night.session_id)
    assert await pair_members(night.uow, night.session_id) == []


async def test_at_three_hours_ahead_everyone_confirmed_is_briefed_once(night: Night) -> None:
    assert await tick(night, BRIEF_AT) == len(ON_ROTA)
    assert await chats_of(night.uow, briefings.BRIEFING) == ON_ROTA  # not Dot, Ada, Olive
    assert "briefing" in await milestones(night.uow, night.session_id)
    rows = await briefing_rows(night.uow)
    assert sorted(r.volunteer_id for r in rows) == sorted(night.ids[t] for t in ON_ROTA)
    assert {(r.sent_at, r.read_at) for r in rows} == {(BRIEF_AT, None)}
    # The pairs are made with the briefing, not at the start of the walk.
    assert await pair_members(night.uow, night.session_id) == [[TIA, NELL]]


async def test_the_briefing_says_everything(night: Night) -> None:
    await add_note(night, "Ugly Mugs alert: a grey van offering lifts near Mill Road.")
    await tick(night, BRIEF_AT)
    p = (await briefing_of(night, NELL)).payload
    assert p["starts_at"] == "2026-12-02T19:00:00+00:00"
    assert p["ends_at"] == "2026-12-02T23:00:00+00:00"
    assert p["meeting_point"] == "St Anne's Hall"
    assert p["team"] == [
        ["Team lead", ["Lena"]],
        ["Walker", ["Tia", "Nell"]],
        ["Drop-in", ["Dee"]],
        ["On-call coordinator", ["Cora"]],
    ]
    assert p["pairs"] == [["Tia", "Nell"]]
    assert (p["role"], p["walker"], p["pair"], p["partners"]) == ("Walker", True, 1, ["Tia"])
    assert p["lead"] == [["Lena", LENA]]
    assert p["oncall"] == [["Cora", CORA]]
    assert p["plan"] == (
        "check in every 30m; a reminder after 5m; the on-call coordinator is alerted after "
        "10m, then everyone every 5m until someone acknowledges; home safe within 1h30m of "
        "the end"
    )
    assert p["checklist"] == ["Charged phone", "ID badge", "Kit bag"]
    assert p["notes"] == ["Ugly Mugs alert: a grey van offering lifts near Mill Road."]
    dee = (await briefing_of(night, DEE)).payload
    assert (dee["role"], dee["walker"], dee["pair"], dee["partners"]) == (
        "Drop-in",
        False,
        None,
        [],
    )


async def test_a_session_plan_override_is_what_the_briefing_describes(night: Night) -> None:
    async with night.uow() as work:
        await work.safety.set_plan(night.session_id, '{"interval": 1200}')
        await work.commit()
    await tick(night, BRIEF_AT)
    assert str((await briefing_of(night, TIA)).payload["plan"]).startswith("check in every 20m;")


async def test_nobody_is_briefed_twice_across_runs(night: Night) -> None:
    await tick(night, BRIEF_AT)
    assert await tick(night, BRIEF_AT) == 0
    assert await tick(night, at(17)) == 0
    assert await tick(night, at(18, 29)) == 0
    assert Counter(await chats_of(night.uow, briefings.BRIEFING)) == Counter(ON_ROTA)
    assert len(await briefing_rows(night.uow)) == len(ON_ROTA)


async def test_two_workers_at_once_brief_everyone_exactly_once(night: Night, db: DbInfo) -> None:
    other = db.engine()
    try:
        second = SqlAlchemyUnitOfWorkFactory(other)
        for when in (BRIEF_AT, BRIEF_AT + SECOND, at(16, 5)):
            night.clock.set(when)
            await asyncio.gather(
                briefings.run_due(night.uow, config=night.config, now=when),
                briefings.run_due(second, config=night.config, now=when),
                briefings.run_due(night.uow, config=night.config, now=when),
            )
    finally:
        await other.dispose()
    assert Counter(await chats_of(night.uow, briefings.BRIEFING)) == Counter(ON_ROTA)
    assert len(await briefing_rows(night.uow)) == len(ON_ROTA)
    assert await pair_members(night.uow, night.session_id) == [[TIA, NELL]]


async def test_a_late_sign_up_is_briefed_on_the_next_pass_and_the_pair_told(
    night: Night,
) -> None:
    await tick(night, BRIEF_AT)
    night.clock.set(at(17, 10))
    await signups.join_role(
        night.uow(),
        telegram_id=OUTSIDER,  # Olive, trained, on the team but not on tonight's rota
        role_id=night.roles["walker"],
        config=night.config,
        now=night.clock.now(),
    )
    await tick(night, at(17, 10, 5))
    assert Counter(await chats_of(night.uow, briefings.BRIEFING)) == Counter([*ON_ROTA, OUTSIDER])
    late = (await briefing_of(night, OUTSIDER)).payload
    assert late["pairs"] == [["Tia", "Nell", "Olive"]]  # three walkers: one trio
    assert sorted(late["partners"]) == ["Nell", "Tia"]
    # Tia and Nell were told "Tia and Nell" at 16:00: they hear who joined them, once.
    changes = await sent(night.uow, briefings.PAIRS_CHANGED)
    assert sorted(c.chat_id for c in changes) == sorted([TIA, NELL])
    assert {tuple(sorted(c.payload["partners"])) for c in changes} == {
        ("Nell", "Olive"),
        ("Olive", "Tia"),
    }
    await tick(night, at(17, 11))
    assert len(await sent(night.uow, briefings.PAIRS_CHANGED)) == 2
    assert len(await sent(night.uow, briefings.BRIEFING)) == len(ON_ROTA) + 1


async def test_a_walker_left_alone_by_a_withdrawal_is_told(night: Night) -> None:
    await tick(night, BRIEF_AT)
    (signup,) = [
        e.signup
        for e in await _roster(night)
        if e.volunteer.telegram_id == NELL and e.role.key == "walker"
    ]
    night.clock.set(at(17))
    await signups.withdraw(
        night.uow(), telegram_id=NELL, signup_id=signup.id, config=night.config, now=at(17)
    )
    await tick(night, at(17, 0, 5))
    (change,) = await sent(night.uow, briefings.PAIRS_CHANGED)
    assert (change.chat_id, change.payload["partners"], change.payload["pair"]) == (
        TIA,
        [],
        None,
    )


async def _roster(night: Night) -> list[RosterEntry]:
    async with night.uow() as work:
        return await work.signups.roster([night.session_id])


async def test_waitlisted_and_withdrawn_people_get_no_briefing(night: Night) -> None:
    async with night.uow() as work:
        for telegram_id, name, status in ((UMA, "Uma", "waitlisted"), (VERA, "Vera", "withdrawn")):
            person = await work.volunteers.add(
                telegram_id=telegram_id,
                display_name=name,
                username=None,
                tags=frozenset({"trained"}),
                now=night.clock.now(),
            )
            await work.signups.add(
                session_id=night.session_id,
                role_id=night.roles["dropin"],
                volunteer_id=person.id,
                status=SignUpStatus(status),
                now=night.clock.now(),
            )
        await work.commit()
    await tick(night, BRIEF_AT)
    assert await chats_of(night.uow, briefings.BRIEFING) == ON_ROTA


async def test_a_cancelled_session_is_not_briefed(night: Night) -> None:
    night.clock.set(at(15))
    await sessions.cancel_session(
        night.uow(), telegram_id=ADMIN_ID, day="2026-12-02", config=night.config, now=at(15)
    )
    assert await tick(night, BRIEF_AT) == 0
    assert await sent(night.uow, briefings.BRIEFING) == []


async def test_the_briefing_is_for_tonight_only_not_next_week(night: Night) -> None:
    week = await next_week(night)
    await tick(night, BRIEF_AT)
    briefed = {r.session_id for r in await briefing_rows(night.uow)}
    assert briefed == {night.session_id}
    await tick(week, BRIEF_AT + dtm.timedelta(days=7))
    briefed = {r.session_id for r in await briefing_rows(night.uow)}
    assert briefed == {night.session_id, week.session_id}


async def test_a_session_that_is_over_is_not_briefed(night: Night) -> None:
    assert await tick(night, at(23)) == 0  # the bot was down all evening: too late to help
    assert await sent(night.uow, briefings.BRIEFING) == []


async def test_briefing_during_the_walk_uses_the_walk_pairs(night: Night) -> None:
    await night.start()  # 19:00: pairs made by the walk; the bot had been down since noon
    assert await tick(night, at(19, 5)) == len(ON_ROTA)
    assert (await briefing_of(night, TIA)).payload["partners"] == ["Nell"]
    assert await sent(night.uow, briefings.PAIRS_CHANGED) == []


async def test_the_clock_knows_when_the_next_round_falls_due(night: Night) -> None:
    """So the shift job can wake at that moment instead of up to a sweep later."""
    assert await briefings.next_due(night.uow(), config=night.config, now=at(12)) == BRIEF_AT
    # Once the round is due, nothing later is on the rota of this fixture.
    assert await briefings.next_due(night.uow(), config=night.config, now=BRIEF_AT) is None


async def _anything_new(night: Night) -> bool:
    async with night.uow() as work:
        return await work.briefings.anything_new(night.session_id)


async def test_during_the_walk_a_tick_with_nothing_new_loads_no_roster(
    night: Night, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restarted bot with thousands walking must not reload the night every few seconds."""
    await tick(night, BRIEF_AT)
    await night.start()
    assert not await _anything_new(night)

    async def no_roster(*_: object, **__: object) -> list[RosterEntry]:
        raise AssertionError("the roster was loaded with nothing new to send")

    monkeypatch.setattr(SqlSignUps, "roster", no_roster)
    assert await tick(night, at(19, 5)) == 0
    assert await tick(night, at(20)) == 0


async def test_during_the_walk_someone_unbriefed_or_behind_on_notes_is_still_caught(
    night: Night,
) -> None:
    await tick(night, BRIEF_AT)
    await night.start()
    # Tia's briefing row is lost (say, the round was rolled back for her alone).
    async with night.uow.engine.begin() as conn:
        await conn.execute(delete(BriefingRow).where(BriefingRow.volunteer_id == night.ids[TIA]))
    assert await _anything_new(night)
    assert await tick(night, at(19, 5)) == 1
    assert sorted(r.volunteer_id for r in await briefing_rows(night.uow)) == sorted(
        night.ids[t] for t in ON_ROTA
    )
    assert not await _anything_new(night)
    # A note is stored but Nell's briefing is behind it: the next tick sends it to her.
    night.clock.set(at(19, 10))
    await add_note(night, "Van is at the north end tonight.")
    async with night.uow.engine.begin() as conn:
        await conn.execute(
            update(BriefingRow)
            .where(BriefingRow.volunteer_id == night.ids[NELL])
            .values(notes_version=0)
        )
    assert await _anything_new(night)
    await tick(night, at(19, 11))
    assert not await _anything_new(night)
