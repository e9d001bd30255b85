"""Before the shift: everyone's briefing, tonight's safety notes, Got it, and who hasn't read it.

`run_due` is driven by the clock (every few seconds). For each session whose briefing time
(`start - send_before`) has come and that has not ended, in one transaction per session:

- the first time, the briefing round is claimed (milestone "briefing") and the pairs are made;
- every confirmed volunteer without a briefing gets one: a `briefings` row (unique per session
  and person) and an outbox notice (unique dedupe key) in the same transaction, so a retry,
  a restart or a second worker never briefs anyone twice, and a late sign-up is briefed on
  the next pass;
- a safety note added after someone's briefing reaches them once, as an update;
- before the walk, a change of pairs reaches the briefed walkers it concerns;
- at `start - unread_alert_before` (milestone "unread_alert"; only until the walk starts) the
  team lead and the on-call coordinator (every coordinator if nobody is on call) hear who
  has not tapped Got it.

Safety notes may concern third parties: they are deleted `notes_retention` after the session
ends, and blanked out of the briefing messages the outbox still holds.
"""

from __future__ import annotations

import dataclasses
import datetime as dtm
from collections.abc import Sequence
from dataclasses import dataclass

from rota.briefings.model import BRIEFING_REF, Briefing, SafetyNote
from rota.briefings.notices import (
    BriefingMessage,
    BriefingUnreachable,
    Contact,
    NoteUpdate,
    PairsChanged,
    UnreadAlert,
)
from rota.briefings.refusals import BriefingRefusal
from rota.kernel import notice_codec as codec
from rota.kernel.config import RotaConfig
from rota.kernel.errors import InvalidInput, NotFound, SessionClosed
from rota.kernel.notices import SessionTimes
from rota.kernel.outbox import DeliveryState, Notice, OutboxItem
from rota.kernel.uow import UnitOfWork, UnitOfWorkFactory
from rota.people.access import coordinator_chats, require_coordinator, require_volunteer
from rota.roster.model import RosterEntry, Session, SignUpStatus
from rota.roster.sessions import parse_day
from rota.safety.checkin_plan import describe, effective_plan
from rota.safety.model import LEAD_ROLE, ONCALL_ROLE, Pair, WalkState
from rota.safety.walks import ensure_pairs

# Notice kinds (rendered by bot/briefings/notices.py).
BRIEFING = BriefingMessage.KIND  # the briefing itself, with its Got it button
NOTE_UPDATE = NoteUpdate.KIND  # a safety note added after someone's briefing
PAIRS_CHANGED = PairsChanged.KIND  # the pairs changed after someone's briefing
UNREAD_ALERT = UnreadAlert.KIND  # to the lead and on-call: who hasn't tapped Got it
UNREACHABLE = BriefingUnreachable.KIND  # to coordinators: a briefing could not be delivered
UNDELIVERABLE_KINDS = frozenset({BRIEFING, NOTE_UPDATE, PAIRS_CHANGED})

BRIEFING_MILESTONE = "briefing"
UNREAD_MILESTONE = "unread_alert"
MAX_NOTE_LENGTH = 3500  # one note; the briefing must still fit in one message
MAX_NOTES_LENGTH = 3500  # all of one session's notes together, for the same reason


def note_length(text: str) -> int:
    """Characters as chat apps count them (UTF-16 units: most emoji count as two)."""
    return len(text.encode("utf-16-le")) // 2


def clean_note(text: str) -> str:
    """A note as typed, tidied, or a refusal for an empty or oversized one.

    Raises:
        InvalidInput: nothing to say (no letter or digit), or more than MAX_NOTE_LENGTH.
    """
    lines = [line.rstrip() for line in text.strip().splitlines()]
    cleaned = "\n".join(lines).strip()
    while "\n\n\n" in cleaned:
        cleaned = cleaned.replace("\n\n\n", "\n\n")
    if not any(ch.isalnum() for ch in cleaned):
        raise InvalidInput(BriefingRefusal.NOTE_EMPTY)
    length = note_length(cleaned)
    if length > MAX_NOTE_LENGTH:
        raise InvalidInput(BriefingRefusal.NOTE_TOO_LONG, length=length, limit=MAX_NOTE_LENGTH)
    return cleaned


# ---------------------------------------------------------------------------- the night's facts


def _confirmed(roster: Sequence[RosterEntry]) -> list[RosterEntry]:
    return [e for e in roster if e.signup.status is SignUpStatus.CONFIRMED]


def _people(entries: Sequence[RosterEntry], role_key: str) -> tuple[Contact, ...]:
    """(name, telegram id) of everyone in one role, for tap-to-message links."""
    return tuple(
        (e.volunteer.display_name, e.volunteer.telegram_id)
        for e in entries
        if e.role.key == role_key
    )


def _partners(pairs: Sequence[Pair]) -> dict[int, frozenset[int]]:
    """Each paired walker's partners (volunteer ids)."""
    return {
        m.volunteer_id: frozenset(o.volunteer_id for o in p.members if o is not m)
        for p in pairs
        for m in p.members
    }


@dataclass(frozen=True, slots=True)
class _Night:
    """What every briefing of one session says, worked out once."""

    session: Session
    confirmed: list[RosterEntry]
    pairs: list[Pair]
    notes: list[SafetyNote]
    shared: BriefingMessage  # what every briefing of the night says (briefing_id 0)

    @property
    def notes_version(self) -> int:
        return max((n.id for n in self.notes), default=0)

    def payload(self, entry: RosterEntry, briefing_id: int) -> BriefingMessage:
        pair = next((p for p in self.pairs if p.has(entry.volunteer.id)), None)
        partners = (
            tuple(m.name for m in pair.members if m.volunteer_id != entry.volunteer.id)
            if pair
            else ()
        )
        return dataclasses.replace(
            self.shared,
            briefing_id=briefing_id,
            volunteer_id=entry.volunteer.id,
            name=entry.volunteer.display_name,
            role=entry.role.label,
            walker=entry.role.pairs,
            pair=pair.number if pair else None,
            partners=partners,
        )


async def _night(
    uow: UnitOfWork,
    session: Session,
    confirmed: list[RosterEntry],
    pairs: list[Pair],
    *,
    config: RotaConfig,
) -> _Night:
    roles = sorted(await uow.sessions.roles([session.id]), key=lambda r: (r.position, r.id))
    team = [
        (role.label, tuple(e.volunteer.display_name for e in confirmed if e.role.id == role.id))
        for role in roles
    ]
    notes = await uow.briefings.notes(session.id)
    plan = effective_plan(config.template.checkins, session.checkin_plan)
    shared = BriefingMessage(
        session=SessionTimes.of(session),
        briefing_id=0,
        meeting_point=session.meeting_point,
        session_note=session.note,
        team=tuple(t for t in team if t[1]),
        pairs=tuple(tuple(m.name for m in p.members) for p in pairs),
        lead=_people(confirmed, LEAD_ROLE),
        oncall=_people(confirmed, ONCALL_ROLE),
        plan=describe(plan),
        checklist=tuple(config.template.briefing.checklist),
        notes=tuple(n.text for n in notes),
    )
    return _Night(session, confirmed, pairs, notes, shared)


# ---------------------------------------------------------------------------- the clock's work


async def run_due(fresh: UnitOfWorkFactory, *, config: RotaConfig, now: dtm.datetime) -> int:
    """Do whatever of this feature has fallen due at `now`; returns how many things happened.

    Each session is handled in its own transaction, so one session's trouble cannot hold up
    the others' briefings.
    """
    plan = config.template.briefing
    done = 0
    async with fresh() as work:
        due = await work.briefings.sessions_to_brief(now, send_before=plan.send_before)
        purged = await work.briefings.purge_notes(now - plan.notes_retention)
        await work.commit()
    done += purged
    for session in due:
        async with fresh() as work:
            done += await _brief_session(work, session.id, config=config, now=now)
            await work.commit()
    return done


async def next_due(
    uow: UnitOfWork, *, config: RotaConfig, now: dtm.datetime
) -> dtm.datetime | None:
    """When the next briefing round falls due (after `now`), so the clock can wake for it."""
    send_before = config.template.briefing.send_before
    async with uow:
        soon = await uow.sessions.upcoming(now, 5)
    times = [s.starts_at - send_before for s in soon if s.starts_at - send_before > now]
    return min(times, default=None)


async def _brief_session(
    uow: UnitOfWork, session_id: int, *, config: RotaConfig, now: dtm.datetime
) -> int:
    await uow.briefings.lock_session(session_id)
    session = await uow.sessions.get(session_id)
    if session is None or session.is_cancelled or session.ends_at <= now:
        return 0
    milestones = await uow.safety.milestones(session.id)
    first_round = BRIEFING_MILESTONE not in milestones
    if first_round and not await uow.safety.claim_milestone(
        session.id, BRIEFING_MILESTONE, at=now
    ):
        return 0
    alert_at = session.starts_at - config.template.briefing.unread_alert_before
    unread_due = alert_at <= now < session.starts_at and UNREAD_MILESTONE not in milestones
    if (
        not first_round
        and not unread_due
        and session.walk_state != WalkState.PLANNED.value  # pairs may still be re-formed
        and not await uow.briefings.anything_new(session.id)
    ):
        # Nothing for this tick: with thousands on the rota, loading the night every few
        # seconds took a tenth of the CPU while a restarted bot caught up (measured).
        return 0
    confirmed = _confirmed(await uow.signups.roster([session.id]))
    briefed = {b.volunteer_id: b for b in await uow.briefings.briefings(session.id)}
    before = await uow.safety.pairs(session.id)
    pairs = before
    if session.walk_state == WalkState.PLANNED.value:
        pairs, _problems = await ensure_pairs(uow, session, config=config, now=now)
    night = await _night(uow, session, confirmed, pairs, config=config)
    done = await _send_briefings(uow, night, briefed, now=now)
    if first_round:
        await uow.safety.log(
            session.id, "briefing_sent", at=now, detail=f"briefing to {done} people"
        )
    done += await _pairs_changed(uow, night, briefed, before, now=now)
    done += await _note_updates(uow, night, list(briefed.values()), now=now)
    if unread_due:
        done += await _unread_alert(uow, night, config=config, now=now)
    return done


async def _send_briefings(
    uow: UnitOfWork, night: _Night, briefed: dict[int, Briefing], *, now: dtm.datetime
) -> int:
    # In bulk: a round of 600 took 5 to 7 s one row at a time before its first message
    # could go (measured); the rows are the same.
    todo = [
        e
        for e in night.confirmed
        if e.volunteer.id not in briefed and e.volunteer.telegram_id is not None
    ]
    added = await uow.briefings.add_many(
        night.session.id,
        [e.volunteer.id for e in todo],
        now=now,
        notes_version=night.notes_version,
    )
    notices = []
    for entry in todo:
        volunteer = entry.volunteer
        briefing = added.get(volunteer.id)
        if briefing is None or volunteer.telegram_id is None:  # another worker got there first
            continue
        notices.append(
            Notice(
                chat_id=volunteer.telegram_id,
                payload=night.payload(entry, briefing.id),
                dedupe_key=f"briefing:{night.session.id}:{volunteer.id}",
                ref_kind=BRIEFING_REF,
                ref_id=briefing.id,
            )
        )
    await uow.outbox.add_many(notices, now=now)
    return len(notices)


async def _pairs_changed(
    uow: UnitOfWork,
    night: _Night,
    briefed: dict[int, Briefing],
    before: Sequence[Pair],
    *,
    now: dtm.datetime,
) -> int:
    """Tell each briefed walker whose partners are not the ones their briefing named."""
    old, new = _partners(before), _partners(night.pairs)
    if old == new:
        return 0
    generation = max((p.id for p in night.pairs), default=0)
    told = 0
    for entry in night.confirmed:
        volunteer = entry.volunteer
        briefing = briefed.get(volunteer.id)
        if briefing is None or volunteer.telegram_id is None or not entry.role.pairs:
            continue
        if old.get(volunteer.id) == new.get(volunteer.id):
            continue
        payload = night.payload(entry, briefing.id)
        await uow.outbox.add(
            Notice(
                chat_id=volunteer.telegram_id,
                payload=PairsChanged(
                    session=payload.session,
                    volunteer_id=volunteer.id,
                    name=volunteer.display_name,
                    pair=payload.pair,
                    partners=payload.partners,
                ),
                dedupe_key=f"bfpair:{night.session.id}:{volunteer.id}:{generation}",
            ),
            now=now,
            due_at=None,
        )
        told += 1
    return told


async def _note_updates(
    uow: UnitOfWork, night: _Night, briefings: Sequence[Briefing], *, now: dtm.datetime
) -> int:
    """Send each briefed person (still on the rota) the notes added since their briefing.

    One message per note and person, each with its own dedupe key; the compare-and-set on
    `notes_version` means two workers never both decide to send the same notes.
    """
    newest = night.notes_version
    on_rota = {e.volunteer.id: e.volunteer for e in night.confirmed}
    sent = 0
    for briefing in briefings:
        volunteer = on_rota.get(briefing.volunteer_id)
        if briefing.notes_version >= newest or volunteer is None or volunteer.telegram_id is None:
            continue
        if not await uow.briefings.advance_notes(
            briefing.id, expected=briefing.notes_version, new=newest
        ):
            continue
        for note in night.notes:
            if note.id <= briefing.notes_version:
                continue
            await uow.outbox.add(
                Notice(
                    chat_id=volunteer.telegram_id,
                    payload=NoteUpdate(
                        session=SessionTimes.of(night.session),
                        briefing_id=briefing.id,
                        volunteer_id=volunteer.id,
                        name=volunteer.display_name,
                        note=note.text,
                    ),
                    dedupe_key=f"bfnote:{note.id}:{volunteer.id}",
                    ref_kind=BRIEFING_REF,
                    ref_id=briefing.id,
                ),
                now=now,
                due_at=None,
            )
            sent += 1
    return sent


async def _unread_alert(
    uow: UnitOfWork, night: _Night, *, config: RotaConfig, now: dtm.datetime
) -> int:
    session = night.session
    if not await uow.safety.claim_milestone(session.id, UNREAD_MILESTONE, at=now):
        return 0
    names = await unread(uow, session.id)
    if not names:
        return 0
    leads = [e for e in night.confirmed if e.role.key == LEAD_ROLE]
    oncall = [e for e in night.confirmed if e.role.key == ONCALL_ROLE]
    chats = {e.volunteer.telegram_id for e in leads + oncall}
    if not oncall:
        chats.update(await coordinator_chats(uow, config))
    recipients = sorted(c for c in chats if c is not None)
    for chat in recipients:
        await uow.outbox.add(
            Notice(
                chat_id=chat,
                payload=UnreadAlert(
                    session=SessionTimes.of(session),
                    names=tuple(names),
                    total=len(night.confirmed),
                ),
                dedupe_key=f"bfunread:{session.id}:{chat}",
            ),
            now=now,
            due_at=None,
        )
    await uow.safety.log(
        session.id, "briefing_unread", at=now, detail=("not read by " + ", ".join(names))[:400]
    )
    return len(recipients)


async def unread(uow: UnitOfWork, session_id: int) -> list[str]:
    """Names of the people confirmed on a session who have not tapped Got it, rota order.

    Call it inside the caller's transaction (it opens none): /tonight can show it.
    """
    read = {
        b.volunteer_id for b in await uow.briefings.briefings(session_id) if b.read_at is not None
    }
    return [
        e.volunteer.display_name
        for e in _confirmed(await uow.signups.roster([session_id]))
        if e.volunteer.id not in read
    ]


# ---------------------------------------------------------------------------- delivery failures


async def briefing_undeliverable(
    uow: UnitOfWork, item: OutboxItem, *, config: RotaConfig, now: dtm.datetime
) -> None:
    """A briefing (or an update to it) met a 403: the coordinators hear it, once per person.

    Runs inside the caller's transaction (delivery.record_outcome).
    """
    try:
        sent = codec.decode(item.kind, item.payload)
    except (KeyError, ValueError, TypeError):
        return  # a row this version cannot read (or one wiped by retention): nothing to say
    if not isinstance(sent, BriefingMessage | NoteUpdate | PairsChanged):
        return
    session_id, volunteer_id = sent.session.session_id, sent.volunteer_id
    if volunteer_id is None:
        return
    person = await uow.volunteers.get(volunteer_id)
    name = person.display_name if person else (sent.name or "a volunteer")
    payload = BriefingUnreachable(session=sent.session, name=name)
    for chat in await coordinator_chats(uow, config):
        if chat == item.chat_id:
            continue
        await uow.outbox.add(
            Notice(
                chat_id=chat,
                payload=payload,
                dedupe_key=f"bfblocked:{session_id}:{volunteer_id}:{chat}",
            ),
            now=now,
            due_at=None,
        )
    if item.kind == BRIEFING:
        await uow.safety.log(
            session_id,
            "briefing_undelivered",
            at=now,
            detail=f"could not deliver the briefing to {name}",
            volunteer_id=volunteer_id,
        )


# ---------------------------------------------------------------------------- coordinators


async def _session_on(uow: UnitOfWork, day_text: str, now: dtm.datetime) -> Session:
    """The session a coordinator named by date: it must exist, be on, and not be over."""
    day = parse_day(day_text)
    on_day = await uow.sessions.on_date(day)
    live = [s for s in on_day if not s.is_cancelled]
    if not on_day:
        raise NotFound(BriefingRefusal.NO_SESSION_ON, day=day)
    if not live:
        raise SessionClosed(BriefingRefusal.SESSION_CANCELLED, day=day)
    session = live[0]
    if session.ends_at <= now:
        raise SessionClosed(BriefingRefusal.SESSION_OVER, day=day)
    return session


@dataclass(frozen=True, slots=True)
class SessionNotes:
    """One session's safety notes, and when (or whether) its briefing went out."""

    session: Session
    notes: list[SafetyNote]
    sends_at: dtm.datetime
    sent: bool


@dataclass(frozen=True, slots=True)
class NoteAdded:
    """A note was added: the session's notes now, and how many briefed people get an update."""

    notes: SessionNotes
    note: SafetyNote
    updates: int


async def _session_notes(uow: UnitOfWork, session: Session, *, config: RotaConfig) -> SessionNotes:
    return SessionNotes(
        session=session,
        notes=await uow.briefings.notes(session.id),
        sends_at=session.starts_at - config.template.briefing.send_before,
        sent=BRIEFING_MILESTONE in await uow.safety.milestones(session.id),
    )


async def list_notes(
    uow: UnitOfWork, *, telegram_id: int, day: str, config: RotaConfig, now: dtm.datetime
) -> SessionNotes:
    """/brief YYYY-MM-DD: the safety notes of a coming (or running) session."""
    async with uow:
        await require_coordinator(uow, telegram_id, config)
        session = await _session_on(uow, day, now)
        return await _session_notes(uow, session, config=config)


async def add_note(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    day: str,
    text: str,
    config: RotaConfig,
    now: dtm.datetime,
) -> NoteAdded:
    """/brief YYYY-MM-DD <text>: a safety note for that session's briefing.

    Added before the briefing goes out, it is part of everyone's briefing; added after, it
    goes at once as an update to everyone already briefed (and is in later briefings).
    """
    async with uow:
        actor = await require_coordinator(uow, telegram_id, config)
        session = await _session_on(uow, day, now)
        cleaned = clean_note(text)
        await uow.briefings.lock_session(session.id)
        existing = await uow.briefings.notes(session.id)
        used = sum(note_length(n.text) for n in existing)
        if used + note_length(cleaned) > MAX_NOTES_LENGTH:
            raise InvalidInput(
                BriefingRefusal.NOTES_TOO_LONG,
                used=used,
                limit=MAX_NOTES_LENGTH,
                length=note_length(cleaned),
            )
        author = actor.volunteer
        note = await uow.briefings.add_note(
            session.id, cleaned, author_id=author.id if author else None, now=now
        )
        confirmed = _confirmed(await uow.signups.roster([session.id]))
        pairs = await uow.safety.pairs(session.id)
        night = await _night(uow, session, confirmed, pairs, config=config)
        updates = await _note_updates(
            uow, night, await uow.briefings.briefings(session.id), now=now
        )
        by = author.display_name if author else f"admin {telegram_id}"
        await uow.safety.log(
            session.id,
            "safety_note",
            at=now,
            detail=f"added by {by}; sent as an update to {updates}",
        )
        listed = await _session_notes(uow, session, config=config)
        await uow.commit()
        return NoteAdded(notes=listed, note=note, updates=updates)


@dataclass(frozen=True, slots=True)
class BriefingStatus:
    """/briefstatus: who has read the briefing, who hasn't, who could not get it."""

    session: Session
    sends_at: dtm.datetime
    sent: bool
    read: list[tuple[str, dtm.datetime]]
    unread: list[str]
    not_briefed: list[str]
    unreachable: list[str]
    notes: int


async def status(
    uow: UnitOfWork, *, telegram_id: int, day: str, config: RotaConfig, now: dtm.datetime
) -> BriefingStatus:
    """Who has tapped Got it on a session's briefing; earlier sessions may be looked at too."""
    async with uow:
        await require_coordinator(uow, telegram_id, config)
        parsed = parse_day(day)
        live = [s for s in await uow.sessions.on_date(parsed) if not s.is_cancelled]
        if not live:
            raise NotFound(BriefingRefusal.NO_SESSION_TO_CHECK, day=parsed)
        session = live[0]
        confirmed = _confirmed(await uow.signups.roster([session.id]))
        briefings = {b.volunteer_id: b for b in await uow.briefings.briefings(session.id)}
        delivery = await uow.briefings.sent([b.id for b in briefings.values()])
        read, waiting, missing, blocked = [], [], [], []
        for entry in confirmed:
            name = entry.volunteer.display_name
            briefing = briefings.get(entry.volunteer.id)
            if briefing is None:
                missing.append(name)
            elif briefing.read_at is not None:
                read.append((name, briefing.read_at))
            elif (sent := delivery.get(briefing.id)) and sent.state == DeliveryState.UNREACHABLE:
                blocked.append(name)
            else:
                waiting.append(name)
        listed = await _session_notes(uow, session, config=config)
        return BriefingStatus(
            session=session,
            sends_at=listed.sends_at,
            sent=listed.sent,
            read=read,
            unread=waiting,
            not_briefed=missing,
            unreachable=blocked,
            notes=len(listed.notes),
        )


# ---------------------------------------------------------------------------- Got it


@dataclass(frozen=True, slots=True)
class GotIt:
    """After a Got it tap: the briefing now, whether this tap changed it, and what it said."""

    briefing: Briefing
    changed: bool
    payload: BriefingMessage | None


async def got_it(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    briefing_id: int,
    config: RotaConfig,
    now: dtm.datetime,
) -> GotIt:
    """Mark one's own briefing read (the first tap counts); anyone else's is refused."""
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        briefing = await uow.briefings.get(briefing_id)
        if briefing is None or briefing.volunteer_id != volunteer.id:
            raise NotFound(BriefingRefusal.NOT_YOUR_BRIEFING)
        changed = await uow.briefings.mark_read(briefing_id, at=now)
        sent = (await uow.briefings.sent([briefing_id])).get(briefing_id)
        await uow.commit()
        if changed:
            briefing = dataclasses.replace(briefing, read_at=now)
        # Its text is wiped a few days after delivery (retention): then only the tap counts.
        return GotIt(briefing, changed, _shown(sent.payload) if sent is not None else None)


def _shown(stored: dict[str, object]) -> BriefingMessage | None:
    """The briefing a row said, or None once retention wiped it (or it cannot be read)."""
    if not stored:
        return None
    try:
        shown = codec.decode(BRIEFING, stored)
    except (KeyError, ValueError, TypeError):
        return None
    return shown if isinstance(shown, BriefingMessage) else None
