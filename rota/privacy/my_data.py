"""/me and /me export: everything the bot keeps about the person asking, and nothing else.

A subject access request in one tap. The export's shape is declared here as dataclasses and
serialised as it is, so a field added to a record type appears in the file (and in review).
Nothing about other people goes in: a partner is counted, not named; an alert someone else
raised is theirs; the safety log's free text (which names the night's other people) is
described by its event and time.
"""

from __future__ import annotations

import dataclasses
import datetime as dtm
import json
from dataclasses import dataclass

from rota.kernel.config import RotaConfig
from rota.kernel.template import RetentionPolicy
from rota.kernel.uow import UnitOfWork
from rota.people.access import require_volunteer
from rota.people.model import Volunteer
from rota.privacy.model import MyRecords, MySignUp
from rota.roster.model import SignUpStatus
from rota.safety.model import EscalationKind, EscalationState

EXPORT_FORMAT = "rotabot-my-data/1"


@dataclass(frozen=True, slots=True)
class Profile:
    """Who they are to the bot."""

    name: str
    username: str | None
    telegram_id: int | None
    phone: str | None
    tags: tuple[str, ...]
    status: str
    joined_at: dtm.datetime


@dataclass(frozen=True, slots=True)
class MyData:
    """Everything stored about one volunteer, as of `made_at`."""

    made_at: dtm.datetime
    profile: Profile
    records: MyRecords
    retention: RetentionPolicy

    @property
    def upcoming(self) -> list[MySignUp]:
        """Shifts and waitlist places still to come."""
        active = (SignUpStatus.CONFIRMED.value, SignUpStatus.WAITLISTED.value)
        return [
            s
            for s in self.records.sign_ups
            if s.status in active and not s.session_cancelled and s.starts_at > self.made_at
        ]

    @property
    def past(self) -> list[MySignUp]:
        """Shifts they were confirmed on that have started (cancelled nights not counted)."""
        return [
            s
            for s in self.records.sign_ups
            if s.status == SignUpStatus.CONFIRMED.value
            and not s.session_cancelled
            and s.starts_at <= self.made_at
        ]


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """How long one kind of data is kept, and what deletes it."""

    data: str
    kept: str
    deleted_by: str


@dataclass(frozen=True, slots=True)
class MyDataExport:
    """The /me export file: the person's profile, every record linked to them, the rules."""

    format: str
    made_at: dtm.datetime
    time_zone: str
    profile: Profile
    records: MyRecords
    retention: list[RetentionRule]
    not_included: list[str]


NOT_INCLUDED = [
    "Other people's names, usernames, phone numbers and ids: a pair is shown as how many "
    "walked with you, an alert you handled without whom it was about, a cover without who "
    "took it.",
    "The safety log's free text: it names the night's other people. Each line about you is "
    "listed by its event and time; a coordinator can read it to you from /log.",
    "Debrief incident texts and safety notes: they are about other people; their dates are "
    "listed.",
    "Messages already delivered: they are in your Telegram chat with the bot, which the bot "
    "cannot read back or delete.",
]


def _hidden_alarms(records: MyRecords, *, resolved_shown: bool) -> set[int]:
    """Duress alarms never show on screen, and in the file only once resolved.

    The duress word is for when someone may be reading over the walker's shoulder: /me must
    not reveal that it raised a silent alarm.
    """
    return {
        e.id
        for e in records.escalations
        if e.kind == EscalationKind.DURESS.value
        and not (resolved_shown and e.state == EscalationState.RESOLVED.value)
    }


def _without(records: MyRecords, hidden: set[int]) -> MyRecords:
    if not hidden:
        return records
    return dataclasses.replace(
        records,
        escalations=[e for e in records.escalations if e.id not in hidden],
        safety_log=[e for e in records.safety_log if e.escalation_id not in hidden],
    )


def _profile(volunteer: Volunteer) -> Profile:
    return Profile(
        name=volunteer.display_name,
        username=volunteer.username,
        telegram_id=volunteer.telegram_id,
        phone=volunteer.phone,
        tags=tuple(sorted(volunteer.tags)),
        status=volunteer.status.value,
        joined_at=volunteer.joined_at,
    )


async def _gather(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    config: RotaConfig,
    now: dtm.datetime,
    resolved_duress_shown: bool,
) -> MyData:
    async with uow:
        volunteer = await require_volunteer(uow, telegram_id, config)
        records = await uow.my_data.records(
            volunteer.id, chat_id=volunteer.telegram_id, name=volunteer.display_name
        )
    hidden = _hidden_alarms(records, resolved_shown=resolved_duress_shown)
    return MyData(
        made_at=now,
        profile=_profile(volunteer),
        records=_without(records, hidden),
        retention=config.template.retention,
    )


async def my_data(
    uow: UnitOfWork, *, telegram_id: int, config: RotaConfig, now: dtm.datetime
) -> MyData:
    """What the bot keeps about the caller, for /me; strangers are refused politely."""
    return await _gather(
        uow, telegram_id=telegram_id, config=config, now=now, resolved_duress_shown=False
    )


async def my_profile(uow: UnitOfWork, *, telegram_id: int, config: RotaConfig) -> Volunteer:
    """The caller's own record, or the stranger's refusal (for commands that need no more)."""
    async with uow:
        return await require_volunteer(uow, telegram_id, config)


def in_words(period: dtm.timedelta) -> str:
    """A retention period as people say it: '3 days', '12 hours', '90 minutes'."""
    seconds = int(period.total_seconds())
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def retention_rules(policy: RetentionPolicy) -> list[RetentionRule]:
    """The retention periods in plain words, as the export states them."""
    span = in_words
    return [
        RetentionRule(
            "your profile (name, username, Telegram id, phone number, tags)",
            "while you are on the team; "
            f"{span(policy.removed_volunteers)} after a coordinator removes you",
            "/forgetme at once; /remove <who> forget at once; the nightly purge",
        ),
        RetentionRule(
            "what the bot's messages said",
            f"{span(policy.message_bodies)} after delivery (or after it gave up)",
            "the nightly purge; /forgetme",
        ),
        RetentionRule(
            "the record that a message was sent",
            span(policy.message_rows),
            "the nightly purge; /forgetme",
        ),
        RetentionRule(
            "locations you share",
            "until the walk ends; an alert's until it is resolved",
            "the end of the walk; resolving the alert; /forgetme",
        ),
        RetentionRule(
            "who the safety log's lines were about",
            span(policy.safety_log_details),
            "the nightly purge (what happened and when stay, unnamed, for the reports)",
        ),
        RetentionRule(
            "invites",
            f"{span(policy.invites)} after they expire or are used",
            "the nightly purge",
        ),
        RetentionRule(
            "sign-ups, pairs, check-ins, home-safe answers, briefings, reminders",
            "while you are on the team; afterwards only as anonymous counts",
            "/forgetme; /remove <who> forget; the nightly purge for removed volunteers",
        ),
    ]


async def my_export(
    uow: UnitOfWork, *, telegram_id: int, config: RotaConfig, now: dtm.datetime
) -> MyDataExport:
    """Everything the bot keeps about the caller, for /me export (a subject access request)."""
    data = await _gather(
        uow, telegram_id=telegram_id, config=config, now=now, resolved_duress_shown=True
    )
    return MyDataExport(
        format=EXPORT_FORMAT,
        made_at=now,
        time_zone=config.zone,
        profile=data.profile,
        records=data.records,
        retention=retention_rules(data.retention),
        not_included=list(NOT_INCLUDED),
    )


def _plain(value: object) -> object:
    if isinstance(value, dtm.datetime):
        return value.astimezone(dtm.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dtm.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} in the export")


def export_json(export: MyDataExport) -> bytes:
    """The export as a UTF-8 JSON document: instants in UTC (ISO 8601), dates local."""
    return json.dumps(
        dataclasses.asdict(export), default=_plain, ensure_ascii=False, indent=2
    ).encode()
