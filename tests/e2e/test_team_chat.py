"""The team group: the rota post with join buttons, its coalesced edits, and late notices."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator

import pytest

from bot.fake_telegram import BotMessage, FakeGroup, FakeTelegram, FakeUser
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from tests.conftest import DbInfo
from tests.e2e.conftest import Harness, eventually, running_bot

pytestmark = pytest.mark.e2e

NOT_ON_TEAM = "You're not on the team yet. Ask a coordinator for an invite link, then open it."


def _team(bot: Harness, *members: FakeUser) -> FakeGroup:
    return bot.tg.group("Outreach team", list(members), admins=[bot.coordinator])


async def _post_rota(bot: Harness, team: FakeGroup) -> BotMessage:
    """The coordinator posts the rota; returns once the bot has recorded the post."""
    await bot.coordinator.send_in(team, "/postrota")
    post = await team.wait_for("Outreach rota")
    assert await eventually(lambda: bot.rows("team_posts")), "the post was never recorded"
    return post


def _edits(tg: FakeTelegram, chat_id: int) -> int:
    return sum(1 for c in tg.calls_to("editMessageText") if c.params.get("chat_id") == chat_id)


async def test_postrota_posts_the_rota_with_join_buttons(bot: Harness) -> None:
    team = _team(bot)

    post = await _post_rota(bot, team)

    assert post.text.splitlines() == [
        "Outreach rota – tap a button to join (it signs up whoever taps it)",
        "",
        "Wed 2 Dec 19:00–23:00",
        "  Team lead 0/1 · Walker 0/2 · Drop-in 0/2 · On-call coordinator 0/1",
        "",
        "Wed 9 Dec 19:00–23:00",
        "  Team lead 0/1 · Walker 0/2 · Drop-in 0/2 · On-call coordinator 0/1",
        "",
        "Wed 16 Dec 19:00–23:00",
        "  Team lead 0/1 · Walker 0/2 · Drop-in 0/2 · On-call coordinator 0/1",
    ]
    assert post.button_texts == [
        f"{day} · Join {role}"
        for day in ("Wed 2 Dec", "Wed 9 Dec", "Wed 16 Dec")
        for role in (
            "Team lead (0/1)",
            "Walker (0/2)",
            "Drop-in (0/2)",
            "On-call coordinator (0/1)",
        )
    ]
    (row,) = await bot.rows("team_posts")
    assert (row["chat_id"], row["message_id"]) == (team.chat_id, post.message_id)


async def test_a_join_button_in_the_group_signs_up_whoever_taps_it(bot: Harness) -> None:
    ana = await bot.join("Ana")
    team = _team(bot, ana)
    post = await _post_rota(bot, team)

    answer = await ana.tap("Wed 2 Dec · Join Walker (0/2)", message=post)

    assert answer.text == "You're down as Walker on Wed 2 Dec. Thank you!"
    assert answer.show_alert is True
    mine = await bot.ask(ana, "/myshifts")
    assert "• Wed 2 Dec 19:00–23:00: Walker" in mine.text
    theirs = await bot.ask(bot.coordinator, "/myshifts")
    assert theirs.text.startswith("You have no upcoming shifts")
    (signup,) = await bot.rows("signups")
    assert signup["volunteer_id"] == await bot.volunteer_id(ana)


BURST = [
    ("Wed 2 Dec", "Walker"),
    ("Wed 2 Dec", "Walker"),
    ("Wed 2 Dec", "Drop-in"),
    ("Wed 2 Dec", "Drop-in"),
    ("Wed 9 Dec", "Walker"),
    ("Wed 9 Dec", "Walker"),
    ("Wed 9 Dec", "Drop-in"),
    ("Wed 9 Dec", "Drop-in"),
    ("Wed 16 Dec", "Walker"),
    ("Wed 16 Dec", "Drop-in"),
]


async def test_a_burst_of_sign_ups_is_coalesced_into_one_edit(bot: Harness) -> None:
    members = [await bot.join(f"Vol{i}") for i in range(len(BURST))]
    team = _team(bot, *members)
    post = await _post_rota(bot, team)

    for i, (member, (day, role)) in enumerate(zip(members, BURST, strict=True)):
        answer = await member.tap(f"{day} · Join {role} (0/2)", message=post)
        assert answer.text == f"You're down as {role} on {day}. Thank you!"
        bot.clock.advance(seconds=0.3)  # the whole burst fits in the 5 s gap between edits
        if i == 4:
            await bot.run_job("refresh-posts")  # too soon after posting: no edit yet
    assert _edits(bot.tg, team.chat_id) == 0
    assert post.edited == 0

    bot.clock.advance(seconds=6)
    await bot.run_job("refresh-posts")
    await bot.run_job("refresh-posts")  # nothing changed since: no second edit

    assert 1 <= _edits(bot.tg, team.chat_id) <= 2  # a racing timer tick may try once more
    assert post.edited == 1
    lines = post.text.splitlines()
    assert lines[3] == "  Team lead 0/1 · Walker 2/2 · Drop-in 2/2 · On-call coordinator 0/1"
    assert lines[6] == "  Team lead 0/1 · Walker 2/2 · Drop-in 2/2 · On-call coordinator 0/1"
    assert lines[9] == "  Team lead 0/1 · Walker 1/2 · Drop-in 1/2 · On-call coordinator 0/1"
    assert "Wed 2 Dec · Walker: full, join waitlist" in post.button_texts
    assert "Wed 16 Dec · Join Walker (1/2)" in post.button_texts
    (row,) = await bot.rows("team_posts")
    assert row["dirty_since"] is None


async def test_a_change_made_while_the_post_is_edited_is_not_lost(bot: Harness) -> None:
    ana, ben = await bot.join("Ana"), await bot.join("Ben")
    team = _team(bot, ana, ben)
    post = await _post_rota(bot, team)
    await ana.tap("Wed 2 Dec · Join Walker (0/2)", message=post)
    bot.clock.advance(seconds=6)

    with bot.jobs_paused():
        bot.tg.set_delay("editMessageText", 0.3)  # the edit lands, its answer is slow
        refresh = asyncio.create_task(bot.run_job("refresh-posts"))
        await team.wait_for("Walker 1/2")
        bot.clock.advance(seconds=1)
        late = await ben.tap("Wed 2 Dec · Join Walker (1/2)", message=post)  # not rendered
        assert late.text == "You're down as Walker on Wed 2 Dec. Thank you!"
        await refresh
        bot.tg.set_delay("editMessageText", 0)
        bot.clock.advance(seconds=6)
        await bot.run_job("refresh-posts")

    assert "Walker 2/2" in post.text
    assert post.edited == 2


async def test_postrota_in_a_private_chat_points_to_the_group(bot: Harness) -> None:
    reply = await bot.ask(bot.coordinator, "/postrota")

    assert reply.text == "Use /postrota in the team's group chat."
    assert reply.button_texts == []
    assert await bot.rows("team_posts") == []


async def test_a_stranger_in_the_group_is_refused(bot: Harness) -> None:
    stranger = bot.tg.user("Sid")
    team = _team(bot, stranger)
    post = await _post_rota(bot, team)
    with bot.jobs_paused():
        before = await bot.snapshot()

        answer = await stranger.tap("Wed 2 Dec · Join Drop-in (0/2)", message=post)

        assert (answer.text, answer.show_alert) == (NOT_ON_TEAM, True)
        assert await bot.snapshot() == before
    assert await bot.volunteer_id(stranger) is None


# ------------------------------------------------------------------ late notice


@pytest.fixture
async def team_bot(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> AsyncIterator[tuple[Harness, FakeGroup]]:
    """A bot whose settings name the group as the team chat (ROTABOT_TEAM_CHAT_ID)."""
    team = tg.group("Outreach team")
    async with running_bot(tg, db, config, clock, team_chat_id=team.chat_id) as harness:
        team.add(harness.coordinator)
        yield harness, team


async def _withdraw(bot: Harness, user: FakeUser, shift: str) -> tuple[BotMessage, str]:
    shifts = await bot.ask(user, "/myshifts")
    await user.tap(f"Withdraw: {shift}", message=shifts)
    question = await user.wait_for("Withdraw from", after=shifts.message_id - 1)
    asked = question.text
    await user.tap("Yes, withdraw", message=question)
    return await user.wait_for("You've withdrawn", after=shifts.message_id - 1), asked


async def test_a_late_withdrawal_warns_the_coordinators_and_the_group(
    team_bot: tuple[Harness, FakeGroup],
) -> None:
    bot, team = team_bot
    ana = await bot.join("Ana")
    team.add(ana)
    await bot.open_session(ana, "Wed 2 Dec")
    await ana.tap("Join Walker (0/2)")
    bot.clock.set(dtm.datetime(2026, 12, 1, 19, 0, tzinfo=dtm.UTC))  # 24 h before the start

    done, asked = await _withdraw(bot, ana, "Wed 2 Dec Walker")

    assert "It's close to the start, so the coordinators will be told." in asked
    assert done.text.endswith("The coordinators have been told.")
    expected = (
        "⚠ Late notice: Ana withdrew from Walker on Wed 2 Dec 19:00–23:00. "
        "Nobody was waiting to take the place."
    )
    assert (await bot.coordinator.wait_for("Late notice")).text == expected
    assert (await team.wait_for("Late notice")).text == expected

    async def all_sent() -> list[dict[str, object]]:
        rows = await bot.rows("outbox")
        return rows if all(r["state"] == "sent" for r in rows) else []

    outbox = await eventually(all_sent)
    assert sorted(r["chat_id"] for r in outbox) == sorted([bot.coordinator.id, team.chat_id])
    assert {r["kind"] for r in outbox} == {"late_withdrawal"}
    await bot.run_job("dispatch")
    for chat in (bot.coordinator, team):
        assert sum("Late notice" in m.text for m in chat.messages()) == 1


async def test_a_withdrawal_a_week_ahead_sends_no_late_notice(
    team_bot: tuple[Harness, FakeGroup],
) -> None:
    bot, team = team_bot
    ana = await bot.join("Ana")
    team.add(ana)
    await bot.open_session(ana, "Wed 9 Dec")
    await ana.tap("Join Walker (0/2)")
    bot.clock.set(dtm.datetime(2026, 12, 2, 19, 0, tzinfo=dtm.UTC))  # 7 days before the start

    done, asked = await _withdraw(bot, ana, "Wed 9 Dec Walker")
    await bot.run_job("dispatch")

    assert "close to the start" not in asked
    assert done.text == "You've withdrawn from Walker on Wed 9 Dec 19:00–23:00."
    assert await bot.rows("outbox") == []
    assert not [m for m in bot.coordinator.messages() if "Late notice" in m.text]
    assert not [m for m in team.messages() if "Late notice" in m.text]
