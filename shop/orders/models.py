"""Orders, their lines, which lots each line took its units from, status history, idempotency keys,
and the platform-export imports with their holding area."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from advanced_alchemy.base import BigIntAuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.errors import N_


class OrderStatus(enum.StrEnum):
    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


STATUS_LABELS: dict[str, str] = {  # keyed by the enum, read with the stored text (a StrEnum hashes as its value)
    OrderStatus.PLACED: N_("Placed"),
    OrderStatus.PAID: N_("Paid"),
    OrderStatus.SHIPPED: N_("Shipped"),
    OrderStatus.COMPLETED: N_("Completed"),
    OrderStatus.CANCELLED: N_("Cancelled"),
    OrderStatus.REFUNDED: N_("Refunded"),
}


class OrderSource(enum.StrEnum):
    MANUAL = "manual"
    COMMENT = "comment"
    API = "api"
    DOUYIN = "douyin"
    KUAISHOU = "kuaishou"
    WEIXIN = "weixin"


# Units stay taken in these statuses (a cancelled order gave them back to its lots).
HOLDS_STOCK = (
    OrderStatus.PLACED.value,
    OrderStatus.PAID.value,
    OrderStatus.SHIPPED.value,
    OrderStatus.COMPLETED.value,
    OrderStatus.REFUNDED.value,
)


class Order(BigIntAuditBase):
    __tablename__ = "shop_order"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"))
    source: Mapped[str] = mapped_column(String(12))
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)
    stream_id: Mapped[int | None] = mapped_column(ForeignKey("stream.id", ondelete="SET NULL"), default=None)
    status: Mapped[str] = mapped_column(String(12), default=OrderStatus.PLACED.value)
    buyer_name: Mapped[str] = mapped_column(String(50), default="")
    # Personal data: masked on every page and export except the shipping page and the shipping CSV.
    buyer_phone: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    total_fen: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(String(300), default="")
    courier: Mapped[str] = mapped_column(String(30), default="")
    tracking_no: Mapped[str] = mapped_column(String(40), default="")
    # Imported orders take stock but are never refused for it: the shortfall is flagged instead.
    backorder: Mapped[bool] = mapped_column(default=False)
    placed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    shipped_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    completed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    refunded_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), default=None)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id", lazy="selectin"
    )

    __table_args__ = (
        UniqueConstraint("village_id", "source", "external_id", name="uq_order_external"),
        CheckConstraint(
            "status in ('placed', 'paid', 'shipped', 'completed', 'cancelled', 'refunded')", name="order_status_known"
        ),
        CheckConstraint("total_fen >= 0", name="order_total_not_negative"),
        Index("ix_order_village_status", "village_id", "status", "placed_at"),
        Index("ix_order_stream", "stream_id", "id"),
        Index("ix_order_village_placed", "village_id", "placed_at"),
    )


class OrderLine(BigIntAuditBase):
    __tablename__ = "order_line"

    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int]
    unit_price_fen: Mapped[int]
    # An imported line keeps the platform's 子订单编号: re-imports find it by (village, source, line_key).
    line_key: Mapped[str | None] = mapped_column(String(64), default=None)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"))
    source: Mapped[str] = mapped_column(String(12))
    # Units the lots could not cover when it was imported (the order is then a backorder).
    short_quantity: Mapped[int] = mapped_column(default=0)
    # Units refunded after completion (a partial refund keeps the order completed; all of them refunds it).
    refunded_quantity: Mapped[int] = mapped_column(default=0, server_default="0")

    order: Mapped[Order] = relationship(back_populates="lines")
    # Read by query where needed (cancel, reports, crediting): loading them with every order would cost a
    # query per order list for rows no page shows. The database deletes them with their line.
    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="line", order_by="Allocation.id", lazy="raise", passive_deletes=True
    )

    __table_args__ = (
        UniqueConstraint("village_id", "source", "line_key", name="uq_order_line_key"),
        CheckConstraint("quantity > 0", name="line_quantity_positive"),
        CheckConstraint("unit_price_fen >= 0", name="line_price_not_negative"),
        CheckConstraint("short_quantity >= 0 and short_quantity <= quantity", name="line_short_within_quantity"),
        CheckConstraint(
            "refunded_quantity >= 0 and refunded_quantity <= quantity", name="line_refunded_within_quantity"
        ),
    )


class Allocation(BigIntAuditBase):
    """Units of an order line taken from one lot (oldest lots first); a cancel gives them back here."""

    __tablename__ = "allocation"

    line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int]
    # the line's village: every table that grows with sales carries it (docs/scale.md)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"))

    line: Mapped[OrderLine] = relationship(back_populates="allocations")

    __table_args__ = (
        CheckConstraint("quantity > 0", name="allocation_positive"),
        Index("ix_allocation_village_lot", "village_id", "lot_id"),
    )


class StatusChange(BigIntAuditBase):
    """Who moved an order, from what to what, and when (the audit trail)."""

    __tablename__ = "order_status_change"

    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(12), default=None)
    to_status: Mapped[str] = mapped_column(String(12))
    actor_kind: Mapped[str] = mapped_column(String(12), default="user")  # user, system, import
    actor_id: Mapped[int | None] = mapped_column(default=None)
    at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    note: Mapped[str] = mapped_column(String(200), default="")
    # the order's village: the audit trail reads a village's latest changes by (village_id, at, id)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"))

    __table_args__ = (Index("ix_order_status_change_village_at", "village_id", "at", "id"),)


class IdempotencyRecord(BigIntAuditBase):
    """The first answer to a POST with an ``Idempotency-Key``; a replay gets it again."""

    __tablename__ = "idempotency_record"

    owner: Mapped[str] = mapped_column(String(40))  # "u:12" / "h:5": keys are per caller
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("owner", "key", name="uq_idempotency_owner_key"),)


class ImportStatus(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class OrderImport(BigIntAuditBase):
    """One upload of a platform's order export: its progress and what it did."""

    __tablename__ = "order_import"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), index=True)
    platform: Mapped[str] = mapped_column(String(12))
    filename: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default=ImportStatus.RUNNING.value)
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    held: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    error: Mapped[str] = mapped_column(String(1000), default="")
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class HeldLine(BigIntAuditBase):
    """An export line that could not be matched to a product: kept with its reason, never dropped."""

    __tablename__ = "held_line"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), index=True)
    platform: Mapped[str] = mapped_column(String(12))
    order_no: Mapped[str] = mapped_column(String(64))
    line_key: Mapped[str] = mapped_column(String(64))
    product_name: Mapped[str] = mapped_column(String(200), default="")
    merchant_code: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(String(300))
    data: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("order_import.id", ondelete="SET NULL"), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    __table_args__ = (UniqueConstraint("village_id", "platform", "line_key", name="uq_held_line_key"),)


class ProductAlias(BigIntAuditBase):
    """How a platform names one of our products (its merchant code or title), mapped once by a secretary."""

    __tablename__ = "product_alias"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"))
    platform: Mapped[str] = mapped_column(String(12))
    alias: Mapped[str] = mapped_column(String(200))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))

    __table_args__ = (UniqueConstraint("village_id", "platform", "alias", name="uq_product_alias"),)


class ColumnMappingRecord(BigIntAuditBase):
    """A secretary's column mapping for a platform whose export headers were not recognised."""

    __tablename__ = "export_column_mapping"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"))
    platform: Mapped[str] = mapped_column(String(12))
    mapping: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)

    __table_args__ = (UniqueConstraint("village_id", "platform", name="uq_export_mapping"),)
