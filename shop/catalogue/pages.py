"""Pages: the secretary's catalogue (products, photos, lots, receipts, QR labels, spreadsheet import) and the
public shop window, product and lot traceability pages."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import File, Redirect, Template
from sqlalchemy import select

from shop import i18n
from shop.catalogue.importing import import_product_file, product_template
from shop.catalogue.models import CATEGORY_LABELS, UNITS, Category, Lot
from shop.catalogue.services import ContributionInput, LotService, ProductFields, ProductService
from shop.errors import N_, DomainError, InvalidInput
from shop.media import media_file, store_photo
from shop.money import MoneyFormatError, fen_to_yuan_text, parse_yuan
from shop.paging import Paging, page_count
from shop.privacy import mask_name
from shop.timeutil import local_today
from shop.villages.models import Household
from shop.villages.services import VillageService
from shop.web.auth import PUBLIC, requires_staff
from shop.web.deps import Actor, AppSettings, DbSession
from shop.web.forms import form_error, form_int, notify, read_form
from shop.web.links import public_base
from shop.web.params import IdPath

PAGE_SIZE = 30
LOT_FORM_ROWS = 6
LABELS_PER_SHEET = 24
IMPORT_MAX_BYTES = 20 * 1024 * 1024


def category_options() -> list[tuple[str, str]]:
    return [(c.value, i18n.translate(CATEGORY_LABELS[c])) for c in Category]


def _fields_from_form(form: Any) -> ProductFields:
    price_text = str(form.get("price") or "").strip()
    if not price_text:
        raise InvalidInput("price", N_("Enter the price in yuan, e.g. 39.90."))
    try:
        price_fen = parse_yuan(price_text)
    except MoneyFormatError as exc:
        raise InvalidInput("price", N_("The price must be an amount in yuan, e.g. 39.90.")) from exc
    if price_fen < 0:
        raise InvalidInput("price", N_("The price cannot be negative."))
    threshold_text = str(form.get("low_stock_threshold") or "0").strip() or "0"
    if not threshold_text.isdigit():
        raise InvalidInput("low_stock_threshold", N_("The low-stock threshold must be a whole number, 0 or more."))
    return ProductFields(
        name=str(form.get("name") or ""),
        category=str(form.get("category") or ""),
        unit=str(form.get("unit") or ""),
        price_fen=price_fen,
        merchant_code=str(form.get("merchant_code") or "") or None,
        description=str(form.get("description") or ""),
        story=str(form.get("story") or ""),
        heritage=form.get("heritage") == "on",
        low_stock_threshold=int(threshold_text),
    )


def _product_values(product: Any) -> dict[str, str]:
    return {
        "name": product.name,
        "category": product.category,
        "unit": product.unit,
        "price": fen_to_yuan_text(product.price_fen),
        "merchant_code": product.merchant_code or "",
        "description": product.description,
        "story": product.story,
        "heritage": "on" if product.heritage else "",
        "low_stock_threshold": str(product.low_stock_threshold),
    }


async def _store_uploads(form: Any, settings: Any) -> list[Any]:
    uploads = [f for f in form.getall("photos", []) if isinstance(f, UploadFile) and f.filename]
    stored = []
    for upload in uploads:
        stored.append(await asyncio.to_thread(store_photo, await upload.read(), settings.media_dir))
    return stored


# --- the secretary's catalogue --------------------------------------------------------------------------


@get("/catalogue", guards=[requires_staff], name="catalogue")
async def catalogue_list(
    actor: Actor,
    db_session: DbSession,
    q: FromQuery[str | None] = None,
    category: FromQuery[str | None] = None,
    show: Annotated[str, QueryParameter(pattern="^(active|archived|low|all)$")] = "active",
    page: FromQuery[int] = 1,
) -> Template:
    paging = Paging(limit=PAGE_SIZE, offset=(max(page, 1) - 1) * PAGE_SIZE)
    active = {"active": True, "archived": False}.get(show)
    products, total = await ProductService(session=db_session).list_for(
        actor, paging, category=category or None, search=q, active=active, low_stock=show == "low"
    )
    return Template(
        "catalogue/list.html",
        context={
            "products": products,
            "total": total,
            "page": max(page, 1),
            "pages": page_count(total, PAGE_SIZE),
            "q": q or "",
            "category": category or "",
            "show": show,
            "categories": category_options(),
            "category_labels": {c.value: i18n.translate(label) for c, label in CATEGORY_LABELS.items()},
            "user": actor,
        },
    )


def _form_context(actor: Actor, **extra: Any) -> dict[str, Any]:
    return {"categories": category_options(), "units": UNITS, "user": actor, **extra}


@get("/catalogue/new", guards=[requires_staff], name="product_new")
async def product_new(actor: Actor) -> Template:
    values = {"category": "grain", "unit": "袋", "low_stock_threshold": "0"}
    return Template("catalogue/form.html", context=_form_context(actor, values=values, errors={}, product=None))


@post("/catalogue/new", guards=[requires_staff], request_max_body_size=45 * 1024 * 1024)
async def product_create(
    request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, settings: AppSettings
) -> Template | Redirect:
    form = await read_form(request)
    service = ProductService(session=db_session)
    try:
        fields = _fields_from_form(form)
        stored = await _store_uploads(form, settings)
        product = await service.create_product(actor, fields)
        for photo in stored:
            await service.add_photo(actor, product.id, photo)
    except DomainError as exc:
        return form_error("catalogue/form.html", exc, db_session, form=form, **_form_context(actor, product=None))
    notify(request, i18n.gettext_(N_("%(name)s added. Now receive its first lot."), name=product.name))
    return Redirect(f"/catalogue/{product.id}", status_code=303)


async def _manage_context(db_session: DbSession, actor: Actor, product_id: int) -> dict[str, Any]:
    product = await ProductService(session=db_session).get_for(actor, product_id)
    lots = await LotService(db_session).lots_of(actor, product_id)
    return {
        "product": product,
        "lots": lots,
        "category_label": i18n.translate(CATEGORY_LABELS[Category(product.category)]),
        "user": actor,
    }


@get("/catalogue/{product_id:int}", guards=[requires_staff], name="product_manage")
async def product_manage(product_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    return Template("catalogue/manage.html", context=await _manage_context(db_session, actor, product_id))


@get("/catalogue/{product_id:int}/edit", guards=[requires_staff], name="product_edit")
async def product_edit(product_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    product = await ProductService(session=db_session).get_for(actor, product_id)
    return Template(
        "catalogue/form.html",
        context=_form_context(actor, values=_product_values(product), errors={}, product=product),
    )


@post("/catalogue/{product_id:int}/edit", guards=[requires_staff], request_max_body_size=45 * 1024 * 1024)
async def product_update(
    product_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, settings: AppSettings
) -> Template | Redirect:
    form = await read_form(request)
    service = ProductService(session=db_session)
    product = await service.get_for(actor, product_id)
    try:
        fields = _fields_from_form(form)
        stored = await _store_uploads(form, settings)
        await service.update_product(actor, product_id, fields.__dict__)
        for photo in stored:
            await service.add_photo(actor, product_id, photo)
    except DomainError as exc:
        return form_error("catalogue/form.html", exc, db_session, form=form, **_form_context(actor, product=product))
    notify(request, i18n.gettext_(N_("Saved.")))
    return Redirect(f"/catalogue/{product_id}", status_code=303)


@post("/catalogue/{product_id:int}/archive", guards=[requires_staff])
async def product_archive(
    product_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Redirect:
    form = await read_form(request)
    active = form.get("active") == "1"
    product = await ProductService(session=db_session).set_active(actor, product_id, active)
    message = N_("%(name)s is on sale again.") if active else N_("%(name)s is archived: no longer on sale.")
    notify(request, i18n.gettext_(message, name=product.name))
    return Redirect(f"/catalogue/{product_id}", status_code=303)


@post("/catalogue/{product_id:int}/photos/{photo_id:int}/delete", guards=[requires_staff])
async def product_photo_delete(
    product_id: IdPath, photo_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Redirect:
    await ProductService(session=db_session).remove_photo(actor, product_id, photo_id)
    notify(request, i18n.gettext_(N_("Photo removed.")))
    return Redirect(f"/catalogue/{product_id}/edit", status_code=303)


async def _village_households(db_session: DbSession, village_id: int) -> list[Household]:
    rows = await db_session.execute(
        select(Household).where(Household.village_id == village_id, Household.active.is_(True)).order_by(Household.code)
    )
    return list(rows.scalars())


def _lot_form_context(actor: Actor, product: Any, households: list[Household], **extra: Any) -> dict[str, Any]:
    return {
        "product": product,
        "households": households,
        "rows": range(1, LOT_FORM_ROWS + 1),
        "today": local_today().isoformat(),
        "user": actor,
        **extra,
    }


@get("/catalogue/{product_id:int}/lots/new", guards=[requires_staff], name="lot_new")
async def lot_new(product_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    product = await ProductService(session=db_session).get_for(actor, product_id)
    households = await _village_households(db_session, product.village_id)
    return Template(
        "catalogue/lot_new.html",
        context=_lot_form_context(actor, product, households, values={}, errors={}),
    )


@post("/catalogue/{product_id:int}/lots/new", guards=[requires_staff])
async def lot_create(
    product_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    form = await read_form(request)
    product = await ProductService(session=db_session).get_for(actor, product_id)
    try:
        quantity = form_int(form.get("quantity"), "quantity")
        contributions = []
        for row in range(1, LOT_FORM_ROWS + 1):
            household_id = form_int(form.get(f"household_{row}"), "contributions")
            amount = form_int(form.get(f"quantity_{row}"), "contributions")
            if household_id is None and amount is None:
                continue
            if household_id is None or amount is None:
                raise InvalidInput("contributions", N_("Each line needs both a household and its quantity."))
            contributions.append(ContributionInput(household_id, amount))
        if len(contributions) == 1 and quantity is None:
            quantity = contributions[0].quantity  # the common case: one household brought the whole lot
        received_text = str(form.get("received_on") or "").strip()
        try:
            received_on = date.fromisoformat(received_text) if received_text else None
        except ValueError as exc:
            raise InvalidInput("received_on", N_("The date must look like 2026-11-27.")) from exc
        lot = await LotService(db_session).receive_lot(
            actor,
            product_id,
            quantity=quantity or 0,
            contributions=contributions,
            received_on=received_on,
            grade=str(form.get("grade") or ""),
            note=str(form.get("note") or ""),
            show_names=form.get("show_names") == "on",
        )
    except DomainError as exc:
        households = await _village_households(db_session, product.village_id)
        return form_error(
            "catalogue/lot_new.html", exc, db_session, form=form, **_lot_form_context(actor, product, households)
        )
    notify(
        request,
        i18n.gettext_(
            N_("Lot %(code)s received: %(n)s %(unit)s."), code=lot.public_code, n=lot.quantity, unit=product.unit
        ),
    )
    return Redirect(f"/catalogue/lots/{lot.id}", status_code=303)


@get("/catalogue/lots/{lot_id:int}", guards=[requires_staff], name="lot_detail")
async def lot_detail(lot_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    lot = await LotService(db_session).get_lot(actor, lot_id)
    return Template("catalogue/lot.html", context={"lot": lot, "product": lot.product, "user": actor})


async def _paper_context(
    request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, lot_id: int
) -> dict[str, Any]:

    lot = await LotService(db_session).get_lot(actor, lot_id)
    village = await VillageService(session=db_session).get_public(lot.village_id)
    return {
        "lot": lot,
        "product": lot.product,
        "village": village,
        "trace_url": f"{public_base(request)}/t/{lot.public_code}",
        "user": actor,
    }


@get("/catalogue/lots/{lot_id:int}/receipts", guards=[requires_staff], name="lot_receipts")
async def lot_receipts(
    lot_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template:
    return Template("catalogue/receipts.html", context=await _paper_context(request, actor, db_session, lot_id))


@get("/catalogue/lots/{lot_id:int}/labels", guards=[requires_staff], name="lot_labels")
async def lot_labels(
    lot_id: IdPath,
    request: Request[Any, Any, Any],
    actor: Actor,
    db_session: DbSession,
    count: Annotated[int | None, QueryParameter(ge=1, le=96)] = None,
) -> Template:
    context = await _paper_context(request, actor, db_session, lot_id)
    labels = count or min(context["lot"].quantity, LABELS_PER_SHEET)
    return Template("catalogue/labels.html", context={**context, "labels": range(labels)})


@get("/catalogue/import", guards=[requires_staff], name="product_import")
async def import_page(actor: Actor) -> Template:
    return Template("catalogue/import.html", context={"outcome": None, "errors": {}, "user": actor})


@post("/catalogue/import", guards=[requires_staff], request_max_body_size=IMPORT_MAX_BYTES + 64 * 1024)
async def import_submit(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Template:
    form = await read_form(request)
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("file", N_("Choose a spreadsheet file to upload."))
        outcome = await import_product_file(
            ProductService(session=db_session), actor, await upload.read(), upload.filename, max_bytes=IMPORT_MAX_BYTES
        )
    except DomainError as exc:
        return form_error("catalogue/import.html", exc, db_session, outcome=None, user=actor)
    status = 200 if outcome.imported else 422
    return Template(
        "catalogue/import.html", context={"outcome": outcome, "errors": {}, "user": actor}, status_code=status
    )


@get("/catalogue/template/{fmt:str}", guards=[requires_staff], name="product_template")
async def import_template(fmt: FromPath[str]) -> Response[bytes]:
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput("format", N_("The template comes as .csv or .xlsx."))
    body, media_type = product_template(fmt)
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="products-template.{fmt}"'},
    )


# --- public pages: the shop window, a product, a lot's traceability ---------------------------------------


@get("/v/{village_id:int}", opt=PUBLIC, name="shop_window")
async def shop_window(village_id: IdPath, db_session: DbSession) -> Template:
    village = await VillageService(session=db_session).get_public(village_id)
    products = await ProductService(session=db_session).public_window(village.id)
    return Template(
        "catalogue/window.html",
        context={"village": village, "products": products, "user": None},
    )


@get("/products/{product_id:int}", opt=PUBLIC, name="product_public")
async def product_public(product_id: IdPath, db_session: DbSession) -> Template:
    product = await ProductService(session=db_session).get_public(product_id)
    village = await VillageService(session=db_session).get_public(product.village_id)
    return Template(
        "catalogue/product.html",
        context={
            "product": product,
            "village": village,
            "category_label": i18n.translate(CATEGORY_LABELS[Category(product.category)]),
            "user": None,
        },
    )


def given_name(full_name: str) -> str:
    """王德顺 → 德顺: the traceability page never prints a family name."""
    name = full_name.strip()
    return name[1:] if len(name) >= 2 else mask_name(name)


@get("/t/{lot_code:str}", opt=PUBLIC, name="trace")
async def trace(lot_code: FromPath[str], db_session: DbSession) -> Template:
    lot: Lot = await LotService(db_session).get_public(lot_code)
    village = await VillageService(session=db_session).get_public(lot.village_id)
    names = [given_name(c.household.head_name) for c in lot.contributions] if lot.show_names else []
    return Template(
        "catalogue/trace.html",
        context={
            "lot": lot,
            "product": lot.product,
            "village": village,
            "names": names,
            "household_count": len(lot.contributions),
            "user": None,
        },
    )


@get("/media/{path:path}", opt=PUBLIC, include_in_schema=False, name="media")
async def media(path: FromPath[str], settings: AppSettings) -> File:
    """Stored photos: content-hash names never change meaning, so they can be cached for a year."""
    location = media_file(settings.media_dir, path.lstrip("/"))
    return File(
        path=location,
        media_type="image/jpeg",
        content_disposition_type="inline",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


ROUTES = [
    catalogue_list,
    product_new,
    product_create,
    product_manage,
    product_edit,
    product_update,
    product_archive,
    product_photo_delete,
    lot_new,
    lot_create,
    lot_detail,
    lot_receipts,
    lot_labels,
    import_page,
    import_submit,
    import_template,
    shop_window,
    product_public,
    trace,
    media,
]
