"""The safety clock: start and end walks, fire due prompts, reminders and escalations.

A sweep runs every second and is also woken exactly at the next due timer, so an alarm goes
out within a second or so of falling due; the state lives in the database, not here.
"""

from __future__ import annotations

import logging

from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import BotDeps, RotaContext
from bot.jobs.dispatch import AnyBot, run_dispatch
from bot.jobs.wake import wake_at
from rota.people import reachability
from rota.safety import timers, walks

log = logging.getLogger(__name__)
JOB_NEXT = "safety-next"


async def run_safety_tick(deps: BotDeps, bot: AnyBot) -> int:
    """Start/end walks and fire due timers at the clock's now; deliver what that produced."""
    now = deps.clock.now()
    report = await walks.start_and_end_walks(deps.uow, config=deps.config, now=now)
    fired = await timers.fire_due_timers(deps.uow, config=deps.config, now=now)
    if report.started or report.ended or fired:
        log.info(
            "safety tick: %s started, %s ended, %s fired", report.started, report.ended, fired
        )
        await run_dispatch(deps, bot)
    return fired + report.started + report.ended


async def safety_job(context: RotaContext) -> None:
    """JobQueue entry: one tick, then set the alarm for the next due timer."""
    deps = context.deps
    await run_safety_tick(deps, context.bot)
    wake_at(context, safety_job, JOB_NEXT, await timers.next_due(deps.uow()), horizon=60)


async def run_reachability_check(deps: BotDeps, bot: AnyBot) -> dict[int, str]:
    """Probe coordinators and tonight's volunteers with a chat action; report who is cut off.

    Coordinators go first. A volunteer's probe waits while the dispatcher is sending: after a
    restart with thousands of messages owed, probing everyone at once took a tenth of the CPU
    the catch-up needed (measured), and a message that cannot be delivered says the same.
    """
    people = await reachability.people_to_probe(
        deps.uow(), config=deps.config, now=deps.clock.now()
    )
    unreachable: dict[int, str] = {}
    for chat_id, name in people.coordinators.items():
        await _probe(bot, chat_id, name, unreachable)
    for chat_id, name in people.rostered.items():
        await deps.dispatcher_idle()
        await _probe(bot, chat_id, name, unreachable)
    if unreachable:
        log.warning("the bot cannot message chats %s", ", ".join(map(str, sorted(unreachable))))
        await reachability.report_unreachable(
            deps.uow(), unreachable, config=deps.config, now=deps.clock.now()
        )
        await run_dispatch(deps, bot)
    return unreachable


async def _probe(bot: AnyBot, chat_id: int, name: str, unreachable: dict[int, str]) -> None:
    try:
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
    except (Forbidden, BadRequest):
        unreachable[chat_id] = name
    except TelegramError:
        log.warning("could not probe chat %s", chat_id, exc_info=True)


async def reachability_job(context: RotaContext) -> None:
    """JobQueue entry for the start-up reachability check."""
    await run_reachability_check(context.deps, context.bot)
