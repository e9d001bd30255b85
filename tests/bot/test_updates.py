"""Updates: different people at once, one person's strictly in order, safety presses first,
and however many updates one person queues, they hold at most one processing slot."""

from __future__ import annotations

import asyncio
import datetime as dtm
from typing import Any

import pytest
from telegram import CallbackQuery, Chat, Location, Message, Update, User

from bot.updates import (
    MAX_CONCURRENT,
    SQLITE_CONCURRENT,
    InOrderPerPerson,
    handling_now,
    is_safety,
    updates_at_once,
)

NOW = dtm.datetime(2026, 12, 2, 19, 30, tzinfo=dtm.UTC)


def _update(update_id: int, user_id: int, text: str = "hi", *, group: bool = False) -> Update:
    user = User(user_id, f"U{user_id}", is_bot=False)
    chat = Chat(-100 if group else user_id, Chat.SUPERGROUP if group else Chat.PRIVATE)
    message = Message(update_id, NOW, chat, from_user=user, text=text)
    return Update(update_id, message=message)


def _press(update_id: int, user_id: int, data: str) -> Update:
    user = User(user_id, f"U{user_id}", is_bot=False)
    message = Message(1, NOW, Chat(user_id, Chat.PRIVATE), text="prompt")
    query = CallbackQuery(str(update_id), user, "instance", message=message, data=data)
    return Update(update_id, callback_query=query)


def _location(update_id: int, user_id: int) -> Update:
    user = User(user_id, f"U{user_id}", is_bot=False)
    chat = Chat(user_id, Chat.PRIVATE)
    message = Message(update_id, NOW, chat, from_user=user, location=Location(-0.1, 51.5))
    return Update(update_id, message=message)


class Gate:
    """Handlers that wait until released, recording when each started and finished."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.done: list[str] = []
        self.go = asyncio.Event()

    async def handle(self, label: str) -> None:
        self.started.append(label)
        await self.go.wait()
        self.done.append(label)


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


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
    assert processor._queues == {}  # nobody left waiting: nothing kept per person


async def test_updates_without_a_person_are_handled_straight_away() -> None:
    processor = InOrderPerPerson()
    done: list[str] = []

    async def handle() -> None:
        done.append("x")

    await processor.process_update(object(), handle())
    assert done == ["x"]


async def test_a_flooders_queue_holds_one_slot_and_others_go_past_it() -> None:
    processor = InOrderPerPerson(2, safety_reserve=0, flood_rate=1000)
    flood = Gate()
    tasks = [
        asyncio.create_task(processor.process_update(_update(i, 7), flood.handle(f"f{i}")))
        for i in range(40)
    ]
    await _settle()
    assert flood.started == ["f0"]
    assert processor.current_concurrent_updates == 1  # 39 queued, holding nothing

    done: list[str] = []

    async def other() -> None:
        done.append("other")

    # Before the fix (the slot taken before the person's queue), 40 queued updates took both
    # slots and this waited for the whole flood.
    await asyncio.wait_for(processor.process_update(_update(99, 8), other()), 1.0)
    assert done == ["other"]

    flood.go.set()
    await asyncio.gather(*tasks)
    assert flood.done == [f"f{i}" for i in range(40)]  # the flooder's own order kept
    assert processor.current_concurrent_updates == 0
    assert processor._queues == {}


async def test_a_safety_update_overtakes_ordinary_ones_waiting_for_a_slot() -> None:
    processor = InOrderPerPerson(1, safety_reserve=0)
    gate = Gate()
    busy = asyncio.create_task(processor.process_update(_update(1, 1), gate.handle("busy")))
    await _settle()
    waiting = [
        asyncio.create_task(processor.process_update(_update(i, i), gate.handle(f"o{i}")))
        for i in range(10, 15)
    ]
    await _settle()
    press = asyncio.create_task(
        processor.process_update(_press(30, 30, "ci:o:5"), gate.handle("we're ok"))
    )
    await _settle()
    gate.go.set()
    await asyncio.gather(busy, press, *waiting)
    assert gate.started[:2] == ["busy", "we're ok"]
    # The rest first come, first served.
    assert gate.started[2:] == [f"o{i}" for i in range(10, 15)]


async def test_a_safety_update_takes_a_reserved_slot_when_every_shared_one_is_busy() -> None:
    processor = InOrderPerPerson(2)  # two shared slots, the default reserve
    gate = Gate()
    ordinary = [
        asyncio.create_task(processor.process_update(_update(i, i), gate.handle(f"o{i}")))
        for i in range(1, 5)
    ]
    await _settle()
    assert gate.started == ["o1", "o2"]

    done: list[str] = []

    async def sos() -> None:
        done.append("sos")

    await asyncio.wait_for(processor.process_update(_update(9, 9, "/sos"), sos()), 1.0)
    assert done == ["sos"]
    assert gate.started == ["o1", "o2"]  # the reserve is not for ordinary updates
    gate.go.set()
    await asyncio.gather(*ordinary)


async def test_a_persons_safety_press_does_not_wait_behind_their_own_flood() -> None:
    processor = InOrderPerPerson(2)
    flood = Gate()
    tasks = [
        asyncio.create_task(processor.process_update(_update(i, 7), flood.handle(f"f{i}")))
        for i in range(10)
    ]
    await _settle()
    done: list[str] = []

    async def help_() -> None:
        done.append("help")

    await asyncio.wait_for(processor.process_update(_press(50, 7, "ci:h:5"), help_()), 1.0)
    assert done == ["help"]
    flood.go.set()
    await asyncio.gather(*tasks)


async def test_everyone_flooding_shares_one_paced_lane_and_others_do_not_wait_for_it() -> None:
    processor = InOrderPerPerson(4, flood_rate=20)  # one flood update every 50 ms
    started: dict[str, float] = {}
    loop = asyncio.get_running_loop()

    async def handle(label: str) -> None:
        started[label] = loop.time()
        await asyncio.sleep(0.001)  # a handler waits on the database: queues build meanwhile

    t0 = loop.time()
    flood = [
        processor.process_update(_update(100 * person + i, person), handle(f"{person}:{i}"))
        for i in range(10)
        for person in (7, 8)
    ]
    others = [
        processor.process_update(_update(900 + i, 50 + i), handle(f"o{i}")) for i in range(3)
    ]
    await asyncio.gather(*flood, *others)

    assert max(started[f"o{i}"] for i in range(3)) - t0 < 0.04  # not behind the flood
    flooded = sorted(t for label, t in started.items() if ":" in label)
    # Each flooder's first update goes as usual, and so do their last 3 (a queue of 3 is no
    # flood); the 12 between them take the lane one every 50 ms, both flooders together.
    assert flooded[-1] - t0 >= 11 * 0.05 * 0.9
    for person in (7, 8):  # each flooder's own order kept
        theirs = [started[f"{person}:{i}"] for i in range(10)]
        assert theirs == sorted(theirs)


async def test_a_flood_waits_for_an_idle_moment_but_not_for_ever() -> None:
    processor = InOrderPerPerson(4, flood_rate=1000, flood_patience=0.2)
    busy = Gate()
    other = asyncio.create_task(processor.process_update(_update(1, 50), busy.handle("other")))
    await _settle()
    started: list[str] = []

    async def handle(label: str) -> None:
        started.append(label)
        await asyncio.sleep(0.001)  # a handler waits on the database: the queue builds

    queued = [
        asyncio.create_task(processor.process_update(_update(10 + i, 7), handle(f"f{i}")))
        for i in range(6)
    ]
    await asyncio.sleep(0.05)
    assert started == ["f0"]  # the first of them, before the queue was long
    await asyncio.sleep(0.25)  # past the patience: the flood takes an ordinary turn
    assert "f1" in started
    busy.go.set()  # now the bot is idle: the rest go one after another
    await asyncio.gather(other, *queued)
    assert started == [f"f{i}" for i in range(6)]


async def test_the_handler_knows_whose_update_it_handles_and_a_task_it_starts_does_not() -> None:
    processor = InOrderPerPerson()
    seen: dict[str, Any] = {}

    async def handle() -> None:
        seen["handler"] = handling_now()

        async def job() -> None:
            seen["job"] = handling_now()

        await asyncio.create_task(job())

    await processor.process_update(_update(1, 7, "/ok"), handle())
    assert (seen["handler"].person, seen["handler"].safety) == (7, True)
    assert seen["job"] is None
    assert handling_now() is None


async def test_an_update_cancelled_while_queued_is_never_run_and_takes_no_slot() -> None:
    processor = InOrderPerPerson(1, safety_reserve=0)
    gate = Gate()
    first = asyncio.create_task(processor.process_update(_update(1, 7), gate.handle("first")))
    await _settle()
    queued = asyncio.create_task(processor.process_update(_update(2, 8), gate.handle("second")))
    await _settle()
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    gate.go.set()
    await first
    assert gate.started == ["first"]
    assert processor.current_concurrent_updates == 0


@pytest.mark.parametrize(
    ("update", "safety"),
    [
        (_press(1, 7, "ci:o:12"), True),
        (_press(1, 7, "ci:h:12"), True),
        (_press(1, 7, "es:a:3"), True),
        (_press(1, 7, "es:t"), True),
        (_press(1, 7, "hs:o:4"), True),
        (_press(1, 7, "wk:e"), True),
        (_press(1, 7, "ro:s:4"), False),
        (_press(1, 7, "me:y"), False),
        (_update(1, 7, "/ok"), True),
        (_update(1, 7, "/sos"), True),
        (_update(1, 7, "/SOS@rotabot_test_bot"), True),
        (_update(1, 7, "/ok", group=True), True),
        (_update(1, 7, "/endwalk"), True),
        (_update(1, 7, "/me"), False),
        (_update(1, 7, "/okay"), False),
        (_update(1, 7, "/"), False),
        (_update(1, 7, "  Pineapple  "), True),
        (_update(1, 7, "pineapple", group=True), False),
        (_update(1, 7, "pineapple pie"), False),
        (_update(1, 7, "hello"), False),
        (_location(1, 7), True),
        (object(), False),
    ],
)
def test_safety_updates_are_told_from_the_update_alone(update: object, safety: bool) -> None:
    assert is_safety(update, frozenset({"pineapple"})) is safety


def test_without_a_duress_word_plain_text_is_ordinary() -> None:
    processor = InOrderPerPerson(duress_words=[None])
    assert not processor.is_safety(_update(1, 7, "pineapple"))
    assert InOrderPerPerson(duress_words=["Pine Apple"]).is_safety(_update(1, 7, "pine  apple"))


def test_sqlite_takes_a_few_people_at_once_and_postgresql_many() -> None:
    assert updates_at_once("sqlite:///rota.db") == SQLITE_CONCURRENT == 4
    assert updates_at_once(" sqlite+aiosqlite:////var/lib/rota.db") == SQLITE_CONCURRENT
    assert updates_at_once("postgresql://rota@db/rota") == MAX_CONCURRENT == 32
