"""Callback specs: each feature's prefix and shapes declared once, and everything built from it.

The data on the wire must stay what it was (buttons already in chats keep working), the
pattern must route only declared shapes, and every parse stays strict.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import string
from pathlib import Path
from typing import Any

import pytest
from telegram import Update, User
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ExtBot

import bot
from bot import texts, updates
from bot.briefings import keyboards as briefing_keyboards
from bot.callbacks import MAX_BYTES, MAX_ID, CallbackSpec, Press, any_prefix
from bot.handlers import register
from bot.handlers.access import ButtonHandler, Place, button, unclaimed_button
from bot.people import keyboards as people_keyboards
from bot.roster import keyboards as roster_keyboards
from bot.safety import keyboards as safety_keyboards
from bot.staffing import keyboards as staffing_keyboards

BOT = Path(bot.__file__).resolve().parent

# What was on the wire before the specs: it must never change (old buttons stay in chats).
WIRE = {
    "ro": {"l": 0, "s": 1, "j": 1, "w": 1},
    "ms": {"w": 1, "y": 1, "n": 0},
    "me": {"y": 0, "n": 0},
    "ci": {"o": 1, "h": 1},
    "es": {"a": 1, "r": 1, "t": 0, "f": 0},
    "hs": {"o": 1},
    "wk": {"e": 0},
    "pr": {"a": 2, "s": 3, "c": 1},
    "bf": {"g": 1},
    "rm": {"y": 1, "n": 1, "w": 1, "c": 1},
    "cv": {"r": 1, "a": 1, "x": 1},
}


def declared_specs() -> list[CallbackSpec]:
    """Every CallbackSpec declared in a bot/<feature>/keyboards.py."""
    specs: list[CallbackSpec] = []
    for feature in pkgutil.iter_modules([str(BOT)]):
        if not (BOT / feature.name / "keyboards.py").exists():
            continue
        module = importlib.import_module(f"bot.{feature.name}.keyboards")
        specs += [v for v in vars(module).values() if isinstance(v, CallbackSpec)]
    return specs


SPECS = declared_specs()
SPEC_IDS = [s.prefix for s in SPECS]


def test_the_declared_shapes_are_those_on_the_wire() -> None:
    assert {s.prefix: dict(s.actions) for s in SPECS} == WIRE
    assert len(SPEC_IDS) == len(set(SPEC_IDS))  # no two specs share a prefix


@pytest.mark.parametrize(
    ("built", "wire"),
    [
        (roster_keyboards.ROTA.data("l"), "ro:l"),
        (roster_keyboards.ROTA.data("j", 2147483647), "ro:j:2147483647"),
        (roster_keyboards.MY_SHIFTS.data("n"), "ms:n"),
        (people_keyboards.FORGET.data("y"), "me:y"),
        (safety_keyboards.CHECKIN.data("o", 12), "ci:o:12"),
        (safety_keyboards.CHECKIN.data("h", 12), "ci:h:12"),
        (safety_keyboards.ALARM.data("t"), "es:t"),
        (safety_keyboards.ALARM.data("r", 5), "es:r:5"),
        (safety_keyboards.HOME_SAFE.data("o", 9), "hs:o:9"),
        (safety_keyboards.END_WALK.data("e"), "wk:e"),
        (safety_keyboards.PAIRS.data("s", 1, 2, 3), "pr:s:1:2:3"),
        (briefing_keyboards.GOT_IT.data("g", 3), "bf:g:3"),
        (staffing_keyboards.REMINDER.data("c", 7), "rm:c:7"),
        (staffing_keyboards.COVER.data("x", 0), "cv:x:0"),
    ],
)
def test_the_data_on_the_wire_is_unchanged(built: str, wire: str) -> None:
    assert built == wire


def test_the_keyboards_carry_the_same_data_as_before() -> None:
    def data(markup: Any) -> list[str]:
        return [b.callback_data for row in markup.inline_keyboard for b in row]

    assert data(safety_keyboards.checkin_prompt(12)) == ["ci:o:12", "ci:h:12"]
    assert data(safety_keyboards.alert_digest()) == ["es:t", "es:f"]
    assert data(safety_keyboards.end_walk()) == ["wk:e"]
    assert data(people_keyboards.confirm_forget()) == ["me:y", "me:n"]
    assert data(roster_keyboards.confirm_withdraw(4)) == ["ms:y:4", "ms:n"]
    assert data(briefing_keyboards.got_it(42)) == ["bf:g:42"]
    assert data(staffing_keyboards.reminder(7)) == ["rm:y:7", "rm:n:7"]
    assert data(staffing_keyboards.cover_offer(3)) == ["cv:a:3"]


def _examples(spec: CallbackSpec) -> list[tuple[str, tuple[int, ...]]]:
    """Each action with small, edge and largest ids."""
    return [
        (action, ids)
        for action, count in spec.actions.items()
        for ids in {tuple([0] * count), tuple(range(1, count + 1)), tuple([MAX_ID] * count)}
    ]


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_every_action_round_trips(spec: CallbackSpec) -> None:
    for action, ids in _examples(spec):
        data = spec.data(action, *ids)
        assert len(data.encode()) <= MAX_BYTES
        assert spec.pattern.match(data), data
        assert spec.parse(data) == Press(spec.prefix, action, ids)
        button = spec.button("Label", action, *ids)
        assert (button.text, button.callback_data) == ("Label", data)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_no_spec_accepts_another_specs_data(spec: CallbackSpec) -> None:
    for other in SPECS:
        if other is spec:
            continue
        for action, ids in _examples(other):
            data = other.data(action, *ids)
            assert spec.parse(data) is None, data
            assert spec.pattern.match(data) is None, data


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_wrong_shapes_are_refused_by_parse_and_pattern(spec: CallbackSpec) -> None:
    p = spec.prefix
    forged: list[str] = [p, f"{p}:", f"{p}::", f"{p.upper()}:{next(iter(spec.actions))}"]
    for letter in string.ascii_lowercase:
        if letter not in spec.actions:  # undeclared actions, with any number of ids
            forged += [f"{p}:{letter}" + ":1" * n for n in range(4)]
    for action, count in spec.actions.items():
        good = ":".join([p, action, *["1"] * count])
        forged += [
            ":".join([p, action, *["1"] * (count + 1)]),  # one id too many
            good + ":",
            good + " ",
            good + "\n",  # `$` would let a trailing newline through
            " " + good,
            f"{p}:{action.upper()}" + ":1" * count,
        ]
        if count:
            forged += [
                ":".join([p, action, *["1"] * (count - 1)]),  # truncated
                good[:-1] + "x",
                good[:-1] + "-1",
                good[:-1] + "١",  # an Arabic-Indic one: int() reads it, Telegram ids never
                good[:-1] + str(MAX_ID + 1),  # beyond a 32-bit database id
                good[:-1] + "9" * 11,
                good[:-1] + "9" * (MAX_BYTES - len(good) + 1),  # exactly 64 bytes
                good[:-1] + "1" * 100,  # beyond 64 bytes
            ]
    for data in forged:
        assert spec.parse(data) is None, data
        if str(MAX_ID + 1) not in data:  # the pattern routes it; the parse refuses it
            assert spec.pattern.match(data) is None, data
    assert spec.parse(None) is None
    assert spec.parse("x" * 65) is None


def test_an_id_beyond_max_id_matches_the_pattern_but_never_parses() -> None:
    spec = safety_keyboards.CHECKIN
    assert spec.pattern.match(f"ci:o:{MAX_ID + 1}")
    assert spec.parse(f"ci:o:{MAX_ID + 1}") is None
    assert spec.parse(f"ci:o:{MAX_ID}") == Press("ci", "o", (MAX_ID,))


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_building_a_button_its_handler_would_refuse_raises(spec: CallbackSpec) -> None:
    for action, count in spec.actions.items():
        with pytest.raises(ValueError, match="takes"):
            spec.data(action, *[1] * (count + 1))
        if count:
            with pytest.raises(ValueError, match="takes"):
                spec.data(action, *[1] * (count - 1))
            for bad in (-1, MAX_ID + 1, True):
                with pytest.raises(ValueError, match="parse back"):
                    spec.data(action, *[1] * (count - 1), bad)
    undeclared = next(c for c in string.ascii_lowercase if c not in spec.actions)
    with pytest.raises(ValueError, match="undeclared"):
        spec.data(undeclared)
    with pytest.raises(ValueError, match="undeclared"):
        spec.button("x", undeclared)


@pytest.mark.parametrize(
    ("prefix", "actions"),
    [
        ("c", {"o": 1}),
        ("cix", {"o": 1}),
        ("Ci", {"o": 1}),
        ("c1", {"o": 1}),
        ("c:", {"o": 1}),
        ("ci", {}),
        ("ci", {"ok": 1}),
        ("ci", {"O": 1}),
        ("ci", {"1": 1}),
        ("ci", {":": 1}),
        ("ci", {"": 1}),
        ("ci", {"o": -1}),
        ("ci", {"o": 6}),  # six ids cannot fit in 64 bytes
    ],
)
def test_a_malformed_spec_is_refused_at_declaration(prefix: str, actions: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=r"prefix|action|ids"):
        CallbackSpec(prefix, actions)


def test_a_spec_is_read_only_and_copies_its_actions() -> None:
    actions = {"o": 1}
    spec = CallbackSpec("zz", actions)
    actions["x"] = 0  # the declaration's dict changing later changes nothing
    assert spec.parse("zz:x") is None
    with pytest.raises(TypeError):
        spec.actions["x"] = 0  # type: ignore[index]
    assert CallbackSpec("zz", {"o": 5}).data("o", *[MAX_ID] * 5) == "zz:o" + f":{MAX_ID}" * 5


def test_two_specs_with_one_prefix_cannot_both_be_registered() -> None:
    async def noop(update: Update, context: Any) -> None:
        return None

    first = button(CallbackSpec("zz", {"a": 0}), noop, Place.PRIVATE)
    second = button(CallbackSpec("zz", {"b": 0}), noop, Place.PRIVATE)
    with pytest.raises(ValueError, match="zz"):
        unclaimed_button([first, second])
    with pytest.raises(ValueError, match="zz"):
        any_prefix([CallbackSpec("zz", {"a": 0}), CallbackSpec("zz", {"a": 0})])


def test_urgent_actions_must_be_declared() -> None:
    async def noop(update: Update, context: Any) -> None:
        return None

    with pytest.raises(ValueError, match="urgent"):
        button(safety_keyboards.CHECKIN, noop, Place.PRIVATE, urgent=frozenset({"x"}))


def test_safety_updates_are_recognised_by_the_safety_specs_prefixes() -> None:
    assert updates.SAFETY_BUTTONS == ("ci:", "es:", "hs:", "wk:")


# --------------------------------------------------------------------------- registration


def _app() -> Any:
    """The real handler list, offline: nothing here is sent anywhere."""
    app = ApplicationBuilder().token("1:A").updater(None).build()
    register(app)
    return app


def _callback_handlers(app: Any) -> list[CallbackQueryHandler]:  # type: ignore[type-arg]
    return [
        h for group in app.handlers.values() for h in group if isinstance(h, CallbackQueryHandler)
    ]


def test_every_registered_button_pattern_comes_from_a_declared_spec() -> None:
    handlers = _callback_handlers(_app())
    buttons = [h for h in handlers if isinstance(h, ButtonHandler)]
    assert sorted(h.spec.prefix for h in buttons) == sorted(SPEC_IDS)  # each once
    for h in buttons:
        assert any(h.spec is spec for spec in SPECS)
        assert h.pattern is h.spec.pattern
    others = [h for h in handlers if not isinstance(h, ButtonHandler)]
    # after them: the known prefixes' malformed data, then everything else
    assert [getattr(h.pattern, "pattern", h.pattern) for h in others] == [
        any_prefix(SPECS).pattern,
        None,
    ]
    assert handlers[-2:] == others


def _first_claimant(handlers: list[Any], data: str) -> Any:
    update = Update.de_json(
        {
            "update_id": 1,
            "callback_query": {
                "id": "q",
                "from": {"id": 5, "is_bot": False, "first_name": "Ana"},
                "chat_instance": "c",
                "data": data,
            },
        },
        None,
    )
    return next(h for h in handlers if h.check_update(update))


def test_presses_go_to_their_specs_handler_and_only_declared_shapes_do() -> None:
    handlers = _callback_handlers(_app())
    unclaimed, fallback = handlers[-2:]
    for spec in SPECS:
        for action, ids in _examples(spec):
            claimant = _first_claimant(handlers, spec.data(action, *ids))
            assert isinstance(claimant, ButtonHandler)
            assert claimant.spec is spec
        for data in (f"{spec.prefix}:", f"{spec.prefix}:q:1", f"{spec.prefix}:x:1:2:3:4"):
            assert _first_claimant(handlers, data) is unclaimed, data
    for data in ("zz:q", "ci", "hello", "x" * 64):
        assert _first_claimant(handlers, data) is fallback, data


def _press(app: Any, data: str, on_message: list[str]) -> Update:
    keyboard = [[{"text": d, "callback_data": d} for d in on_message]]
    message = {
        "message_id": 7,
        "date": 0,
        "chat": {"id": 5, "type": "private"},
        "text": "a message",
        "reply_markup": {"inline_keyboard": keyboard},
    }
    return Update.de_json(
        {
            "update_id": 1,
            "callback_query": {
                "id": "q",
                "from": {"id": 5, "is_bot": False, "first_name": "Ana"},
                "chat_instance": "c",
                "data": data,
                "message": message,
            },
        },
        app.bot,
    )


@pytest.mark.parametrize(
    ("data", "on_message", "answer"),
    [
        ("ro:x:1", ["ro:l"], texts.PRESS_REFUSED),  # forged: not on the message
        ("ci:h:abc", ["ci:o:1", "ci:h:1"], texts.PRESS_REFUSED),
        ("ro:x:1", ["ro:x:1"], texts.STALE_BUTTON),  # an old version's button, really there
        ("zz:q", ["ro:l"], texts.STALE_BUTTON),  # nobody's prefix: the fallback
    ],
)
async def test_a_known_prefix_with_an_undeclared_shape_is_refused_politely(
    data: str, on_message: list[str], answer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers: list[tuple[str, bool]] = []

    async def answer_callback_query(self: ExtBot[None], **kwargs: Any) -> bool:
        answers.append((kwargs["text"], kwargs["show_alert"]))
        return True

    async def get_me(self: ExtBot[None], **kwargs: Any) -> User:
        return User(1, "Rota", is_bot=True, username="rota_bot")

    monkeypatch.setattr(ExtBot, "answer_callback_query", answer_callback_query)
    monkeypatch.setattr(ExtBot, "get_me", get_me)
    app = _app()
    async with app:
        await app.process_update(_press(app, data, on_message))
    assert answers == [(answer, True)]


# --------------------------------------------------------------------------- declared once

# callback data written out by hand: "ro:l", "ci:o:", or a bare "ci:" to compare against
_HAND_MADE = re.compile(r"^[a-z]{2}:(?:[a-z](?::|$)|$)")


def _docstrings(tree: ast.AST) -> set[int]:
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, kinds)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def hand_made_callback_data(source: str) -> list[str]:
    """Where `source` writes callback data itself instead of asking a spec."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            if _HAND_MADE.match(node.value):
                found.append(f"{node.lineno}: {node.value!r}")
        elif isinstance(node, ast.keyword) and node.arg == "callback_data":
            found.append(f"{node.value.lineno}: callback_data=")
        elif isinstance(node, ast.JoinedStr):
            # f"{PREFIX}:g:{id}" or f"ci:{action}:{id}"
            parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
            if any(re.match(r"^[a-z]{2}:|^:[a-z](?::|$)", str(p)) for p in parts):
                found.append(f"{node.lineno}: f-string {parts!r}")
    return found


def test_no_callback_data_is_written_by_hand() -> None:
    offenders = []
    for path in sorted(BOT.rglob("*.py")):
        relative = path.relative_to(BOT)
        if relative.parts[0] == "fake_telegram" or relative == Path("callbacks.py"):
            continue  # the fake server is Telegram's side; callbacks.py is the one builder
        offenders += [f"bot/{relative}:{hit}" for hit in hand_made_callback_data(path.read_text())]
    assert offenders == []


def test_specs_are_declared_only_in_keyboards_modules() -> None:
    places = []
    for path in sorted(BOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "CallbackSpec":
                places.append(path.relative_to(BOT).as_posix())
    assert places
    assert {p for p in places if not re.fullmatch(r"[a-z_]+/keyboards\.py", p)} == set()


@pytest.mark.parametrize(
    "source",
    [
        'markup = _button("End", "wk:e")',
        'ROTA_LIST = "ro:l"',
        'SAFETY_BUTTONS = ("ci:", "es:", "hs:", "wk:")',
        'b = InlineKeyboardButton("x", callback_data=data)',
        'd = f"bf:g:{briefing_id}"',
        'd = f"cv:x:{request.id}"',
        'd = f"{PREFIX}:g:{briefing_id}"',
        'd = f"ci:{action}:{checkin_id}"',
    ],
)
def test_the_hand_made_data_check_would_catch_the_old_ways(source: str) -> None:
    assert hand_made_callback_data(source)


def test_the_hand_made_data_check_leaves_words_alone() -> None:
    source = 'T = "Meet: 19:00"\nU = "Note: ok"\ndef f():\n    """ro:l (list)."""\n'
    assert hand_made_callback_data(source) == []
    assert hand_made_callback_data('t = f"{hour}:{minute:02d} on {day}"') == []
