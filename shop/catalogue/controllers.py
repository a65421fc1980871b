"""JSON API: products, their photos and lots, and the product spreadsheet import."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated

import msgspec
from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar import Controller, get, patch, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, JSONBody, MultipartBody, QueryParameter

from shop.catalogue.importing import import_product_file
from shop.catalogue.schemas import (
    ImportRowProblem,
    LotIn,
    LotOut,
    PhotoOut,
    ProductImportOut,
    ProductIn,
    ProductOut,
    ProductPatch,
)
from shop.catalogue.services import ContributionInput, LotService, ProductFields, ProductService
from shop.media import MAX_PHOTO_BYTES, store_photo
from shop.paging import Page
from shop.web.auth import requires_staff, requires_user
from shop.web.deps import Actor, AppSettings, DbSession, PageParams
from shop.web.params import IdPath

IMPORT_MAX_BYTES = 20 * 1024 * 1024


@dataclass
class PhotoUpload:
    photo: UploadFile


@dataclass
class SheetUpload:
    file: UploadFile


class ProductController(Controller):
    path = "/products"
    tags = ["catalogue"]
    guards = [requires_user]
    dependencies = {"products": Provide(create_service_provider(ProductService))}

    @post("/", guards=[requires_staff])
    async def create_product(
        self, data: JSONBody[ProductIn], products: NamedDependency[ProductService], actor: Actor
    ) -> ProductOut:
        """Add a product to the caller's village (an admin names ``village_id``). Prices are integer fen."""
        fields = ProductFields(
            name=data.name,
            category=data.category,
            unit=data.unit,
            price_fen=data.price_fen,
            merchant_code=data.merchant_code,
            description=data.description,
            story=data.story,
            heritage=data.heritage,
            low_stock_threshold=data.low_stock_threshold,
        )
        return ProductOut.of(await products.create_product(actor, fields, village_id=data.village_id))

    @get("/")
    async def list_products(
        self,
        products: NamedDependency[ProductService],
        actor: Actor,
        paging: PageParams,
        category: FromQuery[str | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=50, description="name or merchant code contains")] = None,
        active: FromQuery[bool | None] = None,
        low_stock: FromQuery[bool] = False,
    ) -> Page[ProductOut]:
        """The village's products with their stock; filters: category, text, active, low stock."""
        rows, total = await products.list_for(
            actor, paging, category=category, search=q, active=active, low_stock=low_stock
        )
        return Page([ProductOut.of(p) for p in rows], total, paging.limit, paging.offset)

    @get("/{product_id:int}")
    async def get_product(
        self, product_id: IdPath, products: NamedDependency[ProductService], actor: Actor
    ) -> ProductOut:
        return ProductOut.of(await products.get_for(actor, product_id))

    @patch("/{product_id:int}", guards=[requires_staff])
    async def update_product(
        self, product_id: IdPath, data: JSONBody[ProductPatch], products: NamedDependency[ProductService], actor: Actor
    ) -> ProductOut:
        """Change some fields; ``active: false`` archives the product (it stays on record)."""
        product = await products.get_for(actor, product_id)
        changes = data.changes()
        if changes:
            product = await products.update_product(actor, product_id, changes)
        if data.active is not msgspec.UNSET:
            product = await products.set_active(actor, product_id, data.active)
        return ProductOut.of(product)

    @post(
        "/{product_id:int}/photos",
        guards=[requires_staff],
        request_max_body_size=MAX_PHOTO_BYTES + 64 * 1024,  # the photo and its multipart wrapping
        opt={"file_limit": MAX_PHOTO_BYTES},
    )
    async def add_photo(
        self,
        product_id: IdPath,
        data: MultipartBody[PhotoUpload],
        products: NamedDependency[ProductService],
        actor: Actor,
        settings: AppSettings,
    ) -> PhotoOut:
        """Upload a JPEG, PNG or WebP photo (≤ 5 MB); it is stored without its metadata (no GPS)."""
        await products.get_for(actor, product_id)
        stored = await asyncio.to_thread(store_photo, await data.photo.read(), settings.media_dir)
        return PhotoOut.of(await products.add_photo(actor, product_id, stored))

    @post("/{product_id:int}/lots", guards=[requires_staff])
    async def receive_lot(
        self, product_id: IdPath, data: JSONBody[LotIn], db_session: DbSession, actor: Actor
    ) -> LotOut:
        """Receive a lot; the households' quantities must add up to the lot's quantity."""
        lot = await LotService(db_session).receive_lot(
            actor,
            product_id,
            quantity=data.quantity,
            contributions=[ContributionInput(c.household_id, c.quantity) for c in data.contributions],
            received_on=data.received_on,
            grade=data.grade,
            note=data.note,
            show_names=data.show_names,
        )
        return LotOut.of(lot)

    @get("/{product_id:int}/lots", guards=[requires_staff])
    async def list_lots(self, product_id: IdPath, db_session: DbSession, actor: Actor) -> list[LotOut]:
        return [LotOut.of(lot) for lot in await LotService(db_session).lots_of(actor, product_id)]

    @post("/import", guards=[requires_staff], request_max_body_size=IMPORT_MAX_BYTES + 64 * 1024, status_code=200)
    async def import_products(
        self, data: MultipartBody[SheetUpload], products: NamedDependency[ProductService], actor: Actor
    ) -> ProductImportOut:
        """Import a product spreadsheet (CSV in UTF-8 or GB18030, or XLSX): every row or none."""
        outcome = await import_product_file(
            products, actor, await data.file.read(), data.file.filename or "upload", max_bytes=IMPORT_MAX_BYTES
        )
        return ProductImportOut(
            imported=outcome.imported,
            created=outcome.created,
            updated=outcome.updated,
            rejected=[ImportRowProblem(row, reason) for row, reason in outcome.rejected],
        )
