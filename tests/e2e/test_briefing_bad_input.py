"""/brief and /briefstatus refuse what they cannot use, say why, and change nothing."""

from __future__ import annotations

import pytest

from tests.briefings.team import DAY, Team, move_clock
from tests.e2e.conftest import Harness, eventually, night

pytestmark = pytest.mark.e2e

NOTE = "Ugly Mugs alert: a grey van on Mill Road."


async def _refused(bot: Harness, who: object, text: str, answer: str) -> None:
    # The clock jobs stay still meanwhile: the shift sweep may record a staffing alert for
    # this short-staffed session at any moment, which is not the refusal changing anything.
    with bot.jobs_paused():
        before = await bot.snapshot()
        reply = await bot.ask(who, text)  # type: ignore[arg-type]
        assert answer in reply.text, reply.text
        assert await bot.snapshot() == before


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/brief", "Usage: /brief YYYY-MM-DD to see a session's safety notes"),
        (f"/brief 02/12/2026 {NOTE}", "'02/12/2026' is not a date: write it as YYYY-MM-DD"),
        (f"/brief 2026-02-30 {NOTE}", "'2026-02-30' is not a real date: Feb 2026 has only 28"),
        (f"/brief tomorrow {NOTE}", "'tomorrow' is not a date"),
        (f"/brief 2026-12-03 {NOTE}", "There's no session on 2026-12-03."),
        (f"/brief 2026-11-25 {NOTE}", "There's no session on 2026-11-25."),
        ("/brief 2026-11-25", "There's no session on 2026-11-25."),
        (f"/brief {DAY} ...", "The note is empty."),
        (f'/brief {DAY} ""', "The note is empty."),
        (f"/brief {DAY} " + "x" * 3501, "That note is 3501 characters long: 3500 at most"),
        ("/briefstatus", "Usage: /briefstatus YYYY-MM-DD"),
        ("/briefstatus 2026-12-02 extra", "Usage: /briefstatus YYYY-MM-DD"),
        ("/briefstatus 2-12-2026", "'2-12-2026' is not a date"),
        ("/briefstatus 2026-12-03", "There's no session on 2026-12-03."),
    ],
)
async def test_a_coordinator_gets_a_clear_answer_and_nothing_changes(
    bot: Harness, command: str, answer: str
) -> None:
    await _refused(bot, bot.coordinator, command, answer)


async def test_the_longest_note_is_taken(bot: Harness) -> None:
    reply = await bot.ask(bot.coordinator, f"/brief {DAY} " + "y" * 3500)
    assert reply.text.startswith("✓ Safety note added for Wed 2 Dec 19:00–23:00.")
    assert len(await bot.rows("safety_notes")) == 1
    await _refused(bot, bot.coordinator, f"/brief {DAY} more", "too long for one message")


async def test_volunteers_and_strangers_are_refused(bot: Harness) -> None:
    team = await Team(bot).sign_up()
    for who in (team.ana, team.lee, bot.tg.user("Stranger")):
        for command in (f"/brief {DAY} {NOTE}", f"/brief {DAY}", f"/briefstatus {DAY}"):
            await _refused(bot, who, command, "Sorry, only coordinators can do that.")


async def test_a_past_session_takes_no_notes(bot: Harness) -> None:
    await bot.ask(bot.coordinator, f"/brief {DAY} {NOTE}")
    await move_clock(bot, night(23))  # the session has just ended
    await _refused(
        bot,
        bot.coordinator,
        f"/brief {DAY} Another one",
        "The session on 2026-12-02 is over, so its briefing can't change any more.",
    )
    await _refused(bot, bot.coordinator, f"/brief {DAY}", "is over")


async def test_a_cancelled_session_takes_no_notes(bot: Harness) -> None:
    await bot.ask(bot.coordinator, "/cancelsession 2026-12-09")
    await _refused(
        bot,
        bot.coordinator,
        f"/brief 2026-12-09 {NOTE}",
        "The session on 2026-12-09 was cancelled",
    )


async def test_notes_are_never_shown_or_taken_in_a_group(bot: Harness) -> None:
    group = bot.tg.group("Team", [bot.coordinator])
    await bot.coordinator.send_in(group, "/postrota")  # the team's group
    await group.wait_for("Outreach rota")
    assert await eventually(lambda: bot.rows("team_chats"))
    with bot.jobs_paused():
        before = await bot.snapshot()
        await bot.coordinator.send_in(group, f"/brief {DAY} {NOTE}")
        reply = await group.wait_for("private chat")
        assert reply.text == (
            "Please send me /brief in a private chat: I don't show that in a group."
        )
        assert await bot.snapshot() == before


async def test_an_edited_brief_command_does_not_add_the_note_again(bot: Harness) -> None:
    sent = await bot.coordinator.send(f"/brief {DAY} {NOTE}")
    await bot.coordinator.wait_for("Safety note added", after=sent["message_id"])
    bot.tg.edit_user_message(sent, {"text": f"/brief {DAY} {NOTE} (edited)"})
    await bot.ask(bot.coordinator, "/help")  # handled after the edit
    assert [r["text"] for r in await bot.rows("safety_notes")] == [NOTE]
