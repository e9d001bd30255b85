"""Forgetting a person for real: every row that named them rewritten, the counts kept.

The pure matching rules first (whole words, phone forms, JSON walked), then a night with an
SOS, a location, a missed check-in, a safety note and an incident report about one walker,
erased through /forgetme's use case and read back from every table.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dtm
import json
import re
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.errors import NotFound
from rota.kernel.outbox import Notice
from rota.people import membership as people
from rota.people.model import Volunteer, VolunteerStatus
from rota.privacy.erasure import (
    FORMER_VOLUNTEER,
    AlertStillOpen,
    ErasureCounts,
    Traces,
    erase_volunteer,
)
from rota.reports import services as reports
from rota.safety import alarms, checkins
from rota.storage.engine import create_engine
from rota.storage.migrate import upgrade
from rota.storage.tables import (
    Base,
    EscalationRow,
    LocationRow,
    PairMemberRow,
    SafetyLogRow,
    SafetyNoteRow,
    SignUpRow,
    VolunteerRow,
)
from tests.conftest import ADMIN_ID
from tests.notices import raw
from tests.refusing import refusing
from tests.safety.support import CORA, NELL, TIA, Night, at, make_night, outbox_rows, send
from tests.services.helpers import Uow, fetch, join_team, snapshot, volunteer_row

NAME = "Zephyrine Quill"
USERNAME = "zeph_walks"
PHONE = "+44 7700 900123"
ZEPH = 7_301_000_101  # her Telegram id: a number nothing else in the database can be
SAM = 7_301_000_555


def _traces(**over: Any) -> Traces:
    base: dict[str, Any] = {
        "volunteer_id": 7,
        "names": (NAME,),
        "username": USERNAME,
        "phone": PHONE,
        "telegram_id": ZEPH,
    }
    return Traces(**(base | over))


# --- matching: pure ---------------------------------------------------------------------------


def test_a_short_name_is_replaced_only_as_a_whole_word() -> None:
    traces = _traces(names=("Al",))

    assert traces.scrub("Alice met Al; AL said hi, al.") == (
        "Alice met a former volunteer; a former volunteer said hi, a former volunteer."
    )


def test_someone_elses_longer_name_containing_it_is_kept() -> None:
    me = Volunteer(1, ZEPH, "Al", None, None, frozenset(), VolunteerStatus.ACTIVE, at(12))
    other = dataclasses.replace(me, id=2, telegram_id=5, display_name="Al Green")

    traces = Traces.of(me, [me, other])

    assert traces.scrub("Al Green walks with Al") == "Al Green walks with a former volunteer"


def test_the_first_name_alone_is_replaced_unless_it_is_someone_elses_name() -> None:
    me = Volunteer(1, ZEPH, NAME, None, None, frozenset(), VolunteerStatus.ACTIVE, at(12))
    alone = Traces.of(me, [me])
    other = dataclasses.replace(me, id=2, telegram_id=42, display_name="Zephyrine")
    twin = dataclasses.replace(me, id=3, telegram_id=43)
    shared = Traces.of(me, [me, other, twin])

    text = f"{NAME} and Zephyrine"
    assert alone.scrub(text) == f"{FORMER_VOLUNTEER} and {FORMER_VOLUNTEER}"
    assert shared.scrub(text) == f"{FORMER_VOLUNTEER} and Zephyrine"
    assert shared.namesakes == {43}  # the very same name: only their links are told apart


@pytest.mark.parametrize(
    "written",
    ["+44 7700 900123", "+447700900123", "07700 900123", "07700-900-123", "447700900123"],
)
def test_the_phone_number_is_found_in_its_usual_forms(written: str) -> None:
    assert _traces().scrub(f"call {written} now") == "call (number removed) now"


def test_the_telegram_id_and_handle_are_found_only_as_themselves() -> None:
    traces = _traces()

    assert traces.scrub(f"id {ZEPH}, not {ZEPH}9; @{USERNAME} or {USERNAME.upper()}") == (
        f"id (id removed), not {ZEPH}9; {FORMER_VOLUNTEER} or {FORMER_VOLUNTEER}"
    )
    assert traces.scrub_key(f"alert:4:1:{ZEPH}") == "alert:4:1:v7"


def test_a_json_payload_is_walked_not_regexed() -> None:
    payload = {
        "names": f"{NAME} & Nell",
        "members": [{"name": NAME, "phone": "07700900123"}, {"name": "Nell", "phone": "0800"}],
        "people": [[NAME, ZEPH], [NAME, 42], ["Nell", 43]],  # 42: a namesake, not her
        "pairs": [[f"{NAME} & Nell", 1]],  # a count, not an id: scrubbed
        "roles": [["Walker", [NAME, "Nell"]]],
        "chat": ZEPH,
        "at": "2026-12-02T19:05:00+00:00",
    }

    assert _traces(namesakes=frozenset({42})).scrub_json(payload) == {
        "names": f"{FORMER_VOLUNTEER} & Nell",
        "members": [
            {"name": FORMER_VOLUNTEER, "phone": None},
            {"name": "Nell", "phone": "0800"},
        ],
        "people": [[FORMER_VOLUNTEER, None], [NAME, 42], ["Nell", 43]],
        "pairs": [[f"{FORMER_VOLUNTEER} & Nell", 1]],
        "roles": [["Walker", [FORMER_VOLUNTEER, "Nell"]]],
        "chat": None,
        "at": "2026-12-02T19:05:00+00:00",
    }


def test_counts_add_up_and_print_one_line_per_table() -> None:
    counts = ErasureCounts(volunteers=1, outbox_deleted=3) + ErasureCounts(safety_log=2)

    assert counts.total == 6
    assert "outbox_deleted: 3" in counts.as_lines()
    assert "safety_log: 2" in counts.as_lines()


# --- the scan ---------------------------------------------------------------------------------


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


async def leaks(
    engine: AsyncEngine, words: Sequence[str], phones: Sequence[str], telegram_ids: Sequence[int]
) -> list[str]:
    """Every place in every column of every table that still holds one of these.

    Text (JSON included, read decoded as well as raw) is searched for the words in any case,
    for the phone numbers by their digits, and for the Telegram ids as numbers; integer
    columns must not hold a Telegram id. Tables come from the metadata: a new one is covered.
    """
    found: list[str] = []
    wanted_digits = [_digits(p)[-10:] for p in phones]
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in (await conn.execute(select(table))).mappings():
                for column, value in row.items():
                    where = f"{table.name}.{column} = {value!r}"
                    if isinstance(value, bool) or value is None:
                        continue
                    if isinstance(value, int):
                        if value in telegram_ids:
                            found.append(where)
                        continue
                    if not isinstance(value, str):
                        continue
                    texts = [value]
                    with contextlib.suppress(ValueError):
                        texts.append(json.dumps(json.loads(value), ensure_ascii=False))
                    for text in texts:
                        lowered = text.lower()
                        hits = [w for w in words if w.lower() in lowered]
                        hits += [str(t) for t in telegram_ids if str(t) in text]
                        hits += [p for p in wanted_digits if p in _digits(text)]
                        if hits:
                            found.append(f"{where}: {hits}")
                            break
    return found


# --- a night with Zephyrine on it ---------------------------------------------------------------


async def _zeph_night(uow: Uow, config: RotaConfig, clock: FakeClock) -> Night:
    """The standard night, with Tia renamed Zephyrine (distinctive handle, phone and id)."""
    night = await make_night(uow, config, clock)
    async with uow() as work:
        tia = await work.volunteers.by_telegram_id(TIA)
        assert tia is not None
        await work.volunteers.save(
            dataclasses.replace(
                tia, telegram_id=ZEPH, display_name=NAME, username=USERNAME, phone=PHONE
            )
        )
        await work.commit()
    night.ids[ZEPH] = night.ids.pop(TIA)
    return night


async def _escalations(uow: Uow) -> list[Any]:
    return await fetch(uow, select(EscalationRow).order_by(EscalationRow.id))


async def _resolve_all(night: Night) -> None:
    for escalation in await _escalations(night.uow):
        if escalation.state != "resolved":
            await alarms.resolve(
                night.uow(),
                telegram_id=CORA,
                escalation_id=escalation.id,
                config=night.config,
                now=night.clock.now(),
            )


async def _eventful(night: Night) -> None:
    """19:00 the walk starts; 19:05 her SOS, 19:06 her position; the 19:30 check-in is
    missed (alerted 19:40); a safety note and a failed incident report name her."""
    uow, config = night.uow, night.config
    await night.start()
    night.clock.set(at(19, 5))
    await checkins.sos(uow(), telegram_id=ZEPH, config=config, now=night.clock.now())
    night.clock.set(at(19, 6))
    await checkins.share_location(
        uow(), telegram_id=ZEPH, latitude=51.5, longitude=-0.12, config=config, now=at(19, 6)
    )
    await night.run(at(19, 30))
    await night.run(at(19, 40))
    # Some messages delivered (their payloads stay until retention), the rest still waiting.
    await send(night.uow, (await outbox_rows(uow))[::2], night.clock.now())
    async with uow() as work:
        await work.briefings.add_note(
            night.session_id,
            f"{NAME} (@{USERNAME}, 07700 900123) carries the spare phone",
            author_id=night.ids[CORA],
            now=night.clock.now(),
        )
        await work.outbox.add(
            Notice(
                chat_id=CORA,
                payload=raw(
                    "debrief_incident", text="Zephyrine was followed near the arches", by="Lena"
                ),
            ),
            now=night.clock.now(),
            due_at=None,
        )
        await work.safety.log(
            night.session_id, "note", at=night.clock.now(), detail=f"{NAME} rang {ZEPH}"
        )
        await work.commit()


async def test_an_open_alert_about_her_refuses_and_changes_nothing(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await _zeph_night(uow, config, clock)
    await _eventful(night)
    assert [e.state for e in await _escalations(uow)].count("open") >= 1
    before = await snapshot(uow)

    with refusing(AlertStillOpen, match="still open"):
        await people.may_forget(uow(), telegram_id=ZEPH, config=config)
    with refusing(AlertStillOpen, match="resolved it, send /forgetme again"):
        await people.forget_me(uow(), telegram_id=ZEPH, config=config, now=clock.now())
    with refusing(AlertStillOpen, match=f"about {NAME} is still open"):
        await people.remove_volunteer(
            uow(), telegram_id=ADMIN_ID, who=NAME, config=config, now=clock.now(), forget=True
        )

    assert await snapshot(uow) == before


async def test_forgetme_scrubs_every_table_and_keeps_the_counts(
    uow: Uow, engine: AsyncEngine, config: RotaConfig, clock: FakeClock
) -> None:
    night = await _zeph_night(uow, config, clock)
    await _eventful(night)
    await _resolve_all(night)
    zeph_id = night.ids[ZEPH]
    needles = ([NAME, "Zephyrine", USERNAME], [PHONE], [ZEPH])
    assert len(await leaks(engine, *needles)) > 10  # the scan sees what is there
    later = dtm.datetime(2027, 1, 5, tzinfo=dtm.UTC)
    report_before = await reports.monthly_report(uow(), month="2026-12", now=later)
    kept_before = [
        await fetch(uow, select(t).where(t.volunteer_id == zeph_id))  # type: ignore[attr-defined]
        for t in (SignUpRow, PairMemberRow)
    ]

    forgotten = await people.forget_me(uow(), telegram_id=ZEPH, config=config, now=clock.now())

    assert await leaks(engine, *needles) == []
    counts = forgotten.erased
    assert counts.volunteers == 1
    assert counts.outbox_deleted >= 3  # her prompts, her SOS reply, her alerts as a responder
    assert counts.outbox_rewritten >= 5
    assert (counts.locations_deleted, counts.safety_notes) == (1, 1)
    assert counts.safety_log >= 3
    row = await volunteer_row(uow, zeph_id)
    assert (row.telegram_id, row.display_name, row.username, row.phone, row.tags) == (
        None,
        FORMER_VOLUNTEER,
        None,
        None,
        "",
    )
    assert (row.status, row.removed_at) == ("removed", clock.now())
    assert await fetch(uow, select(LocationRow)) == []
    (note,) = await fetch(uow, select(SafetyNoteRow.text))
    former = FORMER_VOLUNTEER
    assert note.text == f"{former} ({former}, (number removed)) carries the spare phone"
    details = [r.detail for r in await fetch(uow, select(SafetyLogRow.detail))]
    assert f"{FORMER_VOLUNTEER} rang (id removed)" in details
    alerts = [r for r in await outbox_rows(uow, "alert") if r.payload.get("members")]
    assert alerts
    for alert in alerts:
        assert alert.payload["members"][0] == {"name": FORMER_VOLUNTEER, "phone": None}
        assert [m["name"] for m in alert.payload["members"][1:]] == ["Nell"]
    places = await outbox_rows(uow, "alert_location", "alert_location_move")
    assert places
    assert all(p.payload == {} for p in places)
    assert all(p.state != "pending" for p in places)  # a waiting one is never sent now
    # The rows reports count stay, linked to the anonymous row; so the report is the same.
    assert [
        await fetch(uow, select(t).where(t.volunteer_id == zeph_id))  # type: ignore[attr-defined]
        for t in (SignUpRow, PairMemberRow)
    ] == kept_before
    assert await reports.monthly_report(uow(), month="2026-12", now=later) == report_before
    # Nell, her partner, is untouched.
    nell = await volunteer_row(uow, night.ids[NELL])
    assert (nell.display_name, nell.telegram_id) == ("Nell", NELL)


async def test_a_second_erasure_finds_nothing_to_do(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    night = await _zeph_night(uow, config, clock)
    await _eventful(night)
    await _resolve_all(night)
    async with uow() as work:
        zeph = await work.volunteers.by_telegram_id(ZEPH)
        assert zeph is not None
        first = await erase_volunteer(work, zeph, now=clock.now())
        await work.commit()
    before = await snapshot(uow)

    async with uow() as work:  # the same (stale) volunteer again, then the stored one
        again = await erase_volunteer(work, zeph, now=clock.now())
        stored = await work.volunteers.get(zeph.id)
        assert stored is not None
        after_that = await erase_volunteer(work, stored, now=clock.now())
        await work.commit()

    assert first.total > 0
    assert (again.total, after_that.total) == (0, 0)
    assert await snapshot(uow) == before


# --- /remove and /remove ... forget -----------------------------------------------------------


async def _sam(uow: Uow, config: RotaConfig, clock: FakeClock) -> Volunteer:
    await join_team(uow, config, clock, ADMIN_ID, tags=["coordinator"], name="Ada")
    sam = await join_team(uow, config, clock, SAM, name="Sam Lee", username="samlee")
    await people.save_phone(
        uow(), telegram_id=SAM, phone="07700 900456", contact_user_id=SAM, config=config
    )
    async with uow() as work:
        await work.outbox.add(
            Notice(payload=raw("reminder", name="Sam Lee"), chat_id=ADMIN_ID),
            now=clock.now(),
            due_at=None,
        )
        await work.commit()
    return sam


async def test_plain_remove_keeps_the_data_and_says_until_when(
    uow: Uow, engine: AsyncEngine, config: RotaConfig, clock: FakeClock
) -> None:
    sam = await _sam(uow, config, clock)

    removal = await people.remove_volunteer(
        uow(), telegram_id=ADMIN_ID, who="@samlee", config=config, now=clock.now()
    )

    assert (removal.erased, removal.erase_after) == (None, clock.now() + dtm.timedelta(days=30))
    row = await volunteer_row(uow, sam.id)
    assert (row.display_name, row.telegram_id, row.status, row.removed_at) == (
        "Sam Lee",
        SAM,
        "removed",
        clock.now(),
    )
    async with uow() as work:
        due = await work.retention.removed_before(clock.now() + dtm.timedelta(days=30))
        early = await work.retention.removed_before(clock.now() - dtm.timedelta(seconds=1))
    assert (due, early) == ([sam.id], [])  # what the retention job will erase, and when


async def test_remove_forget_erases_at_once_even_someone_already_removed(
    uow: Uow, engine: AsyncEngine, config: RotaConfig, clock: FakeClock
) -> None:
    sam = await _sam(uow, config, clock)
    await people.remove_volunteer(
        uow(), telegram_id=ADMIN_ID, who="@samlee", config=config, now=clock.now()
    )
    clock.advance(days=2)

    removal = await people.remove_volunteer(
        uow(), telegram_id=ADMIN_ID, who="Sam Lee", config=config, now=clock.now(), forget=True
    )

    assert removal.erase_after is None
    assert removal.erased is not None
    assert (removal.erased.volunteers, removal.erased.outbox_rewritten) == (1, 1)
    assert await leaks(engine, ["Sam Lee", "samlee"], ["07700 900456"], [SAM]) == []
    row = await volunteer_row(uow, sam.id)
    assert row.removed_at == clock.now() - dtm.timedelta(days=2)  # when, as first removed
    async with uow() as work:
        assert await work.retention.removed_before(clock.now()) == []
    # Gone for good: the erased row can't be found again, by name or by the new name.
    for who in ("Sam Lee", FORMER_VOLUNTEER):
        with pytest.raises(NotFound):
            await people.remove_volunteer(
                uow(), telegram_id=ADMIN_ID, who=who, config=config, now=clock.now(), forget=True
            )


async def test_a_plain_remove_does_not_find_someone_already_removed(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    await _sam(uow, config, clock)
    await people.remove_volunteer(
        uow(), telegram_id=ADMIN_ID, who="@samlee", config=config, now=clock.now()
    )
    before = await snapshot(uow)

    with pytest.raises(NotFound):
        await people.remove_volunteer(
            uow(), telegram_id=ADMIN_ID, who="@samlee", config=config, now=clock.now()
        )

    assert await snapshot(uow) == before


async def test_rejoining_after_a_plain_remove_cancels_the_erasure(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    sam = await _sam(uow, config, clock)
    await people.remove_volunteer(
        uow(), telegram_id=ADMIN_ID, who="@samlee", config=config, now=clock.now()
    )

    back = await join_team(uow, config, clock, SAM, name="Sam Lee", username="samlee")

    assert back.id == sam.id
    row = await volunteer_row(uow, sam.id)
    assert (row.status, row.removed_at) == ("active", None)
    async with uow() as work:
        assert await work.retention.removed_before(clock.now() + dtm.timedelta(days=99)) == []


@pytest.mark.parametrize(
    ("args", "parsed"),
    [
        ("Sam", ("Sam", False)),
        ("Sam Lee forget", ("Sam Lee", True)),
        ("@samlee FORGET", ("@samlee", True)),
        ("forget", ("forget", False)),  # someone called Forget
        ("  ", ("", False)),
    ],
)
def test_remove_arguments(args: str, parsed: tuple[str, bool]) -> None:
    assert people.parse_remove(args) == parsed


async def test_the_migration_starts_the_period_for_those_removed_before_it(tmp_path: Any) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        await upgrade(engine, "0004")
        async with engine.begin() as conn:
            for telegram_id, status in ((11, "active"), (12, "removed"), (None, "removed")):
                await conn.execute(
                    text(
                        "INSERT INTO volunteers (telegram_id, display_name, tags, status, "
                        "joined_at) VALUES (:t, 'X', '', :s, '2026-01-01 00:00:00')"
                    ),
                    {"t": telegram_id, "s": status},
                )
        before = dtm.datetime.now(dtm.UTC).replace(microsecond=0)

        await upgrade(engine)

        async with engine.connect() as conn:
            rows = (
                await conn.execute(select(VolunteerRow.telegram_id, VolunteerRow.removed_at))
            ).all()
        stamps = {telegram_id: at for telegram_id, at in rows}
        assert stamps[11] is None  # on the team
        assert stamps[None] is None  # already forgotten: nothing left to erase
        assert stamps[12] is not None
        assert stamps[12] >= before
    finally:
        await engine.dispose()
