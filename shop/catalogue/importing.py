"""The product spreadsheet import, end to end: read the file, check every row, write all rows or none."""

from __future__ import annotations

import asyncio

from shop import i18n
from shop.accounts.principal import Principal
from shop.catalogue.services import ProductFields, ProductService, ProductSheetOutcome
from shop.catalogue.sheet import parse_product_sheet, product_template_csv, product_template_xlsx
from shop.tabular import read_table


async def import_product_file(
    products: ProductService, actor: Principal, data: bytes, filename: str, *, max_bytes: int
) -> ProductSheetOutcome:
    table = await asyncio.to_thread(read_table, data, filename, max_bytes=max_bytes)
    sheet = parse_product_sheet(table)
    rows = [
        (
            row.row,
            ProductFields(
                name=row.name,
                category=row.category,
                unit=row.unit,
                price_fen=row.price_fen,
                merchant_code=row.merchant_code,
                description=row.description,
                story=row.story,
                heritage=row.heritage,
                low_stock_threshold=row.low_stock,
            ),
        )
        for row in sheet.rows
    ]
    rejected = [(problem.row, problem.render(i18n.translate)) for problem in sheet.rejected]
    return await products.import_rows(actor, rows, rejected)


def product_template(fmt: str) -> tuple[bytes, str]:
    if fmt == "xlsx":
        return product_template_xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return product_template_csv(), "text/csv; charset=utf-8"
