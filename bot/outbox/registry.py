"""The notice registry: payload type -> renderer, filled by each feature's `@renders`.

A leaf module, so each feature's notice module can register here and `bot.outbox.notices` can
import them all. mypy checks that a renderer takes the payload type it is registered for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.outbox.outgoing import Outgoing
from rota.kernel.notices import Payload

P = TypeVar("P", bound=Payload)


@dataclass(frozen=True, slots=True)
class Shown:
    """How a notice is shown: the local zone, and whether it may be a repeat of an earlier send."""

    zone: str
    repeat: bool = False


Renderer = Callable[[P, Shown], Outgoing]


@dataclass(frozen=True, slots=True)
class Entry:
    """One payload type's renderer, and what the notice is called in plain words (for /me)."""

    render: Callable[[Any, Shown], Outgoing]
    called: str


_RENDERERS: dict[type[Payload], Entry] = {}


def renders(
    kind: type[P], called: str, *more: tuple[type[P], str]
) -> Callable[[Renderer[P]], Renderer[P]]:
    """Register the decorated function as the one renderer of `kind` (and of `more` kinds,
    each with its plain words); mypy checks it takes every one of them."""

    def register(render: Renderer[P]) -> Renderer[P]:
        for cls, words in ((kind, called), *more):
            if cls in _RENDERERS:
                raise TypeError(f"{cls.__name__} already has a renderer")
            _RENDERERS[cls] = Entry(render, words)
        return render

    return register


def entries() -> dict[type[Payload], Entry]:
    """Every registered renderer, by payload type."""
    return dict(_RENDERERS)


def render(payload: Payload, shown: Shown) -> Outgoing:
    """Render a payload with its type's renderer; ValueError if it has none."""
    entry = _RENDERERS.get(type(payload))
    if entry is None:
        raise ValueError(f"no renderer for {type(payload).__name__}")
    return entry.render(payload, shown)


def called(kind: str) -> str | None:
    """A notice kind in plain words, or None if no renderer is registered for it."""
    for cls, entry in _RENDERERS.items():
        if kind == cls.KIND:
            return entry.called
    return None
