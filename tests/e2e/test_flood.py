"""A flood of messages from one person stalls nobody else, and never a safety press.

Chats are paced as Telegram paces them (`Limits()`: a burst of 3, then one message a second
per private chat), because the stall came from exactly that: every flooded update held one of
the bot's few processing slots while its reply waited for the flooder's chat's next second.
The bound asserted here is generous (3 s); bench/flood.py measures the real figures.
"""

# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.app import build_application
from bot.fake_telegram import FakeTelegram, FakeUser
from bot.pacing import UNPACED_CHATS, Limits
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from tests.conftest import DbInfo
from tests.e2e.conftest import (
    Harness,
    make_settings,
    night,
    outbox_settled,
    running_bot,
    sign_up,
    tick,
)

pytestmark = pytest.mark.e2e

FLOOD = 40  # messages from each of the two flooders, as in issue 11
PROMPT = "Check-in 1 of 7"
BOUND_S = 3.0


@pytest.fixture
async def paced(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> AsyncIterator[Harness]:
    """The bot with Telegram's real per-chat pace."""
    async with running_bot(tg, db, config, clock, pacing=Limits()) as bot:
        yield bot


class Night:
    """Ana and Bea walk (check-in 1 asked), Lee leads, Cora is on call; Vic is another
    volunteer, Flo a volunteer who floods, and Stan a stranger who floods."""

    def __init__(self, bot: Harness) -> None:
        self.bot = bot
        self.cora = bot.coordinator

    async def setup(self) -> Night:
        bot = self.bot
        # Cora first: with chats paced, a staffing alert could land between her /rota and
        # its answer.
        await outbox_settled(bot)
        await sign_up(bot, self.cora, "On-call coordinator")
        self.ana = await bot.join("Ana", "trained")
        self.bea = await bot.join("Bea", "new")
        self.lee = await bot.join("Lee", "lead")
        self.vic = await bot.join("Vic", "trained")
        self.flo = await bot.join("Flo", "trained")
        self.stan = bot.tg.user("Stan")
        await sign_up(bot, self.ana, "Walker")
        await sign_up(bot, self.bea, "Walker")
        await sign_up(bot, self.lee, "Team lead")
        await tick(bot, night(19))
        await tick(bot, night(19, 30))
        await self.ana.wait_for(PROMPT)
        await self.bea.wait_for(PROMPT)
        return self

    async def flood(self, n: int = FLOOD) -> None:
        """Flo and Stan each send n messages as fast as their phones can."""
        for i in range(n):
            await self.flo.send("/me" if i % 2 else "hello?")
            await self.stan.send("/rota" if i % 2 else "hi")


async def _timed_reply(user: FakeUser, text: str, timeout: float = 60.0) -> float:
    """Seconds from `text` reaching Telegram to the bot's first message after it."""
    started = time.monotonic()
    sent = await user.send(text)
    await user.wait_for("", after=sent["message_id"], timeout=timeout)
    return time.monotonic() - started


async def test_a_flood_by_two_people_does_not_hold_up_another_volunteers_command(
    paced: Harness,
) -> None:
    n = await Night(paced).setup()

    await n.flood()
    seconds = await _timed_reply(n.vic, "/me")

    assert seconds < BOUND_S, f"/me answered {seconds:.1f} s after a flood of {2 * FLOOD}"


async def test_we_re_ok_and_need_help_go_through_during_a_flood(paced: Harness) -> None:
    n = await Night(paced).setup()
    ana_prompt = n.ana.last()
    bea_prompt = n.bea.last()

    await n.flood()
    started = time.monotonic()
    answer = await n.ana.tap("We're OK", message=ana_prompt, contains=True, timeout=30)
    ok_s = time.monotonic() - started
    assert (answer.text or "").startswith("✓ Checked in"), answer

    started = time.monotonic()
    await n.bea.tap("🆘 Need help", message=bea_prompt, timeout=30)
    await n.cora.wait_for("🆘 SOS from Bea", timeout=30)
    sos_s = time.monotonic() - started

    assert ok_s < BOUND_S, f"We're OK answered after {ok_s:.1f} s"
    assert sos_s < BOUND_S, f"Need help reached the coordinator after {sos_s:.1f} s"


async def test_a_stranger_who_floods_gets_one_answer_a_minute(
    tg: FakeTelegram, paced: Harness
) -> None:
    stan = tg.user("Stan")
    for _ in range(10):
        await stan.send("hello")
    await stan.wait_for("")
    await asyncio.sleep(1.5)  # time for any further answers to arrive

    assert len(stan.messages()) == 1


async def test_after_a_restart_a_backlog_s_safety_updates_go_first_and_the_rest_after_start(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    """While the bot was down Flo sent 60 messages and Ana, among them, /ok. On start-up the
    /ok counts (at its own time) before the first sweep; Flo's messages wait for the
    application to start, so the sweeps and the outbox are not held back behind them."""
    async with running_bot(tg, db, config, clock) as first:
        n = await Night(first).setup()
    clock.set(night(19, 32))
    answered = len(n.flo.messages())
    for i in range(60):
        await n.flo.send(f"message {i}")
        if i == 30:
            await n.ana.send("/ok")

    clock.set(night(19, 47))  # past the reminder and the first escalation
    engine = db.engine()
    app = build_application(
        make_settings(tg, db, config),
        clock=clock,
        uow=SqlAlchemyUnitOfWorkFactory(engine),
        pacing=UNPACED_CHATS,  # so every one of Flo's messages is answered, and can be counted
    )
    await app.initialize()
    try:
        assert app.post_init is not None
        await app.post_init(app)
        # Handled already: the /ok, at 19:32. Waiting for the start: Flo's 60.
        assert app.update_queue.qsize() == 60
        assert app.job_queue.get_jobs_by_name("safety")
        await n.ana.wait_for("✓ Checked in at 19:32")
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        for job in app.job_queue.get_jobs_by_name("safety"):
            await job.run(app)
        await n.flo.wait_for_count(answered + 60, timeout=20)  # each answered, once started
        for person in (n.cora, n.lee):
            assert not [m for m in person.messages() if "MISSED" in m.text]
    finally:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            app.job_queue.scheduler.pause()
            await app.stop()
        await app.shutdown()
        await engine.dispose()
