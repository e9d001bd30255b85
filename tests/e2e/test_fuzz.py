"""The fuzz run in its small size (issue 11): random hostile updates during a walk.

`FUZZ_SEED` and `FUZZ_COUNT` override the seed and the size, to replay a failure printed by
this test or by `python -m bench fuzz` (which runs 10,000).
"""

from __future__ import annotations

import datetime as dtm
import os
from types import SimpleNamespace
from typing import Any

import pytest

from bot.fake_telegram import FakeTelegram
from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from tests.conftest import DbInfo
from tests.e2e.fuzz import Ctx, Sent, Tables, _allowed, _content, diff, fuzz, fuzz_bot

pytestmark = pytest.mark.e2e

SEED = int(os.environ.get("FUZZ_SEED", "20261202"))
# Measured on a 2-core machine, the world's set-up included: 29 s on SQLite, 33 s on
# PostgreSQL (CI allows 60 s a database). bench/fuzz.py runs 10,000.
COUNT = int(os.environ.get("FUZZ_COUNT", "1000"))


async def test_random_hostile_updates_change_nothing_they_may_not(
    tg: FakeTelegram, db: DbInfo, config: RotaConfig, clock: FakeClock
) -> None:
    async with fuzz_bot(tg, db, config, clock) as bot:
        report = await fuzz(bot, seed=SEED, count=COUNT)

    print(report.summary())
    assert report.sent == COUNT
    assert report.handled > COUNT // 2, report.summary()
    assert report.ok, report.summary()


# ---------------------------------------------------------------- the rule table, by itself

NOW = dtm.datetime(2026, 12, 2, 19, 52, tzinfo=dtm.UTC)
CORA, ANA, BEA, CAL = 999_001, 1000, 1001, 1002


def _tables(**changes: Any) -> Tables:
    """A small night: Cora coordinates; Ana and Bea are pair 1, Cal pair 2."""
    people = [(1, CORA, "coordinator"), (2, ANA, "trained"), (3, BEA, "new"), (4, CAL, "new")]
    tables: Tables = {
        "volunteers": {
            (vid,): {"id": vid, "telegram_id": tid, "tags": tags, "status": "active"}
            for vid, tid, tags in people
        },
        "pair_members": {
            (i,): {"id": i, "pair_id": pair, "volunteer_id": vid}
            for i, (pair, vid) in enumerate([(1, 2), (1, 3), (2, 4)], 1)
        },
        "checkins": {
            (cid,): {
                "id": cid,
                "pair_id": pair,
                "due_at": due,
                "state": "open",
                "checked_at": None,
                "checked_by": None,
            }
            for cid, pair, due in [
                (1, 1, NOW + dtm.timedelta(minutes=8)),
                (2, 1, NOW + dtm.timedelta(minutes=38)),
                (3, 2, NOW + dtm.timedelta(minutes=8)),
            ]
        },
        "invites": {},
    }
    for table, rows in changes.items():
        for key, row in rows.items():
            tables[table][key] = {**tables[table].get(key, {}), **row}
    return tables


def _world() -> Any:
    tg = SimpleNamespace(bot_username="rotabot_test_bot")
    return SimpleNamespace(admin_ids=frozenset({CORA}), interval=dtm.timedelta(minutes=30), tg=tg)


def _press(user: int, data: str, chat: int | None = None) -> Sent:
    chat_id = user if chat is None else chat
    message = {"message_id": 5, "chat": {"id": chat_id, "type": "private"}}
    payload = {"id": "1", "from": {"id": user}, "data": data, "message": message}
    return Sent(0, "press", "callback_query", payload)


def _message(user: int, text: str, *, kind: str = "message", **extra: Any) -> Sent:
    payload = {"message_id": 7, "chat": {"id": user, "type": "private"}, "from": {"id": user}}
    payload.update(_content(text), **extra)
    return Sent(0, "message", kind, payload)


def _verdicts(sent: Sent, after: Tables) -> list[str | None]:
    before = _tables()
    changes = diff(before, after)
    assert changes
    ctx = Ctx(sent, _world(), before, after, changes)
    return [_allowed(change, ctx) for change in changes]


def _ok(checkin: int, by: int) -> Tables:
    return _tables(checkins={(checkin,): {"state": "ok", "checked_at": NOW, "checked_by": by}})


@pytest.mark.parametrize(
    ("sent", "after", "allowed"),
    [
        pytest.param(_press(ANA, "ci:o:1"), _ok(1, 2), True, id="own due check-in"),
        pytest.param(_message(BEA, "/ok"), _ok(1, 3), True, id="/ok for own pair"),
        pytest.param(_press(BEA, "ci:o:3"), _ok(3, 3), False, id="another pair's check-in"),
        pytest.param(_press(ANA, "ci:o:2"), _ok(2, 2), False, id="a check-in not due yet"),
        pytest.param(_press(ANA, "ci:o:3"), _ok(1, 2), False, id="data names another"),
        pytest.param(
            _message(ANA, "/ok", kind="edited_message"), _ok(1, 2), False, id="edited /ok"
        ),
        pytest.param(
            _message(ANA, "pineapple", forward_origin={"type": "hidden_user"}),
            _ok(1, 2),
            False,
            id="forwarded duress word",
        ),
    ],
)
def test_the_rules_judge_check_ins(sent: Sent, after: Tables, allowed: bool) -> None:
    assert all(v is None for v in _verdicts(sent, after)) is allowed


def _invite(by: int) -> Tables:
    row = {"id": 1, "code": "abc", "created_by": by, "used_at": None, "used_by": None}
    return _tables(invites={(1,): row})


@pytest.mark.parametrize(
    ("sent", "allowed"),
    [
        pytest.param(_message(CORA, "/invite coordinator"), True, id="coordinator, private"),
        pytest.param(
            _message(CORA, "/invite", chat={"id": -101, "type": "supergroup"}),
            False,
            id="coordinator, in a group",
        ),
        pytest.param(
            _message(CORA, "/invite", kind="edited_message"), False, id="an edited /invite"
        ),
        pytest.param(_message(ANA, "/invite"), False, id="a volunteer"),
    ],
)
def test_the_rules_judge_new_invites(sent: Sent, allowed: bool) -> None:
    vid = 1 if sent.actor == CORA else 2
    assert all(v is None for v in _verdicts(sent, _invite(vid))) is allowed
