"""Use cases of the debriefs feature."""

from __future__ import annotations

import datetime as dtm

from rota.config import RotaConfig
from rota.ports import UnitOfWorkFactory


async def run_due(fresh: UnitOfWorkFactory, *, config: RotaConfig, now: dtm.datetime) -> int:
    """Do whatever of this feature has fallen due at `now`; returns how many things happened."""
    return 0
