"""The full benchmark run's plan: every unit once, the CPU-bound one alone, results merged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import lanes, recovery
from bench.registry import NAMES

ALL = set(NAMES)


def test_every_measurement_runs_once_per_database_and_throughput_alone() -> None:
    plan = lanes.full_plan(["sqlite", "postgresql"], ALL)

    assert [u.label for u in plan.alone] == ["throughput sqlite", "throughput postgresql"]
    labels = [u.label for u in plan.units()]
    assert len(labels) == len(set(labels))
    for name in ("escalation", "broadcast", "cost", "flood", "fuzz", "purge"):
        assert {f"{name} sqlite", f"{name} postgresql"} <= set(labels), name
    # Recovery: the sizes, split so the long one can run in the background.
    small, big = recovery.FULL_K
    assert [u.label for u in plan.units() if u.measurement == "recovery"] == [
        f"recovery {recovery.BIG_K_DB} --k {big}",
        f"recovery sqlite --k {small}",
        f"recovery postgresql --k {small}",
    ]
    for scenario in ("idle", "busy"):
        for db in ("sqlite", "postgresql"):
            assert f"sos {db} --scenario {scenario}" in labels
    assert [u.label for u in plan.units() if u.measurement == "memory"] == ["memory sqlite"]
    # The two long waits (10,000 recovered prompts, 200 SOS presses a scenario) never share
    # a lane: they are what the 10 minutes are made of.
    for lane in plan.lanes:
        long = [u for u in lane if u.measurement == "sos" and u.db == "postgresql"]
        long += [u for u in lane if u.label.endswith(f"--k {big}")]
        assert len(long) <= 1, [u.label for u in lane]


def test_the_long_cpu_users_run_in_the_background_behind_nice() -> None:
    plan = lanes.full_plan(["sqlite", "postgresql"], ALL)

    background = [u.label for u in plan.units() if u.background]
    assert background == [
        "recovery postgresql --k 10000",
        "memory sqlite",
        "fuzz sqlite",
        "fuzz postgresql",
    ]
    unit = next(u for u in plan.units() if u.background)
    command = unit.command(Path("/tmp/x.json"), "python3")
    assert command[0].endswith("nice")
    assert command[1:3] == ["-n", "19"]
    assert command[3:] == ["python3", "-m", "bench", *unit.argv(Path("/tmp/x.json"))]
    assert unit.shown == "recovery postgresql --k 10000 (nice 19)"
    foreground = next(u for u in plan.units() if not u.background)
    assert foreground.shown == foreground.label
    assert foreground.command(Path("/tmp/x.json"), "python3")[0] == "python3"


def test_without_postgresql_nothing_is_planned_on_it() -> None:
    plan = lanes.full_plan(["sqlite"], ALL)

    assert plan.units()
    assert {u.db for u in plan.units()} == {"sqlite"}
    assert all(lane for lane in plan.lanes)


def test_a_measurement_that_did_not_load_is_not_planned() -> None:
    plan = lanes.full_plan(["sqlite", "postgresql"], ALL - {"sos", "throughput"})

    assert plan.alone == []
    assert not [u for u in plan.units() if u.measurement == "sos"]


def _outcome(name: str, db: str, seconds: float, rc: int = 0, **data: Any) -> lanes.Outcome:
    return lanes.Outcome(lanes.Unit(name, db), data or None, seconds, rc, log="boom\n")


def test_merge_keeps_the_measurement_order_sums_times_and_names_a_failed_unit() -> None:
    row = {"measurement": "cost", "params": {"db": "sqlite"}, "metrics": {}}
    first = {"measurement": "escalation", "params": {"db": "sqlite"}, "metrics": {}}
    outcomes = [
        _outcome("cost", "sqlite", 10.0, results=[row]),
        _outcome("escalation", "sqlite", 30.0, results=[first]),
        _outcome("escalation", "postgresql", 40.5, rc=1),
    ]
    data: dict[str, Any] = {"results": [], "durations_s": {}, "failed": {}, "unavailable": {}}

    status = lanes.merge(outcomes, data, list(NAMES))

    assert status == 1
    assert [r["measurement"] for r in data["results"]] == ["escalation", "cost"]
    assert data["durations_s"] == {"escalation": 70.5, "cost": 10.0}
    assert list(data["failed"]) == ["escalation postgresql"]
    assert "exit status 1" in data["failed"]["escalation postgresql"]


async def test_a_unit_runs_as_a_child_process_and_its_run_file_is_read(tmp_path: Path) -> None:
    """The smallest real unit (cost, quick, SQLite: a few seconds): what a lane does."""
    unit = lanes.Unit("cost", "sqlite", ("--quick",))

    outcome = await lanes.run_unit(unit, tmp_path)

    assert outcome.returncode == 0, outcome.log[-2000:]
    assert outcome.data is not None
    rows = outcome.data["results"]
    assert rows
    assert {r["measurement"] for r in rows} == {"cost"}
    assert {r["params"]["db"] for r in rows} == {"sqlite"}
    assert all(r["met"] for r in rows)


async def test_a_unit_that_fails_is_reported_with_its_output(tmp_path: Path) -> None:
    outcome = await lanes.run_unit(lanes.Unit("cost", "sqlite", ("--no-such-flag",)), tmp_path)

    assert outcome.returncode == 2
    assert outcome.data is None
    data: dict[str, Any] = {"results": [], "durations_s": {}, "failed": {}, "unavailable": {}}
    assert lanes.merge([outcome], data, list(NAMES)) == 1
    assert "--no-such-flag" in data["failed"]["cost sqlite --no-such-flag"]
