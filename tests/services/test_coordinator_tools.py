"""The coordinator's volunteer management: listing, finding, tagging and removing people."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.errors import Ambiguous, InvalidInput, NotCoordinator, NotFound
from rota.people import membership as people
from rota.people.model import Volunteer, VolunteerStatus
from rota.roster import sessions
from tests.conftest import ADMIN_ID, MONDAY_NOON
from tests.refusing import refusing
from tests.services.helpers import (
    Uow,
    admin_starts,
    filled,
    first_session,
    join,
    join_team,
    outbox,
    role_id,
    signup_states,
    snapshot,
    volunteer_row,
    wait,
)


async def _team(uow: Uow, config: RotaConfig, clock: FakeClock) -> dict[str, Volunteer]:
    """Sam Lee (@samlee), Samira Khan (@samira), Bo (no username), and the admin."""
    await admin_starts(uow, config, clock)
    return {
        "sam": await join_team(uow, config, clock, 501, name="Sam Lee", username="samlee"),
        "samira": await join_team(uow, config, clock, 502, name="Samira Khan", username="samira"),
        "bo": await join_team(uow, config, clock, 503, name="Bo"),
    }


async def test_list_volunteers_lists_the_active_team_by_name(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await _team(uow, config, clock)
    await people.remove_volunteer(
        uow(), telegram_id=ADMIN_ID, who="Bo", config=config, now=clock.now()
    )

    listed = await people.list_volunteers(uow(), telegram_id=ADMIN_ID, config=config)

    assert [v.display_name for v in listed] == ["Ada Admin", "Sam Lee", "Samira Khan"]


def _volunteer(telegram_id: int, name: str, username: str | None = None) -> Volunteer:
    return Volunteer(
        id=telegram_id - 500,
        telegram_id=telegram_id,
        display_name=name,
        username=username,
        phone=None,
        tags=frozenset(),
        status=VolunteerStatus.ACTIVE,
        joined_at=MONDAY_NOON,
    )


SAM = _volunteer(501, "Sam Lee", "samlee")
SAMIRA = _volunteer(502, "Samira Khan", "samira")
BO = _volunteer(503, "Bo")
LISTED = [BO, SAM, SAMIRA]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Sam Lee", SAM),
        ("sam lee", SAM),
        ("  SAMIRA khan ", SAMIRA),
        ("bo", BO),
        ("Samir", SAMIRA),
        ("@samlee", SAM),
        ("@SAMIRA", SAMIRA),
        ("503", BO),
    ],
)
def test_match_volunteer_finds_one_person(query: str, expected: Volunteer) -> None:
    assert people.match_volunteer(LISTED, query) == expected


def test_exact_name_wins_over_a_longer_name_with_the_same_start() -> None:
    sam = _volunteer(504, "Sam")

    assert people.match_volunteer([*LISTED, sam], "sam") == sam


def test_ambiguous_name_lists_the_candidates() -> None:
    with pytest.raises(Ambiguous) as refused:
        people.match_volunteer(LISTED, "sam")

    assert refused.value.candidates == ["Sam Lee (@samlee)", "Samira Khan (@samira)"]


@pytest.mark.parametrize("query", ["Zed", "@nobody", "123456789", "@bo"])
def test_unknown_volunteer_is_not_found(query: str) -> None:
    with pytest.raises(NotFound):
        people.match_volunteer(LISTED, query)


def test_empty_query_asks_for_a_name() -> None:
    with pytest.raises(InvalidInput):
        people.match_volunteer(LISTED, "  ")


async def test_retag_adds_tags(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    team = await _team(uow, config, clock)

    await people.retag(
        uow(),
        telegram_id=ADMIN_ID,
        who="Bo",
        tags=people.parse_tags(["Lead", "new"]),
        add=True,
        config=config,
    )

    assert (await volunteer_row(uow, team["bo"].id)).tags == "lead,new,trained"


async def test_retag_removes_tags(uow: Uow, config: RotaConfig, clock: FakeClock) -> None:
    team = await _team(uow, config, clock)

    await people.retag(
        uow(),
        telegram_id=ADMIN_ID,
        who="@samlee",
        tags=frozenset({"trained", "absent"}),
        add=False,
        config=config,
    )

    assert (await volunteer_row(uow, team["sam"].id)).tags == ""


@pytest.mark.parametrize("word", ["Trained!", "9lives", "", "a" * 21, "two words", "tägged"])
def test_parse_tags_refuses_text_that_is_not_a_tag(word: str) -> None:
    with refusing(InvalidInput, match="is not a tag"):
        people.parse_tags(["trained", word])


async def test_retag_without_a_tag_is_refused(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await _team(uow, config, clock)
    before = await snapshot(uow)

    with pytest.raises(InvalidInput):
        await people.retag(
            uow(), telegram_id=ADMIN_ID, who="Bo", tags=frozenset(), add=True, config=config
        )

    assert await snapshot(uow) == before


async def test_remove_volunteer_frees_their_shifts_and_promotes_the_waitlist(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    team = await _team(uow, config, clock)
    board = await first_session(uow, config, clock)
    walker = role_id(board, "walker")
    await join(uow, config, clock, 501, walker)
    await join(uow, config, clock, 502, walker)
    await wait(uow, config, clock, 503, walker)

    removal = await people.remove_volunteer(
        uow(), telegram_id=ADMIN_ID, who="@samlee", config=config, now=clock.now()
    )

    assert (removal.volunteer.id, removal.shifts) == (team["sam"].id, 1)
    row = await volunteer_row(uow, team["sam"].id)
    assert (row.status, row.removed_at) == ("removed", clock.now())
    sid = board.session.id
    assert await signup_states(uow) == [
        (501, "walker", sid, "withdrawn"),
        (502, "walker", sid, "confirmed"),
        (503, "walker", sid, "confirmed"),
    ]
    assert await filled(uow, walker) == 2
    assert await outbox(uow) == [("promoted", 503, "pending")]


async def test_a_coordinator_cannot_remove_themselves(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await _team(uow, config, clock)
    before = await snapshot(uow)

    with refusing(InvalidInput, match="can't remove yourself"):
        await people.remove_volunteer(
            uow(), telegram_id=ADMIN_ID, who="@ada", config=config, now=clock.now()
        )

    assert await snapshot(uow) == before


CoordinatorCall = Callable[[Uow, RotaConfig, FakeClock, int], Awaitable[object]]

COORDINATOR_ONLY: dict[str, CoordinatorCall] = {
    "list_volunteers": lambda uow, config, clock, tid: people.list_volunteers(
        uow(), telegram_id=tid, config=config
    ),
    "retag": lambda uow, config, clock, tid: people.retag(
        uow(), telegram_id=tid, who="Bo", tags=frozenset({"lead"}), add=True, config=config
    ),
    "remove_volunteer": lambda uow, config, clock, tid: people.remove_volunteer(
        uow(), telegram_id=tid, who="Bo", config=config, now=clock.now()
    ),
    "add_session": lambda uow, config, clock, tid: sessions.add_session(
        uow(),
        telegram_id=tid,
        day="2026-12-05",
        start="18:00",
        end="22:00",
        note="extra",
        config=config,
        now=clock.now(),
    ),
    "cancel_session": lambda uow, config, clock, tid: sessions.cancel_session(
        uow(), telegram_id=tid, day="2026-12-02", config=config, now=clock.now()
    ),
    "session_roster": lambda uow, config, clock, tid: sessions.session_roster(
        uow(), telegram_id=tid, day="2026-12-02", config=config
    ),
    "create_invite": lambda uow, config, clock, tid: people.create_invite(
        uow(), telegram_id=tid, tags=frozenset(), config=config, now=clock.now()
    ),
}


@pytest.mark.parametrize("use_case", sorted(COORDINATOR_ONLY))
async def test_non_coordinators_are_refused_every_coordinator_tool_and_nothing_changes(
    uow: Uow, config: RotaConfig, clock: FakeClock, use_case: str
) -> None:
    await _team(uow, config, clock)
    board = await first_session(uow, config, clock)
    await join(uow, config, clock, 503, role_id(board, "dropin"))
    before = await snapshot(uow)

    for caller in (501, 4242):  # a volunteer, a stranger
        with pytest.raises(NotCoordinator):
            await COORDINATOR_ONLY[use_case](uow, config, clock, caller)

    assert await snapshot(uow) == before


async def test_a_tagged_coordinator_may_use_the_coordinator_tools(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    team = await _team(uow, config, clock)
    await people.retag(
        uow(),
        telegram_id=ADMIN_ID,
        who="Sam Lee",
        tags=frozenset({"coordinator"}),
        add=True,
        config=config,
    )

    await people.retag(
        uow(), telegram_id=501, who="Bo", tags=frozenset({"lead"}), add=True, config=config
    )

    assert (await volunteer_row(uow, team["bo"].id)).tags == "lead,trained"
