"""/tonight shows who has not read the briefing, once the briefing has gone out."""

from __future__ import annotations

from rota.safety import tonight
from tests.briefings.support import BRIEF_AT, briefing_of, read, tick
from tests.safety.support import CORA, TIA, Night, at


async def _board(night: Night) -> tonight.Board:
    return await tonight.board(
        night.uow(), telegram_id=CORA, config=night.config, now=night.clock.now()
    )


async def test_before_the_briefing_the_board_says_nothing_about_it(night: Night) -> None:
    night.clock.set(at(15, 0))
    board = await _board(night)
    assert (board.briefed, board.unread) == (False, ())


async def test_after_the_briefing_the_board_lists_who_has_not_read_it(night: Night) -> None:
    await tick(night, BRIEF_AT)
    everyone = (await _board(night)).unread
    assert "Tia" in everyone
    briefing_id = int(str((await briefing_of(night, TIA)).payload["briefing_id"]))
    night.clock.set(at(16, 7))
    await read(night, TIA, briefing_id)
    board = await _board(night)
    assert board.briefed
    assert "Tia" not in board.unread
    assert set(board.unread) == set(everyone) - {"Tia"}
