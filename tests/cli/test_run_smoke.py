"""The "new user" check: `rotabot run` as a real process, driven through the fake Telegram.

Nothing is prepared: the SQLite file does not exist yet, there is no rota.toml (so the shipped
example template is used) and the real clock decides which Wednesdays are on the rota. The
coordinator invites a volunteer, who signs up as a walker; then the process is stopped the
way a service manager stops it.
"""

# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sqlite3
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import pytest

from bot.fake_telegram import FakeTelegram
from tests.cli.conftest import LOG_RECORD, clean_env, executable, sqlite_url

T = TypeVar("T")

COORDINATOR_ID = 424_242
FIRST_REPLY = 20.0  # the process has to import, migrate and start polling first
REPLY = 10.0
STOP = 10.0
DAY_BUTTON = re.compile(r"Wed \d{1,2} [A-Z][a-z]{2}")


class RunningBot:
    """The `rotabot run` process; every wait also watches for the process dying early."""

    def __init__(self, proc: asyncio.subprocess.Process, directory: Path) -> None:
        self.proc = proc
        self.stdout = directory / "stdout.log"
        self.stderr = directory / "stderr.log"

    def output(self) -> str:
        out = self.stdout.read_text(errors="replace")
        err = self.stderr.read_text(errors="replace")
        return f"--- stdout\n{out}--- stderr\n{err}"

    async def expect(self, step: Awaitable[T], timeout: float = REPLY) -> T:
        task = asyncio.ensure_future(asyncio.wait_for(step, timeout))
        ended = asyncio.ensure_future(self.proc.wait())
        await asyncio.wait({task, ended}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            ended.cancel()
            return task.result()  # raises the step's own error (e.g. a timeout) if it failed
        task.cancel()
        pytest.fail(f"`rotabot run` exited early with {self.proc.returncode}\n{self.output()}")


async def start_bot(tmp_path: Path, tg: FakeTelegram) -> RunningBot:
    env = clean_env(
        tmp_path,
        TELEGRAM_API_BASE_URL=tg.base_url,
        TELEGRAM_BOT_TOKEN=tg.token,
        DATABASE_URL=sqlite_url(tmp_path / "rotabot.db"),
        ROTABOT_ADMIN_IDS=str(COORDINATOR_ID),
    )
    with (tmp_path / "stdout.log").open("wb") as out, (tmp_path / "stderr.log").open("wb") as err:
        # Files, not pipes: a chatty log can never fill a pipe and stall the bot.
        proc = await asyncio.create_subprocess_exec(
            executable(), "run", env=env, cwd=tmp_path, stdout=out, stderr=err
        )
    return RunningBot(proc, tmp_path)


async def sessions_created(db: Path, timeout: float = REPLY) -> int:
    """Wait for `run`'s start-up job to create the template's sessions; how many there are.

    The job runs alongside the first updates. Waiting for it keeps this test about the happy
    path: /rota before any session exists (answered with "no upcoming sessions") is another case.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            (count,) = conn.execute("SELECT count(*) FROM sessions").fetchone()
        if count or loop.time() > deadline:
            return int(count)
        await asyncio.sleep(0.1)


async def test_new_user_runs_the_bot_invites_a_volunteer_and_stops_it(tmp_path: Path) -> None:
    assert not (tmp_path / "rotabot.db").exists()
    tg = FakeTelegram()
    await tg.start()
    cora = tg.user("Cora", username="cora", user_id=COORDINATOR_ID)
    ana = tg.user("Ana", username="ana")
    bot = await start_bot(tmp_path, tg)
    try:
        # The first coordinator, from ROTABOT_ADMIN_IDS.
        await cora.send("/start")
        welcome = await bot.expect(cora.wait_for("Welcome", timeout=FIRST_REPLY), FIRST_REPLY)
        assert "coordinator" in welcome.text

        await cora.send("/invite trained")
        invite = await bot.expect(cora.wait_for(f"https://t.me/{tg.bot_username}?start="))
        invite_code = invite.text.split("?start=")[1].split()[0]
        assert "with tags trained" in invite.text

        # The volunteer opens the link.
        await ana.send(f"/start {invite_code}")
        joined = await bot.expect(ana.wait_for("Welcome to the team"))
        assert "Ana" in joined.text

        # ... and claims a walker's place on the first date offered.
        assert await bot.expect(sessions_created(tmp_path / "rotabot.db")) > 0
        await ana.send("/rota")
        rota = await bot.expect(ana.wait_for("Upcoming sessions"))
        assert "Walker 0/8" in rota.text
        first = rota.buttons[0][0].text
        assert DAY_BUTTON.fullmatch(first), rota.button_texts
        await bot.expect(ana.tap(first, message=rota, timeout=REPLY))
        detail = await bot.expect(ana.wait_for("Meet: St Anne's Hall"))
        assert "Walker: 0/8 (8 free)" in detail.text
        answer = await bot.expect(ana.tap("Join Walker", contains=True, timeout=REPLY))
        assert answer.text is not None
        assert answer.text.startswith(f"You're down as Walker on {first}"), answer.text
        await bot.expect(ana.wait_for("✓ You're down as Walker"))

        # A service manager's stop: SIGTERM, and a clean exit soon after.
        bot.proc.send_signal(signal.SIGTERM)
        exit_code = await asyncio.wait_for(bot.proc.wait(), STOP)
    finally:
        if bot.proc.returncode is None:
            bot.proc.kill()
            await bot.proc.wait()
        await tg.stop()

    output = bot.output()
    assert exit_code == 0, output
    stderr = bot.stderr.read_text()
    assert "Traceback" not in stderr, output
    records = [line for line in stderr.splitlines() if LOG_RECORD.match(line)]
    assert [r for r in records if " ERROR " in r or " CRITICAL " in r] == [], output
    assert [line for line in stderr.splitlines() if not LOG_RECORD.match(line)] == [], output
    assert tg.internal_errors == []
    assert tg.unknown_calls == []

    # `run` created and migrated the database itself, and the sign-up is in it.
    with sqlite3.connect(tmp_path / "rotabot.db") as conn:
        assert conn.execute("SELECT count(*) FROM signups").fetchone() == (1,)
