"""A fake Telegram Bot API for end-to-end tests: a local server plus simulated people."""

from .people import FakeGroup, FakeUser
from .server import (
    DEFAULT_TOKEN,
    ApiError,
    BotMessage,
    Button,
    Call,
    CallbackAnswer,
    FakeTelegram,
    UploadedFile,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
    utf16_len,
)

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "BotMessage",
    "Button",
    "Call",
    "CallbackAnswer",
    "FakeGroup",
    "FakeTelegram",
    "FakeUser",
    "UploadedFile",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "utf16_len",
]
