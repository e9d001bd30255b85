"""The rota post in the team chat: recorded once, then kept current by coalesced edits."""

from __future__ import annotations

import datetime as dtm
import enum

from rota.kernel.config import RotaConfig
from rota.kernel.errors import NotCoordinator
from rota.kernel.outbox import Notice
from rota.kernel.uow import UnitOfWork
from rota.people.access import coordinator_chats, load_actor, require_volunteer
from rota.roster.model import TeamPost
from rota.roster.notices import LeftGroup
from rota.roster.refusals import RosterRefusal

# Telegram allows about 20 messages a minute in a group, edits included; one edit per post
# every 5 s stays well inside that however fast people press buttons.
EDIT_GAP = dtm.timedelta(seconds=5)
POST_SESSIONS = 3  # sessions shown in a team post: about a dozen join buttons


class GroupStanding(enum.Enum):
    """What a group chat is to the bot: the team's, not yet anyone's, or someone else's."""

    TEAM = "team"
    UNADOPTED = "unadopted"  # no team chat is configured: a coordinator's /postrota adopts it
    FOREIGN = "foreign"


async def group_standing(uow: UnitOfWork, *, chat_id: int, config: RotaConfig) -> GroupStanding:
    """Whether the bot acts in this group: anyone can add a bot to any group."""
    if config.team_chat_id is not None:
        return GroupStanding.TEAM if chat_id == config.team_chat_id else GroupStanding.FOREIGN
    async with uow:
        adopted = await uow.team_posts.is_team_chat(chat_id)
    return GroupStanding.TEAM if adopted else GroupStanding.UNADOPTED


async def check_can_post(
    uow: UnitOfWork, *, telegram_id: int, chat_id: int, config: RotaConfig
) -> None:
    """Team members may post the rota in the team's group; only a coordinator makes one."""
    standing = await group_standing(uow, chat_id=chat_id, config=config)
    async with uow:
        if standing is GroupStanding.TEAM:
            await require_volunteer(uow, telegram_id, config)
            return
        actor = await load_actor(uow, telegram_id, config)
    if standing is GroupStanding.FOREIGN or not actor.is_coordinator:
        raise NotCoordinator(RosterRefusal.GROUP_NEEDS_COORDINATOR)


async def record_post(
    uow: UnitOfWork, *, chat_id: int, message_id: int, now: dtm.datetime
) -> None:
    """Remember the newest rota post in a chat (earlier ones are no longer kept current);
    the chat is the team's from now on."""
    async with uow:
        await uow.team_posts.put(chat_id=chat_id, message_id=message_id, now=now)
        await uow.team_posts.adopt_chat(chat_id, now=now)
        await uow.commit()


async def left_group(
    uow: UnitOfWork,
    *,
    chat_id: int,
    title: str,
    added_by: int | None,
    config: RotaConfig,
    now: dtm.datetime,
) -> None:
    """Tell the coordinators the bot left a group that is not the team's, and who added it."""
    async with uow:
        actor = await load_actor(uow, added_by, config) if added_by is not None else None
        by = actor.volunteer.display_name if actor and actor.volunteer else None
        payload = LeftGroup(title=title[:64], by=by)
        notices = [
            Notice(
                chat_id=chat,
                payload=payload,
                # Once per group and day, however many updates the group sent before we left.
                dedupe_key=f"left_group:{chat_id}:{now.date().isoformat()}:{chat}",
            )
            for chat in await coordinator_chats(uow, config)
        ]
        await uow.outbox.add_many(notices, now=now)
        await uow.commit()


async def posts_to_refresh(
    uow: UnitOfWork, *, now: dtm.datetime, gap: dtm.timedelta = EDIT_GAP
) -> list[TeamPost]:
    """Posts whose rota changed and that have not been edited within the last `gap`."""
    async with uow:
        return await uow.team_posts.due_for_edit(now=now, min_gap=gap)


async def post_refreshed(
    uow: UnitOfWork, post: TeamPost, *, now: dtm.datetime, gone: bool = False
) -> None:
    """Record an edit (or forget a post that was deleted from the chat)."""
    async with uow:
        if gone:
            await uow.team_posts.drop(post.chat_id)
        elif post.dirty_since is not None:
            await uow.team_posts.mark_edited(post.chat_id, seen=post.dirty_since, now=now)
        await uow.commit()
