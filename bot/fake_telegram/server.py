"""A fake Telegram Bot API server, so end-to-end tests run a real PTB bot without the internet.

The server speaks the real wire format (form, multipart and JSON requests; ``{"ok": ...}``
answers) and reproduces the errors Telegram really returns, because those errors are exactly
what a bot gets wrong in production: unescaped HTML, edits that change nothing, oversized
callback data, users who blocked the bot, flood limits.
"""

# The waiting helpers take ``timeout`` on purpose: tests read better as wait_for(..., timeout=2).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import copy
import json
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from .people import FakeGroup, FakeUser

JSON = dict[str, Any]
T = TypeVar("T")

DEFAULT_TOKEN = "123456789:AAFakeTokenForRotabotEndToEndTests"
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
DELETE_WINDOW_SECONDS = 48 * 3600

# Descriptions exactly as Telegram words them, so code matching on them behaves the same.
UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"
METHOD_NOT_FOUND = "Not Found: method not found"
BAD_GATEWAY = "Bad Gateway"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
BLOCKED = "Forbidden: bot was blocked by the user"
CHAT_NOT_FOUND = "Bad Request: chat not found"
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
BUTTON_URL_INVALID = "Bad Request: BUTTON_URL_INVALID"
BAD_MARKUP = "Bad Request: can't parse reply keyboard markup JSON object"
CANT_PARSE_ENTITIES = "Bad Request: can't parse entities: "
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
CANT_BE_EDITED = "Bad Request: message can't be edited"
NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
CANT_DELETE = "Bad Request: message can't be deleted for everyone"
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
NOT_A_MEMBER = "Forbidden: bot is not a member of the supergroup chat"
PRIVATE_LEAVE = "Bad Request: chat member status can't be changed in private chats"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


def _words(text: str) -> frozenset[str]:
    """A set from a space-separated string; keeps the long name lists readable."""
    return frozenset(text.split())


# Update types Telegram sends when allowed_updates was never set.
_DEFAULT_ALLOWED = _words(
    "message edited_message channel_post edited_channel_post business_connection "
    "business_message edited_business_message deleted_business_messages inline_query "
    "chosen_inline_result callback_query shipping_query pre_checkout_query "
    "purchased_paid_media poll poll_answer my_chat_member chat_join_request chat_boost "
    "removed_chat_boost"
)
_CHAT_ACTIONS = _words(
    "typing upload_photo record_video upload_video record_voice upload_voice "
    "upload_document choose_sticker find_location record_video_note upload_video_note"
)
_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

# How form values (always strings on the wire) are decoded for Call.params and the handlers.
_TEXT_KEYS = _words(
    "text caption callback_query_id parse_mode url action title description address "
    "phone_number first_name last_name language_code emoji question inline_message_id "
    "custom_title data"
)
_JSON_KEYS = _words(
    "reply_markup allowed_updates commands scope entities caption_entities menu_button "
    "link_preview_options reply_parameters media results permissions rights"
)
_INT_KEYS = _words(
    "chat_id message_id offset limit user_id live_period reply_to_message_id "
    "message_thread_id cache_time heading proximity_alert_radius from_chat_id"
)
_FLOAT_KEYS = frozenset({"latitude", "longitude", "horizontal_accuracy", "timeout"})


class ApiError(Exception):
    """A Bot API error answer; raised inside handlers so every path formats it the same way."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> JSON:
        """The exact JSON body Telegram sends for this error."""
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, description)


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass
class UploadedFile:
    """A file part of a multipart request; kept so tests can check exports the bot sent."""

    name: str
    filename: str
    size: int
    content_type: str | None = None
    data: bytes = field(default=b"", repr=False)


@dataclass
class Call:
    """One request as the server saw it; ``status`` is 0 while a long poll is still open."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 0
    files: list[UploadedFile] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether Telegram would have answered ``ok: true``."""
        return 200 <= self.status < 300


@dataclass(frozen=True)
class Button:
    """One inline keyboard button, flattened from the reply_markup dict for easy asserts."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass
class BotMessage:
    """A message the bot sent, updated in place by edits and deletes so tests see the chat."""

    chat_id: int
    message_id: int
    date: int
    kind: str = "text"
    text: str = ""
    raw_text: str = ""
    parse_mode: str | None = None
    entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    edited: int = 0
    edit_date: int | None = None
    deleted: bool = False
    filename: str | None = None
    file_size: int | None = None
    file_id: str | None = None
    mime_type: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    live_period: int | None = None
    reply_to_message_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def inline_markup(self) -> JSON | None:
        """The inline keyboard only; reply keyboards are not part of a Message in the API."""
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            return self.reply_markup
        return None

    @property
    def buttons(self) -> list[list[Button]]:
        """Inline buttons row by row, empty when the message has no inline keyboard."""
        markup = self.inline_markup
        if markup is None:
            return []
        return [
            [
                Button(
                    text=str(b.get("text", "")),
                    callback_data=b.get("callback_data"),
                    url=b.get("url"),
                )
                for b in row
            ]
            for row in markup["inline_keyboard"]
        ]

    @property
    def button_texts(self) -> list[str]:
        """All inline button labels in reading order, for readable assertions."""
        return [b.text for row in self.buttons for b in row]

    @property
    def keyboard(self) -> list[list[str]]:
        """Labels of a reply (custom) keyboard, e.g. a "share my location" button."""
        if self.reply_markup is None or "keyboard" not in self.reply_markup:
            return []
        return [
            [b if isinstance(b, str) else str(b.get("text", "")) for b in row]
            for row in self.reply_markup["keyboard"]
        ]

    def find_button(self, text: str, *, contains: bool = False) -> Button | None:
        """The first button labelled ``text`` (or containing it), None if there is none."""
        for row in self.buttons:
            for button in row:
                if button.text == text or (contains and text in button.text):
                    return button
        return None

    def describe(self) -> str:
        """One line for assertion messages: id, text and buttons."""
        state = " (deleted)" if self.deleted else ""
        buttons = " ".join(f"[{t}]" for t in self.button_texts)
        body = self.text if self.kind == "text" else f"<{self.kind}> {self.text}".rstrip()
        return f"#{self.message_id}{state} {body!r} {buttons}".rstrip()


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot passed to answerCallbackQuery: the toast or alert the user would see."""

    text: str | None
    show_alert: bool
    url: str | None = None
    cache_time: int | None = None


@dataclass
class _PendingQuery:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answer: CallbackAnswer | None = None


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None


@dataclass
class _TokenBucket:
    """Telegram's flood limits modelled as token buckets: a burst, then a steady rate."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    def wait(self, now: float) -> float:
        """Seconds until one token is available (0 if one is available now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class _Chat:
    id: int
    type: str
    title: str | None = None
    next_message_id: int = 1
    bot_messages: dict[int, BotMessage] = field(default_factory=dict)
    user_messages: dict[int, JSON] = field(default_factory=dict)
    deleted_user_messages: set[int] = field(default_factory=set)


class _Signal:
    """Wakes every waiter at once.

    Works like ``asyncio.Condition.notify_all`` but ``fire`` is synchronous, so plain methods
    such as ``tg.block(user)`` can wake a long poll without awaiting a lock.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Return at the next ``fire`` or after ``timeout`` seconds, whichever is first."""
        if timeout <= 0:
            return
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return

    async def wait_until(self, predicate: Callable[[], T], timeout: float) -> T:
        """Re-check ``predicate`` at every fire until it is truthy or the time is up."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            remaining = deadline - loop.time()
            if result or remaining <= 0:
                return result
            await self.wait(remaining)


# --------------------------------------------------------------------------------------------
# Text formatting (parse_mode) — the most common source of 400s in real bots
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Telegram measures offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _entity_error(detail: str) -> ApiError:
    return _bad(CANT_PARSE_ENTITIES + detail)


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>")
_ATTR_RE = re.compile(
    r"""([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?"""
)
_HTML_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_html_entities(text: str, source: str, base: int) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "&":
            out.append(text[i])
            i += 1
            continue
        match = _HTML_ENTITY_RE.match(text, i)
        if match is None:
            offset = _byte_offset(source, base + i)
            raise _entity_error(f'Unsupported HTML entity "&" at byte offset {offset}')
        named, dec, hexa = match.groups()
        if named:
            out.append(_NAMED_ENTITIES[named])
        else:
            code = int(dec) if dec else int(hexa, 16)
            if not 0 < code <= 0x10FFFF:
                offset = _byte_offset(source, base + i)
                raise _entity_error(f"Invalid HTML entity at byte offset {offset}")
            out.append(chr(code))
        i = match.end()
    return "".join(out)


def _html_attrs(raw: str, source: str, base: int) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(raw):
        name, dq, sq, bare = match.groups()
        value = dq if dq is not None else sq if sq is not None else bare or ""
        attrs[name.lower()] = _decode_html_entities(value, source, base)
    return attrs


def parse_html(source: str) -> tuple[str, list[JSON]]:
    """Telegram's HTML dialect: returns the plain text and its entities, or raises a 400."""
    out: list[str] = []
    pos = 0  # UTF-16 offset in the plain text
    entities: list[JSON] = []
    # (tag name, entity type, start offset, extra entity fields, index in source)
    stack: list[tuple[str, str, int, JSON, int]] = []
    extra: JSON
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            match = _TAG_RE.match(source, i)
            if match is None:
                offset = _byte_offset(source, i)
                raise _entity_error(f'Unsupported start tag "" at byte offset {offset}')
            closing, name, raw_attrs = match.group(1), match.group(2).lower(), match.group(3)
            offset = _byte_offset(source, i)
            if closing:
                if not stack:
                    raise _entity_error(f"Unexpected end tag at byte offset {offset}")
                if stack[-1][0] != name:
                    raise _entity_error(
                        f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1][0]}>"'
                        f', found "</{name}>"'
                    )
                tag, kind, start, extra, _ = stack.pop()
                if tag == "code" and stack and stack[-1][0] == "pre" and "language" in extra:
                    stack[-1][3]["language"] = extra["language"]
                elif pos > start and kind:
                    entities.append({"type": kind, "offset": start, "length": pos - start})
                    entities[-1].update(extra)
            else:
                kind = _HTML_TAGS.get(name, "")
                if not kind:
                    raise _entity_error(f'Unsupported start tag "{name}" at byte offset {offset}')
                attrs = _html_attrs(raw_attrs, source, i)
                extra = {}
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise _entity_error(f'Unsupported start tag "span" at byte offset {offset}')
                if name == "a":
                    if not attrs.get("href"):
                        kind = ""  # Telegram keeps the text and drops a link without target
                    else:
                        extra["url"] = attrs["href"]
                elif name == "code" and attrs.get("class", "").startswith("language-"):
                    extra["language"] = attrs["class"].removeprefix("language-")
                elif name == "blockquote" and "expandable" in attrs:
                    kind = "expandable_blockquote"
                elif name == "tg-emoji":
                    if not attrs.get("emoji-id"):
                        raise _entity_error(f"Custom emoji identifier expected at byte {offset}")
                    extra["custom_emoji_id"] = attrs["emoji-id"]
                stack.append((name, kind, pos, extra, i))
            i = match.end()
        elif char == "&":
            match = _HTML_ENTITY_RE.match(source, i)
            if match is None:
                offset = _byte_offset(source, i)
                raise _entity_error(f'Unsupported HTML entity "&" at byte offset {offset}')
            decoded = _decode_html_entities(match.group(0), source, i)
            out.append(decoded)
            pos += utf16_len(decoded)
            i = match.end()
        else:
            out.append(char)
            pos += utf16_len(char)
            i += 1
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), _sorted_entities(entities)


_MD2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD2_MARKS = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}
_ENTITY_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def _md2_code_block(source: str, start: int, fence: str) -> tuple[str, int]:
    """Read code up to the closing fence; only ` and \\ may be escaped inside."""
    out: list[str] = []
    i = start
    while i < len(source):
        if source[i] == "\\" and i + 1 < len(source):
            out.append(source[i + 1])
            i += 2
        elif source.startswith(fence, i):
            return "".join(out), i + len(fence)
        else:
            out.append(source[i])
            i += 1
    kind = "Pre" if fence == "```" else "Code"
    offset = _byte_offset(source, start - len(fence))
    raise _entity_error(f"Can't find end of {kind} entity at byte offset {offset}")


def parse_markdown_v2(source: str) -> tuple[str, list[JSON]]:
    """Telegram's MarkdownV2: reserved characters must be escaped, as real Telegram insists."""
    out: list[str] = []
    pos = 0
    entities: list[JSON] = []
    open_marks: list[tuple[str, int, int]] = []  # (marker, start offset, source index)
    open_links: list[tuple[int, int, bool]] = []  # (start offset, source index, is emoji)
    quote_start: int | None = None
    line_start = True
    i = 0

    def emit(text: str) -> None:
        nonlocal pos
        out.append(text)
        pos += utf16_len(text)

    def toggle(marker: str, index: int) -> None:
        for k in range(len(open_marks) - 1, -1, -1):
            if open_marks[k][0] == marker:
                _, start, _ = open_marks.pop(k)
                if pos > start:
                    entities.append(
                        {"type": _MD2_MARKS[marker], "offset": start, "length": pos - start}
                    )
                return
        open_marks.append((marker, pos, index))

    while i < len(source):
        char = source[i]
        at_line_start, line_start = line_start, False
        if char == "\\":
            if i + 1 >= len(source):
                offset = _byte_offset(source, i)
                raise _entity_error(f"Unexpected end of text after '\\' at byte offset {offset}")
            emit(source[i + 1])
            i += 2
        elif char == "`":
            fence = "```" if source.startswith("```", i) else "`"
            body, end = _md2_code_block(source, i + len(fence), fence)
            language = ""
            if fence == "```" and "\n" in body:
                first, rest = body.split("\n", 1)
                if first and " " not in first:
                    language, body = first, rest
            start = pos
            emit(body)
            if pos > start:
                entity: JSON = {
                    "type": "pre" if fence == "```" else "code",
                    "offset": start,
                    "length": pos - start,
                }
                if language:
                    entity["language"] = language
                entities.append(entity)
            i = end
        elif char == "*":
            toggle("*", i)
            i += 1
        elif char == "_":
            marker = "__" if source.startswith("__", i) else "_"
            toggle(marker, i)
            i += len(marker)
        elif char == "~":
            toggle("~", i)
            i += 1
        elif source.startswith("||", i):
            toggle("||", i)
            i += 2
        elif char == "[" or source.startswith("![", i):
            is_emoji = char == "!"
            open_links.append((pos, i, is_emoji))
            i += 2 if is_emoji else 1
        elif char == "]" and open_links and source.startswith("(", i + 1):
            start, index, is_emoji = open_links.pop()
            url: list[str] = []
            j = i + 2
            while j < len(source) and source[j] != ")":
                if source[j] == "\\" and j + 1 < len(source):
                    j += 1
                url.append(source[j])
                j += 1
            if j >= len(source):
                kind = "CustomEmoji" if is_emoji else "TextUrl"
                offset = _byte_offset(source, index)
                raise _entity_error(f"Can't find end of {kind} entity at byte offset {offset}")
            target = "".join(url)
            if pos > start:
                if is_emoji:
                    emoji_id = target.partition("id=")[2]
                    entities.append(
                        {
                            "type": "custom_emoji",
                            "offset": start,
                            "length": pos - start,
                            "custom_emoji_id": emoji_id,
                        }
                    )
                else:
                    link: JSON = {"type": "text_link", "offset": start, "length": pos - start}
                    link["url"] = target
                    entities.append(link)
            i = j + 1
        elif char == ">" and at_line_start:
            if quote_start is None:
                quote_start = pos
            i += 1
        elif char == "\n":
            emit("\n")
            i += 1
            line_start = True
            if quote_start is not None and not source.startswith(">", i):
                length = pos - 1 - quote_start
                if length > 0:
                    entities.append(
                        {"type": "blockquote", "offset": quote_start, "length": length}
                    )
                quote_start = None
        elif char in _MD2_RESERVED:
            raise _entity_error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            emit(char)
            i += 1
    if quote_start is not None and pos > quote_start:
        entities.append({"type": "blockquote", "offset": quote_start, "length": pos - quote_start})
    if open_marks:
        marker, _, index = open_marks[0]
        name = _ENTITY_NAMES[_MD2_MARKS[marker]]
        offset = _byte_offset(source, index)
        raise _entity_error(f"Can't find end of {name} entity at byte offset {offset}")
    if open_links:
        _, index, is_emoji = open_links[0]
        name = "CustomEmoji" if is_emoji else "TextUrl"
        offset = _byte_offset(source, index)
        raise _entity_error(f"Can't find end of {name} entity at byte offset {offset}")
    return "".join(out), _sorted_entities(entities)


def parse_markdown(source: str) -> tuple[str, list[JSON]]:
    """Legacy Markdown: no nesting, and an unclosed marker is an error."""
    out: list[str] = []
    pos = 0
    entities: list[JSON] = []
    i = 0

    def unclosed(index: int) -> ApiError:
        offset = _byte_offset(source, index)
        return _entity_error(f"Can't find end of the entity starting at byte offset {offset}")

    def add(kind: str, text: str, **extra: Any) -> None:
        nonlocal pos
        start = pos
        out.append(text)
        pos += utf16_len(text)
        if pos > start:
            entities.append({"type": kind, "offset": start, "length": pos - start, **extra})

    while i < len(source):
        char = source[i]
        if char == "\\" and i + 1 < len(source) and source[i + 1] in "_*`[":
            out.append(source[i + 1])
            pos += 1
            i += 2
        elif source.startswith("```", i):
            end = source.find("```", i + 3)
            if end == -1:
                raise unclosed(i)
            body = source[i + 3 : end]
            language = ""
            if "\n" in body:
                first, rest = body.split("\n", 1)
                if first and " " not in first:
                    language, body = first, rest
            if language:
                add("pre", body, language=language)
            else:
                add("pre", body)
            i = end + 3
        elif char in "*_`":
            end = source.find(char, i + 1)
            if end == -1:
                raise unclosed(i)
            add({"*": "bold", "_": "italic", "`": "code"}[char], source[i + 1 : end])
            i = end + 1
        elif char == "[":
            close = source.find("]", i + 1)
            if close == -1 or not source.startswith("(", close + 1):
                raise unclosed(i)
            end = source.find(")", close + 2)
            if end == -1:
                raise unclosed(i)
            add("text_link", source[i + 1 : close], url=source[close + 2 : end])
            i = end + 1
        else:
            out.append(char)
            pos += utf16_len(char)
            i += 1
    return "".join(out), _sorted_entities(entities)


def _sorted_entities(entities: list[JSON]) -> list[JSON]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def parse_text(text: str, parse_mode: str | None, entities: Any = None) -> tuple[str, list[JSON]]:
    """Plain text and entities for any parse_mode, raising the 400 Telegram would."""
    mode = (parse_mode or "").lower()
    if not mode:
        return text, list(entities) if isinstance(entities, list) else []
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise _bad(f"Bad Request: unsupported parse_mode {parse_mode!r}")


# --------------------------------------------------------------------------------------------
# Request decoding and validation helpers
# --------------------------------------------------------------------------------------------


def _decode_value(key: str, value: Any) -> Any:
    """Turn a wire value into what the caller meant (form values are always strings)."""
    if not isinstance(value, str) or key in _TEXT_KEYS:
        return value
    if key in _JSON_KEYS or value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value in ("true", "false"):
        return value == "true"
    if key in _INT_KEYS:
        try:
            return int(value)
        except ValueError:
            return value
    if key in _FLOAT_KEYS:
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _int_param(params: JSON, name: str) -> int:
    value = params.get(name)
    if value is None or value == "":
        raise _bad(f"Bad Request: {name} is empty")
    if isinstance(value, bool):
        raise _bad(f"Bad Request: invalid {name} specified")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad(f"Bad Request: invalid {name} specified") from None


def _float_param(params: JSON, name: str) -> float:
    value = params.get(name)
    if value is None or value == "":
        raise _bad(f"Bad Request: {name} is empty")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _bad(f"Bad Request: invalid {name} specified") from None


def _bool_param(params: JSON, name: str) -> bool:
    value = params.get(name, False)
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise _bad(BAD_MARKUP)
    actions = [key for key in _BUTTON_ACTIONS if key in button]
    if len(actions) != 1:
        raise _bad(BAD_MARKUP)
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str):
            raise _bad(BAD_MARKUP)
        if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise _bad(BUTTON_DATA_INVALID)
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
            raise _bad(BUTTON_URL_INVALID)


def _check_markup(value: Any, *, inline_only: bool = False) -> JSON | None:
    """Validate reply_markup like Telegram does; returns the parsed dict to store and echo."""
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise _bad(BAD_MARKUP)
    if "inline_keyboard" in value:
        rows = value["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad(BAD_MARKUP)
        for row in rows:
            for button in row:
                _check_inline_button(button)
        return copy.deepcopy(value)
    if inline_only:
        raise _bad(BAD_MARKUP)
    if "keyboard" in value:
        rows = value["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad(BAD_MARKUP)
        for row in rows:
            for button in row:
                if isinstance(button, str):
                    continue
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad(BAD_MARKUP)
        return copy.deepcopy(value)
    if value.get("remove_keyboard") is True or value.get("force_reply") is True:
        return copy.deepcopy(value)
    raise _bad(BAD_MARKUP)


def _same_markup(a: JSON | None, b: JSON | None) -> bool:
    """An empty inline keyboard is the same as none, as far as 'not modified' goes."""

    def norm(markup: JSON | None) -> JSON | None:
        if markup is not None and markup.get("inline_keyboard") in ([], [[]]):
            return None
        return markup

    return norm(a) == norm(b)


Handler = Callable[[JSON], Awaitable[Any]]


class FakeTelegram:
    """The fake Bot API: an aiohttp server on 127.0.0.1 plus the chat state tests assert on."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        strict: bool = False,
        clock: Callable[[], float] = time.time,
        bot_username: str = "rotabot_test_bot",
        bot_first_name: str = "Rota Bot",
    ) -> None:
        self.token = token
        self.strict = strict
        self.clock = clock
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 123456789

        self.calls: list[Call] = []
        self.unknown_calls: list[Call] = []
        self.internal_errors: list[Exception] = []  # bugs in the fake itself; should stay empty
        self.rate_limited: list[tuple[str, int | str | None]] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.files: dict[str, UploadedFile | str] = {}
        self.menu_buttons: dict[int | None, Any] = {}
        self.users: dict[int, FakeUser] = {}
        self.groups: dict[int, FakeGroup] = {}
        self.updates: list[JSON] = []  # queued, not yet acknowledged by an offset
        # Called with (message, "sent" | "edited") as the bot's messages appear or change:
        # the demo prints its transcript from here.
        self.observers: list[Callable[[BotMessage, str], None]] = []

        self._chats: dict[int, _Chat] = {}
        self._started: set[int] = set()
        self._blocked: set[int] = set()
        self._left_chats: set[int] = set()  # groups the bot left (leaveChat)
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._queries: dict[str, _PendingQuery] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._delays: dict[str, tuple[float, bool]] = {}
        self._outage = False
        self._outage_updates = False
        self._allowed_updates: frozenset[str] = _DEFAULT_ALLOWED
        self._next_update_id = 1
        self._next_user_id = 1000
        self._next_group = 1
        self._next_query = 1
        self._next_file = 1
        self._poll_generation = 0
        self._closing = False
        self._updates_signal = _Signal()
        self._state_signal = _Signal()
        self._global_bucket: _TokenBucket | None = None
        self._chat_buckets: dict[int | str, _TokenBucket] = {}

        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._handlers: dict[str, tuple[str, Handler]] = {}
        for name, handler in {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendLocation": self._send_location,
            "editMessageLiveLocation": self._edit_message_live_location,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "leaveChat": self._leave_chat,
            "setChatMenuButton": self._set_chat_menu_button,
        }.items():
            self._handlers[name.lower()] = (name, handler)

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> FakeTelegram:
        """Serve on 127.0.0.1 with an OS-chosen port, so parallel test runs never collide."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        addresses = runner.addresses
        if not addresses:
            await runner.cleanup()
            raise RuntimeError("fake Telegram server did not open a socket")
        self._port = int(addresses[0][1])
        self._runner = runner
        self._closing = False
        return self

    async def stop(self) -> None:
        """Release open long polls first so shutdown does not wait for their timeout."""
        self._closing = True
        self._updates_signal.fire()
        self._state_signal.fire()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (only known once started)."""
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started; await tg.start() first")
        return self._port

    @property
    def base_url(self) -> str:
        """What to pass to ``ApplicationBuilder().base_url()``; PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def api_url(self) -> str:
        """The full method prefix, for tests that post with a plain HTTP client."""
        return f"{self.base_url}{self.token}"

    # ---------------------------------------------------------------- people

    def bot_user(self) -> JSON:
        """The bot as a User object, the ``from`` of every message it sends."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        user_id: int | None = None,
    ) -> FakeUser:
        """Create a simulated person; they have not started the bot until they send something."""
        if user_id is None:
            while self._next_user_id in self.users or self._next_user_id == self.bot_id:
                self._next_user_id += 1
            user_id = self._next_user_id
            self._next_user_id += 1
        elif user_id in self.users or user_id <= 0:
            raise ValueError(f"user id {user_id} is taken or not positive")
        person = FakeUser(self, user_id, first_name, last_name=last_name, username=username)
        self.users[user_id] = person
        self._chats[user_id] = _Chat(id=user_id, type="private")
        return person

    def group(
        self,
        title: str,
        members: list[FakeUser] | tuple[FakeUser, ...] = (),
        *,
        admins: list[FakeUser] | tuple[FakeUser, ...] = (),
    ) -> FakeGroup:
        """Create a supergroup the bot is a member of (negative id like real groups)."""
        chat_id = -100 - self._next_group
        self._next_group += 1
        group = FakeGroup(self, chat_id, title, members=[*members], admins=[*admins])
        self.groups[chat_id] = group
        self._chats[chat_id] = _Chat(id=chat_id, type="supergroup", title=title)
        return group

    def group_added_by(
        self,
        by: FakeUser,
        title: str,
        members: list[FakeUser] | tuple[FakeUser, ...] = (),
        *,
        admins: list[FakeUser] | tuple[FakeUser, ...] = (),
    ) -> FakeGroup:
        """A group someone made and then added the bot to (any group, not the team's).

        ``by`` is its creator (an admin). The bot gets the ``my_chat_member`` update (and the
        "new member" service message) it would get from Telegram, if it asked for them.
        """
        group = self.group(title, members, admins=[by, *[a for a in admins if a is not by]])
        self._left_chats.add(group.chat_id)
        self.add_bot_to_group(group, by=by)
        return group

    def add_bot_to_group(self, group: FakeGroup, *, by: FakeUser) -> JSON:
        """A member adds the bot to a group; returns the ``my_chat_member`` update queued.

        Like Telegram, two updates are queued: ``my_chat_member`` (left -> member, ``from`` is
        who added it; only delivered if the bot lists it in ``allowed_updates``) and a
        service ``message`` with ``new_chat_members`` [the bot]. Groups made by ``tg.group``
        already have the bot; this is for a group it left or one made by ``group_added_by``.
        """
        if by not in group.members:
            raise AssertionError(f"{by} is not a member of {group}; only members add bots")
        self._left_chats.discard(group.chat_id)
        update = self.queue_update(
            "my_chat_member",
            {
                "chat": self.chat_dict(group.chat_id),
                "from": by.to_dict(),
                "date": int(self.clock()),
                "old_chat_member": {"status": "left", "user": self.bot_user()},
                "new_chat_member": {"status": "member", "user": self.bot_user()},
            },
        )
        self.new_user_message(group.chat_id, by, {"new_chat_members": [self.bot_user()]})
        return update

    def bot_left(self, group: FakeGroup) -> bool:
        """Whether the bot is out of a group (it called leaveChat, or was never added)."""
        return group.chat_id in self._left_chats

    def has_started(self, user: FakeUser) -> bool:
        """Whether the user ever wrote to the bot privately (so the bot may message them)."""
        return user.id in self._started

    def is_blocked(self, user: FakeUser) -> bool:
        """Whether the user currently blocks the bot."""
        return user.id in self._blocked

    def mark_started(self, user: FakeUser) -> None:
        """Record that the user opened a private chat; a user writing also unblocks the bot."""
        self._started.add(user.id)
        if user.id in self._blocked:
            self.unblock(user)

    def block(self, user: FakeUser, *, notify: bool = True) -> None:
        """The user blocks the bot: sends now fail with 403, as after a real block."""
        if user.id in self._blocked:
            return
        self._blocked.add(user.id)
        if notify:
            self._queue_member_change(user, "member", "kicked")

    def unblock(self, user: FakeUser, *, notify: bool = True) -> None:
        """The user unblocks (restarts) the bot."""
        if user.id not in self._blocked:
            return
        self._blocked.discard(user.id)
        if notify:
            self._queue_member_change(user, "kicked", "member")

    def _queue_member_change(self, user: FakeUser, old: str, new: str) -> None:
        old_member: JSON = {"status": old, "user": self.bot_user()}
        new_member: JSON = {"status": new, "user": self.bot_user()}
        for member in (old_member, new_member):
            if member["status"] == "kicked":
                member["until_date"] = 0
        self.queue_update(
            "my_chat_member",
            {
                "chat": self.chat_dict(user.id),
                "from": user.to_dict(),
                "date": int(self.clock()),
                "old_chat_member": old_member,
                "new_chat_member": new_member,
            },
        )

    # ---------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        count: int = 1,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail with this error."""
        queue = self._failures.setdefault(method.lower(), deque())
        for _ in range(count):
            queue.append(_Failure(status, description, retry_after))

    def set_outage(self, on: bool, *, include_updates: bool = False) -> None:
        """Telegram is down: everything answers 502 (getUpdates too if include_updates)."""
        self._outage = on
        self._outage_updates = on and include_updates
        self._updates_signal.fire()

    def set_delay(self, method: str, seconds: float, *, before: bool = False) -> None:
        """Answer ``method`` late; by default the effect happens first, like a slow network.

        With ``before=True`` the server waits before acting, so a client that gives up early
        leaves no trace. ``seconds=0`` removes the delay.
        """
        if seconds <= 0:
            self._delays.pop(method.lower(), None)
        else:
            self._delays[method.lower()] = (seconds, before)

    # ---------------------------------------------------------------- chat state

    def chat_dict(self, chat_id: int) -> JSON:
        """The Chat object for a known chat, as it appears inside messages."""
        chat = self._chats[chat_id]
        if chat.type == "private":
            return self.users[chat_id].private_chat_dict()
        return {"id": chat.id, "type": chat.type, "title": chat.title}

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[BotMessage]:
        """The bot's messages in a chat, oldest first."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [m for m in chat.bot_messages.values() if include_deleted or not m.deleted]

    def message(self, chat_id: int, message_id: int) -> BotMessage:
        """One bot message by id (also deleted ones)."""
        try:
            return self._chats[chat_id].bot_messages[message_id]
        except KeyError:
            raise AssertionError(f"no bot message #{message_id} in chat {chat_id}") from None

    def describe_chat(self, chat_id: int, last: int = 5) -> str:
        """The chat's last few bot messages, for assertion messages."""
        shown = self.messages(chat_id, include_deleted=True)[-last:]
        if not shown:
            return "  (the bot has sent nothing in this chat)"
        return "\n".join(f"  {m.describe()}" for m in shown)

    async def wait_for(
        self,
        chat_id: int,
        text_contains: str,
        *,
        timeout: float = 5.0,
        after: int | None = None,
    ) -> BotMessage:
        """The first bot message (newer than ``after``) whose current text contains a string."""

        def find() -> BotMessage | None:
            for msg in self.messages(chat_id):
                if (after is None or msg.message_id > after) and text_contains in msg.text:
                    return msg
            return None

        found = await self._state_signal.wait_until(find, timeout)
        if found is None:
            newer = f" after #{after}" if after is not None else ""
            raise AssertionError(
                f"no bot message containing {text_contains!r}{newer} in chat {chat_id} "
                f"within {timeout}s; last messages:\n{self.describe_chat(chat_id)}"
            )
        return found

    async def wait_for_count(self, chat_id: int, n: int, timeout: float = 5.0) -> list[BotMessage]:
        """Wait until the chat shows at least ``n`` (undeleted) bot messages."""

        def enough() -> list[BotMessage]:
            shown = self.messages(chat_id)
            return shown if len(shown) >= n else []

        shown = await self._state_signal.wait_until(enough, timeout)
        if len(shown) < n:
            raise AssertionError(
                f"expected {n} bot messages in chat {chat_id} within {timeout}s, saw "
                f"{len(self.messages(chat_id))}:\n{self.describe_chat(chat_id)}"
            )
        return shown

    async def wait_for_call(self, method: str, *, timeout: float = 5.0, after: int = 0) -> Call:
        """The first finished call of ``method`` at index >= ``after`` in ``tg.calls``."""

        def find() -> Call | None:
            for call in self.calls[after:]:
                if call.method == method and call.status:
                    return call
            return None

        found = await self._state_signal.wait_until(find, timeout)
        if found is None:
            seen = sorted({c.method for c in self.calls})
            raise AssertionError(f"{method} was not called within {timeout}s; calls: {seen}")
        return found

    def calls_to(self, method: str) -> list[Call]:
        """Every recorded call of one method."""
        return [c for c in self.calls if c.method == method]

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command list the bot set for a scope and language."""
        return list(self._commands.get(self._commands_key(scope, language_code), []))

    def callback_answer(self, query_id: str) -> CallbackAnswer | None:
        """The answer to a callback query, None while unanswered."""
        query = self._queries.get(query_id)
        return query.answer if query else None

    def message_dict(self, msg: BotMessage) -> JSON:
        """A bot message as a Message object, in its current (edited) state."""
        result: JSON = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": self.chat_dict(msg.chat_id),
            "from": self.bot_user(),
        }
        if msg.edit_date is not None:
            result["edit_date"] = msg.edit_date
        if msg.kind == "text":
            result["text"] = msg.text
            if msg.entities:
                result["entities"] = copy.deepcopy(msg.entities)
        elif msg.kind == "location":
            location: JSON = {"latitude": msg.latitude, "longitude": msg.longitude}
            if msg.live_period is not None:
                location["live_period"] = msg.live_period
            result["location"] = location
        elif msg.kind in ("document", "photo"):
            file_info: JSON = {
                "file_id": msg.file_id,
                "file_unique_id": f"unique-{msg.file_id}",
            }
            if msg.file_size is not None:
                file_info["file_size"] = msg.file_size
            if msg.kind == "document":
                if msg.filename:
                    file_info["file_name"] = msg.filename
                if msg.mime_type:
                    file_info["mime_type"] = msg.mime_type
                result["document"] = file_info
            else:
                result["photo"] = [{**file_info, "width": 1280, "height": 960}]
            if msg.text:
                result["caption"] = msg.text
                if msg.entities:
                    result["caption_entities"] = copy.deepcopy(msg.entities)
        if msg.inline_markup is not None:
            result["reply_markup"] = copy.deepcopy(msg.inline_markup)
        return result

    # ---------------------------------------------------------------- used by people.py

    def queue_update(self, kind: str, payload: JSON) -> JSON:
        """Queue an update for the bot's next getUpdates and wake any long poll."""
        update: JSON = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self.updates.append(update)
        self._updates_signal.fire()
        return update

    def new_user_message(
        self, chat_id: int, user: FakeUser, content: JSON, *, sender: JSON | None = None
    ) -> JSON:
        """A message from a person: takes the chat's next message id and is queued.

        ``sender`` replaces ``from`` (an anonymous admin posts as GroupAnonymousBot). In a
        group the bot has left the message exists but no update is sent, as in Telegram.
        """
        chat = self._chats.get(chat_id)
        if chat is None:
            raise AssertionError(f"chat {chat_id} does not exist in the fake")
        message: JSON = {
            "message_id": chat.next_message_id,
            "date": int(self.clock()),
            "chat": self.chat_dict(chat_id),
            "from": dict(sender) if sender is not None else user.to_dict(),
            **content,
        }
        chat.next_message_id += 1
        chat.user_messages[message["message_id"]] = message
        if chat_id not in self._left_chats:
            self.queue_update("message", message)
        return message

    def user_message(self, chat_id: int, message_id: int) -> JSON:
        """A person's message in its current (possibly edited) state."""
        try:
            return self._chats[chat_id].user_messages[message_id]
        except KeyError:
            raise AssertionError(f"no user message #{message_id} in chat {chat_id}") from None

    def edit_user_message(
        self, message: JSON, changes: JSON, *, remove: tuple[str, ...] = ()
    ) -> JSON:
        """A person edits their message (e.g. a live location moves): an edited_message.

        ``remove`` drops fields first, so new text does not keep the old text's entities.
        """
        chat = self._chats[message["chat"]["id"]]
        kept = {k: v for k, v in message.items() if k not in remove}
        edited = {**kept, **changes, "edit_date": int(self.clock())}
        chat.user_messages[edited["message_id"]] = edited
        if chat.id not in self._left_chats:
            self.queue_update("edited_message", edited)
        return edited

    def queue_callback_query(self, user: FakeUser, msg: BotMessage, data: str) -> str:
        """A button press on a bot message; returns the query id to wait for an answer."""
        if msg.deleted:
            raise AssertionError(f"message #{msg.message_id} was deleted; it cannot be tapped")
        query_id = str(4_000_000_000_000 + self._next_query)
        self._next_query += 1
        self._queries[query_id] = _PendingQuery(
            id=query_id,
            user_id=user.id,
            chat_id=msg.chat_id,
            message_id=msg.message_id,
            data=data,
        )
        self.queue_update(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_dict(),
                "chat_instance": str(abs(msg.chat_id) * 7919 + 17),
                "data": data,
                "message": self.message_dict(msg),
            },
        )
        return query_id

    async def wait_callback_answer(self, query_id: str, timeout: float = 5.0) -> CallbackAnswer:
        """The bot's answerCallbackQuery for this query, or an AssertionError if it never came."""
        query = self._queries[query_id]
        answer = await self._state_signal.wait_until(lambda: query.answer, timeout)
        if answer is None:
            raise AssertionError(
                f"the bot never answered callback query {query_id} (data={query.data!r}) "
                f"within {timeout}s; Telegram clients would show a spinner"
            )
        return answer

    # ---------------------------------------------------------------- HTTP plumbing

    async def _handle(self, request: web.Request) -> web.Response:
        call = Call(method=request.path, params={}, at=time.monotonic())
        self.calls.append(call)
        match = re.fullmatch(r"bot([^/]+)/([A-Za-z0-9_]+)/?", request.match_info["tail"])
        if match is None:
            return self._finish(call, ApiError(404, NOT_FOUND).body(), 404)
        token, method = match.groups()
        known = self._handlers.get(method.lower())
        call.method = known[0] if known else method
        try:
            params, files = await self._read_params(request)
        except ApiError as exc:
            return self._finish(call, exc.body(), exc.status)
        call.params, call.files = params, files

        if token != self.token:
            return self._finish(call, ApiError(401, UNAUTHORIZED).body(), 401)
        if known is None:
            self.unknown_calls.append(call)
            return self._finish(call, ApiError(404, METHOD_NOT_FOUND).body(), 404)

        delay, before = self._delays.get(method.lower(), (0.0, False))
        if delay and before:
            await asyncio.sleep(delay)
        try:
            result = await self._dispatch(call.method, known[1], params)
        except ApiError as exc:
            body, status = exc.body(), exc.status
        except Exception as exc:  # a bug in the fake: answer like a server error, keep it visible
            self.internal_errors.append(exc)
            body, status = ApiError(500, f"Internal Server Error: {exc!r}").body(), 500
        else:
            body, status = {"ok": True, "result": result}, 200
        if delay and not before:
            await asyncio.sleep(delay)
        return self._finish(call, body, status)

    def _finish(self, call: Call, body: JSON, status: int) -> web.Response:
        call.status = status
        self._state_signal.fire()
        return web.json_response(body, status=status)

    async def _dispatch(self, method: str, handler: Handler, params: JSON) -> Any:
        """Outage, injected failures and flood limits come before the method itself."""
        is_updates = method == "getUpdates"
        if self._outage and (not is_updates or self._outage_updates):
            raise ApiError(502, BAD_GATEWAY)
        failures = self._failures.get(method.lower())
        if failures:
            failure = failures.popleft()
            raise ApiError(failure.status, failure.description, retry_after=failure.retry_after)
        if self.strict and self._is_flood_limited(method):
            self._take_flood_token(method, params)
        return await handler(params)

    async def _read_params(self, request: web.Request) -> tuple[JSON, list[UploadedFile]]:
        """Accept form, multipart and JSON bodies (plus query strings) like Telegram does."""
        raw: JSON = dict(request.query)
        files: list[UploadedFile] = []
        try:
            if request.content_type == "application/json":
                body = await request.read()
                if body.strip():
                    data = json.loads(body)
                    if not isinstance(data, dict):
                        raise _bad("Bad Request: request body must be a JSON object")
                    raw.update(data)
            elif request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        data_bytes = value.file.read()
                        upload = UploadedFile(
                            name=key,
                            filename=value.filename,
                            size=len(data_bytes),
                            content_type=value.content_type,
                            data=data_bytes,
                        )
                        files.append(upload)
                        raw[key] = upload
                    else:
                        raw[key] = value
        except ApiError:
            raise
        except Exception as exc:
            raise _bad(f"Bad Request: can't parse request body: {exc}") from exc
        params = {key: _decode_value(key, value) for key, value in raw.items()}
        by_name = {f.name: f for f in files}
        for key, value in params.items():
            if isinstance(value, str) and value.startswith("attach://"):
                attached = by_name.get(value.removeprefix("attach://"))
                if attached is not None:
                    params[key] = attached
        return params, files

    # ---------------------------------------------------------------- flood limits

    @staticmethod
    def _is_flood_limited(method: str) -> bool:
        if method == "sendChatAction":
            return False  # no message is produced; Telegram does not count it against chats
        return method.startswith(("send", "edit"))

    def _take_flood_token(self, method: str, params: JSON) -> None:
        now = time.monotonic()
        if self._global_bucket is None:
            self._global_bucket = _TokenBucket(30, 30.0, 30, now)
        buckets = [self._global_bucket]
        chat_key: int | str | None = None
        value = params.get("chat_id")
        if value is not None and value != "":
            try:
                chat_key = int(value)
            except (TypeError, ValueError):
                chat_key = str(value)
        if chat_key is not None:
            bucket = self._chat_buckets.get(chat_key)
            if bucket is None:
                chat = self._chats.get(chat_key) if isinstance(chat_key, int) else None
                is_private = (
                    chat.type == "private"
                    if chat
                    else (isinstance(chat_key, int) and chat_key > 0)
                )
                # private: a burst of 3, then 1/s; group: 20 per minute
                if is_private:
                    bucket = _TokenBucket(3, 1.0, 3, now)
                else:
                    bucket = _TokenBucket(20, 20 / 60, 20, now)
                self._chat_buckets[chat_key] = bucket
            buckets.append(bucket)
        wait = max(b.wait(now) for b in buckets)
        if wait > 0:
            self.rate_limited.append((method, chat_key))
            seconds = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
        for b in buckets:
            b.tokens -= 1

    # ---------------------------------------------------------------- shared checks

    def _chat_for_send(self, params: JSON) -> _Chat:
        """Resolve chat_id and refuse like Telegram: unknown chat, blocked, never started."""
        value = params.get("chat_id")
        if value is None or value == "":
            raise _bad("Bad Request: chat_id is empty")
        try:
            chat_id = int(value)
        except (TypeError, ValueError):
            raise _bad(CHAT_NOT_FOUND) from None
        chat = self._chats.get(chat_id)
        if chat is None:
            raise _bad(CHAT_NOT_FOUND)
        self._check_member(chat)
        if chat.type == "private":
            if chat_id in self._blocked:
                raise ApiError(403, BLOCKED)
            if chat_id not in self._started:
                raise ApiError(403, CANT_INITIATE)
        return chat

    def _known_chat(self, params: JSON) -> _Chat:
        value: Any = params.get("chat_id")
        try:
            chat = self._chats.get(int(value))
        except (TypeError, ValueError):
            chat = None
        if chat is None:
            raise _bad(CHAT_NOT_FOUND)
        self._check_member(chat)
        return chat

    def _check_member(self, chat: _Chat) -> None:
        """A group the bot left answers every method with 403, as Telegram does."""
        if chat.id in self._left_chats:
            raise ApiError(403, NOT_A_MEMBER)

    def _check_reply_target(self, chat: _Chat, params: JSON) -> int | None:
        target: Any = params.get("reply_to_message_id")
        allow = _bool_param(params, "allow_sending_without_reply")
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            target = reply.get("message_id")
            allow = allow or bool(reply.get("allow_sending_without_reply"))
        if target is None:
            return None
        try:
            target_id = int(target)
        except (TypeError, ValueError):
            raise _bad(REPLY_NOT_FOUND) from None
        bot_msg = chat.bot_messages.get(target_id)
        exists = (bot_msg is not None and not bot_msg.deleted) or (
            target_id in chat.user_messages and target_id not in chat.deleted_user_messages
        )
        if not exists:
            if allow:
                return None
            raise _bad(REPLY_NOT_FOUND)
        return target_id

    def _add_bot_message(self, chat: _Chat, params: JSON, **fields: Any) -> BotMessage:
        reply_to = self._check_reply_target(chat, params)
        msg = BotMessage(
            chat_id=chat.id,
            message_id=chat.next_message_id,
            date=int(self.clock()),
            reply_to_message_id=reply_to,
            params=dict(params),
            **fields,
        )
        chat.next_message_id += 1
        chat.bot_messages[msg.message_id] = msg
        self._state_signal.fire()
        self._notify(msg, "sent")
        return msg

    def _notify(self, msg: BotMessage, change: str) -> None:
        for observer in self.observers:
            observer(msg, change)

    @staticmethod
    def _message_text(params: JSON) -> tuple[str, str, list[JSON]]:
        raw = params.get("text")
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = str(raw)  # a JSON client may send a number; Telegram takes it as text
        if not isinstance(raw, str):
            raise _bad(TEXT_EMPTY)
        text, entities = parse_text(raw, params.get("parse_mode"), params.get("entities"))
        if not text.strip():
            raise _bad(TEXT_EMPTY)
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise _bad(TEXT_TOO_LONG)
        return raw, text, entities

    @staticmethod
    def _caption(params: JSON) -> tuple[str, str, list[JSON]]:
        raw = params.get("caption")
        if not isinstance(raw, str) or not raw:
            return "", "", []
        text, entities = parse_text(raw, params.get("parse_mode"), params.get("caption_entities"))
        if utf16_len(text) > MAX_CAPTION_LENGTH:
            raise _bad(CAPTION_TOO_LONG)
        return raw, text, entities

    def _message_to_edit(self, params: JSON) -> BotMessage:
        if params.get("inline_message_id"):
            raise _bad("Bad Request: MESSAGE_ID_INVALID")
        chat = self._known_chat(params)
        if chat.type == "private" and chat.id in self._blocked:
            raise ApiError(403, BLOCKED)
        message_id = _int_param(params, "message_id")
        msg = chat.bot_messages.get(message_id)
        if msg is None or msg.deleted:
            if message_id in chat.user_messages and message_id not in chat.deleted_user_messages:
                raise _bad(CANT_BE_EDITED)
            raise _bad(EDIT_NOT_FOUND)
        return msg

    def _mark_edited(self, msg: BotMessage, params: JSON) -> None:
        msg.edited += 1
        msg.edit_date = int(self.clock())
        msg.params = dict(params)
        self._state_signal.fire()
        self._notify(msg, "edited")

    def _new_file_id(self, upload: UploadedFile | str) -> str:
        file_id = f"FAKEFILE{self._next_file:06d}"
        self._next_file += 1
        self.files[file_id] = upload
        return file_id

    def _file_param(self, params: JSON, name: str) -> tuple[str, UploadedFile | None]:
        value = params.get(name)
        if isinstance(value, UploadedFile):
            if value.size > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            return self._new_file_id(value), value
        if isinstance(value, str) and value:
            if value in self.files:
                known = self.files[value]
                return value, known if isinstance(known, UploadedFile) else None
            if re.match(r"^https?://", value):
                return self._new_file_id(value), None
            raise _bad("Bad Request: wrong file identifier/HTTP URL specified")
        raise _bad(f"Bad Request: there is no {name} in the request")

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope = scope if isinstance(scope, dict) and scope else {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    # ---------------------------------------------------------------- methods

    async def _true(self, params: JSON) -> bool:
        return True

    async def _get_me(self, params: JSON) -> JSON:
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _delete_webhook(self, params: JSON) -> bool:
        if _bool_param(params, "drop_pending_updates"):
            self.updates.clear()
        return True

    async def _get_webhook_info(self, params: JSON) -> JSON:
        pending = len(self.updates)
        return {"url": "", "has_custom_certificate": False, "pending_update_count": pending}

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("Bad Request: can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("Bad Request: can't parse commands JSON object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad("Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise _bad("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self.commands(params.get("scope"), params.get("language_code") or "")

    async def _delete_my_commands(self, params: JSON) -> bool:
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self._commands.pop(key, None)
        return True

    async def _get_updates(self, params: JSON) -> list[JSON]:
        try:
            offset = int(params.get("offset") or 0)
            limit = min(max(int(params.get("limit") or 100), 1), 100)
            timeout = max(float(params.get("timeout") or 0), 0.0)
        except (TypeError, ValueError):
            raise _bad("Bad Request: invalid offset, limit or timeout") from None
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else _DEFAULT_ALLOWED
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]

        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.fire()  # an older long poll still waiting must give way

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._closing:
                return []
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT)
            if self._outage and self._outage_updates:
                raise ApiError(502, BAD_GATEWAY)
            ready = self._deliverable(limit)
            remaining = deadline - loop.time()
            if ready or remaining <= 0:
                return ready
            await self._updates_signal.wait(remaining)

    def _deliverable(self, limit: int) -> list[JSON]:
        """Updates the bot asked for; other types are dropped, as Telegram never sends them."""
        kept = [u for u in self.updates if self._update_kind(u) in self._allowed_updates]
        self.updates = kept
        return copy.deepcopy(kept[:limit])

    @staticmethod
    def _update_kind(update: JSON) -> str:
        return next(k for k in update if k != "update_id")

    async def _send_message(self, params: JSON) -> JSON:
        chat = self._chat_for_send(params)
        raw, text, entities = self._message_text(params)
        markup = _check_markup(params.get("reply_markup"))
        msg = self._add_bot_message(
            chat,
            params,
            text=text,
            raw_text=raw,
            parse_mode=params.get("parse_mode"),
            entities=entities,
            reply_markup=markup,
        )
        return self.message_dict(msg)

    async def _edit_message_text(self, params: JSON) -> JSON:
        msg = self._message_to_edit(params)
        if msg.kind != "text":
            raise _bad(NO_TEXT_TO_EDIT)
        raw, text, entities = self._message_text(params)
        markup = _check_markup(params.get("reply_markup"), inline_only=True)
        if (
            text == msg.text
            and entities == msg.entities
            and _same_markup(markup, msg.inline_markup)
        ):
            raise _bad(NOT_MODIFIED)
        msg.text, msg.raw_text, msg.entities = text, raw, entities
        msg.parse_mode = params.get("parse_mode")
        msg.reply_markup = markup
        self._mark_edited(msg, params)
        return self.message_dict(msg)

    async def _edit_message_reply_markup(self, params: JSON) -> JSON:
        msg = self._message_to_edit(params)
        markup = _check_markup(params.get("reply_markup"), inline_only=True)
        if _same_markup(markup, msg.inline_markup):
            raise _bad(NOT_MODIFIED)
        msg.reply_markup = markup
        self._mark_edited(msg, params)
        return self.message_dict(msg)

    async def _delete_message(self, params: JSON) -> bool:
        chat = self._known_chat(params)
        message_id = _int_param(params, "message_id")
        msg = chat.bot_messages.get(message_id)
        if msg is not None and not msg.deleted:
            if self.clock() - msg.date > DELETE_WINDOW_SECONDS:
                raise _bad(CANT_DELETE)
            msg.deleted = True
        elif message_id in chat.user_messages and message_id not in chat.deleted_user_messages:
            user_msg = chat.user_messages[message_id]
            if self.clock() - user_msg["date"] > DELETE_WINDOW_SECONDS:
                raise _bad(CANT_DELETE)
            chat.deleted_user_messages.add(message_id)
        else:
            raise _bad(DELETE_NOT_FOUND)
        self._state_signal.fire()
        return True

    async def _answer_callback_query(self, params: JSON) -> bool:
        query = self._queries.get(str(params.get("callback_query_id", "")))
        if query is None or query.answer is not None:
            raise _bad(QUERY_TOO_OLD)
        text = params.get("text")
        if isinstance(text, str) and utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("Bad Request: MESSAGE_TOO_LONG")
        cache_time = params.get("cache_time")
        query.answer = CallbackAnswer(
            text=text if isinstance(text, str) else None,
            show_alert=_bool_param(params, "show_alert"),
            url=params.get("url"),
            cache_time=int(cache_time) if cache_time is not None else None,
        )
        self._state_signal.fire()
        return True

    async def _send_location(self, params: JSON) -> JSON:
        chat = self._chat_for_send(params)
        latitude = _float_param(params, "latitude")
        longitude = _float_param(params, "longitude")
        if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
            raise _bad("Bad Request: wrong location specified")
        live_period = params.get("live_period")
        if live_period is not None:
            live_period = int(live_period)
            if not (60 <= live_period <= 86400 or live_period == 0x7FFFFFFF):
                raise _bad("Bad Request: wrong live period specified")
        msg = self._add_bot_message(
            chat,
            params,
            kind="location",
            latitude=latitude,
            longitude=longitude,
            live_period=live_period,
            reply_markup=_check_markup(params.get("reply_markup")),
        )
        return self.message_dict(msg)

    async def _edit_message_live_location(self, params: JSON) -> JSON:
        """Move a live location the bot sent; a plain or expired one can't be edited."""
        msg = self._message_to_edit(params)
        if msg.kind != "location" or msg.live_period is None:
            raise _bad(CANT_BE_EDITED)
        if msg.live_period != 0x7FFFFFFF and self.clock() > msg.date + msg.live_period:
            raise _bad(CANT_BE_EDITED)
        latitude = _float_param(params, "latitude")
        longitude = _float_param(params, "longitude")
        if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
            raise _bad("Bad Request: wrong location specified")
        if (latitude, longitude) == (msg.latitude, msg.longitude):
            raise _bad(NOT_MODIFIED)
        msg.latitude, msg.longitude = latitude, longitude
        self._mark_edited(msg, params)
        return self.message_dict(msg)

    async def _send_file(self, params: JSON, kind: str) -> JSON:
        chat = self._chat_for_send(params)
        file_id, upload = self._file_param(params, kind)
        raw, caption, entities = self._caption(params)
        msg = self._add_bot_message(
            chat,
            params,
            kind=kind,
            text=caption,
            raw_text=raw,
            parse_mode=params.get("parse_mode"),
            entities=entities,
            reply_markup=_check_markup(params.get("reply_markup")),
            file_id=file_id,
            filename=upload.filename if upload else None,
            file_size=upload.size if upload else None,
            mime_type=upload.content_type if upload else None,
        )
        return self.message_dict(msg)

    async def _send_document(self, params: JSON) -> JSON:
        return await self._send_file(params, "document")

    async def _send_photo(self, params: JSON) -> JSON:
        return await self._send_file(params, "photo")

    async def _send_chat_action(self, params: JSON) -> bool:
        chat = self._chat_for_send(params)
        action = params.get("action")
        if action not in _CHAT_ACTIONS:
            raise _bad("Bad Request: wrong parameter action in request")
        self.chat_actions.append((chat.id, str(action)))
        return True

    async def _get_chat(self, params: JSON) -> JSON:
        chat = self._known_chat(params)
        return {
            **self.chat_dict(chat.id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    async def _get_chat_member(self, params: JSON) -> JSON:
        chat = self._known_chat(params)
        user_id = _int_param(params, "user_id")
        if user_id == self.bot_id:
            return {"status": "member", "user": self.bot_user()}
        person = self.users.get(user_id)
        if person is None:
            raise _bad("Bad Request: user not found")
        if chat.type == "private":
            if user_id != chat.id:
                raise _bad("Bad Request: user not found")
            return {"status": "member", "user": person.to_dict()}
        group = self.groups[chat.id]
        if person in group.admins:
            return self._admin_member(person)
        if person in group.members:
            return {"status": "member", "user": person.to_dict()}
        return {"status": "left", "user": person.to_dict()}

    @staticmethod
    def _admin_member(person: FakeUser) -> JSON:
        """A ChatMemberAdministrator object, every field PTB 22 requires."""
        return {
            "status": "administrator",
            "user": person.to_dict(),
            "can_be_edited": False,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": True,
            "can_manage_video_chats": True,
            "can_restrict_members": True,
            "can_promote_members": False,
            "can_change_info": True,
            "can_invite_users": True,
            "can_post_stories": False,
            "can_edit_stories": False,
            "can_delete_stories": False,
            "can_pin_messages": True,
        }

    async def _get_chat_administrators(self, params: JSON) -> list[JSON]:
        chat = self._known_chat(params)
        if chat.type == "private":
            raise _bad("Bad Request: there are no administrators in the private chat")
        return [self._admin_member(person) for person in self.groups[chat.id].admins]

    async def _leave_chat(self, params: JSON) -> bool:
        chat = self._known_chat(params)
        if chat.type == "private":
            raise _bad(PRIVATE_LEAVE)
        self._left_chats.add(chat.id)
        self.queue_update(
            "my_chat_member",
            {
                "chat": self.chat_dict(chat.id),
                "from": self.bot_user(),
                "date": int(self.clock()),
                "old_chat_member": {"status": "member", "user": self.bot_user()},
                "new_chat_member": {"status": "left", "user": self.bot_user()},
            },
        )
        self._state_signal.fire()
        return True

    async def _set_chat_menu_button(self, params: JSON) -> bool:
        chat_id = self._known_chat(params).id if params.get("chat_id") is not None else None
        self.menu_buttons[chat_id] = params.get("menu_button", {"type": "default"})
        return True
