"""What the case pages show beside a case, read in one place: the list's village and household labels, the
handler's view of a case (its household, village and lot, the lot's contributions and the other open cases
about it), the county's township roll-up, and the admin's officers. The pages only render these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.models import Role, User
from shop.accounts.principal import Principal
from shop.cases import counts
from shop.cases.models import Case, CaseStatus
from shop.cases.services import villages_of
from shop.catalogue.models import Contribution, Lot
from shop.orders.models import Allocation
from shop.villages.models import Household, Village


@dataclass(frozen=True)
class ListLabels:
    """The villages and household codes a page of cases names."""

    villages: dict[int, Village]
    codes: dict[int, str]


async def list_labels(session: AsyncSession, cases: Sequence[Case]) -> ListLabels:
    villages = await counts.villages_in(session, list({c.village_id for c in cases}) or [0])
    codes = await session.execute(
        select(Household.id, Household.code).where(Household.id.in_([c.household_id for c in cases] or [0]))
    )
    return ListLabels({v.id: v for v in villages}, dict(codes.tuples().all()))


@dataclass(frozen=True)
class CaseSurroundings:
    """What a handler sees around a case: who raised it, where, and the lot it is about (named on the case,
    or the one lot its order line took units from) with its contributions, the village's households a
    weigh-in may be corrected to, and the other open cases about the same lot."""

    household: Household | None
    village: Village | None
    lot: Lot | None
    lot_rows: list[tuple[Contribution, Household]]
    village_households: list[Household]
    together: list[tuple[int, str]]

    @property
    def on_record(self) -> dict[int, int]:
        return {h.id: c.quantity for c, h in self.lot_rows}


async def _lot_of(session: AsyncSession, case: Case) -> Lot | None:
    lot = await session.get(Lot, case.lot_id) if case.lot_id else None
    if lot is not None or case.order_line_id is None:
        return lot
    lot_ids = set(
        (await session.execute(select(Allocation.lot_id).where(Allocation.line_id == case.order_line_id))).scalars()
    )
    return await session.get(Lot, lot_ids.pop()) if len(lot_ids) == 1 else None


async def surroundings(session: AsyncSession, case: Case) -> CaseSurroundings:
    lot = await _lot_of(session, case)
    lot_rows: list[tuple[Contribution, Household]] = []
    village_households: list[Household] = []
    if lot is not None:
        lot_rows = [(c, c.household) for c in lot.contributions]
        village_households = list(
            (
                await session.execute(
                    select(Household)
                    .where(Household.village_id == lot.village_id, Household.active.is_(True))
                    .order_by(Household.code)
                )
            ).scalars()
        )
    together: list[tuple[int, str]] = []
    if case.lot_id is not None:
        rows = await session.execute(
            select(Case.id, Household.code)
            .join(Household, Household.id == Case.household_id)
            .where(Case.lot_id == case.lot_id, Case.id != case.id, Case.status == CaseStatus.OPEN.value)
            .order_by(Case.id)
        )
        together = [(case_id, code) for case_id, code in rows.all()]
    return CaseSurroundings(
        household=await session.get(Household, case.household_id),
        village=await session.get(Village, case.village_id),
        lot=lot,
        lot_rows=lot_rows,
        village_households=village_households,
        together=together,
    )


async def village_of(session: AsyncSession, case: Case) -> Village | None:
    return await session.get(Village, case.village_id)


async def county_villages(session: AsyncSession, actor: Principal) -> list[Village]:
    """The villages the county's board covers: the supervisor's county, every village for the admin."""
    return await counts.villages_in(session, select(Village.id) if actor.is_admin else villages_of(actor))


@dataclass
class TownshipRollUp:
    """The county's board, township by township: each township's villages and their figures added up."""

    villages: dict[tuple[str, str], list[Village]] = field(default_factory=dict)
    figures: dict[tuple[str, str], counts.CaseFigures] = field(default_factory=dict)
    open: dict[tuple[str, str], counts.OpenCases] = field(default_factory=dict)


def by_township(
    villages: Sequence[Village], figures: dict[int, counts.CaseFigures], open_cases: dict[int, counts.OpenCases]
) -> TownshipRollUp:
    rollup = TownshipRollUp()
    for village in villages:
        rollup.villages.setdefault((village.county, village.township), []).append(village)
    for key, members in rollup.villages.items():
        added, opened = counts.CaseFigures(), counts.OpenCases()
        for v in members:
            added.merge(figures.get(v.id, counts.CaseFigures()))
            each = open_cases.get(v.id)
            if each is not None:
                for level, n in each.by_level.items():
                    opened.by_level[level] += n
                opened.overdue += each.overdue
        rollup.figures[key], rollup.open[key] = added, opened
    return rollup


@dataclass(frozen=True)
class Officers:
    """The township officers and county supervisors, and the counties and townships the villages name."""

    officers: list[User]
    counties: list[str]
    townships: list[str]


async def officers(session: AsyncSession) -> Officers:
    people = await session.execute(
        select(User)
        .where(User.role.in_([Role.TOWNSHIP.value, Role.COUNTY.value]))
        .order_by(User.county, User.township, User.username)
    )
    places: list[Any] = list((await session.execute(select(Village.county, Village.township).distinct())).all())
    return Officers(
        list(people.scalars()),
        sorted({c for c, _ in places if c}),
        sorted({t for _, t in places if t}),
    )
