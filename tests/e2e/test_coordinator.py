"""A coordinator's tools, driven through the real commands: invites, the team, sessions."""

from __future__ import annotations

import datetime as dtm

import pytest

from bot.fake_telegram import FakeTelegram, FakeUser
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from tests.conftest import DbInfo
from tests.e2e.conftest import Harness, running_bot

pytestmark = pytest.mark.e2e

WED_2_DEC = dtm.date(2026, 12, 2)


async def test_invite_link_uses_the_bot_username_from_getme(
    db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    async with (
        FakeTelegram(
            clock=lambda: clock.now().timestamp(), bot_username="outreach_rota_bot"
        ) as tg,
        running_bot(tg, db, config, clock) as bot,
    ):
        reply = await bot.ask(bot.coordinator, "/invite trained new")

        assert reply.text.startswith("Here's a one-use invite with tags new, trained, valid until")
        link = next(line for line in reply.text.splitlines() if "t.me/" in line)
        assert link.startswith("https://t.me/outreach_rota_bot?start=")
        code = link.split("?start=")[1]
        (invite,) = await bot.rows("invites")
        assert (invite["code"], invite["tags"], invite["used_at"]) == (code, "new,trained", None)
        nia = tg.user("Nia")
        await nia.send(f"/start {code}")
        await nia.wait_for("Welcome to the team, Nia!")
        assert "Tags: new, trained" in (await bot.ask(nia, "/me")).text
    assert tg.internal_errors == []


async def test_volunteers_lists_the_team_with_tags(bot: Harness) -> None:
    await bot.join("Ana", tags="trained lead", username="ana")
    bea = await bot.join("Bea", tags="")
    await bea.share_contact("+44 7700 900123")
    await bea.wait_for("Your number is saved")

    reply = await bot.ask(bot.coordinator, "/volunteers")

    assert reply.text.splitlines() == [
        "The team (3)",
        "• Ana @ana – lead, trained",
        "• Bea ☎",
        "• Cora @cora – coordinator",
    ]


async def _try_walker(bot: Harness, user: FakeUser) -> str | None:
    view = await bot.open_session(user, "Wed 2 Dec")
    answer = await user.tap("Join Walker", message=view, contains=True)
    return answer.text


async def test_tag_and_untag_change_who_may_walk(bot: Harness) -> None:
    dan = await bot.join("Dan", tags="")
    eve = await bot.join("Eve", tags="trained")
    needs_tag = "Walker needs the 'new or trained' tag. Ask a coordinator if that's wrong."

    assert await _try_walker(bot, dan) == needs_tag
    assert await bot.rows("signups") == []

    tagged = await bot.ask(bot.coordinator, "/tag Dan trained")
    assert tagged.text == "Dan now has tags: trained."
    untagged = await bot.ask(bot.coordinator, "/untag Eve trained")
    assert untagged.text == "Eve now has tags: none."

    assert await _try_walker(bot, dan) == "You're down as Walker on Wed 2 Dec. Thank you!"
    assert await _try_walker(bot, eve) == needs_tag
    walker = await bot.role(WED_2_DEC, "walker")
    assert walker.filled == 1
    (signup,) = await bot.rows("signups")
    assert (signup["volunteer_id"], signup["role_id"]) == (await bot.volunteer_id(dan), walker.id)


async def _fill_walker_with_waitlist(bot: Harness) -> tuple[FakeUser, FakeUser, FakeUser]:
    ana, ben, cat = await bot.join("Ana"), await bot.join("Ben"), await bot.join("Cat")
    for person in (ana, ben):
        await bot.open_session(person, "Wed 2 Dec")
        await person.tap("Join Walker", contains=True)
    await bot.open_session(cat, "Wed 2 Dec")
    await cat.tap("Walker: full, join waitlist")
    return ana, ben, cat


async def test_remove_frees_the_shift_and_promotes_the_waitlist(bot: Harness) -> None:
    ana, _ben, cat = await _fill_walker_with_waitlist(bot)

    reply = await bot.ask(bot.coordinator, "/remove Ana")

    assert reply.text == (
        "Ana is no longer on the team. Their 1 upcoming shift(s) were freed. Their details "
        "are kept until Wed 30 Dec 2026 (a new invite brings them back), then erased. "
        "To erase them now: /remove Ana forget"
    )
    promoted = await cat.wait_for("a place opened up")
    assert "you're now down as Walker on Wed 2 Dec 19:00–23:00" in promoted.text
    roster = await bot.ask(bot.coordinator, "/session 2026-12-02")
    assert "Walker 2/2\n• Ben\n• Cat\n" in roster.text
    assert "waitlist" not in roster.text
    assert (await bot.ask(ana, "/rota")).text.startswith("You're not on the team yet")
    assert "• Ana" not in (await bot.ask(bot.coordinator, "/volunteers")).text
    assert [m.text for m in cat.messages()].count(promoted.text) == 1


async def test_addsession_adds_a_night_with_its_note(bot: Harness) -> None:
    reply = await bot.ask(bot.coordinator, "/addsession 2026-12-23 19:00 23:00 Christmas run")

    assert reply.text == "Added a session on Wed 23 Dec 19:00–23:00. It's on /rota now."
    rota = await bot.ask(bot.coordinator, "/rota")
    assert "Wed 23 Dec 19:00–23:00 – Christmas run" in rota.text
    assert "Wed 23 Dec" in rota.button_texts
    view = await bot.open_session(bot.coordinator, "Wed 23 Dec")
    assert "Note: Christmas run" in view.text
    assert "Meet: St Anne's Hall" in view.text
    assert "Join Walker (0/2)" in view.button_texts


async def test_cancelsession_tells_everyone_and_drops_it_from_the_rota(bot: Harness) -> None:
    ana, ben, cat = await _fill_walker_with_waitlist(bot)
    dee = await bot.join("Dee")
    await bot.open_session(dee, "Wed 2 Dec")
    await dee.tap("Join Drop-in (0/2)")

    reply = await bot.ask(bot.coordinator, "/cancelsession 2026-12-02")

    assert (
        reply.text
        == "Cancelled the session on Wed 2 Dec 19:00–23:00. 4 volunteer(s) will be told."
    )
    for person, role in ((ana, "Walker"), (ben, "Walker"), (cat, "Walker"), (dee, "Drop-in")):
        told = await person.wait_for("has been cancelled")
        assert told.text == (
            f"The session on Wed 2 Dec 19:00–23:00 has been cancelled, so your {role} shift "
            "is off. Sorry!"
        )
    rota = await bot.ask(ana, "/rota")
    assert "Wed 2 Dec" not in rota.text
    assert "Wed 9 Dec 19:00–23:00" in rota.text
    assert "Wed 2 Dec" not in rota.button_texts
    assert (await bot.ask(ana, "/myshifts")).text.startswith("You have no upcoming shifts")
    outbox = await bot.rows("outbox")
    told = [r["chat_id"] for r in outbox if r["kind"] == "session_cancelled"]
    assert sorted(told) == sorted(p.id for p in (ana, ben, cat, dee))
    # Besides, only the coordinator may have heard something (the next week's staffing).
    others = [r for r in outbox if r["kind"] != "session_cancelled"]
    assert {(r["chat_id"], r["kind"]) for r in others} <= {(bot.coordinator.id, "understaffed")}


async def test_session_shows_the_roster_and_the_waitlist(bot: Harness) -> None:
    await _fill_walker_with_waitlist(bot)
    dee = await bot.join("Dee", tags="lead")
    await bot.open_session(dee, "Wed 2 Dec")
    await dee.tap("Join Team lead (0/1)")

    reply = await bot.ask(bot.coordinator, "/session 2026-12-02")

    assert reply.text.splitlines() == [
        "Wed 2 Dec 19:00–23:00",
        "Meet: St Anne's Hall",
        "",
        "Team lead 1/1",
        "• Dee",
        "",
        "Walker 2/2",
        "• Ana",
        "• Ben",
        "  waitlist: Cat",
        "",
        "Drop-in 0/2 ⚠ below minimum",
        "",
        "On-call coordinator 0/1 ⚠ below minimum",
    ]
