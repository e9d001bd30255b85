"""Forgetting a person for real: /forgetme, /remove ... forget and the retention job.

The one place that knows where a person's name, handle, phone, Telegram id and positions can
end up. The rows reports count (sign-ups, pairs, check-ins, home-safe, debrief answers) stay,
linked to the anonymised volunteer row, so monthly reports still add up after an erasure.
"""

from __future__ import annotations

import dataclasses
import datetime as dtm
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields

from rota.kernel.errors import DomainError
from rota.kernel.outbox import DeliveryState
from rota.kernel.uow import UnitOfWork
from rota.people.model import Volunteer
from rota.privacy.model import FreeText, StoredMessage
from rota.privacy.refusals import PrivacyRefusal

FORMER_VOLUNTEER = "a former volunteer"
NUMBER_REMOVED = "(number removed)"
ID_REMOVED = "(id removed)"
REPLACEMENTS = {"name": FORMER_VOLUNTEER, "phone": NUMBER_REMOVED, "id": ID_REMOVED}

# Outbox rows that show where someone is (ref kinds as written by rota.safety.alarms).
LOCATION_KINDS = frozenset({"alert_location", "alert_location_move"})
ALARM_REFS = ("escalation", "news")
PHONE_KEYS = frozenset({"phone"})
_SEPARATORS = r"[\s().\-]*"
# Names that identify nobody (Telegram's fallback, an erased row): never searched for, or
# every message saying "volunteer" would be rewritten.
NOT_NAMES = frozenset({FORMER_VOLUNTEER, "volunteer", "a", "the", "former"})
MIN_FIRST_NAME = 3


class AlertStillOpen(DomainError):
    """An alarm about the person is not resolved yet: erasing now could cost a life."""


@dataclass(frozen=True, slots=True)
class ErasureCounts:
    """How many rows of each table one erasure deleted (…_deleted) or rewrote."""

    volunteers: int = 0
    outbox_deleted: int = 0
    outbox_rewritten: int = 0
    locations_deleted: int = 0
    safety_log: int = 0
    safety_notes: int = 0
    debriefs: int = 0
    sessions: int = 0

    @property
    def total(self) -> int:
        """Every row touched."""
        return sum(getattr(self, f.name) for f in fields(self))

    def as_lines(self) -> list[str]:
        """One `name: count` line per table, for a CLI or a log."""
        return [f"{f.name}: {getattr(self, f.name)}" for f in fields(self)]

    def __add__(self, other: ErasureCounts) -> ErasureCounts:
        """Counts of two erasures together (a batch of removed volunteers)."""
        return ErasureCounts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


def _phone_forms(phone: str) -> list[str]:
    """The digits of a number as people write it: +44 7700 900123 is also 07700 900123."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 5:
        return []
    forms = {digits}
    if digits.startswith("00"):
        digits = digits[2:]
        forms.add(digits)
    if digits.startswith("44") and len(digits) > 7:
        forms.add("0" + digits[2:])
    elif digits.startswith("0"):
        forms.add("44" + digits[1:])
    return sorted(forms, key=len, reverse=True)


@dataclass(frozen=True, slots=True)
class Traces:
    """What identifies one person in stored text, and how to take it out.

    Names (in full, and the first name alone) match whole words in any letter case ("Al" is
    not taken out of "Alice"); someone else's name that contains one ("Al Green") is left
    alone. A namesake with the very same full name can't be told apart in free text: their
    name is replaced too, as forgetting must not fail.
    """

    volunteer_id: int
    names: tuple[str, ...]
    username: str | None
    phone: str | None
    telegram_id: int | None
    others: tuple[str, ...] = ()  # other people's names that contain one of ours
    namesakes: frozenset[int] = frozenset()  # Telegram ids of others with one of our names

    @classmethod
    def of(cls, volunteer: Volunteer, everyone: Iterable[Volunteer] = ()) -> Traces:
        """The traces of `volunteer`; `everyone` lets namesakes' longer names be spared."""
        names = _names_of(volunteer.display_name)
        others: set[str] = set()
        namesakes: set[int] = set()
        for person in everyone:
            if person.id == volunteer.id:
                continue
            other = " ".join(person.display_name.split())
            if names and other.casefold() == names[0].casefold():
                # The very same name: free text can't tell them apart (ours goes); only
                # their tap-to-message links can.
                if person.telegram_id is not None:
                    namesakes.add(person.telegram_id)
                continue
            for name in names:
                # Someone else's name containing ours is theirs ("Al Green" when erasing
                # "Al"); so is a name equal to our first name alone (another "Zeph").
                longer = len(other) > len(name) or name != names[0]
                if longer and _word(name).search(other):
                    others.add(other)
        return cls(
            volunteer_id=volunteer.id,
            names=names,
            username=volunteer.username or None,
            phone=volunteer.phone or None,
            telegram_id=volunteer.telegram_id,
            others=tuple(sorted(others, key=len, reverse=True)),
            namesakes=frozenset(namesakes),
        )

    @property
    def empty(self) -> bool:
        """Nothing left to look for (already erased)."""
        return not (self.names or self.username or self.phone or self.telegram_id)

    def needles(self) -> list[str]:
        """Strings that, in any letter case, mark a stored text worth reading.

        Each name is given as typed and as JSON stores it (non-ASCII escaped); a phone by its
        last four digits, so "07700 900 123" written by hand is read too.
        """
        found: set[str] = set()
        for name in self.names:
            for variant in (name, name.lower(), name.upper(), name.title()):
                found.add(variant)
                found.add(json.dumps(variant)[1:-1])
        if self.username:
            found.add(self.username)
        if self.telegram_id is not None:
            found.add(str(self.telegram_id))
        if self.phone:
            digits = re.sub(r"\D", "", self.phone)
            found.add(digits[-4:] if len(digits) >= 4 else digits)
        return sorted(n for n in found if n)

    def _pattern(self) -> re.Pattern[str] | None:
        """One pass over a text, longest alternative first (so "Zephyrine Quill" wins over
        someone else's "Zephyrine"): others' names (kept), names, phones, the id."""
        found: list[tuple[int, str, str]] = []  # (length matched, kind, pattern)
        for other in self.others:
            found.append((len(other), "keep", _word(other).pattern))
        for name in self.names:
            found.append((len(name), "name", _word(name).pattern))
        if self.username:
            handle = rf"(?<![\w@])@?{re.escape(self.username)}(?!\w)"
            found.append((len(self.username) + 1, "name", handle))
        if self.phone:
            for form in _phone_forms(self.phone):
                digits = _SEPARATORS.join(re.escape(d) for d in form)
                found.append((len(form), "phone", rf"(?<!\d)\+?{digits}(?!\d)"))
        if self.telegram_id is not None:
            tid = str(self.telegram_id)
            found.append((len(tid), "id", rf"(?<!\d){tid}(?!\d)"))
        if not any(kind != "keep" for _, kind, _ in found):
            return None
        found.sort(key=lambda f: -f[0])  # stable: at equal length, others' names first
        alternatives = [f"(?P<{kind}{i}>{pattern})" for i, (_, kind, pattern) in enumerate(found)]
        return re.compile("|".join(alternatives), re.IGNORECASE)

    def scrub(self, text: str) -> str:
        """`text` with this person's name, handle, phone and Telegram id replaced."""
        pattern = self._pattern()  # the re module caches the compiled pattern
        if pattern is None or not text:
            return text

        def neutral(match: re.Match[str]) -> str:
            kind = (match.lastgroup or "").rstrip("0123456789")
            return REPLACEMENTS.get(kind, match.group(0))  # "keep": someone else's name

        return pattern.sub(neutral, text)

    def scrub_key(self, key: str | None) -> str | None:
        """A dedupe key without the Telegram id, still unique per person."""
        if key is None or self.telegram_id is None:
            return key
        return re.sub(rf"(?<!\d){self.telegram_id}(?!\d)", f"v{self.volunteer_id}", key)

    def is_phone(self, value: str) -> bool:
        """Whether `value` is this person's number in any of its usual forms."""
        digits = re.sub(r"\D", "", value)
        return bool(self.phone) and digits in {
            re.sub(r"\D", "", f) for f in _phone_forms(self.phone or "")
        }

    def scrub_json(self, value: object) -> object:
        """A JSON value walked: strings scrubbed, their id and phone fields emptied.

        A [name, Telegram id] pair (a briefing's tap-to-message link) whose id is a
        namesake's is that other person's, and stays.
        """
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, bool) or value is None or isinstance(value, float):
            return value
        if isinstance(value, int):
            return None if value == self.telegram_id else value
        if isinstance(value, list):
            link = len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], int)
            if link and value[1] in self.namesakes:
                return value  # a namesake's link: their name, not ours
            return [self.scrub_json(v) for v in value]
        if isinstance(value, dict):
            out: dict[str, object] = {}
            for key, item in value.items():
                if key in PHONE_KEYS and isinstance(item, str) and self.is_phone(item):
                    out[key] = None
                else:
                    out[key] = self.scrub_json(item)
            return out
        return value


def _names_of(display_name: str) -> tuple[str, ...]:
    """The name in full, and the first name alone: free text ("Zeph was followed") and
    briefings say the first name. Initials and names of one or two letters are not searched
    alone (too many false hits); the full name always is."""
    name = " ".join(display_name.split())
    if not name or name.casefold() in NOT_NAMES:
        return ()
    first = name.split(" ")[0]
    if first != name and len(first) >= MIN_FIRST_NAME and first.casefold() not in NOT_NAMES:
        return (name, first)
    return (name,)


def _word(text: str) -> re.Pattern[str]:
    """`text` as a whole word (or words): not inside a longer word."""
    return re.compile(rf"(?<!\w){re.escape(text)}(?!\w)", re.IGNORECASE)


def _rewrite(
    message: StoredMessage, traces: Traces, about: set[tuple[str, int]]
) -> tuple[str, str | None, str | None, bool]:
    """A message's new payload, dedupe key and error, and whether to cancel it."""
    state = DeliveryState(message.state)
    ref = (message.ref_kind, message.ref_id)
    if message.kind in LOCATION_KINDS and ref in about:
        # Where someone stood during an alarm about them: gone, and never sent now.
        return "{}", traces.scrub_key(message.dedupe_key), None, state is DeliveryState.PENDING
    try:
        payload = json.loads(message.payload)
    except ValueError:
        payload = message.payload
    scrubbed = traces.scrub_json(payload)
    return (
        json.dumps(scrubbed, sort_keys=True),
        traces.scrub_key(message.dedupe_key),
        traces.scrub(message.last_error) if message.last_error else message.last_error,
        False,
    )


async def open_alerts_block(
    uow: UnitOfWork, volunteer: Volunteer, *, by_coordinator: bool = False
) -> None:
    """Refuse while an alarm about this person (their SOS, their pair's missed check-in,
    their getting home) is not resolved: the responders still need their name and number.
    A coordinator erasing someone is told whose alert it is."""
    if await uow.erasure.open_alerts_about(volunteer.id):
        if by_coordinator:
            raise AlertStillOpen(PrivacyRefusal.ALERT_OPEN_ABOUT, name=volunteer.display_name)
        raise AlertStillOpen(PrivacyRefusal.OWN_ALERT_OPEN)


async def erase_volunteer(
    uow: UnitOfWork, volunteer: Volunteer, *, now: dtm.datetime
) -> ErasureCounts:
    """Remove every trace of `volunteer` inside the caller's open unit of work (caller commits).

    Their name, @username, phone and Telegram id are replaced by a neutral "a former
    volunteer" in every message and text that names them; messages to their chat and their
    stored positions are deleted; the volunteer row is emptied and marked removed. Idempotent.
    Upcoming shifts are not touched here: give them up first (withdraw_everything).

    Raises:
        AlertStillOpen: an alarm about them is not resolved yet; nothing is changed.
    """
    await open_alerts_block(uow, volunteer)
    everyone = await uow.volunteers.active() + await uow.erasure.removed_volunteers()
    traces = Traces.of(volunteer, everyone)
    counts = ErasureCounts()
    if volunteer.telegram_id is not None:
        counts = dataclasses.replace(
            counts, outbox_deleted=await uow.erasure.delete_messages_to(volunteer.telegram_id)
        )
    about = {
        (kind, ref) for ref in await uow.erasure.alerts_about(volunteer.id) for kind in ALARM_REFS
    }
    rewritten = 0
    if not traces.empty or about:
        needles = traces.needles() if not traces.empty else []
        for message in await uow.erasure.messages_matching(needles, sorted(about)):
            payload, key, error, cancel = _rewrite(message, traces, about)
            if (payload, key, error, cancel) == (
                _normal(message.payload),
                message.dedupe_key,
                message.last_error,
                False,
            ):
                continue
            await uow.erasure.rewrite_message(
                message.id, payload=payload, dedupe_key=key, last_error=error, cancel=cancel
            )
            rewritten += 1
    texts: dict[FreeText, int] = {}
    for column in FreeText:
        texts[column] = 0
        if traces.empty:
            continue
        for stored in await uow.erasure.texts_matching(column, traces.needles()):
            clean = traces.scrub(stored.text)
            if clean != stored.text:
                await uow.erasure.rewrite_text(column, stored.id, clean)
                texts[column] += 1
    return dataclasses.replace(
        counts,
        outbox_rewritten=rewritten,
        locations_deleted=await uow.erasure.delete_locations(volunteer.id),
        safety_log=texts[FreeText.SAFETY_LOG],
        safety_notes=texts[FreeText.SAFETY_NOTES],
        debriefs=texts[FreeText.INCIDENTS],
        sessions=texts[FreeText.SESSION_NOTES],
        volunteers=await uow.erasure.anonymise_volunteer(
            volunteer.id, name=FORMER_VOLUNTEER, now=now
        ),
    )


def _normal(payload: str) -> str:
    """A stored payload as the rewrite would write it unchanged (sorted keys)."""
    try:
        return json.dumps(json.loads(payload), sort_keys=True)
    except ValueError:
        return json.dumps(payload, sort_keys=True)
