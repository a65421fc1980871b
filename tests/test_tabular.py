"""Reading uploaded CSV/XLSX safely and writing exports that cannot run as formulas."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest

from shop import tabular
from shop.errors import TooLarge, Unprocessable
from shop.tabular import (
    MAX_ROWS,
    Fault,
    RowProblem,
    TooManyRows,
    header_key,
    read_table,
    safe_cell,
    write_csv,
    write_xlsx,
)
from shop.web.errors import status_of

ORDERS_CSV = "订单编号,商品名称,数量\r\n1001,朝阳小米,2\r\n1002,剪纸·福字,1\r\n"


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_openpyxl_parses_workbook_xml_through_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML is True


def test_utf8_with_bom_reads_headers_without_the_bom() -> None:
    table = read_table(ORDERS_CSV.encode("utf-8-sig"), "orders.csv")
    assert table.headers == ["订单编号", "商品名称", "数量"]
    assert [row.cells for row in table.rows] == [["1001", "朝阳小米", "2"], ["1002", "剪纸·福字", "1"]]


def test_utf8_without_bom_reads_the_same_table() -> None:
    with_bom = read_table(ORDERS_CSV.encode("utf-8-sig"), "a.csv")
    without = read_table(ORDERS_CSV.encode("utf-8"), "a.csv")
    assert without == with_bom


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_gb18030_and_gbk_files_are_decoded(encoding: str) -> None:
    table = read_table(ORDERS_CSV.encode(encoding), "orders.csv")
    assert table.headers == ["订单编号", "商品名称", "数量"]
    assert table.rows[1].cells[1] == "剪纸·福字"


def test_utf16_unicode_text_from_excel_is_decoded() -> None:
    table = read_table(ORDERS_CSV.replace(",", "\t").encode("utf-16"), "orders.txt")
    assert table.headers == ["订单编号", "商品名称", "数量"]
    assert table.rows[0].cells == ["1001", "朝阳小米", "2"]


def test_bytes_in_no_known_encoding_are_refused_naming_the_file() -> None:
    with pytest.raises(Unprocessable) as raised:
        read_table(b"a,b\r\n\x80\x80,\xfe\r\n", "weird.csv")
    assert "weird.csv" in raised.value.message % raised.value.params
    assert "GB18030" in raised.value.message


def test_png_renamed_to_csv_is_refused_as_an_image() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with pytest.raises(Unprocessable) as raised:
        read_table(png, "orders.csv")
    assert raised.value.params["kind"] == "a PNG image"


def test_old_xls_workbook_is_refused_with_advice_to_save_as_xlsx() -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    with pytest.raises(Unprocessable) as raised:
        read_table(ole2, "orders.xls")
    assert ".xls" in raised.value.message
    assert ".xlsx" in raised.value.message


def test_zip_that_is_not_a_workbook_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("订单.csv", ORDERS_CSV)
    with pytest.raises(Unprocessable) as raised:
        read_table(buffer.getvalue(), "orders.zip")
    assert "not an Excel" in raised.value.message


def test_damaged_workbook_is_refused_not_crashed() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not really")
    with pytest.raises(Unprocessable) as raised:
        read_table(buffer.getvalue(), "orders.xlsx")
    assert "damaged" in raised.value.message


def test_oversized_file_is_refused_as_too_large() -> None:
    with pytest.raises(TooLarge):
        read_table(ORDERS_CSV.encode() * 100, "orders.csv", max_bytes=1000)


def test_workbook_that_unpacks_far_beyond_the_limit_is_refused_as_too_large() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 2_000_000)
    data = buffer.getvalue()
    assert len(data) < 10_000
    with pytest.raises(TooLarge):
        read_table(data, "bomb.xlsx", max_bytes=10_000)


@pytest.mark.parametrize("content", [b"", b"   \r\n\r\n", b",,,\r\n,,\r\n"])
def test_file_without_content_or_header_is_refused(content: bytes) -> None:
    with pytest.raises(Unprocessable):
        read_table(content, "empty.csv")


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_delimiter_is_sniffed_from_the_header(delimiter: str) -> None:
    text = f"名称{delimiter}价格(元){delimiter}单位\n朝阳小米{delimiter}39.90{delimiter}袋\n"
    table = read_table(text.encode(), "products.csv")
    assert table.headers == ["名称", "价格(元)", "单位"]
    assert table.rows[0].cells == ["朝阳小米", "39.90", "袋"]


def test_quoted_cells_keep_commas_and_line_breaks_and_row_numbers_follow_records() -> None:
    text = '名称,描述\n"小米, 新米","第一行\n第二行"\n黑木耳,干货\n'
    table = read_table(text.encode(), "products.csv")
    assert table.rows[0].cells == ["小米, 新米", "第一行\n第二行"]
    # A spreadsheet shows the quoted two-line cell in one row: the next record is row 3.
    assert [row.number for row in table.rows] == [2, 3]


def test_cells_are_stripped_and_empty_rows_dropped_keeping_spreadsheet_row_numbers() -> None:
    text = "订单编号,数量\n\t1001 , 2\n,\n\n  ,  \n1002,\u30001\u3000\n"
    table = read_table(text.encode(), "orders.csv")
    assert [(row.number, row.cells) for row in table.rows] == [(2, ["1001", "2"]), (6, ["1002", "1"])]


def test_blank_lines_above_the_header_are_skipped_and_counted() -> None:
    table = read_table(b"\n\nname,unit\nrice,bag\n", "p.csv")
    assert table.headers == ["name", "unit"]
    assert table.rows[0].number == 4


def test_trailing_empty_header_columns_are_ignored_and_short_rows_padded() -> None:
    text = "订单编号,数量,,\n1001,2,extra,more\n1002\n,,only-under-no-header\n"
    table = read_table(text.encode(), "orders.csv")
    assert table.headers == ["订单编号", "数量"]
    assert [row.cells for row in table.rows] == [["1001", "2"], ["1002", ""]]


def test_xlsx_is_detected_by_its_content_not_its_name() -> None:
    data = _xlsx([["订单编号", "数量"], ["1001", 2]])
    table = read_table(data, "orders.csv")
    assert table.headers == ["订单编号", "数量"]
    assert table.rows[0].cells == ["1001", "2"]


def test_xlsx_cells_become_the_text_a_person_would_type() -> None:
    data = _xlsx(
        [
            ["int", "float", "tiny", "datetime", "date", "empty", "lost digits", "bool", "money"],
            [75, 39.9, 1e-7, datetime(2026, 10, 18, 20, 5, 41), date(2026, 10, 18), None, 6.93e18, True, 75.0],
        ]
    )
    cells = read_table(data, "x.xlsx").rows[0].cells
    assert cells == [
        "75",
        "39.9",
        "0.0000001",
        "2026-10-18 20:05:41",
        "2026-10-18 00:00:00",
        "",
        "6.93E+18",
        "TRUE",
        "75",
    ]


def test_xlsx_formula_cells_read_their_cached_value_not_the_formula() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["total"])
    sheet.append(["=1+1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    # openpyxl stores no cached value, so data_only reading gives an empty cell: never the formula text.
    table = read_table(buffer.getvalue(), "x.xlsx")
    assert all("=" not in cell for row in table.rows for cell in row.cells)


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", " =HYPERLINK(1)", "=cmd|' /C calc'!A0"]
)
def test_safe_cell_neutralises_text_that_a_spreadsheet_would_run(text: str) -> None:
    assert safe_cell(text) == "'" + text


def test_negative_number_text_is_prefixed_but_real_numbers_stay_numbers() -> None:
    # Text is untrusted however numeric it looks; amounts the code exports are passed as numbers.
    assert safe_cell("-12.50") == "'-12.50"
    assert safe_cell(Decimal("-12.50")) == "-12.50"
    assert safe_cell(-5) == "-5"
    assert safe_cell(-1.5) == "-1.5"


def test_safe_cell_neutralises_any_object_whose_text_starts_a_formula() -> None:
    class Remark:
        def __str__(self) -> str:
            return "=WEBSERVICE(1)"

    assert safe_cell(Remark()) == "'=WEBSERVICE(1)"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("朝阳小米", "朝阳小米"),
        ("a=b", "a=b"),
        (None, ""),
        (True, "TRUE"),
        (39.9, "39.9"),
        (date(2026, 10, 18), "2026-10-18"),
        # Aware times are shown in Beijing time.
        (datetime(2026, 10, 18, 12, 5, 41, tzinfo=UTC), "2026-10-18 20:05:41"),
    ],
)
def test_safe_cell_leaves_harmless_values_readable(value: object, text: str) -> None:
    assert safe_cell(value) == text


def test_write_csv_is_utf8_with_bom_crlf_and_neutralised() -> None:
    data = write_csv(["名称", "备注"], [["朝阳小米", "=HYPERLINK(1)"], ["黑木耳", Decimal("-1.50")]])
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text == "名称,备注\r\n朝阳小米,'=HYPERLINK(1)\r\n黑木耳,-1.50\r\n"


def test_write_xlsx_stores_formula_like_text_as_text_and_numbers_as_numbers() -> None:
    data = write_xlsx(["名称", "金额", "备注"], [["=1+1", Decimal("-12.50"), "@evil"]], sheet_title="订单")
    sheet = openpyxl.load_workbook(io.BytesIO(data))["订单"]
    name, amount, note = sheet[2]
    assert (name.data_type, name.value) == ("s", "'=1+1")
    assert amount.data_type == "n"
    assert amount.value == pytest.approx(-12.5)
    assert note.value == "'@evil"


def test_xlsx_round_trip_gives_back_the_text() -> None:
    rows = [["6930000000000000101", "朝阳小米 5kg", 2, Decimal("39.90")], ["6930000000000000102", "剪纸·福字", 1, 58]]
    table = read_table(write_xlsx(["订单编号", "商品", "数量", "单价"], rows), "export.xlsx")
    assert table.headers == ["订单编号", "商品", "数量", "单价"]
    assert [row.cells for row in table.rows] == [
        ["6930000000000000101", "朝阳小米 5kg", "2", "39.9"],
        ["6930000000000000102", "剪纸·福字", "1", "58"],
    ]


def test_write_xlsx_drops_control_characters_openpyxl_would_refuse() -> None:
    data = write_xlsx(["备注"], [["请\x01尽快\x08发货"]])
    assert read_table(data, "x.xlsx").rows[0].cells == ["请尽快发货"]


def test_sheet_title_is_cut_to_what_excel_allows() -> None:
    data = write_xlsx(["a"], [], sheet_title="订单/导出:2026[10]*" + "长" * 40)
    title = openpyxl.load_workbook(io.BytesIO(data)).sheetnames[0]
    assert len(title) <= 31
    assert not set(title) & set("[]:*?/\\")


def test_header_key_ignores_spacing_case_and_bracket_width() -> None:
    assert header_key("\ufeff价格（元）") == header_key("价格 (元)") == "价格(元)"
    assert header_key(" Merchant Code ") == "merchantcode"


def test_row_problem_names_every_fault_and_can_be_translated() -> None:
    problem = RowProblem(
        7,
        (
            Fault("Quantity %(value)s is wrong.", {"value": "0"}),
            Fault("No order number in %(column)s.", {"column": "订单号"}),
        ),
    )
    assert problem.reason == "Quantity 0 is wrong.; No order number in 订单号."
    chinese = {
        "Quantity %(value)s is wrong.": "数量 %(value)s 不对。",
        "No order number in %(column)s.": "%(column)s 没有订单号。",
    }
    assert problem.render(chinese.__getitem__) == "数量 0 不对。; 订单号 没有订单号。"


# --- the row cap, and reading a block of lines at a time ---------------------------------------------------


@pytest.mark.parametrize("quoted", [False, True])
@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
def test_one_row_over_the_cap_is_refused_naming_the_cap(quoted: bool, line_end: str) -> None:
    cell = '"x"' if quoted else "x"
    at_cap = line_end.join(["name", *[cell] * 5, ""])
    assert len(read_table(at_cap.encode(), "p.csv", max_rows=5).rows) == 5
    with pytest.raises(TooManyRows) as refused:
        read_table((at_cap + cell + line_end).encode(), "p.csv", max_rows=5)
    assert status_of(refused.value) == 413
    assert "at most 5 rows" in refused.value.render()


def test_blank_lines_do_not_count_towards_the_cap() -> None:
    text = "name\n" + "\n" * 50 + "a\nb\n" + " , \n" * 20
    assert [row.number for row in read_table(text.encode(), "p.csv", max_rows=2).rows] == [52, 53]


def test_the_default_cap_is_200000_rows() -> None:
    assert MAX_ROWS == 200_000
    with pytest.raises(TooManyRows, match="200,000"):
        read_table(("h\n" + "1\n" * 200_001).encode(), "big.csv")


def test_a_file_far_over_the_cap_stops_at_the_first_block_past_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tens of millions of one-character lines are never split into memory: reading stops one block past."""
    made: list[int] = []
    real = tabular.TableRow

    def counting(number: int, cells: list[str]) -> tabular.TableRow:
        made.append(number)
        return real(number, cells)

    monkeypatch.setattr(tabular, "TableRow", counting)
    monkeypatch.setattr(tabular, "_BLOCK_CHARS", 64)
    with pytest.raises(TooManyRows):
        read_table(("h\n" + "1\n" * 100_000).encode(), "bomb.csv", max_rows=10)
    assert len(made) < 60


@pytest.mark.parametrize("block_chars", [1, 7, 64])
def test_reading_in_blocks_keeps_every_cell_and_row_number(monkeypatch: pytest.MonkeyPatch, block_chars: int) -> None:
    text = "\n订单编号,数量\n1001,2\n\n1002,3\r\n,\n1003,4\n"
    whole = read_table(text.encode(), "orders.csv")
    monkeypatch.setattr(tabular, "_BLOCK_CHARS", block_chars)
    monkeypatch.setattr(tabular, "_BLOCK_LINES", 2)
    blocked = read_table(text.encode(), "orders.csv")
    assert blocked == whole
    assert [(row.number, row.cells) for row in whole.rows] == [
        (3, ["1001", "2"]),
        (5, ["1002", "3"]),
        (7, ["1003", "4"]),
    ]


def test_an_xlsx_sheet_over_the_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "_BLOCK_LINES", 3)
    data = _xlsx([["name"], *[[f"p{i}"] for i in range(8)]])
    assert len(read_table(data, "p.xlsx", max_rows=8).rows) == 8
    with pytest.raises(TooManyRows):
        read_table(data, "p.xlsx", max_rows=7)
