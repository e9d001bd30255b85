"""Whatever people type or press, the bot answers politely and changes nothing it shouldn't."""

from __future__ import annotations

import datetime as dtm

import pytest

from bot.texts import PRESS_REFUSED
from rota.roster import sessions
from tests.e2e.conftest import Harness

pytestmark = pytest.mark.e2e

WED_2_DEC = dtm.date(2026, 12, 2)
NOT_ON_TEAM = "You're not on the team yet. Ask a coordinator for an invite link, then open it."
ONLY_COORDINATORS = "Sorry, only coordinators can do that."
STALE = "That button is out of date. Send /rota or /myshifts for a fresh one."


async def _upcoming_days(bot: Harness) -> list[dtm.date]:
    boards = await sessions.upcoming_boards(
        bot.uow(), telegram_id=None, config=bot.app.bot_data.deps.config, now=bot.clock.now()
    )
    return [b.session.local_date for b in boards]


async def test_an_unknown_command_is_named_in_the_reply(bot: Harness) -> None:
    ana = await bot.join("Ana")

    reply = await bot.ask(ana, "/foo bar")

    assert reply.text == "Sorry, I don't know /foo. Send /help to see what I can do."


async def test_free_text_gets_the_commands_hint(bot: Harness) -> None:
    ana = await bot.join("Ana")

    reply = await bot.ask(ana, "hello, can I do Wednesday?")

    assert reply.text == "I only understand commands and buttons. Send /help to see them."


async def test_a_stranger_is_refused_everywhere_and_nothing_is_stored(bot: Harness) -> None:
    stranger = bot.tg.user("Sid")
    walker = await bot.role(WED_2_DEC, "walker")
    with bot.jobs_paused():
        before = await bot.snapshot()

        for command in ("/rota", "/myshifts", "/me"):
            reply = await bot.ask(stranger, command)
            assert reply.text == NOT_ON_TEAM, command
        answer = await stranger.press_data(stranger.last(), f"ro:j:{walker.id}")

        # No such button on that message: refused before anything is read.
        assert answer.text == PRESS_REFUSED
        assert answer.show_alert is True
        assert await bot.volunteer_id(stranger) is None
        assert await bot.snapshot() == before


COORDINATOR_COMMANDS = [
    "/invite trained",
    "/volunteers",
    "/tag Bea lead",
    "/untag Bea trained",
    "/remove Bea",
    "/addsession 2026-12-23 19:00 23:00 Extra night",
    "/cancelsession 2026-12-02",
    "/session 2026-12-02",
]


async def test_a_volunteer_cannot_use_coordinator_commands(bot: Harness) -> None:
    ana = await bot.join("Ana")
    bea = await bot.join("Bea")
    await bot.open_session(bea, "Wed 2 Dec")
    await bea.tap("Join Walker (0/2)")
    with bot.jobs_paused():
        before = await bot.snapshot()

        for command in COORDINATOR_COMMANDS:
            reply = await bot.ask(ana, command)
            assert reply.text == ONLY_COORDINATORS, command
            assert "t.me/" not in reply.text

        assert await bot.snapshot() == before
    assert not [m for m in bea.messages() if "cancelled" in m.text]


async def test_forged_callback_data_gets_an_alert_and_changes_nothing(bot: Harness) -> None:
    ana = await bot.join("Ana")
    bea = await bot.join("Bea")
    await bot.open_session(bea, "Wed 2 Dec")
    await bea.tap("Join Walker (0/2)")
    (bea_signup,) = await bot.rows("signups")
    listing = await bot.ask(ana, "/rota", expect="Upcoming sessions")
    shown = listing.text
    with bot.jobs_paused():
        before = await bot.snapshot()

        # None of these is a button of the listing: every one is refused before any lookup
        # (the domain's own checks, e.g. "that shift no longer exists", stay behind it).
        forged = dict.fromkeys(
            [
                "ro:j:999999",
                "ro:s:999999",
                "ro:x:1",
                "ro:l:1",
                "zz:q",
                "ro:j:abc",
                "ro:j:" + "9" * 59,  # 64 bytes, Telegram's limit
                f"ms:w:{bea_signup['id']}",
                f"ms:y:{bea_signup['id']}",
                "me:x",
                "me:y",
                "ro:l",
            ],
            PRESS_REFUSED,
        )
        forged["zz:q"] = STALE  # no handler claims the prefix: the fallback answers
        for data, expected in forged.items():
            answer = await ana.press_data(listing, data)
            assert (answer.text, answer.show_alert) == (expected, True), data

        assert listing.text == shown
        assert listing.edited == 0
        assert await bot.snapshot() == before
    assert "Wed 2 Dec 19:00–23:00: Walker" in (await bot.ask(bea, "/myshifts")).text


async def test_a_button_for_a_cancelled_session_says_so(bot: Harness) -> None:
    ana = await bot.join("Ana")
    view = await bot.open_session(ana, "Wed 2 Dec")
    stale_listing = await bot.ask(ana, "/rota", expect="Upcoming sessions")
    cancelled = await bot.ask(bot.coordinator, "/cancelsession 2026-12-02")
    assert cancelled.text.startswith("Cancelled the session on Wed 2 Dec")
    with bot.jobs_paused():
        before = await bot.snapshot()

        join = await ana.tap("Join Drop-in (0/2)", message=view)
        reopen = await ana.tap("Wed 2 Dec", message=stale_listing)

        expected = "That session has been cancelled. Send /rota for the current list."
        assert (join.text, join.show_alert) == (expected, True)
        assert (reopen.text, reopen.show_alert) == (expected, True)
        assert await bot.snapshot() == before
    assert await bot.rows("signups") == []


async def test_a_session_that_has_started_takes_no_sign_ups(bot: Harness) -> None:
    ana = await bot.join("Ana")
    bea = await bot.join("Bea")
    ana_view = await bot.open_session(ana, "Wed 2 Dec")
    bea_view = await bot.open_session(bea, "Wed 2 Dec")

    bot.clock.set(dtm.datetime(2026, 12, 2, 18, 59, 59, tzinfo=dtm.UTC))  # 18:59:59 GMT
    in_time = await bea.tap("Join Walker (0/2)", message=bea_view)
    bot.clock.advance(seconds=1)  # 19:00 GMT: the session starts
    with bot.jobs_paused():
        before = await bot.snapshot()
        too_late = await ana.tap("Join Walker (0/2)", message=ana_view)

        assert in_time.text == "You're down as Walker on Wed 2 Dec. Thank you!"
        assert too_late.text == "That session has already started, so the rota is closed."
        assert too_late.show_alert is True
        assert await bot.snapshot() == before
    assert (await bot.role(WED_2_DEC, "walker")).filled == 1


ADDSESSION_MISTAKES = {
    "2026-13-01 19:00 23:00": "'2026-13-01' is not a real date: there is no month 13",
    "31/12/2026 19:00 23:00": "'31/12/2026' is not a date: write it as YYYY-MM-DD",
    "2026-02-30 19:00 23:00": "'2026-02-30' is not a real date: Feb 2026 has only 28 days",
    "2026-12-23 25:00 23:00": "'25:00' is not a time: write it as HH:MM",
    "2026-12-23 19:00 23:60": "'23:60' is not a time: write it as HH:MM",
    "2026-12-23 7pm 11pm": "'7pm' is not a time: write it as HH:MM",
    "2026-11-25 19:00 23:00": "That time has already passed. Pick a future date and time.",
    "2026-11-30 11:00 13:00": "That time has already passed. Pick a future date and time.",
    "2027-03-28 01:30 03:00": (
        "01:30 on Sun 28 Mar 2027 does not exist in Europe/London: the clocks go forward"
    ),
    "2027-10-31 01:30 03:00": (
        "01:30 on Sun 31 Oct 2027 happens twice in Europe/London: the clocks go back"
    ),
    "2026-12-02 10:00 12:00": "There's already a session on 2026-12-02.",
    "2026-12-23 19:00 23:00 " + "n" * 201: "The note is too long: 200 characters at most.",
    "2026-12-23 19:00": "Usage: /addsession YYYY-MM-DD HH:MM HH:MM [note]",
    "2026-12-23": "Usage: /addsession YYYY-MM-DD HH:MM HH:MM [note]",
    "": "Usage: /addsession YYYY-MM-DD HH:MM HH:MM [note]",
}


async def test_addsession_mistakes_get_clear_replies_and_add_nothing(bot: Harness) -> None:
    days = await _upcoming_days(bot)
    assert len(days) == 3
    with bot.jobs_paused():
        before = await bot.snapshot()

        for args, expected in ADDSESSION_MISTAKES.items():
            reply = await bot.ask(bot.coordinator, f"/addsession {args}".strip())
            assert reply.text.startswith(expected), (args, reply.text)
            assert not reply.text.startswith("Added"), args

        assert await bot.snapshot() == before
    assert await _upcoming_days(bot) == days


async def test_tag_for_an_unknown_volunteer(bot: Harness) -> None:
    await bot.join("Ana")
    with bot.jobs_paused():
        before = await bot.snapshot()

        reply = await bot.ask(bot.coordinator, "/tag Zed lead")

        assert reply.text == "I don't know a volunteer called 'Zed'. See /volunteers."
        assert await bot.snapshot() == before


async def test_an_ambiguous_name_lists_everyone_it_could_be(bot: Harness) -> None:
    jones = await bot.join("Sam", last_name="Jones", username="samj")
    smith = await bot.join("Sam", last_name="Smith")
    with bot.jobs_paused():
        before = await bot.snapshot()

        reply = await bot.ask(bot.coordinator, "/tag Sam lead")

        assert reply.text.splitlines() == [
            "'Sam' could be more than one person:",
            "• Sam Jones (@samj)",
            f"• Sam Smith ({smith.id})",
            "Please use the @username or id.",
        ]
        assert await bot.snapshot() == before
    tagged = await bot.ask(bot.coordinator, "/tag @samj lead")
    assert tagged.text == "Sam Jones now has tags: lead, trained."
    assert "Tags: lead, trained" in (await bot.ask(jones, "/me")).text
    assert "Tags: trained" in (await bot.ask(smith, "/me")).text


async def test_a_double_tap_on_a_join_button_gives_one_sign_up(bot: Harness) -> None:
    ana = await bot.join("Ana")
    view = await bot.open_session(ana, "Wed 2 Dec")
    button = view.find_button("Join Walker (0/2)")
    assert button is not None
    assert button.callback_data is not None

    first = bot.tg.queue_callback_query(ana, view, button.callback_data)
    second = bot.tg.queue_callback_query(ana, view, button.callback_data)
    answers = [await bot.tg.wait_callback_answer(q) for q in (first, second)]

    assert [a.text for a in answers] == [
        "You're down as Walker on Wed 2 Dec. Thank you!",
        "You're already down as Walker for this session.",
    ]
    walker = await bot.role(WED_2_DEC, "walker")
    assert button.callback_data == f"ro:j:{walker.id}"
    signups = await bot.rows("signups")
    assert [(s["role_id"], s["status"]) for s in signups] == [(walker.id, "confirmed")]
    assert walker.filled == 1
    await ana.wait_for("You're down as Walker", after=view.message_id - 1)
