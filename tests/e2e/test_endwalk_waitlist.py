"""A lead on the waitlist is not tonight's lead: their /endwalk is refused and changes nothing."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Harness, night, sign_up, tick

pytestmark = pytest.mark.e2e

REFUSED = "Only tonight's team lead or a coordinator can end the walk."


async def test_a_waitlisted_lead_cannot_end_the_walk(bot: Harness) -> None:
    ana, bea = await bot.join("Ana", "trained"), await bot.join("Bea", "new")
    lee, wes = await bot.join("Lee", "lead"), await bot.join("Wes", "lead")
    await sign_up(bot, ana, "Walker")
    await sign_up(bot, bea, "Walker")
    await sign_up(bot, lee, "Team lead")
    await sign_up(bot, bot.coordinator, "On-call coordinator")
    await bot.open_session(wes, "Wed 2 Dec")
    answer = await wes.tap("Team lead: full, join waitlist")
    assert "waitlist" in (answer.text or "")
    await wes.wait_for("You're on the waitlist for Team lead")

    await tick(bot, night(19))
    await ana.wait_for("The walk has started")
    bot.clock.set(night(19, 10))
    with bot.jobs_paused():
        before = await bot.snapshot()
        reply = await bot.ask(wes, "/endwalk")
        assert reply.text == REFUSED
        assert await bot.snapshot() == before
    assert not [m for w in (ana, bea) for m in w.messages() if "The walk is over" in m.text]

    # The confirmed lead still can.
    ended = await bot.ask(lee, "/endwalk")
    assert ended.text.startswith("The walk is over")
