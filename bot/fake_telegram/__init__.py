"""A fake Telegram Bot API for end-to-end tests: a local server plus simulated people.

The map, top to bottom (each module imports only those below it; import-linter checks it):

    server.py      FakeTelegram: the aiohttp app, routing, call log, injected failures
    methods/       the Bot API methods, by concern (messages, callbacks, chats, media, ...)
    state.py       World: chats, messages, people and groups, pending updates and presses
    people.py      FakeUser, FakeGroup: simulated people who write and tap buttons
    formatting.py  parse_mode HTML; keyboards.py reply_markup; limits.py flood limits;
    params.py      wire decoding; signals.py wake-ups; records.py what tests assert on
    wire.py        Telegram's error wording and size limits
"""

from .formatting import parse_html, utf16_len
from .people import FakeGroup, FakeUser
from .records import BotMessage, Button, Call, CallbackAnswer, UploadedFile
from .server import FakeTelegram
from .wire import DEFAULT_TOKEN, ApiError

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
    "utf16_len",
]
