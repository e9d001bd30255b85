"""Simulated Telegram users and groups that talk to the bot through the fake server.

Tests read like a conversation (``await alice.send("/start")``, ``await alice.tap("Yes")``)
while every action produces the complete update a real Telegram client would cause.
"""

# The waiting helpers take ``timeout`` on purpose: tests read better as tap(..., timeout=2).
# ruff: noqa: ASYNC109

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Protocol

from .formatting import utf16_len
from .records import BotMessage, CallbackAnswer
from .wire import JSON

# The account Telegram puts in ``from`` when a group admin posts anonymously ("Remain anonymous").
ANONYMOUS_ADMIN: JSON = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
# Who a forwarded text came from when a test does not say: someone the bot has never seen.
SOMEONE_ELSE: JSON = {"id": 5_550_001, "is_bot": False, "first_name": "Someone Else"}
# What a forward copies from the original message (Telegram keeps the content and entities).
_FORWARDED_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "location",
    "venue",
    "contact",
    "photo",
    "document",
    "sticker",
)


class Telegram(Protocol):
    """What a simulated person needs from Telegram; the fake's chat state provides it.

    Declared here, on the people's side, so people never import the server that creates them.
    """

    clock: Callable[[], float]

    def mark_started(self, user: FakeUser) -> None: ...
    def has_started(self, user: FakeUser) -> bool: ...
    def is_blocked(self, user: FakeUser) -> bool: ...
    def bot_left(self, group: FakeGroup) -> bool: ...
    def add_bot_to_group(self, group: FakeGroup, *, by: FakeUser) -> JSON: ...
    def chat_dict(self, chat_id: int) -> JSON: ...
    def message_dict(self, msg: BotMessage) -> JSON: ...
    def new_user_message(
        self, chat_id: int, user: FakeUser, content: JSON, *, sender: JSON | None = None
    ) -> JSON: ...
    def user_message(self, chat_id: int, message_id: int) -> JSON: ...
    def edit_user_message(
        self, message: JSON, changes: JSON, *, remove: tuple[str, ...] = ()
    ) -> JSON: ...
    def queue_callback_query(self, user: FakeUser, msg: BotMessage, data: str) -> str: ...
    async def wait_callback_answer(
        self, query_id: str, timeout: float = 15.0
    ) -> CallbackAnswer: ...
    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[BotMessage]: ...
    def describe_chat(self, chat_id: int, last: int = 5) -> str: ...
    async def wait_for(
        self, chat_id: int, text_contains: str, *, timeout: float = 15.0, after: int | None = None
    ) -> BotMessage: ...
    async def wait_for_count(
        self, chat_id: int, n: int, timeout: float = 15.0
    ) -> list[BotMessage]: ...


def _text_content(text: str) -> JSON:
    """Text plus the bot_command entity Telegram adds, which PTB's CommandHandler needs."""
    content: JSON = {"text": text}
    if text.startswith("/") and len(text) > 1:
        command = text.split(maxsplit=1)[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
    return content


class FakeUser:
    """A person with a Telegram account; their private chat with the bot has id == user id."""

    def __init__(
        self,
        tg: Telegram,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str = "en",
    ) -> None:
        self.tg = tg
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self._live_location: JSON | None = None

    def __repr__(self) -> str:
        return f"FakeUser({self.first_name!r}, id={self.id})"

    @property
    def chat_id(self) -> int:
        """Private chats share the user's id, as in real Telegram."""
        return self.id

    @property
    def started(self) -> bool:
        """Whether the bot may message this user (they wrote to it first)."""
        return self.tg.has_started(self)

    @property
    def blocked(self) -> bool:
        """Whether this user currently blocks the bot."""
        return self.tg.is_blocked(self)

    def to_dict(self) -> JSON:
        """The User object that appears as ``from`` in this person's updates."""
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            user["last_name"] = self.last_name
        if self.username is not None:
            user["username"] = self.username
        user["language_code"] = self.language_code
        return user

    def private_chat_dict(self) -> JSON:
        """The Chat object of this person's private chat with the bot."""
        chat: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            chat["last_name"] = self.last_name
        if self.username is not None:
            chat["username"] = self.username
        return chat

    # ---------------------------------------------------------------- talking to the bot

    async def send(self, text: str) -> JSON:
        """Write to the bot privately; returns the Message dict (its ``message_id`` is handy)."""
        self.tg.mark_started(self)
        return self.tg.new_user_message(self.chat_id, self, _text_content(text))

    async def send_in(self, group: FakeGroup, text: str, *, anonymous: bool = False) -> JSON:
        """Write in a group; does not open a private chat, exactly like Telegram.

        With ``anonymous`` the person is an admin posting as the group ("Remain anonymous"):
        ``from`` is GroupAnonymousBot and ``sender_chat`` the group, so the bot cannot tell
        which admin wrote.
        """
        if self not in group.members:
            raise AssertionError(f"{self} is not a member of {group}; add them first")
        content = _text_content(text)
        if not anonymous:
            return self.tg.new_user_message(group.chat_id, self, content)
        if self not in group.admins:
            raise AssertionError(f"{self} is not an admin of {group}; only admins are anonymous")
        content["sender_chat"] = self.tg.chat_dict(group.chat_id)
        return self.tg.new_user_message(group.chat_id, self, content, sender=ANONYMOUS_ADMIN)

    async def forward(self, message: JSON | BotMessage, *, to: FakeGroup | None = None) -> JSON:
        """Forward a message (anyone's: text, location, venue, contact) to the bot or a group.

        The new message is the forwarder's (``from`` is this person) and carries
        ``forward_origin`` naming the original sender and date (Bot API 7+). The content is
        copied with its entities, so a forwarded "/invite" still has its bot_command entity,
        as in real Telegram. A forward of a forward keeps the first origin. A live location
        arrives as a plain location (no ``live_period``): the copy never moves.
        """
        original = self.tg.message_dict(message) if not isinstance(message, dict) else message
        content: JSON = {
            key: copy.deepcopy(original[key]) for key in _FORWARDED_KEYS if key in original
        }
        if not content:
            raise AssertionError(f"nothing to forward in {original!r}")
        for place in (content.get("location"), content.get("venue", {}).get("location")):
            if place is not None:
                for live in ("live_period", "heading", "proximity_alert_radius"):
                    place.pop(live, None)
        origin = original.get("forward_origin")
        if origin is None:
            sender = original.get("from")
            if sender is None:
                raise AssertionError("the message to forward has no sender (`from`)")
            origin = {"type": "user", "sender_user": sender, "date": original["date"]}
        content["forward_origin"] = copy.deepcopy(origin)
        return self._deliver(content, to)

    async def forward_text(
        self,
        text: str,
        *,
        origin: FakeUser | None = None,
        to: FakeGroup | None = None,
    ) -> JSON:
        """Forward a text someone else wrote (by default a stranger the bot never saw)."""
        sender = origin.to_dict() if origin is not None else dict(SOMEONE_ELSE)
        written: JSON = {
            "message_id": 1,
            "date": int(self.tg.clock()) - 60,
            "chat": {"id": sender["id"], "type": "private", "first_name": sender["first_name"]},
            "from": sender,
            **_text_content(text),
        }
        return await self.forward(written, to=to)

    async def send_venue(
        self, latitude: float, longitude: float, title: str, address: str
    ) -> JSON:
        """Share a place picked from the map: a ``venue`` that also carries ``location``."""
        self.tg.mark_started(self)
        location: JSON = {"latitude": latitude, "longitude": longitude}
        venue: JSON = {"location": dict(location), "title": title, "address": address}
        return self.tg.new_user_message(self.chat_id, self, {"venue": venue, "location": location})

    async def edit(self, message: JSON, new_text: str) -> JSON:
        """Edit one's own text message: the bot gets an ``edited_message`` with the new text.

        The bot_command entity is recomputed from the new text, as Telegram does, so an
        edited "/invite" re-delivers a command (PTB's CommandHandler handles it by default).
        """
        sender = message.get("from", {})
        if sender.get("id") != self.id and message.get("sender_chat") is None:
            raise AssertionError(f"{self} can only edit their own messages, not {sender!r}")
        if "text" not in message:
            raise AssertionError("only text messages can be edited to new text")
        current = self.tg.user_message(message["chat"]["id"], message["message_id"])
        return self.tg.edit_user_message(
            current, _text_content(new_text), remove=("text", "entities")
        )

    def _deliver(self, content: JSON, to: FakeGroup | None) -> JSON:
        """Queue a message from this person in their private chat or in a group."""
        if to is None:
            self.tg.mark_started(self)
            return self.tg.new_user_message(self.chat_id, self, content)
        if self not in to.members:
            raise AssertionError(f"{self} is not a member of {to}; add them first")
        return self.tg.new_user_message(to.chat_id, self, content)

    async def share_contact(self, phone: str) -> JSON:
        """Press a "share my phone number" keyboard button."""
        self.tg.mark_started(self)
        contact: JSON = {
            "phone_number": phone,
            "first_name": self.first_name,
            "user_id": self.id,
        }
        if self.last_name is not None:
            contact["last_name"] = self.last_name
        return self.tg.new_user_message(self.chat_id, self, {"contact": contact})

    async def share_location(
        self, latitude: float, longitude: float, live_period: int | None = None
    ) -> JSON:
        """Send a location; with ``live_period`` it is a live location that can be updated."""
        self.tg.mark_started(self)
        location: JSON = {"latitude": latitude, "longitude": longitude}
        if live_period is not None:
            location["live_period"] = live_period
        message = self.tg.new_user_message(self.chat_id, self, {"location": location})
        if live_period is not None:
            self._live_location = message
        return message

    async def update_live_location(self, latitude: float, longitude: float) -> JSON:
        """Move the live location: the bot gets an ``edited_message`` update."""
        message = self._live_location
        if message is None:
            raise AssertionError(f"{self} has not shared a live location")
        live_period = int(message["location"]["live_period"])
        if self.tg.clock() > message["date"] + live_period:
            raise AssertionError(f"{self}'s live location expired; clients stop updating it")
        location = {**message["location"], "latitude": latitude, "longitude": longitude}
        self._live_location = self.tg.edit_user_message(message, {"location": location})
        return self._live_location

    async def tap(
        self,
        button_text: str,
        *,
        message: BotMessage | None = None,
        contains: bool = False,
        timeout: float = 15.0,
    ) -> CallbackAnswer:
        """Tap an inline button and wait for the bot's answerCallbackQuery.

        Without ``message`` the newest message in the private chat having that button is used.
        """
        if message is None:
            for candidate in reversed(self.messages()):
                if candidate.find_button(button_text, contains=contains) is not None:
                    message = candidate
                    break
            else:
                raise AssertionError(
                    f"{self} sees no button {button_text!r} in the private chat; "
                    f"recent bot messages:\n{self.tg.describe_chat(self.chat_id)}"
                )
        button = message.find_button(button_text, contains=contains)
        if button is None:
            raise AssertionError(
                f"message #{message.message_id} has no button {button_text!r}; "
                f"it has {message.button_texts}"
            )
        if button.callback_data is None:
            raise AssertionError(
                f"button {button.text!r} opens {button.url!r}; it sends no callback query"
            )
        return await self.press_data(message, button.callback_data, timeout=timeout)

    async def press_data(
        self, message: BotMessage, data: str, *, timeout: float = 15.0
    ) -> CallbackAnswer:
        """Send a callback query with any data, as a modified client could (e.g. stale data)."""
        query_id = self.tg.queue_callback_query(self, message, data)
        return await self.tg.wait_callback_answer(query_id, timeout)

    # ---------------------------------------------------------------- what the user sees

    def messages(self, *, include_deleted: bool = False) -> list[BotMessage]:
        """The bot's messages in the private chat, oldest first."""
        return self.tg.messages(self.chat_id, include_deleted=include_deleted)

    def last(self) -> BotMessage:
        """The newest bot message in the private chat."""
        shown = self.messages()
        if not shown:
            raise AssertionError(f"the bot has sent nothing to {self}")
        return shown[-1]

    async def wait_for(
        self, text_contains: str, *, timeout: float = 15.0, after: int | None = None
    ) -> BotMessage:
        """The first bot message (newer than message id ``after``) containing the text."""
        return await self.tg.wait_for(self.chat_id, text_contains, timeout=timeout, after=after)

    async def wait_for_count(self, n: int, timeout: float = 15.0) -> list[BotMessage]:
        """Wait until the private chat shows at least ``n`` bot messages."""
        return await self.tg.wait_for_count(self.chat_id, n, timeout)


class FakeGroup:
    """A supergroup the bot is in; members can write and tap buttons in it."""

    def __init__(
        self,
        tg: Telegram,
        chat_id: int,
        title: str,
        *,
        members: list[FakeUser],
        admins: list[FakeUser],
    ) -> None:
        self.tg = tg
        self.chat_id = chat_id
        self.title = title
        self.members: list[FakeUser] = list(members)
        self.admins: list[FakeUser] = list(admins)
        for admin in admins:
            if admin not in self.members:
                self.members.append(admin)

    def __repr__(self) -> str:
        return f"FakeGroup({self.title!r}, chat_id={self.chat_id})"

    def add(self, user: FakeUser) -> None:
        """Add a member (no service message is generated)."""
        if user not in self.members:
            self.members.append(user)

    def remove(self, user: FakeUser) -> None:
        """Remove a member, so getChatMember reports them as "left"."""
        if user in self.members:
            self.members.remove(user)
        if user in self.admins:
            self.admins.remove(user)

    @property
    def bot_left(self) -> bool:
        """Whether the bot is out of this group (it called leaveChat, or was never added back)."""
        return self.tg.bot_left(self)

    async def add_bot(self, *, by: FakeUser) -> JSON:
        """A member adds the bot to this group: the bot gets a ``my_chat_member`` update."""
        return self.tg.add_bot_to_group(self, by=by)

    def messages(self, *, include_deleted: bool = False) -> list[BotMessage]:
        """The bot's messages in the group, oldest first."""
        return self.tg.messages(self.chat_id, include_deleted=include_deleted)

    def last(self) -> BotMessage:
        """The newest bot message in the group."""
        shown = self.messages()
        if not shown:
            raise AssertionError(f"the bot has sent nothing to {self}")
        return shown[-1]

    async def wait_for(
        self, text_contains: str, *, timeout: float = 15.0, after: int | None = None
    ) -> BotMessage:
        """The first bot message in the group (newer than ``after``) containing the text."""
        return await self.tg.wait_for(self.chat_id, text_contains, timeout=timeout, after=after)

    async def wait_for_count(self, n: int, timeout: float = 15.0) -> list[BotMessage]:
        """Wait until the group shows at least ``n`` bot messages."""
        return await self.tg.wait_for_count(self.chat_id, n, timeout)
