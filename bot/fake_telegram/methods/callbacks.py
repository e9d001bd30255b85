"""Button presses: answerCallbackQuery, which stops the spinner on the person's button."""

from __future__ import annotations

from ..formatting import utf16_len
from ..params import bool_param
from ..records import CallbackAnswer
from ..state import World
from ..wire import JSON, MAX_CALLBACK_ANSWER_LENGTH, QUERY_TOO_OLD, bad


async def answer_callback_query(world: World, params: JSON) -> bool:
    """Record the toast or alert; an unknown or already answered query is "too old"."""
    query = world.queries.get(str(params.get("callback_query_id", "")))
    if query is None or query.answer is not None:
        raise bad(QUERY_TOO_OLD)
    text = params.get("text")
    if isinstance(text, str) and utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
        raise bad("Bad Request: MESSAGE_TOO_LONG")
    cache_time = params.get("cache_time")
    query.answer = CallbackAnswer(
        text=text if isinstance(text, str) else None,
        show_alert=bool_param(params, "show_alert"),
        url=params.get("url"),
        cache_time=int(cache_time) if cache_time is not None else None,
    )
    world.state_signal.fire()
    return True
