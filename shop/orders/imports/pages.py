"""Pages: upload a platform's order export, watch it import, map unrecognised columns once, and map the
products of held lines so they are imported."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from shop import i18n
from shop.accounts.principal import Principal
from shop.db import unit_of_work
from shop.errors import N_, DomainError, InvalidInput
from shop.orders.imports.controllers import IMPORT_BODY_LIMIT
from shop.orders.imports.exports import FIELD_HEADERS, REQUIRED_FIELDS, detect_mapping
from shop.orders.imports.services import (
    MAX_EXPORT_BYTES,
    count_held_orders,
    get_import,
    held_groups,
    is_stalled,
    open_import,
    prepare_import,
    products_to_map,
    recent_imports,
    recorded_problems,
    resolve_village,
    save_mapping,
    saved_mapping,
    villages_to_choose,
)
from shop.orders.imports.upload_stash import drop_upload, load_upload, stash_upload
from shop.tabular import MissingColumns, read_table
from shop.web.auth import requires_staff
from shop.web.deps import Actor, AppSettings, DbSession
from shop.web.forms import form_error, notify, read_form
from shop.web.params import IdPath
from shop.web.templating import platform_label

log = logging.getLogger("shop.orders.imports.pages")

IMPORT_PLATFORMS = ("douyin", "kuaishou", "weixin")  # the platforms whose exports the import reads
# The fields a secretary may map, as the page names them (the export's usual header in brackets).
FIELD_LABELS = {
    "order_no": N_("Order number"),
    "line_no": N_("Line (sub-order) number"),
    "product_name": N_("Product title"),
    "spec": N_("Specification"),
    "quantity": N_("Quantity"),
    "merchant_code": N_("Merchant code"),
    "unit_price": N_("Unit price (yuan)"),
    "payable": N_("Amount paid (yuan)"),
    "created_at": N_("Order time"),
    "paid_at": N_("Payment time"),
    "completed_at": N_("Completion time"),
    "status": N_("Order status"),
    "after_sale_status": N_("After-sale status"),
    "buyer_name": N_("Recipient"),
    "buyer_phone": N_("Recipient's phone"),
    "province": N_("Province"),
    "city": N_("City"),
    "district": N_("District"),
    "street": N_("Street"),
    "address_detail": N_("Address"),
    "tracking_no": N_("Tracking number"),
    "merchant_note": N_("Merchant note"),
}


def platform_options() -> list[tuple[str, str]]:
    return [(platform, platform_label(platform)) for platform in IMPORT_PLATFORMS]


async def _upload_context(db_session: DbSession, actor: Principal, **extra: Any) -> dict[str, Any]:
    return {
        "platforms": platform_options(),
        "villages": await villages_to_choose(db_session, actor),
        "imports": await recent_imports(db_session, actor),
        "held_orders": await count_held_orders(db_session, actor),
        "user": actor,
        "errors": {},
        "values": {"platform": "douyin"},
        **extra,
    }


def _village_field(form: Any) -> int | None:
    text = str(form.get("village_id") or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise InvalidInput("village_id", N_("Choose the village."))
    return int(text)


@get("/orders/import", guards=[requires_staff], name="order_import")
async def import_page(actor: Actor, db_session: DbSession) -> Template:
    return Template("orders/import.html", context=await _upload_context(db_session, actor))


@post("/orders/import", guards=[requires_staff], request_max_body_size=IMPORT_BODY_LIMIT)
async def import_submit(
    request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, settings: AppSettings
) -> Template | Redirect:
    form = await read_form(request)
    upload = form.get("file")
    platform = str(form.get("platform") or "")
    alchemy = request.app.state.alchemy_config
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("file", N_("Choose the export file to upload."))
        village_id = resolve_village(actor, _village_field(form))
        data = await upload.read()
        try:
            plan = await prepare_import(alchemy, actor, data, upload.filename, platform, village_id)
        except MissingColumns:
            # Headers we do not know: the secretary says once which column is which, then it goes on.
            token = await asyncio.to_thread(stash_upload, settings.var_dir, village_id, platform, upload.filename, data)
            return Redirect(f"/orders/import/columns?upload={token}", status_code=303)
    except DomainError as exc:
        context = await _upload_context(db_session, actor)
        del context["errors"], context["values"]
        return form_error("orders/import.html", exc, db_session, form=form, **context)
    import_id = await open_import(alchemy, actor, plan)
    request.app.state.order_imports.start(actor, import_id, plan)
    return Redirect(f"/orders/imports/{import_id}", status_code=303)


@get("/orders/imports/{import_id:int}", guards=[requires_staff], name="order_import_result")
async def import_result(import_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    record = await get_import(db_session, actor, import_id)
    held = recorded_problems(record, "held")
    rejected = recorded_problems(record, "rejected")
    percent = 100 if not record.total_rows else min(100, record.processed_rows * 100 // record.total_rows)
    return Template(
        "orders/import_result.html",
        context={
            "record": record,
            "stalled": is_stalled(record),
            "percent": percent,
            "held": [(problem.row, problem.render(i18n.translate)) for problem in held],
            "rejected": [(problem.row, problem.render(i18n.translate)) for problem in rejected],
            "rejected_count": len(rejected),
            "error": i18n.translate(record.error) if record.error else "",
            "user": actor,
        },
    )


def _mapping_context(
    actor: Principal, token: str, platform: str, filename: str, headers: list[str], values: dict[str, str]
) -> dict[str, Any]:
    required = {name for requirement in REQUIRED_FIELDS for name in requirement.split("|")}
    return {
        "token": token,
        "platform": platform_label(platform),
        "filename": filename,
        "fields": [
            (name, i18n.translate(FIELD_LABELS[name]), FIELD_HEADERS[name][0], name in required)
            for name in FIELD_HEADERS
        ],
        "headers": [header for header in headers if header],
        "values": values,
        "user": actor,
    }


def _current_choices(headers: list[str], platform: str, saved: dict[str, str] | None) -> dict[str, str]:
    """What we could place already (saved choices and known names), to fill the form in."""
    try:
        return detect_mapping(headers, platform, saved)
    except MissingColumns:
        pass
    guessed: dict[str, str] = {}
    keys = {header.strip(): header for header in headers}
    for name, aliases in FIELD_HEADERS.items():
        for alias in aliases:
            if alias in keys:
                guessed[name] = keys[alias]
                break
    for name, header in (saved or {}).items():
        if header in keys:
            guessed[name] = header
    return guessed


@get("/orders/import/columns", guards=[requires_staff], name="order_import_columns")
async def columns_page(
    actor: Actor, db_session: DbSession, settings: AppSettings, upload: FromQuery[str] = ""
) -> Template:
    stashed = await asyncio.to_thread(load_upload, settings.var_dir, upload, actor.village_filter())
    table = await asyncio.to_thread(read_table, stashed.data, stashed.filename, max_bytes=MAX_EXPORT_BYTES)
    saved = await saved_mapping(db_session, stashed.village_id, stashed.platform)
    values = _current_choices(table.headers, stashed.platform, saved)
    return Template(
        "orders/columns.html",
        context={
            **_mapping_context(actor, upload, stashed.platform, stashed.filename, table.headers, values),
            "errors": {},
        },
    )


@post("/orders/import/columns", guards=[requires_staff])
async def columns_submit(
    request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, settings: AppSettings
) -> Template | Redirect:
    form = await read_form(request)
    token = str(form.get("upload") or "")
    stashed = await asyncio.to_thread(load_upload, settings.var_dir, token, actor.village_filter())
    table = await asyncio.to_thread(read_table, stashed.data, stashed.filename, max_bytes=MAX_EXPORT_BYTES)
    chosen = {name: str(form.get(name) or "") for name in FIELD_HEADERS}
    alchemy = request.app.state.alchemy_config
    try:
        async with unit_of_work(alchemy) as session:
            await save_mapping(session, actor, stashed.village_id, stashed.platform, chosen, table.headers)
        plan = await prepare_import(
            alchemy, actor, stashed.data, stashed.filename, stashed.platform, stashed.village_id
        )
    except DomainError as exc:
        context = _mapping_context(
            actor, token, stashed.platform, stashed.filename, table.headers, {k: v for k, v in chosen.items() if v}
        )
        context.pop("values")
        return form_error("orders/columns.html", exc, db_session, form=form, **context)
    import_id = await open_import(alchemy, actor, plan)
    await asyncio.to_thread(drop_upload, settings.var_dir, token)
    notify(
        request, i18n.gettext_(N_("Columns saved for %(platform)s exports."), platform=platform_label(plan.platform))
    )
    request.app.state.order_imports.start(actor, import_id, plan)
    return Redirect(f"/orders/imports/{import_id}", status_code=303)


async def _held_context(db_session: DbSession, actor: Principal, **extra: Any) -> dict[str, Any]:
    groups = await held_groups(db_session, actor)
    products = await products_to_map(db_session, actor, {group.village_id for group in groups})
    return {
        "groups": groups,
        "products": products,
        "reason": lambda group: group.reason.render(i18n.translate),
        "user": actor,
        "errors": {},
        **extra,
    }


@get("/orders/held", guards=[requires_staff], name="order_held")
async def held_page(actor: Actor, db_session: DbSession) -> Template:
    return Template("orders/held.html", context=await _held_context(db_session, actor))


@post("/orders/held/map", guards=[requires_staff])
async def held_map(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Template | Redirect:
    form = await read_form(request)
    try:
        village_id = _village_field(form)
        if village_id is None:
            raise InvalidInput("village_id", N_("Choose the village."))
        product_text = str(form.get("product_id") or "").strip()
        if not product_text.isdigit() or len(product_text) > 18:
            raise InvalidInput("product_id", N_("Choose which of our products it is."))
        code = str(form.get("merchant_code") or "").strip()
        name = str(form.get("product_name") or "").strip()
        outcome = await request.app.state.order_imports.map_and_reprocess(
            actor,
            village_id,
            str(form.get("platform") or ""),
            # The merchant code is the platform's steadier name for a product; titles get edited.
            code or name,
            int(product_text),
        )
    except DomainError as exc:
        return form_error("orders/held.html", exc, db_session, **await _held_context(db_session, actor))
    notify(
        request,
        i18n.gettext_(
            N_("Saved. %(created)s held order(s) imported; %(held)s still wait for another product."),
            created=outcome.created,
            held=len(outcome.held),
        ),
    )
    return Redirect("/orders/held", status_code=303)


ROUTES = [import_page, import_submit, import_result, columns_page, columns_submit, held_page, held_map]
