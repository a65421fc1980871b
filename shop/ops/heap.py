"""The cyclic garbage collector, tuned for serving.

Python's defaults (a young collection every 700 net allocations, a full one every 100 of those) suit a
script, not a server: a request allocates a few hundred objects, so a young collection ran every few
requests, and every so often a full collection walked the whole heap — Litestar's and SQLAlchemy's
hundreds of thousands of long-lived objects — while every request on the worker waited. Under a
live-stream burst that pause was the p99 (140 ms at 64 connections in ``make bench``, 20 ms without it).

So ``shop run`` raises the thresholds before the workers start, and each worker, once its app is built,
collects once and freezes what survived: the start-up objects live as long as the process, and frozen
they are left out of every later full collection. Reference counting frees almost everything a request
makes; the collector still runs, only less often and over less.
"""

from __future__ import annotations

import gc

# Young collections every 50,000 net allocations (a hundred-odd requests), middle every 20 of those,
# full every 100 middle ones (and, as always, only when the long-lived objects grew by a quarter).
SERVING_THRESHOLDS = (50_000, 20, 100)


def tune_for_serving() -> None:
    """Raise the collector's thresholds; forked workers inherit them."""
    gc.set_threshold(*SERVING_THRESHOLDS)


def tuned_for_serving() -> bool:
    return gc.get_threshold() == SERVING_THRESHOLDS


async def freeze_startup_heap() -> None:
    """``on_startup`` of a serving worker: what exists now lives as long as the process; freeze it."""
    if tuned_for_serving():
        gc.collect()
        gc.freeze()
