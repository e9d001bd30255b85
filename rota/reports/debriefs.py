"""After the shift: the team lead's short debrief, one question at a time, in chat.

When a session ends, its team lead (every coordinator, if nobody was lead; the first to answer
takes it) is asked for anonymous counts: women contacted (new, repeat), food bags,
harm-reduction kits, condoms, referrals and reports supported. No names or descriptions of
the women are asked for or kept. Last comes "any incident that needs follow-up?": that free
text is passed to the coordinators through the outbox and is never stored with the counts,
so it can never reach a report.

Where the debrief has got to is in the database (its step and answers), so a restart in the
middle carries on with the next question.
"""

from __future__ import annotations

import dataclasses
import datetime as dtm
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from rota.kernel.config import RotaConfig
from rota.kernel.outbox import Notice
from rota.kernel.uow import UnitOfWork, UnitOfWorkFactory
from rota.people.access import coordinator_chats, load_actor
from rota.people.model import Volunteer
from rota.reports.model import Debrief
from rota.reports.notices import DebriefIncident, DebriefQuestion
from rota.roster.model import Session, SignUpStatus
from rota.safety.model import LEAD_ROLE

MILESTONE = "debrief"
DEBRIEF_REF = "debrief"

# The counts asked for, in order; the report adds them up under the same keys.
COUNT_KEYS: tuple[str, ...] = (
    "new_contacts",
    "repeat_contacts",
    "food_bags",
    "harm_reduction_kits",
    "condoms",
    "referrals",
    "ugly_mugs_reports",
    "police_reports",
    "sarc_referrals",
)
INCIDENT_STEP = len(COUNT_KEYS)  # the last question: free text, only for the coordinators
QUESTIONS = INCIDENT_STEP + 1
DONE_STEP = QUESTIONS
MAX_COUNT = 10_000  # more than this in one night is a typo

# A session that ended longer ago than this gets no debrief (e.g. history, on first install).
LOOKBACK = dtm.timedelta(days=7)
# A debrief nobody finished stops catching the answerer's free text after this long.
OPEN_FOR = dtm.timedelta(days=14)
INCIDENT_LIMIT = 3000  # characters passed on; Telegram's message limit is 4096

_WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_NO_INCIDENT = frozenset(
    {"no", "none", "nope", "nothing", "nil", "n/a", "na", "no incident", "no incidents", "0"}
)


class CountProblem(StrEnum):
    """Why an answer to a count question was not taken."""

    NOT_A_NUMBER = "not_a_number"
    NEGATIVE = "negative"
    TOO_BIG = "too_big"


def parse_count(text: str) -> int | CountProblem:
    """A whole number from 0 to MAX_COUNT, or why the text is not one."""
    cleaned = text.strip()
    if not _WHOLE.fullmatch(cleaned):
        return CountProblem.NOT_A_NUMBER
    value = int(cleaned)
    if value < 0:
        return CountProblem.NEGATIVE
    if value > MAX_COUNT:
        return CountProblem.TOO_BIG
    return value


def is_no_incident(text: str) -> bool:
    """'no', 'None.', 'nothing!' and the like: nothing needs following up."""
    return " ".join(text.lower().strip(" .!-").split()) in _NO_INCIDENT


class TurnKind(StrEnum):
    """What the bot says next in a debrief."""

    ASK = "ask"  # the question at `step` (after an accepted answer, or when shown again)
    REASK = "reask"  # the answer was not taken; the same question again, with the problem
    DONE = "done"  # every question answered: thank you, with the totals


@dataclass(frozen=True, slots=True)
class DebriefTurn:
    """The bot's next line in a debrief, and what it needs to say it."""

    kind: TurnKind
    debrief_id: int
    session: Session
    step: int
    answers: Mapping[str, int] = field(default_factory=dict)
    problem: CountProblem | None = None
    incident_passed_on: bool = False
    next: DebriefTurn | None = None  # another session's debrief still waiting for them


# --- starting debriefs when sessions end ---------------------------------------------------


async def run_due(fresh: UnitOfWorkFactory, *, config: RotaConfig, now: dtm.datetime) -> int:
    """Start the debrief of every session that has ended; returns how many were started.

    Each session is claimed once ("debrief" milestone) in its own transaction, so two
    workers, or a restart, never ask twice, and one bad session cannot hold up the others.
    """
    async with fresh() as uow:
        due = await uow.reports.sessions_to_debrief(now=now, since=now - LOOKBACK)
    started = 0
    for session in due:
        async with fresh() as uow:
            if not await uow.safety.claim_milestone(session.id, MILESTONE, at=now):
                continue
            started += await _start(uow, session, config=config, now=now)
            await uow.commit()
    return started


async def _start(
    uow: UnitOfWork, session: Session, *, config: RotaConfig, now: dtm.datetime
) -> int:
    confirmed = [
        e
        for e in await uow.signups.roster([session.id])
        if e.signup.status is SignUpStatus.CONFIRMED
    ]
    if not confirmed:
        return 0  # nobody went out: nothing to debrief
    leads = [
        e.volunteer
        for e in confirmed
        if e.role.key == LEAD_ROLE and e.volunteer.is_active and e.volunteer.telegram_id
    ]
    lead = leads[0] if leads else None
    chats = (
        [lead.telegram_id] if lead and lead.telegram_id else await coordinator_chats(uow, config)
    )
    if not chats:
        return 0
    debrief = await uow.reports.add_debrief(session.id, lead_id=lead.id if lead else None, now=now)
    if debrief is None:
        return 0
    for chat in chats:
        await uow.outbox.add(
            Notice(
                chat_id=chat,
                payload=DebriefQuestion(
                    debrief_id=debrief.id,
                    session_id=session.id,
                    starts_at=session.starts_at,
                    step=0,
                    to_lead=lead is not None,
                ),
                dedupe_key=f"debrief_question:{debrief.id}:0:{chat}",
                ref_kind=DEBRIEF_REF,
                ref_id=debrief.id,
            ),
            now=now,
            due_at=None,
        )
    return 1


# --- answers -----------------------------------------------------------------------------


async def _waiting_for(
    uow: UnitOfWork, telegram_id: int, config: RotaConfig, now: dtm.datetime
) -> tuple[Volunteer, list[Debrief]] | None:
    """The sender and the open debriefs they may answer (oldest session first), if any."""
    actor = await load_actor(uow, telegram_id, config)
    if actor.volunteer is None:
        return None
    me = actor.volunteer
    mine = [
        d
        for d in await uow.reports.open_debriefs(since=now - OPEN_FOR)
        if d.lead_id == me.id or (d.lead_id is None and actor.is_coordinator)
    ]
    return (me, mine) if mine else None


async def _turn(
    uow: UnitOfWork,
    debrief: Debrief,
    kind: TurnKind = TurnKind.ASK,
    problem: CountProblem | None = None,
) -> DebriefTurn:
    """The question a debrief is at (again, with the problem, after an answer not taken)."""
    session = await uow.sessions.get(debrief.session_id)
    assert session is not None  # a debrief is deleted with its session
    return DebriefTurn(
        kind=kind,
        debrief_id=debrief.id,
        session=session,
        step=debrief.step,
        answers=dict(debrief.answers),
        problem=problem,
    )


async def current(
    uow: UnitOfWork, *, telegram_id: int, config: RotaConfig, now: dtm.datetime
) -> DebriefTurn | None:
    """/debrief: the question waiting for this person, shown again (None if there is none)."""
    async with uow:
        waiting = await _waiting_for(uow, telegram_id, config, now)
        return await _turn(uow, waiting[1][0]) if waiting else None


async def answer(
    uow: UnitOfWork, *, telegram_id: int, text: str, config: RotaConfig, now: dtm.datetime
) -> DebriefTurn | None:
    """Offer a private message to the sender's waiting debrief.

    Returns None if no debrief is waiting for them (the text is not ours); otherwise what to
    say next. A count that is not a whole number from 0 to MAX_COUNT changes nothing and
    asks again.
    """
    async with uow:
        waiting = await _waiting_for(uow, telegram_id, config, now)
        if waiting is None:
            return None
        me, mine = waiting
        debrief = mine[0]
        if debrief.step < INCIDENT_STEP:
            value = parse_count(text)
            if isinstance(value, CountProblem):
                return await _turn(uow, debrief, TurnKind.REASK, value)
            answers = dict(debrief.answers) | {COUNT_KEYS[debrief.step]: value}
            if not await uow.reports.record_answer(
                debrief.id,
                expected_step=debrief.step,
                by=me.id,
                answers=answers,
                new_step=debrief.step + 1,
            ):
                return await _after_race(uow, debrief.id)
            if debrief.lead_id is None:  # a coordinator took it: the others' question can go
                await uow.outbox.cancel_pending(DEBRIEF_REF, debrief.id, ["debrief_question"])
            turn = await _turn(uow, debrief)
            await uow.commit()
            return dataclasses.replace(turn, step=debrief.step + 1, answers=answers)
        passed_on = not is_no_incident(text)
        if not await uow.reports.record_answer(
            debrief.id,
            expected_step=debrief.step,
            by=me.id,
            answers=debrief.answers,
            new_step=DONE_STEP,
            finished_at=now,
            incident="reported" if passed_on else "none",  # a marker only: never the text
        ):
            return await _after_race(uow, debrief.id)
        session = await uow.sessions.get(debrief.session_id)
        assert session is not None
        if passed_on:
            await _pass_on(uow, debrief, session, me, text, config=config, now=now)
        nxt = await _turn(uow, mine[1]) if len(mine) > 1 else None
        await uow.commit()
        return DebriefTurn(
            kind=TurnKind.DONE,
            debrief_id=debrief.id,
            session=session,
            step=DONE_STEP,
            answers=dict(debrief.answers),
            incident_passed_on=passed_on,
            next=nxt,
        )


async def _after_race(uow: UnitOfWork, debrief_id: int) -> DebriefTurn | None:
    """Someone else answered this question first (another coordinator, a double send)."""
    fresh = await uow.reports.debrief(debrief_id)
    if fresh is None or fresh.step >= DONE_STEP:
        return None
    return await _turn(uow, fresh)


async def _pass_on(
    uow: UnitOfWork,
    debrief: Debrief,
    session: Session,
    me: Volunteer,
    text: str,
    *,
    config: RotaConfig,
    now: dtm.datetime,
) -> None:
    """The incident text goes to every coordinator (not back to the sender), nowhere else."""
    cleaned = text.strip()
    for chat in await coordinator_chats(uow, config):
        if chat == me.telegram_id:
            continue
        await uow.outbox.add(
            Notice(
                chat_id=chat,
                payload=DebriefIncident(
                    session_id=session.id,
                    starts_at=session.starts_at,
                    by=me.display_name,
                    text=cleaned[:INCIDENT_LIMIT],
                    truncated=len(cleaned) > INCIDENT_LIMIT,
                ),
                dedupe_key=f"debrief_incident:{debrief.id}:{chat}",
                ref_kind=DEBRIEF_REF,
                ref_id=debrief.id,
            ),
            now=now,
            due_at=None,
        )
