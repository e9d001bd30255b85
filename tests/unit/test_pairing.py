"""Walking pairs: nobody alone, nobody new without a trained walker, one trio at most."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest

from rota.safety.pairing import (
    PairingError,
    Walker,
    check_groups,
    make_pairs,
    swap,
    walker_from_tags,
)
from tests.refusing import refusing, worded

Names = tuple[tuple[str, ...], ...]


def signups(pattern: str) -> list[Walker]:
    """Walkers in sign-up order from e.g. "TNT": T1, N1, T2 (T trained, N new).

    Trained walkers get ids 1, 2, ...; new walkers 101, 102, ...
    """
    walkers = []
    counts = {"T": 0, "N": 0}
    for kind in pattern.replace(" ", ""):
        counts[kind] += 1
        number = counts[kind]
        base = 100 if kind == "N" else 0
        walkers.append(Walker(base + number, f"{kind}{number}", is_new=kind == "N"))
    return walkers


def names(groups: Sequence[Sequence[Walker]]) -> Names:
    return tuple(tuple(w.name for w in group) for group in groups)


def walker(name: str) -> Walker:
    """T3 -> trained volunteer 3; N2 -> new volunteer 102."""
    kind, number = name[0], int(name[1:])
    return Walker(number + (100 if kind == "N" else 0), name, is_new=kind == "N")


def grouping(*groups: str) -> list[list[Walker]]:
    """grouping("T1 N1", "T2 N2") -> the groups as walkers."""
    return [[walker(n) for n in group.split()] for group in groups]


# --- make_pairs: exact outcomes -----------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "groups", "unpaired", "problems"),
    [
        pytest.param("", (), (), (), id="nobody"),
        pytest.param(
            "T", (), ("T1",), ("T1 is the only walker: nobody to pair with.",), id="one-trained"
        ),
        pytest.param("TT", (("T1", "T2"),), (), (), id="two-trained"),
        pytest.param("TTT", (("T1", "T2", "T3"),), (), (), id="three-trained"),
        pytest.param("TTTT", (("T1", "T2"), ("T3", "T4")), (), (), id="four-trained"),
        pytest.param(
            "TTTTT", (("T1", "T2"), ("T3", "T4", "T5")), (), (), id="five-trained-one-trio"
        ),
    ],
)
def test_experienced_walkers_only(
    pattern: str, groups: Names, unpaired: tuple[str, ...], problems: tuple[str, ...]
) -> None:
    pairing = make_pairs(signups(pattern))
    assert names(pairing.groups) == groups
    assert tuple(w.name for w in pairing.unpaired) == unpaired
    assert pairing.problems == problems


@pytest.mark.parametrize(
    ("pattern", "groups", "unpaired", "problems"),
    [
        pytest.param("TN", (("T1", "N1"),), (), (), id="1-trained-1-new"),
        pytest.param("NT", (("N1", "T1"),), (), (), id="new-signed-up-first"),
        pytest.param(
            "TTNNN",
            (("T1", "N1"), ("T2", "N2", "N3")),
            (),
            (),
            id="2-trained-3-new-trio-of-trained-new-new",
        ),
        pytest.param(
            "TNNN",
            (("T1", "N1", "N2"),),
            ("N3",),
            ("Not enough trained walkers: N3 (new) has no trained partner.",),
            id="1-trained-3-new-one-left-over",
        ),
        pytest.param(
            "TNNNN",
            (("T1", "N1", "N2"),),
            ("N3", "N4"),
            ("Not enough trained walkers: N3 and N4 (new) have no trained partner.",),
            id="1-trained-4-new-two-left-over",
        ),
        pytest.param(
            "NNN",
            (),
            ("N1", "N2", "N3"),
            ("Not enough trained walkers: N1, N2 and N3 (new) have no trained partner.",),
            id="3-new-no-trained",
        ),
        pytest.param(
            "N", (), ("N1",), ("N1 is the only walker: nobody to pair with.",), id="one-new"
        ),
        pytest.param(
            # The spare trained walker joins the new walker's pair, not the trained pair.
            "TTTTN",
            (("T1", "T4", "N1"), ("T2", "T3")),
            (),
            (),
            id="4-trained-1-new",
        ),
        pytest.param(
            # Of several pairs with a new walker, the last one formed takes the spare.
            "NNTTT",
            (("N1", "T1"), ("N2", "T2", "T3")),
            (),
            (),
            id="2-new-3-trained-spare-joins-last-new-pair",
        ),
        pytest.param(
            "NTNT", (("N1", "T1"), ("N2", "T2")), (), (), id="interleaved-new-with-trained"
        ),
        pytest.param(
            "NNTT", (("N1", "T1"), ("N2", "T2")), (), (), id="new-matched-to-trained-in-order"
        ),
    ],
)
def test_mixed_new_and_trained(
    pattern: str, groups: Names, unpaired: tuple[str, ...], problems: tuple[str, ...]
) -> None:
    pairing = make_pairs(signups(pattern))
    assert names(pairing.groups) == groups
    assert tuple(w.name for w in pairing.unpaired) == unpaired
    assert pairing.problems == problems


def test_trio_from_spare_new_walker_has_trained_walker_in_it() -> None:
    (pair, trio) = make_pairs(signups("TTNNN")).groups
    assert sorted(w.is_new for w in trio) == [False, True, True]
    assert [w.is_new for w in pair] == [False, True]


def test_same_volunteer_twice_is_refused() -> None:
    ana = Walker(1, "Ana", is_new=False)
    with refusing(PairingError, match="Ana signed up more than once"):
        make_pairs([ana, Walker(2, "Bea", is_new=False), ana])


def test_pairing_error_is_a_value_error() -> None:
    assert issubclass(PairingError, ValueError)


# --- make_pairs: determinism and order ----------------------------------------------------


@pytest.mark.parametrize("pattern", ["TTNNN", "NTNTT", "TTTTTTT", "NNNT", "TNTNTNN"])
def test_same_input_same_output(pattern: str) -> None:
    assert make_pairs(signups(pattern)) == make_pairs(signups(pattern))


def test_sign_up_order_decides_the_pairs() -> None:
    t1, t2, t3, t4 = signups("TTTT")
    assert names(make_pairs([t1, t2, t3, t4]).groups) == (("T1", "T2"), ("T3", "T4"))
    assert names(make_pairs([t4, t3, t2, t1]).groups) == (("T4", "T3"), ("T2", "T1"))
    assert names(make_pairs([t1, t3, t2, t4]).groups) == (("T1", "T3"), ("T2", "T4"))


def test_latecomer_leaves_earlier_pairs_alone() -> None:
    before = make_pairs(signups("TTTT")).groups
    after = make_pairs(signups("TTTTT")).groups
    assert after[0] == before[0]
    assert after[1][:2] == before[1]


def signup_patterns(length: int) -> list[str]:
    return ["".join(kinds) for kinds in itertools.product("TN", repeat=length)]


@pytest.mark.parametrize("length", range(9))
def test_everyone_placed_exactly_once_and_safely(length: int) -> None:
    # Every order of every mix of new and trained walkers up to this many people.
    for pattern in signup_patterns(length):
        walkers = signups(pattern)
        pairing = make_pairs(walkers)
        placed = [w for group in pairing.groups for w in group] + list(pairing.unpaired)
        assert sorted(w.volunteer_id for w in placed) == sorted(w.volunteer_id for w in walkers), (
            pattern
        )
        assert check_groups(pairing.groups) == [], pattern
        assert all(len(group) in (2, 3) for group in pairing.groups), pattern
        assert sum(len(group) == 3 for group in pairing.groups) <= 1, pattern
        assert bool(pairing.unpaired) == bool(pairing.problems), pattern
        for w in pairing.unpaired:
            assert w.name in " ".join(pairing.problems), pattern
        # As many go out as the rules allow: one trained walker per group, one trio at most.
        trained = pattern.count("T")
        most = 0 if length < 2 or trained == 0 else min(length, 2 * trained + 1)
        assert len(placed) - len(pairing.unpaired) == most, pattern
        # Trained walkers are only ever left out when there is nobody else at all.
        if length > 1:
            assert all(w.is_new for w in pairing.unpaired), pattern
        assert make_pairs(walkers) == pairing, pattern


@pytest.mark.parametrize("length", range(2, 9))
def test_groups_and_members_follow_sign_up_order(length: int) -> None:
    for pattern in signup_patterns(length):
        walkers = signups(pattern)
        position = {w.volunteer_id: i for i, w in enumerate(walkers)}
        pairing = make_pairs(walkers)
        firsts = [position[group[0].volunteer_id] for group in pairing.groups]
        assert firsts == sorted(firsts), pattern
        for group in pairing.groups:
            members = [position[w.volunteer_id] for w in group]
            assert members == sorted(members), pattern
        unpaired = [position[w.volunteer_id] for w in pairing.unpaired]
        assert unpaired == sorted(unpaired), pattern


# --- walker_from_tags ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "is_new"),
    [
        (frozenset(), False),
        (frozenset({"new"}), True),
        (frozenset({"trained"}), False),
        (frozenset({"new", "trained"}), False),
        (frozenset({"new", "lead"}), True),
        (frozenset({"lead", "coordinator"}), False),
    ],
)
def test_walker_from_tags(tags: frozenset[str], is_new: bool) -> None:
    assert walker_from_tags(7, "Ana", tags) == Walker(7, "Ana", is_new=is_new)


# --- check_groups -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "groups",
    [
        pytest.param([], id="no-groups"),
        pytest.param(["T1 N1"], id="trained-and-new"),
        pytest.param(["T1 T2", "N1 T3"], id="pairs"),
        pytest.param(["T1 N1 N2", "T2 N3"], id="one-trio"),
        pytest.param(["N1 T1 T2"], id="trio-of-new-and-two-trained"),
    ],
)
def test_check_groups_accepts_safe_groups(groups: list[str]) -> None:
    assert check_groups(grouping(*groups)) == []


@pytest.mark.parametrize(
    ("groups", "problem"),
    [
        pytest.param(["T1 T2", "T3"], "T3 would be walking alone.", id="group-of-one"),
        pytest.param(["T1 T2", ""], "One group has nobody in it.", id="empty-group"),
        pytest.param(
            ["T1 T2 N1 N2"],
            "T1, T2, N1 and N2 are a group of 4: groups must be pairs, with at most one trio.",
            id="group-of-four",
        ),
        pytest.param(
            ["T1 T2 T3 T4 T5"],
            "T1, T2, T3, T4 and T5 are a group of 5: groups must be pairs, with at most one trio.",
            id="group-of-five",
        ),
        pytest.param(
            ["T1 T2 T3", "T4 T5 T6"],
            "There are 2 trios (T1, T2 and T3; T4, T5 and T6): only one is allowed.",
            id="two-trios",
        ),
        pytest.param(
            ["T1 T2", "N1 N2"],
            "N1 and N2 (new) have no trained walker with them.",
            id="new-pair",
        ),
        pytest.param(
            ["T1 T2", "N1 N2 N3"],
            "N1, N2 and N3 (new) have no trained walker with them.",
            id="new-trio",
        ),
        pytest.param(["T1 T2", "T1 N1"], "T1 is in the groups more than once.", id="duplicate"),
    ],
)
def test_check_groups_flags_each_bad_shape(groups: list[str], problem: str) -> None:
    assert check_groups(grouping(*groups)) == [problem]


def test_check_groups_reports_every_problem() -> None:
    problems = check_groups(grouping("N1", "N2 N3", "T1 T2 T3", "T4 T5 T6"))
    assert problems == [
        "N1 would be walking alone.",
        "N2 and N3 (new) have no trained walker with them.",
        "There are 2 trios (T1, T2 and T3; T4, T5 and T6): only one is allowed.",
    ]


# --- swap ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("groups", "a", "b", "expected"),
    [
        pytest.param(
            ["T1 N1", "T2 N2"], 101, 102, (("T1", "N2"), ("T2", "N1")), id="swap-new-walkers"
        ),
        pytest.param(
            ["T1 N1", "T2 N2"], 1, 2, (("T2", "N1"), ("T1", "N2")), id="swap-trained-walkers"
        ),
        pytest.param(
            ["T1 T2", "T3 N1"], 2, 101, (("T1", "N1"), ("T3", "T2")), id="trained-for-new"
        ),
        pytest.param(
            ["T1 N1 N2", "T2 T3"],
            102,
            3,
            (("T1", "N1", "T3"), ("T2", "N2")),
            id="into-and-out-of-the-trio",
        ),
    ],
)
def test_swap_exchanges_places(
    groups: list[str], a: int, b: int, expected: tuple[tuple[str, ...], ...]
) -> None:
    before = grouping(*groups)
    assert names(swap(before, a, b)) == expected
    assert before == grouping(*groups)  # the caller's groups are left as they were


def test_swap_result_is_immutable_and_checks_clean() -> None:
    result = swap(make_pairs(signups("TNTN")).groups, 101, 102)
    assert isinstance(result, tuple)
    assert all(isinstance(group, tuple) for group in result)
    assert check_groups(result) == []


@pytest.mark.parametrize(
    ("groups", "a", "b", "message"),
    [
        pytest.param(
            ["T1 N1", "T2 N2"], 1, 99, "Volunteer 99 is not in any group.", id="b-unknown"
        ),
        pytest.param(
            ["T1 N1", "T2 N2"], 98, 2, "Volunteer 98 is not in any group.", id="a-unknown"
        ),
        pytest.param(
            ["T1 N1", "T2 N2"],
            98,
            99,
            "Volunteers 98 and 99 are not in any group.",
            id="both-unknown",
        ),
        pytest.param(
            ["T1 N1", "T2 N2"],
            1,
            101,
            "T1 and N1 are already in the same group.",
            id="same-group",
        ),
        pytest.param(
            ["T1 N1", "T2 N2"],
            1,
            1,
            "Pick two different walkers to swap, not T1 twice.",
            id="same-person",
        ),
        pytest.param(
            ["T1 N1", "T2 N2"],
            1,
            102,
            "Cannot swap T1 and N2: N2 and N1 (new) have no trained walker with them.",
            id="leaves-new-with-new",
        ),
        pytest.param(
            ["T1 N1 N2", "T2 N3"],
            1,
            103,
            "Cannot swap T1 and N3: N3, N1 and N2 (new) have no trained walker with them.",
            id="leaves-trio-without-trained",
        ),
    ],
)
def test_swap_refusals(groups: list[str], a: int, b: int, message: str) -> None:
    with pytest.raises(PairingError) as refused:
        swap(grouping(*groups), a, b)
    assert worded(refused.value) == message
