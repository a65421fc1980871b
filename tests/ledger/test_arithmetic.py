"""Crediting arithmetic to the fen: DESIGN.md's worked example, half-up fee rounding, exact reversals."""

from __future__ import annotations

import pytest

from shop.ledger.posting import split_sale
from shop.money import fee_fen, format_fen, parse_yuan


def test_design_worked_example_to_the_fen() -> None:
    # 3 bags of millet at ¥39.90; platform 500 bp, operator 300 bp, collective 1000 bp; A brought 2, B 1.
    split = split_sale(3 * 3990, 3, 500, 300, 1000, {1: 2, 2: 1}, "douyin")
    assert split.gross_fen == 11970
    assert (split.platform_fen, split.operator_fen, split.collective_fen) == (599, 359, 1197)
    assert [(s.household_id, s.amount_fen, s.units) for s in split.shares] == [(1, 6543, 2), (2, 3272, 1)]
    assert split.platform_fen + split.operator_fen + split.collective_fen + 6543 + 3272 == 11970


@pytest.mark.parametrize(
    ("gross", "bp", "fee"),
    [(11970, 500, 599), (11970, 300, 359), (11970, 1000, 1197), (1, 5000, 1), (3, 5000, 2), (0, 500, 0), (100, 0, 0)],
)
def test_fees_round_half_up(gross: int, bp: int, fee: int) -> None:
    assert fee_fen(gross, bp) == fee


def test_a_tiny_sale_never_leaves_households_below_zero() -> None:
    split = split_sale(1, 1, 5000, 5000, 0, {1: 1}, "douyin")
    assert split.platform_fen + split.operator_fen + split.shares[0].amount_fen == 1
    assert split.shares[0].amount_fen >= 0


def test_a_partial_refund_leaves_what_a_sale_of_the_kept_units_would_have_given() -> None:
    # One of the worked example's three bags refunded: each account keeps a two-bag sale's share.
    sold = split_sale(3 * 3990, 3, 500, 300, 1000, {1: 2, 2: 1}, "douyin")
    kept = split_sale(2 * 3990, 2, 500, 300, 1000, {1: 2, 2: 1}, "douyin")
    assert (kept.platform_fen, kept.operator_fen, kept.collective_fen) == (399, 239, 798)
    assert [(s.amount_fen, s.units) for s in kept.shares] == [(4363, 1), (2181, 1)]
    taken = [a.amount_fen - b.amount_fen for a, b in zip(sold.shares, kept.shares, strict=True)]
    assert taken == [2180, 1091]
    assert sum(taken) + (599 - 399) + (359 - 239) + (1197 - 798) == 3990
    nothing = split_sale(0, 0, 500, 300, 1000, {1: 2, 2: 1}, "douyin")
    assert [s.amount_fen for s in nothing.shares] == [0, 0]


def test_money_text_round_trips() -> None:
    assert format_fen(123456) == "¥1,234.56"
    assert format_fen(-105) == "-¥1.05"
    assert parse_yuan("¥1,234.50") == 123450
    assert parse_yuan("39.9") == 3990
    with pytest.raises(ValueError, match="more than two decimals"):
        parse_yuan("1.234")
