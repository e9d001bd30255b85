"""Wrong presses and wrong words on the safety side: each is refused politely and changes nothing.

Telegram does not check callback data against the message it came with, so a modified client
(or a forwarded prompt) can send any of it: `press_data` does exactly that.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.fake_telegram import BotMessage, FakeTelegram, FakeUser
from bot.texts import PRESS_REFUSED
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.template import parse_template
from tests.conftest import TEMPLATE, DbInfo
from tests.e2e.conftest import (
    Harness,
    eventually,
    night,
    outbox_settled,
    running_bot,
    sign_up,
    tick,
)

pytestmark = pytest.mark.e2e

OK = "✅ We're OK"
STALE = "That button is out of date. Send /rota or /myshifts for a fresh one."
ONLY_COORDINATORS = "Sorry, only coordinators can do that."
WALKERS = "capacity = 2\nminimum = 2\npairs = true"


@pytest.fixture
async def two_pairs(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> AsyncIterator[Harness]:
    """The template with four walker places, so two pairs walk."""
    assert WALKERS in TEMPLATE
    template = parse_template(
        TEMPLATE.replace(WALKERS, WALKERS.replace("capacity = 2", "capacity = 4")),
        source="test.toml",
    )
    four = RotaConfig(template=template, zone=config.zone, admin_ids=config.admin_ids)
    async with running_bot(tg, db, four, clock) as bot:
        yield bot


async def _prompts(bot: Harness) -> dict[str, tuple[FakeUser, BotMessage, int]]:
    """Ana, Bea, Cat and Dan walk; at 19:30 each has a prompt: name -> (user, prompt, id)."""
    people = {
        "Ana": await bot.join("Ana", "trained"),
        "Bea": await bot.join("Bea", "new"),
        "Cat": await bot.join("Cat", "trained"),
        "Dan": await bot.join("Dan", "trained"),
    }
    for person in people.values():
        await sign_up(bot, person, "Walker")
    await sign_up(bot, bot.coordinator, "On-call coordinator")
    await tick(bot, night(19))
    await tick(bot, night(19, 30))
    found = {}
    for name, person in people.items():
        prompt = await person.wait_for("Check-in 1 of 7")
        button = prompt.find_button(OK)
        assert button is not None
        assert button.callback_data is not None
        found[name] = (person, prompt, int(button.callback_data.rsplit(":", 1)[1]))
    return found


async def test_other_pairs_forged_and_called_off_buttons_are_refused(two_pairs: Harness) -> None:
    bot = two_pairs
    prompts = await _prompts(bot)
    ana, ana_prompt, ana_checkin = prompts["Ana"]
    partner = next(
        name
        for name, (_, _, checkin) in prompts.items()
        if name != "Ana" and checkin == ana_checkin
    )
    other = next(name for name in prompts if name not in ("Ana", partner))
    stranger, stranger_prompt, _ = prompts[other]
    bot.clock.set(night(19, 31))
    assert await outbox_settled(bot)
    with bot.jobs_paused():
        before = await bot.snapshot()

        # Another pair's We're OK, pressed from a forwarded prompt: left alone.
        # Neither is a button of the pressed message: refused before anything is read.
        answer = await stranger.press_data(stranger_prompt, f"ci:o:{ana_checkin}")
        assert (answer.text, answer.show_alert) == (PRESS_REFUSED, True)
        # Forged data: a check-in that never existed, an id that is not a number.
        for forged in ("ci:o:999999", "es:a:abc", "ci:o:", "ci:x:1", "hs:o:1:2"):
            answer = await ana.press_data(ana_prompt, forged)
            assert (answer.text, answer.show_alert) == (PRESS_REFUSED, True), forged
        answer = await ana.press_data(ana_prompt, "ci:o:1" + "0" * 60)  # over 64 bytes
        assert (answer.text, answer.show_alert) == (PRESS_REFUSED, True)
        assert await bot.snapshot() == before
    # A walker pressing a coordinator's Acknowledge (for an alarm that exists). Both pairs
    # missed the check-in, so the on-call has one message about both.
    await tick(bot, night(19, 40))
    alert = await bot.coordinator.wait_for("2 ALERTS at once")
    assert await outbox_settled(bot)
    with bot.jobs_paused():  # the clock jobs' own writes are not the refusals changing things
        before = await bot.snapshot()
        (escalation, *_) = await bot.rows("escalations")
        # The on-call's message, pressed by a walker (a message of another person's chat):
        # refused before anything is read, with the real buttons as with forged ones.
        for data in (f"es:a:{escalation['id']}", f"es:r:{escalation['id']}", "es:t", "es:f"):
            answer = await ana.press_data(alert, data)
            assert answer.text == PRESS_REFUSED, data
            assert answer.show_alert is True
        answer = await bot.coordinator.press_data(alert, "es:a:999999")
        assert answer.text == PRESS_REFUSED

        assert await bot.snapshot() == before
        assert alert.button_texts == ["✋ Acknowledge these", "✅ All safe (resolve these)"]
    assert ana_prompt.find_button(OK) is not None

    # The walk is ended; a press for a check-in that was still to come is called off.
    ended = await bot.ask(bot.coordinator, "/endwalk")
    assert ended.text.startswith("The walk is over")
    later = [c for c in await bot.rows("checkins") if c["state"] == "cancelled"]
    assert later
    assert await outbox_settled(bot)
    with bot.jobs_paused():
        before = await bot.snapshot()
        answer = await ana.press_data(ana_prompt, f"ci:o:{later[0]['id']}")
        assert answer.text == PRESS_REFUSED
        assert answer.show_alert is True
        assert await bot.snapshot() == before


async def test_a_double_tap_on_we_are_ok_checks_in_once(bot: Harness) -> None:
    ana, bea = await bot.join("Ana", "trained"), await bot.join("Bea", "new")
    await sign_up(bot, ana, "Walker")
    await sign_up(bot, bea, "Walker")
    await tick(bot, night(19))
    await tick(bot, night(19, 30))
    prompt = await ana.wait_for("Check-in 1 of 7")
    button = prompt.find_button(OK)
    assert button is not None
    assert button.callback_data is not None
    bot.clock.set(night(19, 31))

    # Two presses in flight at once, as from a shaky thumb on a slow connection.
    first = bot.tg.queue_callback_query(ana, prompt, button.callback_data)
    second = bot.tg.queue_callback_query(ana, prompt, button.callback_data)
    answers = await asyncio.gather(
        bot.tg.wait_callback_answer(first), bot.tg.wait_callback_answer(second)
    )

    assert sorted(a.text or "" for a in answers) == [
        "Already checked in by Ana. ✓",
        "✓ Checked in at 19:31. Thank you, stay safe!",
    ]
    await bea.wait_for("✓ Check-in 1 of 7: Ana checked in at 19:31.")
    log = [e for e in await bot.rows("safety_log") if e["event"] == "checked_in"]
    assert len(log) == 1

    async def edited_chats() -> list[int]:  # both prompts edited once (chats go concurrently)
        edits = [
            c
            for c in bot.tg.calls_to("editMessageText")
            if c.ok and "checked in at" in str(c.params.get("text"))
        ]
        return sorted(c.params["chat_id"] for c in edits)

    async def both_edited() -> bool:
        return await edited_chats() == sorted([ana.id, bea.id])

    assert await eventually(both_edited), await edited_chats()


async def test_someone_elses_home_safe_button_is_refused(bot: Harness) -> None:
    ana, bea = await bot.join("Ana", "trained"), await bot.join("Bea", "new")
    await sign_up(bot, ana, "Walker")
    await sign_up(bot, bea, "Walker")
    await tick(bot, night(19))
    await bot.ask(bot.coordinator, "/endwalk")  # ended before the first check-in
    await tick(bot, night(23))
    prompt = await ana.wait_for("home safe")
    assert await outbox_settled(bot)
    bea_id = await bot.volunteer_id(bea)
    (theirs,) = [h for h in await bot.rows("home_safe") if h["volunteer_id"] == bea_id]
    with bot.jobs_paused():
        before = await bot.snapshot()

        for data in (f"hs:o:{theirs['id']}", "hs:o:999999"):
            answer = await ana.press_data(prompt, data)
            assert answer.text == PRESS_REFUSED
            assert answer.show_alert is True

        assert await bot.snapshot() == before


async def test_safety_commands_out_of_place_get_clear_replies(bot: Harness) -> None:
    ana = await bot.join("Ana", "trained")
    dan = await bot.join("Dan", "trained")
    cora = bot.coordinator
    await sign_up(bot, ana, "Walker")
    await sign_up(bot, dan, "Drop-in")

    # Only handlers answer here; the clock jobs (a staffing alert to Cora) stay still.
    with bot.jobs_paused():
        # /ok with no walk on (Monday noon), /endwalk too.
        reply = await bot.ask(ana, "/ok")
        assert reply.text == "You're not on a walk right now, so there's nothing to check in."
        reply = await bot.ask(ana, "/endwalk")
        assert reply.text == "No walk is on right now."

        # The coordinators' views, asked by a volunteer.
        for command in (
            "/tonight",
            "/log 2026-12-02",
            "/pairs 2026-12-02",
            "/checkins 2026-12-02",
        ):
            reply = await bot.ask(ana, command)
            assert reply.text == ONLY_COORDINATORS, command
        for command in ("/log", "/pairs", "/checkins"):
            reply = await bot.ask(ana, f"{command} not-a-date")
            assert reply.text == ONLY_COORDINATORS, command

        # A coordinator's typing mistakes.
        for command, expected in [
            ("/log", "Usage: /log YYYY-MM-DD"),
            ("/pairs", "Usage: /pairs YYYY-MM-DD"),
            ("/checkins", "Usage: /checkins YYYY-MM-DD"),
        ]:
            reply = await bot.ask(cora, command)
            assert reply.text.startswith(expected), reply.text
        for command in ("/log", "/pairs", "/checkins"):
            for day, expected in [
                ("2026-13-45", "'2026-13-45' is not a real date: there is no month 13"),
                ("tomorrow", "'tomorrow' is not a date: write it as YYYY-MM-DD, e.g. 2026-12-02"),
                ("2/12/2026", "'2/12/2026' is not a date: write it as YYYY-MM-DD"),
            ]:
                reply = await bot.ask(cora, f"{command} {day}")
                assert reply.text.startswith(expected), (command, reply.text)
        reply = await bot.ask(cora, "/log 2026-12-03")
        assert reply.text == "There's no session on 2026-12-03."

        before = await bot.snapshot()
        for words, expected in [
            ("interval=soon", "soon"),
            ("every=20m", "is not a setting"),
            ("grace=15m", "grace must be shorter than escalate_after"),
            ("interval=0s", "interval must be longer than zero"),
            ("interval", "is not a setting"),
        ]:
            reply = await bot.ask(cora, f"/checkins 2026-12-02 {words}")
            assert expected in reply.text, (words, reply.text)
            assert "Check-in plan for" not in reply.text
        assert await bot.snapshot() == before

        # During the walk: a drop-in volunteer's /ok, and a plan change too late.
        await tick(bot, night(19))
        reply = await bot.ask(dan, "/ok")
        assert reply.text == "You're not on a walk right now, so there's nothing to check in."
        reply = await bot.ask(dan, "/endwalk")
        assert reply.text == "Only tonight's team lead or a coordinator can end the walk."
        reply = await bot.ask(cora, "/checkins 2026-12-02 interval=20m")
        assert reply.text == "The walk has started, so its check-in plan can't change now."
        plan = await bot.ask(cora, "/checkins 2026-12-02")
        assert "check in every 30m" in plan.text
