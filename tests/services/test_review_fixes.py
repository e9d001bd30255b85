"""Fixes from review: one session a night, forgetting really forgets, racing notices."""

from __future__ import annotations

import asyncio
import datetime as dtm

from sqlalchemy import select

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.delivery import Sent, claim_due, record_outcome
from rota.kernel.outbox import Notice
from rota.people import membership as people
from rota.roster import sessions
from rota.storage.tables import OutboxRow
from tests.conftest import ADMIN_ID
from tests.notices import raw
from tests.services.helpers import Uow, fetch, first_session, join, join_team, role_id


async def test_a_one_off_night_is_not_doubled_by_the_template(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    # Wednesday 16 Dec is a template night (3 weeks ahead from Mon 30 Nov once the clock moves)
    await sessions.add_session(
        uow(),
        telegram_id=ADMIN_ID,
        day="2026-12-16",
        start="18:00",
        end="22:00",
        note="Extra",
        config=config,
        now=clock.now(),
    )
    await sessions.sync_sessions(uow(), config=config, now=clock.now())
    await sessions.sync_sessions(uow(), config=config, now=clock.now())
    async with uow() as work:
        on_day = await work.sessions.on_date(dtm.date(2026, 12, 16))
    assert [(s.template_key, s.note) for s in on_day] == [(None, "Extra")]


async def test_forgetting_deletes_delivered_messages_and_hides_the_name_in_alerts(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await first_session(uow, config, clock)
    await join_team(uow, config, clock, 5, name="Priya")
    await join(uow, config, clock, 5, role_id(board, "dropin"))
    async with uow() as work:
        await work.outbox.add(
            Notice(payload=raw("promoted"), chat_id=5), now=clock.now(), due_at=None
        )
        await work.commit()
    (item,) = await claim_due(uow(), now=clock.now())
    await record_outcome(uow(), item, Sent(message_id=1), now=clock.now())
    clock.set(dtm.datetime(2026, 12, 2, 12, tzinfo=dtm.UTC))  # 7 h before: late notice

    await people.forget_me(uow(), telegram_id=5, config=config, now=clock.now())

    rows = await fetch(uow, select(OutboxRow.kind, OutboxRow.chat_id, OutboxRow.payload))
    assert all(chat != 5 for _kind, chat, _payload in rows)
    late = [payload for kind, _chat, payload in rows if kind == "late_withdrawal"]
    assert late
    assert all("Priya" not in payload for payload in late)


async def test_two_workers_recording_the_same_notice_leave_one_row_and_no_error(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    async def record() -> None:
        async with uow() as work:
            await work.outbox.add(
                Notice(payload=raw("promoted"), chat_id=9, dedupe_key="same"),
                now=clock.now(),
                due_at=None,
            )
            await work.commit()

    await asyncio.gather(*(record() for _ in range(8)))
    assert len(await fetch(uow, select(OutboxRow.id))) == 1


async def test_incident_text_is_scrubbed_once_delivered(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    async with uow() as work:
        await work.outbox.add(
            Notice(payload=raw("debrief_incident", text="a man in a van"), chat_id=ADMIN_ID),
            now=clock.now(),
            due_at=None,
        )
        await work.outbox.add(
            Notice(payload=raw("promoted", role="Walker"), chat_id=5),
            now=clock.now(),
            due_at=None,
        )
        await work.commit()
    for item in await claim_due(uow(), now=clock.now()):
        await record_outcome(uow(), item, Sent(message_id=1), now=clock.now())
    rows = dict(await fetch(uow, select(OutboxRow.kind, OutboxRow.payload)))
    assert rows == {"debrief_incident": "{}", "promoted": '{"role": "Walker"}'}


async def test_a_claim_takes_no_more_rows_than_its_limit(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    async with uow() as work:
        for chat in range(10):
            await work.outbox.add(
                Notice(payload=raw("promoted"), chat_id=chat), now=clock.now(), due_at=None
            )
        await work.commit()
    first = await claim_due(uow(), now=clock.now(), limit=3)
    second = await claim_due(uow(), now=clock.now(), limit=3)
    assert len(first) == 3
    assert len(second) == 3
    assert not {i.id for i in first} & {i.id for i in second}
