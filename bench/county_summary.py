"""The village-month rows of a county loaded in bulk (``bench.county``): the bulk load writes entries by the
million without the app's postings, so their village months are added up from the entries afterwards, by
the same query the nightly check recomputes them with (``shop.ledger.summary.figures_from_entries``).
Villages that already have month rows (the demo village, written by the app) keep theirs."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite

from bench.county_data import Sink, SqliteSink
from shop.ledger.models import LedgerEntry, VillageMonth
from shop.ledger.summary import FIGURES, figures_from_entries


def fill_village_months_sql(dialect: str) -> str:
    figures = figures_from_entries(dialect).where(LedgerEntry.village_id.not_in(select(VillageMonth.village_id)))
    statement = insert(VillageMonth).from_select(["village_id", "month", *FIGURES], figures)
    compiler = postgresql.dialect() if dialect == "postgresql" else sqlite.dialect()
    return str(statement.compile(dialect=compiler, compile_kwargs={"literal_binds": True}))


async def fill_village_months(sink: Sink) -> None:
    await sink.execute(fill_village_months_sql("sqlite" if isinstance(sink, SqliteSink) else "postgresql"))
    await sink.commit()
