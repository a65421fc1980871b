"""The product spreadsheet import: every fault of a row named, prices in fen, the templates read back."""

from __future__ import annotations

import csv
import io

import pytest

from shop.catalogue.sheet import (
    TEMPLATE_HEADERS,
    ProductRow,
    parse_product_sheet,
    product_template_csv,
    product_template_xlsx,
)
from shop.tabular import MissingColumns, read_table

HEADERS = ["名称", "分类", "单位", "价格(元)", "商家编码", "描述", "产地故事", "非遗", "低库存提醒"]


def _sheet(rows: list[dict[str, str]], headers: list[str] = HEADERS):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([[row.get(header, "") for header in headers] for row in rows])
    return parse_product_sheet(read_table(buffer.getvalue().encode("utf-8-sig"), "products.csv"))


def _row(**changes: str) -> dict[str, str]:
    row = {"名称": "朝阳小米", "分类": "粮食", "单位": "袋", "价格(元)": "39.90", "商家编码": "XM-50"}
    row.update(changes)
    return row


def _reason(**changes: str) -> str:
    sheet = _sheet([_row(**changes)])
    assert sheet.rows == []
    assert len(sheet.rejected) == 1
    return sheet.rejected[0].reason


def _product(**changes: str) -> ProductRow:
    sheet = _sheet([_row(**changes)])
    assert sheet.rejected == [], sheet.rejected[0].reason
    return sheet.rows[0]


EXAMPLES = [
    ProductRow(
        row=2,
        name="朝阳小米",
        category="grain",
        unit="袋",
        price_fen=3990,
        merchant_code="XM-50",
        description="山坡旱地的谷子，石碾去壳，5斤一袋",
        story="村里的老品种谷子，不上化肥，秋后晒干再碾。",
        heritage=False,
        low_stock=10,
    ),
    ProductRow(
        row=3,
        name="剪纸·福字",
        category="craft",
        unit="件",
        price_fen=5800,
        merchant_code="JZ-FU",
        description="手工剪纸福字，30厘米见方",
        story="由市级非遗剪纸项目传承人手工剪成，一张一样。",
        heritage=True,
        low_stock=0,
    ),
]


@pytest.mark.parametrize(
    ("make", "filename"), [(product_template_csv, "模板.csv"), (product_template_xlsx, "模板.xlsx")]
)
def test_templates_read_back_as_the_two_examples(make, filename: str) -> None:
    table = read_table(make(), filename)
    assert table.headers == TEMPLATE_HEADERS == HEADERS
    sheet = parse_product_sheet(table)
    assert sheet.rejected == []
    assert sheet.rows == EXAMPLES


def test_csv_template_is_utf8_with_bom_for_excel_on_chinese_windows() -> None:
    assert product_template_csv().startswith("\ufeff名称,分类".encode())


@pytest.mark.parametrize(
    ("price", "fen"),
    [("39.9", 3990), ("¥1,234.50", 123450), ("１２.５", 1250), ("￥8", 800), ("0.01", 1), ("58元", 5800)],
)
def test_prices_as_people_type_them_become_fen(price: str, fen: int) -> None:
    assert _product(**{"价格(元)": price}).price_fen == fen


@pytest.mark.parametrize("price", ["-5", "-0.01"])
def test_negative_price_is_rejected(price: str) -> None:
    assert "negative" in _reason(**{"价格(元)": price})


@pytest.mark.parametrize("price", ["0", "0.00", "¥0"])
def test_zero_price_is_rejected(price: str) -> None:
    assert "zero" in _reason(**{"价格(元)": price})


@pytest.mark.parametrize("price", ["面议", "39.9.9", "1e3", "39.999"])
def test_price_that_is_not_yuan_with_two_decimals_is_rejected(price: str) -> None:
    reason = _reason(**{"价格(元)": price})
    assert "价格(元)" in reason
    assert price in reason


def test_missing_price_is_rejected() -> None:
    assert "价格(元) is empty" in _reason(**{"价格(元)": ""})


def test_unknown_category_is_rejected_naming_the_choices() -> None:
    reason = _reason(分类="海鲜")
    assert "海鲜" in reason
    assert "粮食/菌菇/山货/手工艺/其他" in reason


@pytest.mark.parametrize(
    ("category", "code"),
    [
        ("粮食", "grain"),
        ("菌菇", "mushroom"),
        ("山货", "mountain"),
        ("手工艺", "craft"),
        ("其他", "other"),
        ("Grain", "grain"),
        ("mushroom", "mushroom"),
        ("MOUNTAIN", "mountain"),
        ("craft", "craft"),
        ("other", "other"),
    ],
)
def test_categories_in_chinese_or_english_are_accepted(category: str, code: str) -> None:
    assert _product(分类=category).category == code


def test_blank_category_means_other() -> None:
    assert _product(分类="").category == "other"


def test_duplicate_merchant_code_rejects_every_row_sharing_it() -> None:
    sheet = _sheet([_row(), _row(名称="黑木耳", 商家编码="MEB-250"), _row(名称="新小米")])
    assert [row.name for row in sheet.rows] == ["黑木耳"]
    assert [problem.row for problem in sheet.rejected] == [2, 4]
    assert "also used in row 4" in sheet.rejected[0].reason
    assert "also used in row 2" in sheet.rejected[1].reason


def test_missing_name_is_rejected() -> None:
    assert "名称 is empty" in _reason(名称="")


def test_a_row_with_several_faults_names_them_all() -> None:
    sheet = _sheet([_row(名称="", 分类="海鲜", 单位="", **{"价格(元)": "-1", "非遗": "也许", "低库存提醒": "-3"})])
    problem = sheet.rejected[0]
    assert len(problem.faults) == 6
    for expected in ("名称 is empty", "海鲜", "单位 is empty", "negative", "也许", "-3"):
        assert expected in problem.reason


def test_unit_is_required_and_short() -> None:
    assert "单位 is empty" in _reason(单位="")
    assert "8 characters" in _reason(单位="一个很大很大的纸箱子")
    assert _product(单位="公斤").unit == "公斤"


@pytest.mark.parametrize("code", ["XM 50", "小米", "X" * 33, "XM/50"])
def test_merchant_code_with_other_characters_or_too_long_is_rejected(code: str) -> None:
    assert "letters, digits" in _reason(商家编码=code)


def test_merchant_code_is_optional_and_loses_an_excel_apostrophe() -> None:
    assert _product(商家编码="").merchant_code is None
    assert _product(商家编码="'00123").merchant_code == "00123"


@pytest.mark.parametrize(
    ("text", "heritage"),
    [
        ("是", True),
        ("yes", True),
        ("1", True),
        ("TRUE", True),
        ("否", False),
        ("no", False),
        ("0", False),
        ("false", False),
        ("", False),
    ],
)
def test_heritage_accepts_yes_and_no_words(text: str, heritage: bool) -> None:
    assert _product(非遗=text).heritage is heritage


@pytest.mark.parametrize(("text", "threshold"), [("", 0), ("0", 0), ("25", 25)])
def test_low_stock_threshold_defaults_to_zero(text: str, threshold: int) -> None:
    assert _product(低库存提醒=text).low_stock == threshold


@pytest.mark.parametrize("text", ["-1", "2.5", "很多"])
def test_low_stock_threshold_must_be_a_whole_number_of_zero_or_more(text: str) -> None:
    assert "低库存提醒" in _reason(低库存提醒=text)


def test_english_headers_are_accepted() -> None:
    headers = ["name", "category", "unit", "price", "merchant_code", "description", "story", "heritage", "low_stock"]
    row = {"name": "Hazel mushrooms", "category": "mushroom", "unit": "bag", "price": "49.90", "heritage": "no"}
    row |= {"merchant_code": "ZM-500", "low_stock": "5", "story": "Picked on the north slope."}
    sheet = _sheet([row], headers=headers)
    assert sheet.rejected == []
    product = sheet.rows[0]
    assert (product.name, product.category, product.price_fen, product.low_stock) == (
        "Hazel mushrooms",
        "mushroom",
        4990,
        5,
    )
    assert product.story == "Picked on the north slope."


def test_messages_name_the_column_as_the_file_does() -> None:
    sheet = _sheet([{"name": "", "unit": "bag", "price": "1"}], headers=["name", "unit", "price"])
    assert sheet.rejected[0].reason == "name is empty."


def test_missing_required_columns_raise_naming_them() -> None:
    with pytest.raises(MissingColumns) as raised:
        _sheet([{"品种": "小米"}], headers=["品种", "分类", "描述"])
    assert raised.value.missing == ["name", "unit", "price"]
    assert "名称" in raised.value.params["columns"]


def test_unknown_columns_are_listed_as_ignored() -> None:
    sheet = _sheet([_row(备注="放阴凉处")], headers=[*HEADERS, "备注"])
    assert sheet.ignored_columns == ["备注"]
    assert len(sheet.rows) == 1
