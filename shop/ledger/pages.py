"""Pages: the villager's earnings (big numbers, each sale, payouts, a 12-month chart, monthly
statements, a large-type mode), the secretary's fee policy, payouts (single and batch, with the transfer
list and receipts), ledger export and audit trail, and the public transparency board."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from shop import i18n
from shop.cases import counts as case_counts
from shop.cases.marks import household_marks
from shop.cases.services import audit_rows as case_audit_rows
from shop.channels import PLATFORM_LABELS
from shop.errors import N_, DomainError, InvalidInput, Label
from shop.ledger.models import ACCOUNT_LABELS, METHOD_LABELS, PayoutMethod
from shop.ledger.payouts import balances, batch_payouts, pay_batch
from shop.ledger.policy import CHANNELS, has_policy, policy_at, policy_history, sales_awaiting_policy, set_policy
from shop.ledger.posting import pay_out
from shop.ledger.reading import (
    Statement,
    audit_trail,
    earnings,
    ledger_entries,
    ledger_transactions,
    set_show_names,
    statement,
    transparency,
)
from shop.money import MoneyFormatError, fen_to_yuan_text, format_fen, parse_yuan
from shop.paging import Paging
from shop.tabular import write_csv, write_xlsx
from shop.timeutil import local_today, to_local, utcnow
from shop.villages.services import VillageService
from shop.web.auth import PUBLIC, requires_household, requires_staff
from shop.web.charts import Bar, bar_chart
from shop.web.deps import Actor, DbSession
from shop.web.forms import form_error, form_int, notify, read_form
from shop.web.params import IdPath

LEDGER_PAGE_SIZE = 50

ELDER_COOKIE = "elder"


MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_label(year_month: str) -> str:
    """'2026-11' → 11月 on Chinese pages, Nov on English ones."""
    month = int(year_month[5:7])
    return f"{month}月" if i18n.is_chinese() else MONTHS_EN[month - 1]


def _methods() -> list[tuple[str, str]]:
    return [(m.value, i18n.translate(METHOD_LABELS[m])) for m in PayoutMethod]


def _village_of(actor: Actor) -> int:
    if actor.village_id is None:
        raise InvalidInput("village", N_("Open this as the village's secretary."))
    return actor.village_id


# --- the villager ---------------------------------------------------------------------------------------


@get("/household", guards=[requires_household], name="household_home")
async def household_home(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Template:
    """Big clear numbers first, then each sale of the household's goods and each payout."""
    result = await earnings(db_session, actor, actor.id, limit=30)
    village = result.village
    chart = bar_chart(
        [Bar(month_label(label), amount) for label, amount in result.monthly],
        title=i18n.translate(N_("Credited per month, last 12 months")),
        value_label=format_fen,
        empty_label=i18n.translate(N_("No sales yet")),
        label_latest=True,
    )
    months = [label for label, _ in result.monthly][::-1]
    marks = await household_marks(
        db_session, actor.id, [s.transaction_id for s in result.sales], [p.id for p in result.payouts]
    )
    return Template(
        "ledger/household_home.html",
        context={
            "marks": marks,
            "earnings": result,
            "household": result.household,
            "village": village,
            "chart": chart,
            "months": months,
            "elder": request.cookies.get(ELDER_COOKIE) == "1",
            "method_labels": dict(_methods()),
            "user": actor,
        },
    )


@post("/household/elder", guards=[requires_household])
async def toggle_elder(request: Request[Any, Any, Any]) -> Redirect:
    """长辈模式: type twice the size, remembered on this phone."""
    on = request.cookies.get(ELDER_COOKIE) != "1"
    response = Redirect("/household", status_code=303)
    response.cookies.append(
        Cookie(key=ELDER_COOKIE, value="1" if on else "0", max_age=60 * 60 * 24 * 365, httponly=True, samesite="lax")
    )
    return response


@get("/household/statement/{month:str}", guards=[requires_household], name="household_statement")
async def household_statement(
    month: FromPath[str], request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template:
    result = await statement(db_session, actor, actor.id, month)
    return _statement_page(result, actor, elder=request.cookies.get(ELDER_COOKIE) == "1")


@get("/households/{household_id:int}/statement/{month:str}", guards=[requires_staff], name="staff_statement")
async def staff_statement(household_id: IdPath, month: FromPath[str], actor: Actor, db_session: DbSession) -> Template:
    return _statement_page(await statement(db_session, actor, household_id, month), actor, elder=False)


def _statement_page(result: Statement, actor: Actor, *, elder: bool) -> Template:
    return Template(
        "ledger/statement.html",
        context={
            "statement": result,
            "village": result.village,
            "elder": elder,
            "method_labels": dict(_methods()),
            "user": actor,
        },
    )


# --- fee policy ------------------------------------------------------------------------------------------


async def _fees_context(db_session: DbSession, actor: Actor, village_id: int) -> dict[str, Any]:
    current = await policy_at(db_session, village_id, utcnow())
    village = await VillageService(session=db_session).get_for(actor, village_id)
    values = {f"platform_{c}": str(current.platform_bp.get(c, 0)) for c in CHANNELS}
    values.update(
        operator_bp=str(current.operator_bp),
        collective_bp=str(current.collective_bp),
        auto_complete_days=str(current.auto_complete_days),
    )
    return {
        "village": village,
        "history": await policy_history(db_session, village_id),
        "channels": [(c, i18n.translate(PLATFORM_LABELS[c])) for c in CHANNELS],
        "values": values,
        "user": actor,
    }


@get("/village/fees", guards=[requires_staff], name="fees")
async def fees_page(actor: Actor, db_session: DbSession) -> Template:
    context = await _fees_context(db_session, actor, _village_of(actor))
    return Template("ledger/fees.html", context={"errors": {}, **context})


def _bp(form: Any, field: str, message: str = N_("Rates are whole basis points from 0 to 10000 (100%%).")) -> int:
    text = str(form.get(field) or "0").strip() or "0"
    if not text.isdigit():
        raise InvalidInput(field, message)
    return int(text)


@post("/village/fees", guards=[requires_staff])
async def fees_save(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Template | Redirect:
    form = await read_form(request)
    village_id = _village_of(actor)
    waiting = 0 if await has_policy(db_session, village_id) else await sales_awaiting_policy(db_session, village_id)
    try:
        await set_policy(
            db_session,
            actor,
            village_id,
            platform_bp={c: _bp(form, f"platform_{c}") for c in CHANNELS},
            operator_bp=_bp(form, "operator_bp"),
            collective_bp=_bp(form, "collective_bp"),
            auto_complete_days=_bp(form, "auto_complete_days", N_("Auto-confirmation takes between 1 and 60 days.")),
        )
        await set_show_names(db_session, actor, village_id, form.get("show_household_names") == "on")
    except DomainError as exc:
        context = await _fees_context(db_session, actor, village_id)
        context["values"] = {k: v for k, v in form.items() if isinstance(v, str)}
        return form_error("ledger/fees.html", exc, db_session, **context)
    if waiting:
        message = N_(
            "The fee policy is set. It also covers the %(n)s sale(s) completed before it: "
            "they are credited within a few minutes."
        )
        notify(request, i18n.gettext_(message, n=waiting))
    else:
        notify(request, i18n.gettext_(N_("The new fee policy applies to sales completed from now on.")))
    return Redirect("/village/fees", status_code=303)


# --- payouts -------------------------------------------------------------------------------------------------


async def _payouts_context(db_session: DbSession, actor: Actor) -> dict[str, Any]:
    village_id = _village_of(actor)
    rows = await balances(db_session, actor, village_id)
    return {
        "rows": rows,
        "total": sum(b for _, b, _ in rows),
        "methods": _methods(),
        "values": {"method": "wechat"},
        "errors": {},
        "this_month": local_today().strftime("%Y-%m"),
        "user": actor,
    }


@get("/payouts", guards=[requires_staff], name="payouts")
async def payouts_page(actor: Actor, db_session: DbSession) -> Template:
    return Template("ledger/payouts.html", context=await _payouts_context(db_session, actor))


def _fen(form: Any, field: str) -> int:
    try:
        amount = parse_yuan(str(form.get(field) or ""))
    except MoneyFormatError as exc:
        raise InvalidInput(field, N_("Enter an amount in yuan, e.g. 120.50.")) from exc
    if amount <= 0:
        raise InvalidInput(field, N_("The amount must be more than ¥0."))
    return amount


@post("/payouts", guards=[requires_staff])
async def payout_one(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Template | Redirect:
    form = await read_form(request)
    try:
        household_id = form_int(form.get("household_id"), "household_id", default=0) or 0
        payout = await pay_out(
            db_session,
            actor,
            household_id,
            _fen(form, "amount"),
            str(form.get("method") or ""),
            str(form.get("reference") or ""),
        )
    except (DomainError, ValueError) as exc:
        error = exc if isinstance(exc, DomainError) else InvalidInput("household_id", N_("Choose the household."))
        context = await _payouts_context(db_session, actor)
        del context["values"]
        return form_error("ledger/payouts.html", error, db_session, form=form, **context)
    notify(
        request,
        i18n.gettext_(N_("Paid %(amount)s. The household sees it in its inbox."), amount=format_fen(payout.amount_fen)),
    )
    return Redirect("/payouts", status_code=303)


@post("/payouts/batch", guards=[requires_staff])
async def payout_batch(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Template | Redirect:
    form = await read_form(request)
    try:
        batch, payouts = await pay_batch(
            db_session,
            actor,
            _village_of(actor),
            min_balance_fen=_fen(form, "min_balance"),
            method=str(form.get("batch_method") or ""),
            reference=str(form.get("batch_reference") or ""),
        )
    except DomainError as exc:
        context = await _payouts_context(db_session, actor)
        del context["values"]
        return form_error("ledger/payouts.html", exc, db_session, form=form, **context)
    if batch is None:  # no household had that much: no batch, no payouts
        notify(request, i18n.gettext_(N_("No household has that much yet: nothing was paid.")), "info")
        return Redirect("/payouts", status_code=303)
    notify(
        request,
        i18n.gettext_(
            N_("%(n)s households paid, %(amount)s in all."),
            n=len(payouts),
            amount=format_fen(sum(p.amount_fen for p in payouts)),
        ),
    )
    return Redirect(f"/payouts/batches/{batch.id}", status_code=303)


@get("/payouts/batches/{batch_id:int}", guards=[requires_staff], name="payout_batch")
async def batch_page(batch_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    batch, rows = await batch_payouts(db_session, actor, batch_id)
    village = await VillageService(session=db_session).get_public(batch.village_id)
    return Template(
        "ledger/batch.html",
        context={
            "batch": batch,
            "rows": rows,
            "village": village,
            "total": sum(p.amount_fen for p, _ in rows),
            "method_labels": dict(_methods()),
            "user": actor,
        },
    )


@get("/payouts/batches/{batch_id:int}/transfers.xlsx", guards=[requires_staff], name="payout_transfers")
async def batch_transfers(batch_id: IdPath, actor: Actor, db_session: DbSession) -> Response[bytes]:
    """The transfer list for the bank or the WeChat/Alipay app: who, how much, with what reference."""
    batch, rows = await batch_payouts(db_session, actor, batch_id)
    header = [
        i18n.translate(h)
        for h in (
            N_("Household code"),
            N_("Head of household"),
            N_("Phone"),
            N_("Amount (yuan)"),
            N_("Method"),
            N_("Reference"),
        )
    ]
    body = [
        [
            h.code,
            h.head_name,
            h.phone,
            Decimal(fen_to_yuan_text(p.amount_fen)),
            i18n.translate(METHOD_LABELS[PayoutMethod(p.method)]),
            p.reference,
        ]
        for p, h in rows
    ]
    return Response(
        write_xlsx(header, body, sheet_title=f"payouts-{batch.id}"),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="payouts-{batch.id}.xlsx"'},
    )


# --- ledger export and audit ---------------------------------------------------------------------------------------


@get("/ledger", guards=[requires_staff], name="ledger")
async def ledger_page(actor: Actor, db_session: DbSession, page: FromQuery[int] = 1) -> Template:
    paging = Paging(limit=LEDGER_PAGE_SIZE, offset=(max(page, 1) - 1) * LEDGER_PAGE_SIZE)
    transactions = await ledger_transactions(db_session, actor, _village_of(actor), paging)
    return Template(
        "ledger/ledger.html",
        context={
            "transactions": transactions,
            "page": max(page, 1),
            "accounts": {k.value: i18n.translate(v) for k, v in ACCOUNT_LABELS.items()},
            # an entry's reference is a platform (fees) or a payout method (money paid out): named in words
            "refs": {code: i18n.translate(label) for code, label in {**PLATFORM_LABELS, **METHOD_LABELS}.items()},
            "user": actor,
        },
    )


@get("/ledger/export/{fmt:str}", guards=[requires_staff], name="ledger_export")
async def ledger_export(fmt: FromPath[str], actor: Actor, db_session: DbSession) -> Response[bytes]:
    """Every entry of the village's ledger (CSV or XLSX, formula-safe)."""
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput("format", N_("The export comes as .csv or .xlsx."))
    rows = await ledger_entries(db_session, actor, _village_of(actor))
    header = [
        "transaction",
        "posted_at (Beijing)",
        "kind",
        "key",
        "account",
        "ref",
        "household_id",
        "units",
        "amount_yuan",
    ]
    body = [
        [
            t.id,
            to_local(e.posted_at).strftime("%Y-%m-%d %H:%M:%S"),
            t.kind,
            t.dedupe_key,
            e.account_kind,
            e.account_ref,
            e.household_id or "",
            e.units,
            Decimal(fen_to_yuan_text(e.amount_fen)),
        ]
        for e, t in rows
    ]
    if fmt == "csv":
        return Response(
            write_csv(header, body),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="ledger.csv"'},
        )
    return Response(
        write_xlsx(header, body, sheet_title="ledger"),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="ledger.xlsx"'},
    )


@get("/audit", guards=[requires_staff], name="audit")
async def audit_page(actor: Actor, db_session: DbSession) -> Template:
    village_id = _village_of(actor)
    rows = await audit_trail(db_session, actor, village_id)
    rows = sorted([*rows, *await case_audit_rows(db_session, village_id)], key=lambda r: r.at, reverse=True)[:200]
    for row in rows:
        row.actor = i18n.translate(row.actor)
        row.params = {k: i18n.translate(v) if isinstance(v, Label) else v for k, v in row.params.items()}
    return Template("ledger/audit.html", context={"rows": rows, "user": actor})


# --- the public board ----------------------------------------------------------------------------------------------


@get("/v/{village_id:int}/transparency", opt=PUBLIC, name="transparency")
async def transparency_page(
    village_id: IdPath,
    db_session: DbSession,
    months: Annotated[int, QueryParameter(ge=1, le=36)] = 12,
) -> Template:
    village, rows = await transparency(db_session, village_id, months)
    return Template(
        "ledger/transparency.html",
        context={
            "village": village,
            "rows": rows,
            "cases": await case_counts.monthly(db_session, [village.id], months),
            "today": local_today(),
            "month_label": month_label,
            "user": None,
        },
    )


ROUTES = [
    household_home,
    toggle_elder,
    household_statement,
    staff_statement,
    fees_page,
    fees_save,
    payouts_page,
    payout_one,
    payout_batch,
    batch_page,
    batch_transfers,
    ledger_page,
    ledger_export,
    audit_page,
    transparency_page,
]
