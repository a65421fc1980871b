"""Failed logins counted in the database, and a bound on the password and PIN hashes one worker runs.

Every attempt first *reserves* a place in three counts, in one short transaction, before any hash is
verified: the account from this address (``h:CJD-001@198.51.100.9``), the address for every name
(``a:198.51.100.9``) and the account from every address (``h:CJD-001``). A reservation is one
``INSERT … ON CONFLICT DO UPDATE … WHERE attempts < limit`` per count: a row lock on PostgreSQL, the one
writer on SQLite, so N concurrent guesses never get more than the limit's verifications, whichever worker
or machine they reach. A success gives its attempt back; a failure keeps it. Counts live in windows of
15 minutes; the attempt that reaches a limit starts the window again, so a lock lasts 15 minutes from the
last refused-worthy mistake.

Why three counts (docs/security.md has the whole reasoning):

- the pair count locks the guesser, not the villager: someone else's wrong PINs from another address never
  lock a household out;
- the address count stops one address from guessing across many names;
- the account count is a ceiling across all addresses (a botnet guessing one PIN). It is generous, so a
  villager is never caught by it in ordinary life, and it bounds a distributed search of the million PINs.

Names are counted as typed (normalised), known or not: an unknown name takes the same path as a real one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Table, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.models import LoginThrottle
from shop.errors import N_, TooManyTries, Unavailable

WINDOW = timedelta(minutes=15)
_TABLE = cast(Table, LoginThrottle.__table__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Limits:
    pair: int  # one account from one address
    account: int  # one account from every address
    address: int  # one address, every name


USER_LIMITS = Limits(pair=10, account=50, address=100)
HOUSEHOLD_LIMITS = Limits(pair=5, account=20, address=100)


class TooManyAttempts(TooManyTries):
    """Too many failed logins from this address: it says so (nothing about any account) and when to retry."""

    default_message = N_("Too many failed logins from your network. Please try again in %(minutes)d minutes.")

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(minutes=max(1, (retry_after + 59) // 60))


class HashingBusy(Unavailable):
    """Every hashing slot of this worker is taken and its short queue is full: try again in a moment."""

    retry_after = 1


class AccountLocked(Exception):
    """The account's count (from this address or from all) is full: answered like a wrong secret."""


@dataclass(frozen=True, slots=True)
class Keys:
    pair: str
    account: str
    address: str

    @classmethod
    def of(cls, kind: str, name: str, address: str) -> Keys:
        account = f"{kind}:{name}"
        return cls(pair=f"{account}@{address}"[:200], account=account[:200], address=f"a:{address}"[:200])


def _insert(session: AsyncSession) -> Any:
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert


async def _reserve_one(session: AsyncSession, key: str, limit: int, now: datetime) -> bool:
    table = _TABLE
    expired = table.c.window_start <= now - WINDOW
    reaches_limit = table.c.attempts + 1 >= limit
    statement = (
        _insert(session)(table)
        .values(key=key, window_start=now, attempts=1)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "attempts": case((expired, 1), else_=table.c.attempts + 1),
                "window_start": case((expired | reaches_limit, now), else_=table.c.window_start),
            },
            where=expired | (table.c.attempts < limit),
        )
        .returning(table.c.attempts)
    )
    return (await session.execute(statement)).first() is not None


async def reserve(session: AsyncSession, keys: Keys, limits: Limits, now: datetime, *, known_device: bool) -> None:
    """Take one attempt from each count, or none: raises ``TooManyAttempts`` (the address is full) or
    ``AccountLocked`` (the account's count is full). The caller commits (or rolls back on the raise).
    A device that logged in to this account before (``known_device``) is not held to the account's ceiling:
    a botnet guessing the PIN does not lock out the villager's own phone."""
    counts = [(keys.pair, limits.pair), (keys.address, limits.address)]
    if not known_device:
        counts.append((keys.account, limits.account))
    # One order for every transaction (sorted keys), so two reservations never wait for each other in a cycle.
    counts.sort()
    for key, limit in counts:
        if not await _reserve_one(session, key, limit, now):
            if key == keys.address:
                raise TooManyAttempts(int(WINDOW.total_seconds()))
            raise AccountLocked(key)


async def already_full(session: AsyncSession, keys: Keys, limits: Limits, now: datetime, *, known_device: bool) -> None:
    """A read before the reservation: a count that is full now is refused without a write transaction
    (a flood of refused guesses costs reads, not turns at SQLite's one writer). The reservation still
    decides: this only spares the write when the answer is already known."""
    table = _TABLE
    wanted = {keys.pair: limits.pair, keys.address: limits.address}
    if not known_device:
        wanted[keys.account] = limits.account
    rows = await session.execute(
        select(table.c.key, table.c.attempts).where(table.c.key.in_(wanted), table.c.window_start > now - WINDOW)
    )
    for key, attempts in rows:
        if attempts >= wanted[key]:
            if key == keys.address:
                raise TooManyAttempts(int(WINDOW.total_seconds()))
            raise AccountLocked(key)


async def give_back(session: AsyncSession, keys: Keys) -> None:
    """A success: the account is no longer under suspicion from this address, and its attempt was no mistake.
    (A login turned away for want of a place is turned away before it counts anything: nothing to give back.)"""
    table = _TABLE
    await session.execute(update(table).where(table.c.key == keys.pair).values(attempts=0))
    returned = (keys.account, keys.address)
    await session.execute(
        update(table).where(table.c.key.in_(returned), table.c.attempts > 0).values(attempts=table.c.attempts - 1)
    )


DEVICE_COOKIE = "shop_known"


def device_mark(secret_key: str, keys: Keys) -> str:
    """What a device that logged in to the account keeps (an HttpOnly cookie): only a success makes it."""
    return hmac.new(secret_key.encode(), f"known-device:{keys.account}".encode(), hashlib.sha256).hexdigest()[:32]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def forget_account_statement(kind: str, name: str) -> Any:
    """Drops an account's counts (its own and every address's for it): a new PIN or password starts afresh."""
    table = _TABLE
    account = f"{kind}:{name}"
    return delete(table).where(or_(table.c.key == account, table.c.key.like(_like_escape(account) + "@%", escape="\\")))


async def is_locked(session: AsyncSession, kind: str, name: str, limits: Limits, now: datetime) -> bool:
    """Whether the account's ceiling (all addresses) is full now: what the secretary's page shows."""
    table = _TABLE
    row = (
        await session.execute(
            select(table.c.attempts).where(table.c.key == f"{kind}:{name}", table.c.window_start > now - WINDOW)
        )
    ).first()
    return row is not None and row[0] >= limits.account


def purge_statement(now: datetime) -> Any:
    """Rows whose window is over count nothing: the nightly job deletes them."""
    table = _TABLE
    return delete(table).where(table.c.window_start <= now - WINDOW)


def _yield_to_requests() -> None:
    """A hashing thread runs at the lowest CPU priority (Linux: ``nice`` is per thread): a flood of
    guesses then takes only the CPU the order path leaves idle, however many hashes are waiting."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed: the slots still bound it
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


class HashGate:
    """At most ``slots`` password/PIN hashes at a time in this worker, in threads of its own (never the
    event loop's, never the default pool the rest of the app shares) at the lowest CPU priority, and at most
    ``queue`` waiting beside them; beyond that a login is answered 503 at once instead of queueing without
    end while the order path starves."""

    def __init__(self, slots: int = 0, queue: int = 16) -> None:
        self.slots = slots or os.cpu_count() or 1
        self.queue = queue
        self._in_flight = 0
        self._executor: ThreadPoolExecutor | None = None

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def full(self) -> bool:
        """Whether a hash asked for now would be refused."""
        return self._in_flight >= self.slots + self.queue

    def admit(self) -> None:
        """Raises ``HashingBusy`` when a hash asked for now would be refused."""
        if self.full:
            raise HashingBusy()

    @contextlib.asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        """One login's place, from its first read to the end of its hash: refused with ``HashingBusy`` when
        every place is taken (so a refusal comes before any database work, never after a count was made)."""
        self.admit()
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1

    async def hash(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` on a hashing thread (within ``admitted``)."""
        return await asyncio.get_running_loop().run_in_executor(self._threads(), fn, *args)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        async with self.admitted():
            return await self.hash(fn, *args)

    def _threads(self) -> ThreadPoolExecutor:
        """The hashing threads, started at the first hash after start-up (an app served again after a
        shutdown, as tests and ``shop run --reload`` do, gets fresh ones)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self.slots, thread_name_prefix="shop-hash", initializer=_yield_to_requests
            )
        return self._executor

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
