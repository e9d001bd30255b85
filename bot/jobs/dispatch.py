"""Deliver the outbox: claim due rows, send (or edit) them, record what Telegram said, re-arm.

Rows are sent chat by chat, concurrently: each chat's rows go in order, while the pacer
(bot/pacing.py) keeps all of them inside Telegram's limits, alarms first. Alarms to one chat
that are due together go as one digest: a coordinator with forty pairs late gets one message
at once, not forty spread over forty seconds by Telegram's limit of one a second per chat.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
from collections.abc import Sequence
from itertools import groupby
from typing import Any

from telegram import InlineKeyboardMarkup, Location
from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from bot.context import BotDeps, RotaContext
from bot.jobs.wake import wake_at
from bot.outbox import notices
from bot.outbox.outcomes import classify
from bot.outbox.outgoing import Outgoing
from bot.safety import keyboards as safety_keyboards
from bot.safety import texts as safety_texts
from rota.kernel import delivery
from rota.kernel import notice_codec as codec
from rota.kernel.delivery import GiveUp, Outcome, RetryLater, Sent
from rota.kernel.outbox import OutboxItem, Priority
from rota.safety.notices import ALERT_KINDS, AlertBase, AlertResolved, AlertTaken

log = logging.getLogger(__name__)
BATCH = 200  # at ~30 messages a second, a batch takes seconds: well inside the 30 s lease
JOB_NEXT = "dispatch-next"
# Kinds that merge into one message when several to one chat are due together.
DIGEST_KINDS = ALERT_KINDS
TAKEN_KINDS = (AlertTaken.KIND, AlertResolved.KIND)
LEASE_MARGIN = dtm.timedelta(seconds=3)
# Rows one process holds at once: ~13 s of Telegram's 30 a second, well inside the 30 s lease.
MAX_IN_FLIGHT = 400
EDIT_WAIT = dtm.timedelta(seconds=1)
# How long an edit waits, in real time, for its original that this process is sending now
# (PTB's read timeout is 5 s). Longer than that, it is put off by EDIT_WAIT on the clock.
LANDING_WAIT = 5.0
AnyBot = ExtBot[Any]  # ExtBot: the pacer reads each send's priority from rate_limit_args


async def deliver(bot: AnyBot, item: OutboxItem, deps: BotDeps) -> Outcome:
    """Render one row and send it; never raises for Telegram's answers."""
    try:
        out = notices.render(item, deps.config.zone)
    except (KeyError, ValueError, TypeError) as err:
        # The error's message may quote the payload (names, phone numbers): its type only.
        log.error("cannot render outbox %s (%s): %s", item.id, item.kind, type(err).__name__)
        plain = notices.fallback(item)
        if plain is None:
            return GiveUp(f"cannot render {item.kind}: {type(err).__name__}")
        out = plain
    try:
        if item.edit_of is not None:
            return await _edit(bot, item, out, deps)
        if out.location is not None:
            message = await bot.send_location(
                item.chat_id,
                latitude=out.location[0],
                longitude=out.location[1],
                live_period=out.live_period,
                rate_limit_args=item.priority,
            )
        else:
            message = await bot.send_message(
                item.chat_id, out.text, reply_markup=out.markup, rate_limit_args=item.priority
            )
    except BadRequest as err:
        if "not modified" in err.message:
            return Sent(message_id=None)
        return classify(err, repeat_if_unsure=False)
    except TelegramError as err:
        return classify(err, repeat_if_unsure=item.kind in notices.ALARM_KINDS)
    except (ValueError, TypeError) as err:
        # A row the library refuses before sending (found by the fuzz run: a live location
        # at 0°): given up alone, never sinking the rest of the batch.
        log.error("outbox %s (%s) refused: %s", item.id, item.kind, type(err).__name__)
        return GiveUp(f"refused before sending: {type(err).__name__}")
    return Sent(message_id=message.message_id)


async def _edit(bot: AnyBot, item: OutboxItem, out: Outgoing, deps: BotDeps) -> Outcome:
    original = item.edit_of or 0
    found = await delivery.edit_target(deps.uow(), original)
    # If our own send of it is under way (an offer closed the moment it went out), its
    # message id is a moment away: wait for it rather than for the clock's next turn.
    held_here = found.on_its_way and original in deps.held
    if held_here and await deps.released(original, within=LANDING_WAIT):
        found = await delivery.edit_target(deps.uow(), original)
    if found.on_its_way:
        return RetryLater("the message to edit is still on its way", after=EDIT_WAIT)
    target = found.message
    if target is None or target.message_id is None:
        return GiveUp("the message to edit was never delivered")
    if out.location is not None:  # a live location moved: the same pin, a new place
        await bot.edit_message_live_location(
            chat_id=target.chat_id,
            message_id=target.message_id,
            # As a Location: PTB takes latitude/longitude 0.0 (Greenwich) for "missing".
            location=Location(longitude=out.location[1], latitude=out.location[0]),
            rate_limit_args=item.priority,
        )
        return Sent(message_id=target.message_id)
    if await delivery.is_digest(deps.uow(), target):
        # Rewriting a digest with one alarm's news would hide the others: say it below it.
        message = await bot.send_message(
            item.chat_id,
            out.text,
            reply_markup=out.markup,
            reply_to_message_id=target.message_id,
            rate_limit_args=item.priority,
        )
        return Sent(message_id=message.message_id)
    await bot.edit_message_text(
        out.text,
        chat_id=target.chat_id,
        message_id=target.message_id,
        reply_markup=out.markup,
        rate_limit_args=item.priority,
    )
    return Sent(message_id=target.message_id)


async def deliver_digest(
    bot: AnyBot, items: Sequence[OutboxItem], deps: BotDeps
) -> list[tuple[OutboxItem, Outcome]]:
    """Send several alarms (or their news) to one chat as one message, or a few parts."""
    zone = deps.config.zone
    first = items[0]
    markup: InlineKeyboardMarkup
    try:
        payloads = [codec.decode(i.kind, i.payload) for i in items]
        if first.kind in TAKEN_KINDS:
            news = [p for p in payloads if isinstance(p, AlertTaken)]
            if len(news) != len(payloads):
                raise TypeError("a digest of news mixes kinds")
            resolved = first.kind == AlertResolved.KIND
            parts = safety_texts.taken_digest(news, zone, resolved=resolved)
            markup = safety_keyboards.alert_digest(taken=True)
        else:
            alerts = [p for p in payloads if isinstance(p, AlertBase)]
            if len(alerts) != len(payloads):
                raise TypeError("a digest of alerts mixes kinds")
            repeat = any(notices.is_repeat(i) for i in items)
            parts = safety_texts.alert_digest(alerts, zone, repeat=repeat)
            markup = safety_keyboards.alert_digest()
    except (KeyError, ValueError, TypeError) as err:
        log.error(
            "cannot render a digest of %s %s rows: %s", len(items), first.kind, type(err).__name__
        )
        return [(item, await deliver(bot, item, deps)) for item in items]
    results: list[tuple[OutboxItem, Outcome]] = []
    start = 0
    for part in parts:
        rows = items[start : start + part.count]
        start += part.count
        outcome: Outcome
        try:
            message = await bot.send_message(
                first.chat_id,
                part.text,
                reply_markup=None if first.kind == AlertResolved.KIND else markup,
                rate_limit_args=first.priority,
            )
            outcome = Sent(message_id=message.message_id)
        except BadRequest as err:
            outcome = classify(err, repeat_if_unsure=False)
        except TelegramError as err:
            outcome = classify(err, repeat_if_unsure=first.kind in notices.ALARM_KINDS)
        results += [(row, outcome) for row in rows]
    return results


def _units(items: Sequence[OutboxItem], targets: dict[int, int]) -> list[list[OutboxItem]]:
    """A chat's rows in order, with neighbours that can share one message grouped.

    Alerts about two or more alarms merge into a digest. News of alarms taken or resolved
    merges when it is about one digest (`targets` maps such rows to the message they
    update); news about a single alert edits that alert in place, as before.
    """

    def key(item: OutboxItem) -> tuple[str, int]:
        if item.kind in DIGEST_KINDS and item.edit_of is None:
            return (DIGEST_KINDS[0], 0)  # responders' and the team's copies alike
        if item.kind in TAKEN_KINDS and item.id in targets:
            return (item.kind, targets[item.id])
        return ("", -item.id)  # never equal to another row's key: sent alone

    units: list[list[OutboxItem]] = []
    for _, group in groupby(items, key=key):
        rows = list(group)
        about = {_escalation_of(r) for r in rows}
        units += [rows] if len(about) > 1 else [[r] for r in rows]
    return units


def _escalation_of(item: OutboxItem) -> str:
    """Which alarm a row is about ("" if it cannot be read: it is then sent alone)."""
    try:
        payload = codec.decode(item.kind, item.payload)
    except (KeyError, ValueError, TypeError):
        return f"?{item.id}"
    return str(getattr(payload, "escalation_id", ""))


async def _edit_targets(deps: BotDeps, items: Sequence[OutboxItem]) -> dict[int, int]:
    """Which message each taken/resolved row would update (rows that update nothing: absent)."""
    targets: dict[int, int] = {}
    for item in items:
        if item.kind in TAKEN_KINDS and item.edit_of is not None:
            target = await delivery.sent_message(deps.uow(), item.edit_of)
            if target is not None and target.message_id is not None:
                targets[item.id] = target.message_id
    return targets


async def _send_lane(
    deps: BotDeps, bot: AnyBot, items: list[OutboxItem], claimed_at: dtm.datetime
) -> tuple[int, bool]:
    """Send one chat's rows in order; returns (rows handled, whether the lease ran out)."""
    handled = 0
    for unit in _units(items, await _edit_targets(deps, items)):
        if deps.clock.now() >= claimed_at + delivery.LEASE - LEASE_MARGIN:
            # Slow sends outlived the lease: the rest may be another worker's by now, and
            # sending them too would double them. They are claimable again at once.
            log.warning("outbox lease ran out with rows to %s unsent", items[0].chat_id)
            return handled, True
        if len(unit) == 1:
            results = [(unit[0], await deliver(bot, unit[0], deps))]
        else:
            results = await deliver_digest(bot, unit, deps)
        for item, outcome in results:
            if not isinstance(outcome, Sent):
                log.warning("outbox %s (%s) to %s: %s", item.id, item.kind, item.chat_id, outcome)
        await delivery.record_outcomes(
            deps.uow(), results, now=deps.clock.now(), config=deps.config
        )
        deps.release(item.id for item, _ in results)  # recorded: an edit waiting on one may go
        handled += len(results)
    return handled, False


def _claim_order(item: OutboxItem) -> tuple[int, dtm.datetime, int]:
    """The outbox's own order: priority, when the row first fell due, then age."""
    return (item.priority, min(item.due_at, item.created_at), item.id)


async def run_dispatch(deps: BotDeps, bot: AnyBot) -> int:
    """Deliver everything due at the clock's now; returns how many rows were handled.

    Several sweeps may run at once (the timer, a handler's wake-up, the safety clock). None
    claims a row another sweep of this process still holds (deps.held), whatever the clock
    says of its lease. What they hold together is capped at what Telegram's pace delivers
    well inside a lease, so another process does not find the leases run out either
    (measured: 2,921 doubles out of 10,000 before the cap). Alarms are always claimed.
    """
    handled = 0
    while True:
        claimed_at = deps.clock.now()
        room = MAX_IN_FLIGHT - len(deps.held)
        items = await delivery.claim_due(
            deps.uow(), now=claimed_at, limit=min(BATCH, room), exclude=deps.held
        )
        if room < BATCH and len(items) < BATCH:  # alarms may pass the cap: they go first anyway
            items += await delivery.claim_due(
                deps.uow(),
                now=claimed_at,
                limit=BATCH - len(items),
                max_priority=Priority.ALARM,
                exclude=deps.held,
            )
        if not items:
            return handled
        claimed = len(items)
        # Held from the claim until the outcome is recorded: no other sweep of this process
        # claims these rows again meanwhile, whatever the clock says about the lease.
        deps.hold(i.id for i in items)
        try:
            done = await _send_batch(deps, bot, items, claimed_at)
        finally:
            deps.release(i.id for i in items)
        handled += sum(n for n, _ in done)
        if any(ran_out for _, ran_out in done) or claimed < min(BATCH, room):
            return handled


async def _send_batch(
    deps: BotDeps, bot: AnyBot, items: list[OutboxItem], claimed_at: dtm.datetime
) -> list[tuple[int, bool]]:
    """Send a claimed batch chat by chat, concurrently; each chat's rows in order.

    Rows claimed here to join a digest are added to `items` (and deps.held) so the caller
    releases them with the batch.
    """
    lanes: list[list[OutboxItem]] = []
    for chat_id, rows in groupby(sorted(items, key=lambda i: i.chat_id), lambda i: i.chat_id):
        lane = list(rows)
        if any(i.kind in DIGEST_KINDS and i.edit_of is None for i in lane):
            # Other alarms for this chat due now, beyond this batch: they join the digest.
            more = await delivery.claim_for_chat(
                deps.uow(), chat_id=chat_id, kinds=DIGEST_KINDS, now=claimed_at, exclude=deps.held
            )
            deps.hold(i.id for i in more)
            items.extend(more)  # released with the batch
            lane += more
        lanes.append(sorted(lane, key=_claim_order))
    # The lanes reach the pacer in the order their first rows fell due, alarms first.
    lanes.sort(key=lambda lane: _claim_order(lane[0]))
    return list(await asyncio.gather(*(_send_lane(deps, bot, lane, claimed_at) for lane in lanes)))


async def dispatch_job(context: RotaContext) -> None:
    """JobQueue entry: deliver, then set the alarm for the next due row."""
    deps = context.deps
    await run_dispatch(deps, context.bot)
    wake_at(context, dispatch_job, JOB_NEXT, await delivery.next_due(deps.uow()))
