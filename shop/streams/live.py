"""The live board's state, and the hub that wakes its watchers.

Watchers (server-sent event streams) wake at once when this process changes a stream (``LiveHub.notify``,
after the change commits) and otherwise look at the database every few seconds, so a change made by another
web worker, the scheduler or the command line reaches them too. What they send is a small JSON state; the
page also renders the same state on a plain reload. The sales on the board come from the orders domain
through ``BoardSources`` (see ``shop.wiring``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shop import i18n
from shop.errors import N_
from shop.money import format_fen
from shop.streams.models import LineupItem, Stream, StreamStatus
from shop.streams.services import ShowBlock, current_block
from shop.timeutil import to_local, utcnow

POLL_SECONDS = 2.0


class LiveHub:
    """One asyncio.Event per watched stream; notifying sets it and starts a fresh one."""

    def __init__(self) -> None:
        self._events: dict[int, asyncio.Event] = {}

    def notify(self, stream_id: int) -> None:
        event = self._events.pop(stream_id, None)
        if event is not None:
            event.set()

    async def wait(self, stream_id: int, seconds: float = POLL_SECONDS) -> None:
        """Until the stream changes in this process, or ``seconds`` pass (then the caller looks anyway)."""
        changed = self._events.setdefault(stream_id, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), seconds)

    def notify_after_commit(self, session: AsyncSession, stream_id: int) -> None:
        """Wake the stream's watchers once ``session``'s transaction commits: woken earlier, they would read
        the board as it was. (A session that rolls back is thrown away; its watchers look again anyway.)"""
        streams: set[int] | None = session.info.get(_WAKE_AFTER_COMMIT)
        if streams is None:
            streams = session.info[_WAKE_AFTER_COMMIT] = set()

            def wake(_session: Any) -> None:
                for woken in session.info.pop(_WAKE_AFTER_COMMIT, ()):
                    self.notify(woken)

            event.listen(session.sync_session, "after_commit", wake, once=True)
        streams.add(stream_id)


_WAKE_AFTER_COMMIT = "live_board_streams"


@dataclass(frozen=True)
class BoardSources:
    """What another domain puts on the board: the stream's sales so far (fn(session, stream) → dict) and the
    units of a capped lineup item already sold (fn(session, item) → int). Without sources the board shows the
    run of show alone."""

    sales: Callable[[AsyncSession, Stream], Awaitable[dict[str, Any]]] | None = None
    sold_under_cap: Callable[[AsyncSession, LineupItem], Awaitable[int]] | None = None


@dataclass
class PinnedProduct:
    item_id: int
    short_code: str
    name: str
    unit: str
    price: str
    list_price: str
    stock: int
    cap_left: int | None
    talking_points: str


@dataclass
class LiveState:
    stream_id: int
    status: str
    revision: int
    clock: str
    segment: str
    segment_left_minutes: int | None
    position: str
    pinned: PinnedProduct | None
    next_name: str | None
    sales: dict[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> tuple[object, ...]:
        return (
            self.status,
            self.revision,
            self.pinned.stock if self.pinned else None,
            self.sales.get("orders"),
            self.sales.get("last_order_id"),
            self.segment,
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def notify_after_response(request: Any, stream_id: int) -> None:
    """Wake the stream's watchers once this request's transaction is committed and answered."""
    pending = getattr(request.state, "live_notify", None)
    if pending is None:
        pending = set()
        request.state.live_notify = pending
    pending.add(stream_id)


async def wake_watchers(request: Any) -> None:
    """``after_response`` hook (see shop.app)."""
    for stream_id in getattr(request.state, "live_notify", ()):
        request.app.state.live_hub.notify(stream_id)


async def cap_left(session: AsyncSession, item: LineupItem, sources: BoardSources) -> int | None:
    if item.quantity_cap is None:
        return None
    sold = await sources.sold_under_cap(session, item) if sources.sold_under_cap is not None else 0
    return max(0, item.quantity_cap - sold)


async def live_state(
    session: AsyncSession, stream: Stream, sources: BoardSources, now: datetime | None = None
) -> LiveState:
    moment = now or utcnow()
    pinned_item = next((i for i in stream.lineup if i.id == stream.pinned_item_id), None)
    pinned = None
    if pinned_item is not None:
        stock = await _stock(session, pinned_item.product_id)
        pinned = PinnedProduct(
            item_id=pinned_item.id,
            short_code=pinned_item.short_code,
            name=pinned_item.product.name,
            unit=pinned_item.product.unit,
            price=format_fen(pinned_item.price_fen),
            list_price=format_fen(pinned_item.product.price_fen),
            stock=stock,
            cap_left=await cap_left(session, pinned_item, sources),
            talking_points=pinned_item.talking_points,
        )
    ids = [i.id for i in stream.lineup]
    index = ids.index(stream.pinned_item_id) if stream.pinned_item_id in ids else -1
    next_name = stream.lineup[index + 1].product.name if 0 <= index + 1 < len(stream.lineup) else None
    block = current_block(stream, moment)
    segment, left = "", None
    if block is not None:
        shift = (stream.went_live_at or stream.starts_at) - stream.starts_at
        left = max(0, int((block.ends_at + shift - moment).total_seconds() // 60))
        segment = _segment_name(block)
    elif stream.status == StreamStatus.PLANNED.value:
        segment = i18n.translate(N_("Not live yet"))
    elif stream.status == StreamStatus.LIVE.value:
        segment = i18n.translate(N_("Over the planned time"))
    sales = await sources.sales(session, stream) if sources.sales is not None else {}
    return LiveState(
        stream_id=stream.id,
        status=stream.status,
        revision=stream.revision,
        clock=to_local(moment).strftime("%H:%M"),
        segment=segment,
        segment_left_minutes=left,
        position=f"{index + 1}/{len(ids)}" if index >= 0 else f"0/{len(ids)}",
        pinned=pinned,
        next_name=next_name,
        sales=sales,
    )


def _segment_name(block: ShowBlock) -> str:
    if block.kind == "product" and block.item is not None:
        return block.item.product.name
    if block.kind == "guest" and block.guest is not None:
        return i18n.gettext_("Guest: %(name)s", name=block.guest.guest.name)
    return i18n.translate({"opening": N_("Opening"), "closing": N_("Closing")}.get(block.kind, block.kind))


async def _stock(session: AsyncSession, product_id: int) -> int:
    from shop.catalogue.models import Lot

    total = await session.execute(select(func.coalesce(func.sum(Lot.remaining), 0)).where(Lot.product_id == product_id))
    return int(total.scalar_one())
