"""Updates: different people are handled at once, one person's strictly in the order sent."""

from __future__ import annotations

import asyncio
import datetime as dtm

from telegram import Chat, Message, Update, User

from bot.updates import MAX_CONCURRENT, SQLITE_CONCURRENT, InOrderPerPerson, updates_at_once


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, f"U{user_id}", is_bot=False)
    chat = Chat(user_id, Chat.PRIVATE)
    message = Message(update_id, dtm.datetime.now(dtm.UTC), chat, from_user=user, text="hi")
    return Update(update_id, message=message)


async def test_one_persons_updates_run_in_order_even_when_the_first_is_slow() -> None:
    processor = InOrderPerPerson()
    done: list[str] = []

    async def handle(label: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        done.append(label)

    await asyncio.gather(
        processor.process_update(_update(1, 7), handle("first", 0.1)),
        processor.process_update(_update(2, 7), handle("second", 0.0)),
    )
    assert done == ["first", "second"]


async def test_different_people_do_not_wait_for_each_other() -> None:
    processor = InOrderPerPerson()
    done: list[str] = []

    async def handle(label: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        done.append(label)

    await asyncio.gather(
        processor.process_update(_update(1, 7), handle("slow", 0.1)),
        processor.process_update(_update(2, 8), handle("quick", 0.0)),
    )
    assert done == ["quick", "slow"]
    assert processor._locks == {}  # nobody left waiting: nothing kept per person


async def test_updates_without_a_person_are_handled_straight_away() -> None:
    processor = InOrderPerPerson()
    done: list[str] = []

    async def handle() -> None:
        done.append("x")

    await processor.process_update(object(), handle())
    assert done == ["x"]


def test_sqlite_takes_a_few_people_at_once_and_postgresql_many() -> None:
    assert updates_at_once("sqlite:///rota.db") == SQLITE_CONCURRENT == 4
    assert updates_at_once(" sqlite+aiosqlite:////var/lib/rota.db") == SQLITE_CONCURRENT
    assert updates_at_once("postgresql://rota@db/rota") == MAX_CONCURRENT == 32
