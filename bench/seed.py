"""Seed a benchmark database: a village, its secretary, households, a product with deep stock (the hot
product every order of the load goes to) and a small one that a burst sells out (the oversell check)."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from datetime import timedelta

from shop.accounts.principal import Principal
from shop.accounts.secrets import SecretHasher
from shop.accounts.services import AuthService, UserService, principal_for_user
from shop.catalogue.services import ContributionInput, LotService, ProductFields, ProductService
from shop.cli import migrate
from shop.db import create_alchemy_config, unit_of_work
from shop.settings import Settings
from shop.timeutil import local_today
from shop.villages.services import HouseholdService, VillageService


@dataclass(frozen=True)
class Seeded:
    token: str  # a secretary's bearer token
    product_id: int  # the hot product, stocked for the whole load
    sellout_id: int  # the product a burst sells out


async def seed(settings: Settings, stock: int, lots: int = 4, sellout_stock: int = 2000) -> Seeded:
    alchemy = create_alchemy_config(settings)
    hasher = SecretHasher(settings)
    system = Principal.system()
    async with unit_of_work(alchemy) as session:
        village = await VillageService(session=session).create_village(system, name="压测村", code_prefix="YC")
        user = await UserService(session=session).create_user(
            system, hasher, username="bench-shuji", password="bench-password", role="secretary", village_id=village.id
        )
        households = [
            await HouseholdService(session=session).register(
                system,
                hasher,
                code=f"YC-{n:03d}",
                head_name=f"户{n}",
                phone="13900000000",
                pin="123456",
                village_id=village.id,
            )
            for n in range(1, 4)
        ]
        secretary = principal_for_user(user)
        products = []
        for name, units in (("朝阳小米", stock), ("手工剪纸", sellout_stock)):
            product = await ProductService(session=session).create_product(
                secretary, ProductFields(name=name, category="grain", unit="袋", price_fen=1990)
            )
            per_lot = units // lots
            for n in range(lots):
                await LotService(session).receive_lot(
                    secretary,
                    product.id,
                    quantity=per_lot,
                    contributions=[
                        ContributionInput(h.id, per_lot // 3 + (1 if i < per_lot % 3 else 0))
                        for i, h in enumerate(households)
                    ],
                    received_on=local_today() - timedelta(days=lots - n),
                )
            products.append(product.id)
        token, _ = await AuthService(session, hasher).issue_token(secretary, 86400)
    await alchemy.get_engine().dispose()
    return Seeded(token, products[0], products[1])


def main() -> None:
    """``python -m bench.seed [STOCK [SELLOUT]]`` (settings from SHOP_*): prints token, product, sell-out product."""
    settings = Settings.from_env()
    migrate(settings)
    stock = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    sellout = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    seeded = asyncio.run(seed(settings, stock, sellout_stock=sellout))
    print(seeded.token, seeded.product_id, seeded.sellout_id)


if __name__ == "__main__":
    main()
