"""Crediting arithmetic to the fen: DESIGN.md's worked example, half-up fee rounding, exact reversals."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from shop.ledger.posting import _reversal_target, split_sale
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


def _credit(entries: list[tuple[str, str, int, int]]) -> SimpleNamespace:
    return SimpleNamespace(
        entries=[
            SimpleNamespace(account_kind=k, account_ref=r, household_id=h or None, amount_fen=a)
            for k, r, h, a in entries
        ]
    )


def test_refunding_every_unit_in_steps_reverses_the_original_exactly() -> None:
    credit = _credit(
        [
            ("sales_clearing", "", 0, -11970),
            ("platform", "douyin", 0, 599),
            ("operator", "", 0, 359),
            ("collective", "", 0, 1197),
            ("household", "", 1, 6543),
            ("household", "", 2, 3272),
        ]
    )
    one = _reversal_target(credit, 3990, 1)
    assert sum(one.values()) == 3990
    three = _reversal_target(credit, 3990, 3)
    assert three == {
        "platform:douyin:000000000000": 599,
        "operator::000000000000": 359,
        "collective::000000000000": 1197,
        "household::000000000001": 6543,
        "household::000000000002": 3272,
    }


def test_money_text_round_trips() -> None:
    assert format_fen(123456) == "¥1,234.56"
    assert format_fen(-105) == "-¥1.05"
    assert parse_yuan("¥1,234.50") == 123450
    assert parse_yuan("39.9") == 3990
    with pytest.raises(ValueError, match="more than two decimals"):
        parse_yuan("1.234")
