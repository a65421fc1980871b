"""Which of the village's products an export line is: its 商家编码, then its exact name, then a ProductAlias
the secretary saved for the platform. Loaded once per chunk with two queries; matching is dictionary lookups."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from shop.catalogue.models import Product
from shop.errors import N_
from shop.orders.models import ProductAlias
from shop.tabular import Fault


@dataclass(frozen=True, slots=True)
class ProductRef:
    id: int
    name: str
    price_fen: int


class _Ambiguous:
    """More than one product answers to a name: matching it would be a guess."""


AMBIGUOUS = _Ambiguous()


def product_label(name: str, code: str) -> str:
    """How a platform's product is named in messages: 'name (code)', or whichever of the two it has."""
    if name and code:
        return f"{name} ({code})"
    return name or code


@dataclass(slots=True)
class ProductMatcher:
    by_code: dict[str, ProductRef]
    by_name: dict[str, ProductRef | _Ambiguous]
    by_alias: dict[str, ProductRef]

    def match(self, merchant_code: str, product_name: str) -> ProductRef | Fault:
        """The product, or the fault that says why the line must wait in the holding area."""
        if merchant_code:
            found = self.by_code.get(merchant_code)
            if found is not None:
                return found
        named = self.by_name.get(product_name) if product_name else None
        if isinstance(named, ProductRef):
            return named
        # A saved alias answers for a code or a name our catalogue does not know (or knows twice).
        for key in (merchant_code, product_name):
            if key:
                aliased = self.by_alias.get(key)
                if aliased is not None:
                    return aliased
        if named is AMBIGUOUS:
            return Fault(
                N_("Several of our products are called %(product)s; choose which one this is."),
                {"product": product_name},
            )
        return Fault(
            N_("No product of ours matches %(product)s; choose which of our products it is."),
            {"product": product_label(product_name, merchant_code)},
        )


def load_matcher(conn: Connection, village_id: int, platform: str) -> ProductMatcher:
    """The village's products by merchant code and by name, and the platform's saved aliases."""
    by_code: dict[str, ProductRef] = {}
    by_name: dict[str, ProductRef | _Ambiguous] = {}
    name_is_active: dict[str, bool] = {}
    rows = conn.execute(
        select(Product.id, Product.name, Product.price_fen, Product.merchant_code, Product.active)
        .where(Product.village_id == village_id)
        .order_by(Product.id)
    ).all()
    refs = {}
    for product_id, name, price_fen, code, active in rows:
        ref = refs[product_id] = ProductRef(product_id, name, price_fen)
        if code:
            by_code[code] = ref
        # An archived product sharing a name with one on sale gives way to it; two alike are ambiguous.
        earlier = by_name.get(name)
        if earlier is None or (active and not name_is_active[name]):
            by_name[name] = ref
            name_is_active[name] = bool(active)
        elif bool(active) == name_is_active[name]:
            by_name[name] = AMBIGUOUS
    by_alias = {
        alias: refs[product_id]
        for alias, product_id in conn.execute(
            select(ProductAlias.alias, ProductAlias.product_id).where(
                ProductAlias.village_id == village_id, ProductAlias.platform == platform
            )
        ).all()
        if product_id in refs
    }
    return ProductMatcher(by_code, by_name, by_alias)
