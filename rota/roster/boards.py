"""Read models: sessions with their roles and people, built in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from rota.kernel.uow import UnitOfWork
from rota.roster.model import RosterEntry, Session, SessionBoard, SignUp


async def build_boards(
    uow: UnitOfWork,
    sessions: Sequence[Session],
    *,
    viewer_id: int | None = None,
    with_roster: bool = False,
) -> list[SessionBoard]:
    """Boards for many sessions: one query for roles, one for the roster or the viewer's own."""
    ids = [s.id for s in sessions]
    roles_by_session = defaultdict(list)
    for role in await uow.sessions.roles(ids):
        roles_by_session[role.session_id].append(role)
    roster_by_session: dict[int, list[RosterEntry]] = defaultdict(list)
    mine: dict[int, SignUp] = {}
    if with_roster:
        for entry in await uow.signups.roster(ids):
            roster_by_session[entry.signup.session_id].append(entry)
            if entry.volunteer.id == viewer_id:
                mine[entry.signup.session_id] = entry.signup
    elif viewer_id is not None:
        mine = {s.session_id: s for s in await uow.signups.mine(viewer_id, ids)}
    return [
        SessionBoard(
            session=s,
            roles=tuple(roles_by_session[s.id]),
            roster=tuple(roster_by_session[s.id]),
            mine=mine.get(s.id),
        )
        for s in sessions
    ]
