"""The fake's chat state: people, groups, chats, messages, pending updates and button presses.

Everything Telegram would remember between requests lives in a ``World``. Simulated people
change it (a message, a tap), the Bot API methods change it (a send, an edit), and tests read
it and wait on it. It knows nothing of HTTP; ``server.FakeTelegram`` serves it.
"""

# The waiting helpers take ``timeout`` on purpose: tests read better as wait_for(..., timeout=2).
# ruff: noqa: ASYNC109

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .people import FakeGroup, FakeUser
from .records import BotMessage, CallbackAnswer, UploadedFile
from .signals import Signal
from .wire import JSON

# Update types Telegram sends when allowed_updates was never set.
DEFAULT_ALLOWED_UPDATES = frozenset(
    [
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    ]
)


@dataclass
class Chat:
    """One chat as Telegram stores it: message ids are shared by the bot and the people."""

    id: int
    type: str
    title: str | None = None
    next_message_id: int = 1
    bot_messages: dict[int, BotMessage] = field(default_factory=dict)
    user_messages: dict[int, JSON] = field(default_factory=dict)
    deleted_user_messages: set[int] = field(default_factory=set)


@dataclass
class PendingQuery:
    """A button press the bot has been told about; ``answer`` is set by answerCallbackQuery."""

    data: str
    answer: CallbackAnswer | None = None


def commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
    """Command lists are stored per (scope, language), like setMyCommands keeps them."""
    scope = scope if isinstance(scope, dict) and scope else {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(language_code or "")


class World:
    """Telegram's memory for one bot: who exists, who started or blocked it, every chat."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        bot_id: int,
        bot_username: str,
        bot_first_name: str,
    ) -> None:
        self.clock = clock
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name

        self.users: dict[int, FakeUser] = {}
        self.groups: dict[int, FakeGroup] = {}
        self.updates: list[JSON] = []  # queued, not yet acknowledged by an offset
        self.files: dict[str, UploadedFile | str] = {}
        self.menu_buttons: dict[int | None, Any] = {}
        self.chat_actions: list[tuple[int, str]] = []
        # Called with (message, "sent" | "edited") as the bot's messages appear or change:
        # the demo prints its transcript from here.
        self.observers: list[Callable[[BotMessage, str], None]] = []

        # Read and changed by the Bot API methods (bot/fake_telegram/methods/).
        self.chats: dict[int, Chat] = {}
        self.started_ids: set[int] = set()
        self.blocked_ids: set[int] = set()
        self.left_chat_ids: set[int] = set()  # groups the bot left (leaveChat)
        self.command_lists: dict[tuple[str, str], list[JSON]] = {}
        self.queries: dict[str, PendingQuery] = {}
        self.allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self.poll_generation = 0  # each getUpdates bumps it; an older long poll gets a 409
        self.closing = False  # the server is stopping: open long polls return at once
        self.updates_outage = False  # getUpdates answers 502 (FakeTelegram.set_outage)
        self.updates_signal = Signal()  # an update was queued, or the poll must give way
        self.state_signal = Signal()  # the chat or the call log changed

        self._next_update_id = 1
        self._next_user_id = 1000
        self._next_group = 1
        self._next_query = 1
        self._next_file = 1

    # ---------------------------------------------------------------- people and groups

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
        self.chats[user_id] = Chat(id=user_id, type="private")
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
        self.chats[chat_id] = Chat(id=chat_id, type="supergroup", title=title)
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
        self.left_chat_ids.add(group.chat_id)
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
        self.left_chat_ids.discard(group.chat_id)
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
        return group.chat_id in self.left_chat_ids

    def has_started(self, user: FakeUser) -> bool:
        """Whether the user ever wrote to the bot privately (so the bot may message them)."""
        return user.id in self.started_ids

    def is_blocked(self, user: FakeUser) -> bool:
        """Whether the user currently blocks the bot."""
        return user.id in self.blocked_ids

    def mark_started(self, user: FakeUser) -> None:
        """Record that the user opened a private chat; a user writing also unblocks the bot."""
        self.started_ids.add(user.id)
        if user.id in self.blocked_ids:
            self.unblock(user)

    def block(self, user: FakeUser, *, notify: bool = True) -> None:
        """The user blocks the bot: sends now fail with 403, as after a real block."""
        if user.id in self.blocked_ids:
            return
        self.blocked_ids.add(user.id)
        if notify:
            self._queue_member_change(user, "member", "kicked")

    def unblock(self, user: FakeUser, *, notify: bool = True) -> None:
        """The user unblocks (restarts) the bot."""
        if user.id not in self.blocked_ids:
            return
        self.blocked_ids.discard(user.id)
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

    # ---------------------------------------------------------------- what tests read

    def chat_dict(self, chat_id: int) -> JSON:
        """The Chat object for a known chat, as it appears inside messages."""
        chat = self.chats[chat_id]
        if chat.type == "private":
            return self.users[chat_id].private_chat_dict()
        return {"id": chat.id, "type": chat.type, "title": chat.title}

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[BotMessage]:
        """The bot's messages in a chat, oldest first."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [m for m in chat.bot_messages.values() if include_deleted or not m.deleted]

    def message(self, chat_id: int, message_id: int) -> BotMessage:
        """One bot message by id (also deleted ones)."""
        try:
            return self.chats[chat_id].bot_messages[message_id]
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
        timeout: float = 15.0,
        after: int | None = None,
    ) -> BotMessage:
        """The first bot message (newer than ``after``) whose current text contains a string."""

        def find() -> BotMessage | None:
            for msg in self.messages(chat_id):
                if (after is None or msg.message_id > after) and text_contains in msg.text:
                    return msg
            return None

        found = await self.state_signal.wait_until(find, timeout)
        if found is None:
            newer = f" after #{after}" if after is not None else ""
            raise AssertionError(
                f"no bot message containing {text_contains!r}{newer} in chat {chat_id} "
                f"within {timeout}s; last messages:\n{self.describe_chat(chat_id)}"
            )
        return found

    async def wait_for_count(
        self, chat_id: int, n: int, timeout: float = 15.0
    ) -> list[BotMessage]:
        """Wait until the chat shows at least ``n`` (undeleted) bot messages."""

        def enough() -> list[BotMessage]:
            shown = self.messages(chat_id)
            return shown if len(shown) >= n else []

        shown = await self.state_signal.wait_until(enough, timeout)
        if len(shown) < n:
            raise AssertionError(
                f"expected {n} bot messages in chat {chat_id} within {timeout}s, saw "
                f"{len(self.messages(chat_id))}:\n{self.describe_chat(chat_id)}"
            )
        return shown

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command list the bot set for a scope and language."""
        return list(self.command_lists.get(commands_key(scope, language_code), []))

    def callback_answer(self, query_id: str) -> CallbackAnswer | None:
        """The answer to a callback query, None while unanswered (the fuzzer polls this)."""
        query = self.queries.get(query_id)
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

    # ---------------------------------------------------------------- what people do

    def queue_update(self, kind: str, payload: JSON) -> JSON:
        """Queue an update for the bot's next getUpdates and wake any long poll."""
        update: JSON = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self.updates.append(update)
        self.updates_signal.fire()
        return update

    def new_user_message(
        self, chat_id: int, user: FakeUser, content: JSON, *, sender: JSON | None = None
    ) -> JSON:
        """A message from a person: takes the chat's next message id and is queued.

        ``sender`` replaces ``from`` (an anonymous admin posts as GroupAnonymousBot). In a
        group the bot has left the message exists but no update is sent, as in Telegram.
        """
        chat = self.chats.get(chat_id)
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
        if chat_id not in self.left_chat_ids:
            self.queue_update("message", message)
        return message

    def user_message(self, chat_id: int, message_id: int) -> JSON:
        """A person's message in its current (possibly edited) state."""
        try:
            return self.chats[chat_id].user_messages[message_id]
        except KeyError:
            raise AssertionError(f"no user message #{message_id} in chat {chat_id}") from None

    def edit_user_message(
        self, message: JSON, changes: JSON, *, remove: tuple[str, ...] = ()
    ) -> JSON:
        """A person edits their message (e.g. a live location moves): an edited_message.

        ``remove`` drops fields first, so new text does not keep the old text's entities.
        """
        chat = self.chats[message["chat"]["id"]]
        kept = {k: v for k, v in message.items() if k not in remove}
        edited = {**kept, **changes, "edit_date": int(self.clock())}
        chat.user_messages[edited["message_id"]] = edited
        if chat.id not in self.left_chat_ids:
            self.queue_update("edited_message", edited)
        return edited

    def queue_callback_query(self, user: FakeUser, msg: BotMessage, data: str) -> str:
        """A button press on a bot message; returns the query id to wait for an answer."""
        if msg.deleted:
            raise AssertionError(f"message #{msg.message_id} was deleted; it cannot be tapped")
        query_id = str(4_000_000_000_000 + self._next_query)
        self._next_query += 1
        self.queries[query_id] = PendingQuery(data=data)
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

    async def wait_callback_answer(self, query_id: str, timeout: float = 15.0) -> CallbackAnswer:
        """The bot's answerCallbackQuery for this query, or an AssertionError if it never came."""
        query = self.queries[query_id]
        answer = await self.state_signal.wait_until(lambda: query.answer, timeout)
        if answer is None:
            raise AssertionError(
                f"the bot never answered callback query {query_id} (data={query.data!r}) "
                f"within {timeout}s; Telegram clients would show a spinner"
            )
        return answer

    # ---------------------------------------------------------------- what the bot does

    def add_bot_message(self, chat: Chat, params: JSON, **fields: Any) -> BotMessage:
        """Store a message the bot sent under the chat's next id, and tell the watchers."""
        msg = BotMessage(
            chat_id=chat.id,
            message_id=chat.next_message_id,
            date=int(self.clock()),
            params=dict(params),
            **fields,
        )
        chat.next_message_id += 1
        chat.bot_messages[msg.message_id] = msg
        self.state_signal.fire()
        self._notify(msg, "sent")
        return msg

    def mark_edited(self, msg: BotMessage, params: JSON) -> None:
        """Record an edit the bot made to one of its messages, and tell the watchers."""
        msg.edited += 1
        msg.edit_date = int(self.clock())
        msg.params = dict(params)
        self.state_signal.fire()
        self._notify(msg, "edited")

    def _notify(self, msg: BotMessage, change: str) -> None:
        for observer in self.observers:
            observer(msg, change)

    def new_file_id(self, upload: UploadedFile | str) -> str:
        """Keep an uploaded file (or a URL) under a new file_id the bot can send again."""
        file_id = f"FAKEFILE{self._next_file:06d}"
        self._next_file += 1
        self.files[file_id] = upload
        return file_id

    def deliverable(self, limit: int) -> list[JSON]:
        """Updates the bot asked for; other types are dropped, as Telegram never sends them."""
        kept = [u for u in self.updates if _update_kind(u) in self.allowed_updates]
        self.updates = kept
        return copy.deepcopy(kept[:limit])


def _update_kind(update: JSON) -> str:
    return next(k for k in update if k != "update_id")
