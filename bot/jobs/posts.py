"""Keep team-chat rota posts current, at most one edit per post every few seconds."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.context import BotDeps, RotaContext
from bot.roster import keyboards as roster_keyboards
from bot.roster import texts as roster_texts
from rota.roster import posts, sessions

log = logging.getLogger(__name__)


async def run_post_refresh(deps: BotDeps, bot: Bot) -> int:
    """Edit every changed post not edited within the gap; returns how many were edited."""
    due = await posts.posts_to_refresh(deps.uow(), now=deps.clock.now())
    if not due:
        return 0
    zone = deps.config.zone
    boards = await sessions.upcoming_boards(
        deps.uow(),
        telegram_id=None,
        config=deps.config,
        now=deps.clock.now(),
        limit=posts.POST_SESSIONS,
    )
    labels = {b.session.id: roster_texts.day(b.session.starts_at, zone) for b in boards}
    text, markup = roster_texts.team_post(boards, zone), roster_keyboards.team_post(boards, labels)
    edited = 0
    for post in due:
        gone = False
        try:
            await bot.edit_message_text(
                text, chat_id=post.chat_id, message_id=post.message_id, reply_markup=markup
            )
            edited += 1
        except RetryAfter:
            continue  # stays dirty; the next tick tries again
        except Forbidden:
            gone = True  # the bot was removed from the group
        except BadRequest as err:
            gone = "not found" in err.message
            if not gone and "not modified" not in err.message:
                log.warning("editing the rota post in %s: %s", post.chat_id, err.message)
        except TelegramError as err:
            log.warning("editing the rota post in %s: %s", post.chat_id, err)
            continue
        await posts.post_refreshed(deps.uow(), post, now=deps.clock.now(), gone=gone)
    return edited


async def refresh_posts_job(context: RotaContext) -> None:
    """JobQueue entry for run_post_refresh."""
    await run_post_refresh(context.deps, context.bot)
