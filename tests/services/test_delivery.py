"""The outbox: claiming due rows under a lease, recording what Telegram said, deduplication."""

from __future__ import annotations

import datetime as dtm
from typing import Any

import pytest
from sqlalchemy import select

from rota.kernel import delivery
from rota.kernel.clock import FakeClock
from rota.kernel.delivery import GiveUp, RetryLater, Sent
from rota.kernel.outbox import EditTarget, Notice, OutboxItem, Priority, SentMessage
from rota.storage.tables import OutboxRow
from tests.notices import raw
from tests.services.helpers import Uow, fetch

MINUTE = dtm.timedelta(minutes=1)


async def _add(
    uow: Uow,
    now: dtm.datetime,
    kind: str,
    *,
    priority: int = 5,
    due_at: dtm.datetime | None = None,
    dedupe_key: str | None = None,
    chat_id: int = 1,
) -> None:
    async with uow() as u:
        await u.outbox.add(
            Notice(
                payload=raw(kind),
                chat_id=chat_id,
                priority=Priority.of(priority),
                dedupe_key=dedupe_key,
            ),
            now=now,
            due_at=due_at,
        )
        await u.commit()


async def _row(uow: Uow, kind: str) -> Any:
    (row,) = await fetch(uow, select(OutboxRow.__table__).where(OutboxRow.kind == kind))
    return row


async def _claim_one(uow: Uow, clock: FakeClock) -> OutboxItem:
    (item,) = await delivery.claim_due(uow(), now=clock.now())
    return item


async def test_claim_due_returns_due_rows_by_priority_then_due_time(
    uow: Uow, clock: FakeClock
) -> None:
    now = clock.now()
    await _add(uow, now, "normal_older", due_at=now - 2 * MINUTE)
    await _add(uow, now, "normal_newer", due_at=now - MINUTE)
    await _add(uow, now, "urgent_now", priority=1)
    await _add(uow, now, "urgent_later", priority=1, due_at=now + MINUTE)
    await _add(uow, now, "normal_oldest", due_at=now - 3 * MINUTE)

    items = await delivery.claim_due(uow(), now=now)

    assert [i.kind for i in items] == [
        "urgent_now",
        "normal_oldest",
        "normal_older",
        "normal_newer",
    ]
    assert (await _row(uow, "urgent_later")).state == "pending"


async def test_claim_due_respects_the_limit(uow: Uow, clock: FakeClock) -> None:
    for n in range(5):
        await _add(uow, clock.now(), f"n{n}", due_at=clock.now() - n * MINUTE)

    items = await delivery.claim_due(uow(), now=clock.now(), limit=2)

    assert [i.kind for i in items] == ["n4", "n3"]
    states = await fetch(uow, select(OutboxRow.kind, OutboxRow.state).order_by(OutboxRow.id))
    assert [tuple(r) for r in states] == [
        ("n0", "pending"),
        ("n1", "pending"),
        ("n2", "pending"),
        ("n3", "sending"),
        ("n4", "sending"),
    ]


async def test_a_limited_claim_takes_the_most_urgent_rows_first(
    uow: Uow, clock: FakeClock
) -> None:
    now = clock.now()
    await _add(uow, now, "old_normal", due_at=now - 5 * MINUTE)
    await _add(uow, now, "new_urgent", priority=1)

    items = await delivery.claim_due(uow(), now=now, limit=1)

    assert [i.kind for i in items] == ["new_urgent"]
    assert (await _row(uow, "old_normal")).state == "pending"


async def test_claim_leases_the_row_until_the_lease_ends(uow: Uow, clock: FakeClock) -> None:
    await _add(uow, clock.now(), "hello")
    first = await _claim_one(uow, clock)

    row = await _row(uow, "hello")
    assert (row.state, row.attempts, row.locked_until) == (
        "sending",
        1,
        clock.now() + delivery.LEASE,
    )
    assert first.attempts == 1
    assert await delivery.claim_due(uow(), now=clock.now()) == []
    clock.advance(seconds=29)
    assert await delivery.claim_due(uow(), now=clock.now()) == []

    clock.advance(seconds=1)  # exactly at the end of the lease
    again = await _claim_one(uow, clock)

    assert (again.id, again.attempts) == (first.id, 2)
    assert (await _row(uow, "hello")).locked_until == clock.now() + delivery.LEASE


async def test_claimed_item_carries_the_notice(uow: Uow, clock: FakeClock) -> None:
    async with uow() as u:
        await u.outbox.add(
            Notice(
                payload=raw("promoted", role="Walker", n=2), chat_id=42, priority=Priority.BRIEFING
            ),
            now=clock.now(),
            due_at=None,
        )
        await u.commit()

    item = await _claim_one(uow, clock)

    assert (item.kind, item.chat_id, item.payload, item.priority) == (
        "promoted",
        42,
        {"role": "Walker", "n": 2},
        3,
    )
    assert item.due_at == item.created_at == clock.now()


async def test_record_sent_marks_the_row_sent(uow: Uow, clock: FakeClock) -> None:
    await _add(uow, clock.now(), "hello")
    item = await _claim_one(uow, clock)
    clock.advance(seconds=2)

    await delivery.record_outcome(uow(), item, Sent(message_id=777), now=clock.now())

    row = await _row(uow, "hello")
    assert (row.state, row.sent_at, row.message_id, row.locked_until) == (
        "sent",
        clock.now(),
        777,
        None,
    )
    clock.advance(hours=1)
    assert await delivery.claim_due(uow(), now=clock.now()) == []


async def test_retry_later_backs_off_exponentially(uow: Uow, clock: FakeClock) -> None:
    await _add(uow, clock.now(), "hello")
    waits = []
    for _ in range(3):
        item = await _claim_one(uow, clock)
        await delivery.record_outcome(uow(), item, RetryLater("timed out"), now=clock.now())
        row = await _row(uow, "hello")
        assert (row.state, row.locked_until, row.last_error) == ("pending", None, "timed out")
        waits.append(row.due_at - clock.now())
        assert await delivery.claim_due(uow(), now=clock.now()) == []
        clock.set(row.due_at)

    assert waits == [dtm.timedelta(seconds=s) for s in (1, 2, 4)]


def test_backoff_is_capped_at_a_minute() -> None:
    assert delivery.backoff(0) == dtm.timedelta(seconds=1)
    assert delivery.backoff(6) == dtm.timedelta(seconds=32)
    assert delivery.backoff(7) == delivery.MAX_BACKOFF
    assert delivery.backoff(48) == delivery.MAX_BACKOFF  # overflowed a timedelta once
    assert delivery.backoff(10_000) == delivery.MAX_BACKOFF


async def test_retry_later_with_an_explicit_wait_uses_it(uow: Uow, clock: FakeClock) -> None:
    await _add(uow, clock.now(), "hello")
    item = await _claim_one(uow, clock)

    await delivery.record_outcome(
        uow(), item, RetryLater("429", after=dtm.timedelta(seconds=37)), now=clock.now()
    )

    row = await _row(uow, "hello")
    assert (row.state, row.due_at, row.last_error) == (
        "pending",
        clock.now() + dtm.timedelta(seconds=37),
        "429",
    )


@pytest.mark.parametrize(("unreachable", "state"), [(True, "unreachable"), (False, "failed")])
async def test_give_up_sets_the_final_state(
    uow: Uow, clock: FakeClock, unreachable: bool, state: str
) -> None:
    await _add(uow, clock.now(), "hello")
    item = await _claim_one(uow, clock)

    await delivery.record_outcome(
        uow(), item, GiveUp("Forbidden: bot was blocked", unreachable=unreachable), now=clock.now()
    )

    row = await _row(uow, "hello")
    assert (row.state, row.locked_until, row.last_error) == (
        state,
        None,
        "Forbidden: bot was blocked",
    )
    clock.advance(days=1)
    assert await delivery.claim_due(uow(), now=clock.now()) == []


async def test_a_long_error_is_cut_to_fit(uow: Uow, clock: FakeClock) -> None:
    await _add(uow, clock.now(), "hello")
    item = await _claim_one(uow, clock)

    await delivery.record_outcome(uow(), item, GiveUp("e" * 1000), now=clock.now())

    assert (await _row(uow, "hello")).last_error == "e" * 400


async def test_dedupe_key_prevents_a_second_row(uow: Uow, clock: FakeClock) -> None:
    await _add(uow, clock.now(), "first", dedupe_key="promoted:1")
    await _add(uow, clock.now(), "second", dedupe_key="promoted:1")
    await _add(uow, clock.now(), "other", dedupe_key="promoted:2")

    kinds = await fetch(uow, select(OutboxRow.kind).order_by(OutboxRow.id))
    assert [r.kind for r in kinds] == ["first", "other"]


async def test_next_due_is_none_for_an_empty_outbox(uow: Uow) -> None:
    assert await delivery.next_due(uow()) is None


async def test_next_due_is_the_earliest_pending_row(uow: Uow, clock: FakeClock) -> None:
    now = clock.now()
    await _add(uow, now, "later", due_at=now + 5 * MINUTE)
    await _add(uow, now, "sooner", due_at=now + 2 * MINUTE)

    assert await delivery.next_due(uow()) == now + 2 * MINUTE


async def test_next_due_counts_the_end_of_a_lease_and_ignores_finished_rows(
    uow: Uow, clock: FakeClock
) -> None:
    now = clock.now()
    await _add(uow, now, "leased")
    await _add(uow, now, "done")
    await _add(uow, now, "later", due_at=now + 5 * MINUTE)
    leased, done = await delivery.claim_due(uow(), now=now)
    await delivery.record_outcome(uow(), done, Sent(message_id=1), now=now)

    assert await delivery.next_due(uow()) == now + delivery.LEASE

    await delivery.record_outcome(uow(), leased, GiveUp("gone"), now=now)
    assert await delivery.next_due(uow()) == now + 5 * MINUTE


async def test_an_edit_target_is_read_in_one_go_through_the_rows_life(
    uow: Uow, clock: FakeClock
) -> None:
    """Pending and being sent: wait. Sent: here it is. Given up: nothing to edit, ever."""
    await _add(uow, clock.now(), "offer", chat_id=42)
    await _add(uow, clock.now(), "lost", chat_id=43)
    offer, lost = (await _row(uow, "offer")).id, (await _row(uow, "lost")).id
    assert await delivery.edit_target(uow(), offer) == EditTarget(None, on_its_way=True)

    claimed = {i.kind: i for i in await delivery.claim_due(uow(), now=clock.now())}
    assert await delivery.edit_target(uow(), offer) == EditTarget(None, on_its_way=True)

    await delivery.record_outcome(uow(), claimed["offer"], Sent(message_id=9), now=clock.now())
    await delivery.record_outcome(uow(), claimed["lost"], GiveUp("blocked"), now=clock.now())
    assert await delivery.edit_target(uow(), offer) == EditTarget(
        SentMessage(offer, "offer", 42, 9), on_its_way=False
    )
    assert await delivery.edit_target(uow(), lost) == EditTarget(None, on_its_way=False)
    assert await delivery.edit_target(uow(), 999_999) == EditTarget(None, on_its_way=False)


async def _add_edit(uow: Uow, now: dtm.datetime, kind: str, of: int) -> None:
    async with uow() as u:
        await u.outbox.add(Notice(payload=raw(kind), chat_id=1, edit_of=of), now=now, due_at=None)
        await u.commit()


async def test_a_newer_edit_of_the_same_message_replaces_a_waiting_older_one(
    uow: Uow, clock: FakeClock
) -> None:
    now = clock.now()
    await _add(uow, now, "alert")
    original = await _claim_one(uow, clock)
    await delivery.record_outcome(uow(), original, Sent(message_id=7), now=now)
    await _add_edit(uow, now, "alert_taken", original.id)
    await _add_edit(uow, now, "alert_resolved", original.id)

    items = await delivery.claim_due(uow(), now=now)

    assert [i.kind for i in items] == ["alert_resolved"]
    assert (await _row(uow, "alert_taken")).state == "cancelled"


async def test_an_older_edit_put_off_is_not_sent_after_a_newer_one(
    uow: Uow, clock: FakeClock
) -> None:
    """'Dealing with it' waited for its original; 'resolved' went first: it stays last."""
    now = clock.now()
    await _add(uow, now, "alert")
    original = await _claim_one(uow, clock)
    await delivery.record_outcome(uow(), original, Sent(message_id=7), now=now)
    await _add_edit(uow, now, "alert_taken", original.id)
    taken = await _claim_one(uow, clock)
    await _add_edit(uow, now, "alert_resolved", original.id)
    resolved = await _claim_one(uow, clock)
    await delivery.record_outcome(uow(), resolved, Sent(message_id=7), now=now)
    put_off = RetryLater("on its way", after=dtm.timedelta(seconds=1))
    await delivery.record_outcome(uow(), taken, put_off, now=now)

    assert await delivery.claim_due(uow(), now=now + MINUTE) == []
    assert (await _row(uow, "alert_taken")).state == "cancelled"
    assert (await _row(uow, "alert_resolved")).state == "sent"
