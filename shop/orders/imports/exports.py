"""Platform order exports (抖店, 快手, 视频号/微信小店) read into normalised order lines.

Pure: no database. The importer decides what to create or update from ``ParsedExport``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter

from shop.errors import N_, InvalidInput, Unprocessable
from shop.money import MoneyFormatError, parse_yuan
from shop.tabular import Fault, MissingColumns, RowProblem, Table, cyclic_gc_paused, header_key
from shop.timeutil import local_to_utc

PLATFORMS = ("douyin", "kuaishou", "weixin")

# A saved mapping is field → the header text the secretary picked for it.
ColumnMapping = dict[str, str]

# Field → header names the platforms use, most specific first. The first one names the field in messages.
FIELD_HEADERS: dict[str, tuple[str, ...]] = {
    "order_no": ("主订单编号", "订单编号", "订单号", "订单ID"),
    "line_no": ("子订单编号", "子订单号", "商品订单号"),
    "product_name": ("选购商品", "商品名称", "商品标题", "宝贝标题"),
    "spec": ("商品规格", "规格", "SKU名称", "规格名称"),
    "quantity": ("商品数量", "数量", "购买数量"),
    "merchant_code": ("商家编码", "商品编码", "外部编码", "SKU编码"),
    "unit_price": ("商品金额", "商品单价", "单价"),
    "payable": ("订单应付金额", "实付金额", "实付款", "应付金额"),
    "created_at": ("订单提交时间", "下单时间", "创建时间"),
    "paid_at": ("支付完成时间", "支付时间", "付款时间"),
    "completed_at": ("订单完成时间", "完成时间", "成交时间"),
    "status": ("订单状态", "状态"),
    "after_sale_status": ("售后状态", "退款状态"),
    "buyer_name": ("收件人", "收货人", "收件人姓名"),
    "buyer_phone": ("收件人手机", "联系电话", "收件人电话", "收货人手机号", "收货人电话", "手机号"),
    "province": ("省", "省份"),
    "city": ("市", "城市"),
    "district": ("区", "区县"),
    "street": ("街道",),
    "address_detail": ("详细地址", "收货地址", "收件地址"),
    "tracking_no": ("快递信息", "物流单号", "快递单号", "运单号"),
    "merchant_note": ("商家备注", "卖家备注"),
}
_PRODUCT = "product_name|merchant_code"
REQUIRED_FIELDS = ("order_no", _PRODUCT, "quantity", "status")
# Columns whose text identifies something; Excel's number handling destroys exactly these.
_ID_FIELDS = ("order_no", "line_no", "merchant_code", "tracking_no")

_BLANKS = frozenset({"", "-", "–", "—"})
# What is put around an id to keep a spreadsheet from turning it into a number: a leading tab, an
# apostrophe (ASCII or full-width), or the ="…" formula.
_ID_PREFIXES = "'\t＇=\""
# Guards the database's integer column against a garbled cell; no village sells a million of one thing at once.
MAX_QUANTITY = 1_000_000

# 订单状态 → (status, partially shipped).
_ORDER_STATUSES: dict[str, tuple[str, bool]] = {
    "待支付": ("placed", False),
    "待付款": ("placed", False),
    "待发货": ("paid", False),
    "部分发货": ("paid", True),
    "已发货": ("shipped", False),
    "待收货": ("shipped", False),
    "已完成": ("completed", False),
    "交易成功": ("completed", False),
    "已关闭": ("cancelled", False),
    "已取消": ("cancelled", False),
    "交易关闭": ("cancelled", False),
}
# 微信小店's numeric codes; only for that platform, because other platforms number their states differently.
_WEIXIN_STATUSES: dict[str, tuple[str, bool]] = {
    "10": ("placed", False),
    "20": ("paid", False),
    "21": ("paid", True),
    "30": ("shipped", False),
    "100": ("completed", False),
    "190": ("cancelled", False),
    "200": ("cancelled", False),
    "250": ("cancelled", False),
}
_REFUNDED = "refunded"
_OPEN = "open"
_SETTLED = "settled"
# 售后状态 → outcome. Only money actually returned is a refund: 售后关闭 (closed), 售后已拒绝 (refused),
# 换货成功 (exchanged) and 补寄成功 (re-sent) leave the sale standing.
_AFTER_SALE: dict[str, str] = {
    "无": _SETTLED,
    "无售后": _SETTLED,
    "退款成功": _REFUNDED,
    "退货成功": _REFUNDED,
    "退货退款成功": _REFUNDED,
    "售后中": _OPEN,
    "待商家处理": _OPEN,
    "售后待处理": _OPEN,
    "待收退货": _OPEN,
    "待退货": _OPEN,
    "待买家退货": _OPEN,
    "退款中": _OPEN,
    "售后关闭": _SETTLED,
    "售后已拒绝": _SETTLED,
    "售后拒绝": _SETTLED,
    "换货成功": _SETTLED,
    "补寄成功": _SETTLED,
    "退款关闭": _SETTLED,
    "退款失败": _SETTLED,
}

_E_NOTATION = re.compile(r"^[\t' ]*[+-]?\d+(?:\.\d+)?[eE]\+?\d+[ \t]*$", re.MULTILINE)
# Excel keeps 15 significant digits: a longer number comes back with zeros in place of the rest.
_LOST_DIGITS = re.compile(r"^[\t' ]*\d{15}0+[ \t]*$", re.MULTILINE)
_KEPT_DIGITS = re.compile(r"^[\t' ]*\d{15}\d*[1-9]\d*[ \t]*$", re.MULTILINE)
_EXCEL_TIME = re.compile(r"^\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}", re.MULTILINE)
# Seconds are added to the minute in UTC, which is exact: Asia/Shanghai changes offset (if ever) on the hour.
_SECONDS = {f"{second:02d}": timedelta(seconds=second) for second in range(60)}
_LOOSE_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")


@dataclass(slots=True)
class ExportLine:
    """One order line of an export, cleaned: ids as text, money in fen, times in UTC.

    Not frozen: a frozen dataclass costs ten times as much to build, which shows at 100,000 lines.
    """

    row: int
    order_no: str
    line_no: str
    product_name: str
    spec: str
    merchant_code: str
    quantity: int
    unit_price_fen: int | None
    payable_fen: int | None
    # The line's standing for the importer: 'refunded' when the after-sale refunded it, else ``order_status``.
    status: str
    order_status: str
    refunded: bool
    after_sale_open: bool
    partially_shipped: bool
    created_at: datetime | None
    paid_at: datetime | None
    completed_at: datetime | None
    buyer_name: str
    buyer_phone: str
    address: str
    tracking_no: str
    merchant_note: str
    raw_status: str
    raw_after_sale_status: str
    # True when the file has no 子订单编号 column and ``line_no`` was made from the order number.
    line_no_derived: bool = False


@dataclass(slots=True)
class ParsedExport:
    """What an export holds: the lines to import, the rows refused and why, and the column mapping used."""

    platform: str
    mapping: ColumnMapping
    lines: list[ExportLine] = field(default_factory=list)
    rejected: list[RowProblem] = field(default_factory=list)
    # Rows dropped because a later row of the same file carries the same 子订单编号.
    superseded: list[RowProblem] = field(default_factory=list)


class ExcelMangledIds(Unprocessable):
    """The export went through Excel, which rewrote its long ids; nothing in it can be matched."""

    def __init__(self, example: str, row: int, column: str) -> None:
        self.row = row
        super().__init__(
            N_(
                "This file was opened and saved in Excel, which changed its long numbers (for example %(example)s "
                "in column %(column)s, row %(row)s): their last digits are lost, so the orders cannot be matched. "
                "Nothing was imported. Download the export from the platform again and upload that file as it is, "
                "without opening and saving it in Excel (or open it in Excel only through Data > From Text with "
                "the id columns set to Text)."
            ),
            example=example,
            column=column,
            row=row,
        )


def _requirement_label(requirement: str) -> str:
    if requirement == _PRODUCT:
        return f"{FIELD_HEADERS['product_name'][0]} / {FIELD_HEADERS['merchant_code'][0]} (product)"
    return f"{FIELD_HEADERS[requirement][0]} ({requirement})"


def detect_mapping(headers: Sequence[str], platform: str, saved: Mapping[str, str] | None = None) -> ColumnMapping:
    """Which header holds each field: the secretary's saved choices first, then the known header names.

    Raises ``MissingColumns`` naming every required field it cannot place.
    """
    _check_platform(platform)
    by_key: dict[str, str] = {}
    for header in headers:
        if header:
            by_key.setdefault(header_key(header), header)
    mapping: ColumnMapping = {}
    for name, header in (saved or {}).items():
        if name not in FIELD_HEADERS:
            raise InvalidInput("mapping", N_("%(name)s is not a field of an order export."), name=name)
        # A saved choice whose column this file lacks falls back to the known names below.
        found = by_key.get(header_key(header))
        if found is not None:
            mapping[name] = found
    for name, aliases in FIELD_HEADERS.items():
        if name not in mapping:
            for alias in aliases:
                found = by_key.get(header_key(alias))
                if found is not None:
                    mapping[name] = found
                    break
    missing = [
        requirement
        for requirement in REQUIRED_FIELDS
        if not (
            "product_name" in mapping or "merchant_code" in mapping
            if requirement == _PRODUCT
            else requirement in mapping
        )
    ]
    if missing:
        raise MissingColumns(missing, [_requirement_label(requirement) for requirement in missing])
    return mapping


def _check_platform(platform: str) -> None:
    if platform not in PLATFORMS:
        raise InvalidInput("platform", N_("Unknown platform %(platform)s."), platform=platform)


def clean_id(value: str) -> str:
    """An id cell as the id: no Excel text markers (leading tab or apostrophe, ="…"), no blank markers."""
    value = value.strip().lstrip(_ID_PREFIXES).rstrip('"').strip()
    return "" if value in _BLANKS else value


def parse_beijing_time(value: str) -> datetime | None:
    """'2026-10-18 20:05:41', '2026/10/18 20:05' or '2026-10-18T20:05:41' in Beijing time → aware UTC.

    Blank is None; anything else raises ``ValueError``.
    """
    original = value = value.strip()
    if value in _BLANKS:
        return None
    if "/" in value:
        value = value.replace("/", "-")
    local: datetime | None = None
    # fromisoformat is the fast path for the platforms' own format; the regex takes Excel's unpadded one.
    if len(value) >= 16 and value[10] in " T":
        try:
            local = datetime.fromisoformat(value)
        except ValueError:
            local = None
    if local is None:
        match = _LOOSE_TIME.fullmatch(value)
        if match is None:
            raise ValueError(f"not a date and time: {original!r}")
        year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
        try:
            local = datetime(year, month, day, hour, minute, second)
        except ValueError as exc:
            raise ValueError(f"not a date and time: {original!r}") from exc
    return local_to_utc(local)


def _refuse_excel_damage(id_columns: Mapping[str, Sequence[str]], table: Table, mapping: Mapping[str, str]) -> None:
    """Refuses the whole file when Excel has rewritten its ids; a partial import would mis-match orders."""
    for name, values in id_columns.items():
        text = "\n".join(values)
        # A cheap substring test first spares the regex in the usual, clean case.
        if ("E+" in text or "e+" in text) and _E_NOTATION.search(text):
            _raise_mangled(values, _E_NOTATION, table, mapping[name])
    for name in ("order_no", "line_no"):
        values = id_columns.get(name) or ()
        if not values:
            continue
        # Real ids end in zeros now and then; every long one doing so is Excel's 15-digit cut.
        lost = any(value.endswith("0") and _LOST_DIGITS.match(value) for value in values)
        if lost and not any(_KEPT_DIGITS.match(value) for value in values) and _shows_excel_elsewhere(table):
            _raise_mangled(values, _LOST_DIGITS, table, mapping[name])


def _raise_mangled(values: Sequence[str], pattern: re.Pattern[str], table: Table, column: str) -> None:
    index, value = next((i, value) for i, value in enumerate(values) if pattern.search(value))
    raise ExcelMangledIds(value.strip(), table.rows[index].number, column)


def _shows_excel_elsewhere(table: Table) -> bool:
    """Excel's other fingerprints: any cell in E-notation, or times rewritten as 2026/10/18 20:05."""
    text = "\n".join(["\n".join(row.cells) for row in table.rows])
    return bool(_E_NOTATION.search(text) or _EXCEL_TIME.search(text))


def _money_or_fault(text: str, column: str) -> int | Fault | None:
    if text in _BLANKS:
        return None
    try:
        fen = parse_yuan(text)
    except MoneyFormatError:
        return Fault(N_("%(column)s %(value)s is not an amount of yuan."), {"column": column, "value": text})
    if fen < 0:
        return Fault(N_("%(column)s %(value)s is negative."), {"column": column, "value": text})
    return fen


class _RegionHeads(dict[tuple[str, str, str, str], str]):
    """省, 市, 区, 街道 → their joined text; the few distinct regions of a file are joined once each."""

    def __missing__(self, region: tuple[str, str, str, str]) -> str:
        parts: list[str] = []
        for part in region:
            # Municipalities repeat themselves: 省 北京市, 市 北京市.
            if part not in _BLANKS and (not parts or parts[-1] != part):
                parts.append(part)
        head = self[region] = "".join(parts)
        return head


class _MinutesInUtc(dict[str, "datetime | None"]):
    """'2026-10-18 20:05' (Beijing) → that minute in UTC, or None when it is no time; each minute converted once."""

    def __missing__(self, minute: str) -> datetime | None:
        try:
            value = local_to_utc(datetime.fromisoformat(minute.replace("/", "-")))
        except ValueError:
            value = None
        self[minute] = value
        return value


def parse_export(table: Table, platform: str, mapping: Mapping[str, str] | None = None) -> ParsedExport:
    """The export's rows as order lines, with every row it could not take and why.

    ``mapping`` is a saved column choice; known header names fill the rest. Raises ``MissingColumns``
    when required fields have no column and ``ExcelMangledIds`` when Excel rewrote the ids.
    When a file has no 子订单编号 column, a line is numbered ``<order>-<k>``, its k-th row of that order
    in the file: stable across re-exports that list an order's lines in the same order, which a file
    row number (shifting with every other order in the export) would not be.
    """
    used = detect_mapping(table.headers, platform, mapping)
    index_of = {header: i for i, header in reversed(list(enumerate(table.headers)))}
    columns = {name: index_of[header] for name, header in used.items()}
    _refuse_excel_damage(
        {name: [row.cells[columns[name]] for row in table.rows] for name in _ID_FIELDS if name in columns},
        table,
        used,
    )
    with cyclic_gc_paused():
        return _parse_rows(table, platform, used, columns)


def _parse_rows(table: Table, platform: str, used: ColumnMapping, columns: dict[str, int]) -> ParsedExport:
    # A field the file lacks reads the "" appended to each row; cells come stripped from read_table.
    pick = itemgetter(*[columns.get(name, -1) for name in FIELD_HEADERS])
    pad = [""]
    reader = _RowReader(platform, used, derived="line_no" not in columns)
    parsed = ParsedExport(platform=platform, mapping=used)
    by_line: dict[str, ExportLine] = {}
    for row in table.rows:
        line = reader.read(row.number, pick(row.cells + pad))
        if line is None:
            parsed.rejected.append(RowProblem(row.number, reader.faults()))
            # A rejected later row still outdates the earlier one: keeping the stale row would import old facts.
            if reader.line_no and not reader.derived and reader.line_no in by_line:
                _supersede(parsed, by_line.pop(reader.line_no), row.number)
            continue
        earlier = by_line.pop(line.line_no, None)
        if earlier is not None:
            # Exports list a line again after it changed; the later row is the newer state.
            _supersede(parsed, earlier, row.number)
        by_line[line.line_no] = line
    # Rows arrive in order and a superseded line is re-inserted at its later row, so this is row order.
    parsed.lines = list(by_line.values())
    return parsed


class _RowReader:
    """Reads one export row at a time into an ``ExportLine``, or into the faults that refuse it.

    At 100,000 rows a Python call per cell costs seconds, so each step reads its cells inline (ids are
    cleaned with ``clean_id``'s steps) and what repeats across rows is worked out once: each distinct price
    text, each minute of the day, each region of the address.
    """

    def __init__(self, platform: str, used: ColumnMapping, *, derived: bool) -> None:
        self.used = used
        self.derived = derived
        self.statuses = dict(_ORDER_STATUSES)
        if platform == "weixin":
            self.statuses.update(_WEIXIN_STATUSES)
        self.per_order: dict[str, int] = {}
        self.minutes = _MinutesInUtc()
        self.heads = _RegionHeads()
        self.prices: dict[str, int | Fault | None] = {}
        self.payables: dict[str, int | Fault | None] = {}
        # One list for all rows, emptied after a rejected one: allocating one per row shows at 100k rows.
        self.problems: list[Fault] = []
        self.line_no = ""

    def faults(self) -> tuple[Fault, ...]:
        faults = tuple(self.problems)
        self.problems.clear()
        return faults

    def read(self, number: int, cells: tuple[str, ...]) -> ExportLine | None:
        """The row's line (cells in FIELD_HEADERS order), or None with its faults waiting in ``faults()``."""
        (
            order_no,
            line_no,
            product_name,
            spec,
            quantity_text,
            merchant_code,
            unit_price_text,
            payable_text,
            created_text,
            paid_text,
            completed_text,
            raw_status,
            raw_after_sale,
            buyer_name,
            buyer_phone,
            province,
            city,
            district,
            street,
            detail,
            tracking_no,
            merchant_note,
        ) = cells
        blanks, prefixes = _BLANKS, _ID_PREFIXES
        order_no, line_no = self._ids(order_no, line_no)
        product_name = "" if product_name in blanks else product_name
        merchant_code = (
            "" if (merchant_code := merchant_code.lstrip(prefixes).rstrip('"').strip()) in blanks else merchant_code
        )
        if not product_name and not merchant_code:
            self.problems.append(Fault(N_("Neither a product name nor a merchant code.")))
        quantity = self._quantity(quantity_text)
        raw_status, state, raw_after_sale, outcome = self._standing(raw_status, raw_after_sale)
        unit_price = self._money(unit_price_text, self.prices, "unit_price")
        payable = self._money(payable_text, self.payables, "payable")
        created_at = self._time(created_text, "created_at")
        paid_at = self._time(paid_text, "paid_at")
        completed_at = self._time(completed_text, "completed_at")
        if self.problems:
            return None
        refunded = outcome == _REFUNDED
        return ExportLine(
            number,
            order_no,
            line_no,
            product_name,
            "" if spec in blanks else spec,
            merchant_code,
            quantity,
            unit_price,
            payable,
            _REFUNDED if refunded else state[0],
            state[0],
            refunded,
            outcome == _OPEN,
            state[1],
            created_at,
            paid_at,
            completed_at,
            "" if buyer_name in blanks else buyer_name,
            "" if (buyer_phone := buyer_phone.lstrip(prefixes).strip()) in blanks else buyer_phone,
            self._address(province, city, district, street, detail),
            "" if (tracking_no := tracking_no.lstrip(prefixes).rstrip('"').strip()) in blanks else tracking_no,
            "" if merchant_note in blanks else merchant_note,
            raw_status,
            raw_after_sale,
            self.derived,
        )

    def _ids(self, order_no: str, line_no: str) -> tuple[str, str]:
        """The order and line numbers without what spreadsheets put around them; a file without 子订单编号
        numbers each order's lines ``<order>-<k>`` in file order."""
        blanks, prefixes = _BLANKS, _ID_PREFIXES
        order_no = "" if (order_no := order_no.lstrip(prefixes).rstrip('"').strip()) in blanks else order_no
        if not order_no:
            self.problems.append(Fault(N_("No order number in %(column)s."), {"column": self.used["order_no"]}))
        if self.derived:
            self.per_order[order_no] = ordinal = self.per_order.get(order_no, 0) + 1
            line_no = f"{order_no}-{ordinal}"
        else:
            line_no = "" if (line_no := line_no.lstrip(prefixes).rstrip('"').strip()) in blanks else line_no
            if not line_no:
                self.problems.append(Fault(N_("No line number in %(column)s."), {"column": self.used["line_no"]}))
        self.line_no = line_no
        return order_no, line_no

    def _quantity(self, text: str) -> int:
        # The length cap keeps int() away from absurdly long digit runs.
        quantity = int(text) if text.isdecimal() and len(text) <= 9 else 0
        if not 0 < quantity <= MAX_QUANTITY:
            self.problems.append(
                Fault(N_("Quantity %(value)s is not a positive whole number."), {"value": text or '""'})
            )
        return quantity

    def _standing(self, raw_status: str, raw_after_sale: str) -> tuple[str, tuple[str, bool], str, str | None]:
        """The order status (and whether partly shipped) and what the after-sale did to the line."""
        raw_status = "" if raw_status in _BLANKS else raw_status
        state = self.statuses.get(raw_status)
        if state is None:
            self.problems.append(Fault(N_("Unknown order status %(value)s."), {"value": raw_status or '""'}))
            state = ("", False)
        raw_after_sale = "" if raw_after_sale in _BLANKS else raw_after_sale
        outcome = _AFTER_SALE.get(raw_after_sale, _SETTLED if not raw_after_sale else None)
        if outcome is None:
            # An after-sale state we do not know might be a refund; guessing either way would misstate money.
            self.problems.append(Fault(N_("Unknown after-sale status %(value)s."), {"value": raw_after_sale}))
        return raw_status, state, raw_after_sale, outcome

    def _money(self, text: str, seen: dict[str, int | Fault | None], name: str) -> int | None:
        # Prices repeat across thousands of rows: each distinct text of a column is parsed once.
        fen = seen[text] if text in seen else seen.setdefault(text, _money_or_fault(text, self.used.get(name, "")))
        if isinstance(fen, Fault):
            self.problems.append(fen)
            return None
        return fen

    def _time(self, text: str, name: str) -> datetime | None:
        # The platforms' own 'YYYY-MM-DD HH:MM:SS': its minute converted once, the seconds added in UTC.
        if len(text) == 19 and text[16] == ":":
            second = _SECONDS.get(text[17:])
            if second is not None:
                base = self.minutes[text[:16]]
                if base is not None:
                    return base + second
        # Anything else: Excel's 2026/10/18 20:05, blanks, garbage.
        if text in _BLANKS:
            return None
        try:
            return parse_beijing_time(text)
        except ValueError:
            self.problems.append(
                Fault(N_("%(column)s %(value)s is not a date and time."), {"column": self.used[name], "value": text})
            )
            return None

    def _address(self, province: str, city: str, district: str, street: str, detail: str) -> str:
        head = self.heads[(province, city, district, street)]
        if detail in _BLANKS:
            return head
        if detail.startswith(head) or (province not in _BLANKS and detail.startswith(province)):
            # Some exports put the whole address in 详细地址 already; the others get the region in front.
            return detail
        return head + detail


def _supersede(parsed: ParsedExport, earlier: ExportLine, later_row: int) -> None:
    fault = Fault(
        N_("Line %(line)s appears again in row %(later)s; the later row counts."),
        {"line": earlier.line_no, "later": later_row},
    )
    parsed.superseded.append(RowProblem(earlier.row, (fault,)))
