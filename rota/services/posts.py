"""The rota post in the team chat: recorded once, then kept current by coalesced edits."""

from __future__ import annotations

import datetime as dtm

from rota.config import RotaConfig
from rota.model import TeamPost
from rota.ports import UnitOfWork
from rota.services.common import require_volunteer

# Telegram allows about 20 messages a minute in a group, edits included; one edit per post
# every 5 s stays well inside that however fast people press buttons.
EDIT_GAP = dtm.timedelta(seconds=5)
POST_SESSIONS = 3  # sessions shown in a team post: about a dozen join buttons


async def check_can_post(uow: UnitOfWork, *, telegram_id: int, config: RotaConfig) -> None:
    """Only team members may post the rota into a chat."""
    async with uow:
        await require_volunteer(uow, telegram_id, config)


async def record_post(
    uow: UnitOfWork, *, chat_id: int, message_id: int, now: dtm.datetime
) -> None:
    """Remember the newest rota post in a chat; earlier posts are no longer kept current."""
    async with uow:
        await uow.team_posts.put(chat_id=chat_id, message_id=message_id, now=now)
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
