"""JSON API: fee policies, a household's earnings, payouts, and the public transparency board."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.params import JSONBody

from shop.cases import counts as case_counts
from shop.cases.schemas import CaseMonthOut
from shop.ledger.policy import policy_at, set_policy
from shop.ledger.posting import pay_out
from shop.ledger.reading import earnings, transparency
from shop.ledger.schemas import (
    EarningsEntry,
    EarningsOut,
    FeePolicyIn,
    FeePolicyOut,
    PayoutIn,
    PayoutOut,
    TransparencyMonth,
    TransparencyOut,
)
from shop.timeutil import utcnow
from shop.web.auth import PUBLIC, requires_staff
from shop.web.deps import Actor, DbSession
from shop.web.params import IdPath


def policy_out(village_id: int, terms: object, policy: object | None = None) -> FeePolicyOut:
    return FeePolicyOut(
        id=getattr(policy, "id", None) if policy is not None else getattr(terms, "policy_id", None),
        village_id=village_id,
        platform_bp=dict(getattr(terms, "platform_bp", {})),
        operator_bp=getattr(terms, "operator_bp", 0),
        collective_bp=getattr(terms, "collective_bp", 0),
        auto_complete_days=getattr(terms, "auto_complete_days", 10),
        effective_from=getattr(policy, "effective_from", None),
    )


class FeePolicyController(Controller):
    path = "/villages/{village_id:int}/fee-policy"
    tags = ["ledger"]
    guards = [requires_staff]

    @put("/", status_code=200)
    async def set_fee_policy(
        self, village_id: IdPath, data: JSONBody[FeePolicyIn], db_session: DbSession, actor: Actor
    ) -> FeePolicyOut:
        """A new fee policy (admin or the village's secretary); it applies to sales completed from now on."""
        policy = await set_policy(
            db_session,
            actor,
            village_id,
            platform_bp=dict(data.platform_bp.items()),
            operator_bp=data.operator_bp,
            collective_bp=data.collective_bp,
            auto_complete_days=data.auto_complete_days,
        )
        return FeePolicyOut(
            policy.id,
            village_id,
            dict(policy.platform_bp),
            policy.operator_bp,
            policy.collective_bp,
            policy.auto_complete_days,
            policy.effective_from,
        )

    @get("/")
    async def get_fee_policy(self, village_id: IdPath, db_session: DbSession, actor: Actor) -> FeePolicyOut:
        """The policy in force now."""
        actor.ensure_village(village_id)
        return policy_out(village_id, await policy_at(db_session, village_id, utcnow()))


class EarningsController(Controller):
    path = "/households/{household_id:int}/earnings"
    tags = ["ledger"]

    @get("/")
    async def household_earnings(self, household_id: IdPath, db_session: DbSession, actor: Actor) -> EarningsOut:
        """Pending, credited, paid out and balance, with each sale and payout (a villager: only their own)."""
        result = await earnings(db_session, actor, household_id, limit=100)
        return EarningsOut(
            household_id=household_id,
            pending_fen=result.pending_fen,
            credited_fen=result.credited_fen,
            paid_out_fen=result.paid_out_fen,
            balance_fen=result.balance_fen,
            owed_fen=result.owed_fen,
            entries=[
                EarningsEntry(s.posted_at, s.kind, s.product, s.units, s.amount_fen, s.stream, s.order_id)
                for s in result.sales
            ],
            payouts=[
                PayoutOut(p.id, p.household_id, p.amount_fen, p.method, p.reference, p.paid_at) for p in result.payouts
            ],
        )


@post("/payouts", tags=["ledger"], guards=[requires_staff])
async def create_payout(data: JSONBody[PayoutIn], db_session: DbSession, actor: Actor) -> PayoutOut:
    """Pay a household out of its balance; more than the balance is 409 and nothing moves."""
    payout = await pay_out(db_session, actor, data.household_id, data.amount_fen, data.method, data.reference)
    return PayoutOut(payout.id, payout.household_id, payout.amount_fen, payout.method, payout.reference, payout.paid_at)


@get("/villages/{village_id:int}/transparency", tags=["ledger"], opt=PUBLIC, security=[])
async def village_transparency(village_id: IdPath, db_session: DbSession) -> TransparencyOut:
    """Public (阳光三务): per month, the collective's income, what households were credited and paid, and
    how many benefited; households are named only when the village turned that on. ``cases``: per month,
    the villagers' questions received, responded to in time, resolved, rated and satisfied (counts only)."""
    village, months = await transparency(db_session, village_id)
    case_months = await case_counts.monthly(db_session, [village.id])
    return TransparencyOut(
        village_id=village.id,
        village=village.name,
        months=[
            TransparencyMonth(
                month=m.month,
                collective_income_fen=m.collective_fen,
                credited_to_households_fen=m.credited_fen,
                paid_to_households_fen=m.paid_fen,
                households_benefited=m.households,
                households=[{"name": n, "credited_fen": a} for n, a in m.named]
                if village.show_household_names
                else None,
            )
            for m in months
        ],
        cases=[CaseMonthOut.of(f) for f in case_months],
    )
