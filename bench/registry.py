"""The measurements, in the order a full run makes them, loaded lazily.

Each measurement is a module `bench/<name>.py` written against the runner interface:

    NAME: str
    HELP: str
    def add_arguments(parser: argparse.ArgumentParser) -> None
    async def run(args: argparse.Namespace) -> list[Result]

Modules are imported one by one with importlib, so a module that is missing (not written
yet) or broken is reported as "not available: <reason>" instead of stopping the others.
"""

from __future__ import annotations

import importlib
import importlib.util
import traceback
from dataclasses import dataclass
from types import ModuleType

# The order of a full run (and of --help).
NAMES: tuple[str, ...] = (
    "escalation",
    "sos",
    "throughput",
    "recovery",
    "broadcast",
    "memory",
    "cost",
    "flood",
    "fuzz",
    "purge",
)
REQUIRED = ("NAME", "HELP", "add_arguments", "run")


@dataclass
class Measurement:
    """One measurement module, or why it could not be loaded."""

    name: str
    module: ModuleType | None = None
    reason: str = ""  # why it is not available
    broken: bool = False  # the module exists but failed to import: a bug, not work in progress
    details: str = ""  # the traceback, for a broken module

    @property
    def available(self) -> bool:
        return self.module is not None

    @property
    def help(self) -> str:
        if self.module is None:
            return f"(not available: {self.reason})"
        return str(self.module.HELP)


def load(name: str) -> Measurement:
    """Import `bench.<name>` and check it has the interface; never raises."""
    qualified = f"bench.{name}"
    if importlib.util.find_spec(qualified) is None:
        return Measurement(name, reason=f"bench/{name}.py does not exist yet")
    try:
        module = importlib.import_module(qualified)
    except Exception as exc:  # noqa: BLE001 - any import failure makes it unavailable
        return Measurement(
            name,
            reason=f"importing it failed: {type(exc).__name__}: {exc}",
            broken=True,
            details=traceback.format_exc(),
        )
    missing = [attr for attr in REQUIRED if not hasattr(module, attr)]
    if missing:
        return Measurement(name, reason=f"it lacks {', '.join(missing)}", broken=True)
    if name != module.NAME:
        return Measurement(name, reason=f"its NAME is {module.NAME!r}, not {name!r}", broken=True)
    return Measurement(name, module=module)


def load_all() -> list[Measurement]:
    """Every planned measurement, available or not, in run order."""
    return [load(name) for name in NAMES]
