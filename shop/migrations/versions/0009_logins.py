"""logins: failed-login counts shared by all workers, credential generations; per-row lockout columns go

Revision ID: 0009_logins
Revises: 0008_cases
Create Date: 2026-12-03 23:55:00
"""

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision = "0009_logins"
down_revision = "0008_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.create_index(op.f("ix_login_throttle_window_start"), "login_throttle", ["window_start"], unique=False)
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credential_generation", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credential_generation", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_column("failed_pins")
        batch_op.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", DateTimeUTC(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("failed_pins", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_column("credential_generation")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", DateTimeUTC(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_column("credential_generation")
    op.drop_index(op.f("ix_login_throttle_window_start"), table_name="login_throttle")
    op.drop_table("login_throttle")
