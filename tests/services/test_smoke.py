from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.people import membership as people
from rota.roster import sessions, signups
from rota.storage.uow import SqlAlchemyUnitOfWorkFactory
from tests.conftest import ADMIN_ID


async def test_invite_join_and_claim(
    uow: SqlAlchemyUnitOfWorkFactory, config: RotaConfig, clock: FakeClock
) -> None:
    report = await sessions.sync_sessions(uow(), config=config, now=clock.now())
    assert report.created == 3
    invite = await people.create_invite(
        uow(), telegram_id=ADMIN_ID, tags=frozenset({"trained"}), config=config, now=clock.now()
    )
    vol = await people.accept_invite(
        uow(),
        code=invite.code,
        telegram_id=5,
        first_name="Ana",
        last_name=None,
        username="ana",
        config=config,
        now=clock.now(),
    )
    boards = await sessions.upcoming_boards(uow(), telegram_id=5, config=config, now=clock.now())
    walker = next(r for r in boards[0].roles if r.key == "walker")
    out = await signups.join_role(
        uow(), telegram_id=5, role_id=walker.id, config=config, now=clock.now()
    )
    assert out.role.filled == 1
    assert vol.tags == frozenset({"trained"})
