"""``make bench``: every figure of docs/benchmarks.md in one run.

1. the order write path against the naive peer, side by side (``bench.orders_bench``): SQLite with
   synchronous=FULL, then PostgreSQL on one hot product (skipped, saying why, when it is unreachable);
2. the 100,000-row order import (``bench.import_bench``, run as it is);
3. the household home page with 10,000 ledger entries (``bench.household_bench``);
4. the weight of each main page of the demo village (``bench.page_weight``);
5. the peak memory of reading the largest import file accepted, and one far over the row cap (``bench.input_bench``);
6. the order write path while 200 addresses guess PINs, and the login throughput (``bench.login_flood_bench``).

A benchmark, not a test: it prints figures; it fails only when the books do not balance after the load
(units sold that no lot gave) or a step cannot run.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench import orders_bench
from shop.settings import PROJECT_ROOT


def machine() -> str:
    load = os.getloadavg()
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs ({cpu}), load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def run_module(module: str, *args: str) -> int:
    """Another benchmark as its own process, its output passed through as it comes."""
    print(f"\n== python -m {module} {' '.join(args)}".rstrip(), flush=True)
    started = time.monotonic()
    code = subprocess.call([sys.executable, "-m", module, *args], cwd=PROJECT_ROOT)
    print(f"   ({module} took {time.monotonic() - started:.0f} s, exit code {code})", flush=True)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    orders_bench.add_arguments(parser)
    parser.add_argument("--orders-only", action="store_true", help="skip the import, household and page-weight figures")
    args = parser.parse_args(argv)

    started = time.monotonic()
    print(f"machine: {machine()}", flush=True)
    options = orders_bench.options_from(args)
    results = orders_bench.run(options, only=args.only)
    failed = [problem for result in results for problem in result.problems()]

    if not args.orders_only:
        if run_module("bench.import_bench") != 0:
            failed.append("import benchmark")
        if run_module("bench.household_bench") != 0:
            failed.append("household benchmark")
        if run_module("bench.page_weight") != 0:
            failed.append("page weight")
        if run_module("bench.input_bench") != 0:
            failed.append("input benchmark")
        if run_module("bench.login_flood_bench") != 0:
            failed.append("login flood benchmark")

    print(f"\nmachine at the end: {machine()}; the whole run took {time.monotonic() - started:.0f} s")
    if failed:
        print("FAILED: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
