"""The unit of work rings the dispatcher after a commit that recorded outbox rows, only then."""

from __future__ import annotations

import datetime as dtm

from rota.kernel.clock import FakeClock
from rota.kernel.outbox import Notice
from tests.notices import raw
from tests.services.helpers import Uow


async def test_only_a_commit_that_added_rows_rings_once(uow: Uow, clock: FakeClock) -> None:
    rings: list[str] = []
    uow.on_outbox_commit = lambda: rings.append("ring")
    async with uow() as u:
        await u.outbox.add(Notice(chat_id=1, payload=raw("hello")), now=clock.now(), due_at=None)
        await u.outbox.add(Notice(chat_id=2, payload=raw("hello")), now=clock.now(), due_at=None)
        assert rings == []  # not before the commit: the dispatcher must find the rows
        await u.commit()
    assert rings == ["ring"]
    async with uow() as u:
        await u.commit()  # nothing recorded
    async with uow() as u:
        await u.outbox.add(Notice(chat_id=3, payload=raw("hello")), now=clock.now(), due_at=None)
        await u.rollback()
        await u.commit()  # rolled back: nothing new to deliver
    async with uow() as u:
        await u.outbox.add(Notice(chat_id=4, payload=raw("hello")), now=clock.now(), due_at=None)
    assert rings == ["ring"]  # left without a commit: rolled back


async def test_a_failing_ring_does_not_undo_a_commit(uow: Uow, clock: FakeClock) -> None:
    def broken() -> None:
        raise RuntimeError("no job queue")

    uow.on_outbox_commit = broken
    async with uow() as u:
        await u.outbox.add(Notice(chat_id=1, payload=raw("hello")), now=clock.now(), due_at=None)
        await u.commit()
    async with uow() as u:
        assert await u.outbox.claim_due(now=clock.now(), lease=dtm.timedelta(seconds=30), limit=5)
