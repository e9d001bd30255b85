"""Telegram's HTML formatting (parse_mode), the most common source of 400s in real bots.

Telegram measures in UTF-16 and refuses a message with one stray ``<`` or ``&``; the parser
reproduces both, with Telegram's own error wording and byte offsets.
"""

from __future__ import annotations

import re
from typing import Any

from .wire import CANT_PARSE_ENTITIES, JSON, ApiError, bad


def utf16_len(text: str) -> int:
    """Telegram measures offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _entity_error(detail: str) -> ApiError:
    return bad(CANT_PARSE_ENTITIES + detail)


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


def _sorted_entities(entities: list[JSON]) -> list[JSON]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def parse_text(text: str, parse_mode: str | None, entities: Any = None) -> tuple[str, list[JSON]]:
    """Plain text and entities for a message, raising the 400 Telegram would.

    rotabot sends HTML only (``Defaults(parse_mode=ParseMode.HTML)`` in bot/app.py), so HTML is
    the one dialect modelled. Telegram's Markdown dialects are refused as a gap in the fake, not
    answered with a 400 Telegram would never send: the request fails with a 500 and lands in
    ``FakeTelegram.internal_errors``, which the end-to-end tests check is empty.
    """
    mode = (parse_mode or "").lower()
    if not mode:
        return text, list(entities) if isinstance(entities, list) else []
    if mode == "html":
        return parse_html(text)
    if mode in ("markdown", "markdownv2"):
        raise NotImplementedError(
            f"the fake Telegram parses HTML only, not parse_mode {parse_mode!r}; "
            "model the dialect in bot/fake_telegram/formatting.py before the bot uses it"
        )
    raise bad(f"Bad Request: unsupported parse_mode {parse_mode!r}")
