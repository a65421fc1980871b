"""JSON API: placing orders (the write path), reading them, moving them through their lifecycle."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery, HeaderParameter, JSONBody, QueryParameter

from shop.orders.placing import ItemRequest, OrderRequest, Placement
from shop.orders.schemas import OrderIn, OrderOut, OrderStatusIn, PlacedOrderOut, RefundIn
from shop.orders.services import change_status, get_order, list_orders, refund_units
from shop.paging import Page
from shop.streams.live import notify_after_response
from shop.web.auth import requires_staff
from shop.web.deps import Actor, DbSession, Events, PageParams
from shop.web.params import IdPath, IdQuery


def request_from(data: OrderIn, actor: Any, *, key: str | None = None, body: bytes = b"") -> OrderRequest:
    return OrderRequest(
        actor=actor,
        items=[ItemRequest(item.product_id, item.quantity) for item in data.items],
        buyer_name=data.buyer_name.strip(),
        buyer_phone=data.buyer_phone.strip(),
        address=data.address.strip(),
        stream_id=data.stream_id,
        source=data.source,
        external_id=data.external_id,
        note=data.note.strip(),
        idempotency_key=key,
        request_hash=hashlib.sha256(body).hexdigest() if key else None,
    )


class OrderController(Controller):
    path = "/orders"
    tags = ["orders"]
    guards = [requires_staff]

    @post("/", status_code=201)
    async def place_order(
        self,
        data: JSONBody[OrderIn],
        actor: Actor,
        request: Request[Any, Any, Any],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(name="Idempotency-Key", max_length=200, description="replays return the first answer"),
        ] = None,
    ) -> Response[PlacedOrderOut]:
        """Place an order: units come from the oldest lots; all or nothing (409 names the short item).

        201 with the order; 200 with the existing order when ``(source, external_id)`` was seen before.
        """
        body = await request.body() if idempotency_key else b""  # only a key's replay check needs the bytes
        placed = await request.app.state.order_writer.submit(request_from(data, actor, key=idempotency_key, body=body))
        if placed.stream_id is not None and placed.placement is Placement.CREATED:
            notify_after_response(request, placed.stream_id)
        # A replay answers as the first answer did (201); a platform order seen before is the existing one (200).
        status = 200 if placed.placement is Placement.EXISTING else 201
        return Response(PlacedOrderOut.of(placed), status_code=status)

    @get("/")
    async def orders(
        self,
        db_session: DbSession,
        actor: Actor,
        paging: PageParams,
        source: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        stream_id: IdQuery = None,
        external_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> Page[OrderOut]:
        """The village's orders, newest first; filters: source, status, stream_id, external_id."""
        rows, total = await list_orders(
            db_session, actor, paging, source=source, status=status, stream_id=stream_id, external_id=external_id
        )
        return Page([OrderOut.of(o) for o in rows], total, paging.limit, paging.offset)

    @get("/{order_id:int}")
    async def order(self, order_id: IdPath, db_session: DbSession, actor: Actor) -> OrderOut:
        return OrderOut.of(await get_order(db_session, actor, order_id))

    @post("/{order_id:int}/status", status_code=200)
    async def move(
        self, order_id: IdPath, data: JSONBody[OrderStatusIn], db_session: DbSession, actor: Actor, events: Events
    ) -> OrderOut:
        """paid / shipped (with tracking number) / completed / cancelled (units go back to their lots) /
        refunded (after completion). Illegal moves are 409 with the reason."""
        order = await change_status(
            db_session, actor, order_id, data.status, tracking_no=data.tracking_no, courier=data.courier, events=events
        )
        return OrderOut.of(order)

    @post("/{order_id:int}/refunds", status_code=200)
    async def refund(
        self, order_id: IdPath, data: JSONBody[RefundIn], db_session: DbSession, actor: Actor, events: Events
    ) -> OrderOut:
        """Refund some units of a completed order: the households' share of those units is taken back.
        More than is left to refund is 409 and nothing moves; refunding the last unit refunds the order."""
        units: dict[int, int] = {}
        for item in data.items:
            units[item.product_id] = units.get(item.product_id, 0) + item.quantity
        order = await refund_units(db_session, actor, order_id, units, note=data.note, events=events)
        return OrderOut.of(order)


class StreamReportOut(msgspec.Struct):
    stream_id: int
    orders: int
    units: int
    gross_fen: int
    products: list[dict[str, Any]]
    households: list[dict[str, Any]]
    per_10_minutes: list[dict[str, Any]]
    previous_streams: int
    previous_avg_orders: float | None
    previous_avg_gross_fen: int | None


@get("/streams/{stream_id:int}/report", tags=["streams"])
async def stream_report_api(stream_id: IdPath, db_session: DbSession, actor: Actor) -> StreamReportOut:
    """After a stream: orders, units and takings per product and in total, whose goods sold, orders per
    10 minutes, and the village's previous streams for comparison (cancelled orders do not count)."""
    from shop.orders.reports import report_seen_by, stream_report
    from shop.streams.services import StreamService

    stream = await StreamService(session=db_session).get_for(actor, stream_id)
    report = report_seen_by(await stream_report(db_session, stream), actor)
    return StreamReportOut(
        stream_id=stream.id,
        orders=report.orders,
        units=report.units,
        gross_fen=report.gross_fen,
        products=[
            {"product_id": p.product_id, "name": p.name, "orders": p.orders, "units": p.units, "gross_fen": p.gross_fen}
            for p in report.products
        ],
        households=[
            {"household_id": h.household_id, "code": h.code, "units": h.units, "by_product": h.by_product}
            for h in report.households
        ],
        per_10_minutes=[{"from": label, "orders": count} for label, count in report.buckets],
        previous_streams=report.previous_streams,
        previous_avg_orders=report.previous_avg_orders,
        previous_avg_gross_fen=report.previous_avg_gross_fen,
    )
