"""The concealed allocation list: properties of stratified permuted blocks of random size."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autoserum.errors import StateError, ValidationError
from autoserum.study.randomisation import (
    Allocation,
    allocation_digest,
    allocation_list,
    next_allocation,
    strata_for,
    stratum_key,
)

ratios = st.lists(st.integers(1, 3), min_size=2, max_size=3)
seeds = st.integers(0, 2**32 - 1)
strata_lists = st.lists(st.sampled_from(["S01", "S02", "S03", "S04"]), min_size=1, unique=True)


def _arms(rs: list[int]) -> list[tuple[str, int]]:
    return [(f"arm{i}", r) for i, r in enumerate(rs)]


def _blocks(alloc: list[Allocation]) -> dict[tuple[str, int], list[Allocation]]:
    blocks: dict[tuple[str, int], list[Allocation]] = defaultdict(list)
    for a in alloc:
        blocks[(a.stratum, a.block)].append(a)
    return blocks


@given(rs=ratios, seed=seeds, n=st.integers(1, 40), sites=strata_lists, mult=st.integers(1, 3))
def test_every_block_is_complete_and_balanced(
    rs: list[int], seed: int, n: int, sites: list[str], mult: int
) -> None:
    total = sum(rs)
    sizes = (total, mult * total)
    strata = [stratum_key(s) for s in sites]
    alloc = allocation_list(_arms(rs), n=n, seed=seed, block_sizes=sizes, strata=strata)
    for (_, _), block in _blocks(alloc).items():
        size = len(block)
        assert size in sizes
        assert {a.block_size for a in block} == {size}
        counts = Counter(a.arm for a in block)
        # Within a block each arm appears ratio x size / sum(ratios) times.
        assert counts == {f"arm{i}": r * size // total for i, r in enumerate(rs)}
    for stratum in strata:
        entries = [a for a in alloc if a.stratum == stratum]
        assert [a.sequence for a in entries] == list(range(1, len(entries) + 1))
        assert n <= len(entries) < n + max(sizes)


@given(seed=seeds, n=st.integers(1, 60))
def test_running_imbalance_is_bounded_by_half_the_largest_block(seed: int, n: int) -> None:
    alloc = allocation_list([("serum", 1), ("placebo", 1)], n=n, seed=seed)
    diff = 0
    for a in alloc:
        diff += 1 if a.arm == "serum" else -1
        assert abs(diff) <= 2  # default block sizes (2, 4) for 1:1
    assert diff == 0  # whole blocks: the stratum ends balanced


@given(rs=ratios, seed=seeds, n=st.integers(1, 30), sites=strata_lists)
def test_reproducible_from_the_seed(rs: list[int], seed: int, n: int, sites: list[str]) -> None:
    first = allocation_list(_arms(rs), n=n, seed=seed, strata=sites)
    again = allocation_list(_arms(rs), n=n, seed=seed, strata=sites)
    assert first == again
    assert allocation_digest(first) == allocation_digest(again)


@given(seed=seeds, other=seeds)
def test_different_seeds_give_different_lists(seed: int, other: int) -> None:
    if seed == other:
        other = seed + 1
    arms = [("serum", 1), ("placebo", 1)]
    # 100 subjects: two seeds agree on every arm with probability below 2^-25.
    one = [a.arm for a in allocation_list(arms, n=100, seed=seed)]
    two = [a.arm for a in allocation_list(arms, n=100, seed=other)]
    assert one != two


@given(seed=seeds, n=st.integers(1, 60))
def test_two_to_one_ratio_is_honoured(seed: int, n: int) -> None:
    alloc = allocation_list([("igg", 2), ("placebo", 1)], n=n, seed=seed)
    counts = Counter(a.arm for a in alloc)
    assert counts["igg"] == 2 * counts["placebo"]  # exactly 2:1 over whole blocks
    assert {a.block_size for a in alloc} <= {3, 6}  # default: 1 and 2 x the ratio sum


@given(seed=seeds, sites=strata_lists)
def test_a_stratum_does_not_depend_on_the_others(seed: int, sites: list[str]) -> None:
    arms = [("serum", 1), ("placebo", 1)]
    alone = allocation_list(arms, n=12, seed=seed, strata=[sites[0]])
    together = allocation_list(arms, n=12, seed=seed, strata=sites)
    assert [a for a in together if a.stratum == sites[0]] == alone


@given(seed=seeds, n=st.integers(1, 20))
def test_next_allocation_walks_the_stratum_in_order(seed: int, n: int) -> None:
    strata = strata_for(["S01", "S02"], {"severity": ["moderate", "severe"]})
    alloc = allocation_list([("serum", 1), ("placebo", 1)], n=n, seed=seed, strata=strata)
    stratum = strata[3]
    entries = [a for a in alloc if a.stratum == stratum]
    walked = [next_allocation(alloc, stratum, assigned=k) for k in range(len(entries))]
    assert walked == entries
    with pytest.raises(StateError, match="used up"):
        next_allocation(alloc, stratum, assigned=len(entries))


def test_strata_cross_sites_and_factors() -> None:
    assert strata_for(["A", "B"], {"severity": ["mod", "sev"], "age": ["adult"]}) == (
        "site=A;age=adult;severity=mod",
        "site=A;age=adult;severity=sev",
        "site=B;age=adult;severity=mod",
        "site=B;age=adult;severity=sev",
    )


def test_arm_is_concealed_in_repr() -> None:
    a = allocation_list([("serum", 1), ("placebo", 1)], n=2, seed=1)[0]
    assert "serum" not in repr(a)
    assert "placebo" not in repr(a)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"arms": [("serum", 1)]}, "arms"),
        ({"arms": [("serum", 1), ("serum", 1)]}, "arms[1].code"),
        ({"arms": [("serum", 0), ("placebo", 1)]}, "arms[0].ratio"),
        ({"n": 0}, "n"),
        ({"seed": -1}, "seed"),
        ({"block_sizes": (2, 3)}, "block_sizes[1]"),
        ({"strata": ["a", "a"]}, "strata"),
    ],
)
def test_bad_arguments_name_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"arms": [("serum", 1), ("placebo", 1)], "n": 4, "seed": 7}
    args.update(kwargs)
    with pytest.raises(ValidationError) as info:
        allocation_list(**args)  # type: ignore[arg-type]
    assert info.value.field == field


def test_unknown_stratum_and_bad_stratum_names() -> None:
    alloc = allocation_list([("serum", 1), ("placebo", 1)], n=2, seed=3, strata=["site=A"])
    with pytest.raises(ValidationError, match="site=A"):
        next_allocation(alloc, "site=B", assigned=0)
    with pytest.raises(ValidationError, match="without '=' or ';'"):
        stratum_key("A;B")
