"""Instants in storage: aware UTC out, naive datetimes refused, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dtm

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from rota.kernel import delivery
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.outbox import Notice
from rota.storage.tables import VolunteerRow
from tests.notices import raw
from tests.services.helpers import Uow, count, fetch, first_session, join_team

INDIA = dtm.timezone(dtm.timedelta(hours=5, minutes=30))


def _is_utc(instant: dtm.datetime | None) -> bool:
    return instant is not None and instant.utcoffset() == dtm.timedelta(0)


async def test_an_instant_in_another_zone_comes_back_as_the_same_instant_in_utc(
    uow: Uow,
) -> None:
    stored = dtm.datetime(2026, 11, 30, 17, 30, tzinfo=INDIA)  # 12:00 UTC
    async with uow() as u:
        volunteer = await u.volunteers.add(
            telegram_id=5, display_name="Ana", username=None, tags=frozenset(), now=stored
        )
        await u.commit()

    async with uow() as u:
        loaded = await u.volunteers.get(volunteer.id)

    assert loaded is not None
    assert loaded.joined_at == stored
    assert loaded.joined_at.tzinfo == dtm.UTC
    assert loaded.joined_at.hour == 12
    (raw,) = await fetch(uow, text("SELECT joined_at FROM volunteers"))
    assert str(raw[0]).startswith("2026-11-30 12:00:00")  # kept as UTC wall time


async def test_instants_from_every_kind_of_read_are_aware_utc(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    board = await first_session(uow, config, clock)
    volunteer = await join_team(uow, config, clock, 5)
    async with uow() as u:
        await u.outbox.add(Notice(payload=raw("hello"), chat_id=5), now=clock.now(), due_at=None)
        await u.commit()

    async with uow() as u:
        session = await u.sessions.get(board.session.id)
        by_tid = await u.volunteers.by_telegram_id(5)
    (item,) = await delivery.claim_due(uow(), now=clock.now())
    due = await delivery.next_due(uow())

    assert session is not None
    assert by_tid is not None
    instants = [
        session.starts_at,
        session.ends_at,
        by_tid.joined_at,
        volunteer.joined_at,
        item.due_at,
        item.created_at,
        due,
    ]
    assert all(_is_utc(i) for i in instants), instants
    assert session.starts_at == dtm.datetime(2026, 12, 2, 19, tzinfo=dtm.UTC)
    assert due == clock.now() + delivery.LEASE


async def test_storing_a_naive_datetime_raises_and_stores_nothing(uow: Uow) -> None:
    async def add_naive() -> None:
        async with uow() as u:
            await u.volunteers.add(
                telegram_id=5,
                display_name="Ana",
                username=None,
                tags=frozenset(),
                now=dtm.datetime(2026, 11, 30, 12),  # noqa: DTZ001 - naive on purpose
            )
            await u.commit()

    with pytest.raises(StatementError, match="naive datetime") as refused:
        await add_naive()

    assert isinstance(refused.value.orig, ValueError)
    assert await count(uow, VolunteerRow) == 0


async def test_comparing_with_a_naive_datetime_raises(uow: Uow) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        await delivery.claim_due(uow(), now=dtm.datetime(2026, 11, 30, 12))  # noqa: DTZ001
