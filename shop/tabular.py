"""Spreadsheets in and out: read an uploaded CSV or XLSX into a table of text, write CSV/XLSX exports
that a spreadsheet program cannot be tricked into running as formulas."""

from __future__ import annotations

import csv
import gc
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice, repeat

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from shop.errors import N_, DomainError, TooLarge, Unprocessable
from shop.errors import Fault as Fault  # a row's faults are the shared message-with-parameters
from shop.timeutil import to_local

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# Every spreadsheet import takes at most this many data rows: the table is held whole while the import
# plans over it, so the cap is what bounds its memory (``bench.input_bench`` measures the peak).
MAX_ROWS = 200_000
# Files are read this many lines at a time, and the cap is checked after each: a file of tens of millions
# of short lines is refused after its first 200,000 rows, never split into memory as a whole.
_BLOCK_LINES = 10_000
_BLOCK_CHARS = 1 << 16  # at most 32,768 lines of one character: the most a block can overshoot the cap
# XML compresses about tenfold; a workbook that claims to unpack to far more than that is a zip bomb.
XLSX_MAX_EXPANSION = 20
DATETIME_TEXT = "%Y-%m-%d %H:%M:%S"

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_KNOWN_BINARY = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
)
_DELIMITERS = (",", "\t", ";")
# Excel treats a cell that starts with one of these as a formula (OWASP "CSV injection").
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(slots=True)
class TableRow:
    """One data row; ``number`` is the row number a spreadsheet program shows (the header is row 1).

    ``cells`` are stripped text, one per header. Not frozen: that would triple the cost of building 100,000.
    """

    number: int
    cells: list[str]


@dataclass(slots=True)
class Table:
    """A sheet's header row and the non-empty rows under it."""

    headers: list[str]
    rows: list[TableRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A spreadsheet row that was not taken, with every reason found for it."""

    row: int
    faults: tuple[Fault, ...]

    @property
    def reason(self) -> str:
        return self.render()

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        return "; ".join(fault.render(translate) for fault in self.faults)


class MissingColumns(Unprocessable):
    """The header row lacks columns that an import needs; ``missing`` names them."""

    def __init__(self, missing: Sequence[str], labels: Sequence[str]) -> None:
        self.missing = list(missing)
        super().__init__(
            N_("The file has no column for: %(columns)s. Choose the column that holds each, or export the file again."),
            columns=", ".join(labels),
        )


class TooManyRows(TooLarge):
    """More data rows than an import takes at once; ``limit`` names the cap."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            N_("The file has more than %(limit)s rows; at most %(limit)s rows can be imported at once. Split it."),
            limit=f"{limit:,}",
        )


def header_key(header: str) -> str:
    """The form a header is compared in: no spaces or BOM, ASCII brackets, lower case ('价格（元）' → '价格(元)')."""
    text = header.replace("\ufeff", "").replace("（", "(").replace("）", ")")
    return "".join(text.split()).lower()


def read_table(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES, max_rows: int = MAX_ROWS) -> Table:
    """An uploaded CSV (UTF-8 with or without BOM, GB18030/GBK, UTF-16 with BOM) or XLSX file as text cells.

    The content decides the format, not the name. Cells are stripped, fully empty rows dropped, and
    columns right of the last named header ignored. More than ``max_rows`` data rows is ``TooManyRows``,
    found while reading: the file is read a block of lines at a time and never held as one list of lines.
    """
    if len(data) > max_bytes:
        raise TooLarge(
            N_("The file is %(size)s MB; at most %(limit)s MB can be read."),
            size=_megabytes(len(data)),
            limit=_megabytes(max_bytes),
        )
    if not data or data.isspace():  # (not data.strip(): that would copy the whole file)
        raise Unprocessable(N_("The file %(name)s is empty."), name=filename)
    if data.startswith(_ZIP_MAGIC):
        return _xlsx_table(data, filename, max_bytes, max_rows)
    if data.startswith(_OLE2_MAGIC):
        raise Unprocessable(
            N_(
                "%(name)s is an old Excel 97-2003 (.xls) or password-protected workbook. "
                "Save it as .xlsx without a password, or as CSV, and upload that."
            ),
            name=filename,
        )
    for magic, kind in _KNOWN_BINARY:
        if data.startswith(magic):
            raise Unprocessable(
                N_("%(name)s is %(kind)s, not a spreadsheet. Upload a CSV or .xlsx file."), name=filename, kind=kind
            )
    text = _decode(data, filename)
    with cyclic_gc_paused():
        return _table_from_blocks(_csv_blocks(text), max_rows)


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """For building hundreds of thousands of objects at once (a table, its parsed lines).

    The cyclic collector would otherwise run over and over, each time rescanning every live object,
    the growing table included; nothing built this way forms a cycle, so reference counting frees it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def _decode(data: bytes, filename: str) -> str:
    if data.startswith(_UTF16_BOMS):
        # Excel's "Unicode text" save: UTF-16 with a BOM, which leaves no doubt about the encoding.
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        # utf-8-sig takes the BOM off when there is one; GB18030 has a BOM of its own, taken off by hand.
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding).removeprefix("\ufeff")
            except UnicodeDecodeError:
                pass
    raise Unprocessable(
        N_(
            "%(name)s is neither a text file in UTF-8 or GB18030/GBK nor an .xlsx workbook. "
            "Save it as CSV (UTF-8) or .xlsx and upload it again."
        ),
        name=filename,
    )


def _sniff_delimiter(text: str) -> str:
    # The header line decides: data cells (addresses, product names) may hold commas, headers hardly ever.
    # Only the head of the file is split: the header is in it, and splitting all of it would cost time.
    for line in text[:65536].splitlines():
        if line.strip():
            counts = {delimiter: line.count(delimiter) for delimiter in _DELIMITERS}
            best = max(_DELIMITERS, key=lambda d: counts[d])
            return best if counts[best] else ","
    return ","


def _csv_blocks(text: str) -> Iterator[list[list[str]]]:
    """The file's records, a block of lines at a time."""
    delimiter = _sniff_delimiter(text)
    if '"' not in text:
        # Without a quote character CSV is plain splitting, and str.split is about twice as fast as csv.reader.
        # The line ends are csv's own: \r\n, \n or a lone \r.
        if "\r" not in text:
            end = "\n"
        elif text.count("\r") == text.count("\r\n") == text.count("\n"):  # \r\n throughout
            end = "\r\n"
        else:
            text, end = text.replace("\r\n", "\n").replace("\r", "\n"), "\n"
        start = 0
        while start <= len(text):
            stop = text.find(end, start + _BLOCK_CHARS)
            if stop < 0:
                stop = len(text)
            yield [line.split(delimiter) for line in text[start:stop].split(end)]
            start = stop + len(end)
        return
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        while block := list(islice(reader, _BLOCK_LINES)):
            yield block
    except csv.Error as exc:
        raise Unprocessable(
            N_("The CSV file is damaged near line %(line)s: %(problem)s."), line=reader.line_num, problem=str(exc)
        ) from exc


def _xlsx_table(data: bytes, filename: str, max_bytes: int, max_rows: int) -> Table:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise Unprocessable(N_("%(name)s is a damaged ZIP or .xlsx file."), name=filename) from exc
    if "xl/workbook.xml" not in names:
        raise Unprocessable(
            N_("%(name)s is a ZIP archive but not an Excel .xlsx workbook. Unzip it and upload the file inside."),
            name=filename,
        )
    if unpacked > max_bytes * XLSX_MAX_EXPANSION:
        raise TooLarge(
            N_("The workbook unpacks to %(size)s MB; at most %(limit)s MB can be read."),
            size=_megabytes(unpacked),
            limit=_megabytes(max_bytes * XLSX_MAX_EXPANSION),
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises a zoo of KeyError/ValueError/XML errors on broken parts
        raise Unprocessable(N_("%(name)s is a damaged Excel workbook."), name=filename) from exc
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise Unprocessable(N_("%(name)s has no worksheet."), name=filename)
        # The sheet that was open when the file was saved is the one its author means.
        sheet = workbook.active if workbook.active in sheets else sheets[0]
        # Some generators write a wrong <dimension>; trusting it would cut columns off.
        sheet.reset_dimensions()
        # read_only: openpyxl parses the sheet's XML as the rows are asked for.
        records = ([_cell_text(value) for value in row] for row in sheet.iter_rows(min_row=1, values_only=True))
        try:
            return _table_from_blocks(iter(lambda: list(islice(records, _BLOCK_LINES)), []), max_rows)
        except DomainError:
            raise
        except Exception as exc:
            raise Unprocessable(N_("%(name)s is a damaged Excel workbook."), name=filename) from exc
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """A cell value as the text a person reading the sheet would type for it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, datetime):
        return value.strftime(DATETIME_TEXT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _float_text(value: float) -> str:
    # Through the shortest repr, never binary arithmetic: 39.9 stays '39.9', not '39.899999999999999'.
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    exact = Decimal(repr(value))
    if value.is_integer():
        # Beyond 15 digits a spreadsheet number has lost digits; keeping the E-notation it shows
        # ('6.93E+18') lets an importer see that instead of trusting invented zeros.
        return str(exact.normalize())
    return format(exact, "f")


def _table_from_blocks(blocks: Iterable[list[list[str]]], max_rows: int) -> Table:
    """The header row (the first with any text) and the non-empty rows under it, block by block; more than
    ``max_rows`` rows stops the read at the end of the block that passed it."""
    strip = str.strip
    headers: list[str] | None = None
    rows: list[TableRow] = []
    before = 0  # the spreadsheet row number of the line before the block
    for block in blocks:
        start = 0
        if headers is None:
            found = next((i for i, record in enumerate(block) if any(map(strip, record))), None)
            if found is None:
                before += len(block)
                continue
            headers = [header.replace("\ufeff", "") for header in map(strip, block[found])]
            start = found + 1
        # One comprehension for the block's rows, whatever their width; the odd ones are fixed at the end.
        rows.extend(
            [
                TableRow(number, cells)
                for number, cells in enumerate(
                    (list(map(strip, record)) for record in block[start:]), start=before + start + 1
                )
                if any(cells)
            ]
        )
        before += len(block)
        if len(rows) > max_rows:
            raise TooManyRows(max_rows)
    if headers is None:
        raise Unprocessable(N_("The file has no header row."))
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    if any(len(row.cells) != width for row in rows):
        rows = [row for row in map(_fit_width, rows, repeat(width)) if any(row.cells)]
    return Table(headers=headers, rows=rows)


def _fit_width(row: TableRow, width: int) -> TableRow:
    cells = row.cells[:width]
    cells.extend([""] * (width - len(cells)))
    return TableRow(row.number, cells)


def safe_cell(value: object) -> str:
    """A value as export text that Excel/WPS will show as text, never run as a formula.

    Text starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe, the OWASP
    advice. That includes text such as '-12.50': a carve-out for "looks like a number" is one more
    parser that has to agree with Excel's, and buyer-typed text is untrusted. Numbers that are
    numbers (int, Decimal, float) are not text and stay readable, negative or not; so pass amounts
    as numbers, e.g. ``Decimal(fen_to_yuan_text(fen))``, not as strings.
    Aware datetimes are shown in Beijing time.
    """
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = to_local(value)
    if value is None or isinstance(value, bool | int | float | Decimal | date | time):
        return _cell_text(value)
    text = str(value)
    # Leading spaces do not stop every spreadsheet program from reading a formula.
    if text.startswith(_FORMULA_TRIGGERS) or text.lstrip(" \u3000\u00a0").startswith(_FORMULA_TRIGGERS):
        return "'" + text
    return text


def write_csv(headers: Sequence[object], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV export in UTF-8 with BOM (so Excel on Chinese Windows does not guess GBK), CRLF line ends."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(header) for header in headers])
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def write_xlsx(headers: Sequence[object], rows: Iterable[Sequence[object]], sheet_title: str = "Sheet1") -> bytes:
    """An .xlsx export (openpyxl write-only): text through ``safe_cell``, numbers as number cells."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(sheet_title))
    sheet.append([_xlsx_value(header) for header in headers])
    for row in rows:
        sheet.append([_xlsx_value(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: object) -> object:
    if isinstance(value, bool | int | float | Decimal):
        return value
    # openpyxl would store a string starting with '=' as a formula, and refuses control characters.
    return ILLEGAL_CHARACTERS_RE.sub("", safe_cell(value))


def _sheet_title(title: str) -> str:
    # Excel's own limits: 31 characters, none of []:*?/\ .
    cleaned = _SHEET_TITLE_FORBIDDEN.sub(" ", title).strip().strip("'")[:31]
    return cleaned or "Sheet1"
