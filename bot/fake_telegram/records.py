"""What the fake recorded: requests, uploaded files, and the bot's messages as a person sees them.

Plain data with a few read helpers, so assertions read like the chat (``msg.button_texts``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .wire import JSON


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
