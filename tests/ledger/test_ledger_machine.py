"""A Hypothesis state machine over the ledger: sales completing, partial and full refunds, policy changes
and payouts, in any order. After every step every transaction sums to zero, the stored balances equal
the entries, no balance is negative, and each household's figures equal what a simple model computes
with its own arithmetic (Fractions, written here from DESIGN.md, not shop.money or shop.split).

How many sequences of 30 steps: ``SHOP_LEDGER_SEQUENCES``; by default 300 under CI=true on SQLite, 80
on CI's PostgreSQL pass (each step there is a few network round trips, and every step now also checks the
village months: more would take CI past its twenty minutes), 40 on a laptop so that ``make test`` stays
quick. They run as five tests of a fifth each, with
different prices, so that the test workers share them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from shop.accounts.models import User
from shop.accounts.principal import Principal
from shop.catalogue.models import Contribution, Lot, Product
from shop.db import create_alchemy_config, read_session, unit_of_work
from shop.errors import Conflict
from shop.events import DomainEvents
from shop.ledger.checks import check_balances
from shop.ledger.models import HouseholdBalance
from shop.ledger.policy import set_policy
from shop.ledger.posting import pay_out
from shop.orders.models import Allocation, Order, OrderLine
from shop.orders.services import change_status, refund_units
from shop.settings import Settings
from shop.villages.models import Household, Village
from shop.wiring import link_domains

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ON_POSTGRESQL = bool(os.environ.get("SHOP_TEST_DATABASE_URL"))
SEQUENCES = int(os.environ.get("SHOP_LEDGER_SEQUENCES", ("80" if ON_POSTGRESQL else "300") if IN_CI else "40"))
# Five runs, each with its own pair of prices: an everyday one and an awkward one (fees round hard).
PRICES = [(3990, 7), (1, 12_800), (2550, 99), (59_900, 3), (1000, 1)]
STEPS = 30
SOURCES = ("douyin", "kuaishou", "manual")


# --- the model: DESIGN.md's crediting rules, written again from scratch ----------------------------------


def half_up(gross: int, bp: int) -> int:
    exact = Fraction(gross * bp, 10_000)
    return int(exact + Fraction(1, 2)) if exact >= 0 else -int(-exact + Fraction(1, 2))


def largest_remainder(total: int, weights: dict[int, Fraction]) -> dict[int, int]:
    whole = sum(weights.values())
    exact = {h: total * w / whole for h, w in weights.items()}
    parts = {h: int(x) for h, x in exact.items()}
    order = sorted(weights, key=lambda h: (-(exact[h] - parts[h]), h))
    for h in order[: total - sum(parts.values())]:
        parts[h] += 1
    return parts


@dataclass
class Policy:
    platform: dict[str, int]
    operator: int
    collective: int

    def platform_bp(self, source: str) -> int:
        return self.platform.get(source if source in ("douyin", "kuaishou") else "direct", 0)


def household_amounts(units: int, price: int, policy: Policy, source: str, weights: dict[int, Fraction]) -> dict:
    gross = units * price
    fees = [
        half_up(gross, policy.platform_bp(source)),
        half_up(gross, policy.operator),
        half_up(gross, policy.collective),
    ]
    rest = gross - sum(fees)
    for i in (2, 1, 0):  # a tiny sale: the collective, then the operator, then the platform give way
        give = min(max(-rest, 0), fees[i])
        fees[i] -= give
        rest += give
    return largest_remainder(rest, weights)


@dataclass
class ModelLine:
    product: int
    quantity: int
    price: int
    weights: dict[int, Fraction]
    refunded: int = 0


@dataclass
class ModelOrder:
    id: int
    source: str
    lines: list[ModelLine]
    status: str = "placed"
    policy: Policy | None = None


@dataclass
class Household_:
    balance: int = 0
    owed: int = 0
    paid: int = 0


@dataclass
class ModelLedger:
    households: dict[int, Household_] = field(default_factory=dict)

    def credit(self, shares: dict[int, int]) -> None:
        for h, amount in shares.items():
            account = self.households[h]
            settle = min(amount, account.owed) if amount > 0 else 0
            account.owed -= settle
            account.balance += amount - settle

    def take_back(self, takes: dict[int, int]) -> None:
        for h, take in takes.items():
            account = self.households[h]
            from_balance = min(take, account.balance)
            account.balance -= from_balance
            account.owed += take - from_balance


# --- the machine -------------------------------------------------------------------------------------


class LedgerMachine(RuleBasedStateMachine):
    """One sequence = one fresh village with three households and two products, in a shared database."""

    runner: asyncio.Runner
    config: object
    prices: tuple[int, int]
    events: DomainEvents
    counter = itertools.count(1)

    orders = Bundle("orders")

    def run(self, coroutine):
        return self.runner.run(coroutine)

    @initialize()
    def new_village(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)
        self.model = ModelLedger()
        self.policy = Policy({}, 0, 0)
        self.model_orders: dict[int, ModelOrder] = {}
        self.lots: dict[int, list[tuple[int, int, dict[int, int]]]] = {}  # product → [(lot id, left, parts)]
        self.taken: dict[int, list[tuple[int, int, int]]] = {}  # order → [(product, lot index, units)]
        self.run(self._setup())

    async def _setup(self) -> None:
        n = next(self.counter)
        async with unit_of_work(self.config) as session:
            village = Village(name=f"村{n}", code_prefix=f"M{n}")
            session.add(village)
            await session.flush()
            self.village_id = village.id
            homes = [
                Household(village_id=village.id, code=f"M{n}-{i}", head_name=f"户{i}", pin_hash="-") for i in range(3)
            ]
            session.add_all(homes)
            await session.flush()
            self.household_ids = [h.id for h in homes]
            products = [
                Product(village_id=village.id, name=f"品{n}-{i}", category="grain", unit="袋", price_fen=price)
                for i, price in enumerate(self.prices)
            ]
            session.add_all(products)
            await session.flush()
            self.products = {p.id: p.price_fen for p in products}
            secretary = User(
                username=f"sec{n}", role="secretary", village_id=village.id, password_hash="-", calendar_secret=f"c{n}"
            )
            session.add(secretary)
            await session.flush()
        self.secretary = Principal(
            kind="user", id=secretary.id, role="secretary", village_id=self.village_id, name="书记"
        )
        for h in self.household_ids:
            self.model.households[h] = Household_()
        for product_id in self.products:
            self.lots[product_id] = []
        # The village starts with a policy of no fees (a village without one credits nothing: a separate test).
        await self._policy({}, 0, 0)

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    # --- goods and sales ---

    @rule(
        product=st.integers(0, 1),
        parts=st.lists(st.integers(0, 5), min_size=3, max_size=3).filter(lambda p: sum(p) > 0),
    )
    def households_bring_a_lot(self, product: int, parts: list[int]) -> None:
        product_id = list(self.products)[product]
        contributions = {h: q for h, q in zip(self.household_ids, parts, strict=True) if q}
        self.run(self._lot(product_id, contributions))

    async def _lot(self, product_id: int, contributions: dict[int, int]) -> None:
        async with unit_of_work(self.config) as session:
            total = sum(contributions.values())
            lot = Lot(
                product_id=product_id,
                village_id=self.village_id,
                public_code=f"L{next(self.counter)}",
                received_on=date(2026, 1, 1),
                quantity=total,
                remaining=total,
            )
            session.add(lot)
            await session.flush()
            session.add_all(
                Contribution(lot_id=lot.id, household_id=h, quantity=q, receipt_no=f"R{lot.id}-{h}")
                for h, q in contributions.items()
            )
            self.lots[product_id].append((lot.id, total, contributions))

    @rule(
        target=orders,
        source=st.sampled_from(SOURCES),
        wanted=st.lists(
            st.tuples(st.integers(0, 1), st.integers(1, 4)), min_size=1, max_size=2, unique_by=lambda t: t[0]
        ),
    )
    def a_buyer_orders(self, source: str, wanted: list[tuple[int, int]]):
        plan = []
        for index, quantity in wanted:
            product_id = list(self.products)[index]
            if sum(left for _, left, _ in self.lots[product_id]) < quantity:
                return None
            plan.append((product_id, quantity))
        return self.run(self._order(source, plan))

    async def _order(self, source: str, plan: list[tuple[int, int]]) -> int:
        moment = self.tick()
        model_lines = []
        taken = []
        async with unit_of_work(self.config) as session:
            order = Order(village_id=self.village_id, source=source, placed_at=moment, total_fen=0)
            session.add(order)
            await session.flush()
            for product_id, quantity in plan:
                price = self.products[product_id]
                line = OrderLine(
                    order_id=order.id,
                    product_id=product_id,
                    quantity=quantity,
                    unit_price_fen=price,
                    village_id=self.village_id,
                    source=source,
                )
                session.add(line)
                await session.flush()
                weights: dict[int, Fraction] = {}
                need = quantity
                lots = self.lots[product_id]
                for i, (lot_id, left, parts) in enumerate(lots):  # oldest lots first
                    take = min(need, left)
                    if not take:
                        continue
                    session.add(Allocation(line_id=line.id, lot_id=lot_id, quantity=take, village_id=self.village_id))
                    lot = await session.get(Lot, lot_id)
                    lot.remaining -= take
                    lots[i] = (lot_id, left - take, parts)
                    taken.append((product_id, i, take))
                    size = sum(parts.values())
                    for h, q in parts.items():
                        weights[h] = weights.get(h, Fraction(0)) + Fraction(take * q, size)
                    need -= take
                    if not need:
                        break
                order.total_fen += quantity * price
                model_lines.append(ModelLine(product_id, quantity, price, weights))
        self.model_orders[order.id] = ModelOrder(order.id, source, model_lines)
        self.taken[order.id] = taken
        return order.id

    @rule(order=orders)
    def the_order_completes(self, order: int | None) -> None:
        if order is None or self.model_orders[order].status != "placed":
            return
        model = self.model_orders[order]
        self.run(self._complete(order))
        model.status = "completed"
        model.policy = Policy(dict(self.policy.platform), self.policy.operator, self.policy.collective)
        for line in model.lines:
            self.model.credit(household_amounts(line.quantity, line.price, model.policy, model.source, line.weights))

    async def _complete(self, order_id: int) -> None:
        async with unit_of_work(self.config) as session:
            await change_status(session, self.secretary, order_id, "shipped", now=self.tick(), events=self.events)
        async with unit_of_work(self.config) as session:
            await change_status(session, self.secretary, order_id, "completed", now=self.tick(), events=self.events)

    def _refund_model(self, model: ModelOrder, line: ModelLine, units: int) -> None:
        assert model.policy is not None
        before = household_amounts(line.quantity - line.refunded, line.price, model.policy, model.source, line.weights)
        line.refunded += units
        after = household_amounts(line.quantity - line.refunded, line.price, model.policy, model.source, line.weights)
        self.model.take_back({h: before[h] - after[h] for h in before})

    @rule(order=orders, which=st.integers(0, 1), units=st.integers(1, 4))
    def part_of_the_order_is_refunded(self, order: int | None, which: int, units: int) -> None:
        if order is None:
            return
        model = self.model_orders[order]
        line = model.lines[which % len(model.lines)]
        left = sum(li.quantity - li.refunded for li in model.lines if li.product == line.product)
        try:
            self.run(self._refund(order, {line.product: units}))
        except Conflict:
            assert model.status != "completed" or units > left
            return
        assert model.status == "completed"
        assert units <= left
        self._refund_model(model, line, units)
        if all(li.refunded == li.quantity for li in model.lines):
            model.status = "refunded"

    async def _refund(self, order_id: int, units: dict[int, int]) -> None:
        async with unit_of_work(self.config) as session:
            await refund_units(session, self.secretary, order_id, units, now=self.tick(), events=self.events)

    @rule(order=orders)
    def the_whole_order_is_refunded(self, order: int | None) -> None:
        if order is None:
            return
        model = self.model_orders[order]
        if model.status == "refunded":
            return  # asking again changes nothing (checked by the invariant)
        try:
            self.run(self._status(order, "refunded"))
        except Conflict:
            assert model.status != "completed"
            return
        assert model.status == "completed"
        for line in model.lines:
            if line.refunded < line.quantity:
                self._refund_model(model, line, line.quantity - line.refunded)
        model.status = "refunded"

    @rule(order=orders)
    def the_order_is_cancelled(self, order: int | None) -> None:
        if order is None:
            return
        model = self.model_orders[order]
        if model.status == "cancelled":
            return
        try:
            self.run(self._status(order, "cancelled"))
        except Conflict:
            assert model.status != "placed"
            return
        model.status = "cancelled"
        for product_id, index, units in self.taken[order]:  # every unit goes back to its lot
            lot_id, left, parts = self.lots[product_id][index]
            self.lots[product_id][index] = (lot_id, left + units, parts)

    async def _status(self, order_id: int, status: str) -> None:
        async with unit_of_work(self.config) as session:
            await change_status(session, self.secretary, order_id, status, now=self.tick(), events=self.events)

    # --- policy and payouts ---

    @rule(
        platform=st.integers(0, 2000),
        operator=st.integers(0, 3000),
        collective=st.sampled_from([0, 500, 1000, 3333, 5000]),
    )
    def the_secretary_changes_the_policy(self, platform: int, operator: int, collective: int) -> None:
        platform_bp = {"douyin": platform, "kuaishou": platform // 2, "direct": 0}
        self.run(self._policy(platform_bp, operator, collective))
        self.policy = Policy(platform_bp, operator, collective)

    async def _policy(self, platform_bp: dict[str, int], operator: int, collective: int) -> None:
        async with unit_of_work(self.config) as session:
            await set_policy(
                session,
                self.secretary,
                self.village_id,
                platform_bp=platform_bp,
                operator_bp=operator,
                collective_bp=collective,
                now=self.tick(),
            )

    @rule(which=st.integers(0, 2), amount=st.integers(1, 12_000), everything=st.booleans())
    def the_secretary_pays_a_household(self, which: int, amount: int, everything: bool) -> None:
        household_id = self.household_ids[which]
        account = self.model.households[household_id]
        if everything:
            amount = account.balance
            if amount <= 0:
                return
        try:
            self.run(self._pay(household_id, amount))
        except Conflict:
            assert amount > account.balance
            return
        assert amount <= account.balance
        account.balance -= amount
        account.paid += amount

    async def _pay(self, household_id: int, amount: int) -> None:
        async with unit_of_work(self.config) as session:
            await pay_out(session, self.secretary, household_id, amount, "cash", now=self.tick())

    # --- what must hold after every step ---

    @precondition(lambda self: hasattr(self, "village_id"))
    @invariant()
    def the_books_agree_with_the_model(self) -> None:
        stored, problems = self.run(self._read())
        # every transaction sums to zero and the stored figures equal the entries (the nightly check)
        assert problems == [], problems
        for h, account in self.model.households.items():
            have = stored.get(h, (0, 0, 0))
            assert have == (account.balance, account.owed, account.paid), (h, have, account)
            assert have[0] >= 0

    async def _read(self) -> tuple[dict[int, tuple[int, int, int]], list[str]]:
        async with read_session(self.config) as session:
            rows = await session.execute(
                select(
                    HouseholdBalance.household_id,
                    HouseholdBalance.balance_fen,
                    HouseholdBalance.owed_fen,
                    HouseholdBalance.paid_out_fen,
                ).where(HouseholdBalance.village_id == self.village_id)
            )
            stored = {h: (b, o, p) for h, b, o, p in rows.all()}
            return stored, await check_balances(session, self.village_id)


@pytest.mark.parametrize("prices", PRICES, ids=[f"{a}-{b}" for a, b in PRICES])
def test_the_ledger_agrees_with_a_simple_model_whatever_happens(settings: Settings, prices: tuple[int, int]) -> None:
    LedgerMachine.events = link_domains().events
    LedgerMachine.prices = prices
    LedgerMachine.runner = asyncio.Runner()
    # one pooled engine for the whole run (the app's tests use no pool, to see every connection close)
    LedgerMachine.config = create_alchemy_config(dataclasses.replace(settings, db_null_pool=False))
    try:
        run_state_machine_as_test(
            LedgerMachine,
            settings=hypothesis_settings(
                max_examples=-(-SEQUENCES // len(PRICES)),
                stateful_step_count=STEPS,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                database=None,
            ),
        )
    finally:
        LedgerMachine.runner.run(LedgerMachine.config.get_engine().dispose())
        LedgerMachine.runner.close()
