import time
import pytest
from tests.e2e.matrix import Tracker, last_update_id
from tests.e2e.test_authorization_matrix import night_world  # noqa: F401

pytestmark = pytest.mark.e2e


async def test_start(night_world) -> None:  # noqa: F811
    w = night_world
    tr = Tracker(w.bot.app)
    with w.bot.jobs_paused():
        for key in ("volunteer", "lead", "volunteer", "stranger"):
            u = w.user(key)
            n = len(w.tg.calls)
            t = time.perf_counter()
            await u.send("/start")
            await tr.wait(last_update_id(w.tg), 30)
            print(key, round(time.perf_counter() - t, 2), [(c.method, round(c.at - t, 2), c.status) for c in w.tg.calls[n:] if c.method != "getUpdates"])
            print(tr.errors, u.messages()[-1].text[:100])
