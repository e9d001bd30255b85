"""The nightly purge: personal data past the template's [retention] periods goes."""

from __future__ import annotations

import logging

from bot.context import BotDeps, RotaContext
from rota.privacy.retention import PurgeReport, purge

log = logging.getLogger(__name__)


async def run_retention(deps: BotDeps) -> PurgeReport:
    """Apply the retention policy now; logs counts only (never what was deleted)."""
    report = await purge(deps.uow, policy=deps.config.template.retention, now=deps.clock.now())
    log.info(
        "retention: %d rows wiped or deleted%s",
        report.total,
        "".join(f"; {table}: {count} {what}" for table, what, count in report.as_lines() if count),
    )
    return report


async def retention_job(context: RotaContext) -> None:
    """JobQueue entry for run_retention."""
    await run_retention(context.deps)
