"""A Wednesday session is 19:00-23:00 London time on both sides of a clock change.

Stored instants move by an hour in UTC (19:00Z in winter, 18:00Z in summer); what people read,
and when the rota closes, follow the wall clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dtm

import pytest

from rota.kernel.clock import FakeClock
from tests.e2e.conftest import Harness

pytestmark = pytest.mark.e2e

UTC = dtm.UTC


@dataclasses.dataclass(frozen=True)
class Season:
    start: dtm.datetime  # the Monday the test begins
    before: tuple[str, dtm.date, int]  # (label, local date, UTC start hour) before the change
    after: tuple[str, dtm.date, int]  # the same, for the Wednesday after the change

    @property
    def summer(self) -> tuple[str, dtm.date, int]:
        """The session on British Summer Time (UTC+1), where UTC and local time differ."""
        return self.before if self.before[2] == 18 else self.after


SEASONS = {
    # Clocks go forward on Sun 28 Mar 2027 at 01:00 GMT.
    "spring": Season(
        start=dtm.datetime(2027, 3, 22, 12, 0, tzinfo=UTC),
        before=("Wed 24 Mar", dtm.date(2027, 3, 24), 19),
        after=("Wed 31 Mar", dtm.date(2027, 3, 31), 18),
    ),
    # Clocks go back on Sun 31 Oct 2027 at 01:00 GMT.
    "autumn": Season(
        start=dtm.datetime(2027, 10, 25, 12, 0, tzinfo=UTC),
        before=("Wed 27 Oct", dtm.date(2027, 10, 27), 18),
        after=("Wed 3 Nov", dtm.date(2027, 11, 3), 19),
    ),
}


@pytest.fixture(params=list(SEASONS))
def season(request: pytest.FixtureRequest) -> Season:
    return SEASONS[request.param]


@pytest.fixture
def clock(season: Season) -> FakeClock:
    return FakeClock(season.start)


async def test_rota_shows_19_00_on_both_sides_of_the_clock_change(
    bot: Harness, season: Season
) -> None:
    ana = await bot.join("Ana")

    rota = await bot.ask(ana, "/rota")

    for label, day, utc_hour in (season.before, season.after):
        assert f"{label} 19:00–23:00" in rota.text
        assert label in rota.button_texts
        (stored,) = [s for s in await bot.rows("sessions") if s["local_date"] == day]
        assert stored["starts_at"] == dtm.datetime.combine(day, dtm.time(utc_hour), UTC)
        assert stored["ends_at"] - stored["starts_at"] == dtm.timedelta(hours=4)
    view = await bot.open_session(ana, season.after[0])
    assert view.text.startswith(f"{season.after[0]} 19:00–23:00")


async def test_the_rota_closes_at_19_00_local_time_in_summer(bot: Harness, season: Season) -> None:
    label, day, utc_hour = season.summer
    ana, bea = await bot.join("Ana"), await bot.join("Bea")
    ana_view = await bot.open_session(ana, label)
    bea_view = await bot.open_session(bea, label)
    starts = dtm.datetime.combine(day, dtm.time(utc_hour), UTC)  # 19:00 BST

    bot.clock.set(starts - dtm.timedelta(seconds=1))
    in_time = await bea.tap("Join Drop-in (0/2)", message=bea_view)
    bot.clock.set(starts)
    too_late = await ana.tap("Join Drop-in (0/2)", message=ana_view)

    assert in_time.text == f"You're down as Drop-in on {label}. Thank you!"
    assert too_late.text == "That session has already started, so the rota is closed."
    shifts = await bot.ask(bea, "/myshifts")
    assert shifts.text.startswith("You have no upcoming shifts")  # it has started: not upcoming
    assert [s["volunteer_id"] for s in await bot.rows("signups")] == [await bot.volunteer_id(bea)]
