"""officers: township officers and county supervisors (roles township and county, with their area)

Revision ID: 0007_officers
Revises: 0006_ledger
Create Date: 2026-12-03 09:00:00

SQLite cannot change a CHECK constraint in place: the table is copied. Foreign keys must be off while
it is (dropping the old copy would otherwise cascade to every row that points at a user), and that
switch only takes effect outside a transaction, hence the autocommit blocks.
"""

import sqlalchemy as sa
from alembic import op

revision = '0007_officers'
down_revision = '0006_ledger'
branch_labels = None
depends_on = None

ROLE_KNOWN = "role in ('admin', 'secretary', 'trainee', 'township', 'county')"
HAS_VILLAGE = "role in ('admin', 'township', 'county') or village_id is not null"
HAS_AREA = "(role <> 'township' or (township <> '' and county <> '')) and (role <> 'county' or county <> '')"


def _foreign_keys(on: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.get_context().autocommit_block():
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _check_foreign_keys() -> None:
    if op.get_bind().dialect.name == "sqlite":
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        assert not broken, f"foreign keys broken by the copy: {broken[:5]}"


def upgrade() -> None:
    _foreign_keys(False)
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('township', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('county', sa.String(length=100), server_default='', nullable=False))
        batch_op.drop_constraint(batch_op.f('ck_user_account_role_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_user_account_staff_has_village'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_user_account_role_known'), ROLE_KNOWN)
        batch_op.create_check_constraint(batch_op.f('ck_user_account_staff_has_village'), HAS_VILLAGE)
        batch_op.create_check_constraint(batch_op.f('ck_user_account_officer_has_area'), HAS_AREA)
    _check_foreign_keys()
    _foreign_keys(True)


def downgrade() -> None:
    op.execute("DELETE FROM api_token WHERE user_id IN (SELECT id FROM user_account WHERE role IN ('township', 'county'))")
    op.execute("DELETE FROM user_account WHERE role IN ('township', 'county')")
    _foreign_keys(False)
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_account_officer_has_area'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_user_account_staff_has_village'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_user_account_role_known'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_user_account_role_known'), "role in ('admin', 'secretary', 'trainee')"
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_user_account_staff_has_village'), "role = 'admin' or village_id is not null"
        )
        batch_op.drop_column('county')
        batch_op.drop_column('township')
    _check_foreign_keys()
    _foreign_keys(True)
