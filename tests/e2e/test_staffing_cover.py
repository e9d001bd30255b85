"""Cover on Telegram: /cover, the offers, the first "I can cover" wins, and every bad press."""

from __future__ import annotations

import asyncio
import datetime as dtm

import pytest

from bot.fake_telegram import BotMessage, FakeUser
from bot.texts import PRESS_REFUSED
from tests.e2e.conftest import Harness, eventually, sends_to, sign_up

pytestmark = pytest.mark.e2e

WHEN = "Wed 2 Dec 19:00–23:00"
START = dtm.datetime(2026, 12, 2, 19, 0, tzinfo=dtm.UTC)
STALE = "That button is out of date. Send /rota or /myshifts for a fresh one."
NOT_ON_TEAM = "You're not on the team yet. Ask a coordinator for an invite link, then open it."
OFFER = (
    f"🙋 Can you cover Walker on {WHEN}?\n"
    "Ana can't make it. Meet: St Anne's Hall\n"
    "The first to tap I can cover takes the place."
)


async def shows(message: BotMessage, needle: str) -> BotMessage:
    """Wait until this very message (edited in place) shows `needle`."""

    async def edited() -> bool:
        return needle in message.text

    assert await eventually(edited), f"never edited to {needle!r}: {message.text!r}"
    return message


async def ask_for_cover(bot: Harness, ana: FakeUser) -> BotMessage:
    """/cover, then the shift's button: returns the (edited) list message."""
    listing = await bot.ask(ana, "/cover")
    await ana.tap("Ask for cover: Wed 2 Dec Walker", message=listing)
    return await shows(listing, "I've asked")


async def test_cover_from_the_command_goes_to_the_first_who_accepts(bot: Harness) -> None:
    ana, ben = await bot.join("Ana"), await bot.join("Ben")
    dan, eve = await bot.join("Dan"), await bot.join("Eve", "new")
    fay = await bot.join("Fay", "")  # no tag: can't walk, isn't asked
    await sign_up(bot, ana, "Walker")
    await sign_up(bot, ben, "Walker")

    listing = await bot.ask(ana, "/cover")
    assert listing.text == (
        "Find cover\n"
        "Pick a shift and I'll ask everyone who could take it. You stay on the rota until one "
        "of them says yes.\n\n"
        f"• {WHEN}: Walker"
    )
    assert listing.button_texts == ["Ask for cover: Wed 2 Dec Walker"]
    answer = await ana.tap("Ask for cover: Wed 2 Dec Walker", message=listing)

    assert answer.text == "I've asked for cover."
    await shows(listing, "I've asked")
    assert listing.text == (
        f"🙋 I've asked 2 volunteers who can do Walker to cover you on {WHEN}.\n"
        "You're still on the rota until one of them says yes; I'll tell you when they do."
    )
    assert listing.button_texts == ["Cancel the request"]
    offers = {user.first_name: await user.wait_for("Can you cover") for user in (dan, eve)}
    assert offers["Dan"].text == OFFER
    assert offers["Dan"].button_texts == ["🙋 I can cover"]
    assert sends_to(bot.tg, fay.id, "Can you cover") == 0
    assert sends_to(bot.tg, ben.id, "Can you cover") == 0
    assert "• Wed 2 Dec 19:00–23:00: Walker" in (await bot.ask(ana, "/myshifts")).text

    taken = await dan.tap("🙋 I can cover", message=offers["Dan"])

    assert taken.text == "It's yours. Thank you!"
    await shows(offers["Dan"], "Thank you!")
    assert offers["Dan"].text == (
        f"✅ Thank you! You're now down as Walker on {WHEN}, covering for Ana.\n"
        "Meet: St Anne's Hall. /myshifts shows it."
    )
    found = await ana.wait_for("Good news")
    assert found.text == (
        f"✅ Good news: Dan will cover your Walker shift on {WHEN}, so you're off the rota. "
        "Thanks for finding cover!"
    )
    await shows(offers["Eve"], "has been taken")
    assert offers["Eve"].text == (
        f"✓ The place has been taken: Walker on {WHEN} is covered. Thanks anyway!"
    )
    assert offers["Eve"].button_texts == []
    later = await eve.press_data(offers["Eve"], "cv:a:1")  # an old client still shows it
    assert later.text == PRESS_REFUSED  # the button is gone from the message
    assert (await bot.ask(ana, "/myshifts")).text.startswith("You have no upcoming shifts")
    assert "• Wed 2 Dec 19:00–23:00: Walker" in (await bot.ask(dan, "/myshifts")).text
    late_swap = f"🔁 Cover: Dan takes Ana's Walker place on {WHEN}."  # 55 h ahead: not late
    assert sends_to(bot.tg, bot.coordinator.id, late_swap) == 0


async def test_two_people_tapping_i_can_cover_at_once_one_gets_it(bot: Harness) -> None:
    ana, dan, eve = await bot.join("Ana"), await bot.join("Dan"), await bot.join("Eve")
    await sign_up(bot, ana, "Walker")
    await ask_for_cover(bot, ana)
    dan_offer, eve_offer = await dan.wait_for(OFFER), await eve.wait_for(OFFER)

    answers = await asyncio.gather(
        dan.tap("🙋 I can cover", message=dan_offer),
        eve.tap("🙋 I can cover", message=eve_offer),
    )

    assert sorted(a.text or "" for a in answers) == [
        "It's yours. Thank you!",
        "Someone else has already taken this place. Thanks anyway!",
    ]
    confirmed = [
        s["volunteer_id"] for s in await bot.rows("signups") if s["status"] == "confirmed"
    ]
    winner = dan if answers[0].text == "It's yours. Thank you!" else eve
    assert confirmed == [await bot.volunteer_id(winner)]
    (request,) = await bot.rows("cover_requests")
    assert (request["state"], request["taken_by"]) == ("taken", confirmed[0])


async def test_asking_for_cover_from_the_reminder(bot: Harness) -> None:
    ana, dan = await bot.join("Ana"), await bot.join("Dan")
    await sign_up(bot, ana, "Walker")
    bot.clock.set(START - dtm.timedelta(hours=24))
    await bot.run_job("shift")
    reminder = await ana.wait_for("See you tomorrow")
    await ana.tap("❌ Can't make it", message=reminder)
    await shows(reminder, "Can't make it to")

    await ana.tap("🙋 Ask for cover instead", message=reminder)

    await shows(reminder, "I've asked 1 volunteer who can do Walker")
    offer = await dan.wait_for("Can you cover")
    await dan.tap("🙋 I can cover", message=offer)
    await ana.wait_for("Good news: Dan will cover")
    swap = await bot.coordinator.wait_for("🔁 Cover")  # under 48 h: the coordinators hear
    assert swap.text == f"🔁 Cover: Dan takes Ana's Walker place on {WHEN}."
    assert [r["answer"] for r in await bot.rows("reminder_answers")] == ["cover"]


async def test_the_requester_can_cancel_and_the_offers_say_so(bot: Harness) -> None:
    ana, dan = await bot.join("Ana"), await bot.join("Dan")
    await sign_up(bot, ana, "Walker")
    asked = await ask_for_cover(bot, ana)
    offer = await dan.wait_for("Can you cover")

    answer = await ana.tap("Cancel the request", message=asked)

    assert answer.text == "Cover request cancelled."
    await shows(asked, "no longer needed")
    assert asked.text == (
        f"OK, I've told them it's no longer needed. You're still down as Walker on {WHEN}."
    )
    await shows(offer, "no longer needed")
    assert offer.text == (
        f"This cover request for Walker on {WHEN} is no longer needed. Thanks anyway!"
    )
    late = await dan.press_data(offer, "cv:a:1")
    assert late.text == PRESS_REFUSED  # the button is gone from the message
    assert [s["status"] for s in await bot.rows("signups")] == ["confirmed"]
    listing = await bot.ask(ana, "/cover")
    assert listing.button_texts == ["Ask for cover: Wed 2 Dec Walker"]


async def test_cover_bad_input_is_refused_and_changes_nothing(bot: Harness) -> None:
    ana, ben = await bot.join("Ana"), await bot.join("Ben")
    dan, fay = await bot.join("Dan"), await bot.join("Fay", "")
    await sign_up(bot, ana, "Walker")
    await sign_up(bot, ben, "Walker")
    stranger = bot.tg.user("Wes")
    await ask_for_cover(bot, ana)
    dan_offer = await dan.wait_for("Can you cover")
    await bot.run_job("dispatch")
    signups = {s["volunteer_id"]: s["id"] for s in await bot.rows("signups")}
    ana_signup = signups[await bot.volunteer_id(ana)]
    ben_signup = signups[await bot.volunteer_id(ben)]
    (request,) = await bot.rows("cover_requests")
    rid = request["id"]

    with bot.jobs_paused():
        before = await bot.snapshot()
        # None of these is a button of the pressed message in the presser's own chat: each
        # is refused before anything is read (the domain's checks stay behind the guard).
        refusals: list[tuple[FakeUser, BotMessage, str, str]] = [
            (fay, fay.last(), f"cv:a:{rid}", PRESS_REFUSED),
            (ben, ben.last(), f"cv:a:{rid}", PRESS_REFUSED),
            (ana, ana.last(), f"cv:a:{rid}", PRESS_REFUSED),
            (dan, dan_offer, f"cv:a:{rid + 1}", PRESS_REFUSED),
            (ana, dan_offer, f"cv:a:{rid}", PRESS_REFUSED),  # Dan's message
            (ben, ben.last(), f"cv:r:{ana_signup}", PRESS_REFUSED),
            (ana, ana.last(), "cv:r:999999", PRESS_REFUSED),
            (ana, ana.last(), f"cv:r:{ana_signup}", PRESS_REFUSED),
            (ben, ben.last(), f"cv:x:{rid}", PRESS_REFUSED),
            (stranger, dan_offer, f"cv:a:{rid}", PRESS_REFUSED),
            (dan, dan_offer, "cv:a:999999", PRESS_REFUSED),
            (dan, dan_offer, "cv:a:999999999999", PRESS_REFUSED),  # beyond a 32-bit id: forged
            (ana, ana.last(), "cv:r:999999", PRESS_REFUSED),
            (ana, ana.last(), "cv:x:999999", PRESS_REFUSED),
            (dan, dan_offer, "cv:a", PRESS_REFUSED),
            (dan, dan_offer, "cv:q:1", PRESS_REFUSED),
            (dan, dan_offer, f"cv:a:{rid}:1", PRESS_REFUSED),
            (dan, dan_offer, "cv:a:x", PRESS_REFUSED),
            (dan, dan_offer, "rm:a:1", PRESS_REFUSED),
        ]
        for user, message, data, expected in refusals:
            answer = await user.press_data(message, data)
            assert (answer.text, answer.show_alert) == (expected, True), (user, data)
        assert await bot.snapshot() == before
    assert dan_offer.text == OFFER
    assert ben_signup != ana_signup


async def test_cover_command_refusals(bot: Harness) -> None:
    ana, dan = await bot.join("Ana"), await bot.join("Dan")
    stranger = bot.tg.user("Sid")
    team = bot.tg.group("Outreach team", [ana], admins=[bot.coordinator])
    await bot.coordinator.send_in(team, "/postrota")  # the team's group
    await team.wait_for("Outreach rota")

    assert (await bot.ask(stranger, "/cover")).text == NOT_ON_TEAM
    assert (await bot.ask(dan, "/cover")).text == (
        "You have no upcoming shifts to find cover for. Send /rota to find one."
    )
    await ana.send_in(team, "/cover")
    assert (await team.wait_for("private")).text == (
        "Please send me /cover in a private chat: I don't show that in a group."
    )
    await bot.open_session(ana, "Wed 2 Dec")
    await ana.tap("Join Drop-in (0/2)")
    bot.clock.set(START + dtm.timedelta(minutes=1))  # the session has started: no longer listed
    assert (await bot.ask(ana, "/cover")).text.startswith("You have no upcoming shifts")


async def test_accepting_after_the_session_started_is_refused(bot: Harness) -> None:
    ana, dan = await bot.join("Ana"), await bot.join("Dan")
    await sign_up(bot, ana, "Walker")
    await ask_for_cover(bot, ana)
    offer = await dan.wait_for("Can you cover")
    bot.clock.set(START + dtm.timedelta(minutes=1))

    answer = await dan.tap("🙋 I can cover", message=offer)

    assert answer.text == "That session has already started. Please tell the team lead directly."
    await bot.run_job("shift")  # the sweep closes the lapsed request and edits the offer
    await shows(offer, "no longer needed")
    assert [s["status"] for s in await bot.rows("signups")] == ["confirmed"]


async def test_an_offer_closed_while_still_being_sent_is_edited_once_it_lands(
    bot: Harness,
) -> None:
    """Telegram has the offer but its answer is slow when the sweep closes the request: the
    edit waits for the offer's message id instead of being put off by the clock (which, in
    this test as on a quiet night, may not move again for a while)."""
    ana, dan = await bot.join("Ana"), await bot.join("Dan")
    await sign_up(bot, ana, "Walker")
    bot.tg.set_delay("sendMessage", 1.0)  # the offer arrives at once, its answer a second late
    await ask_for_cover(bot, ana)
    offer = await dan.wait_for("Can you cover")
    assert [r["state"] for r in await bot.rows("outbox") if r["kind"] == "cover_offer"] == [
        "sending"
    ]
    bot.clock.set(START + dtm.timedelta(minutes=1))

    await bot.run_job("shift")  # closes the lapsed request while the offer is on its way

    await shows(offer, "no longer needed")
    bot.tg.set_delay("sendMessage", 0)
