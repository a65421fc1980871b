"""Counts of cases, never their contents: the public board's monthly figures (received, responded in
time, resolved, rated, satisfied, with 响应率 · 解决率 · 满意率 · 评价率 and the median days), and the
figures the township and the county read across their villages.

By the month a case was received (Beijing time):
- responded in time: the first answer came before the first response deadline;
- rated: the villager gave a complete rating (解决了吗 and 满意吗), or the county closed it with a reason;
- resolved: the villager's latest rating says 是 (解决了);
- satisfied: the latest rating says 满意 or 基本满意 (a county close counts as not satisfied; an answer
  left unrated is 未评价, never satisfied).
响应率 and 评价率 are of the cases received; 解决率 and 满意率 of the cases rated, so 评价率 beside them shows
how many ratings a rate stands on. Days to respond run to the first answer, days to resolve to the close
of a case the villager called solved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.cases.models import LEVELS, Case, CaseStatus, Satisfaction
from shop.ledger.models import VillageMonth
from shop.streams.models import Stream, StreamStatus
from shop.timeutil import local_day_bounds, local_today, to_local, utcnow
from shop.villages.models import Village

DAY = 86400
AGE_BUCKETS = ((2, "0–2"), (7, "3–7"), (None, "8+"))  # days since received


def _rate(part: int, whole: int) -> int | None:
    """A whole percentage, or None when there is nothing to divide by (shown as —, never as 0% or 100%)."""
    return round(100 * part / whole) if whole else None


@dataclass
class CaseFigures:
    """Counts for one month, one village, or a township: received, responded in time, resolved, rated,
    satisfied, and the days each case took."""

    label: str = ""
    received: int = 0
    responded_in_time: int = 0
    resolved: int = 0
    rated: int = 0
    satisfied: int = 0
    respond_days: list[float] = field(default_factory=list)
    resolve_days: list[float] = field(default_factory=list)

    @property
    def response_rate(self) -> int | None:
        return _rate(self.responded_in_time, self.received)

    @property
    def resolve_rate(self) -> int | None:
        return _rate(self.resolved, self.rated)

    @property
    def satisfied_rate(self) -> int | None:
        return _rate(self.satisfied, self.rated)

    @property
    def rated_rate(self) -> int | None:
        return _rate(self.rated, self.received)

    @property
    def median_days_to_respond(self) -> float | None:
        return round(median(self.respond_days), 1) if self.respond_days else None

    @property
    def median_days_to_resolve(self) -> float | None:
        return round(median(self.resolve_days), 1) if self.resolve_days else None

    def add(self, row: Any) -> None:
        self.received += 1
        if row.responded_in_time:
            self.responded_in_time += 1
        closed_by_county = bool(row.close_reason)
        if row.last_solved is not None or closed_by_county:
            self.rated += 1
        if row.last_solved and not closed_by_county:
            self.resolved += 1
        if row.last_satisfaction in (Satisfaction.SATISFIED.value, Satisfaction.FAIR.value) and not closed_by_county:
            self.satisfied += 1
        if row.first_responded_at is not None:
            self.respond_days.append((row.first_responded_at - row.opened_at).total_seconds() / DAY)
        if row.status == CaseStatus.CLOSED.value and row.last_solved and not closed_by_county and row.closed_at:
            self.resolve_days.append((row.closed_at - row.opened_at).total_seconds() / DAY)

    def merge(self, other: CaseFigures) -> None:
        self.received += other.received
        self.responded_in_time += other.responded_in_time
        self.resolved += other.resolved
        self.rated += other.rated
        self.satisfied += other.satisfied
        self.respond_days += other.respond_days
        self.resolve_days += other.resolve_days


_COLUMNS = (
    Case.village_id,
    Case.opened_at,
    Case.first_responded_at,
    Case.responded_in_time,
    Case.last_solved,
    Case.last_satisfaction,
    Case.status,
    Case.closed_at,
    Case.close_reason,
)


def _since(months: int, now: datetime) -> datetime:
    local = to_local(now)
    year, month = local.year, local.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return local_day_bounds(local.replace(year=year, month=month, day=1).date())[0]


async def _rows(session: AsyncSession, village_ids: Any, since: datetime) -> Iterable[Any]:
    return (
        await session.execute(select(*_COLUMNS).where(Case.village_id.in_(village_ids), Case.opened_at >= since))
    ).all()


async def monthly(
    session: AsyncSession, village_ids: Any, months: int = 12, now: datetime | None = None
) -> list[CaseFigures]:
    """Per Beijing month received, newest first, for the villages given (a list or a subquery of ids)."""
    table: dict[str, CaseFigures] = {}
    for row in await _rows(session, village_ids, _since(months, now or utcnow())):
        label = to_local(row.opened_at).strftime("%Y-%m")
        table.setdefault(label, CaseFigures(label)).add(row)
    return sorted(table.values(), key=lambda f: f.label, reverse=True)


async def by_village(
    session: AsyncSession, village_ids: Any, months: int = 12, now: datetime | None = None
) -> dict[int, CaseFigures]:
    """The last ``months`` months per village."""
    table: dict[int, CaseFigures] = defaultdict(CaseFigures)
    for row in await _rows(session, village_ids, _since(months, now or utcnow())):
        table[row.village_id].add(row)
    return dict(table)


@dataclass
class OpenCases:
    """The cases not yet closed of one village, by the level holding them and by age."""

    by_level: dict[str, int] = field(default_factory=lambda: {level.value: 0 for level in LEVELS})
    by_age: dict[str, int] = field(default_factory=lambda: {label: 0 for _, label in AGE_BUCKETS})
    overdue: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_level.values())


async def open_cases(session: AsyncSession, village_ids: Any, now: datetime | None = None) -> dict[int, OpenCases]:
    moment = now or utcnow()
    rows = await session.execute(
        select(Case.village_id, Case.level, Case.opened_at, Case.status, Case.resolve_by, Case.paused_since).where(
            Case.village_id.in_(village_ids), Case.status != CaseStatus.CLOSED.value
        )
    )
    table: dict[int, OpenCases] = defaultdict(OpenCases)
    for village_id, level, opened_at, status, resolve_by, paused in rows.all():
        figures = table[village_id]
        figures.by_level[level] += 1
        age = (moment - opened_at).total_seconds() / DAY
        for limit, label in AGE_BUCKETS:
            if limit is None or age <= limit:
                figures.by_age[label] += 1
                break
        if status == CaseStatus.OPEN.value and paused is None and resolve_by <= moment:
            figures.overdue += 1
    return dict(table)


@dataclass
class MoneyBoard:
    credited_fen: int = 0
    paid_out_fen: int = 0
    owed_to_households_fen: int = 0
    collective_fen: int = 0


async def money_boards(session: AsyncSession, village_ids: Any) -> dict[int, MoneyBoard]:
    """Per village, to date: what households were credited and paid, what is still owed to them, and the
    collective's income, added up from the village's month rows (``shop.ledger.summary``: a dozen rows a
    village a year, however much it sells)."""
    rows = await session.execute(
        select(
            VillageMonth.village_id,
            func.sum(VillageMonth.credited_fen),
            func.sum(VillageMonth.paid_out_fen),
            func.sum(VillageMonth.collective_fen),
        )
        .where(VillageMonth.village_id.in_(village_ids))
        .group_by(VillageMonth.village_id)
    )
    return {
        village_id: MoneyBoard(int(credited), int(paid), int(credited) - int(paid), int(collective))
        for village_id, credited, paid, collective in rows.all()
    }


async def streams_this_week(session: AsyncSession, village_ids: Any, now: datetime | None = None) -> list[Stream]:
    """This Beijing week's streams (Monday to Sunday) of the villages, in order, cancelled ones left out."""
    today = local_today(now)
    monday = today - timedelta(days=today.weekday())
    start, _ = local_day_bounds(monday)
    end, _ = local_day_bounds(monday + timedelta(days=7))
    rows = await session.execute(
        select(Stream)
        .where(
            Stream.village_id.in_(village_ids),
            Stream.starts_at >= start,
            Stream.starts_at < end,
            Stream.status != StreamStatus.CANCELLED.value,
        )
        .order_by(Stream.starts_at)
    )
    return list(rows.scalars())


async def villages_in(session: AsyncSession, village_ids: Any) -> list[Village]:
    rows = await session.execute(
        select(Village).where(Village.id.in_(village_ids)).order_by(Village.county, Village.township, Village.name)
    )
    return list(rows.scalars())
