"""`shop import-orders` killed with SIGKILL mid-way, then run again, leaves exactly what one clean import
leaves in a fresh database: chunks commit whole and every key is idempotent."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from shop.catalogue.models import Lot, Product
from shop.orders.models import Allocation, Order, OrderLine, StatusChange
from shop.settings import Settings
from tests.conftest import TestDatabase, _migrate, _pg_admin, make_test_settings
from tests.orders.export_factory import PRODUCTS, make_douyin_export

ROWS = 5000
CHUNK = 400


async def _seed(settings: Settings) -> int:
    """One village with the export's products (by merchant code), each with two lots too small for all orders."""
    from shop.accounts.principal import Principal
    from shop.accounts.secrets import SecretHasher
    from shop.catalogue.services import ContributionInput, LotService, ProductFields, ProductService
    from shop.db import create_alchemy_config, unit_of_work
    from shop.timeutil import local_today
    from shop.villages.services import HouseholdService, VillageService

    alchemy = create_alchemy_config(settings)
    system = Principal.system()
    try:
        async with unit_of_work(alchemy) as session:
            village = await VillageService(session=session).create_village(system, name="从家店村", code_prefix="CJD")
            household = await HouseholdService(session=session).register(
                system,
                SecretHasher(settings),
                code="CJD-001",
                head_name="王德顺",
                phone="13904210001",
                pin="123456",
                village_id=village.id,
            )
            for name, _spec, _id, code, _price in PRODUCTS:
                product = await ProductService(session=session).create_product(
                    system,
                    ProductFields(name=name, category="grain", unit="袋", price_fen=1000, merchant_code=code),
                    village_id=village.id,
                )
                for days_ago, quantity in ((6, 400), (2, 600)):
                    await LotService(session).receive_lot(
                        system,
                        product.id,
                        quantity=quantity,
                        contributions=[ContributionInput(household.id, quantity)],
                        received_on=local_today() - timedelta(days=days_ago),
                    )
            return village.id
    finally:
        await alchemy.get_engine().dispose()


async def _snapshot(settings: Settings) -> dict[str, Any]:
    """The database's orders, lines, allocations, lot remainders and status history by natural keys (no ids)."""
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            codes = dict((await conn.execute(select(Product.id, Product.merchant_code))).all())
            lots = {
                lot_id: (codes[product_id], received_on)
                for lot_id, product_id, received_on in (
                    await conn.execute(select(Lot.id, Lot.product_id, Lot.received_on))
                ).all()
            }
            orders = (
                await conn.execute(
                    select(
                        Order.id,
                        Order.external_id,
                        Order.status,
                        Order.total_fen,
                        Order.backorder,
                        Order.placed_at,
                        Order.paid_at,
                        Order.completed_at,
                        Order.tracking_no,
                    )
                )
            ).all()
            external = {row[0]: row[1] for row in orders}
            lines = (
                await conn.execute(
                    select(
                        OrderLine.id,
                        OrderLine.order_id,
                        OrderLine.line_key,
                        OrderLine.product_id,
                        OrderLine.quantity,
                        OrderLine.unit_price_fen,
                        OrderLine.short_quantity,
                    )
                )
            ).all()
            line_keys = {row[0]: row[2] for row in lines}
            allocations = (await conn.execute(select(Allocation.line_id, Allocation.lot_id, Allocation.quantity))).all()
            remaining = (await conn.execute(select(Lot.id, Lot.remaining))).all()
            changes = (
                await conn.execute(select(StatusChange.order_id, StatusChange.from_status, StatusChange.to_status))
            ).all()
    finally:
        await engine.dispose()
    return {
        "orders": sorted(tuple(row[1:]) for row in orders),
        "lines": sorted((external[o], key, codes[p], q, price, short) for _, o, key, p, q, price, short in lines),
        "allocations": sorted((line_keys[line], lots[lot], quantity) for line, lot, quantity in allocations),
        "lots": sorted((lots[lot_id], left) for lot_id, left in remaining),
        "history": sorted((external[o], before or "", after) for o, before, after in changes),
    }


def _command(settings: Settings, export: Path, village_id: int) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "SHOP_DATABASE_URL": settings.database_url,
        "SHOP_VAR_DIR": str(settings.var_dir),
        "SHOP_SECRET_KEY": settings.secret_key,
        "SHOP_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "shop", "import-orders", str(export), "--platform", "douyin"]
    return [*command, "--village", str(village_id), "--chunk-lines", str(CHUNK)], env


def _fresh_settings(test_database: TestDatabase, folder: Path) -> tuple[Settings, str | None]:
    folder.mkdir(parents=True, exist_ok=True)
    if test_database.kind == "sqlite":
        assert test_database.template is not None
        shutil.copyfile(test_database.template, folder / "clean.db")
        return make_test_settings(f"sqlite+aiosqlite:///{folder / 'clean.db'}", folder), None
    from sqlalchemy.engine import make_url

    name = f"shop_clean_{os.environ.get('PYTEST_XDIST_WORKER', 'gw0')}"
    admin = make_url(test_database.url).render_as_string(hide_password=False)
    asyncio.run(_pg_admin(admin, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"']))
    settings = make_test_settings(make_url(test_database.url).set(database=name).render_as_string(False), folder)
    _migrate(settings)
    return settings, name


def test_a_killed_import_run_again_ends_exactly_like_one_clean_import(
    settings: Settings, test_database: TestDatabase, tmp_path: Path
) -> None:
    export = tmp_path / "1760000000_orders.csv"
    export.write_bytes(make_douyin_export(ROWS))
    village_id = asyncio.run(_seed(settings))

    command, env = _command(settings, export, village_id)
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    progress: list[str] = []
    for line in process.stdout:
        if line.endswith(" rows\n"):
            progress.append(line)
            if len(progress) == 3:
                process.send_signal(signal.SIGKILL)
                break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, process.stderr.read() if process.stderr else ""
    interrupted = asyncio.run(_snapshot(settings))
    assert len(interrupted["orders"]) >= 2 * CHUNK // 2

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert "done:" in rerun.stdout
    after = asyncio.run(_snapshot(settings))

    clean_settings, clean_db = _fresh_settings(test_database, tmp_path / "clean")
    try:
        clean_village = asyncio.run(_seed(clean_settings))
        clean_command, clean_env = _command(clean_settings, export, clean_village)
        clean = subprocess.run(clean_command, env=clean_env, capture_output=True, text=True, timeout=300, check=False)
        assert clean.returncode == 0, clean.stderr
        expected = asyncio.run(_snapshot(clean_settings))
    finally:
        if clean_db is not None:
            from sqlalchemy.engine import make_url

            admin = make_url(test_database.url).render_as_string(hide_password=False)
            asyncio.run(_pg_admin(admin, [f'DROP DATABASE IF EXISTS "{clean_db}" WITH (FORCE)']))

    assert len(expected["orders"]) > 3000
    # Killed part-way: some whole chunks were in, not all.
    assert len(interrupted["orders"]) < len(expected["orders"]) - CHUNK // 2
    for part in ("orders", "lines", "allocations", "lots", "history"):
        assert after[part] == expected[part], part


def test_the_command_prints_progress_and_the_result(settings: Settings, tmp_path: Path) -> None:
    export = tmp_path / "orders.csv"
    export.write_bytes(make_douyin_export(900))
    village_id = asyncio.run(_seed(settings))
    command, env = _command(settings, export, village_id)
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    done = [int(line.split("/")[0]) for line in lines if line.endswith("/900 rows")]
    # One line per committed chunk of about 400 lines (whole orders), rising to the end.
    assert len(done) >= 2
    assert done == sorted(done)
    assert done[-1] == 900
    assert lines[-1].startswith("done: ")
    assert "0 held, 0 rejected rows" in lines[-1]
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert "done: 0 created, 0 updated" in again.stdout


@pytest.mark.parametrize("village", ["没有这个村", "999999"])
def test_the_command_refuses_an_unknown_village(settings: Settings, tmp_path: Path, village: str) -> None:
    export = tmp_path / "orders.csv"
    export.write_bytes(make_douyin_export(3))
    command, env = _command(settings, export, 0)
    command[command.index("--village") + 1] = village
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode != 0
    assert "no single village" in result.stderr
