"""Livestreams, their guests and their lineup (货盘)."""

from __future__ import annotations

import enum
from datetime import datetime

from advanced_alchemy.base import BigIntAuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.catalogue.models import Product
from shop.errors import N_


class Platform(enum.StrEnum):
    DOUYIN = "douyin"
    KUAISHOU = "kuaishou"
    WEIXIN = "weixin"
    TAOBAO = "taobao"
    OTHER = "other"


class StreamStatus(enum.StrEnum):
    PLANNED = "planned"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


STATUS_LABELS: dict[str, str] = {  # keyed by the enum, read with the stored text (a StrEnum hashes as its value)
    StreamStatus.PLANNED: N_("Planned"),
    StreamStatus.LIVE: N_("Live"),
    StreamStatus.ENDED: N_("Ended"),
    StreamStatus.CANCELLED: N_("Cancelled"),
}


class Guest(BigIntAuditBase):
    __tablename__ = "guest"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(100), default="")  # e.g. 市级非遗剪纸项目传承人
    craft: Mapped[str] = mapped_column(String(50), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    photo_thumb: Mapped[str | None] = mapped_column(String(200), default=None)
    photo_display: Mapped[str | None] = mapped_column(String(200), default=None)
    active: Mapped[bool] = mapped_column(default=True)


class Stream(BigIntAuditBase):
    __tablename__ = "stream"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(12))
    starts_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    host_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=StreamStatus.PLANNED.value)
    practice: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    # Weekly market-day streams created together share a series id.
    series_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    opening_minutes: Mapped[int] = mapped_column(default=5)
    closing_minutes: Mapped[int] = mapped_column(default=5)
    # The lineup item on screen now. A plain id (no foreign key: stream and lineup would reference each
    # other); the service clears it whenever the lineup changes.
    pinned_item_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    went_live_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Bumped on every change the live board shows, so watchers in any worker notice it.
    revision: Mapped[int] = mapped_column(default=0)

    guests: Mapped[list[StreamGuest]] = relationship(
        back_populates="stream", cascade="all, delete-orphan", order_by="StreamGuest.position", lazy="selectin"
    )
    lineup: Mapped[list[LineupItem]] = relationship(
        back_populates="stream",
        cascade="all, delete-orphan",
        order_by="LineupItem.position",
        lazy="selectin",
        foreign_keys="LineupItem.stream_id",
    )

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="stream_ends_after_start"),
        CheckConstraint("status in ('planned', 'live', 'ended', 'cancelled')", name="stream_status_known"),
        CheckConstraint(
            "platform in ('douyin', 'kuaishou', 'weixin', 'taobao', 'other')", name="stream_platform_known"
        ),
        Index("ix_stream_village_start", "village_id", "starts_at"),
        Index("ix_stream_status_start", "status", "starts_at"),
    )


class StreamGuest(BigIntAuditBase):
    __tablename__ = "stream_guest"

    stream_id: Mapped[int] = mapped_column(ForeignKey("stream.id", ondelete="CASCADE"))
    guest_id: Mapped[int] = mapped_column(ForeignKey("guest.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    planned_minutes: Mapped[int] = mapped_column(default=10)
    topic: Mapped[str] = mapped_column(String(200), default="")

    stream: Mapped[Stream] = relationship(back_populates="guests")
    guest: Mapped[Guest] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (UniqueConstraint("stream_id", "guest_id", name="uq_stream_guest"),)


class LineupItem(BigIntAuditBase):
    __tablename__ = "lineup_item"

    stream_id: Mapped[int] = mapped_column(ForeignKey("stream.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int]
    live_price_fen: Mapped[int | None] = mapped_column(default=None)
    talking_points: Mapped[str] = mapped_column(Text, default="")
    planned_minutes: Mapped[int] = mapped_column(default=8)
    # At most this many units are sold in this stream (the rest of the stock stays for later).
    quantity_cap: Mapped[int | None] = mapped_column(default=None)

    stream: Mapped[Stream] = relationship(back_populates="lineup", foreign_keys=[stream_id])
    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        UniqueConstraint("stream_id", "position", name="uq_lineup_position"),
        CheckConstraint("live_price_fen is null or live_price_fen >= 0", name="live_price_not_negative"),
        CheckConstraint("planned_minutes > 0", name="planned_minutes_positive"),
        CheckConstraint("quantity_cap is null or quantity_cap > 0", name="quantity_cap_positive"),
    )

    @property
    def short_code(self) -> str:
        """What buyers type in comments: A1, A2 … in lineup order."""
        return f"A{self.position}"

    @property
    def price_fen(self) -> int:
        return self.live_price_fen if self.live_price_fen is not None else self.product.price_fen
