"""Joining with the name Telegram gives: emoji and joiners welcome, controls left out."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Harness

pytestmark = pytest.mark.e2e

DOCTOR = "👩\u200d⚕\ufe0f Sam"


async def _display_name(bot: Harness, telegram_id: int) -> str:
    async with bot.uow() as uow:
        volunteer = await uow.volunteers.by_telegram_id(telegram_id)
    assert volunteer is not None
    return volunteer.display_name


async def test_a_volunteer_named_with_emoji_and_a_joiner_can_join(bot: Harness) -> None:
    sam = await bot.join(DOCTOR)  # waits for "Welcome to the team"
    assert await _display_name(bot, sam.id) == DOCTOR
    assert f"Name: {DOCTOR}" in (await bot.ask(sam, "/me")).text
    assert DOCTOR in (await bot.ask(bot.coordinator, "/volunteers")).text


async def test_a_name_with_a_right_to_left_override_joins_without_it(bot: Harness) -> None:
    kim = await bot.join("Kim\u202e", last_name="\u2067Lee\u2069\n")
    assert await _display_name(bot, kim.id) == "Kim Lee"


async def test_a_volunteer_can_rename_to_an_emoji_name(bot: Harness) -> None:
    ana = await bot.join("Ana")
    done = await bot.ask(ana, "/name 🌟 Ana")
    assert done.text == "Done: the team now sees you as 🌟 Ana."
    with bot.jobs_paused():
        before = await bot.snapshot()
        reply = await bot.ask(ana, "/name Ana\u202eevil")
        assert reply.text == "Please use ordinary letters in your name."
        assert await bot.snapshot() == before
