"""A volunteer who types a coordinator command, even without arguments, is refused first."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Harness

pytestmark = pytest.mark.e2e

COMMANDS = [
    "/tag",
    "/untag",
    "/remove",
    "/addsession",
    "/cancelsession",
    "/session",
    "/invite",
    "/volunteers",
    "/tonight",
    "/log",
    "/pairs",
    "/checkins",
]


async def test_bare_coordinator_commands_from_a_volunteer_are_refused(bot: Harness) -> None:
    ana = await bot.join("Ana")
    for command in COMMANDS:
        before = ana.last().message_id
        await ana.send(command)
        reply = await ana.wait_for("only coordinators", after=before)
        assert "Usage" not in reply.text, command
