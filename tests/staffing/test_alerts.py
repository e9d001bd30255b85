"""Understaffed alerts: what is missing, to whom, when; and the team chat's call-out."""

from __future__ import annotations

import asyncio
import datetime as dtm

import pytest

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.people.model import Volunteer, VolunteerStatus
from rota.roster import sessions, signups
from rota.roster.model import Role, RosterEntry, SignUp, SignUpStatus
from rota.staffing import services as staffing
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from tests.conftest import ADMIN_ID, DbInfo
from tests.services.helpers import Uow
from tests.staffing.support import (
    CORA,
    DEE,
    DOT,
    FULL_NIGHT,
    LENA,
    NELL,
    START,
    TEAM_CHAT,
    TESS,
    TIA,
    VERA,
    before,
    chats,
    make_night,
    milestones,
    outbox_rows,
    tick,
    with_role,
    with_team_chat,
)

COORDINATORS = sorted([CORA, DOT, ADMIN_ID])
ALERT_KINDS = ("understaffed", "staffing_callout")
T0 = dtm.datetime(2026, 11, 1, tzinfo=dtm.UTC)

# --- assess: the rules, without a database ---------------------------------------------------


def _role(rid: int, key: str, minimum: int, *, capacity: int = 4, pairs: bool = False) -> Role:
    requires = frozenset({"trained", "new"}) if pairs else frozenset()
    return Role(rid, 1, key, key.title(), capacity, minimum, pairs, requires, 0, rid)


def _on(
    role: Role, vid: int, *tags: str, status: SignUpStatus = SignUpStatus.CONFIRMED
) -> RosterEntry:
    person = Volunteer(
        vid, vid, f"V{vid}", None, None, frozenset(tags), VolunteerStatus.ACTIVE, T0
    )
    return RosterEntry(SignUp(vid, 1, role.id, vid, status, T0, T0), person, role)


LEAD = _role(1, "lead", 1, capacity=1)
WALKER = _role(2, "walker", 2, pairs=True)
ONCALL = _role(3, "oncall", 1, capacity=1)
ROLES = (LEAD, WALKER, ONCALL)
STAFFED = [_on(LEAD, 1), _on(WALKER, 2, "trained"), _on(WALKER, 3, "new"), _on(ONCALL, 4)]


def test_a_fully_staffed_night_is_ok() -> None:
    result = staffing.assess(ROLES, STAFFED)

    assert result.ok
    assert result.missing == ()
    assert result.needs == ()


def test_roles_below_their_minimum_are_listed_in_role_order() -> None:
    result = staffing.assess(ROLES, [_on(WALKER, 2, "trained")])

    assert result.missing == (
        "Lead: 0 of the 1 needed.",
        "Walker: 1 of the 2 needed.",
        "Oncall: 0 of the 1 needed.",
    )
    assert [(n.role.key, n.more, n.trained) for n in result.needs] == [
        ("lead", 1, False),
        ("walker", 1, False),
        ("oncall", 1, False),
    ]


def test_waitlisted_people_do_not_count() -> None:
    waiting = [*STAFFED[:3], _on(ONCALL, 4, status=SignUpStatus.WAITLISTED)]

    assert staffing.assess(ROLES, waiting).missing == ("Oncall: 0 of the 1 needed.",)


def test_no_lead_no_on_call_and_one_walker_are_said_when_no_minimum_says_it() -> None:
    lead, walker, oncall = (
        _role(1, "lead", 0),
        _role(2, "walker", 1, pairs=True),
        _role(3, "oncall", 0),
    )

    result = staffing.assess((lead, walker, oncall), [_on(walker, 2, "trained")])

    assert result.missing == (
        "No team lead.",
        "No on-call coordinator.",
        "Only 1 walker: walkers go out in pairs, so at least 2 are needed.",
    )
    assert [(n.role.key, n.more) for n in result.needs] == [
        ("lead", 1),
        ("walker", 1),
        ("oncall", 1),
    ]


def test_no_walkers_at_all_needs_two() -> None:
    walker = _role(2, "walker", 0, pairs=True)

    result = staffing.assess((walker,), [])

    assert result.missing == (
        "Only 0 walkers: walkers go out in pairs, so at least 2 are needed.",
    )
    assert [(n.role.key, n.more) for n in result.needs] == [("walker", 2)]


def test_a_new_walker_without_a_trained_partner_is_named() -> None:
    entries = [STAFFED[0], _on(WALKER, 5, "new"), _on(WALKER, 6, "new"), STAFFED[3]]

    result = staffing.assess(ROLES, entries)

    assert result.missing == (
        "Not enough trained walkers: V5 and V6 (new) have no trained partner.",
    )
    assert [(n.role.key, n.more, n.trained) for n in result.needs] == [("walker", 1, True)]


def test_a_new_walker_who_is_also_trained_counts_as_trained() -> None:
    entries = [STAFFED[0], _on(WALKER, 5, "new"), _on(WALKER, 6, "new", "trained"), STAFFED[3]]

    assert staffing.assess(ROLES, entries).ok


def test_a_template_without_lead_on_call_or_walking_roles_asks_only_minimums() -> None:
    dropin = _role(7, "dropin", 1)

    assert staffing.assess((dropin,), [_on(dropin, 1)]).ok


# --- the alerts, on both databases ------------------------------------------------------------

PARTIAL = {TIA: "walker", DEE: "dropin"}
PARTIAL_MISSING = [
    "Team lead: 0 of the 1 needed.",
    "Walker: 1 of the 2 needed.",
    "On-call coordinator: 0 of the 1 needed.",
]


async def test_nothing_is_sent_before_72_hours(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, with_team_chat(config), clock, PARTIAL)

    await tick(uow, with_team_chat(config), clock, before(72) - dtm.timedelta(seconds=1))

    assert await outbox_rows(uow) == []
    assert await milestones(uow, night.session_id) == set()


async def test_the_first_alert_tells_the_coordinators_and_calls_out_in_the_team_chat(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    config = with_team_chat(config)
    night = await make_night(uow, config, clock, PARTIAL)

    await tick(uow, config, clock, before(72))
    await tick(uow, config, clock, before(50))  # nothing more until the second alert

    rows = await outbox_rows(uow)
    assert sorted((r.kind, r.chat_id) for r in rows) == sorted(
        [("understaffed", c) for c in COORDINATORS] + [("staffing_callout", TEAM_CHAT)]
    )
    alert = next(r for r in rows if r.kind == "understaffed")
    assert alert.payload["missing"] == PARTIAL_MISSING
    assert alert.payload["again"] is False
    assert alert.payload["callout"] is True
    assert alert.payload["local_date"] == "2026-12-02"
    assert alert.payload["starts_at"] == START.isoformat()
    callout = next(r for r in rows if r.kind == "staffing_callout")
    assert [
        (n["key"], n["role_id"], n["more"], n["filled"]) for n in callout.payload["needs"]
    ] == [
        ("lead", night.role("lead"), 1, 0),
        ("walker", night.role("walker"), 1, 1),
        ("oncall", night.role("oncall"), 1, 0),
    ]
    assert await milestones(uow, night.session_id) == {"understaffed_1", "understaffed_1_sent"}


async def test_the_second_alert_goes_only_if_still_short(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    config = with_team_chat(config)
    night = await make_night(uow, config, clock, PARTIAL)
    await tick(uow, config, clock, before(72))
    for tid, key in ((LENA, "lead"), (TESS, "walker"), (CORA, "oncall")):
        await signups.join_role(
            uow(), telegram_id=tid, role_id=night.role(key), config=config, now=clock.now()
        )
    first = await outbox_rows(uow, *ALERT_KINDS)

    await tick(uow, config, clock, before(24))

    assert await outbox_rows(uow, *ALERT_KINDS) == first
    assert {"understaffed_1", "understaffed_2"} <= await milestones(uow, night.session_id)


async def test_the_second_alert_says_what_is_still_missing(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    config = with_team_chat(config)
    night = await make_night(uow, config, clock, PARTIAL)
    await tick(uow, config, clock, before(72))
    await signups.join_role(
        uow(), telegram_id=LENA, role_id=night.role("lead"), config=config, now=clock.now()
    )

    await tick(uow, config, clock, before(24))
    await tick(uow, config, clock, before(23))

    second = [
        r for r in await outbox_rows(uow) if r.dedupe_key and "understaffed_2" in r.dedupe_key
    ]
    assert sorted((r.kind, r.chat_id) for r in second) == sorted(
        [("understaffed", c) for c in COORDINATORS] + [("staffing_callout", TEAM_CHAT)]
    )
    alert = next(r for r in second if r.kind == "understaffed")
    assert alert.payload["again"] is True
    assert alert.payload["missing"] == PARTIAL_MISSING[1:]
    callout = next(r for r in second if r.kind == "staffing_callout")
    assert [n["key"] for n in callout.payload["needs"]] == ["walker", "oncall"]


async def test_short_at_24_hours_after_a_quiet_first_check_is_not_still_short(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock, FULL_NIGHT)
    await tick(uow, config, clock, before(72))  # fully staffed: nothing said
    await signups.withdraw(
        uow(), telegram_id=DEE, signup_id=night.signups[DEE], config=config, now=clock.now()
    )

    await tick(uow, config, clock, before(24))

    alerts = await outbox_rows(uow, "understaffed")
    assert sorted(r.chat_id for r in alerts) == COORDINATORS
    assert {(r.payload["again"], tuple(r.payload["missing"])) for r in alerts} == {
        (False, ("Drop-in: 0 of the 1 needed.",))
    }
    assert "understaffed_1_sent" not in await milestones(uow, night.session_id)


async def test_a_fully_staffed_night_sends_nothing(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    config = with_team_chat(config)
    night = await make_night(uow, config, clock, FULL_NIGHT)

    await tick(uow, config, clock, before(72))
    await tick(uow, config, clock, before(24))

    assert await outbox_rows(uow, *ALERT_KINDS) == []
    assert {"understaffed_1", "understaffed_2"} <= await milestones(uow, night.session_id)


async def test_a_worker_down_through_both_alert_times_sends_one_alert(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    config = with_team_chat(config)
    night = await make_night(uow, config, clock, PARTIAL)

    await tick(uow, config, clock, before(20))

    assert await chats(uow, "understaffed") == COORDINATORS
    assert await chats(uow, "staffing_callout") == [TEAM_CHAT]
    assert {r.payload["again"] for r in await outbox_rows(uow, "understaffed")} == {False}
    assert {"understaffed_1", "understaffed_2"} <= await milestones(uow, night.session_id)


async def test_without_a_team_chat_only_the_coordinators_hear(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await make_night(uow, config, clock, PARTIAL)

    await tick(uow, config, clock, before(72))

    assert await chats(uow, "understaffed") == COORDINATORS
    assert await outbox_rows(uow, "staffing_callout") == []
    assert {r.payload["callout"] for r in await outbox_rows(uow, "understaffed")} == {False}


async def test_a_new_walker_with_no_trained_partner_is_reported(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    config = with_team_chat(with_role(config, "walker", capacity=4))
    rota = {LENA: "lead", NELL: "walker", VERA: "walker", DEE: "dropin", CORA: "oncall"}
    await make_night(uow, config, clock, rota)

    await tick(uow, config, clock, before(72))

    (alert, *_) = await outbox_rows(uow, "understaffed")
    assert alert.payload["missing"] == [
        "Not enough trained walkers: Nell and Vera (new) have no trained partner."
    ]
    (callout,) = await outbox_rows(uow, "staffing_callout")
    assert [(n["key"], n["trained"]) for n in callout.payload["needs"]] == [("walker", True)]


async def test_a_shortage_no_button_can_fix_gets_no_call_out(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    config = with_team_chat(config)  # walker capacity 2: both places taken by new walkers
    rota = {LENA: "lead", NELL: "walker", VERA: "walker", DEE: "dropin", CORA: "oncall"}
    await make_night(uow, config, clock, rota)

    await tick(uow, config, clock, before(72))

    assert await chats(uow, "understaffed") == COORDINATORS
    assert await outbox_rows(uow, "staffing_callout") == []


async def test_two_workers_racing_send_one_alert(
    db: DbInfo, uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    config = with_team_chat(config)
    await make_night(uow, config, clock, PARTIAL)
    clock.set(before(72))
    other_engine = db.engine()
    try:
        other = SqlAlchemyUnitOfWorkFactory(other_engine)
        await asyncio.gather(
            *(
                staffing.send_staffing_alerts(w, config=config, now=clock.now())
                for w in (uow, other, uow, other)
            )
        )
    finally:
        await other_engine.dispose()

    assert await chats(uow, "understaffed") == COORDINATORS
    assert await chats(uow, "staffing_callout") == [TEAM_CHAT]


@pytest.mark.parametrize("hours", [72, 24])
async def test_a_cancelled_session_gets_no_alert(
    uow: Uow, config: RotaConfig, clock: FakeClock, hours: int
) -> None:
    await make_night(uow, config, clock, PARTIAL)
    await sessions.cancel_session(
        uow(), telegram_id=ADMIN_ID, day="2026-12-02", config=config, now=clock.now()
    )

    await tick(uow, config, clock, before(hours))

    assert await outbox_rows(uow, *ALERT_KINDS) == []
