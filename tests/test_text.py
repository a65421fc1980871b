"""The one rule for typed text (shop.text), form numbers (shop.web.forms.form_int) and the page count."""

from __future__ import annotations

import pytest

from shop.errors import InvalidInput
from shop.paging import page_count
from shop.text import clean_text
from shop.web.errors import status_of
from shop.web.forms import form_int


def test_control_characters_are_dropped_and_a_block_keeps_its_lines() -> None:
    assert clean_text("  称\x00少了\x07\r\n第二行\tA  ", "text", max_len=50) == "称少了\n第二行\tA"


def test_a_line_turns_breaks_and_tabs_into_spaces() -> None:
    assert clean_text(" 小米\r\n礼盒\t装\x1b ", "name", max_len=50, line=True) == "小米 礼盒 装"


def test_required_and_too_long_name_the_field() -> None:
    with pytest.raises(InvalidInput) as missing:
        clean_text(" \x00 ", "name", max_len=5, required=True)
    assert missing.value.field == "name"
    with pytest.raises(InvalidInput) as custom:
        clean_text("", "title", max_len=5, missing="Give it a title.")
    assert custom.value.message == "Give it a title."
    with pytest.raises(InvalidInput) as long:
        clean_text("123456", "code", max_len=5)
    assert long.value.field == "code"
    assert clean_text(None, "note", max_len=5) == ""


@pytest.mark.parametrize(("typed", "expected"), [("", None), ("  ", None), (None, None), (" 42 ", 42), ("007", 7)])
def test_form_numbers_that_read(typed: object, expected: int | None) -> None:
    assert form_int(typed, "quantity") == expected


@pytest.mark.parametrize("typed", ["-1", "1.5", "1e3", "４２", "²", "+3", "9" * 19, "abc"])
def test_form_numbers_that_do_not_read_are_a_400_naming_the_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        form_int(typed, "quantity")
    assert refused.value.field == "quantity"
    assert status_of(refused.value) == 400


def test_an_empty_form_number_takes_the_default() -> None:
    assert form_int("", "minutes", default=8) == 8


@pytest.mark.parametrize(("total", "pages"), [(0, 1), (1, 1), (30, 1), (31, 2), (90, 3)])
def test_page_count(total: int, pages: int) -> None:
    assert page_count(total, 30) == pages
