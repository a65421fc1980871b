"""The road past one database stays open (docs/scale.md): every table that grows with sales carries
``village_id`` and has it leading an index, so a distribution by village (PostgreSQL partitions, Citus)
can place each village's rows together and every village-scoped read is an index range.

A new table that hangs off a sales table (a foreign key to one) must join SALES_TABLES or say in
NOT_BY_SALES why it does not grow with sales."""

from __future__ import annotations

from advanced_alchemy.base import metadata_registry
from sqlalchemy import MetaData, Table

import shop.app  # noqa: F401 - registers every domain's tables on the metadata


def metadata_with_all_models() -> MetaData:
    return metadata_registry.get(None)


# The tables whose rows come with orders, their lines and the money they move.
SALES_TABLES = {
    "shop_order",
    "order_line",
    "allocation",
    "order_status_change",
    "ledger_transaction",
    "ledger_entry",
    "payout",
    "payout_batch",
    "household_balance",
    "household_month",
    "village_month",
    "held_line",
    "order_import",
    "lot",
}
# Tables with a foreign key to a sales table that do not themselves grow with sales, and why.
NOT_BY_SALES = {
    "contribution": "one or two rows per lot brought in (the supply side), found through its lot",
    "villager_case": "a villager's question, a few a month per village (it carries village_id anyway)",
    "case_correction": "a correction of one case, found through the case (which carries village_id)",
    "case_ledger_link": "the postings of one case's correction, found through the case",
}


def _leading(table: Table) -> set[str]:
    """The first column of each index, unique constraint and primary key of ``table``."""
    firsts = {next(iter(index.columns)).name for index in table.indexes if index.columns}
    for constraint in table.constraints:
        columns = list(getattr(constraint, "columns", []))
        if columns and constraint.__class__.__name__ in {"UniqueConstraint", "PrimaryKeyConstraint"}:
            firsts.add(columns[0].name)
    return firsts


def test_every_sales_table_carries_village_id_leading_an_index() -> None:
    tables = metadata_with_all_models().tables
    missing = sorted(SALES_TABLES - set(tables))
    assert not missing, f"SALES_TABLES names tables that do not exist: {missing}"
    without_column = sorted(name for name in SALES_TABLES if "village_id" not in tables[name].c)
    assert not without_column, f"tables that grow with sales without village_id: {without_column}"
    not_leading = sorted(name for name in SALES_TABLES if "village_id" not in _leading(tables[name]))
    assert not not_leading, f"tables that grow with sales with no index led by village_id: {not_leading}"
    for name in SALES_TABLES:
        assert not tables[name].c.village_id.nullable, f"{name}.village_id may be empty"


def test_every_table_hanging_off_sales_is_placed() -> None:
    tables = metadata_with_all_models().tables
    unplaced = sorted(
        name
        for name, table in tables.items()
        if name not in SALES_TABLES
        and name not in NOT_BY_SALES
        and {fk.column.table.name for fk in table.foreign_keys} & SALES_TABLES
    )
    assert not unplaced, (
        f"tables with a foreign key to a sales table, neither in SALES_TABLES nor in NOT_BY_SALES: {unplaced}"
    )
