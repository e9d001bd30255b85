"""Generate the coming weeks' sessions from the template, at start and every night."""

from __future__ import annotations

import logging

from bot.context import BotDeps, RotaContext
from bot.roster import texts as roster_texts
from rota.roster.sessions import SyncReport, sync_sessions

log = logging.getLogger(__name__)


async def run_session_sync(deps: BotDeps) -> SyncReport:
    """Create, update or drop future template sessions; sessions with sign-ups are kept."""
    report = await sync_sessions(deps.uow(), config=deps.config, now=deps.clock.now())
    log.info(roster_texts.sync_summary(report, deps.config.zone))
    return report


async def sync_sessions_job(context: RotaContext) -> None:
    """JobQueue entry for run_session_sync."""
    await run_session_sync(context.deps)
