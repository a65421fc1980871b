"""Products, their photos, the lots households bring in, and who contributed what to each lot."""

from __future__ import annotations

import enum
from datetime import date
from typing import TYPE_CHECKING

from advanced_alchemy.base import BigIntAuditBase
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from shop.errors import N_
from shop.villages.models import Household


class Category(enum.StrEnum):
    GRAIN = "grain"
    MUSHROOM = "mushroom"
    MOUNTAIN = "mountain"
    CRAFT = "craft"
    OTHER = "other"


CATEGORY_LABELS = {
    Category.GRAIN: N_("Grain"),
    Category.MUSHROOM: N_("Mushrooms"),
    Category.MOUNTAIN: N_("Mountain goods"),
    Category.CRAFT: N_("Handicraft"),
    Category.OTHER: N_("Other"),
}
# What secretaries type in spreadsheets and forms.
CATEGORY_NAMES_ZH = {
    "粮食": Category.GRAIN,
    "菌菇": Category.MUSHROOM,
    "山货": Category.MOUNTAIN,
    "手工艺": Category.CRAFT,
    "其他": Category.OTHER,
}
UNITS = ("斤", "公斤", "袋", "盒", "件", "瓶", "罐", "包", "箱")


class Product(BigIntAuditBase):
    __tablename__ = "product"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(8))
    price_fen: Mapped[int]
    # 商家编码: how platform order exports name the product; unique within a village when given.
    merchant_code: Mapped[str | None] = mapped_column(String(32), default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    story: Mapped[str] = mapped_column(Text, default="")
    heritage: Mapped[bool] = mapped_column(default=False)
    low_stock_threshold: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    if TYPE_CHECKING:
        stock: Mapped[int]  # a column_property assigned below, once Lot exists

    photos: Mapped[list[ProductPhoto]] = relationship(
        back_populates="product",
        cascade="all, delete-orphan",
        order_by="ProductPhoto.position",
        lazy="selectin",
    )

    __table_args__ = (
        UniqueConstraint("village_id", "merchant_code", name="uq_product_village_merchant_code"),
        CheckConstraint("price_fen >= 0", name="price_not_negative"),
        CheckConstraint("low_stock_threshold >= 0", name="threshold_not_negative"),
        CheckConstraint("category in ('grain', 'mushroom', 'mountain', 'craft', 'other')", name="category_known"),
        Index("ix_product_village_active", "village_id", "active"),
    )


class ProductPhoto(BigIntAuditBase):
    __tablename__ = "product_photo"

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    display_path: Mapped[str] = mapped_column(String(200))
    thumb_path: Mapped[str] = mapped_column(String(200))
    width: Mapped[int]
    height: Mapped[int]
    thumb_width: Mapped[int]
    thumb_height: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="photos")


class Lot(BigIntAuditBase):
    """A batch of one product brought in on one day, pooled from one or more households.

    ``remaining`` goes down as orders take units (oldest lots first) and never below zero; the database
    checks it. Contributions never change once units were taken (correct with a new lot instead).
    """

    __tablename__ = "lot"

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), index=True)
    public_code: Mapped[str] = mapped_column(String(16), unique=True)
    received_on: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int]
    remaining: Mapped[int]
    grade: Mapped[str] = mapped_column(String(50), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    # The traceability page names the supplying households (given names only) only when allowed.
    show_names: Mapped[bool] = mapped_column(default=False)
    received_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)
    contributions: Mapped[list[Contribution]] = relationship(
        back_populates="lot", cascade="all, delete-orphan", order_by="Contribution.id", lazy="selectin"
    )

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("remaining >= 0", name="remaining_not_negative"),
        CheckConstraint("remaining <= quantity", name="remaining_within_quantity"),
        # Oldest first: the order write path walks this index.
        Index("ix_lot_product_fifo", "product_id", "received_on", "id"),
    )


class Contribution(BigIntAuditBase):
    """What one household brought to a lot: its share of every sale from that lot."""

    __tablename__ = "contribution"

    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int]
    receipt_no: Mapped[str] = mapped_column(String(32))

    lot: Mapped[Lot] = relationship(back_populates="contributions")
    household: Mapped[Household] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        UniqueConstraint("lot_id", "household_id", name="uq_contribution_lot_household"),
        CheckConstraint("quantity > 0", name="contribution_positive"),
    )


# Stock is the sum of the product's lots' remaining units; loaded with every product, so every page and
# answer that shows a product shows its stock from the same definition.
Product.stock = column_property(
    select(func.coalesce(func.sum(Lot.remaining), 0))
    .where(Lot.product_id == Product.id)
    .correlate_except(Lot)
    .scalar_subquery(),
    # Flushing a product row does not change its lots; keep the loaded figure instead of lazy-loading it.
    expire_on_flush=False,
)
