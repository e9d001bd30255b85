"""Races: many people pressing buttons at once, in one process and across processes.

Every test runs on SQLite (writers serialised by BEGIN IMMEDIATE) and on PostgreSQL (row
locks and re-checked WHERE clauses); both must give the same answers.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from rota.kernel import delivery
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.errors import AlreadySignedUp, RoleFull
from rota.kernel.outbox import Notice, OutboxItem
from rota.roster import signups
from rota.storage.tables import OutboxRow
from tests.conftest import TEMPLATE, DbInfo
from tests.notices import raw
from tests.services.helpers import (
    Uow,
    add_volunteers,
    boards,
    confirmed_count,
    fetch,
    filled,
    first_session,
    join,
    join_team,
    outbox,
    role_id,
    signup_states,
    wait,
    withdraw,
)

WORKER = Path(__file__).with_name("race_worker.py")
RACERS = 100  # first Telegram id of the racing volunteers


async def _warm_pool(uow: Uow, connections: int) -> None:
    """Open connections up front, so racers start together instead of queueing to connect."""

    async def hold() -> None:
        async with uow.engine.connect():
            await asyncio.sleep(0.02)

    await asyncio.gather(*(hold() for _ in range(connections)))


async def _last_dropin_place(uow: Uow, config: RotaConfig, clock: FakeClock) -> int:
    """The first session's drop-in role (2 places) with one place already taken."""
    board = await first_session(uow, config, clock)
    dropin = role_id(board, "dropin")
    await join_team(uow, config, clock, 5)
    await join(uow, config, clock, 5, dropin)
    return dropin


@pytest.mark.parametrize("racers", [2, 10])
async def test_last_place_goes_to_exactly_one_of_the_racing_volunteers(
    uow: Uow, config: RotaConfig, clock: FakeClock, racers: int
) -> None:
    dropin = await _last_dropin_place(uow, config, clock)
    await add_volunteers(uow, clock.now(), RACERS, racers, tags=[])
    await _warm_pool(uow, racers)

    results = await asyncio.gather(
        *(join(uow, config, clock, RACERS + n, dropin) for n in range(racers)),
        return_exceptions=True,
    )

    won = [n for n, r in enumerate(results) if isinstance(r, signups.JoinOutcome)]
    assert len(won) == 1
    assert [type(r) for n, r in enumerate(results) if n not in won] == [RoleFull] * (racers - 1)
    assert [s[0] for s in await signup_states(uow)] == [5, RACERS + won[0]]
    assert await filled(uow, dropin) == await confirmed_count(uow, dropin) == 2


async def test_double_tap_on_join_gives_one_signup(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await first_session(uow, config, clock)
    dropin = role_id(board, "dropin")
    await join_team(uow, config, clock, 5)
    await _warm_pool(uow, 4)

    results = await asyncio.gather(
        *(join(uow, config, clock, 5, dropin) for _ in range(3)),
        wait(uow, config, clock, 5, dropin),
        return_exceptions=True,
    )

    assert sum(isinstance(r, signups.JoinOutcome) for r in results) == 1
    assert sum(isinstance(r, AlreadySignedUp) for r in results) == 3
    assert await signup_states(uow) == [(5, "dropin", board.session.id, "confirmed")]
    assert await filled(uow, dropin) == 1


async def test_two_concurrent_withdrawals_promote_two_different_people(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    # The same race in each of the three sessions at once: three chances to catch a mix-up.
    for telegram_id in (5, 6, 7, 8, 9):
        await join_team(uow, config, clock, telegram_id)
    sessions = await boards(uow, config, clock)
    leaving = []
    for board in sessions:
        dropin = role_id(board, "dropin")
        leaving.append((5, (await join(uow, config, clock, 5, dropin)).signup.id))
        leaving.append((6, (await join(uow, config, clock, 6, dropin)).signup.id))
        for telegram_id in (7, 8, 9):
            await wait(uow, config, clock, telegram_id, dropin)
    await _warm_pool(uow, len(leaving))

    results = await asyncio.gather(
        *(withdraw(uow, config, clock, tid, signup_id) for tid, signup_id in leaving)
    )

    for n, board in enumerate(sessions):
        pair = results[2 * n : 2 * n + 2]
        promoted = sorted(r.promoted.display_name for r in pair if r.promoted is not None)
        assert promoted == ["Vol7", "Vol8"], board.session.local_date
        assert await filled(uow, role_id(board, "dropin")) == 2
    states = await signup_states(uow)
    assert [(s[0], s[3]) for s in states] == [
        (tid, state)
        for _ in sessions
        for tid, state in [
            (5, "withdrawn"),
            (6, "withdrawn"),
            (7, "confirmed"),
            (8, "confirmed"),
            (9, "waitlisted"),
        ]
    ]
    assert (
        sorted(await outbox(uow))
        == [("promoted", 7, "pending")] * 3 + [("promoted", 8, "pending")] * 3
    )


async def test_last_place_goes_to_exactly_one_of_four_racing_processes(
    uow: Uow, db: DbInfo, config: RotaConfig, clock: FakeClock, tmp_path: Path
) -> None:
    dropin = await _last_dropin_place(uow, config, clock)
    await add_volunteers(uow, clock.now(), RACERS, 4, tags=[])
    template = tmp_path / "rota.toml"
    template.write_text(TEMPLATE, encoding="utf-8")
    go_file = tmp_path / "go"

    workers = []
    for n in range(4):
        args = {
            "url": db.url,
            "schema": db.schema,
            "template": str(template),
            "go_file": str(go_file),
            "telegram_id": RACERS + n,
            "role_id": dropin,
            "now": clock.now().isoformat(),
        }
        workers.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                str(WORKER),
                json.dumps(args),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        )
    try:
        for worker in workers:
            assert worker.stdout is not None
            ready = await asyncio.wait_for(worker.stdout.readline(), timeout=30)
            assert ready == b"ready\n", ready
        go_file.touch()
        outputs = [await asyncio.wait_for(w.communicate(), timeout=30) for w in workers]
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()

    results = [out.decode().strip() for out, _ in outputs]
    assert sorted(results) == ["full", "full", "full", "won"], (results, outputs)
    winner = RACERS + results.index("won")
    assert [s[0] for s in await signup_states(uow)] == [5, winner]
    assert await filled(uow, dropin) == await confirmed_count(uow, dropin) == 2


async def test_concurrent_outbox_claimers_never_share_a_row(uow: Uow, clock: FakeClock) -> None:
    async with uow() as u:
        for n in range(20):
            await u.outbox.add(
                Notice(payload=raw(f"n{n}"), chat_id=n), now=clock.now(), due_at=None
            )
        await u.commit()
    await _warm_pool(uow, 10)

    batches: list[list[OutboxItem]] = await asyncio.gather(
        *(delivery.claim_due(uow(), now=clock.now(), limit=3) for _ in range(10))
    )
    leftovers = await delivery.claim_due(uow(), now=clock.now())

    claimed = [item.id for batch in [*batches, leftovers] for item in batch]
    assert len(claimed) == len(set(claimed)) == 20
    rows = await fetch(uow, select(OutboxRow.state, OutboxRow.attempts))
    assert {tuple(r) for r in rows} == {("sending", 1)}
