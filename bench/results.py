"""One row of benchmark output: what was measured, under which parameters, against which goal."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Metric = float | int | str | None


@dataclass(slots=True)
class Result:
    """A measurement's figures for one set of parameters (e.g. 100 pairs on PostgreSQL).

    `met` is None where the issue sets no goal for the row; `note` says anything a reader
    needs to judge the figures (what the floor is made of, what was left out).
    """

    measurement: str
    params: dict[str, Any]
    metrics: dict[str, Metric]
    goal: str = ""
    met: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Result:
        return cls(**data)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank: p99 of 100 values is the 99th smallest."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats
    return ordered[int(min(rank, len(ordered))) - 1]


def send_floor(per_chat: dict[int, int], overall_rate: float = 30.0) -> float:
    """The least time Telegram's limits allow for these messages (chat id -> how many).

    N messages need N/30 s overall, and messages to one private chat go 1 s apart, so the
    first and the last of n to one chat are at least n-1 s apart.
    """
    total = sum(per_chat.values())
    if total == 0:
        return 0.0
    return max(total / overall_rate, max(n - 1 for n in per_chat.values()))
