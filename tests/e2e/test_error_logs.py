"""A handler that fails logs the update's id and kind and a traceback, never what was sent."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot import texts
from bot.fake_telegram.people import JSON
from rota.people import membership as people
from rota.safety import checkins
from tests.e2e.conftest import Harness

pytestmark = pytest.mark.e2e

PHONE = "+44 7700 900987"
LATITUDE, LONGITUDE = 51.50733, -0.12763
DURESS_TEXT = "bluebell, we're by the arches on Mill Lane"


async def _boom(*args: Any, **kwargs: Any) -> None:
    # An exception whose message quotes what the person sent, as int("+44 ...") would.
    raise RuntimeError(f"could not handle {kwargs!r}")


async def test_a_failing_handler_logs_the_update_id_and_kind_never_its_content(
    bot: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sam = await bot.join("Sam")
    queued: list[JSON] = []
    queue_update = bot.tg.queue_update

    def recording(kind: str, payload: JSON) -> JSON:
        update = queue_update(kind, payload)
        queued.append(update)
        return update

    monkeypatch.setattr(bot.tg, "queue_update", recording)
    monkeypatch.setattr(checkins, "duress", _boom)
    monkeypatch.setattr(checkins, "share_location", _boom)
    monkeypatch.setattr(people, "save_phone", _boom)
    caplog.set_level(logging.DEBUG, logger="bot")

    sent = await sam.send(DURESS_TEXT)
    await sam.wait_for(texts.ERROR, after=sent["message_id"])  # apologised, as before
    sent = await sam.share_contact(PHONE)
    await sam.wait_for(texts.ERROR, after=sent["message_id"])
    sent = await sam.share_location(LATITUDE, LONGITUDE)
    await sam.wait_for(texts.ERROR, after=sent["message_id"])

    errors = [r for r in caplog.records if r.name == "bot.errors"]
    assert len(errors) == 3, [r.getMessage() for r in errors]
    logged = "\n".join(caplog.text.splitlines())
    kinds = ["message: text", "message: contact", "message: location"]
    for update, kind, record in zip(queued, kinds, errors, strict=True):
        message = record.getMessage()
        assert message.startswith(
            f"unhandled error for update {update['update_id']} ({kind}, private chat)"
        ), message
        assert "Traceback (most recent call last)" in message  # where it failed: still there
        assert "RuntimeError: <message hidden: " in message
        assert "_boom" in message
    for content in (PHONE, PHONE.replace(" ", ""), "51.507", "-0.127", "bluebell", "Mill Lane"):
        assert content not in logged, content
