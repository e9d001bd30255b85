"""Who may take a cover request, without a database: every branch of rota/staffing/rules.py.

The session's start is judged to the second, including sessions on the nights the UK clocks
change (Europe/London: last Sunday of March and of October).
"""

from __future__ import annotations

import ast
import datetime as dtm
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rota.people.model import Volunteer, VolunteerStatus
from rota.roster.model import Role, Session, SessionStatus
from rota.staffing import rules
from rota.staffing.rules import CoverBar, SessionBar

UTC = dtm.UTC
LONDON = ZoneInfo("Europe/London")
SECOND = dtm.timedelta(seconds=1)
STARTS = dtm.datetime(2027, 1, 15, 19, 0, tzinfo=UTC)
REQUESTER = 1
TRAINED, COORDINATOR = "trained", "coordinator"


def session(
    starts_at: dtm.datetime = STARTS, status: SessionStatus = SessionStatus.SCHEDULED
) -> Session:
    return Session(
        id=5,
        template_key="fri",
        local_date=starts_at.astimezone(LONDON).date(),
        starts_at=starts_at,
        ends_at=starts_at + dtm.timedelta(hours=3),
        meeting_point="Church hall",
        note="",
        status=status,
    )


def role(*requires: str) -> Role:
    return Role(
        id=3,
        session_id=5,
        key="walker",
        label="Walker",
        capacity=6,
        minimum=2,
        pairs=True,
        requires=frozenset(requires),
        filled=2,
        position=0,
    )


def volunteer(
    id_: int,
    *,
    telegram_id: int | None = -1,
    status: VolunteerStatus = VolunteerStatus.ACTIVE,
) -> Volunteer:
    return Volunteer(
        id=id_,
        telegram_id=1000 + id_ if telegram_id == -1 else telegram_id,
        display_name=f"V{id_}",
        username=None,
        phone=None,
        tags=frozenset(),
        status=status,
        joined_at=STARTS - dtm.timedelta(days=30),
    )


def test_the_rules_module_does_no_io() -> None:
    tree = ast.parse(Path(rules.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert imported <= {
        "__future__",
        "datetime",
        "collections.abc",
        "enum",
        "rota.people.model",
        "rota.roster.model",
    }
    assert not any(isinstance(n, (ast.AsyncFunctionDef, ast.Await)) for n in ast.walk(tree))


# --- the session -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("found", "now", "bar"),
    [
        pytest.param(None, STARTS - SECOND, SessionBar.GONE, id="gone"),
        pytest.param(session(), STARTS - dtm.timedelta(days=1), None, id="a-day-before"),
        pytest.param(session(), STARTS - SECOND, None, id="a-second-before-start"),
        pytest.param(session(), STARTS, SessionBar.STARTED, id="exactly-at-start"),
        pytest.param(session(), STARTS + SECOND, SessionBar.STARTED, id="a-second-after-start"),
        pytest.param(
            session(status=SessionStatus.CANCELLED),
            STARTS - SECOND,
            SessionBar.CANCELLED,
            id="cancelled",
        ),
        # cancelled and started: it says cancelled (nobody is standing in for anyone)
        pytest.param(
            session(status=SessionStatus.CANCELLED),
            STARTS + SECOND,
            SessionBar.CANCELLED,
            id="cancelled-after-start",
        ),
    ],
)
def test_cover_changes_hands_only_before_a_session_that_goes_ahead_starts(
    found: Session | None, now: dtm.datetime, bar: SessionBar | None
) -> None:
    assert rules.session_bar(found, now) is bar


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [(dtm.date(2027, 3, 28), 18), (dtm.date(2027, 10, 31), 19)],
    ids=["clocks-forward", "clocks-back"],
)
def test_a_session_on_a_clock_change_day_starts_at_its_local_time(
    day: dtm.date, utc_hour: int
) -> None:
    starts = dtm.datetime.combine(day, dtm.time(19, 0), tzinfo=LONDON).astimezone(UTC)
    assert starts.hour == utc_hour  # 19:00 BST is 18:00 UTC; 19:00 GMT is 19:00 UTC
    evening = session(starts)
    assert rules.session_bar(evening, starts - SECOND) is None
    assert rules.session_bar(evening, starts) is SessionBar.STARTED
    # an hour's slip either way would open or close it at the wrong wall-clock time
    assert rules.session_bar(evening, starts - dtm.timedelta(hours=1)) is None
    assert rules.session_bar(evening, starts + dtm.timedelta(hours=1)) is SessionBar.STARTED


# --- taking a place ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("needed", "tags", "is_requester", "on_session", "bar"),
    [
        pytest.param((), frozenset(), False, False, None, id="open-role-anyone"),
        pytest.param((TRAINED,), frozenset({TRAINED}), False, False, None, id="has-the-tag"),
        pytest.param(
            (TRAINED, COORDINATOR),
            frozenset({COORDINATOR}),
            False,
            False,
            None,
            id="has-one-of-the-tags",
        ),
        pytest.param(
            (TRAINED,), frozenset(), False, False, CoverBar.ROLE_TAGS, id="lacks-the-tag"
        ),
        pytest.param(
            (TRAINED,),
            frozenset({"driver"}),
            False,
            False,
            CoverBar.ROLE_TAGS,
            id="has-another-tag",
        ),
        pytest.param((), frozenset(), True, True, CoverBar.REQUESTER, id="own-place"),
        pytest.param((), frozenset(), False, True, CoverBar.ON_SESSION, id="already-down"),
        # the order the refusals are given in: tags first, as before the rules moved
        pytest.param((TRAINED,), frozenset(), False, True, CoverBar.ROLE_TAGS, id="tags-first"),
        pytest.param((), frozenset(), True, False, CoverBar.REQUESTER, id="requester-first"),
    ],
)
def test_who_may_take_a_place(
    needed: tuple[str, ...],
    tags: frozenset[str],
    is_requester: bool,
    on_session: bool,
    bar: CoverBar | None,
) -> None:
    assert (
        rules.take_bar(role(*needed), tags, is_requester=is_requester, on_session=on_session)
        is bar
    )


# --- being offered it --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "tags", "on_session", "bar"),
    [
        pytest.param(volunteer(2), frozenset({TRAINED}), (), None, id="eligible"),
        pytest.param(
            volunteer(2, status=VolunteerStatus.REMOVED),
            frozenset({TRAINED}),
            (),
            CoverBar.REMOVED,
            id="removed",
        ),
        pytest.param(
            volunteer(2, telegram_id=None),
            frozenset({TRAINED}),
            (),
            CoverBar.UNREACHABLE,
            id="no-chat",
        ),
        pytest.param(volunteer(2), frozenset(), (), CoverBar.ROLE_TAGS, id="lacks-the-tag"),
        pytest.param(
            volunteer(REQUESTER),
            frozenset({TRAINED}),
            (REQUESTER,),
            CoverBar.REQUESTER,
            id="the-requester",
        ),
        pytest.param(
            volunteer(2), frozenset({TRAINED}), (2,), CoverBar.ON_SESSION, id="on-the-session"
        ),
        # removed outranks everything: nobody off the team is ever messaged
        pytest.param(
            volunteer(REQUESTER, telegram_id=None, status=VolunteerStatus.REMOVED),
            frozenset(),
            (REQUESTER,),
            CoverBar.REMOVED,
            id="removed-first",
        ),
    ],
)
def test_who_is_offered_a_place(
    who: Volunteer, tags: frozenset[str], on_session: tuple[int, ...], bar: CoverBar | None
) -> None:
    got = rules.offer_bar(
        who, tags, role(TRAINED), requester_id=REQUESTER, on_session=frozenset(on_session)
    )
    assert got is bar


def test_the_offer_goes_to_everyone_eligible_in_the_order_given() -> None:
    team = [
        volunteer(REQUESTER),  # whose place it is (also on the session)
        volunteer(2),  # trained, free: asked
        volunteer(3),  # untrained: not asked
        volunteer(4),  # trained but already waitlisted that night: not asked
        volunteer(5, telegram_id=None),  # trained, no chat: not asked
        volunteer(6, status=VolunteerStatus.REMOVED),  # trained, removed: not asked
        volunteer(7),  # an admin: counts as a coordinator, which the role accepts
        volunteer(8),  # not in the tags mapping at all: holds no tags
        volunteer(9),  # trained, free: asked
    ]
    tags = {
        REQUESTER: frozenset({TRAINED}),
        2: frozenset({TRAINED}),
        3: frozenset(),
        4: frozenset({TRAINED}),
        5: frozenset({TRAINED}),
        6: frozenset({TRAINED}),
        7: frozenset({COORDINATOR}),
        9: frozenset({TRAINED, "driver"}),
    }
    asked = rules.cover_candidates(
        team,
        role(TRAINED, COORDINATOR),
        tags=tags,
        on_session={REQUESTER, 4},
        requester_id=REQUESTER,
    )
    assert [v.id for v in asked] == [2, 7, 9]


def test_nobody_is_offered_a_place_when_nobody_fits() -> None:
    team = [volunteer(REQUESTER), volunteer(3)]
    tags = {REQUESTER: frozenset({TRAINED}), 3: frozenset()}
    assert (
        rules.cover_candidates(
            team, role(TRAINED), tags=tags, on_session={REQUESTER}, requester_id=REQUESTER
        )
        == []
    )


def test_the_requester_is_never_offered_their_own_place_even_if_not_listed_on_it() -> None:
    team = [volunteer(REQUESTER), volunteer(2)]
    asked = rules.cover_candidates(team, role(), tags={}, on_session=set(), requester_id=REQUESTER)
    assert [v.id for v in asked] == [2]
    assert [v.id for v in rules.cover_candidates(team, role(), tags={}, on_session=set())] == [
        REQUESTER,
        2,
    ]
