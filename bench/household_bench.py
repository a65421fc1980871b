"""How fast a villager's home renders when the household has 10,000 ledger entries.

The issue's bar: under 10 ms of server time. The app is driven in-process (no network, no browser), so
what is timed is the server's work for ``GET /household``: the session lookup, the balance row, pending
sales, the last sales, the 12-month chart and the page. The ledger is filled with the real shape of
data (an order, a line, an allocation and a balanced credit transaction per sale) written in bulk.

    .venv/bin/python -m bench.household_bench            # SQLite (a temporary file, synchronous=FULL)
    SHOP_BENCH_PG_ADMIN=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.household_bench
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

from bench.pg import pg_fresh, pg_reachable

SALES = 10_000
RUNS = 300


async def _fill(settings, household_id: int, village_id: int, product_id: int, lot_id: int) -> None:
    """10,000 completed sales of the household's goods over the last two years, credited in the ledger."""
    from shop.db import create_alchemy_config, unit_of_work
    from shop.ledger.models import FeePolicy, HouseholdBalance, HouseholdMonth, LedgerEntry, LedgerTransaction
    from shop.orders.models import Allocation, Order, OrderLine
    from shop.timeutil import to_local

    alchemy = create_alchemy_config(settings)
    start = datetime.now(UTC) - timedelta(days=730)
    orders, lines, allocations, transactions, entries = [], [], [], [], []
    for n in range(1, SALES + 1):
        at = start + timedelta(minutes=105 * n)
        orders.append(
            {
                "id": n,
                "village_id": village_id,
                "source": "douyin",
                "status": "completed",
                "total_fen": 3990,
                "placed_at": at,
                "completed_at": at + timedelta(days=5),
            }
        )
        lines.append(
            {
                "id": n,
                "order_id": n,
                "product_id": product_id,
                "quantity": 1,
                "unit_price_fen": 3990,
                "village_id": village_id,
                "source": "douyin",
            }
        )
        allocations.append({"line_id": n, "lot_id": lot_id, "quantity": 1, "village_id": village_id})
        posted = at + timedelta(days=5)
        transactions.append(
            {
                "id": n,
                "village_id": village_id,
                "kind": "sale_credit",
                "dedupe_key": f"credit:line:{n}",
                "order_id": n,
                "order_line_id": n,
                "quantity": 1,
                "posted_at": posted,
            }
        )
        for kind, amount, household in (
            ("sales_clearing", -3990, None),
            ("platform", 200, None),
            ("operator", 120, None),
            ("collective", 399, None),
            ("household", 3271, household_id),
        ):
            entries.append(
                {
                    "transaction_id": n,
                    "village_id": village_id,
                    "account_kind": kind,
                    "account_ref": "douyin" if kind == "platform" else "",
                    "household_id": household,
                    "amount_fen": amount,
                    "units": 1 if household else 0,
                    "posted_at": posted,
                }
            )
    months: dict[str, list[int]] = {}
    for entry in entries:
        if entry["household_id"]:
            figures = months.setdefault(to_local(entry["posted_at"]).strftime("%Y-%m"), [0, 0])
            figures[0] += entry["amount_fen"]
            figures[1] += entry["units"]
    async with unit_of_work(alchemy) as session:
        await session.execute(
            insert(HouseholdMonth),
            [
                {"household_id": household_id, "village_id": village_id, "month": m, "credited_fen": a, "units": u}
                for m, (a, u) in months.items()
            ],
        )
        for model, rows in (
            (Order, orders),
            (OrderLine, lines),
            (Allocation, allocations),
            (LedgerTransaction, transactions),
            (LedgerEntry, entries),
        ):
            for chunk in range(0, len(rows), 5000):
                await session.execute(insert(model), rows[chunk : chunk + 5000])
        # The policy those credits were made under (3990 → 3271 for the household: 500 / 300 / 1000 bp).
        await session.execute(
            insert(FeePolicy).values(
                village_id=village_id,
                platform_bp={"douyin": 500},
                operator_bp=300,
                collective_bp=1000,
                effective_from=start - timedelta(days=1),
            )
        )
        await session.execute(
            insert(HouseholdBalance).values(
                household_id=household_id,
                village_id=village_id,
                credited_fen=3271 * SALES,
                balance_fen=3271 * SALES,
            )
        )
        # a few orders still on their way: the pending figure has work to do
        for n in range(SALES + 1, SALES + 6):
            await session.execute(
                insert(Order).values(
                    id=n,
                    village_id=village_id,
                    source="douyin",
                    status="shipped",
                    total_fen=3990,
                    placed_at=datetime.now(UTC),
                )
            )
            await session.execute(
                insert(OrderLine).values(
                    id=n,
                    order_id=n,
                    product_id=product_id,
                    quantity=1,
                    unit_price_fen=3990,
                    village_id=village_id,
                    source="douyin",
                )
            )
            await session.execute(
                insert(Allocation).values(line_id=n, lot_id=lot_id, quantity=1, village_id=village_id)
            )
        if session.get_bind().dialect.name == "postgresql":
            for table in ("shop_order", "order_line", "allocation", "ledger_transaction", "ledger_entry"):
                await session.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
        if session.get_bind().dialect.name == "postgresql":
            # A real household's years of entries came in over time and autovacuum keeps the planner's
            # statistics; a bulk load done a second ago has none yet, so take them now.
            await session.commit()
            async with alchemy.get_engine().connect() as conn:
                await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text("ANALYZE"))
    await alchemy.get_engine().dispose()


async def measure(settings) -> dict[str, float]:
    from litestar.testing import AsyncTestClient

    from shop.accounts.principal import Principal
    from shop.accounts.secrets import SecretHasher
    from shop.app import create_app
    from shop.catalogue.services import ContributionInput, LotService, ProductFields, ProductService
    from shop.db import create_alchemy_config, unit_of_work
    from shop.ledger.models import LedgerEntry
    from shop.villages.services import HouseholdService, VillageService

    alchemy = create_alchemy_config(settings)
    hasher = SecretHasher(settings)
    system = Principal.system()
    async with unit_of_work(alchemy) as session:
        village = await VillageService(session=session).create_village(system, name="压测村", code_prefix="YC")
        household = await HouseholdService(session=session).register(
            system, hasher, code="YC-001", head_name="王德顺", phone="13900000000", pin="123456", village_id=village.id
        )
        product = await ProductService(session=session).create_product(
            system, ProductFields(name="朝阳小米", category="grain", unit="袋", price_fen=3990), village_id=village.id
        )
        lot = await LotService(session).receive_lot(
            system,
            product.id,
            quantity=SALES + 100,
            contributions=[ContributionInput(household.id, SALES + 100)],
            received_on=date.today() - timedelta(days=800),
        )
        ids = (household.id, village.id, product.id, lot.id)
    await alchemy.get_engine().dispose()
    await _fill(settings, *ids)
    alchemy = create_alchemy_config(settings)
    async with unit_of_work(alchemy) as session:
        count = (
            await session.execute(
                select(text("count(*)")).select_from(LedgerEntry).where(LedgerEntry.household_id == ids[0])
            )
        ).scalar_one()
    await alchemy.get_engine().dispose()

    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="http://bench.local") as client:
        login = await client.get("/household/login")
        token = login.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
        response = await client.post(
            "/household/login",
            data={"code": "YC-001", "pin": "123456", "_csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        for _ in range(20):  # warm the caches (templates, statements, the connection pool)
            assert (await client.get("/household")).status_code == 200
        times = []
        server = _ServerTimes()
        with server:
            for _ in range(RUNS):
                began = time.perf_counter()
                page = await client.get("/household")
                times.append((time.perf_counter() - began) * 1000)
                assert page.status_code == 200
        size = len(page.content)
    times.sort()
    served = sorted(server.ms)
    assert len(served) == RUNS, len(served)
    return {
        "entries": count,
        "median_ms": statistics.median(served),
        "p95_ms": served[int(len(served) * 0.95) - 1],
        "client_median_ms": statistics.median(times),
        "page_bytes": size,
    }


class _ServerTimes(logging.Handler):
    """The server's own time for each request, as its request log records it (``ms``: from the outermost
    middleware until the answer is sent). The test client adds its own thread hand-overs on top."""

    def __init__(self) -> None:
        super().__init__()
        self.ms: list[float] = []
        self._logger = logging.getLogger("shop.access")

    def emit(self, record: logging.LogRecord) -> None:
        fields = getattr(record, "fields", {})
        if fields.get("path") == "/household":
            self.ms.append(fields["ms"])

    def __enter__(self) -> _ServerTimes:
        self._saved = (self._logger.level, self._logger.propagate)
        self._logger.setLevel(logging.INFO)
        self._logger.propagate = False
        self._logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._saved[0])
        self._logger.propagate = self._saved[1]


def _settings(url: str, var: Path):
    from shop.settings import Settings

    return Settings.from_env(
        {**os.environ, "SHOP_DATABASE_URL": url, "SHOP_VAR_DIR": str(var), "SHOP_LOG_LEVEL": "WARNING"}
    )


def main() -> int:
    from shop.cli import migrate

    results = []
    with tempfile.TemporaryDirectory(prefix="household-bench-") as tmp:
        var = Path(tmp)
        sqlite = _settings(f"sqlite+aiosqlite:///{var / 'bench.db'}", var)
        migrate(sqlite)
        results.append(("SQLite", asyncio.run(measure(sqlite))))
        why = pg_reachable()
        if why:
            print(f"PostgreSQL not reachable ({why}); household bench on SQLite only")
        else:
            url = pg_fresh("shop_bench_household")
            settings = _settings(url, var)
            migrate(settings)
            results.append(("PostgreSQL", asyncio.run(measure(settings))))
    print(f"household home with {SALES:,} sales, {RUNS} requests in-process:")
    for name, r in results:
        print(
            f"  {name:<10} entries={r['entries']:,}  server median={r['median_ms']:.1f} ms  p95={r['p95_ms']:.1f} ms"
            f"  (through the test client: median {r['client_median_ms']:.1f} ms)"
            f"  page={r['page_bytes']:,} bytes"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
