"""`rotabot demo` played in-process: the whole night, its transcript, its HTML and its exit."""

from __future__ import annotations

import datetime as dtm
import io
import re
from pathlib import Path

import pytest

from bot import cli
from bot.demo import EXPECTED, DemoOptions, run_demo
from bot.demo.night import DemoFailed, Night

FAST = 100.0  # the fastest --speed allowed
WEDNESDAY = dtm.date(2026, 12, 2)  # fixed, so the transcript's dates are known

SCENE_LINES = (
    "── Mon 30 Nov 12:00  Invites and joining ──",
    "Welcome to the team",
    "presses [ Walker: full, join waitlist ]",
    "You're on the waitlist for Walker",
    "presses [ Yes, withdraw ]",
    "a place opened up",
    "Safety note added",
    "bot → Cora: 📋 Briefing: Wed 2 Dec 19:00–23:00",
    "presses [ ✅ Got it ]",
    "🚶 The walk has started. You're with",
    "[ ✅ We're OK ] [ 🆘 Need help ]",
    "⏰ Check-in 2 of 7 was due at 20:00",
    "bot → Cora: 🚨 MISSED CHECK-IN:",
    "Cora presses [ ✋ Acknowledge ]",
    "Cora presses [ ✅ They're safe (resolve) ]",
    "presses [ 🆘 Need help ]",
    "{ 📍 Share my location }",
    "bot → #Outreach team: 🆘 SOS from",
    "📍 location 51.5101, -0.1340",
    "The walk is over (",
    "[ 🏠 I'm home safe ]",
    "⏰ Are you home safe?",
    "bot → Cora: 🏠 NOT HOME SAFE:",
    "Debrief · Wed 2 Dec · 10/10",
    "The debrief for Wed 2 Dec is saved",
    "bot → Cora: Outreach report: December 2026",
    "📎 outreach-report-2026-12.csv",
    "escalation reached the on-call coordinator",
    "SOS alert reached 3 coordinators",
    "429s seen: 0",
    "every expected event happened, in order",
)


def _actions(transcript: str) -> list[str]:
    """What the people did, in order (the bot's replies may interleave differently)."""
    out = []
    for line in transcript.splitlines():
        if re.match(r"\d\d:\d\d  (?!bot)\w+( presses |: )", line):
            out.append(re.sub(r"start [A-Za-z0-9_-]{16}", "start <code>", line))
    return out


async def test_the_night_plays_in_order_and_repeats_with_the_same_seed(tmp_path: Path) -> None:
    page = tmp_path / "night.html"
    keep = tmp_path / "keep"
    keep.mkdir()
    first = io.StringIO()
    status = await run_demo(
        DemoOptions(seed=7, speed=FAST, html=page, keep=keep, wednesday=WEDNESDAY), first
    )
    text = first.getvalue()
    assert status == 0, text[-3000:]
    for line in SCENE_LINES:
        assert line in text, line
    assert "\x1b[" not in text  # not a terminal: plain text
    for _, event in EXPECTED:
        assert f"[x] {event}" in text
    assert re.search(r"^\d\d:\d\d  ", text, re.MULTILINE)  # timestamped with the local time

    # the HTML page: written, self-contained and escaped
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html
    assert "<link" not in html
    assert "Mill Road &amp; Kent St" in html  # the safety note's "&"
    assert "Mill Road & Kent St" not in html
    assert "It&#x27;s yours." in html

    # --keep leaves a database the report command reads
    assert (keep / "rotabot.db").exists()

    # same seed: same names, same choices, same conversation
    second = io.StringIO()
    assert await run_demo(DemoOptions(seed=7, speed=FAST, wednesday=WEDNESDAY), second) == 0
    assert _actions(second.getvalue()) == _actions(text)
    assert len(_actions(text)) > 50
    choices = [line for line in text.splitlines() if line.strip().startswith("seed 7:")]
    assert len(choices) == 1
    assert "withdraws" in choices[0]
    assert "miss a check-in" in choices[0]


def test_the_kept_database_gives_the_month_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keep = tmp_path / "keep"
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo", "--seed", "2", "--speed", "100", "--keep", str(keep)]) == 0
    out = capsys.readouterr().out
    month = re.search(r"rotabot report --month (\d{4}-\d\d)", out)
    assert month is not None
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{keep / 'rotabot.db'}")
    assert cli.main(["report", "--month", month.group(1)]) == 0
    report = capsys.readouterr().out
    assert re.search(r"Held +1\n", report), report  # the night is over by the real clock
    assert re.search(r"Walks ended early +1\n", report), report


async def test_a_missing_event_is_named_and_the_exit_is_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(self: Night, cast: object) -> None:
        raise DemoFailed("nobody could sign up")

    monkeypatch.setattr(Night, "sign_ups", broken)
    out = io.StringIO()
    assert await run_demo(DemoOptions(seed=1, speed=FAST, wednesday=WEDNESDAY), out) == 1
    text = out.getvalue()
    assert "[x] every volunteer joined from a coordinator's invite" in text
    assert "[ ] the team signed up for the Wednesday walk" in text
    assert "missing: the team signed up for the Wednesday walk (nobody could sign up)" in text


@pytest.mark.parametrize("speed", ["0", "-1", "1000", "abc", "nan", "inf"])
def test_a_bad_speed_is_one_line_and_exit_2(
    speed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo", f"--speed={speed}"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("rotabot: --speed: ")


@pytest.mark.parametrize("where", ["no-such-folder/night.html", "."])
def test_an_unwritable_html_path_is_refused_before_anything_starts(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo", "--html", str(tmp_path / where)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing started: no transcript
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("rotabot: --html: ")
    assert list(tmp_path.iterdir()) == []


def test_keep_refuses_to_overwrite_a_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rotabot.db").write_bytes(b"")
    assert cli.main(["demo", "--keep", str(tmp_path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("rotabot: --keep: ")
    assert "already exists" in line
