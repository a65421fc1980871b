"""JSON shapes for products, photos, lots and contributions."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from shop.catalogue.models import Lot, Product, ProductPhoto
from shop.web.params import DbId

Text100 = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Fen = Annotated[int, msgspec.Meta(ge=0, le=100_000_000, description="integer fen (1/100 yuan)")]
Units = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class ProductIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Text100
    category: Annotated[str, msgspec.Meta(description="grain, mushroom, mountain, craft, other (or 粮食…)")]
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=8)]
    price_fen: Fen
    merchant_code: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    description: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    story: Annotated[str, msgspec.Meta(max_length=8000)] = ""
    heritage: bool = False
    low_stock_threshold: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 0
    village_id: DbId | None = None


class ProductPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent change; ``merchant_code: null`` removes the code."""

    name: Text100 | UnsetType = UNSET
    category: str | UnsetType = UNSET
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=8)] | UnsetType = UNSET
    price_fen: Fen | UnsetType = UNSET
    merchant_code: Annotated[str, msgspec.Meta(max_length=32)] | UnsetType | None = UNSET
    description: Annotated[str, msgspec.Meta(max_length=4000)] | UnsetType = UNSET
    story: Annotated[str, msgspec.Meta(max_length=8000)] | UnsetType = UNSET
    heritage: bool | UnsetType = UNSET
    low_stock_threshold: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] | UnsetType = UNSET
    active: bool | UnsetType = UNSET

    def changes(self) -> dict[str, object]:
        return {k: v for k, v in msgspec.structs.asdict(self).items() if v is not UNSET and k != "active"}


class PhotoOut(msgspec.Struct):
    id: int
    url: str
    thumb_url: str
    width: int
    height: int

    @classmethod
    def of(cls, photo: ProductPhoto) -> PhotoOut:
        return cls(photo.id, f"/media/{photo.display_path}", f"/media/{photo.thumb_path}", photo.width, photo.height)


class ProductOut(msgspec.Struct):
    id: int
    village_id: int
    name: str
    category: str
    unit: str
    price_fen: int
    merchant_code: str | None
    description: str
    story: str
    heritage: bool
    low_stock_threshold: int
    low_stock: bool
    active: bool
    stock: int
    photos: list[PhotoOut]

    @classmethod
    def of(cls, product: Product) -> ProductOut:
        return cls(
            id=product.id,
            village_id=product.village_id,
            name=product.name,
            category=product.category,
            unit=product.unit,
            price_fen=product.price_fen,
            merchant_code=product.merchant_code,
            description=product.description,
            story=product.story,
            heritage=product.heritage,
            low_stock_threshold=product.low_stock_threshold,
            low_stock=product.low_stock_threshold > 0 and product.stock <= product.low_stock_threshold,
            active=product.active,
            stock=product.stock,
            photos=[PhotoOut.of(p) for p in product.photos],
        )


class ContributionIn(msgspec.Struct, forbid_unknown_fields=True):
    household_id: DbId
    quantity: Units


class LotIn(msgspec.Struct, forbid_unknown_fields=True):
    quantity: Units
    contributions: list[ContributionIn]
    received_on: date | None = None
    grade: Annotated[str, msgspec.Meta(max_length=50)] = ""
    note: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    show_names: bool = False


class ContributionOut(msgspec.Struct):
    household_id: int
    household_code: str
    quantity: int
    receipt_no: str


class LotOut(msgspec.Struct):
    id: int
    product_id: int
    public_code: str
    received_on: date
    quantity: int
    remaining: int
    grade: str
    note: str
    show_names: bool
    contributions: list[ContributionOut]
    trace_url: str

    @classmethod
    def of(cls, lot: Lot) -> LotOut:
        return cls(
            id=lot.id,
            product_id=lot.product_id,
            public_code=lot.public_code,
            received_on=lot.received_on,
            quantity=lot.quantity,
            remaining=lot.remaining,
            grade=lot.grade,
            note=lot.note,
            show_names=lot.show_names,
            contributions=[
                ContributionOut(c.household_id, c.household.code, c.quantity, c.receipt_no) for c in lot.contributions
            ],
            trace_url=f"/t/{lot.public_code}",
        )


class ImportRowProblem(msgspec.Struct):
    row: int
    reason: str


class ProductImportOut(msgspec.Struct):
    imported: bool
    created: list[str]
    updated: list[str]
    rejected: list[ImportRowProblem]
