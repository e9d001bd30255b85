import asyncio, time, sys, io, pytest
from tests.e2e import fuzz as F

@pytest.mark.e2e
async def test_probe(tg, db, config, clock):
    async with F.fuzz_bot(tg, db, config, clock) as bot:
        world = await F.build_world(bot)
        runner = F.Runner(world, 3, 1000)
        state = {"i": -1, "t": time.monotonic(), "where": ""}
        orig_step = runner.step
        async def step(index, observer, before):
            state["i"], state["t"], state["where"] = index, time.monotonic(), "step"
            return await orig_step(index, observer, before)
        runner.step = step
        async def watchdog():
            while True:
                await asyncio.sleep(5)
                if time.monotonic() - state["t"] > 40:
                    print("STUCK at", state, file=sys.stderr)
                    print("last sent labels", runner.report.labels, file=sys.stderr)
                    for t in asyncio.all_tasks():
                        buf = io.StringIO(); t.print_stack(file=buf, limit=12)
                        print("TASK", t.get_name(), buf.getvalue()[-1500:], file=sys.stderr)
                    return
        w = asyncio.create_task(watchdog())
        rep = await runner.run(F.phases_for(1000))
        w.cancel()
        print(rep.summary())
