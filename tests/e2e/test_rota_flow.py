"""The issue's 'done when': invite, claim, fill the last place, waitlist, promotion."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Harness

pytestmark = pytest.mark.e2e


async def test_invite_claim_waitlist_and_promotion(bot: Harness) -> None:
    ana = await bot.join("Ana")
    ben = await bot.join("Ben")
    cat = await bot.join("Cat")

    for person in (ana, ben):
        await person.send("/rota")
        await person.wait_for("Upcoming sessions")
        await person.tap("Wed 2 Dec")
        await person.wait_for("Meet: St Anne's Hall")
        answer = await person.tap("Join Walker", contains=True)
        assert answer.text is not None
        assert "You're down as Walker" in answer.text

    await cat.send("/rota")
    await cat.wait_for("Upcoming sessions")
    await cat.tap("Wed 2 Dec")
    await cat.wait_for("Meet:")
    assert "Walker: 2/2 (full)" in cat.last().text
    answer = await cat.tap("Walker: full, join waitlist")
    assert answer.text is not None
    assert "waitlist" in answer.text
    await cat.wait_for("You're on the waitlist for Walker")

    await ana.send("/myshifts")
    await ana.wait_for("Your upcoming shifts")
    await ana.tap("Withdraw: Wed 2 Dec Walker")
    await ana.wait_for("Withdraw from Walker")
    await ana.tap("Yes, withdraw")
    done = await ana.wait_for("You've withdrawn from Walker")
    assert "Cat from the waitlist takes your place" in done.text

    promoted = await cat.wait_for("a place opened up")
    assert "Walker" in promoted.text
