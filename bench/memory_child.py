"""The bot alone in its own process, for bench/memory.py: peak RSS is then the bot's.

Runs the real Application (as `rotabot run`, via bench.running.running_bot) against a fake
Telegram served by the PARENT process, until a line arrives on stdin; then prints one JSON
line with VmRSS at start, VmHWM (peak) at the end and ru_maxrss, and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dtm
import json
import resource
import sys
from typing import Any

from bench.clock import ShiftedClock
from bench.dbs import BenchDb
from bench.running import running_bot
from bench.world import make_config


class _Remote:
    """What settings_for reads from a FakeTelegram: its token and URL (the server is elsewhere)."""

    def __init__(self, token: str, base_url: str) -> None:
        self.token = token
        self.base_url = base_url


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


async def main(args: argparse.Namespace) -> dict[str, Any]:
    db = BenchDb(args.kind, args.url, json.loads(args.kwargs))
    config = make_config(args.pairs)
    clock = ShiftedClock(dtm.datetime.fromisoformat(args.start))
    tg: Any = _Remote(args.token, args.base_url)
    async with running_bot(tg, db, config, clock):
        started_kb = _status_kb("VmRSS")
        print(json.dumps({"ready": True}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        end_kb = _status_kb("VmRSS")
    return {
        "rss_start_kb": started_kb,
        "rss_end_kb": end_kb,
        "vmhwm_kb": _status_kb("VmHWM"),
        "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for name in ("kind", "url", "kwargs", "start", "token", "base-url"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--pairs", type=int, required=True)
    print(json.dumps(asyncio.run(main(parser.parse_args()))), flush=True)
