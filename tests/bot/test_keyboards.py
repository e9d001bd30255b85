"""Callback data: short, strict, and never more than Telegram's 64 bytes."""

from __future__ import annotations

import pytest

from bot import callbacks
from bot.roster import keyboards as roster_keyboards
from bot.safety import keyboards as safety_keyboards

SHAPES = {"l": 0, "s": 1, "j": 1}


@pytest.mark.parametrize(
    ("data", "ids"),
    [("ro:l", ()), ("ro:s:12", (12,)), ("ro:j:2147483647", (2147483647,))],
)
def test_well_formed_data_parses(data: str, ids: tuple[int, ...]) -> None:
    press = callbacks.parse(data, "ro", SHAPES)
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
        "x" * 65,
    ],
)
def test_anything_else_is_refused(data: str | None) -> None:
    assert callbacks.parse(data, "ro", SHAPES) is None


def test_every_button_we_build_fits_in_64_bytes() -> None:
    big = callbacks.MAX_ID
    markups = [
        safety_keyboards.checkin_prompt(big),
        safety_keyboards.alert(big),
        safety_keyboards.home_safe(big),
        roster_keyboards.confirm_withdraw(big),
        safety_keyboards.pairs_with(big, big, [(big, "x")]),
        safety_keyboards.pairs_pick(big, [(big, "x")]),
    ]
    for markup in markups:
        for row in markup.inline_keyboard:
            for button in row:
                assert button.callback_data is not None
                assert len(str(button.callback_data).encode()) <= 64
