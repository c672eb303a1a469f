"""Alerts marked read, by each user for themselves (the web's 提醒 inbox).

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


def downgrade() -> None:
    """Not supported: restore the backup taken before the upgrade instead."""
    raise NotImplementedError("ogi 不支持降级数据库：请恢复升级前的备份")
