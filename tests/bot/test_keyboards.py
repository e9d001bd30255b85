"""Callback data: short, strict, and never more than Telegram's 64 bytes."""

from __future__ import annotations

import pytest

from bot import callbacks
from bot.briefings import keyboards as briefing_keyboards
from bot.people import keyboards as people_keyboards
from bot.roster import keyboards as roster_keyboards
from bot.safety import keyboards as safety_keyboards
from bot.staffing import keyboards as staffing_keyboards

ROTA = roster_keyboards.ROTA  # ro: l (list), s:<session>, j:<role>, w:<role>


@pytest.mark.parametrize(
    ("data", "ids"),
    [("ro:l", ()), ("ro:s:12", (12,)), ("ro:j:2147483647", (2147483647,))],
)
def test_well_formed_data_parses(data: str, ids: tuple[int, ...]) -> None:
    press = ROTA.parse(data)
    assert press is not None
    assert press.ids == ids


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "ro",
        "ro:",
        "ro:x:1",  # unknown action
        "ro:j",  # missing id
        "ro:l:1",  # an id where none belongs
        "ro:j:1:2",  # too many ids
        "ro:j:abc",
        "ro:j:-1",
        "ro:j:1234567890123",  # 13 digits
        "ro:j:2147483648",  # beyond a 32-bit database id
        "ms:w:1",  # another feature's data
        "ro:j:1 ",
        "ro:j:1\n",
        "ro:j:\u0661",  # an Arabic-Indic digit one: int() would read it
        "x" * 65,
    ],
)
def test_anything_else_is_refused(data: str | None) -> None:
    assert ROTA.parse(data) is None


def test_every_button_we_build_fits_in_64_bytes() -> None:
    big = callbacks.MAX_ID
    markups = [
        safety_keyboards.checkin_prompt(big),
        safety_keyboards.alert(big),
        safety_keyboards.alert_digest(),
        safety_keyboards.home_safe(big),
        safety_keyboards.end_walk(),
        roster_keyboards.confirm_withdraw(big),
        roster_keyboards.my_shifts([(big, "x")]),
        people_keyboards.confirm_forget(),
        safety_keyboards.pairs_with(big, big, [(big, "x")]),
        safety_keyboards.pairs_pick(big, [(big, "x")]),
        briefing_keyboards.got_it(big),
        staffing_keyboards.reminder(big),
        staffing_keyboards.confirm_cant(big),
        staffing_keyboards.cancel_cover(big),
        staffing_keyboards.cover_offer(big),
    ]
    for markup in markups:
        for row in markup.inline_keyboard:
            for button in row:
                assert button.callback_data is not None
                assert len(str(button.callback_data).encode()) <= 64
