"""Who the bot must be able to message: checked at start-up, before anyone depends on it."""

from __future__ import annotations

import datetime as dtm

from rota.config import RotaConfig
from rota.model import COORDINATOR_TAG, Notice
from rota.ports import UnitOfWork
from rota.services.common import coordinator_chats

HORIZON = dtm.timedelta(hours=48)


async def people_to_probe(
    uow: UnitOfWork, *, config: RotaConfig, now: dtm.datetime
) -> dict[int, str]:
    """Chats of every coordinator and of everyone rostered in the next 48 hours, with names."""
    async with uow:
        people = {
            v.telegram_id: v.display_name
            for v in await uow.volunteers.with_tag(COORDINATOR_TAG)
            if v.telegram_id is not None
        }
        for admin in config.admin_ids:
            people.setdefault(admin, f"admin {admin}")
        soon = [
            s
            for s in await uow.sessions.upcoming(now - HORIZON, 20)
            if s.starts_at < now + HORIZON
        ]
        for entry in await uow.signups.roster([s.id for s in soon]):
            if entry.volunteer.telegram_id is not None:
                people[entry.volunteer.telegram_id] = entry.volunteer.display_name
        return people


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
                    kind="started_unreachable",
                    chat_id=chat,
                    payload={"names": sorted(unreachable.values())},
                    dedupe_key=f"started_unreachable:{now.date().isoformat()}:{chat}",
                    priority=1,
                ),
                now=now,
                due_at=None,
            )
        await uow.commit()
