"""`python -m bench`: run the measurements, print a table, write the JSON and RESULTS.md.

    python -m bench                      every measurement, full sizes (regenerates RESULTS.md);
                                         throughput alone, then the rest side by side in
                                         child processes (bench/lanes.py): ~8 minutes
    python -m bench --serial             the same one measurement after another (~27 minutes)
    python -m bench --quick              small versions, < 60 s in all (CI)
    python -m bench throughput --db sqlite --presses 500
    python -m bench report               rewrite RESULTS.md from bench/results.json
    python -m bench flood --merge        one measurement, its rows merged into results.json
                                         (the others' kept) and RESULTS.md regenerated

Exit status: 0 when every measurement ran (a missed goal is a finding, not a failure), 1 when
one raised or could not be imported, 2 for bad arguments.
"""

from __future__ import annotations

import os

# PTB's RetryAfter warns unless the timedelta behaviour is chosen (as in tests/conftest.py).
os.environ.setdefault("PTB_TIMEDELTA", "true")

import argparse  # noqa: E402 - after the environment is set for PTB
import asyncio  # noqa: E402
import datetime as dtm  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import sqlite3  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from bench import lanes, registry, report  # noqa: E402
from bench.dbs import KINDS, pg_available, pg_url  # noqa: E402
from bench.results import Result  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
PACKAGES = ("python-telegram-bot", "SQLAlchemy", "APScheduler", "aiosqlite", "asyncpg")


def _add_common(parser: argparse.ArgumentParser, *, under_command: bool) -> None:
    """The flags every measurement gets; after a subcommand they override the ones before it."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if under_command else value

    parser.add_argument(
        "--quick",
        action="store_true",
        default=default(False),
        help="small versions (the whole run < 60 s)",
    )
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgresql", "both"),
        default=default(None),
        help="which database(s) (default both, with --quick sqlite; PostgreSQL is skipped if "
        "it does not answer)",
    )
    parser.add_argument(
        "--json",
        metavar="PATH",
        type=Path,
        default=default(None),
        help="where the JSON goes (default bench/results.json, bench/results-quick.json "
        "with --quick, bench/results-<name>.json for one measurement)",
    )
    parser.add_argument(
        "--results-md",
        metavar="PATH",
        type=Path,
        default=default(BENCH_DIR / "RESULTS.md"),
        help="the RESULTS.md to regenerate (default bench/RESULTS.md)",
    )
    parser.add_argument(
        "--write-results",
        action="store_true",
        default=default(False),
        help="regenerate RESULTS.md even for a quick run or a single measurement",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        default=default(False),
        help="one measurement: put its rows into bench/results.json in place of its earlier "
        "ones (the other measurements' figures are kept) and regenerate RESULTS.md from it",
    )


def build_parser(measurements: list[registry.Measurement]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="rotabot's benchmarks: the real bot against a strict fake Telegram. "
        "Without MEASUREMENT every measurement runs: throughput alone, then the others side "
        "by side in child processes (they mostly wait on Telegram's rate limits).",
    )
    _add_common(parser, under_command=False)
    parser.add_argument(
        "--serial",
        action="store_true",
        help="full run: one measurement after another, in the order listed (~27 minutes)",
    )
    subs = parser.add_subparsers(dest="measurement", metavar="MEASUREMENT")
    for m in measurements:
        sub = subs.add_parser(m.name, help=m.help, description=m.help)
        _add_common(sub, under_command=True)
        if m.module is not None:
            m.module.add_arguments(sub)
    rep = subs.add_parser("report", help="rewrite RESULTS.md from a JSON run file; runs nothing")
    rep.add_argument(
        "--json",
        metavar="PATH",
        type=Path,
        default=argparse.SUPPRESS,
        help="the run file (default bench/results.json)",
    )
    rep.add_argument(
        "--results-md",
        metavar="PATH",
        type=Path,
        default=argparse.SUPPRESS,
        help="the RESULTS.md to write (default bench/RESULTS.md)",
    )
    return parser


def defaults_for(m: registry.Measurement) -> argparse.Namespace:
    """A measurement's own flags at their defaults (for a run of all measurements)."""
    parser = argparse.ArgumentParser(add_help=False)
    assert m.module is not None
    m.module.add_arguments(parser)
    return parser.parse_args([])


# ------------------------------------------------------------------------------ machine


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _total_ram() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


async def _pg_version() -> str:
    from sqlalchemy import text

    from rota.storage.engine import create_engine

    engine = create_engine(pg_url(), connect_args={"timeout": 3})
    try:
        async with engine.connect() as conn:
            return str((await conn.execute(text("SELECT version()"))).scalar_one())
    finally:
        await engine.dispose()


def machine_info(dbs: list[str]) -> dict[str, Any]:
    """What the numbers depend on: hardware, Python, database and library versions."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram": _total_ram(),
        "sqlite": sqlite3.sqlite_version,
    }
    if "postgresql" in dbs:
        try:
            info["postgresql"] = asyncio.run(_pg_version())
        except Exception as exc:  # noqa: BLE001 - the version is informative only
            info["postgresql"] = f"unknown ({exc})"
    packages: dict[str, str] = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = "not installed"
    info["packages"] = packages
    return info


# ------------------------------------------------------------------------------ running


def _command(argv: list[str]) -> str:
    return shlex.join(["python", "-m", "bench", *argv])


def _json_path(args: argparse.Namespace) -> Path:
    if args.json is not None:
        return Path(args.json)
    if args.measurement:
        return BENCH_DIR / f"results-{args.measurement}.json"
    return BENCH_DIR / ("results-quick.json" if args.quick else "results.json")


def _dbs(choice: str) -> list[str]:
    wanted = list(KINDS) if choice == "both" else [choice]
    if "postgresql" in wanted and not asyncio.run(pg_available()):
        print(f"PostgreSQL does not answer at {pg_url()}: running on SQLite only.", flush=True)
        wanted.remove("postgresql")
    return wanted


def _run_side_by_side(
    selected: list[registry.Measurement], dbs: list[str], data: dict[str, Any]
) -> int:
    """The full run through bench/lanes.py; fills `data`, returns 1 if any unit failed."""
    plan = lanes.full_plan(dbs, {m.name for m in selected if m.module is not None})
    print("\nalone first: " + ", ".join(u.shown for u in plan.alone), flush=True)
    for i, lane in enumerate(plan.lanes, 1):
        print(f"lane {i}: " + ", ".join(u.shown for u in lane), flush=True)
    data["lanes"] = [[u.shown for u in plan.alone], *[[u.shown for u in ln] for ln in plan.lanes]]

    def finished(outcome: lanes.Outcome) -> None:
        state = "done" if outcome.returncode == 0 else f"FAILED (exit {outcome.returncode})"
        print(f"\n{outcome.unit.label}: {state} in {outcome.seconds:.1f} s", flush=True)
        rows = [Result.from_json(r) for r in (outcome.data or {}).get("results", [])]
        if rows:
            print(report.render_table(rows), flush=True)
        if outcome.returncode != 0:
            print(outcome.log[-4000:], file=sys.stderr, flush=True)

    outcomes = asyncio.run(lanes.run_plan(plan, finished))
    return lanes.merge(outcomes, data, [m.name for m in selected])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    measurements = registry.load_all()
    parser = build_parser(measurements)
    named = next((a for a in argv if not a.startswith("-")), None)
    for m in measurements:
        if m.name == named and m.module is None:  # its flags are unknown: say why, not "usage"
            print(f"{m.name}: not available: {m.reason}", file=sys.stderr)
            print(m.details, file=sys.stderr, end="")
            return 1
    args = parser.parse_args(argv)  # exits 2 on bad arguments

    if args.measurement == "report":
        json_path = Path(getattr(args, "json", None) or BENCH_DIR / "results.json")
        md_path = Path(getattr(args, "results_md", None) or BENCH_DIR / "RESULTS.md")
        if not json_path.exists():
            print(f"no run file at {json_path}; run `python -m bench` first", file=sys.stderr)
            return 1
        print(f"wrote {report.write_results_md(json_path, md_path)}")
        return 0

    dbs = _dbs(args.db or ("sqlite" if args.quick else "both"))
    if not dbs:
        print("no database to run on", file=sys.stderr)
        return 1
    selected = [m for m in measurements if args.measurement in (None, m.name)]
    json_path = _json_path(args)
    data: dict[str, Any] = {
        "command": _command(argv),
        "argv": argv,
        "date": dtm.datetime.now(dtm.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(dbs),
        "results": [],
        "durations_s": {},
        "unavailable": {},
        "failed": {},
    }
    print(f"{data['command']}  (databases: {', '.join(dbs)})", flush=True)
    all_results: list[Result] = []
    status = 0
    started = time.monotonic()
    side_by_side = args.measurement is None and not args.quick and not args.serial
    if side_by_side:
        status = _run_side_by_side(selected, dbs, data)
        all_results = [Result.from_json(r) for r in data["results"]]
        selected = [m for m in selected if m.module is None]  # reported below, not run
    for m in selected:
        if m.module is None:
            print(f"\n{m.name}: not available: {m.reason}", flush=True)
            data["unavailable"][m.name] = m.reason
            if m.broken:
                print(m.details, file=sys.stderr)
                status = 1
            continue
        margs = defaults_for(m) if args.measurement is None else argparse.Namespace(**vars(args))
        margs.quick, margs.dbs = args.quick, list(dbs)
        print(f"\n{m.name}: running ({m.help})", flush=True)
        t0 = time.monotonic()
        try:
            results = asyncio.run(m.module.run(margs))
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - report it and go on with the others
            traceback.print_exc()
            data["failed"][m.name] = f"{type(exc).__name__}: {exc}"
            results, status = [], 1
        elapsed = time.monotonic() - t0
        data["durations_s"][m.name] = round(elapsed, 2)
        all_results += results
        data["results"] = [r.as_json() for r in all_results]
        json_path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
        if results:
            print(report.render_table(results), flush=True)
        print(f"{m.name}: {elapsed:.1f} s", flush=True)

    total = time.monotonic() - started
    data["wall_s"] = round(total, 1)
    print(f"\nAll results ({total:.1f} s in all):")
    print(report.render_table(all_results) or "(none)")
    json_path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwrote {json_path}")
    full_run = args.measurement is None and not args.quick
    if args.merge and args.measurement:
        target = BENCH_DIR / "results.json"
        merge_into(target, data, args.measurement)
        print(f"merged {args.measurement} into {target}")
        print(f"wrote {report.write_results_md(target, args.results_md)}")
    elif args.write_results or full_run:
        print(f"wrote {report.write_results_md(json_path, args.results_md)}")
    return status


def merge_into(target: Path, data: dict[str, Any], name: str) -> None:
    """Replace measurement `name`'s rows in the run file `target` by this run's.

    For a measurement added (or re-run) after a full run: the full run's figures stay as they
    were measured, and the run file says which rows came later, by which command.
    """
    merged = json.loads(target.read_text(encoding="utf-8"))
    merged["results"] = [r for r in merged["results"] if r["measurement"] != name]
    merged["results"] += [r for r in data["results"] if r["measurement"] == name]
    if name in data["durations_s"]:
        merged["durations_s"][name] = data["durations_s"][name]
    for key in ("failed", "unavailable"):
        merged[key].pop(name, None)
        if name in data[key]:
            merged[key][name] = data[key][name]
    merged.setdefault("merged", {})[name] = {"command": data["command"], "date": data["date"]}
    target.write_text(json.dumps(merged, indent=2, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
