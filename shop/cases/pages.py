"""Pages: the villager's cases (raise one from the earning itself, follow it, rate it with two taps), the
handlers' list and case page (answer, ask, correct the books, resolve, close at the county), the
township's and the county's home pages, and the admin's page for creating officers."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromQuery
from litestar.response import File, Redirect, Template

from shop import i18n
from shop.accounts.models import Role
from shop.accounts.principal import Principal
from shop.accounts.services import UserService
from shop.cases import corrections, counts, reading
from shop.cases.models import (
    EVENT_LABELS,
    LEVEL_LABELS,
    LEVELS,
    OUTCOME_LABELS,
    SATISFACTION_LABELS,
    TOPIC_LABELS,
    Case,
    CaseStatus,
    CorrectionKind,
    EventKind,
    Level,
    Outcome,
    Satisfaction,
    Topic,
)
from shop.cases.services import (
    RATING_WINDOW,
    REOPEN_WINDOW,
    add_reply,
    close_by_county,
    corrections_of,
    events_of,
    get_case,
    handler_level,
    list_cases,
    may_correct,
    photo_for,
    photos_of,
    raise_case,
    rate_case,
    resolve_case,
    subject_of,
    villages_of,
)
from shop.catalogue.services import ContributionInput
from shop.errors import N_, DomainError, InvalidInput, NotFound
from shop.ledger.models import METHOD_LABELS, PayoutMethod
from shop.media import StoredPhoto, media_file, store_photo
from shop.money import MoneyFormatError, parse_yuan
from shop.paging import Paging, page_count
from shop.timeutil import as_utc, to_local, utcnow
from shop.villages.models import Village
from shop.web.auth import requires_admin, requires_handler, requires_household, requires_officer
from shop.web.deps import Actor, AppSettings, DbSession, Hasher
from shop.web.forms import form_error, form_int, notify, read_form
from shop.web.params import IdPath
from shop.workdays import calendar_version, deadline_day, known_years, unknown_years

PAGE_SIZE = 30
PHOTO_BODY_LIMIT = 20 * 1024 * 1024  # three phone photos of up to 5 MB and the words


# --- words --------------------------------------------------------------------------------------------------


def status_words(case: Case) -> str:
    """已提交 · 处理中 · 已答复，请您评价 · 已办结, as the villager reads them."""
    if case.status == CaseStatus.CLOSED.value:
        return i18n.translate(N_("Closed"))
    if case.status == CaseStatus.ANSWERED.value:
        return i18n.translate(N_("Answered: please rate"))
    if case.first_responded_at is None and case.reopen_count == 0:
        return i18n.translate(N_("Submitted"))
    return i18n.translate(N_("Being handled"))


def _labels() -> dict[str, dict[str, str]]:
    t = i18n.translate
    return {
        "topic": {k.value: t(v) for k, v in TOPIC_LABELS.items()},
        "level": {k.value: t(v) for k, v in LEVEL_LABELS.items()},
        "outcome": {k.value: t(v) for k, v in OUTCOME_LABELS.items()},
        "satisfaction": {k.value: t(v) for k, v in SATISFACTION_LABELS.items()},
        "method": {str(k): t(v) for k, v in METHOD_LABELS.items()},
        "event": {k: t(v) for k, v in EVENT_LABELS.items()},
        "correction": {k.value: t(v) for k, v in CORRECTION_LABELS.items()},
    }


CORRECTION_LABELS = {
    CorrectionKind.WEIGHTS: N_("Weights corrected"),
    CorrectionKind.PRICE: N_("Price corrected"),
    CorrectionKind.PAYOUT: N_("Payment reversed"),
}


ROLE_LABELS = {
    "household": N_("Villager"),
    "secretary": N_("Village secretary"),
    "township": N_("Township officer"),
    "county": N_("County supervisor"),
    "admin": N_("County operator"),
    "system": N_("automatic"),
}


def _common(actor: Principal) -> dict[str, Any]:
    return {
        "user": actor,
        "labels": _labels(),
        "roles": {k: i18n.translate(v) for k, v in ROLE_LABELS.items()},
        "status_words": status_words,
        "due": deadline_day,
        "now": utcnow(),
    }


async def _store_photos(form: Any, settings: Any) -> list[StoredPhoto]:
    uploads = [f for f in form.getall("photos", []) if isinstance(f, UploadFile) and f.filename]
    if len(uploads) > 3:
        raise InvalidInput("photos", N_("A case holds at most %(max)d photos."), max=3)
    return [await asyncio.to_thread(store_photo, await u.read(), settings.case_photo_dir) for u in uploads]


# --- the villager -------------------------------------------------------------------------------------------


@get("/household/cases", guards=[requires_household], name="household_cases")
async def household_cases(actor: Actor, db_session: DbSession) -> Template:
    rows, _ = await list_cases(db_session, actor, Paging(limit=100))
    return Template("cases/household_list.html", context={"cases": rows, **_common(actor)})


async def _new_case_context(db_session: DbSession, actor: Actor, values: dict[str, str]) -> dict[str, Any]:
    subject = await subject_of(
        db_session,
        actor.id,
        contribution_id=form_int(values.get("contribution_id"), "contribution_id"),
        ledger_entry_id=form_int(values.get("ledger_entry_id"), "ledger_entry_id"),
        payout_id=form_int(values.get("payout_id"), "payout_id"),
    )
    topics = [(t.value, i18n.translate(TOPIC_LABELS[t])) for t in Topic]
    return {"subject": subject.recorded, "topics": topics, **_common(actor)}


DEFAULT_TOPIC = {
    "contribution_id": Topic.WEIGHT.value,
    "ledger_entry_id": Topic.PRICE.value,
    "payout_id": Topic.PAYOUT.value,
}


@get("/household/cases/new", guards=[requires_household], name="household_case_new")
async def household_case_new(
    actor: Actor,
    db_session: DbSession,
    contribution: FromQuery[int | None] = None,
    entry: FromQuery[int | None] = None,
    payout: FromQuery[int | None] = None,
    previous: FromQuery[int | None] = None,
) -> Template:
    values = {
        "contribution_id": str(contribution or ""),
        "ledger_entry_id": str(entry or ""),
        "payout_id": str(payout or ""),
        "previous_case_id": str(previous or ""),
    }
    values["topic"] = next((DEFAULT_TOPIC[k] for k in DEFAULT_TOPIC if values[k]), Topic.OTHER.value)
    context = await _new_case_context(db_session, actor, values)
    return Template("cases/household_new.html", context={"values": values, "errors": {}, **context})


@post("/household/cases/new", guards=[requires_household], request_max_body_size=PHOTO_BODY_LIMIT)
async def household_case_create(
    request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, settings: AppSettings
) -> Template | Redirect:
    form = await read_form(request)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "_csrf_token"}
    try:
        photos = await _store_photos(form, settings)
        case = await raise_case(
            db_session,
            actor,
            topic=values.get("topic", ""),
            text=values.get("text", ""),
            claimed=values.get("claimed", ""),
            contribution_id=form_int(values.get("contribution_id"), "contribution_id"),
            ledger_entry_id=form_int(values.get("ledger_entry_id"), "ledger_entry_id"),
            payout_id=form_int(values.get("payout_id"), "payout_id"),
            previous_case_id=form_int(values.get("previous_case_id"), "previous_case_id"),
            photos=photos,
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        context = await _new_case_context(db_session, actor, values)
        return form_error("cases/household_new.html", exc, db_session, form=values, **context)
    notify(request, i18n.gettext_(N_("Sent to the village. You will see the answer here and in your inbox.")))
    return Redirect(f"/household/cases/{case.id}", status_code=303)


async def _villager_context(db_session: DbSession, actor: Actor, case: Case) -> dict[str, Any]:
    events = await events_of(db_session, case.id)
    village = await reading.village_of(db_session, case)
    closed_at = as_utc(case.closed_at) if case.closed_at else None
    return {
        "case": case,
        "village": village,
        "events": [e for e in events if e.kind in VILLAGER_EVENTS],
        "photos": await photos_of(db_session, case.id),
        "rate_until": (as_utc(case.answered_at) + RATING_WINDOW) if case.answered_at else None,
        "may_rerate": bool(closed_at and not case.close_reason and closed_at + REOPEN_WINDOW >= utcnow()),
        "reopen_until": (closed_at + REOPEN_WINDOW) if closed_at else None,
        "satisfactions": [(s.value, i18n.translate(SATISFACTION_LABELS[s])) for s in Satisfaction],
        **_common(actor),
    }


VILLAGER_EVENTS = {
    EventKind.RAISED.value,
    EventKind.REPLY.value,
    EventKind.ASKED.value,
    EventKind.INFO.value,
    EventKind.CORRECTED.value,
    EventKind.RESOLVED.value,
    EventKind.CLOSED.value,
    EventKind.UNRATED.value,
    EventKind.CLOSED_BY_COUNTY.value,
    EventKind.REOPENED.value,
    EventKind.ESCALATED.value,
}


@get("/household/cases/{case_id:int}", guards=[requires_household], name="household_case")
async def household_case(case_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    case = await get_case(db_session, actor, case_id)
    context = await _villager_context(db_session, actor, case)
    return Template("cases/household_case.html", context={"values": {}, "errors": {}, **context})


@post("/household/cases/{case_id:int}/info", guards=[requires_household], request_max_body_size=PHOTO_BODY_LIMIT)
async def household_case_info(
    case_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, settings: AppSettings
) -> Template | Redirect:
    form = await read_form(request)
    try:
        photos = await _store_photos(form, settings)
        await add_reply(db_session, actor, case_id, str(form.get("text") or ""), photos=photos)
    except DomainError as exc:
        case = await get_case(db_session, actor, case_id)
        context = await _villager_context(db_session, actor, case)
        return form_error("cases/household_case.html", exc, db_session, form=form, **context)
    notify(request, i18n.gettext_(N_("Added. The clock runs again for the village.")))
    return Redirect(f"/household/cases/{case_id}", status_code=303)


@post("/household/cases/{case_id:int}/rating", guards=[requires_household])
async def household_case_rating(
    case_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    """Each button records its answer on the tap; the second answer decides."""
    form = await read_form(request)
    solved_text = str(form.get("solved") or "")
    solved = {"yes": True, "no": False}.get(solved_text)
    satisfaction = str(form.get("satisfaction") or "") or None
    try:
        if solved_text and solved is None:
            raise InvalidInput("solved", N_("Answer yes or no."))
        case = await rate_case(db_session, actor, case_id, solved=solved, satisfaction=satisfaction)
    except DomainError as exc:
        case = await get_case(db_session, actor, case_id)
        context = await _villager_context(db_session, actor, case)
        return form_error("cases/household_case.html", exc, db_session, form={}, **context)
    if case.status == CaseStatus.CLOSED.value:
        message = N_("Thank you. The case is closed.")
    elif case.status == CaseStatus.OPEN.value:
        message = N_("Thank you. The case went up to the %(level)s, with a new deadline.")
    else:
        message = N_("Recorded. Please answer the other question too.")
    notify(request, i18n.gettext_(message, level=i18n.translate(LEVEL_LABELS[Level(case.level)])))
    return Redirect(f"/household/cases/{case_id}", status_code=303)


@get("/cases/photos/{photo_id:int}", name="case_photo")
async def case_photo(
    photo_id: IdPath, actor: Actor, db_session: DbSession, settings: AppSettings, thumb: FromQuery[bool] = False
) -> File:
    """A case's photo, for those who reach the case only (never cached by a shared cache)."""
    photo = await photo_for(db_session, actor, photo_id)
    location = media_file(settings.case_photo_dir, photo.thumb_path if thumb else photo.display_path)
    return File(
        path=location,
        media_type="image/jpeg",
        content_disposition_type="inline",
        headers={"Cache-Control": "private, max-age=86400"},
    )


# --- the handlers -------------------------------------------------------------------------------------------


@get("/cases", guards=[requires_handler], name="cases")
async def cases_page(
    actor: Actor, db_session: DbSession, show: FromQuery[str] = "active", page: FromQuery[int] = 1
) -> Template:
    status = {"open": "open", "answered": "answered", "closed": "closed"}.get(show)
    page = max(page, 1)
    rows, total = await list_cases(
        db_session,
        actor,
        Paging(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE),
        status=status,
        not_closed=show == "active",
    )
    labels = await reading.list_labels(db_session, rows)
    return Template(
        "cases/list.html",
        context={
            "cases": rows,
            "villages": labels.villages,
            "codes": labels.codes,
            "show": show,
            "page": page,
            "pages": page_count(total, PAGE_SIZE),
            **_common(actor),
        },
    )


async def _handler_context(db_session: DbSession, actor: Actor, case: Case) -> dict[str, Any]:
    level = handler_level(actor)
    around = await reading.surroundings(db_session, case)
    return {
        "case": case,
        "household": around.household,
        "village": around.village,
        "events": await events_of(db_session, case.id),
        "photos": await photos_of(db_session, case.id),
        "corrections": await corrections_of(db_session, case),
        "lot": around.lot,
        "lot_rows": around.lot_rows,
        "on_record": around.on_record,
        "village_households": around.village_households,
        "together": around.together,
        "may_resolve": level is not None
        and level.rank >= Level(case.floor_level).rank
        and case.status == CaseStatus.OPEN.value,
        "may_correct": may_correct(actor, case),
        "may_close": level is Level.COUNTY
        and case.level == Level.COUNTY.value
        and case.status != CaseStatus.CLOSED.value,
        "outcomes": [
            (o.value, i18n.translate(OUTCOME_LABELS[o]))
            for o in (Outcome.UPHELD, Outcome.CORRECTED, Outcome.DUPLICATE, Outcome.WITHDRAWN)
        ],
        "methods": [(m.value, i18n.translate(METHOD_LABELS[m])) for m in PayoutMethod],
        "correction_kinds": {k.value for k in CorrectionKind},
        "household_names": {h.id: f"{h.code} {h.head_name}" for h in around.village_households},
        **_common(actor),
    }


@get("/cases/{case_id:int}", guards=[requires_handler], name="case")
async def case_page(case_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    case = await get_case(db_session, actor, case_id)
    context = await _handler_context(db_session, actor, case)
    return Template("cases/case.html", context={"values": {}, "errors": {}, **context})


async def _handler_error(db_session: DbSession, actor: Actor, case_id: int, exc: DomainError, form: Any) -> Template:
    case = await get_case(db_session, actor, case_id)
    context = await _handler_context(db_session, actor, case)
    return form_error("cases/case.html", exc, db_session, form=form, **context)


@post("/cases/{case_id:int}/reply", guards=[requires_handler])
async def case_reply(
    case_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    form = await read_form(request)
    try:
        await add_reply(
            db_session, actor, case_id, str(form.get("text") or ""), needs_info=form.get("needs_info") == "on"
        )
    except DomainError as exc:
        return await _handler_error(db_session, actor, case_id, exc, form)
    notify(request, i18n.gettext_(N_("Sent. The villager sees it on the case and in the inbox.")))
    return Redirect(f"/cases/{case_id}", status_code=303)


@post("/cases/{case_id:int}/resolve", guards=[requires_handler])
async def case_resolve(
    case_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    form = await read_form(request)
    try:
        together = await resolve_case(
            db_session, actor, case_id, str(form.get("outcome") or ""), str(form.get("resolution") or "")
        )
    except DomainError as exc:
        return await _handler_error(db_session, actor, case_id, exc, form)
    if len(together) > 1:
        message = i18n.gettext_(
            N_("Resolved together with %(n)s other cases about the same lot. Each villager rates it."),
            n=len(together) - 1,
        )
    else:
        message = i18n.gettext_(N_("Resolved. The villager is asked to rate it."))
    notify(request, message)
    return Redirect(f"/cases/{case_id}", status_code=303)


@post("/cases/{case_id:int}/correct", guards=[requires_handler])
async def case_correct(
    case_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    form = await read_form(request)
    kind = str(form.get("kind") or "")
    try:
        if kind == CorrectionKind.WEIGHTS.value:
            rows = []
            for key, value in form.items():
                if key.startswith("qty_") and key[4:].isdigit() and isinstance(value, str) and value.strip():
                    quantity = form_int(value, "contributions")
                    if quantity:
                        rows.append(ContributionInput(int(key[4:]), quantity))
            added, added_qty = (
                form_int(form.get("add_household"), "contributions"),
                form_int(form.get("add_qty"), "contributions"),
            )
            if added and added_qty:
                rows.append(ContributionInput(added, added_qty))
            await corrections.correct_weights(
                db_session, actor, case_id, rows, lot_id=form_int(form.get("lot_id"), "lot_id")
            )
        elif kind == CorrectionKind.PRICE.value:
            try:
                price = parse_yuan(str(form.get("price") or ""))
            except MoneyFormatError as exc:
                raise InvalidInput("price", N_("Enter the price in yuan, e.g. 39.90.")) from exc
            await corrections.correct_price(db_session, actor, case_id, price)
        elif kind == CorrectionKind.PAYOUT.value:
            method = str(form.get("repay_method") or "") or None
            await corrections.reverse_payout(
                db_session, actor, case_id, repay_method=method, reference=str(form.get("reference") or "")
            )
        else:
            raise InvalidInput("kind", N_("Choose what to correct."))
    except DomainError as exc:
        return await _handler_error(db_session, actor, case_id, exc, form)
    notify(request, i18n.gettext_(N_("Corrected. The ledger entries are linked to this case; now resolve it.")))
    return Redirect(f"/cases/{case_id}", status_code=303)


@post("/cases/{case_id:int}/close", guards=[requires_handler])
async def case_close(
    case_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    form = await read_form(request)
    try:
        await close_by_county(db_session, actor, case_id, str(form.get("reason") or ""))
    except DomainError as exc:
        return await _handler_error(db_session, actor, case_id, exc, form)
    notify(request, i18n.gettext_(N_("Closed with the reason. It counts as not satisfied.")))
    return Redirect(f"/cases/{case_id}", status_code=303)


# --- the township's and the county's home ---------------------------------------------------------------------


def calendar_warning(now: datetime | None = None) -> dict[str, Any] | None:
    """The years of the next 60 days whose official holidays the installed calendar does not know."""
    moment = as_utc(now or utcnow())
    missing = unknown_years(to_local(moment).date(), to_local(moment + timedelta(days=60)).date())
    if not missing:
        return None
    first, last = known_years()
    return {"years": ", ".join(str(y) for y in missing), "version": calendar_version(), "first": first, "last": last}


async def _area_rows(db_session: DbSession, villages: list[Village]) -> dict[str, Any]:
    ids = [v.id for v in villages] or [0]
    return {
        "villages": villages,
        "open": await counts.open_cases(db_session, ids),
        "figures": await counts.by_village(db_session, ids),
        "blank_open": counts.OpenCases(),
        "blank_figures": counts.CaseFigures(),
        "levels": [level.value for level in LEVELS],
        "ages": [label for _, label in counts.AGE_BUCKETS],
        "village_names": {v.id: v.name for v in villages},
    }


@get("/township", guards=[requires_officer], name="township_home")
async def township_home(actor: Actor, db_session: DbSession) -> Template | Redirect:
    if actor.role != Role.TOWNSHIP.value:
        return Redirect("/county", status_code=303)
    villages = await counts.villages_in(db_session, villages_of(actor))
    ids = [v.id for v in villages] or [0]
    return Template(
        "cases/township.html",
        context={
            **await _area_rows(db_session, villages),
            "money": await counts.money_boards(db_session, ids),
            "blank_money": counts.MoneyBoard(),
            "streams": await counts.streams_this_week(db_session, ids),
            **_common(actor),
        },
    )


@get("/county", guards=[requires_officer], name="county_home")
async def county_home(actor: Actor, db_session: DbSession) -> Template | Redirect:
    if actor.role == Role.TOWNSHIP.value:
        return Redirect("/township", status_code=303)
    villages = await reading.county_villages(db_session, actor)
    rows = await _area_rows(db_session, villages)
    rollup = reading.by_township(villages, rows["figures"], rows["open"])
    return Template(
        "cases/county.html",
        context={
            **rows,
            "townships": rollup.villages,
            "township_figures": rollup.figures,
            "township_open": rollup.open,
            "calendar_warning": calendar_warning(),
            **_common(actor),
        },
    )


# --- the admin creates officers -------------------------------------------------------------------------------


async def _officers_context(db_session: DbSession, actor: Actor) -> dict[str, Any]:
    found = await reading.officers(db_session)
    return {
        "officers": found.officers,
        "counties": found.counties,
        "townships": found.townships,
        "calendar_warning": calendar_warning(),
        **_common(actor),
    }


@get("/admin/officers", guards=[requires_admin], name="admin_officers")
async def admin_officers(actor: Actor, db_session: DbSession) -> Template:
    context = await _officers_context(db_session, actor)
    return Template("cases/officers.html", context={"values": {"role": "township"}, "errors": {}, **context})


@post("/admin/officers", guards=[requires_admin])
async def admin_create_officer(
    request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, hasher: Hasher
) -> Template | Redirect:
    form = await read_form(request)
    role = str(form.get("role") or "")
    try:
        if role not in (Role.TOWNSHIP.value, Role.COUNTY.value):
            raise InvalidInput("role", N_("Choose township officer or county supervisor."))
        user = await UserService(session=db_session).create_user(
            actor,
            hasher,
            username=str(form.get("username") or ""),
            password=str(form.get("password") or ""),
            role=role,
            display_name=str(form.get("display_name") or ""),
            phone=str(form.get("phone") or ""),
            township=str(form.get("township") or "") if role == Role.TOWNSHIP.value else "",
            county=str(form.get("county") or ""),
        )
    except DomainError as exc:
        context = await _officers_context(db_session, actor)
        values = {k: v for k, v in form.items() if isinstance(v, str) and k not in ("_csrf_token", "password")}
        return form_error("cases/officers.html", exc, db_session, form=values, **context)
    notify(request, i18n.gettext_(N_("%(name)s can now log in."), name=user.name))
    return Redirect("/admin/officers", status_code=303)


ROUTES = [
    household_cases,
    household_case_new,
    household_case_create,
    household_case,
    household_case_info,
    household_case_rating,
    case_photo,
    cases_page,
    case_page,
    case_reply,
    case_resolve,
    case_correct,
    case_close,
    township_home,
    county_home,
    admin_officers,
    admin_create_officer,
]
