"""Alerts marked read, by each user for themselves (the web's 提醒 inbox): one row per alert read, and each
user's "read through" mark for 「全部标为已读」; each alert names its case's agency (filled from the case), so that
an agency's inbox is read along (agency, id).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0004'
down_revision: str | None = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the table of read marks (one row per alert and user who read it)."""
    op.create_table('alert_read',
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('read_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('alert_id', 'user_id')
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alerts_read_through', sa.Integer(), nullable=True))

    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agency_id', sa.Integer(), nullable=True))
    alert = sa.table("alert", sa.column("application_id", sa.Integer), sa.column("agency_id", sa.Integer))
    application = sa.table("application", sa.column("id", sa.Integer), sa.column("agency_id", sa.Integer))
    op.execute(alert.update().values(agency_id=sa.select(application.c.agency_id)
                                     .where(application.c.id == alert.c.application_id).scalar_subquery()))
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.alter_column('agency_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key('fk_alert_agency_id_agency', 'agency', ['agency_id'], ['id'])
        batch_op.create_index('ix_alert_agency', ['agency_id', 'id'], unique=False)


def downgrade() -> None:
    """Not supported: restore the backup taken before the upgrade instead."""
    raise NotImplementedError("ogi 不支持降级数据库：请恢复升级前的备份")
