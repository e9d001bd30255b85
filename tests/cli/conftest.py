"""Helpers for driving the real `rotabot` console script in a clean, controlled environment.

Each command runs with only PATH, HOME and the settings a test gives it, in the test's own
temporary directory, so a developer's .env or exported variables never leak in.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

# The console script installed next to the interpreter running the tests (the virtualenv's).
ROTABOT = shutil.which("rotabot", path=str(Path(sys.executable).parent)) or shutil.which("rotabot")
# A token that has the right shape; nothing ever sends it anywhere.
SHAPED_TOKEN = "123456:ABCdefGhIJKlmnoPQRstuVWXyz"
COMMAND_TIMEOUT = 30.0
# The format of rotabot's log records on stderr (bot/cli.py sets it).
LOG_RECORD = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \S+: ")


@dataclass(frozen=True)
class Result:
    """What a finished `rotabot` process left behind."""

    code: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()

    def error_lines(self) -> list[str]:
        """The lines on stderr that rotabot itself wrote as its one-line error report."""
        return [line for line in self.stderr_lines if line.startswith("rotabot: ")]

    def describe(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


def executable() -> str:
    if ROTABOT is None:
        pytest.fail("the rotabot console script is not installed (pip install -e .)")
    return ROTABOT


def clean_env(home: Path, **settings: str) -> dict[str, str]:
    """A minimal environment: PATH to find things, HOME in the test directory, and settings."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "PTB_TIMEDELTA": "true",
        **settings,
    }


def rotabot(*args: str, env: Mapping[str, str], cwd: Path) -> Result:
    """Run `rotabot ARGS` to completion (for commands that need no server in this process)."""
    done = subprocess.run(
        [executable(), *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


async def rotabot_async(*args: str, env: Mapping[str, str], cwd: Path) -> Result:
    """Run `rotabot ARGS` while this event loop keeps serving (e.g. a FakeTelegram)."""
    proc = await asyncio.create_subprocess_exec(
        executable(),
        *args,
        env=dict(env),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), COMMAND_TIMEOUT)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        # Bounded: on a loaded machine an exit the child watcher missed must not hang the run.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 5.0)
        pytest.fail(f"rotabot {' '.join(args)} did not finish within {COMMAND_TIMEOUT:g} s")
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


def assert_one_line_error(result: Result, code: int, *names: str) -> str:
    """rotabot failed with `code`, reporting exactly one `rotabot: ...` line naming `names`.

    Log records (one line each, with a timestamp) may come before it; nothing else may, and
    nothing may follow it: a message that spills onto a second line fails here.
    """
    assert result.code == code, result.describe()
    assert "Traceback" not in result.stderr, result.describe()
    lines = result.stderr_lines
    assert lines, result.describe()
    assert lines[-1].startswith("rotabot: "), result.describe()
    assert result.error_lines() == lines[-1:], result.describe()
    stray = [line for line in lines[:-1] if not LOG_RECORD.match(line)]
    assert stray == [], result.describe()
    for name in names:
        assert name in lines[-1], result.describe()
    return lines[-1]


def sqlite_url(path: Path) -> str:
    """sqlite:///<absolute path>: four slashes on POSIX, as SQLAlchemy expects."""
    return f"sqlite:///{path}"
