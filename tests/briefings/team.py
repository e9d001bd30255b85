"""Tonight's people in the end-to-end briefing tests, signed up through the real bot.

Ana (trained) and Bea (new) walk, Lee leads, Cora (the bootstrap admin) is on call, Dee is a
coordinator who is not on the rota tonight.
"""

from __future__ import annotations

import datetime as dtm

from bot.fake_telegram import BotMessage, FakeUser
from tests.e2e.conftest import Harness, night, outbox_settled, sign_up, texts_of

DAY = "2026-12-02"
BRIEF_AT = night(16)  # 19:00 minus send_before (3h)
UNREAD_AT = night(18, 30)  # 19:00 minus unread_alert_before (30m)
HEAD = "Briefing: Wed 2 Dec 19:00–23:00"
UPDATE = "Update to tonight's briefing"


class Team:
    """The people of the night, joined and signed up through /start, /rota and the buttons."""

    ana: FakeUser
    bea: FakeUser
    lee: FakeUser
    dee: FakeUser

    def __init__(self, bot: Harness) -> None:
        self.bot = bot
        self.cora = bot.coordinator

    async def sign_up(self) -> Team:
        bot = self.bot
        self.ana = await bot.join("Ana", "trained")
        self.bea = await bot.join("Bea", "new")
        self.lee = await bot.join("Lee", "lead")
        self.dee = await bot.join("Dee", "coordinator")
        await sign_up(bot, self.ana, "Walker")
        await sign_up(bot, self.bea, "Walker")
        await sign_up(bot, self.lee, "Team lead")
        await sign_up(bot, self.cora, "On-call coordinator")
        return self

    @property
    def on_rota(self) -> list[FakeUser]:
        return [self.ana, self.bea, self.lee, self.cora]

    async def briefed(self, when: dtm.datetime = BRIEF_AT) -> Team:
        """The shift job runs at `when` and everyone on the rota has their briefing."""
        self.bot.clock.set(when)
        await self.bot.run_job("shift")
        for person in self.on_rota:
            await person.wait_for(HEAD)
        assert await outbox_settled(self.bot)
        return self


async def move_clock(bot: Harness, when: dtm.datetime) -> None:
    """Set the clock once every send has been recorded.

    A jump of more than the 30 s delivery lease while a send is still being recorded would
    make that row look abandoned, and another sweep would send it again.
    """
    assert await outbox_settled(bot)
    bot.clock.set(when)


def briefing_of(person: FakeUser) -> BotMessage:
    """The person's briefing message (exactly one, as it shows now)."""
    (message,) = [m for m in person.messages() if HEAD in m.text]
    return message


def count(person: FakeUser, needle: str) -> int:
    return sum(needle in t for t in texts_of(person))
