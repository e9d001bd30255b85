"""The end of the night: the lead ends the walk early, then everyone confirms they got home.

Home safe is due 90 minutes after the session's end (23:00 + 90m = 00:30); the reminder goes
then, and the on-call coordinator is alerted five minutes later (escalate_after - grace).
"""

from __future__ import annotations

import pytest

from bot.texts import PRESS_REFUSED
from tests.e2e.conftest import Harness, count_of, edited_to, night, sends_to, sign_up, tick

pytestmark = pytest.mark.e2e

HOME = "🏠 I'm home safe"


async def test_endwalk_stops_the_checkins_and_everyone_confirms_home(bot: Harness) -> None:
    ana, bea = await bot.join("Ana", "trained"), await bot.join("Bea", "new")
    lee = await bot.join("Lee", "lead")
    cora = bot.coordinator
    await sign_up(bot, ana, "Walker")
    await sign_up(bot, bea, "Walker")
    await sign_up(bot, lee, "Team lead")
    await sign_up(bot, cora, "On-call coordinator")

    # The first four check-ins, each answered with /ok a minute after it was asked.
    await tick(bot, night(19))
    for seq, (hour, minute) in enumerate([(19, 30), (20, 0), (20, 30), (21, 0)], start=1):
        await tick(bot, night(hour, minute))
        await bea.wait_for(f"Check-in {seq} of 7")
        bot.clock.set(night(hour, minute + 1))
        sent = await ana.send("/ok")  # (the briefing may arrive at any moment meanwhile)
        reply = await ana.wait_for("✓ Checked in", after=sent["message_id"])
        assert reply.text == f"✓ Checked in at {hour}:{minute + 1:02d}. Thank you, stay safe!"
        await bea.wait_for(f"✓ Check-in {seq} of 7: Ana checked in")

    # 21:01: the team lead ends the walk; the walkers are told.
    ended = await bot.ask(lee, "/endwalk")
    assert (
        ended.text == "The walk is over: check-ins stopped and the walkers were told. Thank you."
    )
    for walker in (ana, bea):
        over = await walker.wait_for("The walk is over")
        assert over.text.startswith("The walk is over (Lee ended it): no more check-ins.")
    for when in (night(21, 30), night(21, 35), night(21, 40), night(22, 0)):
        await tick(bot, when)
    for walker in (ana, bea):
        assert count_of(walker, "Check-in 5") == count_of(walker, "⏰") == 0
    assert count_of(cora, "MISSED") == 0
    states = [c["state"] for c in await bot.rows("checkins")]
    assert states == ["ok"] * 4 + ["cancelled"] * 3

    # 23:00: everyone on the session is asked to say they got home.
    await tick(bot, night(23))
    prompts = {}
    for person in (ana, bea, lee, cora):
        prompts[person.id] = await person.wait_for("when you're home safe")
        assert prompts[person.id].text == (
            "Thank you for tonight. 💜 Tap the button when you're home safe (by 00:30, please)."
        )
        assert prompts[person.id].button_texts == [HOME]

    # Ana, Lee and Cora confirm; Bea does not.
    bot.clock.set(night(23, 20))
    for person in (ana, lee, cora):
        answer = await person.tap(HOME, message=prompts[person.id])
        assert answer.text == "Thank you! 💜"
        edited = await edited_to(prompts[person.id], "🏠 Home safe at 23:20.")
        assert edited.text == "🏠 Home safe at 23:20. Thank you, rest well."
        assert edited.buttons == []

    # 00:30: Bea alone is reminded; 00:35: the on-call is alerted.
    await tick(bot, night(0, 30))
    reminder = await bea.wait_for("⏰ Are you home safe?")
    assert reminder.button_texts == [HOME]
    for person in (ana, lee, cora):
        assert count_of(person, "⏰") == 0
    assert count_of(cora, "NOT HOME SAFE") == 0
    await tick(bot, night(0, 35))
    alert = await cora.wait_for("NOT HOME SAFE")
    assert alert.text.startswith(
        "🏠 NOT HOME SAFE: Bea has not confirmed they got home (due 00:30)."
    )
    assert "Last check-in: 21:01 by Ana" not in alert.text  # Bea alone, not the pair
    assert alert.button_texts == ["✋ Acknowledge", "✅ They're safe (resolve)"]
    for person in (ana, bea, lee):
        assert count_of(person, "NOT HOME SAFE") == 0

    # Bea taps after all: both her messages say so and the coordinator hears it.
    bot.clock.set(night(0, 37))
    answer = await bea.tap(HOME, message=reminder)
    assert answer.text == "Thank you! 💜"
    update = await cora.wait_for("🏠 Update: Bea confirmed home safe at 00:37.")
    assert "stays open until a coordinator resolves it" in update.text
    for message in (prompts[bea.id], reminder):
        await edited_to(message, "🏠 Home safe at 00:37.")
        assert message.text == "🏠 Home safe at 00:37. Thank you, rest well."
    bea_id = await bot.volunteer_id(bea)
    (home,) = [h for h in await bot.rows("home_safe") if h["volunteer_id"] == bea_id]
    again = await bea.press_data(prompts[bea.id], f"hs:o:{home['id']}")  # a stale copy
    assert again.text == PRESS_REFUSED  # the button is gone: nothing changes

    assert sends_to(bot.tg, cora.id, "NOT HOME SAFE") == 1
    assert sends_to(bot.tg, lee.id, "NOT HOME SAFE") == 0
