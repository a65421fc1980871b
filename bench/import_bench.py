"""The platform-export import, end to end (bytes → committed orders), on 100,000 rows: SQLite with
synchronous=FULL, then PostgreSQL in a database it creates and drops. Run: python -m bench.import_bench"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bench.pg import PG_ADMIN_URL, pg_drop, pg_fresh
from shop.accounts.principal import Principal
from shop.accounts.secrets import SecretHasher
from shop.catalogue.services import ContributionInput, LotService, ProductFields, ProductService
from shop.cli import migrate
from shop.db import create_alchemy_config, read_session, unit_of_work
from shop.orders.imports.services import OrderImports, read_export
from shop.orders.models import Allocation, Order, OrderLine
from shop.settings import Settings
from shop.timeutil import local_today
from shop.villages.services import HouseholdService, VillageService
from shop.wiring import link_domains
from tests.orders.export_factory import PRODUCTS, make_douyin_export


async def _seed(settings: Settings, units_per_lot: int) -> int:
    """A village with the export's five products (by merchant code), each with three lots of two households."""
    alchemy = create_alchemy_config(settings)
    hasher = SecretHasher(settings)
    system = Principal.system()
    try:
        async with unit_of_work(alchemy) as session:
            village = await VillageService(session=session).create_village(system, name="压测村", code_prefix="YC")
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
                for n in (1, 2)
            ]
            for name, _spec, _platform_id, code, price in PRODUCTS:
                product = await ProductService(session=session).create_product(
                    system,
                    ProductFields(
                        name=name.split()[0],
                        category="grain",
                        unit="袋",
                        price_fen=int(price.replace(".", "")),
                        merchant_code=code,
                    ),
                    village_id=village.id,
                )
                for days_ago in (9, 5, 1):
                    await LotService(session).receive_lot(
                        system,
                        product.id,
                        quantity=units_per_lot,
                        contributions=[
                            ContributionInput(households[0].id, units_per_lot // 2),
                            ContributionInput(households[1].id, units_per_lot - units_per_lot // 2),
                        ],
                        received_on=local_today() - timedelta(days=days_ago),
                    )
            return village.id
    finally:
        await alchemy.get_engine().dispose()


async def _measure(settings: Settings, data: bytes, rows: int) -> dict[str, float]:
    village_id = await _seed(settings, units_per_lot=max(10, rows // 5))
    alchemy = create_alchemy_config(settings)
    try:
        started = time.perf_counter()
        plan = read_export(data, "orders.csv", "douyin", village_id)
        parse_seconds = time.perf_counter() - started
        assert plan.lines == rows, (plan.lines, rows)

        started = time.perf_counter()
        imports = OrderImports(alchemy, settings, link_domains().events)
        outcome = await imports.import_export(Principal.system(), data, "orders.csv", "douyin", village_id=village_id)
        total_seconds = time.perf_counter() - started
        async with read_session(alchemy) as session:
            orders = (await session.execute(select(func.count()).select_from(Order))).scalar_one()
            lines = (await session.execute(select(func.count()).select_from(OrderLine))).scalar_one()
            allocations = (await session.execute(select(func.count()).select_from(Allocation))).scalar_one()
        # Lines refunded inside an order that otherwise stands are not written (see order_standing).
        assert orders == outcome.created == len(plan.groups)
        assert not outcome.held
        assert not outcome.rejected
        return {
            "parse_s": parse_seconds,
            "total_s": total_seconds,
            "orders": orders,
            "lines": lines,
            "allocations": allocations,
        }
    finally:
        await alchemy.get_engine().dispose()


def _report(label: str, rows: int, figures: dict[str, float]) -> None:
    print(
        f"{label}: {rows} rows → {int(figures['orders'])} orders, {int(figures['lines'])} lines, "
        f"{int(figures['allocations'])} allocations"
    )
    print(f"  parse (read + check):   {figures['parse_s']:6.2f} s  {rows / figures['parse_s']:9.0f} rows/s")
    print(f"  whole import (end to end): {figures['total_s']:6.2f} s  {rows / figures['total_s']:9.0f} rows/s")


def bench_sqlite(data: bytes, rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
        var = Path(folder)
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{var / 'bench.db'}",
            secret_key="bench",
            var_dir=var,
            sqlite_synchronous="FULL",
            argon2_time_cost=1,
            argon2_memory_kib=1024,
        )
        migrate(settings)
        return asyncio.run(_measure(settings, data, rows))


def bench_postgresql(data: bytes, rows: int, admin_url: str) -> dict[str, float]:
    name = f"shop_import_bench_{os.getpid()}"
    url = pg_fresh(name, admin_url)
    try:
        with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
            settings = Settings(
                database_url=url, secret_key="bench", var_dir=Path(folder), argon2_time_cost=1, argon2_memory_kib=1024
            )
            migrate(settings)
            return asyncio.run(_measure(settings, data, rows))
    finally:
        pg_drop(name, admin_url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", default=PG_ADMIN_URL, help="an admin URL; empty skips PostgreSQL")
    args = parser.parse_args(argv)
    data = make_douyin_export(args.rows)
    print(f"export: {args.rows} rows, {len(data) / 1e6:.1f} MB of CSV (UTF-8 with BOM), {os.cpu_count()} CPUs")
    _report("SQLite (synchronous=FULL, WAL)", args.rows, bench_sqlite(data, args.rows))
    if args.postgres:
        _report("PostgreSQL", args.rows, bench_postgresql(data, args.rows, args.postgres))
    return 0


if __name__ == "__main__":
    sys.exit(main())
