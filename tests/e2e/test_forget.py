"""A whole night, then /forgetme and /remove ... forget: nothing in the database names them.

Zephyrine and Xanthippe (names, handles, phones and Telegram ids nothing else can contain)
walk as a pair: sign-ups, a late withdrawal, shared phones, a safety note in everyone's
briefing, Zephyrine's SOS with a live location, a missed check-in, and the lead's debrief
whose incident note fails to reach a coordinator once. Then Zephyrine forgets herself and a
coordinator erases Xanthippe; a scan of every column of every table (from the metadata, so a
new table is covered) finds neither of them.
"""

from __future__ import annotations

import datetime as dtm
from typing import Any

import pytest

from bot.fake_telegram import FakeUser
from tests.e2e.conftest import Harness, edited_to, eventually, night, sign_up, tick
from tests.services.test_erasure import leaks

pytestmark = pytest.mark.e2e

ZEPH_ID, XAN_ID, DEE_ID = 7_301_000_101, 7_301_000_202, 7_301_000_303
ZEPH_PHONE, XAN_PHONE = "+44 7700 900123", "+44 7700 900456"
WORDS = ["Zephyrine", "Quill", "zeph_walks", "Xanthippe", "Vole", "xan_nightowl"]
PHONES = [ZEPH_PHONE, XAN_PHONE]
IDS = [ZEPH_ID, XAN_ID]
INCIDENT = "Zephyrine Quill was followed near the arches; Xanthippe rang 07700 900123"
SAFE = "✅ They're safe (resolve)"
DEBRIEF_COUNTS = ["0", "5", "10", "4", "50", "2", "1", "0", "1", "0"]


class Night:
    """Zephyrine and Xanthippe walk, Lee leads, Cora (bootstrap) is on call, Dee coordinates."""

    def __init__(self, bot: Harness) -> None:
        self.bot = bot
        self.cora = bot.coordinator

    async def setup(self) -> Night:
        bot = self.bot
        self.zeph = await bot.join(
            "Zephyrine", "trained", last_name="Quill", username="zeph_walks", user_id=ZEPH_ID
        )
        self.xan = await bot.join(
            "Xanthippe", "new", last_name="Vole", username="xan_nightowl", user_id=XAN_ID
        )
        self.lee = await bot.join("Lee", "lead")
        self.dee = await bot.join("Dee", "coordinator", user_id=DEE_ID)
        for person, phone in ((self.zeph, ZEPH_PHONE), (self.xan, XAN_PHONE)):
            await person.share_contact(phone)
            await person.wait_for("Your number is saved")
        # Zephyrine takes the drop-in, then (24 h before) withdraws late and walks instead.
        await sign_up(bot, self.zeph, "Drop-in")
        bot.clock.set(dtm.datetime(2026, 12, 1, 19, 0, tzinfo=dtm.UTC))
        shifts = await bot.ask(self.zeph, "/myshifts")
        await self.zeph.tap("Withdraw: Wed 2 Dec Drop-in", message=shifts)
        question = await self.zeph.wait_for("Withdraw from", after=shifts.message_id - 1)
        await self.zeph.tap("Yes, withdraw", message=question)
        await self.zeph.wait_for("You've withdrawn", after=shifts.message_id - 1)
        await self.cora.wait_for("Late notice: Zephyrine Quill withdrew")
        await sign_up(bot, self.zeph, "Walker")
        await sign_up(bot, self.xan, "Walker")
        await sign_up(bot, self.lee, "Team lead")
        await sign_up(bot, self.cora, "On-call coordinator")
        note = await bot.ask(
            self.cora,
            "/brief 2026-12-02 Zephyrine Quill carries the spare phone (07700 900123)",
            expect="Safety note",
        )
        assert "note" in note.text.lower(), note.text
        await tick(bot, night(19))
        await bot.run_job("shift")
        for person in (self.zeph, self.xan, self.lee, self.cora):
            briefing = await person.wait_for("Briefing:")
            assert "Zephyrine" in briefing.text
        await tick(bot, night(19, 30))
        await self.zeph.wait_for("Check-in 1 of")
        return self

    async def sos_with_a_live_location(self) -> None:
        bot = self.bot
        bot.clock.set(night(19, 31))
        await bot.ask(self.zeph, "/sos")
        alert = await self.cora.wait_for("SOS from Zephyrine Quill")
        assert "07700 900123" in alert.text or "+44 7700 900123" in alert.text
        bot.clock.set(night(19, 32))
        await self.zeph.share_location(51.5101, -0.1340, live_period=3600)
        await self.zeph.wait_for("Your location has gone to the coordinators")

        async def located() -> bool:
            return any(m.kind == "location" for m in bot.tg.messages(self.cora.id))

        assert await eventually(located)
        bot.clock.set(night(19, 33))
        await self.cora.tap(SAFE, message=alert)
        await bot.run_job("dispatch")
        await edited_to(alert, "Resolved by Cora at 19:33")

    async def missed_checkin(self) -> FakeUser:
        bot = self.bot
        await tick(bot, night(19, 35))
        await tick(bot, night(19, 40))
        await self.cora.wait_for("MISSED CHECK-IN: Zephyrine Quill and Xanthippe Vole")
        return self.cora

    async def resolve_missed(self) -> None:
        alert = await self.cora.wait_for("MISSED CHECK-IN")
        self.bot.clock.set(night(19, 45))
        await self.cora.tap(SAFE, message=alert)
        await self.bot.run_job("dispatch")
        await edited_to(alert, "Resolved by Cora at 19:45")

    async def walk_ends_and_debrief_with_incident(self) -> None:
        bot = self.bot
        bot.clock.set(night(19, 50))
        ended = await bot.ask(self.lee, "/endwalk")
        assert ended.text.startswith("The walk is over"), ended.text
        await tick(bot, night(23, 0, 5))
        await bot.run_job("shift")
        await self.lee.wait_for("1/10")
        for number, count in enumerate(DEBRIEF_COUNTS[:-1], start=2):
            sent = await self.lee.send(count)
            await self.lee.wait_for(f"{number}/10", after=sent["message_id"])
        # Dee has blocked the bot for now: the note to her fails and is given up, and its
        # text stays in the outbox (only a delivered note is emptied).
        bot.tg.block(self.dee, notify=False)
        sent = await self.lee.send(INCIDENT)
        await self.lee.wait_for("Thank you!", after=sent["message_id"])
        await self.cora.wait_for("Follow-up needed")

        async def failed() -> list[dict[str, object]]:
            rows = await bot.rows("outbox")
            return [r for r in rows if r["kind"] == "debrief_incident" and r["chat_id"] == DEE_ID]

        (row,) = await eventually(lambda: _state(failed, "unreachable"))
        assert "Zephyrine Quill" in str(row["payload"])
        bot.tg.unblock(self.dee, notify=False)


async def _state(rows: Any, state: str) -> list[dict[str, object]]:
    found = await rows()
    return found if found and all(r["state"] == state for r in found) else []


async def test_a_whole_night_then_both_are_forgotten_everywhere(bot: Harness) -> None:
    n = await Night(bot).setup()
    await n.sos_with_a_live_location()
    await n.missed_checkin()

    # /forgetme while the alert about her pair is open: refused, nothing changes.
    with bot.jobs_paused():
        before = await bot.snapshot()
        refused = await bot.ask(n.zeph, "/forgetme")
        assert refused.text.startswith("An alert about you is still open")
        assert refused.button_texts == []
        assert await bot.snapshot() == before

    await n.resolve_missed()
    await n.walk_ends_and_debrief_with_incident()
    assert len(await leaks(bot.uow.engine, WORDS, PHONES, IDS)) > 20  # the scan sees them

    # /forgetme: the question says what goes and what stays; yes erases her.
    ask = await bot.ask(n.zeph, "/forgetme")
    for promise in ("Telegram id", "locations", "a former volunteer", "reports", "can't delete"):
        assert promise in ask.text
    await n.zeph.tap("Yes, delete my data", message=ask)
    done = await edited_to(ask, "Done.")
    assert "messages already delivered into Telegram chats" in done.text

    # /remove <Xanthippe> forget: erased at once, and the reply says so.
    gone = await bot.ask(n.cora, "/remove @xan_nightowl forget", expect="no longer on the team")
    assert gone.text.startswith("Xanthippe Vole is no longer on the team and their details")
    assert "erased now" in gone.text

    # The note that never reached Dee no longer names them; Cora's copy, delivered, is in
    # her Telegram chat, out of the bot's reach (as both replies said).
    (undelivered,) = [
        r
        for r in await bot.rows("outbox")
        if r["kind"] == "debrief_incident" and r["chat_id"] == DEE_ID
    ]
    assert "a former volunteer was followed near the arches" in str(undelivered["payload"])

    assert await leaks(bot.uow.engine, WORDS, PHONES, IDS) == []
    volunteers = {v["id"]: v for v in await bot.rows("volunteers")}
    former = [v for v in volunteers.values() if v["display_name"] == "a former volunteer"]
    assert len(former) == 2
    assert all(v["status"] == "removed" and v["telegram_id"] is None for v in former)
    # Their shifts still count: the walkers' sign-ups, pair and check-ins stay, anonymous.
    walker_signups = [
        s for s in await bot.rows("signups") if volunteers[s["volunteer_id"]] in former
    ]
    assert {s["status"] for s in walker_signups} >= {"confirmed", "withdrawn"}
    assert len(await bot.rows("pair_members")) == 2
    assert await bot.rows("locations") == []
