"""The after-the-shift debrief, through the use cases, on SQLite and PostgreSQL.

The standard night is Wed 2 Dec 2026, 19:00-23:00 (GMT, so UTC): Lena is team lead, Tia and
Nell walk, Cora (a coordinator) is on call, and Ada is the bootstrap admin.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
from typing import Any

import pytest
from sqlalchemy import select

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.reports import debriefs
from rota.reports.debriefs import COUNT_KEYS, CountProblem, TurnKind
from rota.roster import sessions
from rota.roster.model import SessionBoard
from rota.storage.tables import DebriefRow, MilestoneRow, OutboxRow
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from tests.conftest import ADMIN_ID, DbInfo
from tests.services.helpers import (
    Uow,
    admin_starts,
    fetch,
    first_session,
    join,
    join_team,
    role_id,
    snapshot,
)

UTC = dtm.UTC
CORA, LENA, TIA, NELL = 201, 301, 101, 102
END = dtm.datetime(2026, 12, 2, 23, 0, tzinfo=UTC)
INCIDENT = "Woman by the arches asked for a call back about housing"


async def night(
    uow: Uow, config: RotaConfig, clock: FakeClock, *, lead: bool = True
) -> SessionBoard:
    await admin_starts(uow, config, clock)
    await join_team(uow, config, clock, CORA, tags=("coordinator",), name="Cora")
    await join_team(uow, config, clock, LENA, tags=("lead", "trained"), name="Lena")
    await join_team(uow, config, clock, TIA, tags=("trained",), name="Tia")
    await join_team(uow, config, clock, NELL, tags=("new",), name="Nell")
    board = await first_session(uow, config, clock)
    if lead:
        await join(uow, config, clock, LENA, role_id(board, "lead"))
    await join(uow, config, clock, TIA, role_id(board, "walker"))
    await join(uow, config, clock, NELL, role_id(board, "walker"))
    await join(uow, config, clock, CORA, role_id(board, "oncall"))
    return board


async def notices(uow: Uow, kind: str) -> list[tuple[int, dict[str, Any], str]]:
    rows = await fetch(
        uow,
        select(OutboxRow.chat_id, OutboxRow.payload, OutboxRow.state)
        .where(OutboxRow.kind == kind)
        .order_by(OutboxRow.id),
    )
    return [(r.chat_id, json.loads(r.payload), r.state) for r in rows]


async def debrief_rows(uow: Uow) -> list[Any]:
    return await fetch(uow, select(DebriefRow.__table__).order_by(DebriefRow.id))


async def say(
    uow: Uow, config: RotaConfig, clock: FakeClock, who: int, text: str
) -> debriefs.DebriefTurn | None:
    clock.advance(seconds=20)
    return await debriefs.answer(uow(), telegram_id=who, text=text, config=config, now=clock.now())


async def ended(uow: Uow, config: RotaConfig, clock: FakeClock) -> int:
    clock.set(END)
    return await debriefs.run_due(uow, config=config, now=clock.now())


# --- starting ------------------------------------------------------------------------------


async def test_the_lead_is_asked_once_the_session_has_ended(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await night(uow, config, clock)
    clock.set(END - dtm.timedelta(seconds=1))
    assert await debriefs.run_due(uow, config=config, now=clock.now()) == 0
    assert await notices(uow, "debrief_question") == []
    assert await ended(uow, config, clock) == 1
    ((chat, payload, _state),) = await notices(uow, "debrief_question")
    assert chat == LENA
    assert payload["session_id"] == board.session.id
    assert payload["step"] == 0
    assert payload["to_lead"] is True
    # once per session, ever
    clock.advance(minutes=5)
    assert await debriefs.run_due(uow, config=config, now=clock.now()) == 0
    assert len(await notices(uow, "debrief_question")) == 1
    (row,) = await debrief_rows(uow)
    assert (row.step, row.state, json.loads(row.answers)) == (0, "asking", {})
    milestones = await fetch(uow, select(MilestoneRow.milestone))
    assert [m.milestone for m in milestones] == ["debrief"]


async def test_two_workers_start_it_once(
    uow: Uow, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    await night(uow, config, clock)
    clock.set(END)
    other_engine = db.engine()
    try:
        other = SqlAlchemyUnitOfWorkFactory(other_engine)
        counts = await asyncio.gather(
            debriefs.run_due(uow, config=config, now=clock.now()),
            debriefs.run_due(other, config=config, now=clock.now()),
        )
    finally:
        await other_engine.dispose()
    assert sorted(counts) == [0, 1]
    assert len(await debrief_rows(uow)) == 1
    assert len(await notices(uow, "debrief_question")) == 1


async def test_without_a_lead_the_coordinators_are_asked_and_the_first_takes_it(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await night(uow, config, clock, lead=False)
    assert await ended(uow, config, clock) == 1
    asked = await notices(uow, "debrief_question")
    assert sorted(chat for chat, _, _ in asked) == sorted([ADMIN_ID, CORA])
    assert all(payload["to_lead"] is False for _, payload, _ in asked)
    # walkers are not coordinators: their text is not the debrief's
    assert await say(uow, config, clock, TIA, "4") is None
    reply = await say(uow, config, clock, CORA, "4")
    assert reply is not None
    assert (reply.kind, reply.step) == (TurnKind.ASK, 1)
    # Cora took it: the admin's text is no longer the debrief's, and the admin's
    # still-undelivered question is called off
    assert await say(uow, config, clock, ADMIN_ID, "5") is None
    states = {chat: state for chat, _, state in await notices(uow, "debrief_question")}
    assert states[ADMIN_ID] == "cancelled"
    (row,) = await debrief_rows(uow)
    assert json.loads(row.answers) == {"new_contacts": 4}
    assert row.step == 1


async def test_no_debrief_for_a_night_nobody_went_out_or_a_cancelled_one(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await admin_starts(uow, config, clock)
    await first_session(uow, config, clock)  # 2 Dec: nobody signs up
    await sessions.cancel_session(  # 9 Dec: cancelled
        uow(), telegram_id=ADMIN_ID, day="2026-12-09", config=config, now=clock.now()
    )
    assert await ended(uow, config, clock) == 0
    clock.set(END + dtm.timedelta(days=7))
    assert await debriefs.run_due(uow, config=config, now=clock.now()) == 0
    assert await debrief_rows(uow) == []
    assert await notices(uow, "debrief_question") == []


async def test_a_session_long_past_gets_no_debrief(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await night(uow, config, clock)
    clock.set(END + debriefs.LOOKBACK + dtm.timedelta(minutes=1))
    assert await debriefs.run_due(uow, config=config, now=clock.now()) == 0
    assert await debrief_rows(uow) == []


# --- answering -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("lots", CountProblem.NOT_A_NUMBER),
        ("five", CountProblem.NOT_A_NUMBER),
        ("3.5", CountProblem.NOT_A_NUMBER),
        ("1,000", CountProblem.NOT_A_NUMBER),
        ("", CountProblem.NOT_A_NUMBER),
        ("Ana and her friend", CountProblem.NOT_A_NUMBER),
        ("-1", CountProblem.NEGATIVE),
        ("10001", CountProblem.TOO_BIG),
        ("99999999999999999999", CountProblem.TOO_BIG),
    ],
)
async def test_a_bad_answer_is_asked_again_and_changes_nothing(
    uow: Uow, config: RotaConfig, clock: FakeClock, text: str, problem: CountProblem
) -> None:
    await night(uow, config, clock)
    await ended(uow, config, clock)
    assert (await say(uow, config, clock, LENA, "2")) is not None  # one answer in
    before = await snapshot(uow)
    reply = await say(uow, config, clock, LENA, text)
    assert reply is not None
    assert (reply.kind, reply.problem, reply.step) == (TurnKind.REASK, problem, 1)
    assert await snapshot(uow) == before
    reply = await say(uow, config, clock, LENA, "7")
    assert reply is not None
    assert (reply.kind, reply.step) == (TurnKind.ASK, 2)
    (row,) = await debrief_rows(uow)
    assert json.loads(row.answers) == {"new_contacts": 2, "repeat_contacts": 7}


async def test_zero_and_the_largest_count_are_accepted(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await night(uow, config, clock)
    await ended(uow, config, clock)
    answers = [" 0 ", "10000", "0", "+3", "0", "0", "0", "0", "0"]
    for step, text in enumerate(answers):
        reply = await say(uow, config, clock, LENA, text)
        assert reply is not None, text
        assert (reply.kind, reply.step) == (TurnKind.ASK, step + 1), text
    reply = await say(uow, config, clock, LENA, "no")
    assert reply is not None
    assert reply.kind is TurnKind.DONE
    expected = dict.fromkeys(COUNT_KEYS, 0) | {"repeat_contacts": 10000, "harm_reduction_kits": 3}
    assert dict(reply.answers) == expected
    assert reply.incident_passed_on is False
    (row,) = await debrief_rows(uow)
    assert (row.state, row.step, json.loads(row.answers)) == ("done", 10, expected)
    assert row.finished_at == clock.now()
    assert await notices(uow, "debrief_incident") == []
    # finished: the lead's free text is hers again
    assert await say(uow, config, clock, LENA, "3") is None


async def finish(
    uow: Uow, config: RotaConfig, clock: FakeClock, who: int, last: str
) -> debriefs.DebriefTurn | None:
    for _ in COUNT_KEYS:
        await say(uow, config, clock, who, "1")
    return await say(uow, config, clock, who, last)


async def test_the_incident_note_goes_only_to_the_coordinators(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await night(uow, config, clock)
    await ended(uow, config, clock)
    reply = await finish(uow, config, clock, LENA, INCIDENT)
    assert reply is not None
    assert reply.kind is TurnKind.DONE
    assert reply.incident_passed_on
    sent = await notices(uow, "debrief_incident")
    assert sorted(chat for chat, _, _ in sent) == sorted([ADMIN_ID, CORA])
    assert all(p["text"] == INCIDENT and p["by"] == "Lena" for _, p, _ in sent)
    # ...and is kept nowhere but in those messages: not with the counts, not anywhere else
    tables = await snapshot(uow)
    for name, rows in tables.items():
        if name == "outbox":
            continue
        assert not any("arches" in str(value) for row in rows for value in row), name
    (row,) = await debrief_rows(uow)
    assert row.incident == "reported"
    assert json.loads(row.answers) == dict.fromkeys(COUNT_KEYS, 1)


async def test_a_coordinator_lead_is_not_sent_her_own_note(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await admin_starts(uow, config, clock)
    await join_team(uow, config, clock, CORA, tags=("coordinator", "lead"), name="Cora")
    board = await first_session(uow, config, clock)
    await join(uow, config, clock, CORA, role_id(board, "lead"))
    await ended(uow, config, clock)
    assert [chat for chat, _, _ in await notices(uow, "debrief_question")] == [CORA]
    await finish(uow, config, clock, CORA, INCIDENT)
    assert [chat for chat, _, _ in await notices(uow, "debrief_incident")] == [ADMIN_ID]


@pytest.mark.parametrize("text", ["no", "No.", "  NONE ", "nothing!", "n/a"])
async def test_no_incident(uow: Uow, config: RotaConfig, clock: FakeClock, text: str) -> None:
    await night(uow, config, clock)
    await ended(uow, config, clock)
    reply = await finish(uow, config, clock, LENA, text)
    assert reply is not None
    assert reply.kind is TurnKind.DONE
    assert not reply.incident_passed_on
    assert await notices(uow, "debrief_incident") == []
    (row,) = await debrief_rows(uow)
    assert row.incident == "none"


async def test_a_restart_in_the_middle_carries_on(
    db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    first_engine = db.engine()
    first = SqlAlchemyUnitOfWorkFactory(first_engine)
    await night(first, config, clock)
    await ended(first, config, clock)
    for text in ("3", "5", "10"):
        await say(first, config, clock, LENA, text)
    await first_engine.dispose()  # the process stops; nothing is kept in memory

    second_engine = db.engine()
    try:
        second = SqlAlchemyUnitOfWorkFactory(second_engine)
        shown = await debriefs.current(second(), telegram_id=LENA, config=config, now=clock.now())
        assert shown is not None
        assert (shown.kind, shown.step) == (TurnKind.ASK, 3)
        reply = await say(second, config, clock, LENA, "4")
        assert reply is not None
        assert reply.step == 4
        for text in ("50", "2", "1", "0", "1"):
            await say(second, config, clock, LENA, text)
        reply = await say(second, config, clock, LENA, "no")
        assert reply is not None
        assert reply.kind is TurnKind.DONE
        assert [reply.answers[k] for k in COUNT_KEYS] == [3, 5, 10, 4, 50, 2, 1, 0, 1]
        # the restart did not start the debrief again
        assert await debriefs.run_due(second, config=config, now=clock.now()) == 0
        assert len(await notices(second, "debrief_question")) == 1
    finally:
        await second_engine.dispose()


async def test_debriefs_of_two_nights_come_one_after_the_other(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await night(uow, config, clock)
    nine = next(
        b
        for b in await sessions.upcoming_boards(
            uow(), telegram_id=None, config=config, now=clock.now()
        )
        if b.session.local_date == dtm.date(2026, 12, 9)
    )
    await join(uow, config, clock, LENA, role_id(nine, "lead"))
    await ended(uow, config, clock)
    clock.set(nine.session.ends_at)
    assert await debriefs.run_due(uow, config=config, now=clock.now()) == 1
    reply = await finish(uow, config, clock, LENA, "no")
    assert reply is not None
    assert reply.kind is TurnKind.DONE
    assert reply.session.id == board.session.id
    assert reply.next is not None
    assert (reply.next.session.id, reply.next.step) == (nine.session.id, 0)
    reply = await say(uow, config, clock, LENA, "6")
    assert reply is not None
    assert reply.session.id == nine.session.id
    assert reply.step == 1


async def test_a_debrief_left_unfinished_stops_catching_messages(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await night(uow, config, clock)
    await ended(uow, config, clock)
    await say(uow, config, clock, LENA, "1")
    clock.set(END + debriefs.OPEN_FOR + dtm.timedelta(minutes=1))
    assert await say(uow, config, clock, LENA, "2") is None
    assert await debriefs.current(uow(), telegram_id=LENA, config=config, now=clock.now()) is None


async def test_strangers_are_never_asked(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    await night(uow, config, clock)
    await ended(uow, config, clock)
    assert await say(uow, config, clock, 777_777, "3") is None
    assert await say(uow, config, clock, NELL, "3") is None
    (row,) = await debrief_rows(uow)
    assert row.step == 0
