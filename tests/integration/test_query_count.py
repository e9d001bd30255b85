"""Joining and withdrawing cost a small fixed number of SQL statements, however big the team.

The statements are counted with a `before_cursor_execute` listener, so every round trip the
use case makes is seen (on SQLite that includes the BEGIN IMMEDIATE).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.roster import sessions
from rota.roster.model import SignUpStatus
from tests.services.helpers import (
    Uow,
    add_volunteers,
    join,
    join_team,
    role_id,
    withdraw,
)

MOST_STATEMENTS = 15
MEASURED = 9_000  # Telegram id of the volunteer whose actions are counted
IN_LAST_SESSION = 5  # the first volunteers go to the last session's drop-in; the rest spread


class StatementCounter:
    """Counts statements sent to the database while active."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: Any) -> None:
        self.count += 1


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", counter)


async def _count(uow: Uow, action: Callable[[], Awaitable[object]]) -> int:
    with counting(uow.engine) as counter:
        await action()
    return counter.count


async def _costs(
    uow: Uow, config: RotaConfig, clock: FakeClock, *, volunteers: int, weeks: int, base: int
) -> dict[str, int]:
    """Build a team of `volunteers` over `weeks` sessions, then count one of each action."""
    (spec,) = config.template.sessions
    config = dataclasses.replace(
        config,
        template=dataclasses.replace(
            config.template, sessions=(dataclasses.replace(spec, weeks_ahead=weeks),)
        ),
    )
    await sessions.sync_sessions(uow(), config=config, now=clock.now())
    boards = await sessions.upcoming_boards(
        uow(), telegram_id=None, config=config, now=clock.now(), limit=weeks
    )
    assert len(boards) == weeks
    team = await add_volunteers(uow, clock.now(), base, volunteers, tags=["trained"])
    dropins = [role_id(b, "dropin") for b in boards]
    async with uow() as u:  # everyone signs up: confirmed while there is room, then waitlisted
        for n, volunteer in enumerate(team):
            role = dropins[-1] if n < IN_LAST_SESSION else dropins[n % weeks]
            status = (
                SignUpStatus.CONFIRMED
                if await u.signups.claim_place(role)
                else SignUpStatus.WAITLISTED
            )
            session_id = boards[dropins.index(role)].session.id
            await u.signups.add(
                session_id=session_id,
                role_id=role,
                volunteer_id=volunteer.id,
                status=status,
                now=clock.now(),
            )
        await u.commit()

    walker = role_id(boards[-1], "walker")
    outcome: list[Any] = []

    async def join_walker() -> None:
        outcome.append(await join(uow, config, clock, MEASURED, walker))

    costs = {"join": await _count(uow, join_walker)}
    costs["withdraw"] = await _count(
        uow, lambda: withdraw(uow, config, clock, MEASURED, outcome[0].signup.id)
    )
    # The first volunteer holds a drop-in place in the last session with a waitlist behind.
    async with uow() as u:
        (held,) = await u.signups.mine(team[0].id, [boards[-1].session.id])
    promoted: list[Any] = []

    async def withdraw_promoting() -> None:
        promoted.append(await withdraw(uow, config, clock, base, held.id))

    costs["withdraw_promoting"] = await _count(uow, withdraw_promoting)
    assert promoted[0].promoted is not None
    return costs


async def test_join_and_withdraw_cost_the_same_few_statements_for_a_small_and_a_big_team(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await join_team(uow, config, clock, MEASURED)

    small = await _costs(uow, config, clock, volunteers=3, weeks=3, base=1_000)
    big = await _costs(uow, config, clock, volunteers=60, weeks=12, base=2_000)

    assert small == big
    assert all(0 < cost <= MOST_STATEMENTS for cost in small.values()), small
