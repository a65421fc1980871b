"""Largest-remainder splits: exact to the fen, ties to the lower household id."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.split import split_by_largest_remainder


def test_design_worked_example_splits_9815_as_6543_and_3272() -> None:
    assert split_by_largest_remainder(9815, {1: 2, 2: 1}) == {1: 6543, 2: 3272}


def test_ties_go_to_the_lower_household_id() -> None:
    assert split_by_largest_remainder(1, {7: 1, 3: 1}) == {3: 1, 7: 0}
    assert split_by_largest_remainder(2, {5: 1, 2: 1, 9: 1}) == {2: 1, 5: 1, 9: 0}


def test_a_reversal_is_the_exact_mirror() -> None:
    forward = split_by_largest_remainder(9815, {1: 2, 2: 1})
    backward = split_by_largest_remainder(-9815, {1: 2, 2: 1})
    assert {k: forward[k] + backward[k] for k in forward} == {1: 0, 2: 0}


def test_zero_weight_gets_nothing_and_zero_total_is_all_zeros() -> None:
    assert split_by_largest_remainder(100, {1: 3, 2: 0}) == {1: 100, 2: 0}
    assert split_by_largest_remainder(0, {1: 0, 2: 0}) == {1: 0, 2: 0}
    with pytest.raises(ValueError, match="zero weights"):
        split_by_largest_remainder(5, {1: 0})


@given(
    total=st.integers(min_value=-(10**9), max_value=10**9),
    weights=st.dictionaries(st.integers(1, 10_000), st.integers(0, 1000), min_size=1, max_size=12).filter(
        lambda w: sum(w.values()) > 0
    ),
)
def test_parts_always_sum_to_the_whole_and_stay_within_one_of_the_exact_share(total, weights) -> None:
    parts = split_by_largest_remainder(total, weights)
    assert sum(parts.values()) == total
    weight_sum = sum(weights.values())
    for key, part in parts.items():
        exact = total * weights[key] / weight_sum
        assert abs(part - exact) < 1
