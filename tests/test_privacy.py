"""Buyers' details as pages, exports and logs show them (shop.privacy): enough to pack a parcel, no more."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shop.privacy import mask_address, mask_name, mask_phone, scrub_digits


@pytest.mark.parametrize(
    ("phone", "shown"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("+86 138-1234-5678", "861****5678"),
        ("5551234", "*****34"),
        ("123", "***"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(phone: str | None, shown: str) -> None:
    assert mask_phone(phone) == shown


@settings(max_examples=50)
@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True))
def test_a_masked_mobile_never_shows_its_middle_four(phone: str) -> None:
    assert mask_phone(phone) == f"{phone[:3]}****{phone[-4:]}"


def test_mask_name_keeps_the_family_name() -> None:
    assert mask_name("张三丰") == "张**"
    assert mask_name(" 李 ") == "李*"
    assert mask_name(None) == ""


def test_mask_address_keeps_the_head() -> None:
    assert mask_address("辽宁省朝阳市朝阳县东大道乡从家店村3组") == "辽宁省朝阳市****"
    assert mask_address("朝阳县") == "朝阳县"
    assert mask_address(None) == ""
    assert mask_address("辽宁省朝阳市朝阳县", keep=3) == "辽宁省****"


def test_scrub_digits_hides_phone_like_runs_and_leaves_short_numbers() -> None:
    line = "order 12 for 13812345678, 2 bags, id 20261203"
    assert scrub_digits(line) == "order 12 for 138****5678, 2 bags, id ******03"
    assert "13812345678" not in scrub_digits("call 13812345678 now")
