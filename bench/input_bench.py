"""Peak memory of reading the largest spreadsheet an import accepts, and of refusing one far over the cap.

Each case runs in a fresh Python process, which reads the file from disk and then parses and plans it as the
import does (``read_export``: the table, the parsed lines, the orders grouped), so its figure is its own: how
far the process's peak resident set (ru_maxrss) rose above what it held with the file's bytes already read.
Run: python -m bench.input_bench
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shop.orders.imports.services import MAX_EXPORT_BYTES, read_export
from shop.tabular import MAX_ROWS, TooManyRows
from tests.orders.export_factory import make_douyin_export

MB = 1024 * 1024


def _rss_now_kib() -> int:
    # /proc/self/statm: pages; the second field is the resident set.
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() // 1024


def measure(path: Path) -> dict[str, object]:
    """In this (fresh) process: read the file, then time and measure the import's read of it."""
    data = path.read_bytes()
    before_kib = _rss_now_kib()
    started = time.perf_counter()
    try:
        plan = read_export(data, path.name, "douyin", 1)
        outcome = f"accepted: {plan.total_rows:,} rows"
    except TooManyRows as refused:
        outcome = f"refused: {refused.render()}"
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "file_mb": len(data) / MB,
        "outcome": outcome,
        "seconds": seconds,
        "rss_growth_mb": max(0, peak_kib - before_kib) / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0

    with tempfile.TemporaryDirectory(prefix="input-bench-") as tmp:
        largest = Path(tmp) / "largest_accepted.csv"
        largest.write_bytes(make_douyin_export(MAX_ROWS))
        bomb = Path(tmp) / "one_character_lines.csv"
        header = make_douyin_export(0)
        bomb.write_bytes(header + b"1\n" * ((MAX_EXPORT_BYTES - len(header)) // 2))
        cases = [
            (f"抖店 export at the row cap ({MAX_ROWS:,} rows)", largest),
            ("64 MB of one-character lines (tens of millions of rows)", bomb),
        ]
        print("peak memory of the order import's read (parse + plan), each case in a fresh process:")
        failed = False
        for label, path in cases:
            answer = subprocess.run(
                [sys.executable, "-m", "bench.input_bench", "--measure", str(path)],
                capture_output=True,
                text=True,
                check=False,
            )
            if answer.returncode != 0:
                print(f"  {label}: FAILED\n{answer.stderr}")
                failed = True
                continue
            figures = json.loads(answer.stdout)
            print(
                f"  {label}: {figures['file_mb']:.1f} MB file, {figures['outcome']}, {figures['seconds']:.1f} s;"
                f" peak memory {figures['rss_growth_mb']:.0f} MB above the file's bytes"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
