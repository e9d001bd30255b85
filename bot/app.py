"""The one composition root: settings, clock and storage in, a ready Application out.

`start_app` is the one start-up and shutdown, used by `rotabot run`, the demo, the end-to-end
tests and the benchmarks alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import logging
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot import errors, handlers, jobs
from bot.config import Settings
from bot.context import BotData, BotDeps, RotaContext
from bot.jobs.sessions import run_session_sync
from bot.pacing import Limits, Pacer
from bot.updates import InOrderPerPerson, updates_at_once
from rota.kernel.clock import Clock
from rota.kernel.uow import UnitOfWorkFactory
from rota.people import membership as people
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory

App = Application[Any, RotaContext, dict[Any, Any], dict[Any, Any], BotData, Any]
# my_chat_member: being added to a group, so a group that is not the team's can be left.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
BACKLOG_BATCH_SIZE = 100  # getUpdates' default limit
BACKLOG_BATCHES = 50
POLL_TIMEOUT = dtm.timedelta(seconds=10)  # run_polling's default long-poll
# On the way out, a sweep under way may finish (stopping cancels it mid-transaction).
JOBS_FINISH_WITHIN = 10.0
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
    run_jobs: bool = True,
    pacing: Limits | None = None,
) -> App:
    """Wire handlers, jobs and dependencies; tests pass their own request or base URL.

    Built, not started: `start_app` starts it (and its post_init, the start-up of a poller).
    """
    if settings.token is None:
        raise ValueError("a bot token is needed to build the application")
    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        tzinfo=ZoneInfo(settings.timezone),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )

    async def post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Before the first update or job: who we are, this week's sessions, the backlog."""
        app.bot_data.deps.bot_username = app.bot.username
        await app.bot.set_my_commands(handlers.COMMANDS)
        await run_session_sync(app.bot_data.deps)  # so the backlog sees this week's sessions
        backlog = await drain_backlog(app)
        if backlog:
            log.info("took %s update(s) that arrived while the bot was down", backlog)
        if run_jobs and app.job_queue is not None:
            jobs.schedule(app.job_queue, settings.timezone)

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
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app = builder.build()
    deps = BotDeps(clock=clock, uow=uow, settings=settings, config=settings.rota)
    if app.job_queue is not None:
        job_queue = app.job_queue
        deps.ring = lambda: jobs.ring_dispatcher(job_queue)
        if isinstance(uow, SqlAlchemyUnitOfWorkFactory):
            uow.on_outbox_commit = deps.outbox_committed  # no handler calls it by hand
    app.bot_data.deps = deps

    async def is_stranger(telegram_id: int) -> bool:  # a stranger is answered once a minute
        actor = await people.who_is(deps.uow(), telegram_id=telegram_id, config=deps.config)
        return actor.volunteer is None and not actor.is_admin

    pacer.is_stranger = is_stranger
    handlers.register(app)
    app.add_error_handler(errors.on_error)
    return app


@contextlib.asynccontextmanager
async def start_app(
    settings: Settings,
    *,
    clock: Clock,
    uow: UnitOfWorkFactory,
    request: BaseRequest | None = None,
    pacing: Limits | None = None,
    poll: bool = True,
    run_jobs: bool = True,
    poll_interval: float = 0.0,
    poll_timeout: dtm.timedelta = POLL_TIMEOUT,
) -> AsyncIterator[App]:
    """Build the Application and run it while the block runs; stop it in order, even on error.

    The order is PTB's manual start-up (the steps `run_polling` takes, without its hold on
    the event loop and its signal handlers, which `rotabot run` keeps itself):
    initialize -> post_init (sessions synced, the backlog drained, the jobs armed) -> start
    -> poll; then stop polling -> let a running sweep finish -> stop -> shutdown.

    `poll=False` is a worker that only sweeps: no getUpdates (Telegram answers a second poller
    with 409 Conflict), so no backlog either; it arms the jobs and delivers. `run_jobs=False`
    polls without the jobs (measurements that run each tick by hand). The tests, the demo and
    the benchmarks keep the 1 s `poll_timeout` they have always polled their fake with.
    """
    app = build_application(
        settings, clock=clock, uow=uow, request=request, run_jobs=run_jobs, pacing=pacing
    )
    await app.initialize()
    try:
        if poll:
            assert app.post_init is not None
            await app.post_init(app)
        else:
            app.bot_data.deps.bot_username = app.bot.username
            if run_jobs and app.job_queue is not None:
                jobs.schedule(app.job_queue, settings.timezone)
        await app.start()
        if poll:
            assert app.updater is not None

            def polling_failed(error: TelegramError) -> None:  # as run_polling: to on_error
                app.create_task(app.process_error(update=None, error=error))

            await app.updater.start_polling(
                poll_interval=poll_interval,
                timeout=poll_timeout,
                allowed_updates=ALLOWED_UPDATES,
                error_callback=polling_failed,
            )
        yield app
    finally:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await _let_running_jobs_finish(app)
            await app.stop()
        await app.shutdown()


async def running_jobs_done(app: Application[Any, Any, Any, Any, Any, Any], within: float) -> None:
    """Wait (at most `within` s) for the job-queue jobs running now to finish."""
    if app.job_queue is None:
        return
    executor = app.job_queue.scheduler._lookup_executor("default")
    running = set(getattr(executor, "_pending_futures", ()))
    if running:
        await asyncio.wait(running, timeout=within)


async def _let_running_jobs_finish(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Pause the scheduler and let a sweep under way finish before the app stops.

    Stopping cancels a running job, and one cancelled inside a transaction can leave its
    connection unclosed (a ResourceWarning in the tests), or an outbox row leased until the
    lease runs out. Pausing stops new runs; those already running get JOBS_FINISH_WITHIN.
    """
    if app.job_queue is not None and app.job_queue.scheduler.running:
        app.job_queue.scheduler.pause()
        await running_jobs_done(app, JOBS_FINISH_WITHIN)
