"""A month of outreach with known numbers, to check the report against.

October 2026 (the clocks go back on Sun 25 Oct, so it has nights in BST and in GMT):

* Wed 7 Oct, 19:00-23:00 BST, held: lead Lena, walkers Tia and Nell, drop-in Dee, on-call Cora
  (plus Wren waitlisted and Vera withdrawn: neither counts). Check-ins: one early, one exactly
  on time, one a second late (before the reminder, so on time). A missed-check-in alarm and
  an SOS. Debrief finished.
* Wed 14 Oct, 19:00-23:00 BST, held: lead Lena, walkers Tia and Tess. Check-ins: one on time,
  one never done (missed), one called off when the walk ended early (not counted). A duress
  alarm. The walk was ended early. Debrief finished, with an incident note.
* Wed 21 Oct, cancelled (its sign-up, check-in and alarm do not count).
* Wed 28 Oct, 19:00-23:30 GMT (a one-off, four and a half hours), held: lead Lena, walkers Tia
  and Nell. Check-ins: one ten minutes late, one missed. A missed-check-in alarm and a
  home-safe alarm. Debrief stopped after three answers.
* Wed 30 Sep and Wed 4 Nov, held, with sign-ups, check-ins, alarms and debriefs of their own:
  they are in other months and must not count.

Everything is written straight through the repositories, except the debriefs, which go through
the real use cases (started by the clock, answered as the lead would).
"""

from __future__ import annotations

import datetime as dtm
from collections.abc import Sequence
from dataclasses import dataclass

from rota.kernel.clock import FakeClock
from rota.kernel.config import RotaConfig
from rota.kernel.localtime import session_window
from rota.people.model import COORDINATOR_TAG, Volunteer
from rota.reports import debriefs
from rota.roster.model import Session, SessionStatus, SignUpStatus
from rota.safety.model import EscalationKind
from tests.services.helpers import Uow

UTC = dtm.UTC
ZONE = "Europe/London"
MONTH = "2026-10"
AFTER_THE_MONTH = dtm.datetime(2026, 11, 10, 12, 0, tzinfo=UTC)

# Telegram ids
CORA, LENA, TIA, NELL, TESS, DEE, WREN, VERA = 201, 301, 101, 102, 103, 401, 501, 502

PEOPLE = {
    CORA: ("Cora", (COORDINATOR_TAG,)),
    LENA: ("Lena", ("lead", "trained")),
    TIA: ("Tia", ("trained",)),
    NELL: ("Nell", ("new",)),
    TESS: ("Tess", ("lead", "trained")),
    DEE: ("Dee", ()),
    WREN: ("Wren", ()),
    VERA: ("Vera", ()),
}

# The debrief answers Lena types, night by night (the last one stops after three).
ANSWERS_7 = ["3", "5", "10", "4", "50", "2", "1", "0", "1", "no"]
ANSWERS_14 = [
    "1",
    "7",
    "8",
    "2",
    "30",
    "0",
    "0",
    "1",
    "0",
    "Woman at the arches needs a call back",
]
ANSWERS_28 = ["2", "4", "6"]
OTHER_MONTHS = ["100", "100", "100", "100", "100", "100", "100", "100", "100", "no"]

EXPECTED_DEBRIEF = {
    "new_contacts": 6,
    "repeat_contacts": 16,
    "food_bags": 24,
    "harm_reduction_kits": 6,
    "condoms": 80,
    "referrals": 2,
    "ugly_mugs_reports": 1,
    "police_reports": 1,
    "sarc_referrals": 1,
}
EXPECTED_ROLES = {  # label: (shifts, hours)
    "Team lead": (3, "12.5"),
    "Walker": (6, "25"),
    "Drop-in": (1, "4"),
    "On-call coordinator": (1, "4"),
}
EXPECTED_ESCALATIONS = {"missed_checkin": 2, "sos": 1, "duress": 1, "home_safe": 1}


@dataclass
class Known:
    """What the month was made of."""

    people: dict[int, Volunteer]
    sessions: dict[str, Session]  # by local date, ISO


def local(day: dtm.date, hour: int, minute: int = 0) -> dtm.datetime:
    """A local wall-clock time on a day, as UTC."""
    start, _ = session_window(day, dtm.time(hour, minute), dtm.time(23, 59), ZONE)
    return start


async def _session(
    uow: Uow,
    config: RotaConfig,
    day: dtm.date,
    end: dtm.time = dtm.time(23, 0),
    *,
    now: dtm.datetime,
) -> Session:
    starts_at, ends_at = session_window(day, dtm.time(19, 0), end, ZONE)
    async with uow() as u:
        session = await u.sessions.add(
            template_key=None,
            local_date=day,
            starts_at=starts_at,
            ends_at=ends_at,
            meeting_point="St Anne's Hall",
            note="",
            roles=config.template.roles,
            now=now,
        )
        await u.commit()
    return session


async def _staff(
    uow: Uow,
    session: Session,
    people: dict[int, Volunteer],
    places: dict[str, list[int]],
    *,
    now: dtm.datetime,
    status: SignUpStatus = SignUpStatus.CONFIRMED,
) -> None:
    async with uow() as u:
        roles = {r.key: r for r in await u.sessions.roles([session.id])}
        for key, who in places.items():
            for telegram_id in who:
                if status is SignUpStatus.CONFIRMED:
                    assert await u.signups.claim_place(roles[key].id)
                await u.signups.add(
                    session_id=session.id,
                    role_id=roles[key].id,
                    volunteer_id=people[telegram_id].id,
                    status=status,
                    now=now,
                )
        await u.commit()


async def _walk(
    uow: Uow,
    session: Session,
    walkers: list[Volunteer],
    dues: list[dtm.datetime],
    checked: dict[int, dtm.datetime],
    *,
    cancel_after: dtm.datetime | None = None,
    alarms: Sequence[EscalationKind] = (),
    ended_early: bool = False,
) -> None:
    """One pair, its check-ins (index -> when it was done), alarms and the log."""
    async with uow() as u:
        await u.safety.replace_pairs(
            session.id, [[w.id for w in walkers]], manual=False, now=session.starts_at
        )
        (pair,) = await u.safety.pairs(session.id)
        made = await u.safety.add_checkins(session.id, pair.id, dues)
        for index, at in checked.items():
            assert await u.safety.close_checkin(made[index].id, by=walkers[0].id, at=at)
        if cancel_after is not None:
            await u.safety.cancel_checkins_after(session.id, cancel_after)
        for kind in alarms:
            await u.safety.open_escalation(
                session_id=session.id, kind=kind, now=session.starts_at, step=1, pair_id=pair.id
            )
        if ended_early:
            await u.safety.log(session.id, "walk_over", at=session.ends_at, detail="ended")
        await u.safety.log(session.id, "walk_started", at=session.starts_at)
        await u.commit()


async def _debrief(
    uow: Uow,
    config: RotaConfig,
    clock: FakeClock,
    session: Session,
    answers: list[str],
    lead: int = LENA,
) -> None:
    """The clock passes the end of the session; the lead answers the debrief."""
    clock.set(session.ends_at + dtm.timedelta(minutes=1))
    await debriefs.run_due(uow, config=config, now=clock.now())
    for text in answers:
        clock.advance(seconds=30)
        reply = await debriefs.answer(
            uow(), telegram_id=lead, text=text, config=config, now=clock.now()
        )
        assert reply is not None, text
        assert reply.kind is not debriefs.TurnKind.REASK, (text, reply)


async def make_october(uow: Uow, config: RotaConfig, clock: FakeClock) -> Known:
    """The month described above; leaves the clock at AFTER_THE_MONTH."""
    clock.set(dtm.datetime(2026, 9, 1, 12, 0, tzinfo=UTC))
    now = clock.now()
    people: dict[int, Volunteer] = {}
    async with uow() as u:
        for telegram_id, (name, tags) in PEOPLE.items():
            people[telegram_id] = await u.volunteers.add(
                telegram_id=telegram_id,
                display_name=name,
                username=None,
                tags=frozenset(tags),
                now=now,
            )
        await u.commit()
    days = {
        "sep30": dtm.date(2026, 9, 30),
        "oct7": dtm.date(2026, 10, 7),
        "oct14": dtm.date(2026, 10, 14),
        "oct21": dtm.date(2026, 10, 21),
        "nov4": dtm.date(2026, 11, 4),
    }
    sessions = {name: await _session(uow, config, day, now=now) for name, day in days.items()}
    sessions["oct28"] = await _session(
        uow, config, dtm.date(2026, 10, 28), dtm.time(23, 30), now=now
    )
    standard = {"lead": [LENA], "walker": [TIA, NELL], "dropin": [DEE], "oncall": [CORA]}
    p = people

    # Wed 7 Oct
    s = sessions["oct7"]
    await _staff(uow, s, p, standard, now=now)
    await _staff(uow, s, p, {"dropin": [WREN]}, now=now, status=SignUpStatus.WAITLISTED)
    await _staff(uow, s, p, {"dropin": [VERA]}, now=now, status=SignUpStatus.WITHDRAWN)
    d = s.local_date
    dues = [local(d, 19, 30), local(d, 20, 0), local(d, 20, 30)]
    await _walk(
        uow,
        s,
        [p[TIA], p[NELL]],
        dues,
        {
            0: dues[0] - dtm.timedelta(minutes=2),
            1: dues[1],
            2: dues[2] + dtm.timedelta(seconds=1),
        },
        alarms=[EscalationKind.MISSED_CHECKIN, EscalationKind.SOS],
    )

    # Wed 14 Oct: the walk ended early at 20:15, so the 20:30 check-in was called off
    s = sessions["oct14"]
    await _staff(uow, s, p, {"lead": [LENA], "walker": [TIA, TESS]}, now=now)
    d = s.local_date
    dues = [local(d, 19, 30), local(d, 20, 0), local(d, 20, 30)]
    await _walk(
        uow,
        s,
        [p[TIA], p[TESS]],
        dues,
        {0: dues[0]},
        cancel_after=local(d, 20, 15),
        alarms=[EscalationKind.DURESS],
        ended_early=True,
    )

    # Wed 21 Oct: cancelled
    s = sessions["oct21"]
    await _staff(uow, s, p, {"lead": [LENA], "walker": [TIA, NELL]}, now=now)
    d = s.local_date
    await _walk(uow, s, [p[TIA], p[NELL]], [local(d, 19, 30)], {}, alarms=[EscalationKind.SOS])
    async with uow() as u:
        assert await u.sessions.set_status(
            s.id, expected=SessionStatus.SCHEDULED, new=SessionStatus.CANCELLED
        )
        await u.commit()

    # Wed 28 Oct (GMT again), 19:00-23:30
    s = sessions["oct28"]
    await _staff(uow, s, p, {"lead": [LENA], "walker": [TIA, NELL]}, now=now)
    d = s.local_date
    dues = [local(d, 19, 30), local(d, 20, 0)]
    await _walk(
        uow,
        s,
        [p[TIA], p[NELL]],
        dues,
        {0: dues[0] + dtm.timedelta(minutes=10)},
        alarms=[EscalationKind.MISSED_CHECKIN, EscalationKind.HOME_SAFE],
    )

    # The neighbours: 30 Sep (led by Lena) and 4 Nov (led by Tess: Lena's 28 Oct debrief is
    # still waiting for her, and would take her answers)
    for name, lead in (("sep30", LENA), ("nov4", TESS)):
        s = sessions[name]
        await _staff(uow, s, p, standard | {"lead": [lead]}, now=now)
        d = s.local_date
        dues = [local(d, 19, 30), local(d, 20, 0)]
        await _walk(
            uow,
            s,
            [p[TIA], p[NELL]],
            dues,
            {0: dues[0]},
            alarms=[EscalationKind.SOS],
            ended_early=True,
        )

    # The debriefs, night by night, as the clock passes each end
    await _debrief(uow, config, clock, sessions["sep30"], OTHER_MONTHS)
    await _debrief(uow, config, clock, sessions["oct7"], ANSWERS_7)
    await _debrief(uow, config, clock, sessions["oct14"], ANSWERS_14)
    await _debrief(uow, config, clock, sessions["oct28"], ANSWERS_28)
    await _debrief(uow, config, clock, sessions["nov4"], OTHER_MONTHS, lead=TESS)
    clock.set(AFTER_THE_MONTH)
    return Known(people=people, sessions=sessions)
