"""Logs never hold the bot token or what people sent: phone numbers, places, the duress word.

At DEBUG, PTB logs every request's parameters and every answer (whole updates), the HTTP
client logs URLs with the token in them, aiosqlite and SQLAlchemy log statement arguments
and rows, and an exception's message may quote what a person typed. A log file is copied,
mailed and kept far longer than the data it was about, so every record is cleaned as it is
made (a log-record factory: handlers added later are covered too) and again by a filter on
the root logger's handlers (records made some other way). What remains: ids, kinds, counts.
"""

from __future__ import annotations

import functools
import logging
import re
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from telegram import CallbackQuery, Message, TelegramObject, Update
from telegram.constants import UpdateType
from telegram.error import TelegramError
from telegram.helpers import effective_message_type

HIDDEN = "<hidden>"
# A Bot API token is "<bot id>:<secret>"; the id is public (it is the bot's user id).
TOKEN_SHAPE = re.compile(r"(?<!\d)(\d+):[A-Za-z0-9_-]{20,}")
# Library messages whose arguments are what people sent, or rows stored about them.
CONTENT_MESSAGES = frozenset(
    {
        "Row %r",  # sqlalchemy.engine at DEBUG: every row fetched (phone numbers, places)
        "Webhook received data: %s",  # PTB's webhook server: the raw update
        'Can not load invalid JSON data: "%s"',  # PTB: an answer it could not parse
        "Request had the wrong secret token: %s",  # PTB's webhook server
    }
)
# Exceptions whose messages are kept: Telegram's answers name the problem, not the message
# (and the token is redacted from them like from everything else); OSError names a file or
# an address. Any other message may quote a person's words ("invalid literal for int():
# '+44 7700 ...'", a database's "Key (phone)=(...)") and is replaced by its length.
MESSAGE_KEPT: tuple[type[BaseException], ...] = (TelegramError, OSError)
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}")
_CALLBACK_PREFIX = re.compile(r"[A-Za-z]{1,8}")
_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"
MIN_SECRET = 8
_secrets: set[str] = set()


def redact(text: str) -> str:
    """The text without the bot token: the secret part of anything token-shaped, and the
    secrets given to protect_logs (a token of an unusual shape) wherever they appear."""
    text = TOKEN_SHAPE.sub(r"\1:<token>", text)
    for secret in _secrets:
        text = text.replace(secret, "<token>")
    return text


def describe_update(update: object) -> str:
    """What arrived, never what it said: 'update 42 (message: location, private chat)'."""
    if not isinstance(update, Update):
        return "no update" if update is None else f"a {type(update).__name__}"
    kind = next((t.value for t in UpdateType if getattr(update, t.value, None) is not None), "?")
    what = kind
    item: Any = getattr(update, kind, None)
    if isinstance(item, Message):
        content = effective_message_type(item) or "other"
        text = item.text or ""
        if content == "text" and text.startswith("/"):
            word = text.split(maxsplit=1)[0].split("@", 1)[0]
            content = f"command {word}" if _COMMAND.fullmatch(word) else "command"
        if item.forward_origin is not None:
            content += ", forwarded"
        what = f"{kind}: {content}"
    elif isinstance(item, CallbackQuery):
        prefix = (item.data or "").split(":", 1)[0]
        what = f"{kind}: {prefix}" if _CALLBACK_PREFIX.fullmatch(prefix) else kind
    chat = update.effective_chat
    where = f", {chat.type} chat" if chat is not None else ""
    return f"update {update.update_id} ({what}{where})"


def format_exception(error: BaseException) -> str:
    """A traceback with its frames and exception types; messages only where they are safe."""
    chain: list[BaseException] = []  # the error first, then what caused it
    links: list[str] = []  # links[i]: how chain[i + 1] led to chain[i]
    current: BaseException | None = error
    while current is not None and all(current is not e for e in chain):
        chain.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
            links.append(_CAUSE)
        elif current.__context__ is not None and not current.__suppress_context__:
            current = current.__context__
            links.append(_CONTEXT)
        else:
            current = None
    out: list[str] = []
    for position in range(len(chain) - 1, -1, -1):  # the first cause first, as Python does
        exc = chain[position]
        if exc.__traceback__ is not None:
            out.append("Traceback (most recent call last):\n")
            out.extend(traceback.format_tb(exc.__traceback__))
        out.append(_exception_line(exc))
        if position > 0:
            out.append(links[position - 1])
    return redact("".join(out)).rstrip("\n")


def _exception_line(exc: BaseException) -> str:
    name = type(exc).__qualname__
    module = type(exc).__module__
    if module not in ("builtins", "__main__"):
        name = f"{module}.{name}"
    if isinstance(exc, BaseExceptionGroup):
        inner = ", ".join(type(e).__name__ for e in exc.exceptions)
        return f"{name}: {len(exc.exceptions)} sub-exception(s): {inner}\n"
    message = str(exc)
    if not message:
        return f"{name}\n"
    if isinstance(exc, MESSAGE_KEPT):
        return "".join(traceback.format_exception_only(type(exc), exc))
    return f"{name}: <message hidden: {len(message)} characters>\n"


def _clean_value(value: object, from_telegram: bool) -> object:
    """An argument of a log call, with anything a person sent replaced by its shape."""
    if isinstance(value, Update):
        return describe_update(value)
    if isinstance(value, TelegramObject):
        return f"<{type(value).__name__}>"
    if isinstance(value, functools.partial):  # aiosqlite: partial(execute, sql, parameters)
        return f"<call {getattr(value.func, '__name__', type(value.func).__name__)}>"
    if from_telegram:  # request parameters and answers: keep the field names only
        if isinstance(value, Mapping):
            return "{" + ", ".join(str(key) for key in value) + "}"
        if isinstance(value, list | tuple) and not all(isinstance(v, int) for v in value):
            return f"<{len(value)} items>"
        if isinstance(value, bytes | bytearray):
            return f"<{len(value)} bytes>"
    return value


def _clean_args(record: logging.LogRecord) -> None:
    args = record.args
    if not args:
        return
    from_telegram = record.name.startswith("telegram")
    if record.msg in CONTENT_MESSAGES:
        count = len(args) if isinstance(args, tuple) else 1
        record.args = (HIDDEN,) * count
    elif isinstance(args, Mapping):
        if "%(" in str(record.msg):
            record.args = {k: _clean_value(v, from_telegram) for k, v in args.items()}
        else:
            record.args = (_clean_value(args, from_telegram),)
    else:
        record.args = tuple(_clean_value(v, from_telegram) for v in args)


def clean(record: logging.LogRecord) -> None:
    """Make one record safe to write anywhere; cheap to repeat on a record already clean."""
    if record.__dict__.get("_private_clean") == (id(record.msg), id(record.args)):
        return
    _clean_args(record)
    try:
        message = record.getMessage()
    except (TypeError, ValueError, KeyError):  # logging would print the arguments as they are
        message = f"{record.msg!s} <arguments hidden: they do not fit the message>"
        record.msg, record.args = message, ()
    safe = redact(message)
    if safe != message:
        record.msg, record.args = safe, ()
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = format_exception(record.exc_info[1])
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record.__dict__["_private_clean"] = (id(record.msg), id(record.args))


class PrivateLogFilter(logging.Filter):
    """A handler filter: cleans each record (see the module's docstring), drops none."""

    def filter(self, record: logging.LogRecord) -> bool:
        clean(record)
        return True


def _factory(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make_private(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        clean(record)
        return record

    make_private.private = True  # type: ignore[attr-defined]
    return make_private


def protect_logs(*secrets: str | None) -> None:
    """Clean every log record from now on, and redact these secrets (the bot token) too.

    Safe to call again (with more secrets, or after other handlers were added).
    """
    # A secret of a few characters would blank out ordinary words; real tokens are long.
    _secrets.update(s for s in secrets if s and len(s) >= MIN_SECRET)
    current = logging.getLogRecordFactory()
    if not getattr(current, "private", False):
        logging.setLogRecordFactory(_factory(current))
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, PrivateLogFilter) for f in handler.filters):
            handler.addFilter(PrivateLogFilter())
