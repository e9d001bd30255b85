"""A whole demo night logged at DEBUG: no token, phone number, location or duress word in it."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import cli
from bot.demo import night as demo_night
from bot.demo.night import ACK, SAFE, Cast, DemoOptions, Night
from bot.fake_telegram import FakeUser
from bot.fake_telegram.server import DEFAULT_TOKEN
from tests.demo.test_demo import FAST, WEDNESDAY

DURESS = "bluebell"
PHONES = ("+44 7700 900111", "+44 7700 900222", "+44 7700 900333", "+44 7700 900444")
# The demo's SOS drill shares this location (bot/demo/night.py), as a walker's phone would.
LATITUDE, LONGITUDE = "51.5101", "-0.134"
# Everything that logs: the bot, PTB, the HTTP stack, the database stack, the scheduler and
# the fake Telegram's web server. Each is opened to DEBUG, whatever the CLI set it to.
LOGGERS = (
    "",
    "rotabot",
    "bot",
    "rota",
    "telegram",
    "httpx",
    "httpcore",
    "sqlalchemy",
    "sqlalchemy.engine",
    "sqlalchemy.engine.Engine",
    "sqlalchemy.pool",
    "aiosqlite",
    "apscheduler",
    "aiohttp",
    "asyncio",
)


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Everything logged while the test runs, formatted as the CLI formats it (tracebacks too).

    The CLI's own set-up (what `rotabot -v` does) runs first; the log-record factory it
    installs is put back afterwards so other tests see plain records.
    """
    factory = logging.getLogRecordFactory()
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    root = logging.getLogger()
    handlers = list(root.handlers)
    cli.configure_logging(verbose=True)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter(cli.LOG_FORMAT))
    handler.setLevel(logging.DEBUG)
    # Only this handler, added after the set-up (the protection must cover it too): pytest's
    # own capture of ~50,000 DEBUG records would slow the night past its waits on a busy CI.
    root.handlers = [handler]
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.handlers = handlers
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        logging.setLogRecordFactory(factory)


class LoggedNight(Night):
    """The demo night, plus what it does not show: walkers share phone numbers at joining and
    one of them sends the duress word after the walk (and a coordinator resolves it)."""

    async def invite_and_join(self) -> Cast:
        cast = await super().invite_and_join()
        for walker, phone in zip(cast.walkers, PHONES, strict=False):
            await self.ask(walker, "/phone", "Tap the button below")
            await self.pause()
            await walker.share_contact(phone)
            await walker.wait_for("Your number is saved", timeout=demo_night.WAIT)
        return cast

    async def end_of_walk(self, cast: Cast, pairs: list[tuple[FakeUser, FakeUser]]) -> None:
        await super().end_of_walk(cast, pairs)
        cora = self.tg.users[demo_night.COORDINATOR_ID]
        walker = cast.walkers[0]
        await self.ask(walker, DURESS.title(), "Checked in")
        alert = await cora.wait_for(f"SILENT ALARM: {walker.first_name}", timeout=demo_night.WAIT)
        await self.press(cora, ACK, message=alert)
        await self.move(self.night(21, 35))  # as the SOS drill does: the two edits in order
        await self.press(cora, SAFE, message=alert)
        await self._edited(alert, "Resolved by")


async def test_a_whole_night_at_debug_logs_no_secret_and_no_personal_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, debug_log: io.StringIO
) -> None:
    template = demo_night.DEMO_TEMPLATE.replace(
        'grace = "5m"', f'grace = "5m"\nduress_word = "{DURESS}"'
    )
    assert template != demo_night.DEMO_TEMPLATE
    monkeypatch.setattr(demo_night, "DEMO_TEMPLATE", template)
    # Logging everything at DEBUG makes the night slower: give people longer to see replies.
    monkeypatch.setattr(demo_night, "WAIT", 3 * demo_night.WAIT)
    transcript = io.StringIO()
    night = LoggedNight(DemoOptions(seed=3, speed=FAST, wednesday=WEDNESDAY), transcript, False)
    assert night.tg.token == DEFAULT_TOKEN

    status = await night.run(tmp_path)

    shown = transcript.getvalue()
    assert status == 0, shown[-3000:]
    # The night did show all four to the people it is for, so their absence below means
    # something: the phone numbers and location reached the coordinators.
    assert PHONES[0] in shown
    assert "📍 location 51.5101, -0.1340" in shown
    assert "SILENT ALARM" in shown

    log = debug_log.getvalue()
    assert len(log.splitlines()) > 1000, log[-2000:]  # it really logged at DEBUG
    assert "Calling Bot API endpoint `sendMessage`" in log
    assert "SELECT" in log
    secret = DEFAULT_TOKEN.split(":", 1)[1]
    found = {
        "token": secret in log,
        **{f"phone {p}": p in log or p.replace(" ", "") in log for p in PHONES},
        "latitude": LATITUDE in log,
        "longitude": re.search(re.escape(LONGITUDE) + r"(?!\d)", log) is not None,
        "duress word": DURESS in log.lower(),
        "safety note": "Ugly Mugs" in log,
        **{f"name {n}": re.search(rf"\b{n}\b", log) is not None for n in night.names.values()},
    }
    leaked = [what for what, there in found.items() if there]
    lines = [line for line in log.splitlines() if any(_hint(w) in line for w in leaked)]
    assert leaked == [], f"{leaked} leaked, e.g.\n" + "\n".join(lines[:3] + lines[-40:])


def _hint(what: str) -> str:
    """A string that finds the leaking lines, for the failure message."""
    hints = {"token": DEFAULT_TOKEN.split(":")[1], "latitude": LATITUDE, "longitude": LONGITUDE}
    if what.startswith(("phone ", "name ")):
        return what.split(" ", 1)[1][-6:]
    return hints.get(what, {"duress word": DURESS, "safety note": "Ugly Mugs"}.get(what, what))
