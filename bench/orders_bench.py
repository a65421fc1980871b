"""The order write path under load: our POST /api/v1/orders against the naive peer, side by side.

The method is ``../shared/bench/compare_orders.sh``'s, reproduced here so that one run can repeat it and
check the stock afterwards: the peer (``naive_orders_app.py`` from that folder, unchanged) runs under
granian on its own database, ours runs as ``shop run``; wrk loads each in turn with the same body
(``{"items":[{"product_id":P,"quantity":1}], …}``), the same connections and the same duration, one
thread. Rounds alternate peer, ours, peer, ours…, so both see the same machine; the ratio of each round
is taken and the median of the rounds reported. Each round also loads ``bench/ceiling_app.py``, Litestar
answering the same request with no database and no token: the most any Litestar service can do here.

After the load the database is checked: every unit sold came out of a lot (stock + sold = received, per
lot), no lot below zero, one allocation per unit, and as many orders as wrk counted answers of 2xx (or a
few more: wrk stops with requests in flight). Then a burst of the same load goes at a product with a
few thousand units: exactly those units are sold, the rest are refused with 409, none is oversold.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.pg import PG_ADMIN_URL, pg_drop, pg_fresh, pg_reachable, pg_url
from shop.settings import PROJECT_ROOT

NAIVE_DIR = Path(os.environ.get("SHOP_BENCH_NAIVE_DIR") or PROJECT_ROOT.parent / "shared" / "bench")
PG_DATABASE = "shop_bench"
PG_NAIVE_DATABASE = "shop_bench_naive"


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: str = ""

    @property
    def ok_rps(self) -> float:
        """Answers of 2xx per second: the orders placed."""
        return (self.requests - self.non_2xx) / self.seconds


@dataclass
class Round:
    naive: WrkResult
    ours: WrkResult
    ceiling: WrkResult | None = None  # bench/ceiling_app.py: Litestar answering without database or token

    @property
    def ratio(self) -> float:
        return self.ours.ok_rps / self.naive.ok_rps if self.naive.ok_rps else float("inf")


@dataclass
class StockCheck:
    received: int
    remaining: int
    sold: int
    allocated: int
    orders: int
    negative_lots: int
    lot_mismatches: int

    @property
    def oversold(self) -> int:
        """Units sold beyond what the lots received: sold + still in stock - received, when above 0."""
        return max(0, self.sold + self.remaining - self.received)

    @property
    def balanced(self) -> bool:
        return (
            self.remaining + self.sold == self.received
            and self.allocated == self.sold
            and self.negative_lots == 0
            and self.lot_mismatches == 0
        )


@dataclass
class BackendResult:
    name: str
    detail: str
    rounds: list[Round] = field(default_factory=list)
    load_check: StockCheck | None = None
    ok_answers: int = 0
    sellout: WrkResult | None = None
    sellout_check: StockCheck | None = None
    skipped: str = ""
    writer_line: str = ""  # what our order writer said of its SQLite connection (synchronous=…)

    def problems(self) -> list[str]:
        """What makes the figures untrustworthy: unbalanced books, or SQLite not durable as claimed."""
        if self.skipped:
            return []
        found = []
        if not (self.load_check and self.load_check.balanced):
            found.append(f"{self.name}: the books do not balance after the load")
        if not (self.sellout_check and self.sellout_check.balanced and self.sellout_check.oversold == 0):
            found.append(f"{self.name}: the books do not balance after the sell-out burst")
        if self.name == "SQLite" and "synchronous=FULL" not in self.writer_line:
            found.append(f"SQLite: the order writer did not report synchronous=FULL ({self.writer_line or 'nothing'})")
        return found


# ---------------------------------------------------------------------------------------------- wrk


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not match:
        raise ValueError(f"unreadable wrk latency {value!r}")
    number, unit = float(match.group(1)), match.group(2)
    return number * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(output: str) -> WrkResult:
    total = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*", output)
    if not (total and rps and p50 and p99):
        raise RuntimeError(f"wrk said something unexpected:\n{output}")
    seconds = _ms(total.group(2) + total.group(3)) / 1000
    return WrkResult(
        requests=int(total.group(1)),
        seconds=seconds,
        rps=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=errors.group(0) if errors else "",
    )


def write_lua(folder: Path, token: str, product_id: int) -> Path:
    """compare_orders.sh's request, byte for byte."""
    body = (
        f'{{"items":[{{"product_id":{product_id},"quantity":1}}],'
        '"buyer_name":"bench","buyer_phone":"13800000000","address":"bench"}'
    )
    path = folder / f"post-{product_id}.lua"
    path.write_text(
        f'wrk.method = "POST"\n'
        f"wrk.body = '{body}'\n"
        f'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n',
        encoding="utf-8",
    )
    return path


def run_wrk(base_url: str, lua: Path, connections: int, seconds: int) -> WrkResult:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(lua), f"{base_url}/api/v1/orders"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return parse_wrk(output)


# ------------------------------------------------------------------------------------------ servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}); its log:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers: up
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not come up; its log:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def server(command: list[str], env: dict[str, str], url: str, log: Path, cwd: Path | None = None) -> Iterator[None]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True
        )
    try:
        wait_until_up(url, process, log)
        yield
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def python_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOP_")}
    # compare_orders.sh expects granian and the peer's packages in the python on PATH: ours.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def granian_command(port: int, folder: Path, target: str) -> list[str]:
    """compare_orders.sh's way of serving the peer: granian's defaults, one worker."""
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--working-dir",
        str(folder),
        target,
    ]


# ---------------------------------------------------------------------------------------- databases


async def stock_check(database_url: str, product_id: int) -> StockCheck:
    """The product's books in one statement, so one snapshot (the server may still be answering)."""
    placed = (
        "FROM order_line ol JOIN shop_order o ON o.id = ol.order_id "
        "WHERE ol.product_id = :p AND o.status <> 'cancelled'"
    )
    allocated = (
        "FROM allocation a JOIN order_line ol ON ol.id = a.line_id JOIN shop_order o ON o.id = ol.order_id "
        "WHERE o.status <> 'cancelled'"
    )
    statement = text(
        "SELECT "
        "(SELECT COALESCE(SUM(quantity), 0) FROM lot WHERE product_id = :p), "
        "(SELECT COALESCE(SUM(remaining), 0) FROM lot WHERE product_id = :p), "
        f"(SELECT COALESCE(SUM(ol.quantity), 0) {placed}), "
        f"(SELECT COALESCE(SUM(a.quantity), 0) {allocated} "
        "AND a.lot_id IN (SELECT id FROM lot WHERE product_id = :p)), "
        f"(SELECT COUNT(DISTINCT o.id) {placed}), "
        "(SELECT COUNT(*) FROM lot WHERE product_id = :p AND remaining < 0), "
        "(SELECT COUNT(*) FROM lot l WHERE l.product_id = :p AND l.quantity - l.remaining <> "
        f"(SELECT COALESCE(SUM(a.quantity), 0) {allocated} AND a.lot_id = l.id))"
    )
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(statement, {"p": product_id})).one()
    finally:
        await engine.dispose()
    return StockCheck(*(int(value) for value in row))


def seed(env: dict[str, str], stock: int, sellout: int) -> tuple[str, int, int]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.seed", str(stock), str(sellout)],
        env=env,
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    token, product_id, sellout_id = output.split()[-3:]
    return token, int(product_id), int(sellout_id)


# -------------------------------------------------------------------------------------------- runs


@dataclass
class Options:
    seconds: int = 10
    rounds: int = 3
    connections: int = 64
    warmup: int = 2
    stock: int = 2_000_000
    sellout_stock: int = 500
    sellout_seconds: int = 3
    # 0: the server's default, one web worker per core (SHOP_WORKERS unset); on SQLite their order writers
    # take turns by a lock file
    pg_workers: int = 0
    sqlite_workers: int = 0
    ceiling: bool = True


def run_backend(
    name: str, detail: str, our_env: dict[str, str], naive_db: str, database_url: str, options: Options, work: Path
) -> BackendResult:
    result = BackendResult(name, detail)
    env = python_env(our_env)
    print(f"\n== {name}: {detail}", flush=True)
    token, product_id, sellout_id = seed(env, options.stock, options.sellout_stock)
    ours_port, naive_port = free_port(), free_port()
    ours_url, naive_url = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{naive_port}"
    lua = write_lua(work, token, product_id)
    naive_lua = write_lua(work, token, 1)  # the peer reads only items[0].quantity; its product is always 1
    ours = server(
        [sys.executable, "-m", "shop", "run", "--no-scheduler"],
        {**env, "SHOP_PORT": str(ours_port)},
        f"{ours_url}/healthz",
        work / f"{name}-ours.log",
        cwd=PROJECT_ROOT,
    )
    naive = server(
        granian_command(naive_port, NAIVE_DIR, "naive_orders_app:app"),
        python_env({"SHOP_NAIVE_DB": naive_db}),
        f"{naive_url}/",
        work / f"{name}-naive.log",
        cwd=NAIVE_DIR,
    )
    ceiling_port = free_port()
    ceiling_url = f"http://127.0.0.1:{ceiling_port}"
    with contextlib.ExitStack() as servers:
        servers.enter_context(ours)
        servers.enter_context(naive)
        if options.ceiling:
            servers.enter_context(
                server(
                    granian_command(ceiling_port, PROJECT_ROOT, "bench.ceiling_app:app"),
                    python_env({}),
                    f"{ceiling_url}/",
                    work / f"{name}-ceiling.log",
                    cwd=PROJECT_ROOT,
                )
            )
        if options.warmup:
            run_wrk(naive_url, naive_lua, options.connections, options.warmup)
            run_wrk(ours_url, lua, options.connections, options.warmup)
        warm = asyncio.run(stock_check(database_url, product_id))
        for n in range(options.rounds):
            naive_run = run_wrk(naive_url, naive_lua, options.connections, options.seconds)
            ours_run = run_wrk(ours_url, lua, options.connections, options.seconds)
            ceiling_run = (
                run_wrk(ceiling_url, naive_lua, options.connections, options.seconds) if options.ceiling else None
            )
            result.rounds.append(Round(naive_run, ours_run, ceiling_run))
            result.ok_answers += ours_run.requests - ours_run.non_2xx
            print(
                f"  round {n + 1}: peer {naive_run.ok_rps:6.0f}/s p50 {naive_run.p50_ms:5.1f} ms "
                f"p99 {naive_run.p99_ms:6.1f} ms | ours {ours_run.ok_rps:6.0f}/s p50 {ours_run.p50_ms:5.1f} ms "
                f"p99 {ours_run.p99_ms:6.1f} ms non-2xx {ours_run.non_2xx} | ratio {result.rounds[-1].ratio:5.2f}"
                + (f" | ceiling {ceiling_run.ok_rps:6.0f}/s" if ceiling_run else ""),
                flush=True,
            )
        time.sleep(1)  # the requests wrk left in flight are answered
        check = asyncio.run(stock_check(database_url, product_id))
        check.orders -= warm.orders  # orders placed by the measured rounds only
        result.load_check = check
        sellout_lua = write_lua(work, token, sellout_id)
        result.sellout = run_wrk(ours_url, sellout_lua, options.connections, options.sellout_seconds)
        time.sleep(1)
        result.sellout_check = asyncio.run(stock_check(database_url, sellout_id))
    log = (work / f"{name}-ours.log").read_text(encoding="utf-8", errors="replace")
    said = re.search(r"order writer on SQLite: [^\"]*", log)
    result.writer_line = said.group(0) if said else ""
    return result


def bench_sqlite(options: Options) -> BackendResult:
    with tempfile.TemporaryDirectory(prefix="orders-bench-") as folder:
        work = Path(folder)
        url = f"sqlite+aiosqlite:///{work / 'shop.db'}"
        env = {
            "SHOP_DATABASE_URL": url,
            "SHOP_VAR_DIR": str(work / "var"),
            "SHOP_SECRET_KEY": "bench-secret",
            **_workers_env(options.sqlite_workers),
        }
        return run_backend(
            "SQLite",
            f"one file, WAL, synchronous=FULL, {_workers_label(options.sqlite_workers)} taking turns to write; "
            "peer on its own SQLite file (its own pragmas)",
            env,
            f"sqlite+aiosqlite:///{work / 'naive.db'}",
            url,
            options,
            work,
        )


def _workers_env(workers: int) -> dict[str, str]:
    """SHOP_WORKERS when a count was asked for; else unset, so the server runs its default (one per core)."""
    return {"SHOP_WORKERS": str(workers)} if workers else {}


def _workers_label(workers: int) -> str:
    return f"{workers} web worker(s)" if workers else f"{os.cpu_count()} web worker(s) (the default: one per core)"


def bench_postgresql(options: Options) -> BackendResult:
    why = pg_reachable()
    if why:
        result = BackendResult("PostgreSQL", "")
        result.skipped = f"PostgreSQL at {make_url(PG_ADMIN_URL).render_as_string()} is unreachable ({why})"
        print(f"\n== PostgreSQL skipped: {result.skipped}", flush=True)
        return result
    pg_fresh(PG_DATABASE)
    pg_fresh(PG_NAIVE_DATABASE)
    try:
        with tempfile.TemporaryDirectory(prefix="orders-bench-") as folder:
            work = Path(folder)
            url = pg_url(PG_DATABASE)
            env = {
                "SHOP_DATABASE_URL": url,
                "SHOP_VAR_DIR": str(work / "var"),
                "SHOP_SECRET_KEY": "bench-secret",
                **_workers_env(options.pg_workers),
            }
            return run_backend(
                "PostgreSQL",
                f"database {PG_DATABASE}, one hot product, {_workers_label(options.pg_workers)}; "
                f"peer 1 worker on database {PG_NAIVE_DATABASE}",
                env,
                pg_url(PG_NAIVE_DATABASE),
                url,
                options,
                work,
            )
    finally:
        pg_drop(PG_NAIVE_DATABASE)


# ------------------------------------------------------------------------------------------ report


def summarise(result: BackendResult, options: Options) -> list[str]:
    if result.skipped:
        return [f"{result.name}: skipped — {result.skipped}"]
    rounds = result.rounds
    med = statistics.median
    lines = [
        f"{result.name} ({result.detail})",
        f"  {options.connections} connections, {options.seconds} s per side per round, {len(rounds)} rounds; medians:",
        f"  naive peer : {med(r.naive.ok_rps for r in rounds):8.0f} orders/s   "
        f"p50 {med(r.naive.p50_ms for r in rounds):7.1f} ms   p99 {med(r.naive.p99_ms for r in rounds):7.1f} ms",
        f"  ours       : {med(r.ours.ok_rps for r in rounds):8.0f} orders/s   "
        f"p50 {med(r.ours.p50_ms for r in rounds):7.1f} ms   p99 {med(r.ours.p99_ms for r in rounds):7.1f} ms   "
        f"non-2xx {sum(r.ours.non_2xx for r in rounds)}",
        f"  ratio ours/peer: median {med(r.ratio for r in rounds):.2f} (rounds: "
        + ", ".join(f"{r.ratio:.2f}" for r in rounds)
        + ")",
    ]
    ceilings = [r for r in rounds if r.ceiling is not None]
    if ceilings:
        lines.append(
            f"  ceiling (bench/ceiling_app.py: Litestar, no database, no token): "
            f"{med(r.ceiling.ok_rps for r in ceilings):8.0f} orders/s   "  # type: ignore[union-attr]
            f"p99 {med(r.ceiling.p99_ms for r in ceilings):7.1f} ms   ratio ceiling/peer: median "  # type: ignore[union-attr]
            f"{med(r.ceiling.ok_rps / r.naive.ok_rps for r in ceilings):.2f}"  # type: ignore[union-attr]
        )
    if result.writer_line:
        lines.append(f"  our server's log: {result.writer_line}")
    check = result.load_check
    if check is not None:
        lines.append(
            f"  stock after the load: received {check.received}, sold {check.sold}, left {check.remaining}, "
            f"allocated {check.allocated}; {check.orders} orders for {result.ok_answers} answers of 2xx; "
            f"oversold {check.oversold}; books {'balance' if check.balanced else 'DO NOT BALANCE'}"
        )
    if result.sellout is not None and result.sellout_check is not None:
        s, c = result.sellout, result.sellout_check
        lines.append(
            f"  sell-out burst: {s.requests} requests for {c.received} units → {c.sold} sold in {c.orders} orders, "
            f"{s.non_2xx} refused, {c.remaining} left, oversold {c.oversold}; "
            f"books {'balance' if c.balanced else 'DO NOT BALANCE'}"
        )
    return lines


def add_arguments(parser: Any) -> None:
    """The order benchmark's options, for this module's command line and ``make bench``'s."""
    parser.add_argument("--seconds", type=int, default=Options.seconds, help="wrk duration per side")
    parser.add_argument("--rounds", type=int, default=Options.rounds, help="peer/ours pairs per database")
    parser.add_argument("--connections", type=int, default=Options.connections)
    parser.add_argument("--pg-workers", type=int, default=Options.pg_workers)
    parser.add_argument("--sqlite-workers", type=int, default=Options.sqlite_workers)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None, help="one database only")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the framework-only ceiling server")


def options_from(args: Any) -> Options:
    return Options(
        seconds=args.seconds,
        rounds=args.rounds,
        connections=args.connections,
        pg_workers=args.pg_workers,
        sqlite_workers=args.sqlite_workers,
        ceiling=not args.no_ceiling,
    )


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    args = parser.parse_args(argv)
    options = options_from(args)
    problems = [problem for result in run(options, only=args.only) for problem in result.problems()]
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


def run(options: Options, only: str | None = None) -> list[BackendResult]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    if not (NAIVE_DIR / "naive_orders_app.py").exists():
        raise SystemExit(f"the naive peer is missing: {NAIVE_DIR / 'naive_orders_app.py'}")
    results = []
    if only in (None, "sqlite"):
        results.append(bench_sqlite(options))
    if only in (None, "postgresql"):
        results.append(bench_postgresql(options))
    print("\n== Order write path (POST /api/v1/orders), ours against the naive peer")
    for result in results:
        print("\n".join(summarise(result, options)))
    return results


if __name__ == "__main__":
    sys.exit(main())
