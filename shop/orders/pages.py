"""Pages: order entry (quick entry on the live board, pasted comments), the order list and lifecycle,
packing lists, the shipping page and CSV (the only places with buyers' full phone and address), and the
post-stream report."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template

from shop import i18n
from shop.db import mark_for_rollback, read_only
from shop.errors import N_, DomainError, InvalidInput, NotFound
from shop.money import format_fen
from shop.orders.comments import LineupProduct, parse_comments
from shop.orders.models import STATUS_LABELS, OrderSource
from shop.orders.placing import ItemRequest, OrderRequest, PlacedOrder
from shop.orders.reports import packing_list, report_seen_by, stream_report
from shop.orders.services import change_status, list_orders, order_detail, refund_units
from shop.paging import Paging, page_count
from shop.streams.live import notify_after_response
from shop.streams.services import StreamService
from shop.tabular import write_csv
from shop.timeutil import local_day_bounds, local_today
from shop.web.auth import requires_staff, requires_user
from shop.web.charts import Bar, bar_chart
from shop.web.deps import Actor, DbSession, Events
from shop.web.forms import form_int, notify, read_form
from shop.web.params import IdPath, IdQuery

PAGE_SIZE = 30
MAX_DRAFTS = 60


def _status_labels() -> dict[str, str]:
    return {str(s): i18n.translate(label) for s, label in STATUS_LABELS.items()}


async def _place(request: Request[Any, Any, Any], order: OrderRequest) -> PlacedOrder:
    placed: PlacedOrder = await request.app.state.order_writer.submit(order)
    if placed.stream_id is not None:
        notify_after_response(request, placed.stream_id)
    return placed


# --- entry ---------------------------------------------------------------------------------------------


@post("/orders/quick", guards=[requires_staff])
async def quick_entry(request: Request[Any, Any, Any], actor: Actor) -> Redirect:
    """One order typed on the live board: product, quantity, buyer. Back to the board either way."""
    form = await read_form(request)
    stream_id = form_int(form.get("stream_id"), "stream_id")
    back = f"/streams/{stream_id}/live" if stream_id else "/orders"
    try:
        product_id = form_int(form.get("product_id"), "product_id")
        quantity = form_int(form.get("quantity"), "quantity") or 1
        if product_id is None:
            raise InvalidInput("product_id", N_("Choose the product."))
        placed = await _place(
            request,
            OrderRequest(
                actor=actor,
                items=[ItemRequest(product_id, quantity)],
                buyer_name=str(form.get("buyer_name") or "").strip()[:50],
                buyer_phone=str(form.get("buyer_phone") or "").strip()[:20],
                address=str(form.get("address") or "").strip()[:300],
                stream_id=stream_id,
                source=OrderSource.MANUAL.value,
            ),
        )
    except NotFound:
        raise  # another village's product or stream is not there at all: 404, not a note on the board
    except DomainError as exc:
        notify(request, exc.render(i18n.translate), "error")
        return Redirect(back, status_code=303)
    notify(
        request,
        i18n.gettext_(N_("Order %(id)s recorded: %(total)s."), id=placed.id, total=format_fen(placed.total_fen)),
    )
    return Redirect(back, status_code=303)


def _lineup_products(stream: Any) -> list[LineupProduct]:
    return [
        LineupProduct(
            product_id=item.product_id,
            name=item.product.name,
            short_code=item.short_code,
            keywords=(),
            unit=item.product.unit,
            pinned=item.id == stream.pinned_item_id,
        )
        for item in stream.lineup
    ]


@get("/streams/{stream_id:int}/comments", guards=[requires_staff], name="comments")
async def comments_page(stream_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    stream = await StreamService(session=db_session).get_for(actor, stream_id)
    return Template("orders/comments.html", context={"stream": stream, "text": "", "drafts": None, "user": actor})


@post("/streams/{stream_id:int}/comments", guards=[requires_staff])
async def comments_parse(
    stream_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template:
    """Pasted comments become drafts to confirm or fix; nothing is recorded yet."""
    form = await read_form(request)
    stream = await StreamService(session=db_session).get_for(actor, stream_id)
    text = str(form.get("text") or "")[:20_000]
    drafts = parse_comments(text, _lineup_products(stream))[:MAX_DRAFTS]
    return Template(
        "orders/comments.html",
        context={"stream": stream, "text": text, "drafts": drafts, "user": actor},
    )


@post("/streams/{stream_id:int}/comments/confirm", guards=[requires_staff])
async def comments_confirm(
    stream_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Redirect:
    """The drafts the secretary ticked become orders (each on its own: a short one does not stop the rest)."""
    form = await read_form(request)
    stream = await StreamService(session=read_only(db_session)).get_for(actor, stream_id)
    recorded, refused = 0, []
    for n in range(MAX_DRAFTS):
        if form.get(f"keep_{n}") != "on":
            continue
        try:
            product_id = form_int(form.get(f"product_{n}"), "product_id")
            quantity = form_int(form.get(f"quantity_{n}"), "quantity")
            if product_id is None or not quantity:
                raise InvalidInput("quantity", N_("Draft %(n)d needs a product and a whole quantity."), n=n + 1)
            await _place(
                request,
                OrderRequest(
                    actor=actor,
                    items=[ItemRequest(product_id, quantity)],
                    buyer_name=str(form.get(f"name_{n}") or "").strip()[:50],
                    buyer_phone=str(form.get(f"phone_{n}") or "").strip()[:20],
                    address=str(form.get(f"address_{n}") or "").strip()[:300],
                    stream_id=stream.id,
                    source=OrderSource.COMMENT.value,
                ),
            )
            recorded += 1
        except DomainError as exc:
            refused.append(f"#{n + 1}: {exc.render(i18n.translate)}")
    if recorded:
        notify(request, i18n.gettext_(N_("%(n)s order(s) recorded from comments."), n=recorded))
    for reason in refused:
        notify(request, reason, "error")
    return Redirect(f"/streams/{stream.id}/live", status_code=303)


# --- the order list and one order -------------------------------------------------------------------------


@get("/orders", guards=[requires_staff], name="orders")
async def orders_page(
    actor: Actor,
    db_session: DbSession,
    status: Annotated[
        str | None, QueryParameter(pattern="^(placed|paid|shipped|completed|cancelled|refunded)?$")
    ] = None,
    stream_id: IdQuery = None,
    q: FromQuery[str | None] = None,
    page: FromQuery[int] = 1,
) -> Template:
    paging = Paging(limit=PAGE_SIZE, offset=(max(page, 1) - 1) * PAGE_SIZE)
    rows, total = await list_orders(db_session, actor, paging, status=status or None, stream_id=stream_id, search=q)
    return Template(
        "orders/list.html",
        context={
            "orders": rows,
            "total": total,
            "page": max(page, 1),
            "pages": page_count(total, PAGE_SIZE),
            "status": status or "",
            "stream_id": stream_id or "",
            "q": q or "",
            "status_labels": _status_labels(),
            "today": local_today().isoformat(),
            "user": actor,
        },
    )


@get("/orders/{order_id:int}", guards=[requires_staff], name="order_detail")
async def order_page(order_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    detail = await order_detail(db_session, actor, order_id)
    return Template(
        "orders/detail.html",
        context={
            "order": detail.order,
            "names": detail.product_names,
            "history": detail.history,
            "people": detail.people,
            "status_labels": _status_labels(),
            "user": actor,
        },
    )


@post("/orders/{order_id:int}/status", guards=[requires_staff])
async def order_move(
    order_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, events: Events
) -> Redirect:
    form = await read_form(request)
    wanted = str(form.get("status") or "")
    try:
        await change_status(
            db_session,
            actor,
            order_id,
            wanted,
            tracking_no=str(form.get("tracking_no") or "") or None,
            courier=str(form.get("courier") or "") or None,
            events=events,
        )
    except NotFound:
        raise  # another village's order: 404, as if absent
    except DomainError as exc:
        mark_for_rollback(db_session)
        notify(request, exc.render(i18n.translate), "error")
    else:
        notify(
            request,
            i18n.gettext_(
                N_("Order %(id)s is now %(status)s."), id=order_id, status=_status_labels().get(wanted, wanted)
            ),
        )
    return Redirect(f"/orders/{order_id}", status_code=303)


@post("/orders/{order_id:int}/refund", guards=[requires_staff])
async def order_refund(
    order_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, events: Events
) -> Redirect:
    """A partial refund from the order page: how many units of each product the buyer got money back for."""
    form = await read_form(request)
    units: dict[int, int] = {}
    try:
        for key, value in form.items():
            if not key.startswith("units_") or not str(value).strip():
                continue
            try:
                product_id, count = int(key.removeprefix("units_")), int(str(value).strip())
            except ValueError:
                raise InvalidInput("quantity", N_("Write the units to refund as a whole number.")) from None
            if count < 0:
                raise InvalidInput("quantity", N_("A quantity cannot be negative."))
            units[product_id] = units.get(product_id, 0) + count
        order = await refund_units(
            db_session, actor, order_id, units, note=str(form.get("note") or "")[:100], events=events
        )
    except NotFound:
        raise  # another village's order: 404, as if absent
    except DomainError as exc:
        mark_for_rollback(db_session)
        notify(request, exc.render(i18n.translate), "error")
    else:
        refunded = sum(units.values())
        notify(
            request,
            i18n.gettext_(N_("%(n)s units refunded; the households' share of them was taken back."), n=refunded)
            if order.status != "refunded"
            else i18n.gettext_(N_("Every unit is refunded: order %(id)s is now refunded."), id=order_id),
        )
    return Redirect(f"/orders/{order_id}", status_code=303)


# --- packing, shipping --------------------------------------------------------------------------------


async def _packing_scope(
    actor: Actor, db_session: DbSession, stream_id: int | None, day: str | None
) -> tuple[Any, str, dict[str, Any]]:
    if actor.village_id is None:
        raise InvalidInput("village", N_("Packing lists are per village: open them as the village's secretary."))
    if stream_id is not None:
        stream = await StreamService(session=db_session).get_for(actor, stream_id)
        title = stream.title
        packing = await packing_list(db_session, actor.village_id, stream_id=stream.id)
        return packing, title, {"stream_id": stream.id}
    try:
        chosen = date.fromisoformat(day) if day else local_today()
    except ValueError as exc:
        raise InvalidInput("day", N_("The date must look like 2026-11-27.")) from exc
    since, until = local_day_bounds(chosen)
    packing = await packing_list(db_session, actor.village_id, since=since, until=until)
    return packing, chosen.isoformat(), {"day": chosen.isoformat()}


@get("/orders/packing", guards=[requires_staff], name="packing")
async def packing_page(
    actor: Actor, db_session: DbSession, stream_id: IdQuery = None, day: FromQuery[str | None] = None
) -> Template:
    """备货单: what each household's goods are needed for, and the totals per product."""
    packing, title, scope = await _packing_scope(actor, db_session, stream_id, day)
    return Template("orders/packing.html", context={"packing": packing, "title": title, "scope": scope, "user": actor})


@get("/orders/shipping", guards=[requires_staff], name="shipping")
async def shipping_page(
    actor: Actor, db_session: DbSession, stream_id: IdQuery = None, day: FromQuery[str | None] = None
) -> Template:
    """Packing slips per buyer, with full phone and address: the one page that shows them."""
    packing, title, scope = await _packing_scope(actor, db_session, stream_id, day)
    names = {p.product_id: (p.name, p.unit) for p in packing.products}
    return Template(
        "orders/shipping.html",
        context={"packing": packing, "names": names, "title": title, "scope": scope, "user": actor},
        headers={"Cache-Control": "no-store"},
    )


@get("/orders/shipping.csv", guards=[requires_staff], name="shipping_csv")
async def shipping_csv(
    actor: Actor, db_session: DbSession, stream_id: IdQuery = None, day: FromQuery[str | None] = None
) -> Response[bytes]:
    """The courier's sheet (full phone and address); every cell is formula-safe."""
    packing, _title, _scope = await _packing_scope(actor, db_session, stream_id, day)
    names = {p.product_id: p.name for p in packing.products}
    header = [
        i18n.translate(h)
        for h in (N_("Order"), N_("Buyer"), N_("Phone"), N_("Address"), N_("Items"), N_("Tracking number"))
    ]
    rows = [
        [
            order.id,
            order.buyer_name,
            order.buyer_phone,
            order.address,
            "；".join(f"{names.get(li.product_id, li.product_id)} × {li.quantity}" for li in order.lines),
            order.tracking_no,
        ]
        for order in packing.orders
    ]
    return Response(
        write_csv(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="shipping.csv"', "Cache-Control": "no-store"},
    )


# --- the post-stream report ------------------------------------------------------------------------------


@get("/streams/{stream_id:int}/report", guards=[requires_user], name="stream_report")
async def report_page(stream_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    stream = await StreamService(session=db_session).get_for(actor, stream_id)
    report = report_seen_by(await stream_report(db_session, stream), actor)
    chart = bar_chart(
        [Bar(label, count) for label, count in report.buckets],
        title=i18n.translate(N_("Orders per 10 minutes")),
        empty_label=i18n.translate(N_("No orders yet")),
    )
    return Template("orders/report.html", context={"report": report, "chart": chart, "user": actor})


ROUTES = [
    quick_entry,
    comments_page,
    comments_parse,
    comments_confirm,
    orders_page,
    order_page,
    order_move,
    order_refund,
    packing_page,
    shipping_page,
    shipping_csv,
    report_page,
]
