"""Corrections of the books made for a case: "corrected" means the money is corrected.

- A weigh-in: the lot's contributions are set to the corrected quantities (the lot's size and stock move
  with them), and every sale already credited from the lot is split again. A sale not credited yet needs
  nothing: it will be credited under the corrected weights.
- A price: the sale's unit price is corrected and the sale split again (fees included).
- A payout that never arrived: it is reversed (the money is back on the household's balance), and paid
  again when a method is given.

Splitting a sale again posts, per sale, two balanced transactions linked to the case: a reversal that
takes back what every changed account holds from the sale, and a credit of what a fresh split gives it
under the corrected figures, with the sale's own fee policy and the units it still has after refunds.
The sales-clearing account balances both. So afterwards every account holds exactly a fresh split of the
sale, and the other households of a lot lose what one gains, each with a line on their home saying why.
A household's balance never goes below zero: what it cannot give back is booked as owed, exactly as a
refund is (``shop.ledger.posting``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.principal import Principal
from shop.cases import notices
from shop.cases.models import Case, CaseCorrection, CaseLedgerLink, CorrectionKind, EventKind
from shop.cases.services import clock_view, get_case, may_correct, record_event
from shop.catalogue.models import Contribution, Lot
from shop.catalogue.services import ContributionInput, LotService
from shop.errors import N_, Conflict, InvalidInput, PermissionDenied
from shop.ledger.models import (
    AccountKind,
    HouseholdBalance,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutMethod,
    TransactionKind,
)
from shop.ledger.posting import (
    _ensure_balance_rows,
    _move_balance,
    _owed,
    _post,
    _split_of_units,
    pay_out,
)
from shop.ledger.summary import hold_village_month
from shop.orders.models import Allocation, Order, OrderLine
from shop.timeutil import utcnow

CLEARING = (AccountKind.SALES_CLEARING.value, "")
MAX_PRICE_FEN = 10**9

AccountKey = tuple[str, Any]  # (account kind, platform name) or ("household", household id)


@dataclass(frozen=True)
class Resplit:
    transactions: list[LedgerTransaction]
    moved: dict[int, int]  # household id → fen gained (or lost, negative)


def _fresh_holdings(split: Any) -> tuple[dict[AccountKey, int], dict[int, int]]:
    amounts: dict[AccountKey, int] = {
        (AccountKind.PLATFORM.value, split.channel): split.platform_fen,
        (AccountKind.OPERATOR.value, ""): split.operator_fen,
        (AccountKind.COLLECTIVE.value, ""): split.collective_fen,
    }
    units: dict[int, int] = {}
    for share in split.shares:
        amounts[(AccountKind.HOUSEHOLD.value, share.household_id)] = share.amount_fen
        units[share.household_id] = share.units
    return amounts, units


async def _current_holdings(session: AsyncSession, line_id: int) -> tuple[dict[AccountKey, int], dict[int, int]]:
    """What every account holds from a sale now (a household's owed part counted as its own)."""
    rows = await session.execute(
        select(
            LedgerEntry.account_kind,
            LedgerEntry.account_ref,
            LedgerEntry.household_id,
            func.sum(LedgerEntry.amount_fen),
            func.sum(LedgerEntry.units),
        )
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerTransaction.order_line_id == line_id)
        .group_by(LedgerEntry.account_kind, LedgerEntry.account_ref, LedgerEntry.household_id)
    )
    amounts: dict[AccountKey, int] = defaultdict(int)
    units: dict[int, int] = defaultdict(int)
    for kind, ref, household_id, amount, unit_sum in rows.all():
        if kind in (AccountKind.HOUSEHOLD.value, AccountKind.RECOVERY.value):
            amounts[(AccountKind.HOUSEHOLD.value, household_id)] += int(amount or 0)
            units[household_id] += int(unit_sum or 0)
        elif kind != AccountKind.SALES_CLEARING.value:
            amounts[(kind, ref or "")] += int(amount or 0)
    return dict(amounts), dict(units)


async def resplit_line(
    session: AsyncSession,
    actor: Principal | None,
    order: Order,
    line: OrderLine,
    *,
    key: str,
    memo: str,
    now: datetime,
) -> Resplit:
    """Bring a credited sale to a fresh split under today's contributions and its price (see the module's
    docstring). Nothing is posted for a sale not credited yet, or one that already holds the fresh split."""
    credit = (
        await session.execute(select(LedgerTransaction).where(LedgerTransaction.dedupe_key == f"credit:line:{line.id}"))
    ).scalar_one_or_none()
    if credit is None:
        return Resplit([], {})
    refunded = (
        await session.execute(
            select(func.coalesce(func.sum(LedgerTransaction.quantity), 0)).where(
                LedgerTransaction.order_line_id == line.id,
                LedgerTransaction.kind == TransactionKind.SALE_REVERSAL.value,
            )
        )
    ).scalar_one()
    fresh, fresh_units = _fresh_holdings(
        await _split_of_units(session, order, line, credit, line.quantity - int(refunded))
    )
    current, current_units = await _current_holdings(session, line.id)
    changed = _changed_accounts(fresh, fresh_units, current, current_units)
    if not changed:
        return Resplit([], {})
    households = [k[1] for k in changed if k[0] == AccountKind.HOUSEHOLD.value]
    await hold_village_month(session, order.village_id, now)
    await _ensure_balance_rows(session, order.village_id, households)
    fields = {"order_id": order.id, "order_line_id": line.id, "quantity": 0, "memo": memo[:200]}
    reversal = await _post(
        session,
        village_id=order.village_id,
        kind=TransactionKind.SALE_REVERSAL,
        dedupe_key=f"{key}:line:{line.id}:reverse",
        entries=await _take_back(session, changed, current, current_units),
        now=now,
        actor=actor,
        reverses_id=credit.id,
        **fields,
    )
    credited = await _post(
        session,
        village_id=order.village_id,
        kind=TransactionKind.SALE_CREDIT,
        dedupe_key=f"{key}:line:{line.id}:credit",
        entries=await _give(session, changed, fresh, fresh_units),
        now=now,
        actor=actor,
        policy_id=credit.policy_id,
        **fields,
    )
    moved = {
        h: fresh.get((AccountKind.HOUSEHOLD.value, h), 0) - current.get((AccountKind.HOUSEHOLD.value, h), 0)
        for h in households
    }
    return Resplit([reversal, credited], moved)


def _changed_accounts(
    fresh: dict[AccountKey, int],
    fresh_units: dict[int, int],
    current: dict[AccountKey, int],
    current_units: dict[int, int],
) -> list[AccountKey]:
    """The accounts whose amount (or, for a household, units) differ between the fresh and the current split."""
    return sorted(
        (
            k
            for k in set(fresh) | set(current)
            if fresh.get(k, 0) != current.get(k, 0)
            or (k[0] == AccountKind.HOUSEHOLD.value and fresh_units.get(k[1], 0) != current_units.get(k[1], 0))
        ),
        key=str,
    )


async def _take_back(
    session: AsyncSession, changed: list[AccountKey], current: dict[AccountKey, int], current_units: dict[int, int]
) -> list[dict[str, Any]]:
    """The reversal's entries: each changed account gives back what it holds; a household pays from its
    balance as far as it reaches and owes the rest (recovery), and its balance row moves with it."""
    households = [k[1] for k in changed if k[0] == AccountKind.HOUSEHOLD.value]
    balances = dict(
        (
            await session.execute(
                select(HouseholdBalance.household_id, HouseholdBalance.balance_fen).where(
                    HouseholdBalance.household_id.in_(households)
                )
            )
        )
        .tuples()
        .all()
    )
    taken: list[dict[str, Any]] = []
    for k in changed:
        amount = current.get(k, 0)
        if k[0] != AccountKind.HOUSEHOLD.value:
            taken.append({"account_kind": k[0], "account_ref": k[1], "amount_fen": -amount})
            continue
        household_id = k[1]
        from_balance = min(amount, balances.get(household_id, 0)) if amount > 0 else amount
        taken.append(
            {
                "account_kind": AccountKind.HOUSEHOLD.value,
                "household_id": household_id,
                "amount_fen": -from_balance,
                "units": -current_units.get(household_id, 0),
            }
        )
        if amount - from_balance:
            taken.append(
                {
                    "account_kind": AccountKind.RECOVERY.value,
                    "household_id": household_id,
                    "amount_fen": -(amount - from_balance),
                }
            )
        await _move_balance(session, household_id, credited=-from_balance, owed=amount - from_balance)
    taken.insert(0, {"account_kind": CLEARING[0], "amount_fen": sum(current.get(k, 0) for k in changed)})
    return taken


async def _give(
    session: AsyncSession, changed: list[AccountKey], fresh: dict[AccountKey, int], fresh_units: dict[int, int]
) -> list[dict[str, Any]]:
    """The fresh credit's entries: each changed account gets its fresh share; a household that owes settles
    that first, and its balance row moves with it."""
    owed = await _owed(session, [k[1] for k in changed if k[0] == AccountKind.HOUSEHOLD.value])
    given: list[dict[str, Any]] = []
    for k in changed:
        amount = fresh.get(k, 0)
        if k[0] != AccountKind.HOUSEHOLD.value:
            given.append({"account_kind": k[0], "account_ref": k[1], "amount_fen": amount})
            continue
        household_id = k[1]
        settle = min(amount, owed.get(household_id, 0)) if amount > 0 else 0
        given.append(
            {
                "account_kind": AccountKind.HOUSEHOLD.value,
                "household_id": household_id,
                "amount_fen": amount - settle,
                "units": fresh_units.get(household_id, 0),
            }
        )
        if settle:
            given.append(
                {"account_kind": AccountKind.RECOVERY.value, "household_id": household_id, "amount_fen": settle}
            )
        await _move_balance(session, household_id, credited=amount - settle, owed=-settle)
    given.insert(0, {"account_kind": CLEARING[0], "amount_fen": -sum(fresh.get(k, 0) for k in changed)})
    return given


async def _correctable(session: AsyncSession, actor: Principal, case_id: int) -> Case:
    case = await get_case(session, actor, case_id, for_update=True)
    if not may_correct(actor, case):
        if case.status == "closed":
            raise Conflict(N_("This case is closed: the books can no longer be corrected for it."))
        raise PermissionDenied(N_("Only a handler who may resolve this case corrects the books for it."))
    return case


async def _record(
    session: AsyncSession,
    actor: Principal,
    case: Case,
    correction: CaseCorrection,
    resplits: Sequence[Resplit],
    now: datetime,
) -> CaseCorrection:
    """Link what was posted to the case, log the step, and tell the other households whose money moved."""
    moved: dict[int, int] = defaultdict(int)
    for resplit in resplits:
        for transaction in resplit.transactions:
            session.add(CaseLedgerLink(correction_id=correction.id, case_id=case.id, transaction_id=transaction.id))
        for household_id, amount in resplit.moved.items():
            moved[household_id] += amount
    await session.flush()
    await record_event(
        session,
        case,
        EventKind.CORRECTED,
        actor,
        now,
        before={"kind": correction.kind, **correction.before},
        after={**correction.after, "moved": {str(h): a for h, a in sorted(moved.items())}, **clock_view(case)},
    )
    for household_id, amount in sorted(moved.items()):
        if amount and household_id != case.household_id:
            await notices.household_money_moved(session, household_id, case, amount)
    return correction


async def _credited_lines(session: AsyncSession, lot_id: int) -> list[tuple[OrderLine, Order]]:
    rows = await session.execute(
        select(OrderLine, Order)
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.id.in_(select(Allocation.line_id).where(Allocation.lot_id == lot_id)))
        .order_by(OrderLine.id)
    )
    return [(line, order) for line, order in rows.tuples()]


async def correct_weights(
    session: AsyncSession,
    actor: Principal,
    case_id: int,
    contributions: Sequence[ContributionInput],
    *,
    lot_id: int | None = None,
    now: datetime | None = None,
) -> CaseCorrection:
    """Set a lot's contributions to the corrected quantities and split every credited sale from it again."""
    moment = now or utcnow()
    case = await _correctable(session, actor, case_id)
    lot_id = await _lot_of(session, case, lot_id)
    lot = (await session.execute(select(Lot).where(Lot.id == lot_id).with_for_update())).scalar_one()
    before = {c.household_id: c.quantity for c in lot.contributions}
    total = sum(c.quantity for c in contributions) if contributions else 0
    await LotService(session)._check_contributions(lot.village_id, total, contributions)
    after = {c.household_id: c.quantity for c in contributions}
    if after == before:
        raise InvalidInput("contributions", N_("These are the quantities on record already: nothing to correct."))
    sold = lot.quantity - lot.remaining
    if total < sold:
        raise Conflict(
            N_("%(sold)d units of this lot were sold already: the corrected quantities cannot add up to less."),
            field="contributions",
            sold=sold,
        )
    old_total = lot.quantity
    lot.quantity, lot.remaining = total, total - sold
    kept = {c.household_id: c for c in lot.contributions}
    for household_id, row in kept.items():
        if household_id not in after:
            lot.contributions.remove(row)
        else:
            row.quantity = after[household_id]
    numbers = [int(c.receipt_no.rsplit("-", 1)[-1]) for c in kept.values() if c.receipt_no.rsplit("-", 1)[-1].isdigit()]
    next_number = max(numbers, default=0) + 1
    for household_id, quantity in after.items():
        if household_id not in kept:
            lot.contributions.append(
                Contribution(
                    household_id=household_id, quantity=quantity, receipt_no=f"{lot.public_code}-{next_number}"
                )
            )
            next_number += 1
    await session.flush()
    correction = CaseCorrection(
        case_id=case.id,
        kind=CorrectionKind.WEIGHTS.value,
        lot_id=lot.id,
        before={"lot": lot.public_code, "quantity": old_total, "contributions": {str(h): q for h, q in before.items()}},
        after={"lot": lot.public_code, "quantity": total, "contributions": {str(h): q for h, q in after.items()}},
        made_by=actor.user_id or None,
        made_at=moment,
    )
    session.add(correction)
    await session.flush()
    memo = f"case #{case.id}: weights of lot {lot.public_code} corrected"
    resplits = [
        await resplit_line(session, actor, order, line, key=f"case:{case.id}:c{correction.id}", memo=memo, now=moment)
        for line, order in await _credited_lines(session, lot.id)
    ]
    return await _record(session, actor, case, correction, resplits, moment)


async def _lot_of(session: AsyncSession, case: Case, lot_id: int | None) -> int:
    """The lot a weights correction is for: the weigh-in's own, or one the disputed sale took units from."""
    if case.lot_id is not None:
        if lot_id is not None and lot_id != case.lot_id:
            raise InvalidInput("lot_id", N_("This case is about another lot."))
        return case.lot_id
    if case.order_line_id is None:
        raise InvalidInput("kind", N_("Weights are corrected on a case about a weigh-in or a sale."))
    lots = list(
        (await session.execute(select(Allocation.lot_id).where(Allocation.line_id == case.order_line_id))).scalars()
    )
    if lot_id is None and len(set(lots)) == 1:
        return lots[0]
    if lot_id is None or lot_id not in lots:
        raise InvalidInput("lot_id", N_("Name the lot of this sale whose weights are wrong (lot_id)."))
    return lot_id


async def correct_price(
    session: AsyncSession, actor: Principal, case_id: int, unit_price_fen: int, *, now: datetime | None = None
) -> CaseCorrection:
    """Correct a sale's unit price and split the sale again."""
    moment = now or utcnow()
    case = await _correctable(session, actor, case_id)
    if case.order_line_id is None:
        raise InvalidInput("kind", N_("A price is corrected on a case about a sale."))
    if (
        isinstance(unit_price_fen, bool)
        or not isinstance(unit_price_fen, int)
        or not 0 <= unit_price_fen <= MAX_PRICE_FEN
    ):
        raise InvalidInput("unit_price_fen", N_("The price must be a whole number of fen, 0 or more."))
    line, order = (
        await session.execute(
            select(OrderLine, Order)
            .join(Order, Order.id == OrderLine.order_id)
            .where(OrderLine.id == case.order_line_id)
            .with_for_update()
        )
    ).one()
    if unit_price_fen == line.unit_price_fen:
        raise InvalidInput("unit_price_fen", N_("This is the price on record already: nothing to correct."))
    before = {"unit_price_fen": line.unit_price_fen, "order_total_fen": order.total_fen}
    order.total_fen += (unit_price_fen - line.unit_price_fen) * line.quantity
    line.unit_price_fen = unit_price_fen
    await session.flush()
    correction = CaseCorrection(
        case_id=case.id,
        kind=CorrectionKind.PRICE.value,
        order_line_id=line.id,
        before=before,
        after={"unit_price_fen": unit_price_fen, "order_total_fen": order.total_fen},
        made_by=actor.user_id or None,
        made_at=moment,
    )
    session.add(correction)
    await session.flush()
    memo = f"case #{case.id}: price of order {order.id} corrected"
    resplit = await resplit_line(
        session, actor, order, line, key=f"case:{case.id}:c{correction.id}", memo=memo, now=moment
    )
    return await _record(session, actor, case, correction, [resplit], moment)


async def reverse_payout(
    session: AsyncSession,
    actor: Principal,
    case_id: int,
    *,
    repay_method: str | None = None,
    reference: str = "",
    now: datetime | None = None,
) -> CaseCorrection:
    """A payout that never reached the household: reversed, so the money is on its balance again; with a
    method, paid again at once (by the village: only staff hand out money)."""
    moment = now or utcnow()
    case = await _correctable(session, actor, case_id)
    if case.payout_id is None:
        raise InvalidInput("kind", N_("A payout is reversed on a case about that payout."))
    if repay_method is not None:
        try:
            repay_method = PayoutMethod(repay_method).value
        except ValueError as exc:
            raise InvalidInput("repay_method", N_("The method must be cash, wechat, alipay or bank.")) from exc
        if not actor.is_staff:
            raise PermissionDenied(N_("Only the village pays out; reverse the payout and the village pays again."))
    payout = (await session.execute(select(Payout).where(Payout.id == case.payout_id).with_for_update())).scalar_one()
    key = f"payout-reversal:{payout.id}"
    if (await session.execute(select(LedgerTransaction.id).where(LedgerTransaction.dedupe_key == key))).first():
        raise Conflict(N_("This payout was reversed already."))
    original = (
        await session.execute(select(LedgerTransaction).where(LedgerTransaction.dedupe_key == f"payout:{payout.id}"))
    ).scalar_one()
    await hold_village_month(session, payout.village_id, moment)
    await _move_balance(session, payout.household_id, paid=-payout.amount_fen)
    reversal = await _post(
        session,
        village_id=payout.village_id,
        kind=TransactionKind.PAYOUT,
        dedupe_key=key,
        entries=[
            {
                "account_kind": AccountKind.HOUSEHOLD.value,
                "household_id": payout.household_id,
                "amount_fen": payout.amount_fen,
            },
            {"account_kind": AccountKind.PAYOUTS.value, "account_ref": payout.method, "amount_fen": -payout.amount_fen},
        ],
        now=moment,
        actor=actor,
        payout_id=payout.id,
        reverses_id=original.id,
        memo=f"case #{case.id}: payout {payout.id} did not arrive",
    )
    posted = [reversal]
    after: dict[str, Any] = {"reversed": payout.amount_fen}
    if repay_method is not None:
        again = await pay_out(
            session, actor, payout.household_id, payout.amount_fen, repay_method, reference, now=moment
        )
        posted.append(
            (
                await session.execute(
                    select(LedgerTransaction).where(LedgerTransaction.dedupe_key == f"payout:{again.id}")
                )
            ).scalar_one()
        )
        after.update(paid_again=again.id, method=repay_method, reference=again.reference)
    correction = CaseCorrection(
        case_id=case.id,
        kind=CorrectionKind.PAYOUT.value,
        payout_id=payout.id,
        before={"amount_fen": payout.amount_fen, "method": payout.method, "reference": payout.reference},
        after=after,
        made_by=actor.user_id or None,
        made_at=moment,
    )
    session.add(correction)
    await session.flush()
    return await _record(session, actor, case, correction, [Resplit(posted, {})], moment)


async def reversed_payouts(session: AsyncSession, payout_ids: Sequence[int]) -> dict[int, int]:
    """payout id → the case that reversed it (for the household's list of payments)."""
    if not payout_ids:
        return {}
    rows = await session.execute(
        select(CaseCorrection.payout_id, CaseCorrection.case_id).where(
            CaseCorrection.kind == CorrectionKind.PAYOUT.value, CaseCorrection.payout_id.in_(payout_ids)
        )
    )
    return {payout_id: case_id for payout_id, case_id in rows.tuples() if payout_id is not None}


@dataclass(frozen=True)
class CorrectionNote:
    """Why a ledger line exists, for the household it concerns: a correction of case ``case_id``."""

    case_id: int
    kind: str
    own_case: bool


async def correction_notes(
    session: AsyncSession, household_id: int, transaction_ids: Sequence[int]
) -> dict[int, CorrectionNote]:
    if not transaction_ids:
        return {}
    rows = await session.execute(
        select(CaseLedgerLink.transaction_id, CaseCorrection.case_id, CaseCorrection.kind, Case.household_id)
        .join(CaseCorrection, CaseCorrection.id == CaseLedgerLink.correction_id)
        .join(Case, Case.id == CaseCorrection.case_id)
        .where(CaseLedgerLink.transaction_id.in_(transaction_ids))
    )
    return {
        transaction_id: CorrectionNote(case_id, kind, owner == household_id)
        for transaction_id, case_id, kind, owner in rows.all()
    }
