"""One contender in the multi-process race for the last place (run by test_concurrency).

Usage: python race_worker.py '<json>' with url, schema, template, go_file, telegram_id,
role_id and now. The worker connects, prints "ready", waits for go_file to appear, tries
join_role once and prints "won" or "full" (anything else is printed as "error ...").
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import sys
import time
from pathlib import Path

from sqlalchemy import text

from rota.kernel.config import RotaConfig
from rota.kernel.errors import RoleFull
from rota.kernel.template import load_template
from rota.roster import signups
from rota.storage.engine import create_engine
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory


def _wait_for(go_file: Path) -> None:
    while not go_file.exists():
        time.sleep(0.001)


async def main(args: dict[str, object]) -> str:
    kwargs: dict[str, object] = {}
    if args["schema"]:
        kwargs["connect_args"] = {"server_settings": {"search_path": args["schema"]}}
    engine = create_engine(str(args["url"]), **kwargs)
    config = RotaConfig(template=load_template(Path(str(args["template"]))))
    try:
        async with engine.connect() as conn:  # connect before the start, not during the race
            await conn.execute(text("SELECT 1"))
        print("ready", flush=True)
        await asyncio.to_thread(_wait_for, Path(str(args["go_file"])))
        try:
            await signups.join_role(
                SqlAlchemyUnitOfWorkFactory(engine)(),
                telegram_id=int(str(args["telegram_id"])),
                role_id=int(str(args["role_id"])),
                config=config,
                now=dtm.datetime.fromisoformat(str(args["now"])),
            )
        except RoleFull:
            return "full"
        return "won"
    finally:
        await engine.dispose()


if __name__ == "__main__":
    try:
        outcome = asyncio.run(main(json.loads(sys.argv[1])))
    except Exception as err:  # reported to the test rather than lost in stderr
        outcome = f"error {type(err).__name__}: {err}"
    print(outcome, flush=True)
