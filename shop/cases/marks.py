"""What the villager's home shows of their cases beside each sale, payment and weigh-in: the open case
about it (instead of a new "question this"), why a line exists (a correction, and whose case), and which
payments were reversed because they never arrived."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.cases.corrections import CorrectionNote, correction_notes, reversed_payouts
from shop.cases.models import Case, CaseStatus
from shop.cases.services import open_cases_by_subject
from shop.catalogue.models import Contribution, Lot, Product


@dataclass
class HouseholdMarks:
    open_by_subject: dict[str, int] = field(default_factory=dict)
    notes: dict[int, CorrectionNote] = field(default_factory=dict)  # ledger transaction id → why
    reversed_payouts: dict[int, int] = field(default_factory=dict)  # payout id → case id
    open_count: int = 0
    weigh_ins: list[tuple[Contribution, Lot, Product]] = field(default_factory=list)


async def household_marks(
    session: AsyncSession,
    household_id: int,
    transaction_ids: Sequence[int],
    payout_ids: Sequence[int],
    *,
    weigh_ins: int = 5,
) -> HouseholdMarks:
    open_count = (
        await session.execute(
            select(func.count())
            .select_from(Case)
            .where(Case.household_id == household_id, Case.status != CaseStatus.CLOSED.value)
        )
    ).scalar_one()
    recent = await session.execute(
        select(Contribution, Lot, Product)
        .join(Lot, Lot.id == Contribution.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .where(Contribution.household_id == household_id)
        .order_by(Lot.received_on.desc(), Lot.id.desc())
        .limit(weigh_ins)
    )
    return HouseholdMarks(
        open_by_subject=await open_cases_by_subject(session, household_id),
        notes=await correction_notes(session, household_id, transaction_ids),
        reversed_payouts=await reversed_payouts(session, payout_ids),
        open_count=int(open_count),
        weigh_ins=[(c, lot, p) for c, lot, p in recent.tuples()],
    )
