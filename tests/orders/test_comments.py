"""Comment-to-order parsing: real-looking livestream comments become honest drafts, chatter becomes nothing."""

from __future__ import annotations

import pytest

from shop import i18n
from shop.orders.comments import DraftItem, DraftOrder, LineupProduct, parse_comments
from tests.orders.comment_cases import (
    CASES,
    FUNGUS,
    GIFT_BOX,
    HAZEL_MUSHROOM,
    HONEY,
    LINEUP,
    MILLET,
    NO_INTENT,
    PAPER_CUT,
    PHONE,
    SHIITAKE,
    Case,
)


def _only_draft(comment: str, lineup: tuple[LineupProduct, ...] = LINEUP) -> DraftOrder:
    drafts = parse_comments(comment, lineup)
    assert len(drafts) == 1, f"one draft expected for {comment!r}, got {drafts!r}"
    return drafts[0]


def _in_chinese(draft: DraftOrder) -> list[str]:
    """The draft's problems as a secretary reading the page in Chinese sees them."""
    with i18n.using_locale("zh_CN"):
        return [problem.render(i18n.translate) for problem in draft.problems]


def _items(draft: DraftOrder) -> list[tuple[int, int | None]]:
    return [(item.product_id, item.quantity) for item in draft.items]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_comment_gives_the_expected_draft(case: Case) -> None:
    draft = _only_draft(case.comment)

    assert draft.raw == case.comment
    assert [(i.product_id, i.quantity, i.matched_by) for i in draft.items] == list(case.items)
    assert draft.buyer_name == case.name
    assert draft.buyer_phone == case.phone
    assert draft.address == case.address
    assert bool(draft.problems) == case.problems, draft.problems


def test_case_table_is_large_and_ids_are_unique() -> None:
    ids = [case.id for case in CASES]

    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("comment", NO_INTENT)
def test_line_without_order_intent_gives_no_draft(comment: str) -> None:
    assert parse_comments(comment, LINEUP) == []


def test_phone_number_alone_still_gives_a_draft_to_fill_in() -> None:
    draft = _only_draft("13812345678")

    assert draft.buyer_phone == PHONE
    assert draft.items == []
    assert draft.problems


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        *zip("一二三四五六七八九", range(1, 10), strict=True),
        ("十", 10),
        *((f"十{digit}", 10 + n) for n, digit in enumerate("一二三四五六七八九", start=1)),
        ("二十", 20),
        ("两", 2),
        ("俩", 2),
        ("仨", 3),
    ],
)
def test_chinese_numerals_up_to_twenty(numeral: str, value: int) -> None:
    draft = _only_draft(f"小米{numeral}袋")

    assert _items(draft) == [(MILLET, value)]
    assert draft.problems == []


@pytest.mark.parametrize(("written", "value"), [("3", 3), ("３", 3), ("12", 12), ("１２", 12)])
def test_arabic_and_full_width_digits_read_alike(written: str, value: int) -> None:
    assert _items(_only_draft(f"木耳{written}包")) == [(FUNGUS, value)]


def test_every_problem_the_cases_raise_is_translated_and_reads_in_english() -> None:
    catalog = i18n.translations("zh_CN")
    seen = set()
    for case in CASES:
        for problem in _only_draft(case.comment).problems:
            seen.add(problem.message)
            assert catalog.gettext(problem.message) != problem.message, problem.message
            english = problem.render()
            # The buyer's own words and the products' names stay as written (longest first: 木耳 is in 黑木耳).
            for value in sorted(map(str, problem.params.values()), key=len, reverse=True):
                english = english.replace(value, "")
            assert english.isascii(), problem.render()
    assert len(seen) >= 10  # the cases reach most of the parser's messages, not one or two


@pytest.mark.parametrize(
    "comment",
    ["榛蘑半斤", "榛蘑一斤半", "榛蘑1.5斤", "小米两袋半", "来半斤", "要半个"],
)
def test_half_units_are_a_problem_not_a_quantity(comment: str) -> None:
    draft = _only_draft(comment)

    assert len(draft.items) == 1
    assert draft.items[0].quantity is None
    assert any("半" in problem for problem in _in_chinese(draft))


def test_product_named_without_a_number_counts_one_and_says_so() -> None:
    draft = _only_draft("要小米")

    assert _items(draft) == [(MILLET, 1)]
    assert any("没写数量" in problem for problem in _in_chinese(draft))


def test_keyword_matching_two_products_names_both_and_guesses_neither() -> None:
    draft = _only_draft("蘑菇来两斤 13812345678")

    assert draft.items == []
    assert draft.buyer_phone == PHONE
    (problem,) = _in_chinese(draft)
    assert "野生榛蘑" in problem
    assert "干香菇" in problem


def test_code_beside_an_ambiguous_keyword_settles_which_product() -> None:
    assert _items(_only_draft("蘑菇 A7 两斤")) == [(SHIITAKE, 2)]


def test_ambiguous_product_does_not_swallow_the_other_products_of_the_comment() -> None:
    draft = _only_draft("蘑菇两斤 蜂蜜一瓶")

    assert _items(draft) == [(HONEY, 1)]
    assert len(draft.problems) == 1


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("小米2袋 木耳1包", [(MILLET, 2), (FUNGUS, 1)]),
        ("小米两袋木耳一包", [(MILLET, 2), (FUNGUS, 1)]),
        ("两袋小米一包木耳", [(MILLET, 2), (FUNGUS, 1)]),
        ("小米 两包木耳", [(MILLET, 1), (FUNGUS, 2)]),
        ("A1两个A2一个", [(MILLET, 2), (FUNGUS, 1)]),
        ("A1 2 A2 3 A6 1", [(MILLET, 2), (FUNGUS, 3), (HONEY, 1)]),
        ("小米礼盒一个 黑木耳两包 榛蘑三斤", [(GIFT_BOX, 1), (FUNGUS, 2), (HAZEL_MUSHROOM, 3)]),
        ("小米、木耳、蜂蜜各来两个", [(MILLET, 2), (FUNGUS, 2), (HONEY, 2)]),
    ],
)
def test_several_products_in_one_comment_each_get_their_own_quantity(
    comment: str, expected: list[tuple[int, int]]
) -> None:
    assert _items(_only_draft(comment)) == expected


@pytest.mark.parametrize("comment", ["小米 木耳 各一", "小米和木耳各要一包", "小米木耳每样一袋"])
def test_ge_spreads_one_quantity_over_every_product_named_before_it(comment: str) -> None:
    draft = _only_draft(comment)

    assert _items(draft) == [(MILLET, 1), (FUNGUS, 1)]
    assert draft.problems == []


def test_number_no_product_claims_is_reported_not_dropped_silently() -> None:
    draft = _only_draft("小米两袋 再来一袋")

    assert _items(draft) == [(MILLET, 2)]
    assert any("一袋" in problem for problem in _in_chinese(draft))


def test_pinned_product_is_used_only_when_no_product_is_named() -> None:
    assert _items(_only_draft("这个来两袋")) == [(PAPER_CUT, 2)]
    assert [item.matched_by for item in _only_draft("这个小米来两袋").items] == ["keyword"]


def test_without_a_pinned_product_nothing_is_guessed() -> None:
    unpinned = tuple(
        LineupProduct(p.product_id, p.name, p.short_code, p.keywords, p.unit, pinned=False) for p in LINEUP
    )
    draft = _only_draft("上车 来两袋", unpinned)

    assert draft.items == []
    assert draft.problems


@pytest.mark.parametrize(
    "written",
    ["13812345678", "138 1234 5678", "138-1234-5678", "+86 13812345678", "+8613812345678", "１３８１２３４５６７８"],
)
def test_phone_forms_normalise_to_eleven_digits(written: str) -> None:
    draft = _only_draft(f"小米一袋 {written}")

    assert draft.buyer_phone == PHONE
    assert _items(draft) == [(MILLET, 1)]


def test_mistyped_phone_number_alone_gives_a_draft_that_says_so() -> None:
    draft = _only_draft("1381234567")

    assert draft.buyer_phone is None
    assert draft.problems


def test_two_different_phone_numbers_keep_the_first_and_warn() -> None:
    draft = _only_draft("小米一袋 13812345678 13900001111")

    assert draft.buyer_phone == PHONE
    assert draft.problems


def test_problems_never_repeat_a_phone_number_or_its_digits() -> None:
    draft = _only_draft("小米一袋 1381234567 13812345678 13900001111")

    digits_given = ("1381234567", PHONE, "13900001111")

    assert len(draft.problems) == 2
    assert not any(digits in problem for problem in _in_chinese(draft) for digits in digits_given)


@pytest.mark.parametrize("comment", ["@小红 要两袋", "@王芳 13812345678 小米一袋", "王芳：小米一袋"])
def test_platform_nickname_is_never_taken_for_the_buyers_name(comment: str) -> None:
    assert _only_draft(comment).buyer_name is None


@pytest.mark.parametrize("comment", ["小米一袋 老王 13812345678", "主播 小米一袋", "高兴 小米一袋"])
def test_words_that_are_not_names_are_not_taken_for_names(comment: str) -> None:
    assert _only_draft(comment).buyer_name is None


def test_address_numbers_are_not_read_as_quantities() -> None:
    draft = _only_draft("小米两袋 辽宁省朝阳市双塔区凌河路12号3单元501")

    assert _items(draft) == [(MILLET, 2)]
    assert draft.address == "辽宁省朝阳市双塔区凌河路12号3单元501"
    assert draft.problems == []


def test_address_keeps_the_letters_as_typed() -> None:
    draft = _only_draft("王芳 13812345678 辽宁省沈阳市浑南区万科城B座1203 蜂蜜一瓶")

    assert draft.address == "辽宁省沈阳市浑南区万科城B座1203"
    assert _items(draft) == [(HONEY, 1)]


def test_one_draft_per_order_line_with_its_line_number() -> None:
    text = "主播好漂亮\n\n小米两袋\r\n666\n  A2 3  \n已关注\n"

    drafts = parse_comments(text, LINEUP)

    assert [(d.line_number, d.raw, _items(d)) for d in drafts] == [
        (3, "小米两袋", [(MILLET, 2)]),
        (5, "  A2 3  ", [(FUNGUS, 3)]),
    ]


def test_empty_paste_gives_no_drafts() -> None:
    assert parse_comments("", LINEUP) == []
    assert parse_comments("\n \n", LINEUP) == []


def test_numbered_lineup_reads_platform_link_numbers() -> None:
    numbered = (
        LineupProduct(MILLET, "朝阳小米 5斤装", "1", ("小米",), "袋"),
        LineupProduct(FUNGUS, "东北黑木耳", "2", ("木耳",), "包"),
    )

    assert parse_comments("2号链接拍两单", numbered)[0].items == [DraftItem(FUNGUS, 2, "short_code")]
    assert parse_comments("1号 3袋", numbered)[0].items == [DraftItem(MILLET, 3, "short_code")]
