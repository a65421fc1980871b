"""County scale: every table that grows with sales carries village_id and has it leading an index.

- ``order_status_change`` and ``allocation`` gain ``village_id`` (filled from their order and line), so the
  audit trail reads a village's latest changes by index, and a distribution by village keeps them with
  their orders;
- ``ledger_transaction`` gets (village_id, posted_at, id) for the ledger page and the audit trail (newest
  first), ``payout`` (village_id, paid_at, id), ``household_month`` (village_id, month) for the
  transparency board, which reads month rows instead of summing years of entries.

Revision ID: 0012_county_scale
Revises: 0011_sms
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_county_scale"
down_revision = "0011_sms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("order_status_change", "allocation"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("village_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")))
    op.execute(
        "UPDATE order_status_change SET village_id = "
        "(SELECT shop_order.village_id FROM shop_order WHERE shop_order.id = order_status_change.order_id)"
    )
    op.execute(
        "UPDATE allocation SET village_id = "
        "(SELECT order_line.village_id FROM order_line WHERE order_line.id = allocation.line_id)"
    )
    with op.batch_alter_table("order_status_change", schema=None) as batch_op:
        batch_op.alter_column("village_id", nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_order_status_change_village_id_village"), "village", ["village_id"], ["id"], ondelete="RESTRICT"
        )
        batch_op.create_index("ix_order_status_change_village_at", ["village_id", "at", "id"], unique=False)
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.alter_column("village_id", nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_allocation_village_id_village"), "village", ["village_id"], ["id"], ondelete="RESTRICT"
        )
        batch_op.create_index("ix_allocation_village_lot", ["village_id", "lot_id"], unique=False)
    with op.batch_alter_table("ledger_transaction", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_transaction_village_posted", ["village_id", "posted_at", "id"], unique=False)
    with op.batch_alter_table("payout", schema=None) as batch_op:
        batch_op.create_index("ix_payout_village_paid", ["village_id", "paid_at", "id"], unique=False)
    with op.batch_alter_table("household_month", schema=None) as batch_op:
        batch_op.create_index("ix_household_month_village_month", ["village_id", "month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("household_month", schema=None) as batch_op:
        batch_op.drop_index("ix_household_month_village_month")
    with op.batch_alter_table("payout", schema=None) as batch_op:
        batch_op.drop_index("ix_payout_village_paid")
    with op.batch_alter_table("ledger_transaction", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_transaction_village_posted")
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_index("ix_allocation_village_lot")
        batch_op.drop_constraint(batch_op.f("fk_allocation_village_id_village"), type_="foreignkey")
        batch_op.drop_column("village_id")
    with op.batch_alter_table("order_status_change", schema=None) as batch_op:
        batch_op.drop_index("ix_order_status_change_village_at")
        batch_op.drop_constraint(batch_op.f("fk_order_status_change_village_id_village"), type_="foreignkey")
        batch_op.drop_column("village_id")
