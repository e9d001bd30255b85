"""Joining, profiles and the coordinator's volunteer management."""

from __future__ import annotations

import dataclasses
import datetime as dtm
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from rota.kernel.config import INVITE_VALIDITY, RotaConfig
from rota.kernel.errors import AlreadyRegistered, Ambiguous, InvalidInput, InviteInvalid, NotFound
from rota.kernel.uow import UnitOfWork
from rota.people.access import load_actor, require_coordinator, require_volunteer
from rota.people.model import (
    COORDINATOR_TAG,
    MAX_NAME_LENGTH,
    Actor,
    Invite,
    Volunteer,
    VolunteerStatus,
)
from rota.people.refusals import PeopleRefusal
from rota.privacy.erasure import (
    FORMER_VOLUNTEER,
    ErasureCounts,
    erase_volunteer,
    open_alerts_block,
)
from rota.roster.signups import withdraw_everything

TAG_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,19}$")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,32}$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()-]{5,31}$")


def new_code() -> str:
    """An unguessable invite code that fits Telegram's 64-character start parameter."""
    return secrets.token_urlsafe(12)


ZWJ, ZWNJ = "\u200d", "\u200c"  # joiners: emoji sequences (👩‍⚕️) and Persian or Indic names
BLACK_FLAG = "\U0001f3f4"  # 🏴 starts the tag sequences of subdivision flags (Scotland, Wales)
# Letters that show as nothing: a name made of them would be an invisible name.
BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Mn", "Mc", "Me"})


def _is_tag(ch: str) -> bool:
    return "\U000e0020" <= ch <= "\U000e007f"


def _extends(ch: str) -> bool:
    """Whether this character belongs to the one before it (cutting here would break it)."""
    return (
        ch == ZWJ
        or unicodedata.category(ch) in ("Mn", "Mc", "Me")  # accents, variation selectors
        or "\U0001f3fb" <= ch <= "\U0001f3ff"  # skin tones
        or _is_tag(ch)
    )


def _scrub(raw: str) -> tuple[str, bool]:
    """The name with whitespace collapsed and invisible controls removed; whether any were.

    Kept: letters, marks, emoji and what emoji need (ZWJ, variation selectors, the tags of a
    flag). Removed: control characters (Cc: escapes, NUL, DEL) and the other format characters
    (Cf), which include the bidi overrides and isolates (U+202A-U+202E, U+2066-U+2069) that
    make a name read backwards, and lone surrogates no database can store.
    """
    kept: list[str] = []
    removed = False
    for ch in " ".join(raw.split()):  # every kind of space and line break: one space
        category = unicodedata.category(ch)
        if _is_tag(ch):
            keep = bool(kept) and (kept[-1] == BLACK_FLAG or _is_tag(kept[-1]))
        elif ch in (ZWJ, ZWNJ):
            keep = True
        else:
            keep = category not in ("Cc", "Cf", "Cs")
        if keep:
            kept.append(ch)
        else:
            removed = True
    words = ("".join(kept)).split(" ")
    name = " ".join(w.strip(ZWJ + ZWNJ) for w in words if w.strip(ZWJ + ZWNJ))
    return name, removed


def _shows_something(name: str) -> bool:
    """Whether anything visible is left; unassigned code points count (newer emoji are)."""
    return any(
        ch not in BLANKS and unicodedata.category(ch) not in INVISIBLE_CATEGORIES for ch in name
    )


def cap_name(name: str, limit: int = MAX_NAME_LENGTH) -> str:
    """At most `limit` characters, cut between two whole characters as people see them."""
    if len(name) <= limit:
        return name
    cut = limit
    while cut > 0 and (_extends(name[cut]) or name[cut - 1] == ZWJ):
        cut -= 1
    pairs = 0  # a flag is two regional indicators: never keep half of one
    while cut - pairs > 0 and "\U0001f1e6" <= name[cut - pairs - 1] <= "\U0001f1ff":
        pairs += 1
    if pairs % 2 and "\U0001f1e6" <= name[cut] <= "\U0001f1ff":
        cut -= 1
    if cut == 0:  # one "character" longer than the limit: nobody's name
        cut = limit
    return name[:cut].rstrip().rstrip(ZWJ + ZWNJ).rstrip()


def clean_name(raw: str) -> str:
    """A name someone chose with /name: emoji welcome, invisible controls refused, 1 to 64
    characters (a person who typed them is told, rather than silently given another name)."""
    name, removed = _scrub(raw)
    if removed:
        raise InvalidInput(PeopleRefusal.NAME_ODD_LETTERS)
    if not _shows_something(name):
        raise InvalidInput(PeopleRefusal.NAME_EMPTY)
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(PeopleRefusal.NAME_TOO_LONG, limit=MAX_NAME_LENGTH)
    return name


def parse_tags(words: list[str]) -> frozenset[str]:
    """Tags as typed by a coordinator: lowercase words like trained, lead, new."""
    tags = set()
    for word in words:
        tag = word.strip().lower()
        if not TAG_PATTERN.match(tag):
            raise InvalidInput(PeopleRefusal.NOT_A_TAG, word=word[:30])
        tags.add(tag)
    return frozenset(tags)


def telegram_name(first_name: str, last_name: str | None) -> str:
    """The name Telegram gives us, made fit for display; joining never fails on it.

    Telegram accepts emoji, joiners and any script in a name: all kept. Controls and bidi
    overrides are removed, and a long name is cut between whole characters.
    """
    full = f"{first_name} {last_name}" if last_name else first_name
    name = cap_name(_scrub(full)[0])
    return name if _shows_something(name) else "Volunteer"


async def who_is(uow: UnitOfWork, *, telegram_id: int, config: RotaConfig) -> Actor:
    """Who this Telegram user is to the team (volunteer, coordinator or stranger)."""
    async with uow:
        return await load_actor(uow, telegram_id, config)


@dataclass(frozen=True, slots=True)
class Welcome:
    """What /start found: a new member, a returning one, or a stranger."""

    actor: Actor
    joined: bool


async def start(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    config: RotaConfig,
    now: dtm.datetime,
) -> Welcome:
    """Plain /start: a bootstrap admin is registered as a coordinator; others change nothing."""
    async with uow:
        actor = await load_actor(uow, telegram_id, config)
        if actor.volunteer is not None or not actor.is_admin:
            return Welcome(actor=actor, joined=False)
        volunteer = await _register(
            uow,
            telegram_id=telegram_id,
            name=telegram_name(first_name, last_name),
            username=username,
            tags=frozenset({COORDINATOR_TAG}),
            now=now,
        )
        await uow.commit()
        return Welcome(actor=dataclasses.replace(actor, volunteer=volunteer), joined=True)


async def accept_invite(
    uow: UnitOfWork,
    *,
    code: str,
    telegram_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    config: RotaConfig,
    now: dtm.datetime,
) -> Volunteer:
    """Register the person who opened an invite link; the code works once, for 7 days."""
    async with uow:
        actor = await load_actor(uow, telegram_id, config)
        if actor.volunteer is not None:
            raise AlreadyRegistered(
                PeopleRefusal.ALREADY_ON_TEAM, name=actor.volunteer.display_name
            )
        invite = await uow.invites.by_code(code) if CODE_PATTERN.match(code) else None
        if invite is None:
            raise InviteInvalid(PeopleRefusal.INVITE_UNKNOWN)
        if invite.used_at is not None:
            raise InviteInvalid(PeopleRefusal.INVITE_USED)
        if invite.expires_at <= now:
            raise InviteInvalid(PeopleRefusal.INVITE_EXPIRED)
        tags = invite.tags | ({COORDINATOR_TAG} if actor.is_admin else frozenset())
        volunteer = await _register(
            uow,
            telegram_id=telegram_id,
            name=telegram_name(first_name, last_name),
            username=username,
            tags=tags,
            now=now,
        )
        if not await uow.invites.mark_used(invite.id, volunteer.id, now):
            raise InviteInvalid(PeopleRefusal.INVITE_JUST_USED)
        await uow.commit()
        return volunteer


async def _register(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    name: str,
    username: str | None,
    tags: frozenset[str],
    now: dtm.datetime,
) -> Volunteer:
    existing = await uow.volunteers.by_telegram_id(telegram_id)
    if existing is not None:  # a removed volunteer coming back with a fresh invite
        volunteer = dataclasses.replace(
            existing,
            display_name=name,
            username=username,
            tags=tags,
            status=VolunteerStatus.ACTIVE,
        )
        await uow.volunteers.save(volunteer)
        await uow.erasure.set_removed_at(volunteer.id, None)  # back: nothing to erase now
        return volunteer
    return await uow.volunteers.add(
        telegram_id=telegram_id, display_name=name, username=username, tags=tags, now=now
    )


async def create_invite(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    tags: frozenset[str],
    config: RotaConfig,
    now: dtm.datetime,
    make_code: Callable[[], str] = new_code,
) -> Invite:
    """A coordinator makes a single-use invite, optionally pre-tagging the newcomer."""
    async with uow:
        actor = await require_coordinator(uow, telegram_id, config)
        invite = await uow.invites.add(
            code=make_code(),
            tags=tags,
            created_by=actor.volunteer.id if actor.volunteer else None,
            now=now,
            expires_at=now + INVITE_VALIDITY,
        )
        await uow.commit()
        return invite


async def rename(uow: UnitOfWork, *, telegram_id: int, name: str, config: RotaConfig) -> Volunteer:
    """A volunteer chooses the name the team sees."""
    clean = clean_name(name)
    async with uow:
        volunteer = dataclasses.replace(
            await require_volunteer(uow, telegram_id, config), display_name=clean
        )
        await uow.volunteers.save(volunteer)
        await uow.commit()
        return volunteer


async def save_phone(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    phone: str,
    contact_user_id: int | None,
    config: RotaConfig,
) -> Volunteer:
    """Keep the volunteer's own number (for escalations); someone else's contact is refused."""
    if contact_user_id != telegram_id:
        raise InvalidInput(PeopleRefusal.NOT_OWN_CONTACT)
    if not PHONE_PATTERN.match(phone.strip()):
        raise InvalidInput(PeopleRefusal.NOT_A_PHONE)
    async with uow:
        volunteer = dataclasses.replace(
            await require_volunteer(uow, telegram_id, config), phone=phone.strip()
        )
        await uow.volunteers.save(volunteer)
        await uow.commit()
        return volunteer


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What /forgetme did: shifts given up, and the rows erased or rewritten per table."""

    shifts: int
    erased: ErasureCounts


async def may_forget(uow: UnitOfWork, *, telegram_id: int, config: RotaConfig) -> Volunteer:
    """/forgetme's question is asked only of a volunteer with no open alert about them."""
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        await open_alerts_block(uow, volunteer)
        return volunteer


async def forget_me(
    uow: UnitOfWork, *, telegram_id: int, config: RotaConfig, now: dtm.datetime
) -> Forgotten:
    """Give up upcoming shifts (waitlists promoted), then erase the person everywhere.

    Past shifts, check-ins and debrief answers stay, as anonymous counts for reports. An
    alarm about them that is not resolved yet refuses it all, changing nothing.
    """
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        await open_alerts_block(uow, volunteer)
        withdrawn = await withdraw_everything(
            uow, volunteer, config=config, now=now, shown_as=FORMER_VOLUNTEER
        )
        erased = await erase_volunteer(uow, volunteer, now=now)
        await uow.commit()
        return Forgotten(withdrawn, erased)


async def list_volunteers(
    uow: UnitOfWork, *, telegram_id: int, config: RotaConfig
) -> list[Volunteer]:
    """The active team, for coordinators."""
    async with uow:
        await require_coordinator(uow, telegram_id, config)
        return await uow.volunteers.active()


def _handle(volunteer: Volunteer) -> str:
    return f"@{volunteer.username}" if volunteer.username else str(volunteer.telegram_id)


def match_volunteer(volunteers: list[Volunteer], query: str) -> Volunteer:
    """Find one volunteer by @username, Telegram id or display name (case-insensitive)."""
    wanted = query.strip()
    if not wanted:
        raise InvalidInput(PeopleRefusal.NAME_SOMEONE)
    if wanted.startswith("@"):
        handle = wanted[1:].lower()
        found = [v for v in volunteers if v.username and v.username.lower() == handle]
    elif wanted.lstrip("-").isdigit():
        found = [v for v in volunteers if v.telegram_id == int(wanted)]
    else:
        lowered = wanted.casefold()
        found = [v for v in volunteers if v.display_name.casefold() == lowered]
        if not found:
            found = [v for v in volunteers if v.display_name.casefold().startswith(lowered)]
    if not found:
        raise NotFound(PeopleRefusal.UNKNOWN_VOLUNTEER, wanted=wanted[:40])
    if len(found) > 1:
        names = [f"{v.display_name} ({_handle(v)})" for v in found]
        raise Ambiguous(PeopleRefusal.AMBIGUOUS_NAME, names, wanted=wanted[:40])
    return found[0]


async def retag(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    who: str,
    tags: frozenset[str],
    add: bool,
    config: RotaConfig,
) -> Volunteer:
    """Give or take tags (trained, lead, new, coordinator...)."""
    if not tags:
        raise InvalidInput(PeopleRefusal.WHICH_TAG)
    async with uow:
        await require_coordinator(uow, telegram_id, config)
        volunteer = match_volunteer(await uow.volunteers.active(), who)
        new_tags = volunteer.tags | tags if add else volunteer.tags - tags
        volunteer = dataclasses.replace(volunteer, tags=new_tags)
        await uow.volunteers.save(volunteer)
        await uow.commit()
        return volunteer


def parse_remove(args: str) -> tuple[str, bool]:
    """`/remove <who> [forget]`: who, and whether to erase their data at once."""
    words = args.split()
    if len(words) > 1 and words[-1].casefold() == "forget":
        return " ".join(words[:-1]), True
    return args.strip(), False


@dataclass(frozen=True, slots=True)
class Removal:
    """What /remove did: who (as they were named), shifts freed, and what happens to their
    data: erased now, or kept until `erase_after` (None once erased)."""

    volunteer: Volunteer
    shifts: int
    erased: ErasureCounts | None
    erase_after: dtm.datetime | None


async def remove_volunteer(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    who: str,
    config: RotaConfig,
    now: dtm.datetime,
    forget: bool = False,
) -> Removal:
    """Take someone off the team; their upcoming shifts are freed (waitlists promoted).

    Plain: the data is kept [retention] removed_volunteers after `now` (a mistaken removal can be
    undone by a new invite), then the retention job erases it. With `forget`: erased now,
    also for someone removed before; refused while an alarm about them is open.
    """
    async with uow:
        actor = await require_coordinator(uow, telegram_id, config)
        candidates = await uow.volunteers.active()
        if forget:
            candidates += await uow.erasure.removed_volunteers()
        volunteer = match_volunteer(candidates, who)
        if actor.volunteer is not None and volunteer.id == actor.volunteer.id:
            raise InvalidInput(PeopleRefusal.CANNOT_REMOVE_SELF)
        if forget:
            await open_alerts_block(uow, volunteer, by_coordinator=True)
        withdrawn = await withdraw_everything(
            uow, volunteer, config=config, now=now, shown_as=FORMER_VOLUNTEER if forget else None
        )
        if forget:
            erased = await erase_volunteer(uow, volunteer, now=now)
            await uow.commit()
            return Removal(volunteer, withdrawn, erased, None)
        await uow.volunteers.save(dataclasses.replace(volunteer, status=VolunteerStatus.REMOVED))
        await uow.erasure.set_removed_at(volunteer.id, now)
        await uow.commit()
        kept = config.template.retention.removed_volunteers
        return Removal(volunteer, withdrawn, None, now + kept)
