"""JSON shapes for placing and reading orders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from shop.orders.models import Order
from shop.orders.placing import PlacedOrder
from shop.privacy import mask_address, mask_phone
from shop.web.params import DbId

SourceName = Literal["manual", "comment", "api", "douyin", "kuaishou", "weixin"]


class ItemIn(msgspec.Struct, forbid_unknown_fields=True):
    product_id: DbId
    quantity: Annotated[int, msgspec.Meta(ge=1, le=10_000)]


class OrderIn(msgspec.Struct, forbid_unknown_fields=True):
    items: Annotated[list[ItemIn], msgspec.Meta(min_length=1, max_length=20)]
    buyer_name: Annotated[str, msgspec.Meta(max_length=50)] = ""
    buyer_phone: Annotated[str, msgspec.Meta(max_length=20)] = ""
    address: Annotated[str, msgspec.Meta(max_length=300)] = ""
    stream_id: DbId | None = None
    source: SourceName = "api"
    external_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    note: Annotated[str, msgspec.Meta(max_length=300)] = ""


class OrderStatusIn(msgspec.Struct, forbid_unknown_fields=True):
    status: Literal["paid", "shipped", "completed", "cancelled", "refunded"]
    tracking_no: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    courier: Annotated[str, msgspec.Meta(max_length=30)] | None = None


class RefundIn(msgspec.Struct, forbid_unknown_fields=True):
    """Units of a completed order the buyer got their money back for (by product)."""

    items: Annotated[list[ItemIn], msgspec.Meta(min_length=1, max_length=20)]
    note: Annotated[str, msgspec.Meta(max_length=100)] = ""


class PlacedItemOut(msgspec.Struct):
    product_id: int
    quantity: int
    unit_price_fen: int


class PlacedOrderOut(msgspec.Struct):
    """The answer to placing an order (the buyer's phone and address masked)."""

    id: int
    source: str
    external_id: str | None
    status: str
    stream_id: int | None
    total_fen: int
    buyer_name: str
    buyer_phone: str
    address: str
    backorder: bool
    placed_at: datetime
    items: list[PlacedItemOut]

    @classmethod
    def of(cls, placed: PlacedOrder) -> PlacedOrderOut:
        return cls(
            id=placed.id,
            source=placed.source,
            external_id=placed.external_id,
            status=placed.status,
            stream_id=placed.stream_id,
            total_fen=placed.total_fen,
            buyer_name=placed.buyer_name,
            buyer_phone=placed.buyer_phone,
            address=placed.address,
            backorder=placed.backorder,
            placed_at=placed.placed_at,
            items=[PlacedItemOut(i.product_id, i.quantity, i.unit_price_fen) for i in placed.items],
        )


class ItemOut(msgspec.Struct):
    product_id: int
    quantity: int
    unit_price_fen: int
    refunded_quantity: int = 0


class OrderOut(msgspec.Struct):
    id: int
    village_id: int
    source: str
    external_id: str | None
    status: str
    stream_id: int | None
    total_fen: int
    buyer_name: str
    buyer_phone: str
    address: str
    backorder: bool
    tracking_no: str
    placed_at: datetime
    items: list[ItemOut]

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls(
            id=order.id,
            village_id=order.village_id,
            source=order.source,
            external_id=order.external_id,
            status=order.status,
            stream_id=order.stream_id,
            total_fen=order.total_fen,
            buyer_name=order.buyer_name,
            buyer_phone=mask_phone(order.buyer_phone),
            address=mask_address(order.address),
            backorder=order.backorder,
            tracking_no=order.tracking_no,
            placed_at=order.placed_at,
            items=[ItemOut(li.product_id, li.quantity, li.unit_price_fen, li.refunded_quantity) for li in order.lines],
        )
