"""Splitting a whole number (fen, or units) over shares so the parts add up exactly to the whole.

Largest-remainder method: everyone gets the floor of their exact share; the units left over go one each
to the largest remainders; ties go to the lower key (the lower household id).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import TypeVar

K = TypeVar("K", int, str)


def split_by_largest_remainder(total: int, weights: Mapping[K, int]) -> dict[K, int]:
    """``total`` split in proportion to ``weights``; the parts sum to ``total`` exactly.

    Weights are non-negative integers (units contributed); a negative ``total`` (a reversal) is split
    as the mirror image of the positive one, so a reversal undoes the original to the fen.
    """
    if any(w < 0 for w in weights.values()):
        raise ValueError("weights cannot be negative")
    weight_sum = sum(weights.values())
    if weight_sum == 0:
        if total == 0:
            return dict.fromkeys(weights, 0)
        raise ValueError("cannot split a non-zero amount over zero weights")
    if total < 0:
        return {key: -part for key, part in split_by_largest_remainder(-total, weights).items()}
    exact = {key: Fraction(total * w, weight_sum) for key, w in weights.items()}
    parts = {key: int(share) for key, share in exact.items()}  # floor: shares are non-negative
    leftover = total - sum(parts.values())
    by_remainder = sorted(weights, key=lambda key: (-(exact[key] - parts[key]), key))
    for key in by_remainder[:leftover]:
        parts[key] += 1
    return parts
