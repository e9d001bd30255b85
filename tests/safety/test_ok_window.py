"""/ok counts early only close to the due time, so two quick /ok never leave a gap."""

from __future__ import annotations

from rota.kernel.errors import TooEarly
from rota.safety import checkins
from tests.refusing import refusing
from tests.safety.support import NELL, Night, at, checkin_rows


async def _ok(night: Night, telegram_id: int) -> checkins.CheckInResult:
    return await checkins.check_in_now(
        night.uow(), telegram_id=telegram_id, config=night.config, now=night.clock.now()
    )


async def test_ok_within_half_an_interval_closes_the_next_checkin(night: Night) -> None:
    await night.start()
    night.clock.set(at(19, 16))  # 14 minutes before the 19:30 check-in
    result = await _ok(night, NELL)
    assert result.changed
    assert [r.state for r in await checkin_rows(night.uow)][:2] == ["ok", "open"]


async def test_a_second_ok_right_after_does_not_close_the_following_checkin(
    night: Night,
) -> None:
    await night.start()
    night.clock.set(at(19, 31))
    await _ok(night, NELL)  # closes the 19:30 one (overdue)
    night.clock.set(at(19, 32))
    with refusing(TooEarly, match="20:00"):
        await _ok(night, NELL)
    assert [r.state for r in await checkin_rows(night.uow)][:3] == ["ok", "open", "open"]
