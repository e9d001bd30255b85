"""Chats and their members: getChat, getChatMember, getChatAdministrators, leaveChat."""

from __future__ import annotations

from ..params import int_param
from ..people import FakeUser
from ..state import World
from ..wire import JSON, PRIVATE_LEAVE, bad
from .common import known_chat


async def get_chat(world: World, params: JSON) -> JSON:
    """The full Chat object, with the fields PTB 22 requires."""
    chat = known_chat(world, params)
    return {
        **world.chat_dict(chat.id),
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


async def get_chat_member(world: World, params: JSON) -> JSON:
    """A person's status in a chat: administrator, member or left."""
    chat = known_chat(world, params)
    user_id = int_param(params, "user_id")
    if user_id == world.bot_id:
        return {"status": "member", "user": world.bot_user()}
    person = world.users.get(user_id)
    if person is None:
        raise bad("Bad Request: user not found")
    if chat.type == "private":
        if user_id != chat.id:
            raise bad("Bad Request: user not found")
        return {"status": "member", "user": person.to_dict()}
    group = world.groups[chat.id]
    if person in group.admins:
        return _admin_member(person)
    if person in group.members:
        return {"status": "member", "user": person.to_dict()}
    return {"status": "left", "user": person.to_dict()}


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


async def get_chat_administrators(world: World, params: JSON) -> list[JSON]:
    """A group's admins; a private chat has none (a 400, as in Telegram)."""
    chat = known_chat(world, params)
    if chat.type == "private":
        raise bad("Bad Request: there are no administrators in the private chat")
    return [_admin_member(person) for person in world.groups[chat.id].admins]


async def leave_chat(world: World, params: JSON) -> bool:
    """The bot leaves a group: a my_chat_member update, and every later call there is a 403."""
    chat = known_chat(world, params)
    if chat.type == "private":
        raise bad(PRIVATE_LEAVE)
    world.left_chat_ids.add(chat.id)
    world.queue_update(
        "my_chat_member",
        {
            "chat": world.chat_dict(chat.id),
            "from": world.bot_user(),
            "date": int(world.clock()),
            "old_chat_member": {"status": "member", "user": world.bot_user()},
            "new_chat_member": {"status": "left", "user": world.bot_user()},
        },
    )
    world.state_signal.fire()
    return True
