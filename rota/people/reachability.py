"""Who the bot must be able to message: checked at start-up, before anyone depends on it."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass

from rota.kernel.config import RotaConfig
from rota.kernel.outbox import Notice
from rota.kernel.uow import UnitOfWork
from rota.people.access import coordinator_chats
from rota.people.model import COORDINATOR_TAG
from rota.safety.notices import StartedUnreachable

HORIZON = dtm.timedelta(hours=48)


@dataclass(frozen=True, slots=True)
class ToProbe:
    """Chats to probe, with names: the alarms' readers first, then tonight's people."""

    coordinators: dict[int, str]
    rostered: dict[int, str]


async def people_to_probe(uow: UnitOfWork, *, config: RotaConfig, now: dtm.datetime) -> ToProbe:
    """Every coordinator (and admin), and everyone else rostered in the next 48 hours."""
    async with uow:
        coordinators = {
            v.telegram_id: v.display_name
            for v in await uow.volunteers.with_tag(COORDINATOR_TAG)
            if v.telegram_id is not None
        }
        for admin in config.admin_ids:
            coordinators.setdefault(admin, f"admin {admin}")
        soon = [
            s
            for s in await uow.sessions.upcoming(now - HORIZON, 20)
            if s.starts_at < now + HORIZON
        ]
        rostered = {
            e.volunteer.telegram_id: e.volunteer.display_name
            for e in await uow.signups.roster([s.id for s in soon])
            if e.volunteer.telegram_id is not None and e.volunteer.telegram_id not in coordinators
        }
        return ToProbe(coordinators, rostered)


async def report_unreachable(
    uow: UnitOfWork,
    unreachable: dict[int, str],
    *,
    config: RotaConfig,
    now: dtm.datetime,
) -> None:
    """Tell the reachable coordinators, once a day, who cannot get check-ins and alerts."""
    if not unreachable:
        return
    async with uow:
        for chat in await coordinator_chats(uow, config):
            if chat in unreachable:
                continue
            await uow.outbox.add(
                Notice(
                    chat_id=chat,
                    payload=StartedUnreachable(names=tuple(sorted(unreachable.values()))),
                    dedupe_key=f"started_unreachable:{now.date().isoformat()}:{chat}",
                ),
                now=now,
                due_at=None,
            )
        await uow.commit()
