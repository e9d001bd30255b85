"""Made-up notice payloads for storage tests, where only the kind and the JSON matter."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from rota.kernel.notices import Payload


def raw(kind: str, **data: object) -> Payload:
    """A payload of any kind, stored as exactly `data` (never rendered: not the bot's)."""
    return _raw_type(kind, tuple(sorted(data)))(**data)


@cache
def _raw_type(kind: str, names: tuple[str, ...]) -> type[Payload]:
    namespace: dict[str, object] = {
        "__annotations__": dict.fromkeys(names, "object"),
        "__module__": __name__,
        "KIND": kind,
    }
    made: type[Payload] = dataclass(frozen=True, kw_only=True)(
        type(f"Raw_{kind}", (Payload,), namespace)
    )
    return made
