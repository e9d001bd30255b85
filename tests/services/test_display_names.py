"""Display names: what Telegram accepts is accepted (emoji, joiners, any script); invisible
controls never get in; a long name is cut between whole characters."""

from __future__ import annotations

import pytest

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.errors import InvalidInput
from rota.people import membership as people
from rota.people.membership import cap_name, clean_name, telegram_name
from rota.people.model import MAX_NAME_LENGTH
from tests.refusing import refusing
from tests.services.helpers import Uow, join_team, make_invite, snapshot, volunteer_row

DOCTOR = "👩\u200d⚕\ufe0f Sam"  # woman health worker: ZWJ and a variation selector
FAMILY = "👨\u200d👩\u200d👧"
SCOTLAND = "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"  # tag sequence
GOOD = [
    DOCTOR,
    f"{FAMILY} Kim",
    f"Iona {SCOTLAND}",
    "Zoë 🇬🇧",
    "Dara 👍🏽",  # skin tone
    "محمد\u200cرضا",  # Persian: ZWNJ between the two parts
    "José María",
    "🩷",  # Unicode 15: unassigned in older Python data, still a name
]


@pytest.mark.parametrize("name", GOOD)
def test_names_telegram_accepts_are_kept_as_they_are(name: str) -> None:
    assert clean_name(name) == name
    assert telegram_name(name, None) == name


@pytest.mark.parametrize(
    ("raw", "joined"),
    [
        ("Sam\u202eevil", "Samevil"),  # right-to-left override: would show "Samlive"
        ("\u2067Sam\u2069 \u202aKim\u202c", "Sam Kim"),  # isolates and embeddings
        ("Sam\nSmith", "Sam Smith"),
        ("Sam\r\n\tSmith", "Sam Smith"),
        ("Sam\x00\x07\x1b[31m", "Sam[31m"),
        ("\u200bSam\ufeff", "Sam"),  # zero-width space, byte-order mark
        ("Sam \u200d Kim", "Sam Kim"),  # a joiner joining nothing
        ("\u200d", "Volunteer"),
        ("\u3164", "Volunteer"),  # Hangul filler: a blank that is a "letter"
        ("\u202e", "Volunteer"),
    ],
)
def test_the_name_given_at_joining_is_cleaned_never_refused(raw: str, joined: str) -> None:
    assert telegram_name(raw, None) == joined


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("Sam\u202eevil", "ordinary letters"),
        ("Sam\x00", "ordinary letters"),
        ("\u200d", "give a name"),
        ("\u3164", "give a name"),
        ("x" * 200, "too long"),
    ],
)
def test_a_chosen_name_with_invisible_controls_is_refused_politely(raw: str, message: str) -> None:
    with refusing(InvalidInput, match=message):
        clean_name(raw)


def test_a_chosen_name_has_its_spaces_and_line_breaks_collapsed() -> None:
    assert clean_name("  Sam\n\nSmith\t") == "Sam Smith"


def test_a_long_name_at_joining_is_cut_to_64_characters() -> None:
    assert telegram_name("x" * 200, None) == "x" * MAX_NAME_LENGTH
    assert telegram_name("Ann", "y" * 200) == "Ann " + "y" * (MAX_NAME_LENGTH - 4)


@pytest.mark.parametrize(
    ("tail", "kept"),
    [
        ("👩\u200d⚕\ufe0f", ""),  # 62 + 4 characters: the whole emoji goes
        (FAMILY, ""),
        ("Zoë", "Zo"),  # precomposed ë: a character like any other
        ("e\u0301e\u0301", "e\u0301"),  # e + combining acute: never the accent alone
        ("🇬🇧🇫🇷", "🇬🇧"),  # two flags: the first is whole
        ("👍🏽👍🏽", "👍🏽"),  # the first thumb whole, with its skin tone
    ],
)
def test_a_cut_never_falls_inside_a_character(tail: str, kept: str) -> None:
    assert cap_name("a" * 62 + tail) == "a" * 62 + kept


def test_cutting_between_regional_indicators_keeps_whole_flags() -> None:
    assert cap_name("a" * 63 + "🇬🇧") == "a" * 63


async def test_joining_with_an_emoji_name_keeps_it(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    invite = await make_invite(uow, config, clock)
    volunteer = await people.accept_invite(
        uow(),
        code=invite.code,
        telegram_id=77,
        first_name="👩\u200d⚕\ufe0f",
        last_name="Sam\u202e",
        username=None,
        config=config,
        now=clock.now(),
    )
    assert (await volunteer_row(uow, volunteer.id)).display_name == DOCTOR


async def test_renaming_to_an_emoji_name_works_and_a_spoofed_one_changes_nothing(
    uow: Uow, config: RotaConfig, clock: FakeClock
) -> None:
    volunteer = await join_team(uow, config, clock, 5)
    await people.rename(uow(), telegram_id=5, name=f"{FAMILY} Kim", config=config)
    assert (await volunteer_row(uow, volunteer.id)).display_name == f"{FAMILY} Kim"
    before = await snapshot(uow)
    with pytest.raises(InvalidInput):
        await people.rename(uow(), telegram_id=5, name="Kim\u202emiK", config=config)
    assert await snapshot(uow) == before
