"""Village months: a village's money per Beijing calendar month (sales, the three fees, what households were
credited, came to owe and were paid out), kept with the entries from now on (``shop.ledger.summary``) and
filled here from every entry so far. The township's board and the transparency board read these rows
instead of summing years of entries.

Revision ID: 0013_village_month
Revises: 0012_county_scale
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_village_month"
down_revision = "0012_county_scale"
branch_labels = None
depends_on = None

FIGURES = ("sales_fen", "platform_fen", "operator_fen", "collective_fen", "credited_fen", "owed_fen", "paid_out_fen")

# The figures as the entries give them (the table in shop/ledger/summary.py), frozen here as of this revision.
BACKFILL = """
INSERT INTO village_month (village_id, month, {figures})
SELECT e.village_id, {month},
  sum(CASE WHEN e.account_kind = 'sales_clearing' THEN -e.amount_fen ELSE 0 END),
  sum(CASE WHEN e.account_kind = 'platform' THEN e.amount_fen ELSE 0 END),
  sum(CASE WHEN e.account_kind = 'operator' THEN e.amount_fen ELSE 0 END),
  sum(CASE WHEN e.account_kind = 'collective' THEN e.amount_fen ELSE 0 END),
  sum(CASE WHEN e.account_kind = 'household' AND t.kind <> 'payout' THEN e.amount_fen ELSE 0 END),
  sum(CASE WHEN e.account_kind = 'recovery' THEN -e.amount_fen ELSE 0 END),
  sum(CASE WHEN e.account_kind = 'payouts' THEN e.amount_fen ELSE 0 END)
FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id
GROUP BY e.village_id, {month}
"""
MONTH = {
    "postgresql": "to_char(e.posted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')",
    "sqlite": "strftime('%Y-%m', e.posted_at, '+8 hours')",
}


def upgrade() -> None:
    op.create_table(
        "village_month",
        sa.Column("village_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in FIGURES),
        sa.ForeignKeyConstraint(
            ["village_id"], ["village.id"], name=op.f("fk_village_month_village_id_village"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("village_id", "month", name=op.f("pk_village_month")),
    )
    month = MONTH[op.get_bind().dialect.name]
    op.execute(BACKFILL.format(figures=", ".join(FIGURES), month=month))


def downgrade() -> None:
    op.drop_table("village_month")
