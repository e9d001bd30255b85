"""The one composition root: settings, clock and storage in, a ready Application out."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot import errors, handlers, jobs
from bot.config import Settings
from bot.context import BotData, BotDeps, RotaContext
from bot.jobs.sessions import run_session_sync
from bot.pacing import Limits, Pacer
from bot.updates import InOrderPerPerson, updates_at_once
from rota.clock import Clock
from rota.ports import UnitOfWorkFactory
from rota.services import people

Hook = Callable[[], Awaitable[None]]
# my_chat_member: being added to a group, so a group that is not the team's can be left.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
BACKLOG_BATCH_SIZE = 100  # getUpdates' default limit
BACKLOG_BATCHES = 50
log = logging.getLogger(__name__)


async def drain_backlog(app: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """Take the updates that waited at Telegram while the bot was down; returns how many.

    Safety updates (a check-in, /ok, Need help, an alarm button: bot/updates.py) are handled
    here, oldest first, before the first safety sweep, so a pair who tapped OK (or sent /ok,
    which counts at its message's date) while the bot was down is checked in before anyone
    decides they missed it. The rest go on the application's update queue, ahead of anything
    the poller fetches: they are handled once the application starts, while the sweeps and
    the outbox run, instead of holding them back (issue 11). Like any update the poller has
    fetched, they are lost if the process dies before handling them.
    """
    processor = app.update_processor
    is_safety = processor.is_safety if isinstance(processor, InOrderPerPerson) else None
    taken = 0
    for _ in range(BACKLOG_BATCHES):  # bounded: new updates keep arriving while we work
        updates = await app.bot.get_updates(timeout=0, allowed_updates=ALLOWED_UPDATES)
        for update in updates:
            if is_safety is None or is_safety(update):
                await processor.process_update(update, app.process_update(update))
            else:
                app.update_queue.put_nowait(update)
        taken += len(updates)
        if updates:  # confirm them, so the poller does not see them again
            await app.bot.get_updates(
                offset=updates[-1].update_id + 1, timeout=0, allowed_updates=ALLOWED_UPDATES
            )
        if len(updates) < BACKLOG_BATCH_SIZE:
            break
    return taken


def build_application(
    settings: Settings,
    *,
    clock: Clock,
    uow: UnitOfWorkFactory,
    request: BaseRequest | None = None,
    on_start: Hook | None = None,
    on_stop: Hook | None = None,
    run_jobs: bool = True,
    pacing: Limits | None = None,
) -> Application[Any, RotaContext, dict[Any, Any], dict[Any, Any], BotData, Any]:
    """Wire handlers, jobs and dependencies; tests pass their own request or base URL."""
    if settings.token is None:
        raise ValueError("a bot token is needed to build the application")
    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        tzinfo=ZoneInfo(settings.timezone),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )

    async def post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if on_start is not None:
            await on_start()
        app.bot_data.deps.bot_username = app.bot.username
        await app.bot.set_my_commands(handlers.COMMANDS)
        await run_session_sync(app.bot_data.deps)  # so the backlog sees this week's sessions
        backlog = await drain_backlog(app)
        if backlog:
            log.info("took %s update(s) that arrived while the bot was down", backlog)
        if run_jobs and app.job_queue is not None:
            jobs.schedule(app.job_queue, settings.timezone)

    async def post_shutdown(_app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if on_stop is not None:
            await on_stop()

    pacer = Pacer(pacing)
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .defaults(defaults)
        .context_types(ContextTypes(context=RotaContext, bot_data=BotData))
        .rate_limiter(pacer)
        .concurrent_updates(
            InOrderPerPerson(
                updates_at_once(settings.database_url),
                duress_words=[settings.rota.template.checkins.duress_word],
            )
        )
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app = builder.build()
    deps = BotDeps(clock=clock, uow=uow, settings=settings, config=settings.rota)
    if app.job_queue is not None:
        job_queue = app.job_queue
        deps.ring = lambda: jobs.ring_dispatcher(job_queue)
    app.bot_data.deps = deps

    async def is_stranger(telegram_id: int) -> bool:  # a stranger is answered once a minute
        actor = await people.who_is(deps.uow(), telegram_id=telegram_id, config=deps.config)
        return actor.volunteer is None and not actor.is_admin

    pacer.is_stranger = is_stranger
    handlers.register(app)
    app.add_error_handler(errors.on_error)
    return app
