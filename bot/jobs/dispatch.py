"""Deliver the outbox: claim due rows, send (or edit) them, record what Telegram said, re-arm."""

from __future__ import annotations

import datetime as dtm
import logging

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot import notices
from bot.context import BotDeps, RotaContext
from bot.outcomes import classify
from rota.model import OutboxItem
from rota.services import delivery
from rota.services.delivery import GiveUp, Outcome, Sent

log = logging.getLogger(__name__)
BATCH = 50
JOB_NEXT = "dispatch-next"


async def deliver(bot: Bot, item: OutboxItem, deps: BotDeps) -> Outcome:
    """Render one row and send it; never raises for Telegram's answers."""
    try:
        out = notices.render(item, deps.config.zone)
    except (KeyError, ValueError, TypeError) as err:
        log.error("cannot render outbox %s (%s): %s", item.id, item.kind, err)
        plain = notices.fallback(item)
        if plain is None:
            return GiveUp(f"cannot render {item.kind}: {err}")
        out = plain
    try:
        if item.edit_of is not None:
            target = await delivery.sent_message(deps.uow(), item.edit_of)
            if target is None or target.message_id is None:
                return GiveUp("the message to edit was never delivered")
            await bot.edit_message_text(
                out.text,
                chat_id=target.chat_id,
                message_id=target.message_id,
                reply_markup=out.markup,
            )
            return Sent(message_id=target.message_id)
        if out.location is not None:
            message = await bot.send_location(
                item.chat_id, latitude=out.location[0], longitude=out.location[1]
            )
        else:
            message = await bot.send_message(item.chat_id, out.text, reply_markup=out.markup)
    except BadRequest as err:
        if "not modified" in err.message:
            return Sent(message_id=None)
        return classify(err, repeat_if_unsure=False)
    except TelegramError as err:
        return classify(err, repeat_if_unsure=item.kind in notices.ALARM_KINDS)
    return Sent(message_id=message.message_id)


async def run_dispatch(deps: BotDeps, bot: Bot) -> int:
    """Deliver everything due at the clock's now; returns how many rows were handled."""
    handled = 0
    while True:
        claimed_at = deps.clock.now()
        items = await delivery.claim_due(deps.uow(), now=claimed_at, limit=BATCH)
        for done, item in enumerate(items):
            if deps.clock.now() >= claimed_at + delivery.LEASE:
                # Slow sends outlived the lease: the rest may be another worker's by now, and
                # sending them too would double them. They are claimable again at once.
                log.warning("outbox lease ran out with %s row(s) unsent", len(items) - done)
                return handled
            outcome = await deliver(bot, item, deps)
            if not isinstance(outcome, Sent):
                log.warning("outbox %s (%s) to %s: %s", item.id, item.kind, item.chat_id, outcome)
            await delivery.record_outcome(
                deps.uow(), item, outcome, now=deps.clock.now(), config=deps.config
            )
            handled += 1
        if len(items) < BATCH:
            return handled


async def dispatch_job(context: RotaContext) -> None:
    """JobQueue entry: deliver, then set the alarm for the next due row."""
    deps = context.deps
    await run_dispatch(deps, context.bot)
    next_due = await delivery.next_due(deps.uow())
    if next_due is None or context.job_queue is None:
        return
    delay = max(0.0, (next_due - deps.clock.now()).total_seconds())
    for job in context.job_queue.get_jobs_by_name(JOB_NEXT):
        job.schedule_removal()
    context.job_queue.run_once(
        dispatch_job,  # type: ignore[arg-type]
        dtm.timedelta(seconds=delay),
        name=JOB_NEXT,
        job_kwargs={"misfire_grace_time": None},
    )
