"""The installed `rotabot demo` console script, as a newcomer would run it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

LIMIT = 90.0  # seconds, on 2 cores


def test_rotabot_demo_runs_the_night_with_a_clean_environment(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("rotabot")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    started = time.perf_counter()
    done = subprocess.run(
        [str(script), "demo", "--seed", "1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=LIMIT + 30,
        check=False,
    )
    seconds = time.perf_counter() - started
    print(f"rotabot demo --seed 1 took {seconds:.1f} s")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert seconds < LIMIT
    assert "every expected event happened, in order" in done.stdout
    assert "\x1b[" not in done.stdout  # piped: plain text
    assert list(tmp_path.iterdir()) == []  # the temporary database is gone
