"""The framework's ceiling: a minimal python-telegram-bot Application doing the least a button
press can do (answer it, edit the message) and echoing text messages.

It runs in the same process, against the same kind of strict fake Telegram and under the same
load as rotabot, so rotabot's throughput divided by this one's is the share of PTB's ceiling
that our handlers, database and jobs leave us.

Rate limiter: by default ("aio") the one PTB ships, `AIORateLimiter` with its defaults (30
requests/s overall, 20/min per group, nothing per private chat) except max_retries=3: with
no retries a 429 (30/s exactly trips Telegram's 30/s now and then) loses the edit; "none" runs
without one (the strict fake then answers 429 to whatever exceeds Telegram's limits). rotabot
has its own limiter (bot/pacing.py), so the two are alike in kind, not identical.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.fake_telegram import FakeTelegram

LIMITERS = ("aio", "none")
# The keyboard every echo carries; presses send this data (arbitrary, as the issue allows).
DATA = ("j", "w", "y", "l", "s")
KEYBOARD = InlineKeyboardMarkup(
    [[InlineKeyboardButton(f"Button {d}", callback_data=d)] for d in DATA]
)


def limiter(kind: str) -> AIORateLimiter | None:
    """The rate limiter for `kind` (see the module docstring)."""
    if kind == "aio":
        # PTB's defaults would drop a press's edit on a 429 (max_retries=0): 30/s exactly trips
        # Telegram's 30/s now and then. Retrying keeps the run whole; the 429s still count.
        return AIORateLimiter(max_retries=3)
    if kind == "none":
        return None
    raise ValueError(f"unknown limiter {kind!r}; choose from {LIMITERS}")


def describe_limiter(kind: str) -> str:
    if kind == "aio":
        return "AIORateLimiter(max_retries=3), otherwise PTB's defaults (30/s overall)"
    return "no rate limiter"


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press, then edit the pressed message (a counter keeps every edit a change)."""
    query = update.callback_query
    assert query is not None
    await query.answer(f"pressed {query.data}")
    count = context.chat_data.get("edits", 0) + 1 if context.chat_data is not None else 1
    if context.chat_data is not None:
        context.chat_data["edits"] = count
    await query.edit_message_text(f"You pressed {query.data} (#{count})", reply_markup=KEYBOARD)


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo the text back, with the keyboard so the next presses have a message to land on."""
    message = update.effective_message
    assert message is not None
    await message.reply_text(message.text or "?", reply_markup=KEYBOARD)


def build_echo(
    tg: FakeTelegram, limiter_kind: str = "aio"
) -> Application[Any, Any, Any, Any, Any, Any]:
    """PTB's defaults otherwise: sequential update processing, no Defaults, the job queue."""
    # Any: the builder's type parameters change with the limiter; mypy cannot follow that.
    builder: Any = ApplicationBuilder().token(tg.token).base_url(tg.base_url)
    rate_limiter = limiter(limiter_kind)
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    app: Application[Any, Any, Any, Any, Any, Any] = builder.build()
    app.add_handler(CallbackQueryHandler(on_press))
    app.add_handler(MessageHandler(filters.TEXT, on_message))
    return app


@contextlib.asynccontextmanager
async def running_echo(
    tg: FakeTelegram, limiter_kind: str = "aio"
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """The echo bot polling `tg` exactly as bench.running.running_bot polls it."""
    app = build_echo(tg, limiter_kind)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
