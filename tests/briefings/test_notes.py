"""Safety notes: in the briefing, as an update once briefed, refused when wrong, then deleted."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections import Counter

from rota.briefings import services as briefings
from rota.kernel.errors import InvalidInput, NotCoordinator, NotFound, SessionClosed
from rota.roster import sessions, signups
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from tests.briefings.support import (
    BRIEF_AT,
    DAY,
    add_note,
    briefing_of,
    chats_of,
    note_rows,
    sent,
    tick,
)
from tests.conftest import ADMIN_ID, DbInfo
from tests.refusing import refusing
from tests.safety.support import (
    CORA,
    DEE,
    LENA,
    NELL,
    OUTSIDER,
    TIA,
    Night,
    at,
    next_week,
    outbox_rows,
    send,
)
from tests.services.helpers import snapshot

ON_ROTA = sorted([CORA, LENA, DEE, TIA, NELL])
UGLY_MUGS = "Ugly Mugs alert: a man in a grey van offering lifts near Mill Road."
ROAD = "Mill Road is closed between the bridge and the station: walk round by Kent Street."


async def test_notes_added_before_the_briefing_are_in_it_and_sent_no_update(
    night: Night,
) -> None:
    night.clock.set(at(12))
    added = await add_note(night, UGLY_MUGS, by=CORA)
    assert (added.updates, added.notes.sent) == (0, False)
    assert added.notes.sends_at == BRIEF_AT
    await add_note(night, ROAD)
    await tick(night, BRIEF_AT)
    for chat in ON_ROTA:
        assert (await briefing_of(night, chat)).payload["notes"] == [UGLY_MUGS, ROAD]
    assert await sent(night.uow, briefings.NOTE_UPDATE) == []
    (first, second) = await note_rows(night.uow)
    assert (first.text, first.author_id, first.created_at) == (UGLY_MUGS, night.ids[CORA], at(12))
    assert second.author_id == night.ids[ADMIN_ID]


async def test_a_note_added_after_the_briefing_goes_to_everyone_briefed_once(
    night: Night,
) -> None:
    await tick(night, BRIEF_AT)
    night.clock.set(at(17, 45))
    added = await add_note(night, UGLY_MUGS)
    assert (added.updates, added.notes.sent) == (len(ON_ROTA), True)
    updates = await sent(night.uow, briefings.NOTE_UPDATE)
    assert sorted(u.chat_id for u in updates) == ON_ROTA
    assert {u.payload["note"] for u in updates} == {UGLY_MUGS}
    assert {u.payload["starts_at"] for u in updates} == {"2026-12-02T19:00:00+00:00"}
    # Further passes of the clock send nothing more; the briefings are not sent again.
    for when in (at(17, 45, 5), at(18), at(18, 45)):
        await tick(night, when)
    assert len(await sent(night.uow, briefings.NOTE_UPDATE)) == len(ON_ROTA)
    assert Counter(await chats_of(night.uow, briefings.BRIEFING)) == Counter(ON_ROTA)
    # A second note is a second update, again once each.
    night.clock.set(at(18, 50))
    await add_note(night, ROAD)
    await tick(night, at(18, 51))
    updates = await sent(night.uow, briefings.NOTE_UPDATE)
    assert Counter((u.chat_id, u.payload["note"]) for u in updates) == Counter(
        [(c, UGLY_MUGS) for c in ON_ROTA] + [(c, ROAD) for c in ON_ROTA]
    )


async def test_someone_briefed_after_a_note_gets_it_in_the_briefing_not_as_an_update(
    night: Night,
) -> None:
    await tick(night, BRIEF_AT)
    night.clock.set(at(17))
    await add_note(night, UGLY_MUGS)
    await signups.join_role(
        night.uow(),
        telegram_id=OUTSIDER,
        role_id=night.roles["dropin"],
        config=night.config,
        now=at(17, 1),
    )
    await tick(night, at(17, 1, 5))
    assert (await briefing_of(night, OUTSIDER)).payload["notes"] == [UGLY_MUGS]
    assert OUTSIDER not in await chats_of(night.uow, briefings.NOTE_UPDATE)


async def test_a_note_reaches_the_walk_too(night: Night) -> None:
    await tick(night, BRIEF_AT)
    await night.start()
    night.clock.set(at(20, 10))
    added = await add_note(night, ROAD)
    assert added.updates == len(ON_ROTA)


async def test_someone_who_withdrew_after_the_briefing_gets_no_update(night: Night) -> None:
    await tick(night, BRIEF_AT)
    async with night.uow() as work:
        (dee,) = [
            e.signup
            for e in await work.signups.roster([night.session_id])
            if e.volunteer.telegram_id == DEE
        ]
    await signups.withdraw(
        night.uow(), telegram_id=DEE, signup_id=dee.id, config=night.config, now=at(17)
    )
    night.clock.set(at(17, 5))
    added = await add_note(night, ROAD)
    assert added.updates == len(ON_ROTA) - 1
    assert DEE not in await chats_of(night.uow, briefings.NOTE_UPDATE)


async def test_a_note_racing_the_briefing_round_reaches_everyone_exactly_once(
    night: Night, db: DbInfo
) -> None:
    """A coordinator adds a note at the very moment the round runs (two connections)."""
    other = db.engine()
    try:
        night.clock.set(BRIEF_AT)
        await asyncio.gather(
            briefings.run_due(night.uow, config=night.config, now=BRIEF_AT),
            briefings.add_note(
                SqlAlchemyUnitOfWorkFactory(other)(),
                telegram_id=ADMIN_ID,
                day=DAY,
                text=UGLY_MUGS,
                config=night.config,
                now=BRIEF_AT,
            ),
        )
        await tick(night, BRIEF_AT + dtm.timedelta(seconds=5))
    finally:
        await other.dispose()
    for chat in ON_ROTA:
        in_briefing = (await briefing_of(night, chat)).payload["notes"] == [UGLY_MUGS]
        updates = [u for u in await sent(night.uow, briefings.NOTE_UPDATE) if u.chat_id == chat]
        assert in_briefing + len(updates) == 1, chat


async def test_listing_the_notes(night: Night) -> None:
    night.clock.set(at(12))
    await add_note(night, UGLY_MUGS)
    listed = await briefings.list_notes(
        night.uow(), telegram_id=CORA, day=DAY, config=night.config, now=at(12)
    )
    assert [n.text for n in listed.notes] == [UGLY_MUGS]
    assert (listed.session.id, listed.sent) == (night.session_id, False)


async def test_notes_are_kept_per_session(night: Night) -> None:
    week = await next_week(night)
    night.clock.set(at(12))
    await add_note(night, UGLY_MUGS)
    await add_note(night, ROAD, day="2026-12-09")
    await tick(night, BRIEF_AT)
    assert (await briefing_of(night, TIA)).payload["notes"] == [UGLY_MUGS]
    listed = await briefings.list_notes(
        night.uow(), telegram_id=CORA, day="2026-12-09", config=night.config, now=at(12)
    )
    assert (listed.session.id, [n.text for n in listed.notes]) == (week.session_id, [ROAD])


# ---------------------------------------------------------------------------- retention


async def test_notes_are_deleted_twelve_hours_after_the_end_and_not_before(
    night: Night,
) -> None:
    night.clock.set(at(12))
    await add_note(night, UGLY_MUGS)
    week = await next_week(night)
    await add_note(night, ROAD, day="2026-12-09")
    await tick(night, BRIEF_AT)
    night.clock.set(at(17))
    await add_note(night, "Bring a torch: the street lights on Kent Street are out.")
    await tick(night, at(17, 0, 5))
    # Deliver half of what is owed, so both delivered and queued copies exist.
    owed = await outbox_rows(night.uow, briefings.BRIEFING, briefings.NOTE_UPDATE)
    await send(night.uow, owed[::2], at(17, 1))
    ends = dtm.datetime(2026, 12, 2, 23, tzinfo=dtm.UTC)
    retention = night.config.template.briefing.notes_retention
    assert retention == dtm.timedelta(hours=12)

    await tick(night, ends + retention - dtm.timedelta(seconds=1))
    assert len(await note_rows(night.uow)) == 3

    assert await tick(night, ends + retention) == 2
    assert [r.text for r in await note_rows(night.uow)] == [ROAD]  # next week's stays
    # No copy of tonight's notes is left in the stored messages either, and what was never
    # delivered will not be.
    for row in await outbox_rows(night.uow, briefings.BRIEFING, briefings.NOTE_UPDATE):
        assert row.payload.get("notes", []) == []
        assert row.payload.get("note", "") == ""
        assert row.state in ("sent", "cancelled")
    stored = str(await snapshot(night.uow))
    assert "grey van" not in stored
    assert "torch" not in stored
    assert ROAD in stored
    assert {r.session_id for r in await note_rows(night.uow)} == {week.session_id}


# ---------------------------------------------------------------------------- bad input


async def _refused(night: Night, error: type[Exception], match: str, **kw: object) -> None:
    before = await snapshot(night.uow)
    values: dict[str, object] = {"telegram_id": ADMIN_ID, "day": DAY, "text": UGLY_MUGS}
    values.update(kw)
    with refusing(error, match=match):
        await briefings.add_note(night.uow(), config=night.config, now=night.clock.now(), **values)
    assert await snapshot(night.uow) == before


async def test_bad_notes_are_refused_and_change_nothing(night: Night) -> None:
    night.clock.set(at(12))
    await _refused(night, NotCoordinator, "only coordinators", telegram_id=TIA)
    await _refused(night, NotCoordinator, "only coordinators", telegram_id=987_654)
    await _refused(night, InvalidInput, "not a date", day="2/12/2026")
    await _refused(night, InvalidInput, "not a real date", day="2026-02-30")
    await _refused(night, NotFound, "no session on 2026-12-03", day="2026-12-03")
    await _refused(night, NotFound, "no session on 2026-11-25", day="2026-11-25")
    await _refused(night, InvalidInput, "The note is empty", text="   ")
    await _refused(night, InvalidInput, "The note is empty", text='""')
    await _refused(night, InvalidInput, "The note is empty", text="- ...\n  !")
    await _refused(night, InvalidInput, "3501 characters long: 3500 at most", text="x" * 3501)
    # Emoji count twice, as Telegram counts them: 2334 code points, 3501 characters.
    await _refused(night, InvalidInput, "3501 characters long", text="a🚨" * 1167)


async def test_the_longest_note_is_taken_but_not_a_second_past_the_total(night: Night) -> None:
    night.clock.set(at(12))
    await add_note(night, "y" * 3500)
    await _refused(night, InvalidInput, "too long for one message", text="one more")


async def test_a_session_that_is_over_or_cancelled_takes_no_notes(night: Night) -> None:
    night.clock.set(dtm.datetime(2026, 12, 2, 23, tzinfo=dtm.UTC))
    await _refused(night, SessionClosed, "is over")
    with refusing(SessionClosed, match="is over"):
        await briefings.list_notes(
            night.uow(), telegram_id=ADMIN_ID, day=DAY, config=night.config, now=at(23)
        )
    await next_week(night)
    await sessions.cancel_session(
        night.uow(), telegram_id=ADMIN_ID, day="2026-12-09", config=night.config, now=at(23)
    )
    await _refused(night, SessionClosed, "was cancelled", day="2026-12-09")


async def test_notes_are_tidied(night: Night) -> None:
    night.clock.set(at(12))
    added = await add_note(night, "  Line one   \n\n\n\n  line two  \n")
    assert added.note.text == "Line one\n\n  line two"
