"""Delivering the outbox: claim due rows, then record what Telegram said."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from rota.briefings import services as briefings
from rota.kernel.config import RotaConfig
from rota.kernel.outbox import EditTarget, OutboxItem, SentMessage
from rota.kernel.uow import UnitOfWork
from rota.safety import alarms

LEASE = dtm.timedelta(seconds=30)
# Free text about incidents may concern third parties: kept only until it is delivered.
SCRUB_AFTER_SEND = frozenset({"debrief_incident"})
MAX_BACKOFF = dtm.timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Sent:
    """Telegram accepted the message."""

    message_id: int | None


@dataclass(frozen=True, slots=True)
class RetryLater:
    """A passing failure (network, 5xx, 429); try again, after `after` if Telegram said so."""

    error: str
    after: dtm.timedelta | None = None


@dataclass(frozen=True, slots=True)
class GiveUp:
    """A permanent failure; `unreachable` when the person blocked or never started the bot."""

    error: str
    unreachable: bool = False


Outcome = Sent | RetryLater | GiveUp


def backoff(attempts: int) -> dtm.timedelta:
    """1 s, 2 s, 4 s ... capped at a minute: fast recovery from blips, gentle in outages."""
    # The exponent is capped too: 2**47 seconds no longer fits in a timedelta.
    return min(dtm.timedelta(seconds=2 ** min(max(0, attempts - 1), 16)), MAX_BACKOFF)


async def claim_due(
    uow: UnitOfWork,
    *,
    now: dtm.datetime,
    limit: int = 50,
    lease: dtm.timedelta = LEASE,
    max_priority: int | None = None,
    exclude: Collection[int] = (),
) -> list[OutboxItem]:
    """Lease the due rows to this worker; no other worker gets them until the lease ends.

    `exclude`: rows this worker still holds. A clock that jumps, or a Telegram hold longer
    than the lease, must not let the same worker claim and send them a second time.
    """
    if limit <= 0:
        return []
    async with uow:
        items = await uow.outbox.claim_due(
            now=now, lease=lease, limit=limit, max_priority=max_priority, exclude=exclude
        )
        await uow.commit()
        return items


async def claim_for_chat(
    uow: UnitOfWork,
    *,
    chat_id: int,
    kinds: tuple[str, ...],
    now: dtm.datetime,
    limit: int = 2000,
    lease: dtm.timedelta = LEASE,
    exclude: Collection[int] = (),
) -> list[OutboxItem]:
    """Lease every due row of these kinds to one chat, so they can go as one message."""
    async with uow:
        items = await uow.outbox.claim_due(
            now=now, lease=lease, limit=limit, chat_id=chat_id, kinds=kinds, exclude=exclude
        )
        await uow.commit()
        return items


async def record_outcome(
    uow: UnitOfWork,
    item: OutboxItem,
    outcome: Outcome,
    *,
    now: dtm.datetime,
    config: RotaConfig | None = None,
) -> None:
    """Mark a row sent, due again later, or given up.

    An alert that cannot reach someone (403) moves its escalation to the next step at once;
    a briefing that cannot reach someone is reported to the coordinators.
    """
    await record_outcomes(uow, [(item, outcome)], now=now, config=config)


async def record_outcomes(
    uow: UnitOfWork,
    results: Sequence[tuple[OutboxItem, Outcome]],
    *,
    now: dtm.datetime,
    config: RotaConfig | None = None,
) -> None:
    """Record the rows of one message (a digest) together: its buttons find all or none."""
    async with uow:
        for item, outcome in results:
            await _record(uow, item, outcome, now=now, config=config)
        await uow.commit()


async def _record(
    uow: UnitOfWork,
    item: OutboxItem,
    outcome: Outcome,
    *,
    now: dtm.datetime,
    config: RotaConfig | None,
) -> None:
    match outcome:
        case Sent(message_id):
            await uow.outbox.mark_sent(
                item.id, now=now, message_id=message_id, scrub=item.kind in SCRUB_AFTER_SEND
            )
        case RetryLater(error, after):
            wait = after if after is not None else backoff(item.attempts)
            await uow.outbox.retry_at(item.id, due_at=now + wait, error=error)
        case GiveUp(error, unreachable):
            await uow.outbox.give_up(item.id, unreachable=unreachable, error=error)
            if (
                unreachable
                and config is not None
                and item.kind == "alert"
                and item.ref_kind == alarms.ESCALATION_REF
                and item.ref_id is not None
            ):
                await alarms.alert_undeliverable(
                    uow, item.ref_id, item.chat_id, config=config, now=now
                )
            if unreachable and config is not None and item.kind in briefings.UNDELIVERABLE_KINDS:
                await briefings.briefing_undeliverable(uow, item, config=config, now=now)


async def sent_message(uow: UnitOfWork, outbox_id: int) -> SentMessage | None:
    """Where a delivered message is, so an edit can find it."""
    async with uow:
        return (await uow.outbox.edit_target(outbox_id)).message


async def edit_target(uow: UnitOfWork, outbox_id: int) -> EditTarget:
    """The message an edit rewrites, or whether the edit must wait for it, in one read.

    Asking "delivered?" and then "still on its way?" in two reads let a send recorded in
    between look like one that never happened, and the edit was given up (CI saw it).
    """
    async with uow:
        return await uow.outbox.edit_target(outbox_id)


async def is_digest(uow: UnitOfWork, message: SentMessage) -> bool:
    """Whether a delivered message carries several alarms (a digest), not just one."""
    if message.message_id is None:
        return False
    async with uow:
        refs = await uow.outbox.refs_in_message(
            alarms.ESCALATION_REF, message.chat_id, message.message_id
        )
        return len(refs) > 1


async def next_due(uow: UnitOfWork) -> dtm.datetime | None:
    """When the outbox next needs attention, so the alarm clock can be set."""
    async with uow:
        return await uow.outbox.next_due()
