"""The ceiling for the order benchmark: Litestar under granian answering the same POST /api/v1/orders with
a fixed order, touching no database, checking no token. Nothing that stores orders can beat it on this
machine; loaded beside the peer and ours, it shows how much of the request's cost is the framework's.

Run: granian --interface asgi --port 8102 bench.ceiling_app:app
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar, post


class Item(msgspec.Struct):
    product_id: int | str
    quantity: int


class OrderIn(msgspec.Struct):
    items: list[Item]
    buyer_name: str = ""
    buyer_phone: str = ""
    address: str = ""


@post("/api/v1/orders", status_code=201)
async def create_order(data: OrderIn) -> dict[str, Any]:
    item = data.items[0]
    return {"id": 1, "total_fen": 1990 * item.quantity, "status": "placed"}


app = Litestar([create_order])
