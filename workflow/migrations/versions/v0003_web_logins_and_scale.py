"""Web logins (argon2 hashes, the failed-login wait) and the platform at scale (the stored urgency key of the
case list, partial indexes for the sweep and delivery).

Revision ID: 0003
Revises: 0002

Every row already stored gets its urgency key from the same expression the code saves (case_order.urgency_sql);
the new NOT NULL columns are added with a server default so that SQLite adds them in place.
"""

from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from workflow.case_order import urgency_sql

revision = '0003'
down_revision: str | None = '0002'
branch_labels = None
depends_on = None


def _where(condition: str) -> dict[str, Any]:
    """A partial index's condition, on both databases."""
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    """Add the login columns and the urgency key (filled for every stored case), and the scale indexes."""
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.create_index('ix_appeal_filed', ['due_on'], unique=False, **_where("state = 'filed'"))

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgency', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False,
                                      server_default="1"))
        batch_op.create_index('ix_application_agency_urgency', ['agency_id', 'urgency', 'number', 'id'], unique=False)
        batch_op.create_index('ix_application_urgency', ['urgency', 'number', 'id'], unique=False)

    application = sa.table("application", sa.column("state", sa.String), sa.column("next_due_on", sa.Date),
                           sa.column("urgency", sa.String))
    op.execute(application.update().values(urgency=urgency_sql(application.c.state, application.c.next_due_on)))

    with op.batch_alter_table('case_clock', schema=None) as batch_op:
        batch_op.create_index('ix_case_clock_running', ['due_on', 'kind', 'application_id'], unique=False,
                              **_where("status = 'running'"))

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_status'))
        batch_op.create_index('ix_delivery_claimed', ['claimed_by'], unique=False, **_where('claimed_by IS NOT NULL'))
        batch_op.create_index('ix_delivery_open', ['id'], unique=False, **_where("status IN ('pending', 'sending')"))

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column('password_set_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))



def downgrade() -> None:
    """Not supported: restore the backup taken before the upgrade instead."""
    raise NotImplementedError("ogi 不支持降级数据库：请恢复升级前的备份")
