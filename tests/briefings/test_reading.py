"""Got it, /briefstatus, the unread alert at 18:30, and a volunteer who blocked the bot."""

from __future__ import annotations

import datetime as dtm

import pytest

from rota.briefings import services as briefings
from rota.kernel import delivery
from rota.kernel import notice_codec as codec
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.errors import NotCoordinator, NotFound, NotRegistered
from tests.briefings.support import (
    BRIEF_AT,
    DAY,
    UNREAD_AT,
    briefing_of,
    briefing_rows,
    chats_of,
    milestones,
    read,
    sent,
    tick,
)
from tests.conftest import ADMIN_ID
from tests.refusing import refusing
from tests.safety.support import (
    CORA,
    DEE,
    DOT,
    LENA,
    NELL,
    TIA,
    Night,
    at,
    item_of,
    make_night,
    outbox_rows,
    send,
)
from tests.services.helpers import Uow, snapshot

ON_ROTA = sorted([CORA, LENA, DEE, TIA, NELL])
COORDINATORS = sorted([ADMIN_ID, CORA, DOT])


async def _briefing_id(night: Night, telegram_id: int) -> int:
    return int(str((await briefing_of(night, telegram_id)).payload["briefing_id"]))


async def _status(night: Night, day: str = DAY, by: int = CORA) -> briefings.BriefingStatus:
    return await briefings.status(
        night.uow(), telegram_id=by, day=day, config=night.config, now=night.clock.now()
    )


async def test_got_it_records_the_first_tap(night: Night) -> None:
    await tick(night, BRIEF_AT)
    mine = await _briefing_id(night, TIA)
    night.clock.set(at(16, 7))
    first = await read(night, TIA, mine)
    assert (first.changed, first.briefing.read_at) == (True, at(16, 7))
    shown = (await briefing_of(night, TIA)).payload  # to show it again, read
    assert first.payload is not None
    assert codec.encode(first.payload) == shown
    night.clock.set(at(16, 9))
    again = await read(night, TIA, mine)
    assert (again.changed, again.briefing.read_at) == (False, at(16, 7))
    reads = {r.volunteer_id: r.read_at for r in await briefing_rows(night.uow)}
    assert reads[night.ids[TIA]] == at(16, 7)
    assert [v for v, at_ in reads.items() if at_ is not None] == [night.ids[TIA]]


async def test_someone_elses_or_a_missing_briefing_is_refused_and_nothing_changes(
    night: Night,
) -> None:
    await tick(night, BRIEF_AT)
    tias = await _briefing_id(night, TIA)
    before = await snapshot(night.uow)
    with refusing(NotFound, match="isn't your briefing"):
        await read(night, NELL, tias)
    with refusing(NotFound, match="isn't your briefing"):
        await read(night, CORA, tias)  # not even a coordinator may tick it for her
    with refusing(NotFound, match="isn't your briefing"):
        await read(night, TIA, 999_999)
    with pytest.raises(NotRegistered):
        await read(night, 555_555, tias)
    assert await snapshot(night.uow) == before


async def test_status_shows_who_has_read_it(night: Night) -> None:
    night.clock.set(at(12))
    early = await _status(night)
    assert (early.sent, early.sends_at, early.read, early.unread) == (False, BRIEF_AT, [], [])
    assert early.not_briefed == ["Cora", "Lena", "Dee", "Tia", "Nell"]  # sign-up order

    await tick(night, BRIEF_AT)
    night.clock.set(at(16, 10))
    await read(night, NELL, await _briefing_id(night, NELL))
    night.clock.set(at(16, 20))
    await read(night, LENA, await _briefing_id(night, LENA))
    st = await _status(night)
    assert st.sent
    assert st.read == [("Lena", at(16, 20)), ("Nell", at(16, 10))]
    assert st.unread == ["Cora", "Dee", "Tia"]
    assert (st.not_briefed, st.unreachable, st.notes) == ([], [], 0)
    async with night.uow() as work:
        assert await briefings.unread(work, night.session_id) == ["Cora", "Dee", "Tia"]


async def test_status_refuses_strangers_and_unknown_dates(night: Night) -> None:
    with pytest.raises(NotCoordinator):
        await _status(night, by=TIA)
    with refusing(NotFound, match="no session on 2026-12-03"):
        await _status(night, day="2026-12-03")
    night.clock.set(at(23, 30))  # a past session may still be looked at
    assert (await _status(night)).session.id == night.session_id


# ---------------------------------------------------------------------------- unread alert


async def test_at_half_past_six_the_lead_and_on_call_hear_who_has_not_read_it(
    night: Night,
) -> None:
    await tick(night, BRIEF_AT)
    for person in (TIA, NELL, DEE):
        await read(night, person, await _briefing_id(night, person))
    await tick(night, UNREAD_AT - dtm.timedelta(seconds=1))
    assert await sent(night.uow, briefings.UNREAD_ALERT) == []
    await tick(night, UNREAD_AT)
    alerts = await sent(night.uow, briefings.UNREAD_ALERT)
    assert sorted(a.chat_id for a in alerts) == sorted([LENA, CORA])
    assert {tuple(a.payload["names"]) for a in alerts} == {("Cora", "Lena")}
    assert {a.payload["total"] for a in alerts} == {5}
    assert "unread_alert" in await milestones(night.uow, night.session_id)
    for when in (at(18, 31), at(18, 59)):
        await tick(night, when)
    assert len(await sent(night.uow, briefings.UNREAD_ALERT)) == 2


async def test_no_unread_alert_when_everyone_has_read_it(night: Night) -> None:
    await tick(night, BRIEF_AT)
    for person in ON_ROTA:
        await read(night, person, await _briefing_id(night, person))
    await tick(night, UNREAD_AT)
    assert await sent(night.uow, briefings.UNREAD_ALERT) == []
    assert "unread_alert" in await milestones(night.uow, night.session_id)


async def test_with_nobody_on_call_every_coordinator_hears_it(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await make_night(uow, config, clock, oncall=False)
    await tick(night, BRIEF_AT)
    await tick(night, UNREAD_AT)
    assert await chats_of(night.uow, briefings.UNREAD_ALERT) == sorted([*COORDINATORS, LENA])


async def test_no_unread_alert_once_the_walk_has_started(night: Night) -> None:
    await tick(night, BRIEF_AT)
    await tick(night, at(19))
    assert await sent(night.uow, briefings.UNREAD_ALERT) == []


# ---------------------------------------------------------------------------- blocked


async def test_a_blocked_volunteer_is_reported_to_the_coordinators_once(night: Night) -> None:
    await tick(night, BRIEF_AT)
    rows = await outbox_rows(night.uow, briefings.BRIEFING)
    blocked = next(r for r in rows if r.chat_id == NELL)
    await send(night.uow, [r for r in rows if r is not blocked], at(16, 0, 1))
    gone = delivery.GiveUp("403: Forbidden: bot was blocked by the user", unreachable=True)
    await delivery.record_outcome(
        night.uow(), item_of(blocked), gone, now=at(16, 0, 2), config=night.config
    )
    told = await sent(night.uow, briefings.UNREACHABLE)
    assert sorted(t.chat_id for t in told) == COORDINATORS
    assert {t.payload["name"] for t in told} == {"Nell"}
    # An update to her briefing fails too: nobody is told a second time.
    night.clock.set(at(17))
    await briefings.add_note(
        night.uow(),
        telegram_id=CORA,
        day=DAY,
        text="Road closed.",
        config=night.config,
        now=at(17),
    )
    (update,) = [
        r for r in await outbox_rows(night.uow, briefings.NOTE_UPDATE) if r.chat_id == NELL
    ]
    await delivery.record_outcome(
        night.uow(), item_of(update), gone, now=at(17, 0, 1), config=night.config
    )
    assert len(await sent(night.uow, briefings.UNREACHABLE)) == len(COORDINATORS)
    st = await _status(night)
    assert (st.unreachable, st.unread) == (["Nell"], ["Cora", "Lena", "Dee", "Tia"])
    # Everyone else's briefing went out as usual.
    states = {r.chat_id: r.state for r in await outbox_rows(night.uow, briefings.BRIEFING)}
    assert states == {c: ("unreachable" if c == NELL else "sent") for c in ON_ROTA}


async def test_a_blocked_coordinator_is_not_told_about_herself(night: Night) -> None:
    await tick(night, BRIEF_AT)
    cora = next(r for r in await outbox_rows(night.uow, briefings.BRIEFING) if r.chat_id == CORA)
    gone = delivery.GiveUp("403: Forbidden: bot was blocked by the user", unreachable=True)
    await delivery.record_outcome(
        night.uow(), item_of(cora), gone, now=at(16), config=night.config
    )
    assert await chats_of(night.uow, briefings.UNREACHABLE) == sorted([ADMIN_ID, DOT])
