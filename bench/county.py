"""How the server's time grows with a county's data: ``python -m bench.county``.

Builds a county at three sizes (bench/county_data.py) — one village's year; 300 villages in 15 townships with
30,000 households, a year; the same county over five years (about 5 million order lines and 30 million ledger
entries) — in bulk, and says how long each build took. Beside the bulk villages sits the demo village
(``shop demo``, written by the app's own services): its trainee, township officer and county supervisor,
whose pages take in the bulk villages of the township and the county.

Then, in-process (the ASGI app driven by the test client, no network), it times the server's own time —
what the request log records, from the outermost middleware until the answer is sent — for every page and
list call of every role: p50 and p95 of ``--runs`` requests after warm-ups. Then the import of a 100,000-row
export into a village of its own, and the nightly jobs (crediting catch-up, ledger check, SQLite backup) once
each, and whether an order waits on them (orders placed while each job runs).

    python -m bench.county --quick              # the first two sizes (SQLite, then PostgreSQL); 10 requests a page,
                                                # the import and jobs at the larger size only (457 s at load 4, 2 cores)
    python -m bench.county                      # all three; the five-year county on PostgreSQL only
    python -m bench.county --sizes 3 --db postgresql

It ends with one line, ``worst growth: <page> x<factor>``: p95 at the largest size measured over p95 at the
smallest, of the page that grew most.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.county_data import PASSWORD, PIN, SEQUENCED, SIZES, Built, Ids, PgSink, Sink, Size, SqliteSink, build_county
from bench.county_summary import fill_village_months
from bench.pg import PG_ADMIN_URL, pg_drop, pg_fresh, pg_reachable

SQLITE_SIZES = 2  # the five-year county is PostgreSQL's (the issue: SQLite for the first two sizes)


@dataclass
class Timing:
    label: str
    p50: float
    p95: float
    note: str = ""


@dataclass
class Result:
    db: str
    size: Size
    build_s: float
    built: Built
    size_bytes: int = 0
    pages: dict[str, Timing] = field(default_factory=dict)
    jobs: dict[str, Timing] = field(default_factory=dict)


class ServerTimes(logging.Handler):
    """The server's own time of each request, from the request log (``ms``)."""

    def __init__(self) -> None:
        super().__init__()
        self.ms: list[float] = []
        self._logger = logging.getLogger("shop.access")

    def emit(self, record: logging.LogRecord) -> None:
        fields = getattr(record, "fields", {})
        if "ms" in fields:
            self.ms.append(float(fields["ms"]))

    def __enter__(self) -> ServerTimes:
        self._saved = (self._logger.level, self._logger.propagate)
        self._logger.setLevel(logging.INFO)
        self._logger.propagate = False
        self._logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._saved[0])
        self._logger.propagate = self._saved[1]


def settings_for(url: str, var: Path) -> Any:
    from shop.settings import Settings

    return Settings(
        database_url=url,
        secret_key="county-bench",
        var_dir=var,
        sqlite_synchronous="FULL",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        log_level="WARNING",
    )


async def max_ids(sink: Sink) -> dict[str, int]:
    found = {}
    for table in SEQUENCED:
        if isinstance(sink, SqliteSink):
            found[table] = sink.conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
        else:
            assert isinstance(sink, PgSink)
            found[table] = await sink.conn.fetchval(f"SELECT coalesce(max(id), 0) FROM {table}")
    return found


async def seed_and_build(settings: Any, size: Size, say: Any) -> tuple[float, Built]:
    """The demo village by the app's services, then the county around it in bulk."""
    from shop.accounts.secrets import SecretHasher
    from shop.db import create_alchemy_config, unit_of_work
    from shop.demo import seed_demo
    from shop.wiring import link_domains

    alchemy = create_alchemy_config(settings)
    hasher = SecretHasher(settings)
    async with unit_of_work(alchemy) as session:
        await seed_demo(session, hasher, link_domains().events)
    await alchemy.get_engine().dispose()

    if settings.is_sqlite:
        sink: Sink = SqliteSink(settings.database_url.split("///", 1)[1])
    else:
        sink = await PgSink.open(settings.database_url.replace("postgresql+asyncpg", "postgresql"))
    started = time.perf_counter()
    sink.say = lambda line: say(f"    {line} ({time.perf_counter() - started:.0f} s)")
    ids = Ids(await max_ids(sink))
    built = await build_county(
        sink,
        size,
        ids,
        hasher.hash_password(PASSWORD),
        hasher.hash_pin(PIN),
        datetime.now(UTC),
        progress=lambda line: say(f"    {line} ({time.perf_counter() - started:.0f} s)"),
    )
    await fill_village_months(sink)
    await sink.finish(SEQUENCED)
    return time.perf_counter() - started, built


async def _csrf(client: Any, path: str) -> str:
    page = await client.get(path)
    return page.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]


async def _login(client: Any, username: str, password: str) -> None:
    client.cookies.clear()
    token = await _csrf(client, "/login")
    answer = await client.post(
        "/login", data={"username": username, "password": password, "_csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303, (username, answer.status_code, answer.text[:300])


async def _household_login(client: Any, code: str, pin: str) -> None:
    client.cookies.clear()
    token = await _csrf(client, "/household/login")
    answer = await client.post(
        "/household/login", data={"code": code, "pin": pin, "_csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303, (code, answer.status_code, answer.text[:300])


async def _time(
    client: Any, times: ServerTimes, label: str, path: str, runs: int, headers: dict[str, str] | None = None
) -> Timing:
    for _ in range(2):
        answer = await client.get(path, headers=headers)
        assert answer.status_code == 200, (label, path, answer.status_code, answer.text[:300])
    served = []
    for _ in range(runs):
        times.ms.clear()
        answer = await client.get(path, headers=headers)
        assert answer.status_code == 200, (label, path, answer.status_code)
        served.append(times.ms[-1])
    served.sort()
    return Timing(label, statistics.median(served), served[max(0, int(len(served) * 0.95 + 0.5) - 1)], path)


async def ids_for(settings: Any, built: Built) -> dict[str, Any]:
    """The records the pages name: the first bulk village's, and the demo village's officers."""
    from shop.db import create_alchemy_config, read_session
    from shop.ledger.models import PayoutBatch
    from shop.orders.models import Order
    from shop.streams.models import Stream
    from shop.villages.models import Household

    alchemy = create_alchemy_config(settings)
    vid = built.first_village_id
    try:
        async with read_session(alchemy) as s:
            household = (
                await s.execute(select(Household.id).where(Household.code == built.first_household_code))
            ).scalar_one()
            order = (
                await s.execute(select(func.max(Order.id)).where(Order.village_id == vid, Order.status == "completed"))
            ).scalar_one()
            batch = (
                await s.execute(select(func.max(PayoutBatch.id)).where(PayoutBatch.village_id == vid))
            ).scalar_one()
            stream = (
                await s.execute(select(func.max(Stream.id)).where(Stream.village_id == vid, Stream.status == "ended"))
            ).scalar_one()
    finally:
        await alchemy.get_engine().dispose()
    return {"village": vid, "household": household, "order": order, "batch": batch, "stream": stream}


async def time_pages(settings: Any, built: Built, runs: int) -> dict[str, Timing]:
    from litestar.testing import AsyncTestClient

    from shop.app import create_app
    from shop.cases.demo import DEMO_COUNTY_SUPERVISOR, DEMO_TOWNSHIP_OFFICER
    from shop.demo import DEMO_ADMIN, DEMO_TRAINEES

    rec = await ids_for(settings, built)
    v, h, month = rec["village"], rec["household"], built.statement_month
    secretary = [
        ("desk", "/village"),
        ("orders", "/orders"),
        ("orders ?status=completed", "/orders?status=completed"),
        ("orders ?status=shipped", "/orders?status=shipped"),
        ("orders ?q= (search)", "/orders?q=CX001"),
        ("orders page 50", "/orders?page=50"),
        ("order detail", f"/orders/{rec['order']}"),
        ("packing list", "/orders/packing"),
        ("shipping list", "/orders/shipping"),
        ("ledger", "/ledger"),
        ("ledger page 50", "/ledger?page=50"),
        ("payouts", "/payouts"),
        ("payout batch", f"/payouts/batches/{rec['batch']}"),
        ("audit", "/audit"),
        ("households", "/households"),
        ("household detail", f"/households/{h}"),
        ("statement (staff)", f"/households/{h}/statement/{month}"),
        ("catalogue", "/catalogue"),
        ("streams", "/streams"),
        ("stream report", f"/streams/{rec['stream']}/report"),
        ("village fees", "/village/fees"),
        ("transparency board", f"/v/{v}/transparency"),
        ("village public page", f"/v/{v}"),
    ]
    api = [
        ("API orders", "/api/v1/orders"),
        ("API orders ?status=completed", "/api/v1/orders?status=completed"),
        ("API orders offset 5000", "/api/v1/orders?offset=5000"),
        ("API households", "/api/v1/households"),
        ("API household earnings", f"/api/v1/households/{h}/earnings"),
        ("API transparency", f"/api/v1/villages/{v}/transparency"),
        ("API products", "/api/v1/products"),
    ]
    household = [
        ("villager home", "/household"),
        ("villager statement", f"/household/statement/{month}"),
        ("villager cases", "/household/cases"),
    ]
    results: dict[str, Timing] = {}
    app = create_app(settings)
    with ServerTimes() as times:
        async with AsyncTestClient(app=app, base_url="http://bench.local") as client:
            await _login(client, built.first_secretary, PASSWORD)
            for label, path in secretary:
                results[label] = await _time(client, times, label, path, runs)
            answer = await client.post(
                "/api/v1/auth/token", json={"username": built.first_secretary, "password": PASSWORD}
            )
            assert answer.status_code in (200, 201), answer.text
            bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            client.cookies.clear()
            for label, path in api:
                results[label] = await _time(client, times, label, path, runs, headers=bearer)
            await _household_login(client, built.first_household_code, PIN)
            for label, path in household:
                results[label] = await _time(client, times, label, path, runs)
            await _login(client, DEMO_TRAINEES[0][0], DEMO_TRAINEES[0][1])
            results["trainee home"] = await _time(client, times, "trainee home", "/training", runs)
            await _login(client, DEMO_TOWNSHIP_OFFICER[0], DEMO_TOWNSHIP_OFFICER[1])
            results["township page"] = await _time(client, times, "township page", "/township", runs)
            results["township cases"] = await _time(client, times, "township cases", "/cases", runs)
            await _login(client, DEMO_COUNTY_SUPERVISOR[0], DEMO_COUNTY_SUPERVISOR[1])
            results["county page"] = await _time(client, times, "county page", "/county", runs)
            results["county cases"] = await _time(client, times, "county cases", "/cases", runs)
            await _login(client, DEMO_ADMIN[0], DEMO_ADMIN[1])
            results["admin villages"] = await _time(client, times, "admin villages", "/admin/villages", runs)
    return results


async def time_import(settings: Any, rows: int) -> Timing:
    """The 100,000-row export into a village of its own, end to end (bytes → committed orders)."""
    from bench.import_bench import _seed
    from shop.accounts.principal import Principal
    from shop.db import create_alchemy_config
    from shop.orders.imports.services import OrderImports
    from shop.wiring import link_domains
    from tests.orders.export_factory import make_douyin_export

    data = make_douyin_export(rows)
    village_id = await _seed(settings, units_per_lot=max(10, rows // 5))
    alchemy = create_alchemy_config(settings)
    try:
        started = time.perf_counter()
        imports = OrderImports(alchemy, settings, link_domains().events)
        outcome = await imports.import_export(Principal.system(), data, "orders.csv", "douyin", village_id=village_id)
        seconds = time.perf_counter() - started
    finally:
        await alchemy.get_engine().dispose()
    assert outcome.created, outcome
    assert not outcome.rejected, outcome
    ms = seconds * 1000
    return Timing(f"import {rows:,} rows", ms, ms, f"{outcome.created:,} orders")


async def time_jobs(settings: Any, built: Built) -> dict[str, Timing]:
    """Each nightly job once, timed, with orders placed beside it: the slowest order while it runs says
    whether the order path waits on the job's locks."""
    from scheduler.runner import make_runner

    runner = make_runner(settings)
    runner.is_leader = True
    wanted = ["ledger.credit_completed_orders", "ledger.check_balances", "ops.backup_database"]
    jobs = {job.id: job for job in runner.active_jobs()}
    results = {}
    token, product = await _order_token(settings, built)
    try:
        for job_id in wanted:
            if job_id not in jobs:
                continue
            started = time.perf_counter()
            task = asyncio.create_task(runner.run_job(jobs[job_id]))
            order_ms = await _orders_while(settings, token, product, task)
            seconds = time.perf_counter() - started
            placed = [ms for ms, status in order_ms if status in (200, 201)]
            refused = Counter(status for _, status in order_ms if status not in (200, 201))
            note = (
                f"{len(order_ms)} orders beside it, slowest {max(placed, default=0):.0f} ms, "
                + (", ".join(f"{n} refused ({_REFUSAL.get(s, s)})" for s, n in sorted(refused.items())) or "0 refused")
                if order_ms
                else "no order beside it"
            )
            results[job_id] = Timing(job_id, seconds * 1000, seconds * 1000, note)
    finally:
        await runner.alchemy.get_engine().dispose()
    return results


_REFUSAL: dict[int, str | int] = {503: "busy", 409: "conflict or out of stock"}


async def _order_token(settings: Any, built: Built) -> tuple[str, int]:
    """A secretary's API token and a product of the first bulk village with a fresh lot of 1,000,000 units,
    so the orders placed beside the jobs never run out of stock (its bulk lots hold about a thousand)."""
    from shop.accounts.models import User
    from shop.accounts.secrets import SecretHasher
    from shop.accounts.services import AuthService, principal_for_user
    from shop.catalogue.models import Product
    from shop.catalogue.services import ContributionInput, LotService
    from shop.db import create_alchemy_config, unit_of_work
    from shop.villages.models import Household

    alchemy = create_alchemy_config(settings)
    try:
        async with unit_of_work(alchemy) as s:
            user = (await s.execute(select(User).where(User.username == built.first_secretary))).scalar_one()
            product = (
                await s.execute(select(func.min(Product.id)).where(Product.village_id == built.first_village_id))
            ).scalar_one()
            household = (
                await s.execute(select(func.min(Household.id)).where(Household.village_id == built.first_village_id))
            ).scalar_one()
            secretary = principal_for_user(user)
            await LotService(s).receive_lot(
                secretary, product, quantity=1_000_000, contributions=[ContributionInput(household, 1_000_000)]
            )
            token, _ = await AuthService(s, SecretHasher(settings)).issue_token(secretary, 3600)
    finally:
        await alchemy.get_engine().dispose()
    return token, product


async def _orders_while(settings: Any, token: str, product: int, task: asyncio.Task[Any]) -> list[tuple[float, int]]:
    """Orders placed one after another through the app while ``task`` runs; each one's time in ms and the
    answer's status."""
    from litestar.testing import AsyncTestClient

    from shop.app import create_app

    body = {
        "items": [{"product_id": product, "quantity": 1}],
        "buyer_name": "压测",
        "buyer_phone": "13800000000",
        "address": "压测",
    }
    took = []
    async with AsyncTestClient(app=create_app(settings), base_url="http://bench.local") as client:
        headers = {"Authorization": f"Bearer {token}"}
        while not task.done():
            began = time.perf_counter()
            answer = await client.post("/api/v1/orders", json=body, headers=headers)
            took.append(((time.perf_counter() - began) * 1000, answer.status_code))
            await asyncio.sleep(0.05)
    await task
    return took


def database_bytes(settings: Any, name: str, admin_url: str) -> int:
    """The database's size on disk after the build: the SQLite file, or PostgreSQL's pg_database_size."""
    if settings.is_sqlite:
        return Path(settings.database_url.split("///", 1)[1]).stat().st_size

    async def ask() -> int:
        import asyncpg

        conn = await asyncpg.connect(settings.database_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            return int(await conn.fetchval("SELECT pg_database_size(current_database())"))
        finally:
            await conn.close()

    return asyncio.run(ask())


def run_one(db: str, size: Size, args: argparse.Namespace, say: Any) -> Result:
    from shop.cli import migrate

    with tempfile.TemporaryDirectory(prefix="county-bench-") as folder:
        var = Path(folder)
        if db == "sqlite":
            url = f"sqlite+aiosqlite:///{var / 'county.db'}"
            name = ""
        else:
            name = f"shop_county_{size.name.replace('-', '_')}"
            url = pg_fresh(name, args.postgres)
        try:
            settings = settings_for(url, var)
            migrate(settings)
            say(f"  building {size.name} on {db} …")
            build_s, built = asyncio.run(seed_and_build(settings, size, say))
            say(
                f"  built in {build_s:.1f} s: {built.villages} villages, {built.households:,} households, "
                f"{built.orders:,} orders, {built.lines:,} lines, ~{built.transactions:,} ledger transactions, "
                f"~{built.entries:,} entries, {built.lots:,} lots, {built.streams:,} streams"
            )
            result = Result(db, size, build_s, built, database_bytes(settings, name, args.postgres))
            say(f"  database size: {result.size_bytes / 1e6:,.0f} MB")
            result.pages = asyncio.run(time_pages(settings, built, args.runs))
            if args.quick and size is not args.largest:
                # --quick times the import and the nightly jobs at its larger size only, where they cost most.
                report(result, say)
                return result
            if args.import_rows:
                timing = asyncio.run(time_import(settings, args.import_rows))
                result.jobs[timing.label] = timing
            result.jobs.update(asyncio.run(time_jobs(settings, built)))
            report(result, say)
            return result
        finally:
            if name and not args.keep:
                pg_drop(name, args.postgres)


def report(result: Result, say: Any) -> None:
    say(f"  {result.db} {result.size.name}: server time per page, ms ({result.size.name})")
    for label, t in result.pages.items():
        say(f"    {label:<32} p50 {t.p50:7.1f}  p95 {t.p95:7.1f}")
    for label, t in result.jobs.items():
        say(f"    {label:<32} {t.p50 / 1000:7.1f} s   {t.note}")


def markdown_table(results: list[Result]) -> str:
    """Pages and jobs by size, p50 / p95 ms (jobs in seconds), for docs/benchmarks.md."""
    head = [f"{r.db} {r.size.name}" for r in results]
    lines = ["| page or job | " + " | ".join(head) + " |", "| --- |" + " --- |" * len(results)]
    lines.append("| build (s) | " + " | ".join(f"{r.build_s:.0f}" for r in results) + " |")
    lines.append("| database (MB) | " + " | ".join(f"{r.size_bytes / 1e6:,.0f}" for r in results) + " |")
    labels = list(dict.fromkeys(label for r in results for label in r.pages))
    for label in labels:
        cells = [f"{r.pages[label].p50:.1f} / {r.pages[label].p95:.1f}" if label in r.pages else "—" for r in results]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    jobs = list(dict.fromkeys(label for r in results for label in r.jobs))
    for label in jobs:
        cells = [
            f"{r.jobs[label].p50 / 1000:.1f} s ({r.jobs[label].note})" if label in r.jobs else "—" for r in results
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def growth(results: list[Result]) -> list[tuple[str, str, float, float, float]]:
    """Per database: (db, page, p95 smallest, p95 largest, factor), largest factor first."""
    rows = []
    for db in {r.db for r in results}:
        mine = sorted((r for r in results if r.db == db), key=lambda r: SIZES.index(r.size))
        if len(mine) < 2:
            continue
        small, large = mine[0], mine[-1]
        for label, t in large.pages.items():
            if label in small.pages:
                rows.append((db, label, small.pages[label].p95, t.p95, t.p95 / max(small.pages[label].p95, 0.1)))
    return sorted(rows, key=lambda r: -r[4])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the first two sizes only")
    parser.add_argument("--sizes", default="", help="which sizes, e.g. 1,2 or 3 (default: all; --quick: 1,2)")
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both (default)")
    parser.add_argument(
        "--runs", type=int, default=0, help="timed requests per page after two warm-ups (default 30; --quick: 10)"
    )
    parser.add_argument("--import-rows", type=int, default=100_000, help="rows of the export import; 0 skips")
    parser.add_argument("--postgres", default=PG_ADMIN_URL, help="PostgreSQL admin URL")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL databases (shop_county_*)")
    args = parser.parse_args(argv)
    if args.sizes:
        sizes = [SIZES[int(n) - 1] for n in args.sizes.split(",")]
    else:
        sizes = list(SIZES[:2] if args.quick else SIZES)
    args.runs = args.runs or (10 if args.quick else 30)
    args.largest = max(sizes, key=SIZES.index)
    dbs = [d.strip() for d in args.db.split(",") if d.strip()]
    if "postgresql" in dbs and (why := pg_reachable(args.postgres)):
        print(f"PostgreSQL not reachable ({why}); SQLite only", flush=True)
        dbs.remove("postgresql")

    began = time.monotonic()

    def say(line: str) -> None:
        print(line, flush=True)

    say(f"county benchmark: sizes {', '.join(s.name for s in sizes)}; {', '.join(dbs)}; {os.cpu_count()} CPUs")
    results = []
    for db in dbs:
        for size in sizes:
            if db == "sqlite" and SIZES.index(size) >= SQLITE_SIZES:
                say(f"  ({size.name} is not built on SQLite: a county's years are PostgreSQL's)")
                continue
            results.append(run_one(db, size, args, say))
    say("")
    say(markdown_table(results))
    rows = growth(results)
    for db, label, small, large, factor in rows[:8]:
        say(f"  growth {db:<10} {label:<32} p95 {small:6.1f} → {large:6.1f} ms  x{factor:.2f}")
    say(f"(whole run {time.monotonic() - began:.0f} s)")
    if rows:
        db, label, _, _, factor = rows[0]
        say(f"worst growth: {label} ({db}) x{factor:.2f}")
    else:
        say("worst growth: (one size only) x1.00")
    return 0


if __name__ == "__main__":
    sys.exit(main())
