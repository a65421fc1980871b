"""JSON shapes for guests, streams, their lineup and run-of-show."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from shop.privacy import mask_phone
from shop.streams.models import Guest, Stream
from shop.streams.services import GuestSlot, LineupEntry, ShowBlock
from shop.timeutil import SHANGHAI
from shop.web.params import DbId

PlatformName = Literal["douyin", "kuaishou", "weixin", "taobao", "other"]


class GuestIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    title: Annotated[str, msgspec.Meta(max_length=100, examples=["市级非遗剪纸项目传承人"])] = ""
    craft: Annotated[str, msgspec.Meta(max_length=50)] = ""
    bio: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=20)] = ""
    village_id: DbId | None = None


class GuestOut(msgspec.Struct):
    id: int
    village_id: int
    name: str
    title: str
    craft: str
    bio: str
    phone: str

    @classmethod
    def of(cls, guest: Guest, *, masked: bool = True) -> GuestOut:
        phone = mask_phone(guest.phone) if masked else guest.phone
        return cls(guest.id, guest.village_id, guest.name, guest.title, guest.craft, guest.bio, phone)


class LineupIn(msgspec.Struct, forbid_unknown_fields=True):
    product_id: DbId
    live_price_fen: Annotated[int, msgspec.Meta(ge=0, le=100_000_000)] | None = None
    talking_points: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    planned_minutes: Annotated[int, msgspec.Meta(ge=1, le=240)] = 8
    quantity_cap: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None

    def entry(self) -> LineupEntry:
        return LineupEntry(
            self.product_id, self.live_price_fen, self.talking_points, self.planned_minutes, self.quantity_cap
        )


def as_aware(moment: datetime) -> datetime:
    """A time without a zone is Beijing time: that is what the village means by '8 pm'."""
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


class StreamIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    platform: PlatformName
    starts_at: Annotated[datetime, msgspec.Meta(description="ISO 8601; without an offset it is Beijing time")]
    ends_at: datetime
    guest_ids: list[DbId] = []
    lineup: list[LineupIn] = []
    host_user_id: DbId | None = None
    practice: bool = False
    notes: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    repeat_weekly: Annotated[int, msgspec.Meta(ge=1, le=12, description="how many weekly streams to create")] = 1
    village_id: DbId | None = None


class StreamPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only what is sent changes; ``lineup`` and ``guest_ids`` replace the whole list."""

    title: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | UnsetType = UNSET
    platform: PlatformName | UnsetType = UNSET
    starts_at: datetime | UnsetType = UNSET
    ends_at: datetime | UnsetType = UNSET
    guest_ids: list[DbId] | UnsetType = UNSET
    lineup: list[LineupIn] | UnsetType = UNSET
    host_user_id: DbId | UnsetType = UNSET
    practice: bool | UnsetType = UNSET
    notes: Annotated[str, msgspec.Meta(max_length=4000)] | UnsetType = UNSET


class StreamStatusIn(msgspec.Struct, forbid_unknown_fields=True):
    status: Literal["live", "ended", "cancelled"]


class PinIn(msgspec.Struct, forbid_unknown_fields=True):
    item_id: DbId | None = None
    step: Annotated[int, msgspec.Meta(ge=-1, le=1)] = 1


class LineupOut(msgspec.Struct):
    id: int
    product_id: int
    product_name: str
    short_code: str
    price_fen: int
    live_price_fen: int | None
    talking_points: str
    planned_minutes: int
    quantity_cap: int | None
    stock: int


class StreamGuestOut(msgspec.Struct):
    guest_id: int
    name: str
    title: str
    planned_minutes: int


class StreamOut(msgspec.Struct):
    id: int
    village_id: int
    title: str
    platform: str
    starts_at: datetime
    ends_at: datetime
    host_user_id: int
    status: str
    practice: bool
    notes: str
    series_id: str | None
    pinned_item_id: int | None
    guests: list[StreamGuestOut]
    lineup: list[LineupOut]

    @classmethod
    def of(cls, stream: Stream) -> StreamOut:
        return cls(
            id=stream.id,
            village_id=stream.village_id,
            title=stream.title,
            platform=stream.platform,
            starts_at=stream.starts_at,
            ends_at=stream.ends_at,
            host_user_id=stream.host_user_id,
            status=stream.status,
            practice=stream.practice,
            notes=stream.notes,
            series_id=stream.series_id,
            pinned_item_id=stream.pinned_item_id,
            guests=[StreamGuestOut(g.guest_id, g.guest.name, g.guest.title, g.planned_minutes) for g in stream.guests],
            lineup=[
                LineupOut(
                    id=i.id,
                    product_id=i.product_id,
                    product_name=i.product.name,
                    short_code=i.short_code,
                    price_fen=i.price_fen,
                    live_price_fen=i.live_price_fen,
                    talking_points=i.talking_points,
                    planned_minutes=i.planned_minutes,
                    quantity_cap=i.quantity_cap,
                    stock=i.product.stock,
                )
                for i in stream.lineup
            ],
        )


class ShowBlockOut(msgspec.Struct):
    kind: str
    starts_at: datetime
    ends_at: datetime
    minutes: int
    title: str

    @classmethod
    def of(cls, block: ShowBlock) -> ShowBlockOut:
        title = block.kind
        if block.item is not None:
            title = block.item.product.name
        elif block.guest is not None:
            title = block.guest.guest.name
        return cls(block.kind, block.starts_at, block.ends_at, block.minutes, title)


def guest_slots(guest_ids: list[int]) -> list[GuestSlot]:
    return [GuestSlot(guest_id) for guest_id in guest_ids]
