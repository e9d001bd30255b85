"""/tonight as a coordinator sees it on the night: each pair's state, alerts, the briefing."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Harness, night, sign_up, tick

pytestmark = pytest.mark.e2e


async def _tonight(bot: Harness) -> str:
    cora = bot.coordinator
    before = cora.last().message_id
    await cora.send("/tonight")
    return (await cora.wait_for("Tonight:", after=before)).text


async def test_the_board_follows_the_night(bot: Harness) -> None:
    ana, bea = await bot.join("Ana", "trained"), await bot.join("Bea", "new")
    await sign_up(bot, ana, "Walker")
    await sign_up(bot, bea, "Walker")
    await sign_up(bot, bot.coordinator, "On-call coordinator")

    await tick(bot, night(16))  # the briefing round
    await ana.wait_for("Got it")
    board = await _tonight(bot)
    assert "Briefing not read by:" in board
    assert "Ana" in board.split("Briefing not read by:")[1]

    await tick(bot, night(19))
    board = await _tonight(bot)
    assert "Ana and Bea" in board
    assert "ok" in board
    assert "next 19:30" in board

    await tick(bot, night(19, 36))  # the 19:30 check-in is past its reminder
    await tick(bot, night(19, 37))
    assert "late" in await _tonight(bot)

    await tick(bot, night(19, 40))  # escalated to the on-call coordinator
    board = await _tonight(bot)
    assert "ESCALATED" in board
    assert "Open alerts" in board
