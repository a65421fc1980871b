"""Platform order exports read into order lines: headers, Excel damage, statuses, money, times, duplicates."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest

from shop.errors import InvalidInput, Unprocessable
from shop.orders.imports.exports import (
    ExcelMangledIds,
    clean_id,
    detect_mapping,
    parse_beijing_time,
    parse_export,
)
from shop.tabular import MissingColumns, Table, read_table
from tests.orders.export_factory import DOUYIN_HEADERS, make_douyin_export

HEADERS = ["主订单编号", "子订单编号", "选购商品", "商品数量", "商家编码", "商品金额", "订单应付金额"]
HEADERS += ["订单提交时间", "支付完成时间", "订单完成时间", "订单状态", "售后状态", "收件人", "省", "市", "区"]
HEADERS += ["街道", "详细地址", "快递信息"]


def _row(**changes: str) -> dict[str, str]:
    row = {
        "主订单编号": "\t6930000000000000101",
        "子订单编号": "\t6930000000000001011",
        "选购商品": "朝阳小米 5kg",
        "商品数量": "1",
        "商家编码": "XM-50",
        "商品金额": "75.00",
        "订单应付金额": "75.00",
        "订单提交时间": "2026-10-18 20:05:41",
        "支付完成时间": "2026-10-18 20:06:02",
        "订单完成时间": "2026-10-25 09:12:00",
        "订单状态": "已完成",
        "售后状态": "-",
        "收件人": "张*",
        "省": "辽宁省",
        "市": "沈阳市",
        "区": "和平区",
        "街道": "-",
        "详细地址": "**路**号",
        "快递信息": "\tSF1234567890123",
    }
    row.update(changes)
    return row


def _csv(rows: list[dict[str, str]], headers: list[str] = HEADERS, encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([[row.get(header, "") for header in headers] for row in rows])
    return buffer.getvalue().encode(encoding)


def _parse(rows: list[dict[str, str]], platform: str = "douyin", **kwargs: object):
    return parse_export(read_table(_csv(rows), "1760000000_orders.csv"), platform, **kwargs)


def _one(**changes: str):
    parsed = _parse([_row(**changes)])
    assert not parsed.rejected, parsed.rejected
    assert len(parsed.lines) == 1
    return parsed.lines[0]


def test_a_realistic_douyin_export_parses_every_row() -> None:
    parsed = parse_export(read_table(make_douyin_export(300), "1760000000.csv"), "douyin")
    assert len(parsed.lines) == 300
    assert parsed.rejected == []
    assert parsed.superseded == []
    assert {line.status for line in parsed.lines} >= {"completed", "shipped", "paid", "cancelled", "refunded"}
    assert all(line.order_no.isdigit() and len(line.order_no) == 19 for line in parsed.lines)


def test_gb18030_export_parses_exactly_like_the_utf8_one() -> None:
    utf8 = parse_export(read_table(make_douyin_export(60), "a.csv"), "douyin")
    gbk = parse_export(read_table(make_douyin_export(60, encoding="gb18030"), "a.csv"), "douyin")
    assert gbk.lines == utf8.lines
    assert gbk.lines[0].address.startswith(("辽宁省", "北京市", "河北省", "广东省"))


def test_xlsx_export_parses_like_the_csv() -> None:
    table = read_table(make_douyin_export(40), "a.csv")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(table.headers)
    for row in table.rows:
        sheet.append(row.cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert parse_export(read_table(buffer.getvalue(), "a.xlsx"), "douyin").lines == parse_export(table, "douyin").lines


def test_tab_prefixed_ids_lose_the_tab() -> None:
    line = _one()
    assert line.order_no == "6930000000000000101"
    assert line.line_no == "6930000000000001011"
    assert line.tracking_no == "SF1234567890123"


def test_apostrophe_prefixed_ids_lose_the_apostrophe() -> None:
    parsed = parse_export(read_table(make_douyin_export(5, id_prefix="'"), "a.csv"), "douyin")
    assert all(line.order_no.isdigit() and line.line_no.isdigit() for line in parsed.lines)
    line = _one(主订单编号="'6930000000000000101", 子订单编号="  '6930000000000001011 ")
    assert (line.order_no, line.line_no) == ("6930000000000000101", "6930000000000001011")


@pytest.mark.parametrize(
    ("cell", "cleaned"),
    [("\t693", "693"), ("'693", "693"), (' ="693" ', "693"), ("-", ""), ("–", ""), ("—", ""), ("", "")],
)
def test_clean_id_removes_excel_text_markers_and_blank_markers(cell: str, cleaned: str) -> None:
    assert clean_id(cell) == cleaned


@pytest.mark.parametrize("blank", ["-", "–", "—", ""])
def test_dash_marks_mean_empty(blank: str) -> None:
    line = _one(支付完成时间=blank, 订单完成时间=blank, 街道=blank, 快递信息=blank, 售后状态=blank, 订单状态="待发货")
    assert line.paid_at is None
    assert line.completed_at is None
    assert line.tracking_no == ""
    assert line.address == "辽宁省沈阳市和平区**路**号"
    assert line.raw_after_sale_status == ""
    assert not line.refunded


def test_excel_mangled_ids_refuse_the_whole_file() -> None:
    rows = [
        _row(),
        _row(主订单编号="6.93E+18", 子订单编号="\t6930000000000001021"),
        _row(子订单编号="\t6930000000000001031"),
    ]
    with pytest.raises(ExcelMangledIds) as raised:
        _parse(rows)
    error = raised.value
    assert isinstance(error, Unprocessable)
    assert error.params["example"] == "6.93E+18"
    assert error.params["row"] == 3
    assert "Excel" in error.message
    assert "Download the export from the platform again" in error.message


@pytest.mark.parametrize("column", ["子订单编号", "商家编码", "快递信息"])
def test_e_notation_in_any_id_column_refuses_the_file(column: str) -> None:
    changes = {"子订单编号": "6930000000000001021", column: "3.7E+18"}
    with pytest.raises(ExcelMangledIds) as raised:
        _parse([_row(), _row(**changes)])
    assert raised.value.params["column"] == column


def _zero_tailed(**changes: str) -> list[dict[str, str]]:
    # What Excel leaves of 19-digit ids when the column is set to "Number": 15 digits and zeros.
    return [
        _row(主订单编号="6930000000000000000", 子订单编号="6930000000000010000", **changes),
        _row(主订单编号="6930000000000020000", 子订单编号="6930000000000030000", **changes),
    ]


@pytest.mark.parametrize("fingerprint", [{"订单提交时间": "2026/10/18 20:05"}, {"商品ID": "3.7E+18"}])
def test_zero_tailed_ids_with_excel_marks_elsewhere_refuse_the_file(fingerprint: dict[str, str]) -> None:
    rows = _zero_tailed(**fingerprint)
    table = read_table(_csv(rows, headers=[*HEADERS, "商品ID"]), "a.csv")
    with pytest.raises(ExcelMangledIds):
        parse_export(table, "douyin")


def test_zero_tailed_ids_without_any_other_excel_mark_are_accepted() -> None:
    assert len(_parse(_zero_tailed()).lines) == 2


def test_an_id_that_happens_to_end_in_zeros_is_not_taken_for_excel_damage() -> None:
    rows = [
        _row(主订单编号="6930000000000000000", 子订单编号="6930000000000010000", 订单提交时间="2026/10/18 20:05"),
        _row(主订单编号="6930000000000000102", 子订单编号="6930000000000001021"),
    ]
    assert len(_parse(rows).lines) == 2


def test_after_sale_closed_is_not_a_refund() -> None:
    line = _one(售后状态="售后关闭")
    assert line.refunded is False
    assert line.status == "completed"
    assert line.after_sale_open is False


@pytest.mark.parametrize("after_sale", ["退款成功", "退货成功"])
def test_refund_success_makes_the_line_refunded(after_sale: str) -> None:
    line = _one(售后状态=after_sale)
    assert line.refunded is True
    assert line.status == "refunded"
    assert line.order_status == "completed"
    assert line.raw_after_sale_status == after_sale


@pytest.mark.parametrize("after_sale", ["售后已拒绝", "换货成功", "补寄成功"])
def test_refused_exchanged_or_resent_after_sales_are_not_refunds(after_sale: str) -> None:
    line = _one(售后状态=after_sale)
    assert (line.refunded, line.status, line.after_sale_open) == (False, "completed", False)


@pytest.mark.parametrize("after_sale", ["售后中", "待商家处理", "待收退货"])
def test_after_sale_in_progress_flags_the_line_without_refunding_it(after_sale: str) -> None:
    line = _one(售后状态=after_sale, 订单状态="已发货")
    assert line.after_sale_open is True
    assert line.refunded is False
    assert line.status == "shipped"


def test_closed_order_is_cancelled() -> None:
    line = _one(订单状态="已关闭", 支付完成时间="-", 订单完成时间="-")
    assert line.status == "cancelled"
    assert line.raw_status == "已关闭"


@pytest.mark.parametrize(
    ("raw", "status", "partial"),
    [
        ("待支付", "placed", False),
        ("待发货", "paid", False),
        ("部分发货", "paid", True),
        ("已发货", "shipped", False),
        ("已完成", "completed", False),
        ("已关闭", "cancelled", False),
    ],
)
def test_douyin_order_statuses_map(raw: str, status: str, partial: bool) -> None:
    line = _one(订单状态=raw)
    assert (line.status, line.partially_shipped) == (status, partial)


@pytest.mark.parametrize(
    ("code", "status", "partial"),
    [
        ("10", "placed", False),
        ("20", "paid", False),
        ("21", "paid", True),
        ("30", "shipped", False),
        ("100", "completed", False),
        ("190", "cancelled", False),
        ("200", "cancelled", False),
        ("250", "cancelled", False),
    ],
)
def test_weixin_numeric_statuses_map(code: str, status: str, partial: bool) -> None:
    parsed = _parse([_row(订单状态=code)], platform="weixin")
    assert (parsed.lines[0].status, parsed.lines[0].partially_shipped) == (status, partial)


def test_weixin_numbers_mean_nothing_on_douyin() -> None:
    parsed = _parse([_row(订单状态="20")])
    assert parsed.lines == []
    assert "20" in parsed.rejected[0].reason


def test_unknown_status_rejects_the_row_not_the_file() -> None:
    parsed = _parse([_row(), _row(子订单编号="6930000000000001021", 订单状态="神秘状态")])
    assert [line.row for line in parsed.lines] == [2]
    assert parsed.rejected[0].row == 3
    assert "神秘状态" in parsed.rejected[0].reason


def test_unknown_after_sale_status_rejects_the_row_rather_than_guessing() -> None:
    parsed = _parse([_row(售后状态="部分退款待确认")])
    assert parsed.lines == []
    assert "部分退款待确认" in parsed.rejected[0].reason


def test_unknown_headers_raise_the_missing_field_error_naming_each_field() -> None:
    table = read_table(_csv([{}], headers=["宝贝ID", "数目", "现状", "买家留言"]), "x.csv")
    with pytest.raises(MissingColumns) as raised:
        parse_export(table, "kuaishou")
    assert raised.value.missing == ["order_no", "product_name|merchant_code", "quantity", "status"]
    assert isinstance(raised.value, Unprocessable)
    assert "主订单编号" in raised.value.params["columns"]
    assert "订单状态" in raised.value.params["columns"]


KUAISHOU_LIKE = ["订单号码", "宝贝名", "购买件数", "交易状况", "实收(元)", "成交时刻"]


def test_saved_mapping_reads_an_unknown_kuaishou_like_header_set() -> None:
    rows = [
        {"订单号码": "\t2400000012345", "宝贝名": "榛蘑", "购买件数": "2", "交易状况": "已发货", "实收(元)": "99.80"},
        {"订单号码": "\t2400000012345", "宝贝名": "黑木耳", "购买件数": "1", "交易状况": "已发货", "实收(元)": "36"},
    ]
    rows[0]["成交时刻"] = rows[1]["成交时刻"] = "2026-10-18T20:05:41"
    table = read_table(_csv(rows, headers=KUAISHOU_LIKE), "ks.csv")
    with pytest.raises(MissingColumns):
        parse_export(table, "kuaishou")

    saved = {
        "order_no": "订单号码",
        "product_name": "宝贝名",
        "quantity": "购买件数",
        "status": "交易状况",
        "payable": "实收（元）",
        "created_at": "成交时刻",
    }
    parsed = parse_export(table, "kuaishou", saved)
    assert parsed.rejected == []
    assert [(line.order_no, line.line_no, line.line_no_derived) for line in parsed.lines] == [
        ("2400000012345", "2400000012345-1", True),
        ("2400000012345", "2400000012345-2", True),
    ]
    assert [line.payable_fen for line in parsed.lines] == [9980, 3600]
    assert parsed.lines[0].created_at == datetime(2026, 10, 18, 12, 5, 41, tzinfo=UTC)
    assert parsed.mapping["payable"] == "实收(元)"


def test_saved_mapping_naming_a_field_that_does_not_exist_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as raised:
        detect_mapping(HEADERS, "douyin", {"colour": "选购商品"})
    assert raised.value.field == "mapping"


def test_saved_choice_whose_column_is_gone_falls_back_to_the_known_names() -> None:
    mapping = detect_mapping(HEADERS, "douyin", {"product_name": "宝贝名"})
    assert mapping["product_name"] == "选购商品"


def test_unknown_platform_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as raised:
        detect_mapping(HEADERS, "taobao")
    assert raised.value.field == "platform"


def test_header_aliases_are_recognised() -> None:
    mapping = detect_mapping(
        ["订单号", "商品名称", "数量", "商品编码", "实付金额", "下单时间", "订单状态", "联系电话"], "kuaishou"
    )
    assert mapping == {
        "order_no": "订单号",
        "product_name": "商品名称",
        "quantity": "数量",
        "merchant_code": "商品编码",
        "payable": "实付金额",
        "created_at": "下单时间",
        "status": "订单状态",
        "buyer_phone": "联系电话",
    }


def test_a_merchant_code_alone_identifies_the_product() -> None:
    headers = [header for header in HEADERS if header != "选购商品"]
    parsed = parse_export(read_table(_csv([_row()], headers=headers), "a.csv"), "douyin")
    assert (parsed.lines[0].merchant_code, parsed.lines[0].product_name) == ("XM-50", "")


def test_money_converts_yuan_to_fen_exactly() -> None:
    line = _one(商品金额="19.99", 订单应付金额="¥1,234.50", 商品数量="3")
    assert (line.unit_price_fen, line.payable_fen, line.quantity) == (1999, 123450, 3)


@pytest.mark.parametrize("money", ["abc", "12.345", "-5.00", "1e3"])
def test_unparseable_or_negative_money_rejects_the_row(money: str) -> None:
    parsed = _parse([_row(商品金额=money)])
    assert parsed.lines == []
    assert "商品金额" in parsed.rejected[0].reason
    assert money in parsed.rejected[0].reason


@pytest.mark.parametrize("quantity", ["0", "-1", "1.5", "", "两", "12345678901"])
def test_a_quantity_that_is_not_a_positive_whole_number_rejects_the_row(quantity: str) -> None:
    parsed = _parse([_row(商品数量=quantity)])
    assert parsed.lines == []
    assert "Quantity" in parsed.rejected[0].reason


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-10-18 20:05:41", datetime(2026, 10, 18, 12, 5, 41, tzinfo=UTC)),
        ("2026/10/18 20:05", datetime(2026, 10, 18, 12, 5, tzinfo=UTC)),
        ("2026-10-18T20:05:41", datetime(2026, 10, 18, 12, 5, 41, tzinfo=UTC)),
        ("2026/10/8 9:05", datetime(2026, 10, 8, 1, 5, tzinfo=UTC)),
        ("2026-10-19 03:00:00", datetime(2026, 10, 18, 19, 0, tzinfo=UTC)),
    ],
)
def test_times_are_beijing_time_turned_into_aware_utc(text: str, utc: datetime) -> None:
    assert parse_beijing_time(text) == utc
    line = _one(订单提交时间=text)
    assert line.created_at == utc
    assert line.created_at.tzinfo is UTC


@pytest.mark.parametrize(
    "text", ["2026-10-18", "18/10/2026 20:05", "昨天", "2026-13-01 10:00:00", "2026-10-18 20:05:61"]
)
def test_text_that_is_not_a_time_rejects_the_row(text: str) -> None:
    with pytest.raises(ValueError, match="date"):
        parse_beijing_time(text)
    parsed = _parse([_row(支付完成时间=text)])
    assert parsed.lines == []
    assert "支付完成时间" in parsed.rejected[0].reason


def test_a_row_with_several_faults_names_them_all() -> None:
    parsed = _parse([_row(主订单编号="-", 商品数量="0", 订单状态="??", 商品金额="免费")])
    reason = parsed.rejected[0].reason
    for expected in ("No order number", "Quantity 0", "Unknown order status ??", "免费"):
        assert expected in reason
    assert len(parsed.rejected[0].faults) == 4


def test_duplicate_sub_order_keeps_the_later_row_and_notes_it() -> None:
    parsed = _parse([_row(订单状态="已发货"), _row(子订单编号="\t6930000000000001021"), _row(订单状态="已完成")])
    assert [(line.row, line.line_no, line.status) for line in parsed.lines] == [
        (3, "6930000000000001021", "completed"),
        (4, "6930000000000001011", "completed"),
    ]
    assert [problem.row for problem in parsed.superseded] == [2]
    assert "row 4" in parsed.superseded[0].reason


def test_a_rejected_later_duplicate_still_drops_the_stale_earlier_row() -> None:
    parsed = _parse([_row(订单状态="已发货"), _row(订单状态="外星状态")])
    assert parsed.lines == []
    assert [problem.row for problem in parsed.rejected] == [3]
    assert [problem.row for problem in parsed.superseded] == [2]


def test_a_blank_sub_order_number_rejects_the_row() -> None:
    parsed = _parse([_row(子订单编号="-")])
    assert parsed.lines == []
    assert "子订单编号" in parsed.rejected[0].reason


def test_address_joins_region_and_detail_without_repeating_a_municipality() -> None:
    assert _one(省="北京市", 市="北京市", 区="朝阳区", 详细地址="**小区").address == "北京市朝阳区**小区"
    assert _one(街道="长安街道").address == "辽宁省沈阳市和平区长安街道**路**号"
    assert _one(详细地址="辽宁省沈阳市和平区**路**号").address == "辽宁省沈阳市和平区**路**号"


def test_phone_column_is_optional_and_read_when_present() -> None:
    assert _one().buyer_phone == ""
    parsed = parse_export(
        read_table(_csv([_row(联系电话="138****5678")], headers=[*HEADERS, "联系电话"]), "a.csv"), "douyin"
    )
    assert parsed.lines[0].buyer_phone == "138****5678"


def test_a_table_without_rows_parses_to_nothing() -> None:
    parsed = parse_export(Table(headers=list(DOUYIN_HEADERS)), "douyin")
    assert (parsed.lines, parsed.rejected) == ([], [])
