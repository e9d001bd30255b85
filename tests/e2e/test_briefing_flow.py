"""The briefing on the night, as people see it in Telegram: what it says, Got it, /brief
updates, /briefstatus, a late sign-up, and the 18:30 alert about who hasn't read it."""

from __future__ import annotations

import pytest

from bot.texts import PRESS_REFUSED, STALE_BUTTON
from tests.briefings.team import (
    BRIEF_AT,
    DAY,
    HEAD,
    UNREAD_AT,
    UPDATE,
    Team,
    briefing_of,
    count,
    move_clock,
)
from tests.e2e.conftest import Harness, edited_to, night, outbox_settled, sends_to, sign_up

pytestmark = pytest.mark.e2e

UGLY_MUGS = "Ugly Mugs alert: a man in a grey van offering lifts near Mill Road & Kent St."
ROAD = "Mill Road is closed at the bridge tonight: go round by the station."


async def test_everyone_on_the_rota_gets_one_briefing_that_says_it_all(bot: Harness) -> None:
    team = await Team(bot).sign_up()
    reply = await bot.ask(team.cora, f"/brief {DAY} {UGLY_MUGS}")
    assert "Safety note added" in reply.text
    assert "The briefing goes out on Wed 2 Dec at 16:00" in reply.text

    bot.clock.set(BRIEF_AT)
    await bot.run_job("shift")
    await team.briefed()
    await bot.run_job("shift")  # a second pass sends nothing more
    assert await outbox_settled(bot)
    for person in team.on_rota:
        assert sends_to(bot.tg, person.id, HEAD) == 1
    assert count(team.dee, HEAD) == 0  # a coordinator not on tonight's rota

    message = briefing_of(team.bea)
    for part in (
        "📋 Briefing: Wed 2 Dec 19:00–23:00",
        "📍 Meet at St Anne's Hall",
        "You're Walker, walking with Ana.",
        "Who to contact (tap a name to message them)\nTeam lead: Lee\nOn call: Cora",
        "Tonight's team\nTeam lead: Lee\nWalker: Ana, Bea\nOn-call coordinator: Cora",
        "Walking pairs\n1. Ana and Bea ← you",
        "Check-ins\nCheck in every 30m; a reminder after 5m; the on-call coordinator is alerted "
        "after 10m, then everyone every 5m until someone acknowledges; home safe within 1h30m "
        "of the end.",
        "Bring\n☐ Charged phone\n☐ ID badge\n☐ Kit bag",
        f"Tonight's safety notes\n• {UGLY_MUGS}",
        "Please read it all, then tap Got it.",
    ):
        assert part in message.text, part
    links = {e["url"] for e in message.entities if e["type"] == "text_link"}
    assert links == {f"tg://user?id={team.lee.id}", f"tg://user?id={team.cora.id}"}
    assert message.button_texts == ["✅ Got it"]
    lee = briefing_of(team.lee).text
    assert "You're Team lead tonight." in lee
    assert "1. Ana and Bea\n" in lee  # no "← you" for the lead


async def test_got_it_marks_it_read_and_briefstatus_shows_who_has(bot: Harness) -> None:
    team = await (await Team(bot).sign_up()).briefed()
    await move_clock(bot, night(16, 5))
    answer = await team.ana.tap("✅ Got it")
    assert answer.text == "Thanks! Marked as read. Stay safe tonight. 💜"
    message = await edited_to(briefing_of(team.ana), "✅ Read at 16:05. Thank you!")
    assert message.buttons == []
    assert "Walking pairs\n1. Ana and Bea ← you" in message.text  # the rest is still there
    assert "tap Got it" not in message.text

    data = f"bf:g:{(await bot.rows('briefings'))[0]['id']}"
    await move_clock(bot, night(16, 9))
    again = await team.ana.press_data(message, data)  # the button is gone from the message
    assert again.text == PRESS_REFUSED

    status = await bot.ask(team.dee, f"/briefstatus {DAY}")
    assert status.text == (
        "Briefing: Wed 2 Dec 19:00–23:00\n"
        "Read by 1 of 4 briefed. 0 safety note(s).\n"
        "✅ Read: Ana (16:05)\n"
        "⏳ Not yet: Bea, Lee, Cora"
    )


async def test_someone_elses_or_a_forged_button_is_refused_and_changes_nothing(
    bot: Harness,
) -> None:
    team = await (await Team(bot).sign_up()).briefed()
    rows = {r["volunteer_id"]: r["id"] for r in await bot.rows("briefings")}
    anas = rows[await bot.volunteer_id(team.ana)]
    beas = briefing_of(team.bea)
    with bot.jobs_paused():
        before = await bot.snapshot()
        answer = await team.bea.press_data(beas, f"bf:g:{anas}")
        assert (answer.text, answer.show_alert) == (PRESS_REFUSED, True)
        for forged in ("bf:g:abc", "bf:g", f"bf:g:{anas}:1", "bf:z:1", "bf:g:99999999"):
            answer = await team.bea.press_data(beas, forged)
            assert answer.show_alert, forged
            assert answer.text in (PRESS_REFUSED, STALE_BUTTON), forged  # no prefix: fallback
        assert await bot.snapshot() == before
    assert beas.button_texts == ["✅ Got it"]
    assert briefing_of(team.ana).button_texts == ["✅ Got it"]


async def test_a_note_after_the_briefing_goes_out_as_an_update_once(bot: Harness) -> None:
    team = await (await Team(bot).sign_up()).briefed()
    await move_clock(bot, night(17, 40))
    reply = await bot.ask(team.dee, f"/brief {DAY} {ROAD}")
    assert "Sent as an update to the 4 people already briefed." in reply.text
    for person in team.on_rota:
        update = await person.wait_for(UPDATE)
        assert update.text == f"⚠️ {UPDATE} (Wed 2 Dec 19:00–23:00):\n\n{ROAD}"
    for when in (night(17, 40, 5), night(18)):
        await move_clock(bot, when)
        await bot.run_job("shift")
    assert await outbox_settled(bot)
    for person in team.on_rota:
        assert sends_to(bot.tg, person.id, UPDATE) == 1
        assert sends_to(bot.tg, person.id, HEAD) == 1
    assert count(team.dee, UPDATE) == 0

    listing = await bot.ask(team.cora, f"/brief {DAY}")
    assert listing.text.startswith("Safety notes: Wed 2 Dec 19:00–23:00\n1. " + ROAD)
    assert "The briefing has gone out: new notes go to everyone briefed as an update." in (
        listing.text
    )


async def test_a_late_sign_up_is_briefed_on_the_next_tick(bot: Harness) -> None:
    team = await (await Team(bot).sign_up()).briefed()
    await move_clock(bot, night(17, 30))
    fay = await bot.join("Fay", "trained")
    await sign_up(bot, fay, "Drop-in")
    await bot.run_job("shift")
    briefing = await fay.wait_for(HEAD)
    assert "You're Drop-in tonight." in briefing.text
    assert "Drop-in: Fay" in briefing.text
    await bot.run_job("shift")
    assert await outbox_settled(bot)
    assert sends_to(bot.tg, fay.id, HEAD) == 1
    for person in team.on_rota:
        assert sends_to(bot.tg, person.id, HEAD) == 1


async def test_at_half_past_six_the_lead_and_on_call_hear_who_has_not_read_it(
    bot: Harness,
) -> None:
    team = await (await Team(bot).sign_up()).briefed()
    await team.ana.tap("✅ Got it")
    await team.lee.tap("✅ Got it")
    await edited_to(briefing_of(team.lee), "✅ Read at 16:00")
    await move_clock(bot, UNREAD_AT)
    await bot.run_job("shift")
    expected = (
        "📋 Briefing not read yet for Wed 2 Dec 19:00–23:00: 2 of 4 haven't tapped Got it:\n"
        "Bea, Cora\n\nYou might check they've seen it before the walk."
    )
    for person in (team.lee, team.cora):
        assert (await person.wait_for("not read yet")).text == expected
    await move_clock(bot, night(18, 45))
    await bot.run_job("shift")
    assert await outbox_settled(bot)
    for person in (team.lee, team.cora):
        assert sends_to(bot.tg, person.id, "not read yet") == 1
    for person in (team.ana, team.bea, team.dee):
        assert count(person, "not read yet") == 0
