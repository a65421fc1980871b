"""A Hypothesis state machine over villagers' cases: raising, answering, asking for more, adding
information, correcting a weigh-in, resolving, rating, the county's reasoned close, and the clock jumping
(from before the Spring Festival, National Day and an ordinary week, so the jumps cross holidays and their
调休 Saturdays), in any order. After every step:

- a case's level never goes down;
- a case is closed only after a satisfied rating (是 and not 不满意) or a county close with a reason;
- the log holds every transition: its latest status and level are the case's;
- every lot's credited sales hold exactly a fresh split under the lot's current weights (computed here
  from DESIGN.md with Fractions, not with shop.split), and the books pass the nightly check (every
  transaction balanced, every stored balance equal to its entries).

How many sequences: ``SHOP_CASES_SEQUENCES``; by default 60 under CI=true (30 on CI's PostgreSQL pass),
12 on a laptop, of ``STEPS`` steps each.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
from collections import defaultdict
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
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from shop.accounts.models import User
from shop.accounts.services import principal_for_household, principal_for_user
from shop.cases import corrections, services
from shop.cases.models import Case, CaseEvent, Level
from shop.catalogue.models import Contribution, Lot, Product
from shop.catalogue.services import ContributionInput
from shop.db import create_alchemy_config, read_session, unit_of_work
from shop.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from shop.events import DomainEvents
from shop.ledger.checks import check_balances
from shop.ledger.models import LedgerEntry, LedgerTransaction
from shop.ledger.policy import set_policy
from shop.orders.models import Allocation, Order, OrderLine
from shop.orders.services import change_status
from shop.settings import Settings
from shop.villages.models import Household, Village
from shop.wiring import link_domains
from tests.ledger.test_ledger_machine import Policy, household_amounts

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ON_POSTGRESQL = bool(os.environ.get("SHOP_TEST_DATABASE_URL"))
SEQUENCES = int(os.environ.get("SHOP_CASES_SEQUENCES", ("30" if ON_POSTGRESQL else "60") if IN_CI else "12"))
STEPS = 25
STARTS = (
    datetime(2026, 2, 12, 2, 0, tzinfo=UTC),  # Thursday before the Spring Festival (14 Feb, a Saturday, is worked)
    datetime(2026, 9, 29, 2, 0, tzinfo=UTC),  # Tuesday before National Day (10 Oct, a Saturday, is worked)
    datetime(2026, 11, 23, 2, 0, tzinfo=UTC),  # an ordinary Monday
)
POLICY = Policy({"douyin": 500, "direct": 0}, 300, 1000)
PRICE = 3990
HANDLERS = ("secretary", "township", "county")


class CasesMachine(RuleBasedStateMachine):
    runner: asyncio.Runner
    events: DomainEvents
    config: object
    counter = itertools.count(1)

    cases = Bundle("cases")

    def run(self, coroutine):
        return self.runner.run(coroutine)

    @initialize(start=st.sampled_from(STARTS))
    def new_village(self, start: datetime) -> None:
        self.now = start
        self.ranks: dict[int, int] = {}
        self.run(self._setup())

    async def _setup(self) -> None:
        n = next(self.counter)
        async with unit_of_work(self.config) as session:
            village = Village(name=f"案村{n}", township=f"案乡{n}", county=f"案县{n}", code_prefix=f"A{n}")
            session.add(village)
            await session.flush()
            self.village_id = village.id
            homes = [
                Household(village_id=village.id, code=f"A{n}-{i}", head_name=f"户{i}", pin_hash="-") for i in range(3)
            ]
            session.add_all(homes)
            staff = [
                User(
                    username=f"sec{n}",
                    role="secretary",
                    village_id=village.id,
                    password_hash="-",
                    calendar_secret=f"s{n}",
                ),
                User(
                    username=f"xiang{n}",
                    role="township",
                    township=f"案乡{n}",
                    county=f"案县{n}",
                    password_hash="-",
                    calendar_secret=f"t{n}",
                ),
                User(username=f"xian{n}", role="county", county=f"案县{n}", password_hash="-", calendar_secret=f"c{n}"),
            ]
            session.add_all(staff)
            product = Product(village_id=village.id, name=f"米{n}", category="grain", unit="斤", price_fen=PRICE)
            session.add(product)
            await session.flush()
            self.households = [principal_for_household(h) for h in homes]
            self.handlers = dict(zip(HANDLERS, (principal_for_user(u) for u in staff), strict=True))
            await set_policy(
                session,
                self.handlers["secretary"],
                village.id,
                platform_bp=POLICY.platform,
                operator_bp=POLICY.operator,
                collective_bp=POLICY.collective,
                now=self.now - timedelta(days=30),
            )
            lot = Lot(
                product_id=product.id,
                village_id=village.id,
                public_code=f"AL{n}",
                received_on=date(2026, 1, 5),
                quantity=9,
                remaining=9,
            )
            session.add(lot)
            await session.flush()
            self.lot_id = lot.id
            parts = (4, 3, 2)
            session.add_all(
                Contribution(lot_id=lot.id, household_id=h.id, quantity=q, receipt_no=f"AL{n}-{i}")
                for i, (h, q) in enumerate(zip(homes, parts, strict=True))
            )
            orders = []
            for units in (2, 3):  # two sales from the lot, credited when they complete
                order = Order(
                    village_id=village.id,
                    source="douyin",
                    placed_at=self.now - timedelta(days=20),
                    total_fen=units * PRICE,
                    status="shipped",
                )
                session.add(order)
                await session.flush()
                line = OrderLine(
                    order_id=order.id,
                    product_id=product.id,
                    quantity=units,
                    unit_price_fen=PRICE,
                    village_id=village.id,
                    source="douyin",
                )
                session.add(line)
                await session.flush()
                session.add(Allocation(line_id=line.id, lot_id=lot.id, quantity=units, village_id=village.id))
                lot.remaining -= units
                orders.append(order.id)
        for order_id in orders:
            async with unit_of_work(self.config) as session:
                await change_status(
                    session,
                    self.handlers["secretary"],
                    order_id,
                    "completed",
                    now=self.now - timedelta(days=10),
                    events=self.events,
                )
        async with read_session(self.config) as session:
            self.contributions = dict(
                (
                    await session.execute(
                        select(Contribution.household_id, Contribution.id).where(Contribution.lot_id == self.lot_id)
                    )
                ).all()
            )

    def tick(self) -> datetime:
        self.now += timedelta(minutes=7)
        return self.now

    async def _case(self, case_id: int) -> Case:
        async with read_session(self.config) as session:
            return (await session.execute(select(Case).where(Case.id == case_id))).scalar_one()

    # --- the villager ---

    @rule(target=cases, who=st.integers(0, 2), about_weigh_in=st.booleans())
    def a_villager_raises_a_case(self, who: int, about_weigh_in: bool):
        household = self.households[who]
        contribution = self.contributions.get(household.id) if about_weigh_in else None
        try:
            case = self.run(self._raise(household, contribution))
        except Conflict:
            assert contribution is not None  # only an earning already in an open case is refused
            return multiple()
        except DomainError:  # the household was taken off the lot by a correction
            assert contribution is not None
            return multiple()
        self.ranks[case.id] = 0
        return case.id

    async def _raise(self, household, contribution):
        async with unit_of_work(self.config) as session:
            return await services.raise_case(
                session,
                household,
                topic="weight" if contribution else "other",
                text="称少了",
                contribution_id=contribution,
                now=self.tick(),
            )

    @rule(case=cases)
    def the_villager_adds_information(self, case: int) -> None:
        before = self.run(self._case(case))
        try:
            self.run(
                self._as_villager(before, lambda s, p: services.add_reply(s, p, case, "补一张磅单照片", now=self.now))
            )
        except Conflict:
            assert before.status == "closed"
            return
        assert before.status != "closed"
        assert self.run(self._case(case)).paused_since is None

    async def _as_villager(self, case: Case, work):
        household = next(h for h in self.households if h.id == case.household_id)
        self.tick()
        async with unit_of_work(self.config) as session:
            return await work(session, household)

    @rule(
        case=cases,
        solved=st.booleans() | st.none(),
        satisfaction=st.none() | st.sampled_from(["satisfied", "fair", "dissatisfied"]),
    )
    def the_villager_rates(self, case: int, solved: bool | None, satisfaction: str | None) -> None:
        if solved is None and satisfaction is None:
            return
        before = self.run(self._case(case))
        try:
            after = self.run(
                self._as_villager(
                    before,
                    lambda s, p: services.rate_case(s, p, case, solved=solved, satisfaction=satisfaction, now=self.now),
                )
            )
        except Conflict:
            assert before.status == "open" or before.close_reason or before.status == "closed"
            return
        assert before.status != "open"
        s = solved if solved is not None else before.solved
        f = satisfaction if satisfaction is not None else before.satisfaction
        if s is None or f is None or (s == before.solved and f == before.satisfaction):
            assert after.status == before.status
        elif s and f != "dissatisfied":
            assert after.status == "closed"
        else:
            up = min(Level(before.level).rank + 1, 2)
            assert (after.status, Level(after.level).rank, Level(after.floor_level).rank) == ("open", up, up)

    # --- the handlers ---

    async def _as_handler(self, who: str, work):
        self.tick()
        async with unit_of_work(self.config) as session:
            return await work(session, self.handlers[who])

    @rule(case=cases, who=st.sampled_from(HANDLERS), needs_info=st.booleans())
    def a_handler_answers(self, case: int, who: str, needs_info: bool) -> None:
        before = self.run(self._case(case))
        try:
            self.run(
                self._as_handler(
                    who, lambda s, p: services.add_reply(s, p, case, "我们在核对", needs_info=needs_info, now=self.now)
                )
            )
        except Conflict:
            assert before.status == "closed" or (needs_info and before.status == "answered")
            return
        after = self.run(self._case(case))
        assert after.responded_at is not None
        assert (after.paused_since is not None) == (needs_info or before.paused_since is not None)

    @rule(case=cases, parts=st.lists(st.integers(0, 6), min_size=3, max_size=3).filter(lambda p: sum(p) >= 5))
    def the_county_corrects_the_weigh_in(self, case: int, parts: list[int]) -> None:
        before = self.run(self._case(case))
        wanted = [ContributionInput(h.id, q) for h, q in zip(self.households, parts, strict=True) if q]
        try:
            self.run(
                self._as_handler("county", lambda s, p: corrections.correct_weights(s, p, case, wanted, now=self.now))
            )
        except Conflict:
            assert before.status == "closed"
            return
        except InvalidInput:
            # a blank case has no lot; the same quantities again are not a correction
            assert before.lot_id is None or self.run(self._parts()) == {c.household_id: c.quantity for c in wanted}
            return
        assert before.lot_id == self.lot_id
        assert self.run(self._parts()) == {c.household_id: c.quantity for c in wanted}

        async def refresh():
            async with read_session(self.config) as session:
                return dict(
                    (
                        await session.execute(
                            select(Contribution.household_id, Contribution.id).where(Contribution.lot_id == self.lot_id)
                        )
                    ).all()
                )

        self.contributions = self.run(refresh())

    async def _parts(self) -> dict[int, int]:
        async with read_session(self.config) as session:
            rows = await session.execute(
                select(Contribution.household_id, Contribution.quantity).where(Contribution.lot_id == self.lot_id)
            )
            return dict(rows.all())

    @rule(case=cases, who=st.sampled_from(HANDLERS), corrected=st.booleans())
    def a_handler_resolves(self, case: int, who: str, corrected: bool) -> None:
        before = self.run(self._case(case))
        outcome = "corrected" if corrected else "upheld"
        try:
            self.run(
                self._as_handler(who, lambda s, p: services.resolve_case(s, p, case, outcome, "查明了", now=self.now))
            )
        except PermissionDenied:
            assert HANDLERS.index(who) < Level(before.floor_level).rank
            return
        except Conflict:
            assert before.status != "open" or corrected
            return
        assert HANDLERS.index(who) >= Level(before.floor_level).rank
        assert before.status == "open"
        assert self.run(self._case(case)).status == "answered"

    @rule(case=cases, solved=st.booleans(), satisfaction=st.sampled_from(["satisfied", "fair", "dissatisfied"]))
    def a_round_answered_and_rated(self, case: int, solved: bool, satisfaction: str) -> None:
        """The level that must answer resolves it and the villager rates both questions at once."""
        before = self.run(self._case(case))
        if before.status != "open":
            return
        who = HANDLERS[Level(before.floor_level).rank]
        self.a_handler_resolves(case, who, False)
        self.the_villager_rates(case, solved, satisfaction)

    @rule(case=cases)
    def the_county_closes_with_a_reason(self, case: int) -> None:
        before = self.run(self._case(case))
        try:
            self.run(
                self._as_handler(
                    "county", lambda s, p: services.close_by_county(s, p, case, "已复核三次，记录无误。", now=self.now)
                )
            )
        except Conflict:
            assert before.level != "county" or before.status == "closed"
            return
        assert (before.level, self.run(self._case(case)).status) == ("county", "closed")

    # --- the clock ---

    @rule(days=st.sampled_from([0.3, 1, 2, 3, 5, 8, 13]))
    def time_passes(self, days: float) -> None:
        paused = self.run(self._paused())
        self.now += timedelta(days=days)
        self.run(self._jobs())
        for case_id, level in paused.items():
            assert self.run(self._case(case_id)).level == level  # a paused clock lifts nothing

    async def _paused(self) -> dict[int, str]:
        async with read_session(self.config) as session:
            rows = await session.execute(
                select(Case.id, Case.level).where(
                    Case.village_id == self.village_id, Case.paused_since.is_not(None), Case.status == "open"
                )
            )
            return dict(rows.all())

    async def _jobs(self) -> None:
        async with unit_of_work(self.config) as session:
            await services.escalate_overdue(session, self.now)
        async with unit_of_work(self.config) as session:
            await services.mark_unrated(session, self.now)

    # --- what must hold after every step ---

    @precondition(lambda self: hasattr(self, "village_id"))
    @invariant()
    def the_rules_hold(self) -> None:
        cases, logs, problems, lines = self.run(self._read())
        assert problems == [], problems
        for case in cases:
            rank = Level(case.level).rank
            assert rank >= self.ranks.get(case.id, 0), "a level went down"
            self.ranks[case.id] = rank
            log = logs[case.id]
            assert log[0].kind == "raised"
            states = [e.after for e in log if "status" in e.after]
            assert states[-1]["status"] == case.status, (case.id, case.status, [e.kind for e in log])
            assert states[-1]["level"] == case.level
            if case.status == "closed":
                last = next(e for e in reversed(log) if e.kind in ("closed", "closed_by_county"))
                if last.kind == "closed":
                    assert case.last_solved is True
                    assert case.last_satisfaction in ("satisfied", "fair")
                else:
                    assert case.close_reason
                    assert case.level == "county"
        parts = self.run(self._parts())
        for held, units in lines:
            weights = {h: Fraction(q) for h, q in parts.items()}
            fresh = household_amounts(units, PRICE, POLICY, "douyin", weights)
            assert {h: a for h, a in held.items() if a} == {h: a for h, a in fresh.items() if a}

    async def _read(self):
        async with read_session(self.config) as session:
            cases = list((await session.execute(select(Case).where(Case.village_id == self.village_id))).scalars())
            events = await session.execute(
                select(CaseEvent).where(CaseEvent.case_id.in_([c.id for c in cases] or [0])).order_by(CaseEvent.id)
            )
            logs = defaultdict(list)
            for event in events.scalars():
                logs[event.case_id].append(event)
            problems = await check_balances(session, self.village_id)
            held = await session.execute(
                select(LedgerTransaction.order_line_id, LedgerEntry.household_id, LedgerEntry.amount_fen)
                .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
                .where(
                    LedgerTransaction.village_id == self.village_id,
                    LedgerEntry.account_kind.in_(("household", "recovery")),
                )
            )
            per_line: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
            for line_id, household_id, amount in held.all():
                if line_id is not None:
                    per_line[line_id][household_id] += amount
            units = dict(
                (
                    await session.execute(
                        select(OrderLine.id, OrderLine.quantity).where(OrderLine.village_id == self.village_id)
                    )
                ).all()
            )
            return cases, logs, problems, [(dict(per_line[line_id]), units[line_id]) for line_id in per_line]


def test_cases_climb_close_and_correct_the_books_by_the_rules_whatever_happens(settings: Settings) -> None:
    CasesMachine.events = link_domains().events
    CasesMachine.runner = asyncio.Runner()
    CasesMachine.config = create_alchemy_config(dataclasses.replace(settings, db_null_pool=False))
    try:
        run_state_machine_as_test(
            CasesMachine,
            settings=hypothesis_settings(
                max_examples=SEQUENCES,
                stateful_step_count=STEPS,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                database=None,
            ),
        )
    finally:
        CasesMachine.runner.run(CasesMachine.config.get_engine().dispose())
        CasesMachine.runner.close()


pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
