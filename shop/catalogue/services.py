"""Catalogue rules: products of a village, lots received from households, photos, public lookups."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.principal import Principal
from shop.catalogue.models import CATEGORY_NAMES_ZH, Category, Contribution, Lot, Product, ProductPhoto
from shop.errors import N_, Conflict, InvalidInput, NotFound, PermissionDenied
from shop.media import StoredPhoto
from shop.paging import Paging
from shop.text import clean_text
from shop.timeutil import local_today
from shop.villages.models import Household

MERCHANT_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_PRICE_FEN = 100_000_000  # ¥1,000,000: a typing slip, not a product
MAX_LOT_QUANTITY = 1_000_000
MAX_PHOTOS = 8
LOT_HISTORY_FIXED = N_(
    "Units of this lot were already sold, so who contributed cannot change. Receive a new lot to correct it."
)
LOT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: codes are read off paper


def parse_category(value: str | None) -> Category:
    text = (value or "").strip()
    if text in CATEGORY_NAMES_ZH:
        return CATEGORY_NAMES_ZH[text]
    try:
        return Category(text.lower())
    except ValueError as exc:
        raise InvalidInput(
            "category",
            N_("The category must be one of 粮食, 菌菇, 山货, 手工艺, 其他 (grain, mushroom, mountain, craft, other)."),
        ) from exc


@dataclass
class ProductFields:
    """A product's editable fields, checked once for the API, the forms and the spreadsheet import."""

    name: str
    category: str
    unit: str
    price_fen: int
    merchant_code: str | None = None
    description: str = ""
    story: str = ""
    heritage: bool = False
    low_stock_threshold: int = 0

    def cleaned(self) -> ProductFields:
        price = self.price_fen
        if isinstance(price, bool) or not isinstance(price, int) or price < 0:
            raise InvalidInput("price_fen", N_("The price must be zero or more, in fen."))
        if price > MAX_PRICE_FEN:
            raise InvalidInput("price_fen", N_("The price is implausibly high; check the number."))
        threshold = self.low_stock_threshold
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
            raise InvalidInput("low_stock_threshold", N_("The low-stock threshold must be a whole number, 0 or more."))
        code = (self.merchant_code or "").strip() or None
        if code is not None and not MERCHANT_CODE_RE.match(code):
            raise InvalidInput(
                "merchant_code", N_("The merchant code may hold only letters, digits, '-' and '_' (at most 32).")
            )
        return ProductFields(
            name=clean_text(self.name, "name", max_len=100, required=True),
            category=parse_category(self.category).value,
            unit=clean_text(self.unit, "unit", max_len=8, required=True),
            price_fen=price,
            merchant_code=code,
            description=clean_text(self.description, "description", max_len=4000),
            story=clean_text(self.story, "story", max_len=8000),
            heritage=bool(self.heritage),
            low_stock_threshold=threshold,
        )


@dataclass
class ProductSheetOutcome:
    """What a spreadsheet import did (or, when rows were rejected, would have done: nothing is imported)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    imported: bool = False


class ProductService(SQLAlchemyAsyncRepositoryService[Product, SQLAlchemyAsyncRepository[Product]]):
    class Repo(SQLAlchemyAsyncRepository[Product]):
        model_type = Product

    repository_type = Repo

    async def _code_taken(self, village_id: int, code: str | None, *, except_id: int | None = None) -> bool:
        if code is None:
            return False
        stmt = select(Product.id).where(Product.village_id == village_id, Product.merchant_code == code)
        if except_id is not None:
            stmt = stmt.where(Product.id != except_id)
        return (await self.repository.session.execute(stmt.limit(1))).first() is not None

    async def create_product(
        self, actor: Principal, fields: ProductFields, *, village_id: int | None = None
    ) -> Product:
        actor.require_staff()
        target = actor.target_village(village_id)
        clean = fields.cleaned()
        if await self._code_taken(target, clean.merchant_code):
            raise Conflict(
                N_("The merchant code %(code)s is already used in this village."),
                field="merchant_code",
                code=clean.merchant_code,
            )
        product = Product(village_id=target, **clean.__dict__)
        try:
            product = await self.repository.add(product)
        except IntegrityError as exc:
            raise Conflict(
                N_("The merchant code %(code)s is already used in this village."),
                field="merchant_code",
                code=clean.merchant_code,
            ) from exc
        await self.repository.session.refresh(product)
        return product

    async def get_for(self, actor: Principal, product_id: int) -> Product:
        """A product of the caller's village (any role of that village may read; other villages: 404)."""
        product = await self.repository.get_one_or_none(id=product_id)
        if product is None or not actor.can_reach_village(product.village_id):
            raise NotFound()
        return product

    async def get_public(self, product_id: int) -> Product:
        product = await self.repository.get_one_or_none(id=product_id)
        if product is None:
            raise NotFound()
        return product

    async def update_product(self, actor: Principal, product_id: int, changes: dict[str, Any]) -> Product:
        """Apply ``changes`` (any of ProductFields' names) over the product's current fields."""
        actor.require_staff()
        product = await self.get_for(actor, product_id)
        current = {name: getattr(product, name) for name in ProductFields.__dataclass_fields__}
        unknown = set(changes) - set(current)
        if unknown:
            raise InvalidInput(sorted(unknown)[0], N_("%(name)s cannot be changed here."), name=sorted(unknown)[0])
        clean = ProductFields(**{**current, **changes}).cleaned()
        if await self._code_taken(product.village_id, clean.merchant_code, except_id=product.id):
            raise Conflict(
                N_("The merchant code %(code)s is already used in this village."),
                field="merchant_code",
                code=clean.merchant_code,
            )
        for name, value in clean.__dict__.items():
            setattr(product, name, value)
        await self.repository.session.flush()
        await self.repository.session.refresh(product)
        return product

    async def set_active(self, actor: Principal, product_id: int, active: bool) -> Product:
        actor.require_staff()
        product = await self.get_for(actor, product_id)
        product.active = active
        await self.repository.session.flush()
        return product

    async def list_for(
        self,
        actor: Principal,
        paging: Paging,
        *,
        category: str | None = None,
        search: str | None = None,
        active: bool | None = None,
        low_stock: bool = False,
        village_id: int | None = None,
    ) -> tuple[Sequence[Product], int]:
        filters: list[ColumnElement[bool]] = []
        scope = actor.village_filter()
        if scope is not None:
            filters.append(Product.village_id == scope)
        if village_id is not None:
            actor.ensure_village(village_id)
            filters.append(Product.village_id == village_id)
        if category:
            filters.append(Product.category == parse_category(category).value)
        if search:
            like = f"%{search.strip()}%"
            filters.append(or_(Product.name.ilike(like), Product.merchant_code.ilike(like)))
        if active is not None:
            filters.append(Product.active.is_(active))
        if low_stock:
            filters.append(Product.stock <= Product.low_stock_threshold)
            filters.append(Product.low_stock_threshold > 0)
        return await self.get_many_and_count(
            *filters, paging.filter, order_by=[(Product.active, True), (Product.id, False)]
        )

    async def public_window(self, village_id: int) -> list[Product]:
        rows = await self.repository.session.execute(
            select(Product).where(Product.village_id == village_id, Product.active.is_(True)).order_by(Product.id)
        )
        return list(rows.scalars())

    async def add_photo(self, actor: Principal, product_id: int, stored: StoredPhoto) -> ProductPhoto:
        actor.require_staff()
        product = await self.get_for(actor, product_id)
        if any(p.key == stored.key for p in product.photos):
            return next(p for p in product.photos if p.key == stored.key)
        if len(product.photos) >= MAX_PHOTOS:
            raise InvalidInput("photo", N_("A product has at most %(max)d photos."), max=MAX_PHOTOS)
        photo = ProductPhoto(
            key=stored.key,
            display_path=stored.display_path,
            thumb_path=stored.thumb_path,
            width=stored.width,
            height=stored.height,
            thumb_width=stored.thumb_width,
            thumb_height=stored.thumb_height,
            position=max((p.position for p in product.photos), default=-1) + 1,
        )
        product.photos.append(photo)
        await self.repository.session.flush()
        return photo

    async def remove_photo(self, actor: Principal, product_id: int, photo_id: int) -> None:
        actor.require_staff()
        product = await self.get_for(actor, product_id)
        photo = next((p for p in product.photos if p.id == photo_id), None)
        if photo is None:
            raise NotFound()
        product.photos.remove(photo)
        await self.repository.session.flush()

    async def import_rows(
        self, actor: Principal, rows: Sequence[tuple[int, ProductFields]], rejected: Sequence[tuple[int, str]]
    ) -> ProductSheetOutcome:
        """Create or update (same merchant code, else same name) every row, or nothing at all.

        When any row was rejected, nothing is written: the secretary fixes the file and uploads it again,
        and the second upload updates instead of duplicating.
        """
        actor.require_staff()
        village_id = actor.target_village(None) if not actor.is_admin else None
        if village_id is None:
            raise PermissionDenied(N_("Import products as the village's secretary."))
        outcome = ProductSheetOutcome(rejected=list(rejected))
        existing = list(
            (await self.repository.session.execute(select(Product).where(Product.village_id == village_id))).scalars()
        )
        by_code = {p.merchant_code: p for p in existing if p.merchant_code}
        by_name = {p.name: p for p in existing}
        planned: list[tuple[Product | None, ProductFields]] = []
        seen_names: dict[str, int] = {}
        for row_number, fields in rows:
            try:
                clean = fields.cleaned()
            except InvalidInput as exc:
                outcome.rejected.append((row_number, exc.render()))
                continue
            if not clean.merchant_code and clean.name in seen_names:
                outcome.rejected.append(
                    (
                        row_number,
                        f"the name {clean.name} appears again (row {seen_names[clean.name]}) without a merchant code",
                    )
                )
                continue
            seen_names.setdefault(clean.name, row_number)
            target = by_code.get(clean.merchant_code) if clean.merchant_code else None
            if target is None and not clean.merchant_code:
                target = by_name.get(clean.name)
            planned.append((target, clean))
            (outcome.updated if target is not None else outcome.created).append(clean.name)
        if outcome.rejected:
            outcome.rejected.sort()
            return outcome
        for target, clean in planned:
            if target is None:
                self.repository.session.add(Product(village_id=village_id, **clean.__dict__))
            else:
                for name, value in clean.__dict__.items():
                    setattr(target, name, value)
        await self.repository.session.flush()
        outcome.imported = True
        return outcome


@dataclass(frozen=True)
class ContributionInput:
    household_id: int
    quantity: int


def _new_lot_code() -> str:
    return "".join(secrets.choice(LOT_CODE_ALPHABET) for _ in range(8))


class LotService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _product(self, actor: Principal, product_id: int) -> Product:
        return await ProductService(session=self.session).get_for(actor, product_id)

    async def _check_contributions(
        self, village_id: int, quantity: int, contributions: Sequence[ContributionInput]
    ) -> dict[int, Household]:
        if not contributions:
            raise InvalidInput("contributions", N_("Name at least one household who brought the goods."))
        ids = [c.household_id for c in contributions]
        if len(set(ids)) != len(ids):
            raise InvalidInput("contributions", N_("A household is listed twice; add its quantities together."))
        for c in contributions:
            if isinstance(c.quantity, bool) or not isinstance(c.quantity, int) or c.quantity <= 0:
                raise InvalidInput("contributions", N_("Each household's quantity must be a whole number above 0."))
        total = sum(c.quantity for c in contributions)
        if total != quantity:
            raise InvalidInput(
                "contributions",
                N_("The households' quantities add up to %(total)d, but the lot holds %(quantity)d."),
                total=total,
                quantity=quantity,
            )
        rows = await self.session.execute(select(Household).where(Household.id.in_(ids)))
        households = {h.id: h for h in rows.scalars()}
        for household_id in ids:
            household = households.get(household_id)
            if household is None or household.village_id != village_id:
                raise InvalidInput(
                    "contributions", N_("Household %(id)s is not a household of this village."), id=household_id
                )
            if not household.active:
                raise InvalidInput("contributions", N_("Household %(id)s is inactive."), id=household.code)
        return households

    async def receive_lot(
        self,
        actor: Principal,
        product_id: int,
        *,
        quantity: int,
        contributions: Sequence[ContributionInput],
        received_on: date | None = None,
        grade: str = "",
        note: str = "",
        show_names: bool = False,
    ) -> Lot:
        actor.require_staff()
        product = await self._product(actor, product_id)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise InvalidInput("quantity", N_("The lot's quantity must be a whole number above 0."))
        if quantity > MAX_LOT_QUANTITY:
            raise InvalidInput("quantity", N_("The lot's quantity is implausibly large; check the number."))
        today = local_today()
        received_on = received_on or today
        if received_on > today:
            raise InvalidInput("received_on", N_("The receiving date cannot be in the future."))
        await self._check_contributions(product.village_id, quantity, contributions)
        for _attempt in range(5):
            code = _new_lot_code()
            taken = await self.session.execute(select(Lot.id).where(Lot.public_code == code))
            if taken.first() is None:
                break
        lot = Lot(
            product_id=product.id,
            village_id=product.village_id,
            public_code=code,
            received_on=received_on,
            quantity=quantity,
            remaining=quantity,
            grade=clean_text(grade, "grade", max_len=50),
            note=clean_text(note, "note", max_len=1000),
            show_names=show_names,
            received_by=actor.user_id or None,
            contributions=[
                Contribution(household_id=c.household_id, quantity=c.quantity, receipt_no=f"{code}-{i}")
                for i, c in enumerate(contributions, start=1)
            ],
        )
        self.session.add(lot)
        await self.session.flush()
        await self.session.refresh(lot)
        return lot

    async def replace_contributions(
        self, actor: Principal, lot_id: int, contributions: Sequence[ContributionInput]
    ) -> Lot:
        """Fix a lot's households, but only while none of its units were taken: history is not edited."""
        actor.require_staff()
        lot = await self.get_lot(actor, lot_id)
        if lot.remaining != lot.quantity:
            raise Conflict(LOT_HISTORY_FIXED)
        await self._check_contributions(lot.village_id, lot.quantity, contributions)
        lot.contributions.clear()
        await self.session.flush()
        lot.contributions.extend(
            Contribution(household_id=c.household_id, quantity=c.quantity, receipt_no=f"{lot.public_code}-{i}")
            for i, c in enumerate(contributions, start=1)
        )
        await self.session.flush()
        return lot

    async def get_lot(self, actor: Principal, lot_id: int) -> Lot:
        lot = await self.session.get(Lot, lot_id)
        if lot is None or not actor.can_reach_village(lot.village_id):
            raise NotFound()
        return lot

    async def get_public(self, public_code: str) -> Lot:
        code = (public_code or "").strip().upper()
        lot = (await self.session.execute(select(Lot).where(Lot.public_code == code))).scalar_one_or_none()
        if lot is None:
            raise NotFound()
        return lot

    async def lots_of(self, actor: Principal, product_id: int) -> list[Lot]:
        """A product's lots with who supplied them: the village's staff only (a trainee sells the product,
        but which households stand behind it is not theirs to see)."""
        actor.require_staff()
        product = await self._product(actor, product_id)
        rows = await self.session.execute(
            select(Lot).where(Lot.product_id == product.id).order_by(Lot.received_on.desc(), Lot.id.desc())
        )
        return list(rows.scalars())
