"""The order write path while 200 client addresses guess household PINs, and the login throughput.

Our server runs as ``shop run`` (two workers, SQLite with synchronous=FULL, the production argon2 cost),
behind a "proxy" it trusts (``SHOP_TRUSTED_PROXIES=127.0.0.1``: wrk connects from there and names the
client in ``X-Forwarded-For``). In one run:

1. quiet: wrk places orders (compare_orders.sh's request) for ``--seconds``;
2. flood: the same, while a second wrk sends wrong PINs for the village's households from 200 distinct
   addresses, as fast as the server answers (each address gets its 5 tries per household and its 100 per
   window verified; the rest are refused from the counts, without a hash);
3. logins: right PINs from 200 addresses for ``--seconds``: successful logins per second (each an argon2
   verification and a token).

The bar (issue 11): no order answered other than 2xx, orders' p99 under 100 ms and at least half the quiet
run's orders per second while the flood runs. A benchmark, not a test: it prints the figures and says
whether the bar was met; the exit code is 1 only when a step cannot run.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.orders_bench import (
    WrkResult,
    free_port,
    parse_wrk,
    python_env,
    run_wrk,
    seed,
    server,
    write_lua,
)
from shop.settings import PROJECT_ROOT

ADDRESSES = 200


def flood_lua(folder: Path, pin: str, codes: list[str], name: str) -> Path:
    """Household logins from ``ADDRESSES`` addresses in turn, counting the answers by status."""
    quoted = ", ".join(f'"{c}"' for c in codes)
    path = folder / f"{name}.lua"
    path.write_text(
        f"""
local n = 0
local codes = {{{quoted}}}
counts = {{}}
local threads = {{}}
setup = function(thread) table.insert(threads, thread) end
request = function()
  n = n + 1
  local k = math.floor(n / #codes) % {ADDRESSES}
  local address = "198.18." .. math.floor(k / 250) .. "." .. (k % 250 + 1)
  local code = codes[(n % #codes) + 1]
  local body = '{{"household_code":"' .. code .. '","pin":"{pin}"}}'
  return wrk.format("POST", "/api/v1/auth/household-token",
    {{["Content-Type"] = "application/json", ["X-Forwarded-For"] = address}}, body)
end
response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
done = function(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for status, count in pairs(c) do io.write(string.format("status %d: %d\\n", status, count)) end
  end
end
""",
        encoding="utf-8",
    )
    return path


@dataclass
class Flood:
    wrk: WrkResult
    statuses: dict[int, int]


def start_wrk(url: str, lua: Path, connections: int, seconds: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(lua), url],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish_wrk(process: subprocess.Popen[str]) -> Flood:
    output, _ = process.communicate(timeout=600)
    statuses = {int(s): int(c) for s, c in re.findall(r"^status (\d+): (\d+)$", output, re.M)}
    return Flood(parse_wrk(output), statuses)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64, help="wrk connections placing orders")
    parser.add_argument("--flood-connections", type=int, default=32, help="wrk connections guessing PINs")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="login-flood-") as folder:
        work = Path(folder)
        env = python_env(
            {
                "SHOP_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'shop.db'}",
                "SHOP_VAR_DIR": str(work / "var"),
                "SHOP_SECRET_KEY": "bench-secret",
                "SHOP_WORKERS": str(args.workers),
                "SHOP_TRUSTED_PROXIES": "127.0.0.1",
                "SHOP_LOG_LEVEL": "WARNING",
            }
        )
        token, product_id, _ = seed(env, 2_000_000, 500)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        orders = write_lua(work, token, product_id)
        codes = ["YC-001", "YC-002", "YC-003"]
        wrong = flood_lua(work, "000000", codes, "wrong-pins")
        right = flood_lua(work, "123456", codes, "right-pins")
        with server(
            [sys.executable, "-m", "shop", "run", "--no-scheduler"],
            {**env, "SHOP_PORT": str(port)},
            f"{url}/healthz",
            work / "ours.log",
            cwd=PROJECT_ROOT,
        ):
            run_wrk(url, orders, args.connections, 2)  # warm-up
            # Logins first: the flood's wrong PINs fill the households' counts for the rest of the window.
            logins = finish_wrk(start_wrk(url, right, args.flood_connections, args.seconds))
            quiet = run_wrk(url, orders, args.connections, args.seconds)
            flood_process = start_wrk(url, wrong, args.flood_connections, args.seconds + 2)
            time.sleep(1)
            loud = run_wrk(url, orders, args.connections, args.seconds)
            flood = finish_wrk(flood_process)

    def line(name: str, r: WrkResult) -> str:
        return (
            f"  {name:<22}{r.ok_rps:8.0f} orders/s   p50 {r.p50_ms:6.1f} ms   p99 {r.p99_ms:6.1f} ms   "
            f"non-2xx {r.non_2xx}"
        )

    print(f"\n== Orders while {ADDRESSES} addresses guess PINs (SQLite, {args.workers} workers, trusted proxy)")
    print(
        f"  {args.connections} connections placing orders, {args.seconds} s each; "
        f"flood: {args.flood_connections} connections"
    )
    print(line("quiet", quiet))
    print(line("during the flood", loud))
    statuses = ", ".join(f"{s}: {c}" for s, c in sorted(flood.statuses.items()))
    print(
        f"  the flood: {flood.wrk.requests / flood.wrk.seconds:.0f} guesses/s answered "
        f"(p99 {flood.wrk.p99_ms:.1f} ms; {statuses})"
    )
    ok_logins = logins.statuses.get(200, 0)
    statuses = ", ".join(f"{s}: {c}" for s, c in sorted(logins.statuses.items()))
    print(
        f"  logins with the right PIN: {ok_logins / logins.wrk.seconds:.1f} logins/s "
        f"(p50 {logins.wrk.p50_ms:.0f} ms, p99 {logins.wrk.p99_ms:.0f} ms; {statuses})"
    )
    ratio = loud.ok_rps / quiet.ok_rps if quiet.ok_rps else 0.0
    met = loud.non_2xx == 0 and loud.p99_ms < 100 and ratio >= 0.5
    print(
        f"  bar (no non-2xx orders, p99 < 100 ms, ≥ half the quiet orders/s): ratio {ratio:.2f} → "
        + ("met" if met else "NOT MET")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
