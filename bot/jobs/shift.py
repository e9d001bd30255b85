"""Before and after the shift: briefings, reminders, staffing alerts, debriefs, when due."""

from __future__ import annotations

from bot.context import BotDeps, RotaContext
from bot.jobs.dispatch import AnyBot, run_dispatch
from bot.jobs.wake import wake_at
from rota.briefings import services as briefings
from rota.reports import debriefs
from rota.staffing import services as staffing

JOB_NEXT = "shift-next"


async def run_shift_tick(deps: BotDeps, bot: AnyBot) -> int:
    """Everything before/after the shift that is due at the clock's now; then deliver it."""
    done = 0
    for feature in (briefings, staffing, debriefs):
        done += await feature.run_due(deps.uow, config=deps.config, now=deps.clock.now())
    if done:
        await run_dispatch(deps, bot)
    return done


async def shift_job(context: RotaContext) -> None:
    """JobQueue entry for run_shift_tick; also wakes exactly when the next briefing is due.

    The sweep runs every few seconds; a briefing round of hundreds of messages should not
    wait for it on top of Telegram's own pace.
    """
    deps = context.deps
    await run_shift_tick(deps, context.bot)
    due = await briefings.next_due(deps.uow(), config=deps.config, now=deps.clock.now())
    wake_at(context, shift_job, JOB_NEXT, due, horizon=60)
