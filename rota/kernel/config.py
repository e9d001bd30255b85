"""The standing rules the domain needs from configuration, as one immutable value."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass

from rota.kernel.template import RotaTemplate

INVITE_VALIDITY = dtm.timedelta(days=7)
ROTA_WEEKS_SHOWN = 6


@dataclass(frozen=True, slots=True)
class RotaConfig:
    """Template, time zone, bootstrap coordinators and the team chat."""

    template: RotaTemplate
    zone: str = "Europe/London"
    admin_ids: frozenset[int] = frozenset()
    team_chat_id: int | None = None
