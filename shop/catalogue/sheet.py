"""The product spreadsheet import: which columns it reads, what each cell must hold, and the blank template.

Pure: it checks rows and says what is wrong with each; creating the products is the catalogue service's job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from shop.errors import N_
from shop.money import MoneyFormatError, parse_yuan
from shop.tabular import Fault, MissingColumns, RowProblem, Table, header_key, write_csv, write_xlsx

# Category code → the Chinese name the template and pages use.
CATEGORIES: dict[str, str] = {
    "grain": "粮食",
    "mushroom": "菌菇",
    "mountain": "山货",
    "craft": "手工艺",
    "other": "其他",
}
_CATEGORY_WORDS = {header_key(word): code for code, word in CATEGORIES.items()} | {code: code for code in CATEGORIES}
_CATEGORY_WORDS["其它"] = "other"

# Field → accepted header names; the first is the template's header and names the column in messages.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("名称", "商品名称", "品名", "name"),
    "category": ("分类", "类别", "category"),
    "unit": ("单位", "unit"),
    "price": ("价格(元)", "价格", "单价", "售价", "price", "price(yuan)", "price_yuan"),
    "merchant_code": ("商家编码", "merchant_code", "merchant code"),
    "description": ("描述", "商品描述", "description"),
    "story": ("产地故事", "故事", "story"),
    "heritage": ("非遗", "heritage"),
    "low_stock": ("低库存提醒", "low_stock", "low stock"),
}
REQUIRED_COLUMNS = ("name", "unit", "price")

NAME_MAX_CHARS = 100
UNIT_MAX_CHARS = 8
TEXT_MAX_CHARS = 5000
MERCHANT_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_YES = frozenset({"是", "yes", "y", "1", "true"})
_NO = frozenset({"否", "no", "n", "0", "false", ""})
_NOT_ONE_OF = N_("%(column)s %(value)s is not one of %(choices)s.")
# The apostrophe Excel users type to keep a code as text is not part of the code.
_TEXT_MARKERS = "'\t"


@dataclass(frozen=True, slots=True)
class ProductRow:
    """A sheet row that passed every check, ready to become a product (``category`` is the English code)."""

    row: int
    name: str
    category: str
    unit: str
    price_fen: int
    merchant_code: str | None
    description: str
    story: str
    heritage: bool
    low_stock: int


@dataclass(slots=True)
class ProductSheet:
    """The rows to create and the rows refused, each with every fault it has."""

    rows: list[ProductRow] = field(default_factory=list)
    rejected: list[RowProblem] = field(default_factory=list)
    # Headers the import does not know; their cells are not read.
    ignored_columns: list[str] = field(default_factory=list)


def _column_of(headers: list[str]) -> dict[str, int]:
    keys: dict[str, int] = {}
    for index, header in enumerate(headers):
        if header:
            keys.setdefault(header_key(header), index)
    found: dict[str, int] = {}
    for name, aliases in COLUMNS.items():
        for alias in aliases:
            column = keys.get(header_key(alias))
            if column is not None:
                found[name] = column
                break
    missing = [name for name in REQUIRED_COLUMNS if name not in found]
    if missing:
        raise MissingColumns(missing, [f"{COLUMNS[name][0]} ({name})" for name in missing])
    return found


def parse_product_sheet(table: Table) -> ProductSheet:
    """Every row checked; a row with faults is rejected with all of them named, the rest become ``ProductRow``.

    A blank 分类 means 其他 (other); a blank 低库存提醒 means 0; a blank 非遗 means no. 商家编码 is
    optional but must be unique within the file: every row sharing one is rejected, since which of them
    the code belongs to is the secretary's call.
    """
    column = _column_of(table.headers)
    used = set(column.values())
    sheet = ProductSheet(ignored_columns=[h for i, h in enumerate(table.headers) if h and i not in used])
    # Messages name a column the way the file's own header does.
    label = {name: table.headers[index] for name, index in column.items()}

    # Checked first, accepted after: a duplicate 商家编码 is only known once the whole file was read.
    checked = [
        _check_row(row.number, {name: row.cells[index].strip() for name, index in column.items()}, label)
        for row in table.rows
    ]
    code_rows: dict[str, list[int]] = {}
    for product, _ in checked:
        if product.merchant_code:
            code_rows.setdefault(product.merchant_code, []).append(product.row)
    for product, faults in checked:
        sharing = code_rows.get(product.merchant_code or "", [])
        if len(sharing) > 1:
            others = ", ".join(str(number) for number in sharing if number != product.row)
            faults.append(
                Fault(
                    N_("%(column)s %(value)s is also used in row %(rows)s; each product needs its own."),
                    {"column": label["merchant_code"], "value": product.merchant_code, "rows": others},
                )
            )
        if faults:
            sheet.rejected.append(RowProblem(product.row, tuple(faults)))
        else:
            sheet.rows.append(product)
    return sheet


def _check_row(number: int, cells: Mapping[str, str], label: Mapping[str, str]) -> tuple[ProductRow, list[Fault]]:
    """The row as a product, and every fault found in it (the product is only used when there are none).

    ``label`` names each field's column as the file's header does, so a message points at the right one.
    """
    check = _RowCheck(cells, label)
    product = ProductRow(  # the fields are read in the columns' order, so the faults come in that order too
        row=number,
        name=check.name(),
        category=check.category(),
        unit=check.unit(),
        price_fen=check.price_fen(),
        merchant_code=check.merchant_code(),
        description=check.long_text("description"),
        story=check.long_text("story"),
        heritage=check.heritage(),
        low_stock=check.low_stock(),
    )
    return product, check.faults


class _RowCheck:
    """Reads one field of a row at a time; what is wrong goes to ``faults`` and a harmless value is used."""

    def __init__(self, cells: Mapping[str, str], label: Mapping[str, str]) -> None:
        self.cells = cells
        self.label = label
        self.faults: list[Fault] = []

    def _fault(self, message: str, name: str, **params: object) -> None:
        self.faults.append(Fault(message, {"column": self.label.get(name, COLUMNS[name][0]), **params}))

    def name(self) -> str:
        name = self.cells.get("name", "")
        if not name:
            self._fault(N_("%(column)s is empty."), "name")
        elif len(name) > NAME_MAX_CHARS:
            self._fault(N_("%(column)s is longer than %(limit)s characters."), "name", limit=NAME_MAX_CHARS)
        return name

    def category(self) -> str:
        text = self.cells.get("category", "")
        category = _CATEGORY_WORDS.get(header_key(text)) if text else "other"
        if category is None:
            self._fault(_NOT_ONE_OF, "category", value=text, choices="/".join(CATEGORIES.values()))
        return category or "other"

    def unit(self) -> str:
        unit = self.cells.get("unit", "")
        if not unit:
            self._fault(N_("%(column)s is empty; write the unit it is sold by, e.g. 斤, 袋, 件."), "unit")
        elif len(unit) > UNIT_MAX_CHARS:
            self._fault(N_("%(column)s is longer than %(limit)s characters."), "unit", limit=UNIT_MAX_CHARS)
        return unit

    def price_fen(self) -> int:
        text = self.cells.get("price", "")
        if not text:
            self._fault(N_("%(column)s is empty."), "price")
            return 0
        try:
            price_fen = parse_yuan(text)
        except MoneyFormatError:
            self._fault(
                N_("%(column)s %(value)s is not an amount of yuan with at most two decimals."), "price", value=text
            )
            return 0
        if price_fen < 0:
            self._fault(N_("%(column)s %(value)s is negative."), "price", value=text)
        elif price_fen == 0:
            self._fault(N_("%(column)s is zero; a product needs a price."), "price")
        return price_fen

    def merchant_code(self) -> str | None:
        text = self.cells.get("merchant_code", "").lstrip(_TEXT_MARKERS).strip()
        if text and not MERCHANT_CODE.fullmatch(text):
            self._fault(
                N_("%(column)s %(value)s may hold only letters, digits, - and _, at most 32 of them."),
                "merchant_code",
                value=text,
            )
            return None
        return text or None

    def long_text(self, field_name: str) -> str:
        text = self.cells.get(field_name, "")
        if len(text) > TEXT_MAX_CHARS:
            self._fault(N_("%(column)s is longer than %(limit)s characters."), field_name, limit=TEXT_MAX_CHARS)
        return text

    def heritage(self) -> bool:
        text = self.cells.get("heritage", "")
        heritage = text.lower() in _YES
        if not heritage and text.lower() not in _NO:
            self._fault(_NOT_ONE_OF, "heritage", value=text, choices="是/否")
        return heritage

    def low_stock(self) -> int:
        text = self.cells.get("low_stock", "")
        if not text:
            return 0
        if text.isdecimal() and len(text) <= 9:
            return int(text)
        self._fault(N_("%(column)s %(value)s is not a whole number of 0 or more."), "low_stock", value=text)
        return 0


TEMPLATE_HEADERS = [aliases[0] for aliases in COLUMNS.values()]
_TEMPLATE_ROWS: list[list[object]] = [
    [
        "朝阳小米",
        "粮食",
        "袋",
        Decimal("39.90"),
        "XM-50",
        "山坡旱地的谷子，石碾去壳，5斤一袋",
        "村里的老品种谷子，不上化肥，秋后晒干再碾。",
        "否",
        10,
    ],
    [
        "剪纸·福字",
        "手工艺",
        "件",
        Decimal("58.00"),
        "JZ-FU",
        "手工剪纸福字，30厘米见方",
        "由市级非遗剪纸项目传承人手工剪成，一张一样。",
        "是",
        0,
    ],
]


def product_template_csv() -> bytes:
    """The import template as CSV (UTF-8 with BOM): the headers and two example rows to overwrite."""
    return write_csv(TEMPLATE_HEADERS, _TEMPLATE_ROWS)


def product_template_xlsx() -> bytes:
    """The import template as an .xlsx workbook."""
    return write_xlsx(TEMPLATE_HEADERS, _TEMPLATE_ROWS, sheet_title="商品")
