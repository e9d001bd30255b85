"""Joining with an invite link, and a volunteer's own data: /name, /phone, /me, /forgetme."""

from __future__ import annotations

import datetime as dtm

import pytest

from bot.fake_telegram import FakeUser
from tests.e2e.conftest import Harness

pytestmark = pytest.mark.e2e

WED_2_DEC = dtm.date(2026, 12, 2)
NOT_ON_TEAM = "You're not on the team yet"


async def test_valid_invite_welcomes_and_me_shows_the_invite_tags(bot: Harness) -> None:
    code = await bot.invite("trained new")
    ana = bot.tg.user("Ana", username="ana")

    welcome = await bot.ask(ana, f"/start {code}")

    assert welcome.text.startswith("Welcome to the team, Ana!")
    assert "/rota" in welcome.text
    assert "coordinator" not in welcome.text
    me = await bot.ask(ana, "/me")
    assert "Name: Ana" in me.text
    assert "Telegram: @ana" in me.text
    assert "Tags: new, trained" in me.text
    assert "Upcoming shifts: 0" in me.text
    (invite,) = await bot.rows("invites")
    assert invite["used_by"] == await bot.volunteer_id(ana)


async def test_start_without_a_code_explains_and_stores_nothing(bot: Harness) -> None:
    stranger = bot.tg.user("Sid")
    with bot.jobs_paused():
        before = await bot.snapshot()

        reply = await bot.ask(stranger, "/start")

        assert "Joining is by invitation" in reply.text
        assert "ask a coordinator for an invite link" in reply.text
        assert await bot.volunteer_id(stranger) is None
        assert await bot.snapshot() == before


async def test_a_used_code_is_refused(bot: Harness) -> None:
    code = await bot.invite("trained")
    ana = bot.tg.user("Ana")
    await bot.ask(ana, f"/start {code}")
    bea = bot.tg.user("Bea")
    with bot.jobs_paused():
        before = await bot.snapshot()

        reply = await bot.ask(bea, f"/start {code}")

        assert "That invite link has already been used" in reply.text
        assert "Welcome" not in reply.text
        assert await bot.volunteer_id(bea) is None
        assert await bot.snapshot() == before


async def test_an_invite_expires_after_seven_days(bot: Harness) -> None:
    early, late = await bot.invite(), await bot.invite()
    ana, bea = bot.tg.user("Ana"), bot.tg.user("Bea")

    bot.clock.advance(days=7, seconds=-1)
    still_valid = await bot.ask(ana, f"/start {early}")
    bot.clock.advance(seconds=2)  # now 7 days and 1 second after the invites were made
    # The clock jobs stay still: a week on, they close last week's session, which is not
    # the refused invite changing anything.
    with bot.jobs_paused():
        before = await bot.snapshot()
        expired = await bot.ask(bea, f"/start {late}")
        assert await bot.snapshot() == before

    assert still_valid.text.startswith("Welcome to the team, Ana!")
    assert "That invite link has expired" in expired.text
    assert await bot.volunteer_id(bea) is None


@pytest.mark.parametrize(
    "code",
    ["garbage!", "abcdefghijklmnop", "x" * 64],
    ids=["punctuation", "unknown", "too-long"],
)
async def test_a_garbage_code_is_not_valid(bot: Harness, code: str) -> None:
    await bot.invite("trained")  # a real invite exists; the garbage must not match it
    stranger = bot.tg.user("Sid")
    with bot.jobs_paused():
        before = await bot.snapshot()

        reply = await bot.ask(stranger, f"/start {code}")

        assert "That invite link isn't valid" in reply.text
        assert await bot.volunteer_id(stranger) is None
        assert await bot.snapshot() == before


async def _display_name(bot: Harness, user: FakeUser) -> str:
    async with bot.uow() as uow:
        volunteer = await uow.volunteers.by_telegram_id(user.id)
    assert volunteer is not None
    return volunteer.display_name


async def test_name_changes_the_name_the_team_sees(bot: Harness) -> None:
    ana = await bot.join("Ana")

    done = await bot.ask(ana, "/name Ana  Maria ")

    assert done.text == "Done: the team now sees you as Ana Maria."
    assert "Name: Ana Maria" in (await bot.ask(ana, "/me")).text
    assert await _display_name(bot, ana) == "Ana Maria"
    volunteers = await bot.ask(bot.coordinator, "/volunteers")
    assert "• Ana Maria – trained" in volunteers.text


@pytest.mark.parametrize("command", ["/name", "/name    "], ids=["bare", "spaces"])
async def test_an_empty_name_is_refused(bot: Harness, command: str) -> None:
    ana = await bot.join("Ana")
    with bot.jobs_paused():
        before = await bot.snapshot()

        reply = await bot.ask(ana, command)

        assert reply.text == "Please give a name, e.g. /name Sam."
        assert await bot.snapshot() == before


async def test_a_name_longer_than_64_characters_is_refused(bot: Harness) -> None:
    ana = await bot.join("Ana")
    longest = "B" * 64
    await bot.ask(ana, f"/name {longest}")
    assert await _display_name(bot, ana) == longest
    with bot.jobs_paused():
        before = await bot.snapshot()

        reply = await bot.ask(ana, "/name " + "C" * 65)

        assert reply.text == "That name is too long: 64 characters at most."
        assert await _display_name(bot, ana) == longest
        assert await bot.snapshot() == before


async def test_phone_offers_the_contact_button_and_saves_ones_own_number(bot: Harness) -> None:
    ana = await bot.join("Ana")

    offer = await bot.ask(ana, "/phone")

    assert "Tap the button below to share it" in offer.text
    assert offer.reply_markup is not None
    assert offer.reply_markup["keyboard"] == [
        [{"text": "Share my phone number", "request_contact": True}]
    ]
    shared = await ana.share_contact("+44 7700 900123")
    saved = await ana.wait_for("Your number is saved", after=shared["message_id"])
    assert saved.text.startswith("Thanks, Ana.")
    assert saved.reply_markup == {"remove_keyboard": True}
    assert "Phone: +44 7700 900123" in (await bot.ask(ana, "/me")).text
    (row,) = [v for v in await bot.rows("volunteers") if v["telegram_id"] == ana.id]
    assert row["phone"] == "+44 7700 900123"


@pytest.mark.parametrize("whose", ["someone-else", "phonebook"])
async def test_someone_elses_contact_is_refused(bot: Harness, whose: str) -> None:
    ana = await bot.join("Ana")
    bea = await bot.join("Bea")
    contact: dict[str, object] = {"phone_number": "+44 7700 900456", "first_name": "Bea"}
    if whose == "someone-else":
        contact["user_id"] = bea.id
    with bot.jobs_paused():
        before = await bot.snapshot()

        shared = bot.tg.new_user_message(ana.chat_id, ana, {"contact": contact})
        reply = await ana.wait_for("", after=shared["message_id"])

        assert reply.text == (
            "Please share your own number with the button, not someone else's contact."
        )
        assert "Phone: not shared" in (await bot.ask(ana, "/me")).text
        assert await bot.snapshot() == before


async def test_forgetme_no_keeps_everything(bot: Harness) -> None:
    ana = await bot.join("Ana")
    await bot.open_session(ana, "Wed 2 Dec")
    await ana.tap("Join Drop-in (0/2)")
    with bot.jobs_paused():
        before = await bot.snapshot()

        ask = await bot.ask(ana, "/forgetme")
        assert "Delete what I keep about you?" in ask.text
        assert ask.button_texts == ["Yes, delete my data", "No, keep it"]
        answer = await ana.tap("No, keep it", message=ask)

        assert answer.show_alert is False
        await ana.wait_for("OK, nothing was deleted.", after=ask.message_id - 1)
        assert await bot.snapshot() == before
    assert "Upcoming shifts: 1" in (await bot.ask(ana, "/me")).text


async def test_forgetme_yes_erases_and_gives_up_shifts(bot: Harness) -> None:
    ana = await bot.join("Ana", username="ana")
    await bot.open_session(ana, "Wed 2 Dec")
    await ana.tap("Join Drop-in (0/2)")
    await ana.share_contact("+44 7700 900123")
    await ana.wait_for("Your number is saved")
    volunteer_id = await bot.volunteer_id(ana)

    ask = await bot.ask(ana, "/forgetme")
    await ana.tap("Yes, delete my data", message=ask)

    done = await ana.wait_for("Done.", after=ask.message_id - 1)
    assert "I deleted your name, username, phone number, Telegram id, tags and locations" in (
        done.text
    )
    assert "gave up your 1 upcoming shift(s)" in done.text
    rota = await bot.ask(ana, "/rota")
    assert rota.text.startswith(NOT_ON_TEAM)
    assert await bot.volunteer_id(ana) is None
    (row,) = [v for v in await bot.rows("volunteers") if v["id"] == volunteer_id]
    assert row["telegram_id"] is None
    assert row["display_name"] == "a former volunteer"
    assert (row["username"], row["phone"], row["tags"]) == (None, None, "")
    assert (await bot.role(WED_2_DEC, "dropin")).filled == 0
    assert [s["status"] for s in await bot.rows("signups")] == ["withdrawn"]
