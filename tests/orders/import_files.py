"""Small 抖店-shaped exports for the import tests, row by row, and a village stocked with the products
they name (by merchant code)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tests.orders.export_factory import DOUYIN_HEADERS

BUYER_PHONE = "13812345678"


@dataclass
class Row:
    order: str
    line: str
    name: str = "朝阳小米 5kg"
    code: str = "XM-50"
    quantity: int = 1
    price: str = "75.00"
    status: str = "已完成"
    after_sale: str = "-"
    created: str = "2026-10-18 20:05:41"
    paid: str = "2026-10-18 20:06:02"
    completed: str = "2026-10-25 09:12:00"
    tracking: str = "-"

    def cells(self) -> list[Any]:
        values = {
            "主订单编号": f"\t{self.order}",
            "子订单编号": f"\t{self.line}",
            "选购商品": self.name,
            "商品规格": "-",
            "商品数量": self.quantity,
            "商品ID": "\t3700000000000000001",
            "商家编码": self.code,
            "商品金额": self.price,
            "订单应付金额": self.price,
            "运费": "0.00",
            "订单提交时间": self.created,
            "支付完成时间": self.paid,
            "订单完成时间": self.completed if self.status == "已完成" else "-",
            "订单状态": self.status,
            "售后状态": self.after_sale,
            "取消原因": "-",
            "收件人": "张*",
            "省": "辽宁省",
            "市": "沈阳市",
            "区": "和平区",
            "街道": "-",
            "详细地址": "**路**号",
            "快递信息": f"\t{self.tracking}" if self.tracking != "-" else "-",
            "流量体裁": "直播",
            "达人昵称": "从家店村",
            "商家备注": "-",
        }
        return [values[header] for header in DOUYIN_HEADERS]


def export_csv(rows: list[Row], *, encoding: str = "utf-8-sig", headers: list[str] | None = None) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers or DOUYIN_HEADERS)
    for row in rows:
        writer.writerow(row.cells())
    return buffer.getvalue().encode(encoding)


async def stock_product(
    client: Any,
    auth: dict[str, dict[str, str]],
    household_id: int,
    *,
    name: str = "朝阳小米",
    code: str | None = "XM-50",
    lots: tuple[int, ...] = (5, 10),
    who: str = "secretary_a",
) -> int:
    """A product with lots received oldest first (9, 3 and 1 days ago)."""
    from shop.timeutil import local_today

    body: dict[str, Any] = {"name": name, "category": "grain", "unit": "袋", "price_fen": 7000}
    if code:
        body["merchant_code"] = code
    product = await client.post("/api/v1/products", json=body, headers=auth[who])
    assert product.status_code in (200, 201), product.text
    product_id = product.json()["id"]
    for days_ago, quantity in zip((9, 3, 1), lots, strict=False):
        lot = await client.post(
            f"/api/v1/products/{product_id}/lots",
            json={
                "quantity": quantity,
                "received_on": (local_today() - timedelta(days=days_ago)).isoformat(),
                "contributions": [{"household_id": household_id, "quantity": quantity}],
            },
            headers=auth[who],
        )
        assert lot.status_code in (200, 201), lot.text
    return int(product_id)


async def upload(
    client: Any,
    headers: dict[str, str],
    data: bytes,
    *,
    platform: str = "douyin",
    name: str = "1760000000_orders.csv",
    **fields: str,
) -> Any:
    return await client.post(
        "/api/v1/orders/import",
        files={"file": (name, data, "text/csv")},
        data={"platform": platform, **fields},
        headers=headers,
    )
