"""The rota template: the charity's standing week in one readable TOML file, checked strictly.

Coordinators edit the file by hand, so every mistake is refused with a one-line message that
names the file, the block and the key, rather than silently running the wrong rota.
"""

from __future__ import annotations

import datetime as dtm
import pathlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NoReturn

from rota.kernel.durations import parse_duration
from rota.kernel.localtime import LocalTimeError, parse_clock

DEFAULT_WEEKS_AHEAD = 6
DEFAULT_LATE_NOTICE = dtm.timedelta(hours=48)

_KEY = re.compile(r"[a-z][a-z0-9_]{0,19}", re.ASCII)
_TAG = re.compile(r"[a-z][a-z0-9_-]{0,19}", re.ASCII)

_TOP_KEYS = ("late_notice", "session", "role", "checkins", "briefing", "retention")
_TOP_SHOWN = ("late_notice", "[[session]]", "[[role]]", "[checkins]", "[briefing]", "[retention]")
_BRIEFING_KEYS = (
    "send_before",
    "reminder_before",
    "understaffed_alert_before",
    "second_understaffed_alert_before",
    "unread_alert_before",
    "checklist",
    "notes_retention",
)
_RETENTION_KEYS = (
    "message_bodies",
    "message_rows",
    "safety_log_details",
    "removed_volunteers",
    "invites",
)
# A deleted outbox row takes its duplicate guard (dedupe_key) with it; a week outlasts every
# message of one night (the staffing alert 72h before to the debrief after), so none repeats.
MIN_MESSAGE_ROWS = dtm.timedelta(days=7)
_CHECKIN_KEYS = (
    "interval",
    "grace",
    "escalate_after",
    "reescalate_after",
    "home_safe_within",
    "duress_word",
)
_DURESS = re.compile(r"[a-z][a-z -]{2,39}")
_SESSION_KEYS = ("key", "weekday", "start", "end", "meeting_point", "weeks_ahead")
_ROLE_KEYS = ("key", "label", "capacity", "minimum", "pairs", "requires")

_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAYS: dict[str, int] = {name: number for number, name in enumerate(_DAY_NAMES)}
_WEEKDAYS.update({name[:3]: number for number, name in enumerate(_DAY_NAMES)})
_WEEKDAYS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """One job on a night out, copied into every generated session."""

    key: str
    label: str
    capacity: int
    minimum: int
    pairs: bool
    requires: frozenset[str]


@dataclass(frozen=True, slots=True)
class SessionSpec:
    """A regular night out: which weekday, when and where, and how far ahead to publish."""

    key: str
    weekday: int  # Python's weekday(): Monday=0 .. Sunday=6
    start: dtm.time
    end: dtm.time
    meeting_point: str
    weeks_ahead: int


@dataclass(frozen=True, slots=True)
class CheckInPlan:
    """When walking pairs check in, and how fast a silence becomes an alarm.

    Prompts go at start+interval, start+2*interval... while the walk lasts; a reminder at
    due+grace; an escalation at due+escalate_after; the next step of the chain every
    reescalate_after until someone acknowledges. Home-safe is due home_safe_within after the
    session ends and follows the same reminder and escalation gaps.
    """

    interval: dtm.timedelta = dtm.timedelta(minutes=30)
    grace: dtm.timedelta = dtm.timedelta(minutes=5)
    escalate_after: dtm.timedelta = dtm.timedelta(minutes=10)
    reescalate_after: dtm.timedelta = dtm.timedelta(minutes=5)
    home_safe_within: dtm.timedelta = dtm.timedelta(minutes=90)
    duress_word: str | None = None


@dataclass(frozen=True, slots=True)
class BriefingPlan:
    """Before and after the shift: when briefings, reminders and staffing alerts go out."""

    send_before: dtm.timedelta = dtm.timedelta(hours=3)
    reminder_before: dtm.timedelta = dtm.timedelta(hours=24)
    understaffed_alert_before: dtm.timedelta = dtm.timedelta(hours=72)
    second_understaffed_alert_before: dtm.timedelta = dtm.timedelta(hours=24)
    unread_alert_before: dtm.timedelta = dtm.timedelta(minutes=30)
    checklist: tuple[str, ...] = ("Charged phone", "ID badge", "Kit bag")
    notes_retention: dtm.timedelta = dtm.timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long personal data is kept once it has done its job; the nightly purge applies it.

    Each period counts from when the data stopped being needed: a message from when it was
    delivered, given up or cancelled; a log line from when it was written; a removed
    volunteer from their removal; an invite from its expiry or use. Locations have no
    period: they go when the walk ends, or when the alert they belong to is resolved.
    """

    message_bodies: dtm.timedelta = dtm.timedelta(days=3)
    message_rows: dtm.timedelta = dtm.timedelta(days=35)
    safety_log_details: dtm.timedelta = dtm.timedelta(days=90)
    removed_volunteers: dtm.timedelta = dtm.timedelta(days=30)
    invites: dtm.timedelta = dtm.timedelta(days=7)


@dataclass(frozen=True, slots=True)
class RotaTemplate:
    """The whole standing week: its sessions, its roles (in file order) and late notice."""

    sessions: tuple[SessionSpec, ...]
    roles: tuple[RoleSpec, ...]
    late_notice: dtm.timedelta
    checkins: CheckInPlan = CheckInPlan()
    briefing: BriefingPlan = BriefingPlan()
    retention: RetentionPolicy = RetentionPolicy()

    def role(self, key: str) -> RoleSpec | None:
        """The role with this key, or None if the template has no such role."""
        return next((r for r in self.roles if r.key == key), None)

    def session(self, key: str) -> SessionSpec | None:
        """The session with this key, or None if the template has no such session."""
        return next((s for s in self.sessions if s.key == key), None)


class TemplateError(ValueError):
    """A rota template that cannot be used; the one-line message names the file and the key."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _show(value: object) -> str:
    """Show a value the way it looks in the TOML file, briefly."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, dtm.date | dtm.time):
        return value.isoformat()
    return repr(value)


class _Block:
    """One table of the file (the top level, a [[session]] or a [[role]]) being checked."""

    def __init__(
        self,
        source: str,
        label: str,
        table: Mapping[str, object],
        allowed: tuple[str, ...],
        shown: tuple[str, ...] | None = None,
    ) -> None:
        self.label = label
        self.where = f"{source}: {label}" if label else f"{source}:"
        self.table = table
        for name, value in table.items():
            if name not in allowed:
                self._unknown(name, value, shown or allowed)

    def _unknown(self, name: str, value: object, shown: tuple[str, ...]) -> NoReturn:
        if isinstance(value, Mapping):
            what = f"unknown section [{name}]"
        elif isinstance(value, list) and value and isinstance(value[0], Mapping):
            what = f"unknown section [[{name}]]"
        else:
            what = f"unknown key {name!r}"
        where = f"{self.where} has" if self.label else self.where
        raise TemplateError(f"{where} {what}; allowed here: {', '.join(shown)}")

    def fail(self, key: str, problem: str) -> NoReturn:
        raise TemplateError(f"{self.where} {key!r} {problem}")

    def get(self, key: str) -> object:
        if key not in self.table:
            raise TemplateError(f"{self.where} is missing {key!r}")
        return self.table[key]

    def text(self, key: str, *, longest: int) -> str:
        value = self.get(key)
        if not isinstance(value, str):
            self.fail(key, f"must be text in quotes, got {_show(value)}")
        cleaned = value.strip()
        if not 1 <= len(cleaned) <= longest:
            self.fail(key, f"must be 1 to {longest} characters, got {len(cleaned)}")
        return cleaned

    def key(self) -> str:
        value = self.get("key")
        if not isinstance(value, str) or not _KEY.fullmatch(value):
            self.fail(
                "key",
                "must be lowercase letters, digits or _, starting with a letter, "
                f"at most 20 characters, got {_show(value)}",
            )
        return value

    def whole(self, key: str, *, low: int, high: int, default: int | None = None) -> int:
        value = self.get(key) if default is None else self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(key, f"must be a whole number from {low} to {high}, got {_show(value)}")
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"must be true or false (without quotes), got {_show(value)}")
        return value

    def clock(self, key: str) -> dtm.time:
        value = self.get(key)
        if not isinstance(value, str):
            self.fail(key, f'must be a time in quotes like "19:00", got {_show(value)}')
        try:
            return parse_clock(value)
        except LocalTimeError:  # the operator's words; bot/ words it for people who typed it
            self.fail(key, f"{value!r} is not a time: write it as HH:MM, e.g. 19:00")

    def weekday(self, key: str) -> int:
        value = self.get(key)
        number = _WEEKDAYS.get(value.strip().lower()) if isinstance(value, str) else None
        if number is None:
            self.fail(key, f"must be a day of the week like wednesday or wed, got {_show(value)}")
        return number

    def tags(self, key: str) -> frozenset[str]:
        value = self.table.get(key, [])
        if not isinstance(value, list):
            self.fail(key, f'must be a list of tags like ["trained"], got {_show(value)}')
        for tag in value:
            if not isinstance(tag, str) or not _TAG.fullmatch(tag):
                self.fail(
                    key,
                    f"has {_show(tag)}, but a tag must be lowercase letters, digits, _ or -, "
                    "starting with a letter, at most 20 characters",
                )
        return frozenset(value)


def _blocks(source: str, document: Mapping[str, object], name: str) -> list[Mapping[str, object]]:
    """The [[name]] tables of the document, refusing none at all or the wrong shape."""
    if name not in document:
        raise TemplateError(f"{source}: no [[{name}]] block; the rota needs at least one")
    value = document[name]
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, Mapping) for item in value)
    ):
        raise TemplateError(f"{source}: {name!r} must be written as [[{name}]] blocks")
    return value


def _unique(block: _Block, key: str, seen: dict[str, str]) -> str:
    if key in seen:
        block.fail("key", f"{key!r} is already used by {seen[key]}")
    seen[key] = block.label
    return key


def _session(block: _Block, seen: dict[str, str]) -> SessionSpec:
    key = _unique(block, block.key(), seen)
    weekday = block.weekday("weekday")
    start = block.clock("start")
    end = block.clock("end")
    if start == end:
        block.fail("end", f"must differ from 'start' (both are {start:%H:%M})")
    return SessionSpec(
        key=key,
        weekday=weekday,
        start=start,
        end=end,
        meeting_point=block.text("meeting_point", longest=200),
        weeks_ahead=block.whole("weeks_ahead", low=1, high=52, default=DEFAULT_WEEKS_AHEAD),
    )


def _role(block: _Block, seen: dict[str, str]) -> RoleSpec:
    key = _unique(block, block.key(), seen)
    label = block.text("label", longest=40)
    capacity = block.whole("capacity", low=1, high=100)
    return RoleSpec(
        key=key,
        label=label,
        capacity=capacity,
        minimum=block.whole("minimum", low=0, high=capacity),
        pairs=block.boolean("pairs", default=False),
        requires=block.tags("requires"),
    )


def _late_notice(top: _Block) -> dtm.timedelta:
    if "late_notice" not in top.table:
        return DEFAULT_LATE_NOTICE
    value = top.table["late_notice"]
    if not isinstance(value, str):
        top.fail("late_notice", f'must be a duration in quotes like "48h", got {_show(value)}')
    try:
        return parse_duration(value)
    except ValueError as exc:
        top.fail("late_notice", str(exc))


def _duration(block: _Block, key: str, default: dtm.timedelta) -> dtm.timedelta:
    value = block.table.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        block.fail(key, f'must be a duration in quotes like "30m", got {_show(value)}')
    try:
        return parse_duration(value)
    except ValueError as exc:
        block.fail(key, str(exc))


def _checkins(source: str, document: Mapping[str, object]) -> CheckInPlan:
    table = document.get("checkins", {})
    if not isinstance(table, Mapping):
        raise TemplateError(f"{source}: 'checkins' must be written as a [checkins] section")
    block = _Block(source, "[checkins]", table, _CHECKIN_KEYS)
    base = CheckInPlan()
    plan = CheckInPlan(
        interval=_duration(block, "interval", base.interval),
        grace=_duration(block, "grace", base.grace),
        escalate_after=_duration(block, "escalate_after", base.escalate_after),
        reescalate_after=_duration(block, "reescalate_after", base.reescalate_after),
        home_safe_within=_duration(block, "home_safe_within", base.home_safe_within),
        duress_word=_duress(block),
    )
    for key in ("interval", "escalate_after", "reescalate_after"):
        if getattr(plan, key) <= dtm.timedelta(0):
            block.fail(key, "must be longer than zero")
    if plan.grace >= plan.escalate_after:
        block.fail("grace", "must be shorter than 'escalate_after' (the reminder comes first)")
    return plan


def _briefing(source: str, document: Mapping[str, object]) -> BriefingPlan:
    table = document.get("briefing", {})
    if not isinstance(table, Mapping):
        raise TemplateError(f"{source}: 'briefing' must be written as a [briefing] section")
    block = _Block(source, "[briefing]", table, _BRIEFING_KEYS)
    base = BriefingPlan()
    checklist = block.table.get("checklist", list(base.checklist))
    if not isinstance(checklist, list) or not all(
        isinstance(item, str) and 1 <= len(item.strip()) <= 80 for item in checklist
    ):
        block.fail("checklist", 'must be a list of short texts like ["Charged phone"]')
    if len(checklist) > 20:
        block.fail("checklist", "may have at most 20 items")
    plan = BriefingPlan(
        send_before=_duration(block, "send_before", base.send_before),
        reminder_before=_duration(block, "reminder_before", base.reminder_before),
        understaffed_alert_before=_duration(
            block, "understaffed_alert_before", base.understaffed_alert_before
        ),
        second_understaffed_alert_before=_duration(
            block, "second_understaffed_alert_before", base.second_understaffed_alert_before
        ),
        unread_alert_before=_duration(block, "unread_alert_before", base.unread_alert_before),
        checklist=tuple(item.strip() for item in checklist),
        notes_retention=_duration(block, "notes_retention", base.notes_retention),
    )
    if plan.unread_alert_before >= plan.send_before:
        block.fail(
            "unread_alert_before", "must be shorter than 'send_before' (the briefing comes first)"
        )
    return plan


def _retention(source: str, document: Mapping[str, object]) -> RetentionPolicy:
    table = document.get("retention", {})
    if not isinstance(table, Mapping):
        raise TemplateError(f"{source}: 'retention' must be written as a [retention] section")
    block = _Block(source, "[retention]", table, _RETENTION_KEYS)
    base = RetentionPolicy()
    policy = RetentionPolicy(
        **{key: _duration(block, key, getattr(base, key)) for key in _RETENTION_KEYS}
    )
    if policy.message_rows < MIN_MESSAGE_ROWS:
        block.fail(
            "message_rows",
            "must be at least 7d (a deleted message could otherwise be sent a second time)",
        )
    return policy


def _duress(block: _Block) -> str | None:
    value = block.table.get("duress_word")
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DURESS.fullmatch(value.strip().lower()):
        block.fail("duress_word", "must be 3 to 40 letters (spaces and - allowed)")
    return value.strip().lower()


def parse_template(text: str, *, source: str = "rota.toml") -> RotaTemplate:
    """Read and check a rota template, so a typo stops the bot instead of running a wrong rota.

    Args:
        text: the TOML text.
        source: the file name to put at the start of error messages.

    Raises:
        TemplateError: the text is not TOML, or breaks any rule of the template.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{source}: not valid TOML: {exc}") from None
    top = _Block(source, "", document, _TOP_KEYS, _TOP_SHOWN)
    late_notice = _late_notice(top)
    session_keys: dict[str, str] = {}
    sessions = tuple(
        _session(_Block(source, f"[[session]] #{n}", table, _SESSION_KEYS), session_keys)
        for n, table in enumerate(_blocks(source, document, "session"), start=1)
    )
    role_keys: dict[str, str] = {}
    roles = tuple(
        _role(_Block(source, f"[[role]] #{n}", table, _ROLE_KEYS), role_keys)
        for n, table in enumerate(_blocks(source, document, "role"), start=1)
    )
    return RotaTemplate(
        sessions=sessions,
        roles=roles,
        late_notice=late_notice,
        checkins=_checkins(source, document),
        briefing=_briefing(source, document),
        retention=_retention(source, document),
    )


def load_template(path: pathlib.Path) -> RotaTemplate:
    """Read and check the rota template file the bot runs from.

    Raises:
        TemplateError: the file cannot be read, is not UTF-8 text, is not TOML, or breaks
            a rule of the template; the message names the path.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TemplateError(
            f"{path}: no rota template there; copy {example_template_path()} to start one"
        ) from None
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read the rota template: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise TemplateError(f"{path}: the rota template is not UTF-8 text") from None
    return parse_template(text, source=str(path))


def example_template_path() -> pathlib.Path:
    """Where the shipped, commented example template is, to copy or to test against."""
    return pathlib.Path(__file__).parent.parent / "rota.example.toml"
