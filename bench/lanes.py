"""The full run, side by side: measurements that mostly wait on Telegram's limits run at once.

Run one after another, the sizes the issue asks for cannot fit in 10 minutes: their rate-limit
floors alone add up to more (10,000 recovered prompts need 333 s at 30 messages a second, 200
SOS presses a second apart need 200 s per scenario). Yet while they wait the CPU is nearly
idle, and each measurement has its own bot, fake Telegram (so its own rate limits) and
database. So a full run starts **throughput alone** (it is CPU-bound, and a neighbour would
skew its ratio to the echo bot), then runs the rest in a few lanes of child processes
(`python -m bench <name> --db <kind> ...`), each lane one unit after another, and merges the
children's JSON files into one run file.

The two long units that keep a core busy for minutes (recovery of 10,000 prompts; memory,
which times nothing) run in the background: at the lowest CPU priority (`nice 19`), so on a
slow machine they yield to the latency measurements beside them instead of adding their
queueing to them (seen on a slower 2-core machine: escalation at 1,000 pairs p99 36 s against
25 s alone, broadcast 1.23-1.31x against 1.08x alone).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Unit:
    """One child run: a measurement on one database, with any flags of its own."""

    measurement: str
    db: str
    flags: tuple[str, ...] = ()
    background: bool = False  # run at the lowest CPU priority: see the module's docstring

    @property
    def label(self) -> str:
        return " ".join((self.measurement, self.db, *self.flags))

    @property
    def shown(self) -> str:
        """The label as the plan is printed and recorded: background units marked."""
        return f"{self.label} (nice 19)" if self.background else self.label

    def command(self, json_path: Path, python: str) -> list[str]:
        """The child's command line (behind `nice -n 19` for a background unit)."""
        nice = shutil.which("nice") if self.background else None
        prefix = [nice, "-n", "19"] if nice else []
        return [*prefix, python, "-m", "bench", *self.argv(json_path)]

    def argv(self, json_path: Path) -> list[str]:
        return [self.measurement, "--db", self.db, *self.flags, "--json", str(json_path)]


@dataclass
class Plan:
    """Units run alone first, in order; then the lanes, side by side."""

    alone: list[Unit]
    lanes: list[list[Unit]]

    def units(self) -> list[Unit]:
        return [*self.alone, *(u for lane in self.lanes for u in lane)]


def full_plan(dbs: list[str], available: set[str]) -> Plan:
    """The full run's units on the databases chosen, for the measurements that loaded.

    Lanes are balanced by the durations seen on 2 cores (recovery of 10,000 on PostgreSQL
    ~345-400 s; each SOS scenario on PostgreSQL ~215-240 s; memory ~270-320 s; escalation
    ~70-105 s a database; broadcast ~55-78 s a database; flood ~65 s a database; fuzz
    of 10,000 ~190 s on SQLite alone; purge of 100,000 rows ~30 s a database).
    """

    def units(
        name: str, *flags: str, only: tuple[str, ...] = (), background: bool = False
    ) -> list[Unit]:
        if name not in available:
            return []
        return [Unit(name, db, flags, background) for db in dbs if not only or db in only]

    alone = units("throughput")
    lanes = [
        units("recovery", "--k", "10000", only=("postgresql",), background=True),
        units("sos", "--scenario", "idle") + units("cost") + units("purge"),
        units("sos", "--scenario", "busy"),
        units("escalation") + units("broadcast") + units("flood"),
        units("recovery", "--k", "100") + units("memory", only=(dbs[0],), background=True),
        # 10,000 fuzzed updates keep a core busy for minutes (no latency goal): behind nice,
        # one lane a database.
        *([unit] for unit in units("fuzz", background=True)),
    ]
    return Plan(alone, [lane for lane in lanes if lane])


@dataclass
class Outcome:
    """What one child run left: its run file (None if it wrote none), time, exit status."""

    unit: Unit
    data: dict[str, Any] | None
    seconds: float
    returncode: int
    log: str = field(repr=False, default="")


async def run_unit(unit: Unit, workdir: Path, python: str = sys.executable) -> Outcome:
    """Run `python -m bench <unit>` in a child process; its output is kept for the report."""
    json_path = workdir / f"{unit.label.replace(' ', '_').replace('-', '')}.json"
    started = time.monotonic()
    child = await asyncio.create_subprocess_exec(
        *unit.command(json_path, python),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await child.communicate()
    seconds = time.monotonic() - started
    data = json.loads(json_path.read_text(encoding="utf-8")) if json_path.exists() else None
    return Outcome(unit, data, seconds, child.returncode or 0, output.decode(errors="replace"))


async def run_plan(plan: Plan, report: Callable[[Outcome], None]) -> list[Outcome]:
    """Every unit of the plan; `report` is called as each finishes (in finishing order)."""
    with tempfile.TemporaryDirectory(prefix="rotabench-lanes-") as tmp:
        workdir = Path(tmp)
        outcomes: list[Outcome] = []

        async def lane(units: list[Unit]) -> None:
            for unit in units:
                outcome = await run_unit(unit, workdir)
                outcomes.append(outcome)
                report(outcome)

        await lane(plan.alone)
        await asyncio.gather(*(lane(units) for units in plan.lanes))
    order = {unit: i for i, unit in enumerate(plan.units())}
    return sorted(outcomes, key=lambda o: order[o.unit])


def merge(outcomes: list[Outcome], data: dict[str, Any], measurement_order: list[str]) -> int:
    """Fold the children's run files into `data`; returns 1 if any child failed, else 0.

    Results keep the registry's measurement order; a measurement's duration is the sum of
    its units' (the time it took to measure, not wall time: the units overlapped).
    """
    status = 0
    rank = {name: i for i, name in enumerate(measurement_order)}
    by_name = sorted(outcomes, key=lambda o: rank.get(o.unit.measurement, len(rank)))
    units_s: dict[str, float] = {}
    for outcome in by_name:
        name = outcome.unit.measurement
        units_s[outcome.unit.label] = round(outcome.seconds, 2)
        durations = data["durations_s"]
        durations[name] = round(durations.get(name, 0.0) + outcome.seconds, 2)
        child = outcome.data
        if child is None or outcome.returncode != 0:
            status = 1
            reason = (child or {}).get("failed", {}).get(name) or (
                f"exit status {outcome.returncode}; last output: "
                + " | ".join(outcome.log.strip().splitlines()[-3:])
            )
            data["failed"][outcome.unit.label] = reason
        if child is not None:
            data["results"] += child.get("results", [])
            data["unavailable"].update(child.get("unavailable", {}))
    data["units_s"] = units_s
    return status
