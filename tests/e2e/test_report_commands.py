"""After the shift, end to end: the lead's debrief in chat, /report and /mycalendar.

The night is Wed 2 Dec 2026, 19:00-23:00 (GMT): Lee leads, Ana and Bea walk, Cora (the
bootstrap coordinator) is on call.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dtm
import io
import json

import icalendar
import pytest

from bot import texts
from bot.fake_telegram import BotMessage, FakeTelegram, FakeUser
from bot.fake_telegram.server import UploadedFile
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.template import parse_template
from tests.conftest import TEMPLATE, DbInfo
from tests.e2e.conftest import (
    Harness,
    another_app,
    count_of,
    eventually,
    night,
    running_bot,
    sign_up,
)

pytestmark = pytest.mark.e2e

FIRST = "Debrief · Wed 2 Dec · 1/10"
INCIDENT = "Call back re housing <urgent> & ask about the arches"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclasses.dataclass
class Crew:
    lee: FakeUser
    ana: FakeUser
    bea: FakeUser
    cora: FakeUser


async def crew(bot: Harness) -> Crew:
    ana, bea = await bot.join("Ana", "trained"), await bot.join("Bea", "new")
    lee = await bot.join("Lee", "lead")
    cora = bot.coordinator
    await sign_up(bot, ana, "Walker")
    await sign_up(bot, bea, "Walker")
    await sign_up(bot, lee, "Team lead")
    await sign_up(bot, cora, "On-call coordinator")
    return Crew(lee=lee, ana=ana, bea=bea, cora=cora)


async def session_ends(bot: Harness, people: Crew) -> BotMessage:
    bot.clock.set(night(23, 0, 5))
    await bot.run_job("shift")
    return await people.lee.wait_for(FIRST)


async def reply_to(user: FakeUser, text: str, needle: str) -> BotMessage:
    """Send a private message; the bot's first answer after it that contains `needle`."""
    sent = await user.send(text)
    return await user.wait_for(needle, after=sent["message_id"])


async def debrief_answers(bot: Harness) -> tuple[int, dict[str, int]]:
    (row,) = await bot.rows("debriefs")
    return row["step"], json.loads(row["answers"])


def uploaded(bot: Harness, message: BotMessage) -> UploadedFile:
    assert message.kind == "document", message
    assert message.file_id is not None
    upload = bot.tg.files[message.file_id]
    assert isinstance(upload, UploadedFile)
    return upload


def documents(user: FakeUser) -> list[BotMessage]:
    return [m for m in user.messages() if m.kind == "document"]


async def wait_documents(user: FakeUser, n: int) -> list[BotMessage]:
    """The user's documents, once there are at least n of them."""

    async def enough() -> list[BotMessage]:
        found = documents(user)
        return found if len(found) >= n else []

    found = await eventually(enough)
    assert len(found) >= n, user.messages()
    return found


# ------------------------------------------------------------------ the debrief


async def test_the_lead_is_debriefed_in_chat_and_the_incident_reaches_only_coordinators(
    bot: Harness,
) -> None:
    people = await crew(bot)
    first = await session_ends(bot, people)
    assert "Thank you for tonight" in first.text
    assert "don't include names" in first.text
    assert "new to us" in first.text
    for person in (people.ana, people.bea, people.cora):
        assert count_of(person, "Debrief ·") == 0

    # not a number: asked again, nothing stored
    again = await reply_to(people.lee, "lots", "1/10")
    assert again.text.startswith("Sorry, I need a whole number, like 0 or 12. Nothing was saved.")
    again = await reply_to(people.lee, "-2", "1/10")
    assert again.text.startswith("A count can't be below zero.")
    assert await debrief_answers(bot) == (0, {})

    answers = ["0", "5", "10", "4", "50", "2", "1", "0", "1"]
    for number, text in enumerate(answers, start=2):
        await reply_to(people.lee, text, f"{number}/10")
    last = people.lee.messages()[-1]
    assert "Any incident that needs follow-up? (type it, or 'no')" in last.text
    assert await debrief_answers(bot) == (
        9,
        {
            "new_contacts": 0,
            "repeat_contacts": 5,
            "food_bags": 10,
            "harm_reduction_kits": 4,
            "condoms": 50,
            "referrals": 2,
            "ugly_mugs_reports": 1,
            "police_reports": 0,
            "sarc_referrals": 1,
        },
    )

    thanks = await reply_to(people.lee, INCIDENT, "Thank you!")
    assert "The debrief for Wed 2 Dec is saved" in thanks.text
    assert "• Condoms: 50" in thanks.text
    assert "• Women contacted (new): 0" in thanks.text
    assert "Your note about an incident has gone to the coordinators." in thanks.text
    note = await people.cora.wait_for("Follow-up needed · Wed 2 Dec")
    assert INCIDENT in note.text  # shown as typed: escaped for Telegram's HTML
    assert "Lee answered" in note.text
    for person in (people.lee, people.ana, people.bea):
        assert count_of(person, "arches") == 0
        assert count_of(person, "Follow-up needed") == 0
    (row,) = await bot.rows("debriefs")
    assert (row["state"], row["incident"]) == ("done", "reported")
    assert "arches" not in row["answers"]

    # finished: free text gets the usual hint again
    hint = await reply_to(people.lee, "4", texts.NOT_A_COMMAND)
    assert hint.text == texts.NOT_A_COMMAND
    hint = await reply_to(people.ana, "7", texts.NOT_A_COMMAND)
    assert hint.text == texts.NOT_A_COMMAND

    # the month's report has the debrief, never the note
    bot.clock.set(dtm.datetime(2026, 12, 3, 12, tzinfo=dtm.UTC))
    table = await reply_to(people.cora, "/report", "Outreach report")
    assert "Outreach report: December 2026" in table.text
    assert "arches" not in table.text
    sent = await wait_documents(people.cora, 2)
    csv_file = next(m for m in sent if (m.filename or "").endswith(".csv"))
    figures = {
        (r["section"], r["item"]): r["value"]
        for r in csv.DictReader(io.StringIO(uploaded(bot, csv_file).data.decode()))
    }
    assert figures[("sessions", "held")] == "1"
    assert figures[("debrief", "condoms")] == "50"
    assert figures[("debrief", "sessions_debriefed")] == "1"
    assert figures[("volunteer_hours", "total")] == "16"
    assert "arches" not in uploaded(bot, csv_file).data.decode()


async def test_the_duress_word_still_comes_first_during_a_debrief(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    duress = dataclasses.replace(
        config,
        template=parse_template(TEMPLATE + '\n[checkins]\nduress_word = "bluebell"\n'),
    )
    async with running_bot(tg, db, duress, clock) as bot:
        people = await crew(bot)
        await session_ends(bot, people)
        await bot.run_job("safety")
        await people.lee.wait_for("home safe")  # the home-safe round keeps the night live
        await reply_to(people.lee, "3", "2/10")
        looks_fine = await reply_to(people.lee, "Bluebell", "Checked in")
        assert looks_fine.text.startswith("✓ Checked in at 23:")
        alarms = await bot.rows("escalations")
        assert [a["kind"] for a in alarms] == ["duress"]
        assert await debrief_answers(bot) == (1, {"new_contacts": 3})  # not taken as an answer
        assert count_of(people.lee, "whole number") == 0


async def test_a_restart_in_the_middle_of_the_debrief_carries_on(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    async with running_bot(tg, db, config, clock) as first:
        people = await crew(first)
        await session_ends(first, people)
        for number, text in enumerate(["2", "3", "4"], start=2):
            await reply_to(people.lee, text, f"{number}/10")
    # the bot stops; a new process starts over the same database
    clock.set(night(23, 30))
    async with another_app(tg, db, config, clock) as second:
        shown = await reply_to(people.lee, "/debrief", "Debrief ·")
        assert "4/10" in shown.text
        assert "harm-reduction kits" in shown.text
        await reply_to(people.lee, "6", "5/10")
        assert await debrief_answers(second) == (
            4,
            {"new_contacts": 2, "repeat_contacts": 3, "food_bags": 4, "harm_reduction_kits": 6},
        )
        await second.run_job("shift")  # the debrief is not started again
        assert count_of(people.lee, FIRST) == 1


# ------------------------------------------------------------------ /report


async def test_report_sends_the_table_the_chart_and_the_csv(bot: Harness) -> None:
    cora = bot.coordinator
    before = len(bot.tg.files)
    table = await reply_to(cora, "/report 2026-11", "Outreach report")
    assert "Outreach report: November 2026" in table.text
    assert [e["type"] for e in table.entities] == ["pre"]
    chart, sheet = await wait_documents(cora, 2)
    assert chart.filename == "outreach-report-2026-11.png"
    assert sheet.filename == "outreach-report-2026-11.csv"
    png = uploaded(bot, chart).data
    assert png.startswith(PNG_MAGIC)
    assert len(png) > 20_000
    rows = list(csv.reader(io.StringIO(uploaded(bot, sheet).data.decode())))
    assert rows[0] == ["section", "item", "value"]
    assert ["report", "month", "2026-11"] in rows
    assert len(bot.tg.files) == before + 2


async def test_report_defaults_to_this_month(bot: Harness) -> None:
    table = await reply_to(bot.coordinator, "/report", "Outreach report")
    assert "November 2026" in table.text  # Mon 30 Nov 2026


@pytest.mark.parametrize("month", ["2026-13", "nov", "2026-11 extra"])
async def test_a_bad_month_gets_a_polite_reply_and_no_files(bot: Harness, month: str) -> None:
    before = len(bot.tg.files)
    reply = await reply_to(bot.coordinator, f"/report {month}", "YYYY-MM")
    assert "e.g. " in reply.text
    assert len(bot.tg.files) == before
    assert documents(bot.coordinator) == []


async def test_report_is_for_coordinators_only(bot: Harness) -> None:
    ana = await bot.join("Ana", "trained")
    stranger = bot.tg.user("Sam")
    for person in (ana, stranger):
        reply = await reply_to(person, "/report 2026-11", "only coordinators")
        assert reply.text == "Sorry, only coordinators can do that."
        assert documents(person) == []
    assert bot.tg.calls_to("sendDocument") == []


# ------------------------------------------------------------------ /mycalendar


async def test_mycalendar_sends_the_shifts_as_ics(bot: Harness) -> None:
    ana = await bot.join("Ana", "trained")
    await sign_up(bot, ana, "Walker")
    document = await reply_to(ana, "/mycalendar", "upcoming shift")
    assert document.kind == "document"
    assert document.filename == "outreach-shifts.ics"
    assert document.text.startswith("Your 1 upcoming shift:")
    calendar = icalendar.Calendar.from_ical(uploaded(bot, document).data)
    (event,) = calendar.walk("VEVENT")
    start = event.decoded("dtstart")
    assert start == dtm.datetime(2026, 12, 2, 19, 0, tzinfo=dtm.UTC)
    assert event.decoded("dtend") == dtm.datetime(2026, 12, 2, 23, 0, tzinfo=dtm.UTC)
    assert str(event["summary"]) == "Outreach: Walker"


async def test_mycalendar_without_shifts_or_for_a_stranger(bot: Harness) -> None:
    bea = await bot.join("Bea", "new")
    reply = await reply_to(bea, "/mycalendar", "no upcoming shifts")
    assert reply.text.startswith("You have no upcoming shifts")
    stranger = bot.tg.user("Sam")
    reply = await reply_to(stranger, "/mycalendar", "not on the team")
    assert "not on the team" in reply.text
    assert bot.tg.calls_to("sendDocument") == []
