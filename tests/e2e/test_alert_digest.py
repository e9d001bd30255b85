"""Alerts due together to one coordinator arrive as one digest, and its buttons act on all.

Two pairs miss the same check-in: the on-call gets one message naming both pairs (not two
queued a second apart by Telegram's per-chat limit). "Acknowledge these" takes every alert
the message lists; "All safe" resolves them. Forged or misplaced presses change nothing.
"""

from __future__ import annotations

import dataclasses

import pytest

from bot.fake_telegram import BotMessage, FakeTelegram, FakeUser
from bot.texts import PRESS_REFUSED
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from tests.conftest import DbInfo
from tests.e2e.conftest import Harness, eventually, night, running_bot, sign_up, tick

pytestmark = pytest.mark.e2e

DIGEST = "2 ALERTS at once"


def _two_pairs(config: RotaConfig) -> RotaConfig:
    roles = tuple(
        dataclasses.replace(r, capacity=4) if r.key == "walker" else r
        for r in config.template.roles
    )
    return dataclasses.replace(config, template=dataclasses.replace(config.template, roles=roles))


@dataclasses.dataclass
class Night:
    bot: Harness
    walkers: list[FakeUser]
    dee: FakeUser


async def _two_pairs_miss_check_in_one(bot: Harness) -> tuple[Night, BotMessage]:
    walkers = [
        await bot.join(name, tags)
        for name, tags in (("Ana", "trained"), ("Bea", "new"), ("Eve", "trained"), ("Fay", "new"))
    ]
    dee = await bot.join("Dee", "coordinator")
    for walker in walkers:
        await sign_up(bot, walker, "Walker")
    await sign_up(bot, bot.coordinator, "On-call coordinator")
    await tick(bot, night(19))
    await tick(bot, night(19, 30))
    for minute in range(31, 46):
        await tick(bot, night(19, minute))
        if any(DIGEST in m.text for m in bot.coordinator.messages()):
            break
    digest = await bot.coordinator.wait_for(DIGEST)
    return Night(bot, walkers, dee), digest


async def test_two_pairs_missing_one_check_in_reach_the_on_call_as_one_message(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    async with running_bot(tg, db, _two_pairs(config), clock) as bot:
        night_, digest = await _two_pairs_miss_check_in_one(bot)
        cora = bot.coordinator
        # One message names every walker, with their check-in, and both buttons.
        for walker in night_.walkers:
            assert walker.first_name in digest.text
        assert "check-in 1 of 7" in digest.text
        assert digest.button_texts == ["✋ Acknowledge these", "✅ All safe (resolve these)"]
        # ... and no separate alert for either pair.
        assert not [m for m in cora.messages() if "MISSED CHECK-IN" in m.text]
        assert len(await bot.rows("escalations")) == 2
        sent = [r for r in await bot.rows("outbox") if r["kind"] == "alert"]
        assert {r["message_id"] for r in sent} == {digest.message_id}

        answer = await cora.press_data(digest, "es:t")
        assert answer.text == "You took 2 alerts."
        escalations = await bot.rows("escalations")
        assert {e["state"] for e in escalations} == {"acknowledged"}
        # The pairs hear someone is on it; the on-call sees one message about both.
        for walker in night_.walkers:
            await walker.wait_for("Cora")
        taken = await cora.wait_for("is dealing with 2 alerts")
        assert taken.button_texts == ["✅ All safe (resolve these)"]

        # Its Acknowledge button is gone: pressing it anyway (a modified client) changes nothing.
        again = await cora.press_data(digest, "es:t")
        assert again.text == PRESS_REFUSED

        async def recorded() -> bool:
            return not [r for r in await bot.rows("outbox") if r["state"] != "sent"]

        assert await eventually(recorded)  # a press at once may beat the bookkeeping
        done = await cora.press_data(taken, "es:f")
        assert done.text == "You resolved 2 alerts."
        assert {e["state"] for e in await bot.rows("escalations")} == {"resolved"}


async def test_digest_buttons_pressed_by_the_wrong_people_change_nothing(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    async with running_bot(tg, db, _two_pairs(config), clock) as bot:
        night_, _ = await _two_pairs_miss_check_in_one(bot)
        ana, dee = night_.walkers[0], night_.dee

        async def settled() -> bool:
            return not [r for r in await bot.rows("outbox") if r["state"] != "sent"]

        assert await eventually(settled)
        with bot.jobs_paused():
            before = await bot.snapshot()
            # A walker forges the button on a message of her own; a coordinator on a message
            # that is no digest; extra ids: none of them is a button of the pressed message.
            own = ana.messages()[-1]
            answer = await ana.press_data(own, "es:t")
            assert answer.text == PRESS_REFUSED
            plain = dee.messages()[-1]
            answer = await dee.press_data(plain, "es:f")
            assert answer.text == PRESS_REFUSED
            answer = await dee.press_data(plain, "es:t:1")
            assert answer.text == PRESS_REFUSED
            assert await bot.snapshot() == before
        assert {e["state"] for e in await bot.rows("escalations")} == {"open"}
