"""Who may take a cover request, as pure functions: plain values in, a reason (or None) out.

services.py gathers the volunteers, their tags and the session's roster, calls these, and
turns a reason into the refusal the person reads. No repositories, no awaiting; `now` is
passed in (UTC).
"""

from __future__ import annotations

import datetime as dtm
from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum

from rota.people.model import Volunteer
from rota.roster.model import Role, Session


class SessionBar(StrEnum):
    """Why a session's places no longer change hands."""

    GONE = "gone"  # deleted since the request or the offer
    CANCELLED = "cancelled"
    STARTED = "started"  # from its start on, the team lead sorts it out in person


class CoverBar(StrEnum):
    """Why one volunteer may not be offered (or take) a cover place."""

    REMOVED = "removed"  # no longer on the team
    UNREACHABLE = "unreachable"  # no Telegram chat to send the offer to
    ROLE_TAGS = "role_tags"  # the role requires a tag they do not hold
    REQUESTER = "requester"  # it is their own place
    ON_SESSION = "on_session"  # already down for that session (a place or a waitlist spot)


def session_bar(session: Session | None, now: dtm.datetime) -> SessionBar | None:
    """Why nobody may ask for or take cover in this session at `now`; None if they may.

    Args:
        session: the session, or None if it no longer exists.
        now: the instant to judge at (UTC). At `starts_at` exactly it has started.
    """
    if session is None:
        return SessionBar.GONE
    if session.is_cancelled:
        return SessionBar.CANCELLED
    if not session.is_open(now):
        return SessionBar.STARTED
    return None


def take_bar(
    role: Role, tags: frozenset[str], *, is_requester: bool, on_session: bool
) -> CoverBar | None:
    """Why someone on the team may not take this role's place; None if they may.

    Checked in this order: the role's tags (a role that requires tags takes anyone holding
    one of them), their own place, then any place or waitlist spot of theirs that night.
    """
    if not role.accepts(tags):
        return CoverBar.ROLE_TAGS
    if is_requester:
        return CoverBar.REQUESTER
    if on_session:
        return CoverBar.ON_SESSION
    return None


def offer_bar(
    volunteer: Volunteer,
    tags: frozenset[str],
    role: Role,
    *,
    requester_id: int | None,
    on_session: Collection[int],
) -> CoverBar | None:
    """Why this volunteer is not offered the place; None if they are.

    Only active volunteers with a Telegram chat can be offered anything; after that, the
    same rule as for taking it (`take_bar`).
    """
    if not volunteer.is_active:
        return CoverBar.REMOVED
    if volunteer.telegram_id is None:
        return CoverBar.UNREACHABLE
    return take_bar(
        role,
        tags,
        is_requester=volunteer.id == requester_id,
        on_session=volunteer.id in on_session,
    )


def cover_candidates(
    volunteers: Sequence[Volunteer],
    role: Role,
    *,
    tags: Mapping[int, frozenset[str]],
    on_session: Collection[int],
    requester_id: int | None = None,
) -> list[Volunteer]:
    """Everyone the place is offered to, in the order given.

    Args:
        volunteers: the team (the caller passes the active ones; others are left out anyway).
        role: the role whose place is handed on.
        tags: each volunteer's tags by id, as they count for eligibility (admins count as
            coordinators); someone missing from it holds no tags.
        on_session: ids of everyone with a place or a waitlist spot in that session.
        requester_id: whose place it is.
    """
    return [
        v
        for v in volunteers
        if offer_bar(
            v,
            tags.get(v.id, frozenset()),
            role,
            requester_id=requester_id,
            on_session=on_session,
        )
        is None
    ]
