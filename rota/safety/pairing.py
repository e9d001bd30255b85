"""Who walks with whom: walkers on a session put into pairs, never out alone.

The charity's rules: every group is a pair, except that an odd number of walkers makes exactly
one trio; a new walker always has at least one experienced walker (anyone not new) with them;
anyone who cannot be placed under those rules stays unpaired and the coordinators are told,
rather than being sent out alone or with only other new walkers.

How :func:`make_pairs` places people (input order is sign-up order; nothing else is used, so
the same input always gives the same output):

1. New walkers are paired, in order, with experienced walkers in order (first new with first
   experienced, and so on).
2. Experienced walkers left over pair among themselves, in order.
3. What is left is either one experienced walker or some new walkers. If there is a group to
   join, the earliest sign-up among them makes it the single trio: an experienced walker joins
   the last group that has a new walker in it (so that new walker gets a second experienced
   partner), or the last group if none does; a new walker joins the last group (every group
   has an experienced walker by then).
4. Anyone still left is unpaired, with a sentence for the coordinators: the only walker of the
   night, or new walkers for whom there are not enough trained walkers.

This sends out as many people as the rules allow: each group needs an experienced walker and
at most one group has three people, so ``2 * experienced + 1`` is the most that can go out.
Groups come back ordered by their earliest sign-up, members by sign-up, so that adding a
latecomer leaves the earlier pairs as they were wherever the rules let it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rota.kernel.errors import DomainError
from rota.safety.refusals import SafetyRefusal

NEW_TAG = "new"
TRAINED_TAG = "trained"


class PairingError(DomainError, ValueError):
    """A grouping or swap the pairing rules refuse; its code is worded for a coordinator."""


@dataclass(frozen=True, slots=True)
class Walker:
    """One person walking on a session, as far as pairing needs to know them."""

    volunteer_id: int
    name: str
    is_new: bool


@dataclass(frozen=True, slots=True)
class Pairing:
    """The groups going out, plus who cannot go and why, so coordinators can step in."""

    groups: tuple[tuple[Walker, ...], ...]
    unpaired: tuple[Walker, ...]
    problems: tuple[str, ...]


def walker_from_tags(volunteer_id: int, name: str, tags: frozenset[str]) -> Walker:
    """A walker from volunteer tags: new unless they are also trained, so training wins."""
    return Walker(volunteer_id, name, is_new=NEW_TAG in tags and TRAINED_TAG not in tags)


def _names(walkers: Iterable[Walker]) -> str:
    """'Ana', 'Ana and Bea', 'Ana, Bea and Cat'."""
    names = [w.name for w in walkers]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def make_pairs(walkers: Sequence[Walker]) -> Pairing:
    """Groups for a session's walkers in sign-up order, so nobody new or alone goes out unsafe.

    See the module docstring for the exact placement; it is deterministic.

    Raises:
        PairingError: the same volunteer id appears twice.
    """
    order = {w.volunteer_id: i for i, w in enumerate(walkers)}
    if len(order) != len(walkers):
        ids = [w.volunteer_id for w in walkers]
        twice = {w.volunteer_id: w for w in walkers if ids.count(w.volunteer_id) > 1}
        raise PairingError(
            SafetyRefusal.SIGNED_UP_TWICE, names=tuple(w.name for w in twice.values())
        )

    new = [w for w in walkers if w.is_new]
    experienced = [w for w in walkers if not w.is_new]
    mentored = min(len(new), len(experienced))

    groups: list[list[Walker]] = [[new[i], experienced[i]] for i in range(mentored)]
    spare_experienced = experienced[mentored:]
    groups += [spare_experienced[i : i + 2] for i in range(0, len(spare_experienced) - 1, 2)]
    leftover = new[mentored:] + spare_experienced[len(spare_experienced) // 2 * 2 :]
    # Only one of the two lists above can be non-empty, so a leftover experienced walker is
    # alone in ``leftover``.

    if leftover and groups:
        joiner = leftover.pop(0)
        with_new = [g for g in groups if any(w.is_new for w in g)]
        target = with_new[-1] if not joiner.is_new and with_new else groups[-1]
        target.append(joiner)

    problems: list[str] = []
    if len(walkers) == 1:
        problems.append(f"{walkers[0].name} is the only walker: nobody to pair with.")
    elif leftover:
        # With two or more walkers, only new walkers can be left over.
        verb = "has" if len(leftover) == 1 else "have"
        problems.append(
            f"Not enough trained walkers: {_names(leftover)} (new) {verb} no trained partner."
        )

    def signed_up(w: Walker) -> int:
        return order[w.volunteer_id]

    ordered = sorted((sorted(g, key=signed_up) for g in groups), key=lambda g: signed_up(g[0]))
    return Pairing(
        groups=tuple(tuple(g) for g in ordered),
        unpaired=tuple(sorted(leftover, key=signed_up)),
        problems=tuple(problems),
    )


def check_groups(groups: Sequence[Sequence[Walker]]) -> list[str]:
    """Everything that makes a grouping unsafe to send out, as sentences; [] when it is fine."""
    problems: list[str] = []
    counts: dict[int, int] = {}
    for group in groups:
        for w in group:
            counts[w.volunteer_id] = counts.get(w.volunteer_id, 0) + 1
    reported: set[int] = set()
    for group in groups:
        for w in group:
            if counts[w.volunteer_id] > 1 and w.volunteer_id not in reported:
                reported.add(w.volunteer_id)
                problems.append(f"{w.name} is in the groups more than once.")

    trios = [group for group in groups if len(group) == 3]
    for group in groups:
        if not group:
            problems.append("One group has nobody in it.")
        elif len(group) == 1:
            problems.append(f"{group[0].name} would be walking alone.")
        elif len(group) > 3:
            problems.append(
                f"{_names(group)} are a group of {len(group)}: groups must be pairs, "
                "with at most one trio."
            )
        if len(group) >= 2 and all(w.is_new for w in group):
            problems.append(f"{_names(group)} (new) have no trained walker with them.")
    if len(trios) > 1:
        listed = "; ".join(_names(trio) for trio in trios)
        problems.append(f"There are {len(trios)} trios ({listed}): only one is allowed.")
    return problems


def _find(groups: Sequence[Sequence[Walker]], volunteer_id: int) -> tuple[int, int] | None:
    for g, group in enumerate(groups):
        for m, w in enumerate(group):
            if w.volunteer_id == volunteer_id:
                return g, m
    return None


def swap(groups: Sequence[Sequence[Walker]], a: int, b: int) -> tuple[tuple[Walker, ...], ...]:
    """Swap volunteers ``a`` and ``b`` between their groups, refusing swaps that break the rules.

    Each takes the other's place, so every other member and the order of groups stay put.

    Raises:
        PairingError: either id is in no group, both are in the same group, or the swapped
            groups fail :func:`check_groups` (for example a new walker left with only new
            walkers), with the reason in the message.
    """
    where_a, where_b = _find(groups, a), _find(groups, b)
    if where_a is None or where_b is None:
        missing = list(dict.fromkeys(v for v, w in ((a, where_a), (b, where_b)) if w is None))
        if len(missing) == 1:
            raise PairingError(SafetyRefusal.NOT_IN_GROUP, volunteer=missing[0])
        raise PairingError(SafetyRefusal.NEITHER_IN_GROUP, first=missing[0], second=missing[1])
    (ga, ma), (gb, mb) = where_a, where_b
    walker_a, walker_b = groups[ga][ma], groups[gb][mb]
    if a == b:
        raise PairingError(SafetyRefusal.SAME_WALKER, name=walker_a.name)
    if ga == gb:
        raise PairingError(SafetyRefusal.SAME_GROUP, first=walker_a.name, second=walker_b.name)

    swapped = [list(group) for group in groups]
    swapped[ga][ma], swapped[gb][mb] = walker_b, walker_a
    problems = check_groups(swapped)
    if problems:
        raise PairingError(
            SafetyRefusal.CANNOT_SWAP,
            first=walker_a.name,
            second=walker_b.name,
            problems=tuple(problems),
        )
    return tuple(tuple(group) for group in swapped)
