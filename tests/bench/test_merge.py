"""A measurement run on its own can be merged into the full run's file without touching the
other measurements' figures, and RESULTS.md says which rows came later."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.__main__ import merge_into
from bench.report import render_results_md


def _row(name: str, value: float) -> dict[str, Any]:
    return {"measurement": name, "params": {"db": "sqlite"}, "metrics": {"p99_s": value}}


def test_merging_replaces_only_that_measurements_rows(tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    full: dict[str, Any] = {
        "command": "python -m bench",
        "date": "2026-11-28T04:00:26+00:00",
        "results": [_row("sos", 0.2), _row("flood", 9.0), _row("cost", 1.0)],
        "durations_s": {"sos": 100.0, "flood": 50.0, "cost": 10.0},
        "failed": {"flood": "it broke"},
        "unavailable": {},
    }
    target.write_text(json.dumps(full), encoding="utf-8")
    run = {
        "command": "python -m bench flood --merge",
        "date": "2026-12-01T10:00:00+00:00",
        "results": [_row("flood", 0.3)],
        "durations_s": {"flood": 120.0},
        "failed": {},
        "unavailable": {},
    }

    merge_into(target, run, "flood")

    merged = json.loads(target.read_text(encoding="utf-8"))
    assert merged["results"] == [_row("sos", 0.2), _row("cost", 1.0), _row("flood", 0.3)]
    assert merged["durations_s"] == {"sos": 100.0, "flood": 120.0, "cost": 10.0}
    assert merged["failed"] == {}
    assert (merged["command"], merged["date"]) == (full["command"], full["date"])
    text = render_results_md(merged, kept="")
    assert "- **flood** measured later: `python -m bench flood --merge`" in text
    assert "## sos (100.0 s)" in text
