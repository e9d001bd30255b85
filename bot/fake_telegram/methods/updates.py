"""Getting updates: getUpdates long polling, and the webhook methods a polling bot calls.

rotabot polls; no webhook is ever set, so deleteWebhook and getWebhookInfo only report that.
"""

from __future__ import annotations

import asyncio

from ..params import bool_param
from ..state import DEFAULT_ALLOWED_UPDATES, World
from ..wire import BAD_GATEWAY, CONFLICT, JSON, ApiError, bad


async def get_updates(world: World, params: JSON) -> list[JSON]:
    """Acknowledge up to ``offset``, then hold the request open until an update or timeout.

    A newer getUpdates ends an older one with 409 Conflict, as when two bots share a token.
    """
    try:
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
    except (TypeError, ValueError):
        raise bad("Bad Request: invalid offset, limit or timeout") from None
    allowed = params.get("allowed_updates")
    if isinstance(allowed, list):
        world.allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
    if offset > 0:
        world.updates = [u for u in world.updates if u["update_id"] >= offset]
    elif offset < 0:
        world.updates = world.updates[offset:]

    world.poll_generation += 1
    generation = world.poll_generation
    world.updates_signal.fire()  # an older long poll still waiting must give way

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if world.closing:
            return []
        if generation != world.poll_generation:
            raise ApiError(409, CONFLICT)
        if world.updates_outage:
            raise ApiError(502, BAD_GATEWAY)
        ready = world.deliverable(limit)
        remaining = deadline - loop.time()
        if ready or remaining <= 0:
            return ready
        await world.updates_signal.wait(remaining)


async def delete_webhook(world: World, params: JSON) -> bool:
    """No webhook to delete; drop_pending_updates still empties the queue."""
    if bool_param(params, "drop_pending_updates"):
        world.updates.clear()
    return True


async def get_webhook_info(world: World, params: JSON) -> JSON:
    """No webhook set, and how many updates wait for getUpdates."""
    pending = len(world.updates)
    return {"url": "", "has_custom_certificate": False, "pending_update_count": pending}
