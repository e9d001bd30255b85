"""The dispatcher's held rows: an edit can wait for its original's outcome to be recorded."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from bot.context import BotDeps


def _deps() -> BotDeps:
    # Only the held-rows bookkeeping is used here.
    return BotDeps(
        clock=cast(Any, None),
        uow=cast(Any, None),
        settings=cast(Any, None),
        config=cast(Any, None),
    )


async def test_a_row_not_held_is_released_at_once() -> None:
    deps = _deps()
    deps.hold([1])
    assert await deps.released(2, within=0.01) is True


async def test_waiting_ends_when_the_row_is_released_not_when_others_are() -> None:
    deps = _deps()
    deps.hold([1, 2])
    waiter = asyncio.create_task(deps.released(1, within=5.0))
    await asyncio.sleep(0.01)
    deps.release([2])
    await asyncio.sleep(0.01)
    assert not waiter.done()  # another row's outcome is not this one's
    deps.release([1])
    assert await asyncio.wait_for(waiter, 1.0) is True


async def test_waiting_gives_up_after_its_time() -> None:
    deps = _deps()
    deps.hold([1])
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await deps.released(1, within=0.05) is False
    assert 0.04 <= loop.time() - started < 1.0
    assert 1 in deps.held
