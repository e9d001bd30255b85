"""Many pairs missing the same check-in: their alarms open together, exactly as one by one.

The timer job opens the alarms of a batch in one transaction with a few bulk statements
(`alarms.open_missed_checkins`); if that fails it falls back to firing each timer alone
(`alarms.open_escalation`). Both paths must leave the same rows behind.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.safety import alarms
from rota.storage.tables import SafetyLogRow
from tests.safety.support import (
    CORA,
    NELL,
    TESS,
    TIA,
    UMA,
    at,
    checkin_rows,
    escalation_rows,
    make_night,
    outbox_rows,
    timer_rows,
)
from tests.services.helpers import Uow, fetch


async def _what_the_alarms_left(uow: Uow) -> dict[str, Any]:
    """The rows the alarms wrote, by pair rather than by id (ids depend on insert order)."""
    escalations = {e.id: e for e in await escalation_rows(uow)}
    pair_of = {e.id: e.pair_id for e in escalations.values()}
    alerts = sorted(
        (
            pair_of[o.ref_id],
            o.chat_id,
            o.dedupe_key == f"alert:{o.ref_id}:1:{o.chat_id}",
            {k: v for k, v in o.payload.items() if k != "escalation_id"},
        )
        for o in await outbox_rows(uow, "alert")
        if o.ref_id is not None
    )
    timers = sorted(
        (pair_of[t.ref_id], t.step, t.due_at, t.state) for t in await timer_rows(uow, "reescalate")
    )
    linked = sorted(
        (c.pair_id, c.seq, pair_of[c.escalation_id] == c.pair_id)
        for c in await checkin_rows(uow)
        if c.escalation_id is not None
    )
    log = [
        (r.event, r.detail, r.pair_id, pair_of.get(r.escalation_id))
        for r in await fetch(uow, select(SafetyLogRow).order_by(SafetyLogRow.id))
        if r.escalation_id is not None
    ]
    by_pair: dict[int | None, list[tuple[Any, ...]]] = {}
    for entry in log:
        by_pair.setdefault(entry[2], []).append(entry)
    return {
        "escalations": sorted(
            (e.pair_id, e.kind, e.step, e.state, e.opened_at) for e in escalations.values()
        ),
        "alerts": alerts,
        "timers": timers,
        "linked": linked,
        "log": by_pair,
    }


@pytest.mark.parametrize("path", ["together", "one by one"])
async def test_alarms_opened_together_leave_the_same_rows_as_one_by_one(
    uow: Uow, config: RotaConfig, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    if path == "one by one":

        async def broken(*_args: Any, **_kwargs: Any) -> list[Any]:
            raise RuntimeError("the bulk path failed")

        monkeypatch.setattr(alarms, "open_missed_checkins", broken)
    night = await make_night(uow, config, clock, walkers=(TIA, NELL, TESS, UMA))
    await night.start()
    fired = await night.fire(at(19, 40))  # both pairs missed check-in 1
    assert fired >= 2
    left = await _what_the_alarms_left(uow)
    pairs = await night.pair_ids()
    assert len(pairs) == 2
    assert left["escalations"] == [
        (p, "missed_checkin", 1, "open", at(19, 40)) for p in sorted(pairs)
    ]
    assert [(a[0], a[1], a[2]) for a in left["alerts"]] == [(p, CORA, True) for p in sorted(pairs)]
    for alert in left["alerts"]:
        payload = alert[3]
        assert payload["kind"] == "missed_checkin"
        assert payload["step"] == 1
        assert payload["seq"] == 1
        assert payload["last_checkin_at"] is None
        assert len(payload["members"]) == 2
    assert left["timers"] == [(p, 2, at(19, 45), "pending") for p in sorted(pairs)]
    assert left["linked"] == [(p, 1, True) for p in sorted(pairs)]
    for pair in pairs:
        events = [(e[0], e[1].split(":")[0]) for e in left["log"][pair]]
        names = left["log"][pair][0][1]
        assert events == [
            ("missed_checkin_opened", names),
            ("escalation_step", "step 1 to 1 chat(s)"),
        ]
