"""Payloads to the outbox's JSON column and back: the one place that knows the stored shape.

The reader is tolerant, so rows already in the outbox when this version starts still send:
unknown keys are ignored, a missing key takes the field's default, and numbers and
instants written as text are read back. A row that still cannot be read raises
KeyError, ValueError or TypeError, as an unrenderable row always did.
"""

from __future__ import annotations

import dataclasses
import datetime as dtm
import types
import typing
from collections.abc import Mapping
from enum import Enum
from functools import cache
from typing import Any

from rota.briefings import notices as briefings
from rota.kernel.notices import Payload, all_payload_types
from rota.reports import notices as reports
from rota.roster import notices as roster
from rota.safety import notices as safety
from rota.staffing import notices as staffing

FEATURES = (roster, safety, briefings, staffing, reports)  # imported for their payload types


class UnknownKind(ValueError):
    """An outbox row of a kind this version has no payload type for."""


def payload_types() -> list[type[Payload]]:
    """Every payload type, of every feature."""
    return all_payload_types()


@cache
def _by_kind() -> dict[str, tuple[type[Payload], ...]]:
    found: dict[str, tuple[type[Payload], ...]] = {}
    for cls in all_payload_types():
        found[cls.KIND] = (*found.get(cls.KIND, ()), cls)
    return found


def kinds() -> set[str]:
    """Every notice kind."""
    return set(_by_kind())


def encode(payload: Payload) -> dict[str, object]:
    """A payload as the JSON object stored in the outbox."""
    return _encode_fields(payload) | dict(payload.STORED_WITH)


def decode(kind: str, data: Mapping[str, object]) -> Payload:
    """The typed payload of a stored row (tolerant of older shapes; see the module doc)."""
    options = _by_kind().get(kind)
    if not options:
        raise UnknownKind(f"no payload type for notice kind {kind!r}")
    cls = options[0]
    if len(options) > 1:  # types sharing a kind: the one whose stored marks the row carries
        marked = [c for c in options if all(data.get(k) == v for k, v in c.STORED_WITH.items())]
        cls = marked[0] if marked else next((c for c in options if c.UNMARKED), options[0])
    value = _decode_dataclass(cls, data)
    assert isinstance(value, Payload)
    return value


def _is_flat(field: dataclasses.Field[Any]) -> bool:
    return bool(field.metadata.get("flat"))


def _encode_fields(obj: object) -> dict[str, object]:
    out: dict[str, object] = {}
    for field in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, field.name)
        if _is_flat(field):
            out |= _encode_fields(value)
        else:
            out[field.name] = _encode(value)
    return out


def _encode(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dtm.datetime | dtm.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _encode_fields(value)
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode_dataclass(cls: type, data: Mapping[str, object]) -> object:
    if not isinstance(data, Mapping):
        raise TypeError(f"{cls.__name__}: expected an object")
    hints = _hints(cls)
    values: dict[str, object] = {}
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        if _is_flat(field):
            values[field.name] = _decode_dataclass(hints[field.name], data)
        elif field.name in data:
            values[field.name] = _decode(hints[field.name], data[field.name])
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise KeyError(field.name)
    return cls(**values)


def _decode(hint: Any, value: object) -> object:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors: list[Exception] = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _decode(option, value)
            except (KeyError, ValueError, TypeError) as err:
                errors.append(err)
        raise errors[0] if errors else TypeError("no option")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in value)
        if len(args) != len(value):
            raise ValueError(f"expected {len(args)} items, got {len(value)}")
        return tuple(_decode(a, v) for a, v in zip(args, value, strict=True))
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if not isinstance(value, Mapping):
            raise TypeError(f"expected an object, got {type(value).__name__}")
        return _decode_dataclass(hint, value)
    if hint is bool:
        return bool(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(f"expected an integer, got {type(value).__name__}")
        return int(value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TypeError(f"expected a number, got {type(value).__name__}")
        return float(value)
    if hint is str:
        if value is None or isinstance(value, list | dict):
            raise TypeError(f"expected text, got {type(value).__name__}")
        return str(value)
    if hint is dtm.datetime:
        return dtm.datetime.fromisoformat(str(value))
    if hint is dtm.date:
        return dtm.date.fromisoformat(str(value))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if hint is Any or hint is object:
        return value
    raise TypeError(f"cannot read a payload field of type {hint!r}")
