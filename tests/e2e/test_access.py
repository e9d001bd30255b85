"""Where commands and buttons work: private chats, the team's group, and nowhere else.

Each test is something a stranger in the group, a curious volunteer with a modified client or
a careless coordinator did against an earlier version, and each checks that nothing changed.
"""

from __future__ import annotations

import datetime as dtm
from collections.abc import AsyncIterator

import pytest

from bot import texts
from bot.fake_telegram import BotMessage, FakeGroup, FakeTelegram
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from tests.conftest import DbInfo
from tests.e2e.conftest import Harness, eventually, outbox_settled, running_bot
from tests.e2e.test_safety_sos import Night, _with_duress

pytestmark = pytest.mark.e2e

COORDINATOR_COMMANDS = [
    "/invite coordinator",
    "/volunteers",
    "/session 2026-12-02",
    "/tonight",
    "/log 2026-12-02",
    "/briefstatus 2026-12-02",
    "/pairs 2026-12-02",
    "/checkins 2026-12-02",
    "/tag Ana coordinator",
    "/remove Ana",
    "/report",
]


@pytest.fixture
async def team_bot(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> AsyncIterator[Harness]:
    """The bot with a configured team chat and a duress word."""
    team = tg.group("Outreach team")
    chosen = _with_duress(config)
    async with running_bot(tg, db, chosen, clock, team_chat_id=team.chat_id) as bot:
        yield bot


def _shown(message: BotMessage) -> tuple[str, list[str]]:
    return message.text, message.button_texts


async def _team_post(bot: Harness, team: FakeGroup) -> BotMessage:
    await bot.coordinator.send_in(team, "/postrota")
    post = await team.wait_for("Outreach rota")
    assert await eventually(lambda: bot.rows("team_posts"))
    return post


async def test_coordinator_commands_in_the_team_group_show_nothing(team_bot: Harness) -> None:
    bot = team_bot
    n = await Night(bot).setup()
    # What the night already owes the group (a staffing callout, say) lands first.
    assert await outbox_settled(bot)
    earlier = len(n.team.messages())
    with bot.jobs_paused():
        before = await bot.snapshot()
        for command in COORDINATOR_COMMANDS:
            sent = await bot.coordinator.send_in(n.team, command)
            reply = await n.team.wait_for("", after=sent["message_id"])
            name = command.split()[0]
            assert reply.text == texts.SEND_PRIVATELY.format(command=name), command
            assert reply.button_texts == []
        assert await bot.snapshot() == before
    said = {m.text for m in n.team.messages()[earlier:]}
    names = {c.split()[0] for c in COORDINATOR_COMMANDS}
    assert said == {texts.SEND_PRIVATELY.format(command=name) for name in names}


async def test_forged_presses_on_group_messages_edit_nothing(team_bot: Harness) -> None:
    bot = team_bot
    n = await Night(bot).setup()
    post = await _team_post(bot, n.team)
    walker = await bot.role(dtm.date(2026, 12, 2), "walker")
    briefing = (await bot.rows("briefings"))[0]
    forged = [
        f"ro:s:{walker.session_id}",
        "ro:l",
        "me:n",
        "me:y",
        f"bf:g:{briefing['id']}",
        "wk:e",
        "ms:y:1",
        "es:t",
        "es:f",
    ]
    with bot.jobs_paused():
        before = await bot.snapshot()
        for data in forged:
            for presser in (n.ana, n.lee, bot.coordinator):
                n.team.add(presser)
                answer = await presser.press_data(post, data)
                assert answer.text == texts.PRESS_REFUSED, data
                assert _shown(bot.tg.message(n.team.chat_id, post.message_id)) == _shown(post)
        assert await bot.snapshot() == before


async def test_a_forged_press_on_a_private_message_of_another_kind_edits_nothing(
    team_bot: Harness,
) -> None:
    bot = team_bot
    n = await Night(bot).setup()
    prompt = n.ana.last()  # her check-in prompt: We're OK / Need help
    with bot.jobs_paused():
        before = await bot.snapshot()
        for data in ("ro:l", "me:n", "ms:n", "pr:c:1", "bf:g:1"):
            answer = await n.ana.press_data(prompt, data)
            assert answer.text == texts.PRESS_REFUSED, data
            assert _shown(n.ana.messages()[-1]) == _shown(prompt)
        assert await bot.snapshot() == before


async def test_a_group_that_is_not_the_teams_is_told_once_and_left(team_bot: Harness) -> None:
    bot = team_bot
    n = await Night(bot).setup()
    party = bot.tg.group_added_by(n.ana, "Party chat", members=[n.bea])
    said = await party.wait_for("I only work in the outreach team's own group")
    assert said.text == texts.NOT_TEAM_GROUP
    assert await eventually(lambda: _left(party))
    for coordinator in (bot.coordinator, n.dee):
        told = await coordinator.wait_for("added me to the group")
        assert told.text.startswith("Ana added me to the group “Party chat”")
    assert await outbox_settled(bot)
    assert sum("I only work" in m.text for m in party.messages()) == 1


async def _left(group: FakeGroup) -> bool:
    return group.bot_left


async def test_without_a_team_chat_only_a_coordinators_postrota_makes_one(
    bot: Harness,
) -> None:
    ana = await bot.join("Ana", "trained")
    own = bot.tg.group_added_by(bot.coordinator, "Outreach team", members=[ana])
    hint = await own.wait_for("/postrota")
    assert hint.text == texts.ADOPT_HINT
    with bot.jobs_paused():
        before = await bot.snapshot()
        sent = await ana.send_in(own, "/postrota")
        refused = await own.wait_for("Only a coordinator", after=sent["message_id"])
        assert "sending /postrota here" in refused.text
        assert await bot.snapshot() == before
    await _team_post(bot, own)
    assert [r["chat_id"] for r in await bot.rows("team_chats")] == [own.chat_id]
    # Now Ana's /postrota in the team's group works.
    sent = await ana.send_in(own, "/postrota")
    await own.wait_for("Outreach rota", after=sent["message_id"])

    other = bot.tg.group_added_by(ana, "Another group")
    await other.wait_for("I only work in the outreach team's own group")
    assert await eventually(lambda: _left(other))
    assert not own.bot_left


async def test_editing_a_command_does_not_run_it_again(bot: Harness) -> None:
    sent = await bot.coordinator.send("/invite trained")
    await bot.coordinator.wait_for("t.me/", after=sent["message_id"])
    with bot.jobs_paused():
        before = await bot.snapshot()
        last = bot.coordinator.last().message_id
        await bot.coordinator.edit(sent, "/invite coordinator")
        reply = await bot.coordinator.wait_for("", after=last)
        assert reply.text == texts.EDITED
        assert await bot.snapshot() == before
    assert len(await bot.rows("invites")) == 1


@pytest.mark.parametrize("what", ["text", "location", "venue", "command", "duress"])
async def test_a_forwarded_message_is_not_taken_as_the_senders(
    team_bot: Harness, what: str
) -> None:
    bot = team_bot
    n = await Night(bot).setup()
    await n.ana.tap("🆘 Need help", message=n.ana.last())
    await n.ana.wait_for("🆘 The coordinators have been alerted")
    await outbox_settled(bot)
    original = await n.bea.share_location(51.5, -0.12)
    await n.bea.wait_for("location")
    venue = await n.bea.send_venue(51.6, -0.2, "Hall", "1 Road")
    await n.bea.wait_for("", after=venue["message_id"])
    await outbox_settled(bot)
    with bot.jobs_paused():
        before = await bot.snapshot()
        last = n.ana.last().message_id
        if what == "location":
            await n.ana.forward(original)
        elif what == "venue":
            await n.ana.forward(venue)
        elif what == "command":
            await n.ana.forward_text("/invite coordinator", origin=bot.coordinator)
        elif what == "duress":
            await n.ana.forward_text("pineapple", origin=n.bea)
        else:
            await n.ana.forward_text("all fine here", origin=n.bea)
        reply = await n.ana.wait_for("forwarded", after=last)
        place = what in ("location", "venue")
        assert reply.text == (texts.FORWARDED_LOCATION if place else texts.FORWARDED)
        assert await bot.snapshot() == before


async def test_need_help_from_a_stale_screen_still_raises_the_alarm(team_bot: Harness) -> None:
    """Bea's prompt lost its buttons when Ana checked in; her phone had not caught up."""
    bot = team_bot
    n = await Night(bot).setup()
    prompt = n.bea.last()
    help_data = prompt.find_button("🆘 Need help")
    assert help_data is not None
    assert help_data.callback_data is not None
    await n.ana.tap("✅ We're OK", message=n.ana.last())
    await eventually(lambda: _no_buttons(prompt))
    answer = await n.bea.press_data(prompt, help_data.callback_data)
    assert answer.text == "Alerting the coordinators now."
    await bot.coordinator.wait_for("🆘 SOS from Bea")


async def _no_buttons(message: BotMessage) -> bool:
    return message.buttons == []


async def test_a_volunteers_press_on_the_groups_alarm_copy_is_refused(
    team_bot: Harness,
) -> None:
    """The real Acknowledge on the team group's copy: the domain says who may press it."""
    bot = team_bot
    n = await Night(bot).setup()
    await n.ana.tap("🆘 Need help", message=n.ana.last())
    copy = await n.team.wait_for("🆘 SOS from Ana")
    await outbox_settled(bot)
    n.team.add(n.bea)
    with bot.jobs_paused():
        before = await bot.snapshot()
        answer = await n.bea.tap("✋ Acknowledge", message=copy)
        assert answer.text == "Only coordinators can acknowledge or resolve alerts."
        assert _shown(bot.tg.message(n.team.chat_id, copy.message_id)) == _shown(copy)
        assert await bot.snapshot() == before
    taken = await n.dee.tap("✋ Acknowledge", message=copy)  # Dee is in the group
    assert taken.text == "It's yours. Everyone alerted can see you took it."
