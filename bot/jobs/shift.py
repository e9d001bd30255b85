"""Before and after the shift: briefings, reminders, staffing alerts, debriefs, when due."""

from __future__ import annotations

from telegram import Bot

from bot.context import BotDeps, RotaContext
from bot.jobs.dispatch import run_dispatch
from rota.services import briefings, debriefs, staffing


async def run_shift_tick(deps: BotDeps, bot: Bot) -> int:
    """Everything before/after the shift that is due at the clock's now; then deliver it."""
    done = 0
    for feature in (briefings, staffing, debriefs):
        done += await feature.run_due(deps.uow, config=deps.config, now=deps.clock.now())
    if done:
        await run_dispatch(deps, bot)
    return done


async def shift_job(context: RotaContext) -> None:
    """JobQueue entry for run_shift_tick."""
    await run_shift_tick(context.deps, context.bot)
