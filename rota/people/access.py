"""Helpers every use case needs: who is asking, and who must be told."""

from __future__ import annotations

import datetime as dtm

from rota.kernel.config import RotaConfig
from rota.kernel.errors import NotCoordinator, NotRegistered
from rota.kernel.uow import UnitOfWork
from rota.people.model import COORDINATOR_TAG, Actor, Volunteer
from rota.people.refusals import PeopleRefusal


async def load_actor(uow: UnitOfWork, telegram_id: int, config: RotaConfig) -> Actor:
    """Who sent this update; removed or forgotten volunteers count as strangers."""
    volunteer = await uow.volunteers.by_telegram_id(telegram_id)
    if volunteer is not None and not volunteer.is_active:
        volunteer = None
    return Actor(
        telegram_id=telegram_id,
        volunteer=volunteer,
        is_admin=telegram_id in config.admin_ids,
    )


async def require_volunteer(uow: UnitOfWork, telegram_id: int, config: RotaConfig) -> Volunteer:
    """The caller's volunteer record, or a polite refusal for strangers."""
    actor = await load_actor(uow, telegram_id, config)
    if actor.volunteer is None:
        raise NotRegistered(PeopleRefusal.NOT_ON_TEAM)
    return actor.volunteer


async def require_coordinator(uow: UnitOfWork, telegram_id: int, config: RotaConfig) -> Actor:
    """The caller, if they are a coordinator; otherwise a polite refusal."""
    actor = await load_actor(uow, telegram_id, config)
    if not actor.is_coordinator:
        raise NotCoordinator(PeopleRefusal.COORDINATORS_ONLY)
    return actor


async def coordinator_chats(uow: UnitOfWork, config: RotaConfig) -> list[int]:
    """Private chats of every coordinator: tagged volunteers plus the bootstrap admins."""
    chats = {v.telegram_id for v in await uow.volunteers.with_tag(COORDINATOR_TAG)}
    chats.update(config.admin_ids)
    return sorted(c for c in chats if c is not None)


def iso(instant: dtm.datetime) -> str:
    """An instant as ISO text for notice payloads."""
    return instant.isoformat()
