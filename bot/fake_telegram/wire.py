"""What Telegram says on the wire: its error answers, word for word, and its size limits.

Every other module of the fake raises these, so a bot under test meets exactly the
descriptions it would match on in production.
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]

DEFAULT_TOKEN = "123456789:AAFakeTokenForRotabotEndToEndTests"
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
DELETE_WINDOW_SECONDS = 48 * 3600
# A live location sent with this live_period never expires (Bot API 7.7+).
LIVE_FOREVER = 0x7FFFFFFF

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


def bad(description: str) -> ApiError:
    """A 400 Bad Request, the answer to almost every mistake a bot makes."""
    return ApiError(400, description)
