"""From 0.1.0 to the platform: agency codes, platform users, case-number counters, the sealed event log.

- `agency.code` (unique, NOT NULL): the agency 0.1.0's `ogi init` made is `main`, as `ogi init` names it now.
- `user.agency_id` may be NULL (platform users). The `admin` that 0.1.0's `ogi init` made (username `admin`,
  role `admin`) becomes the platform administrator, as `ogi init` makes it now: a platform admin acts in its
  agency with an admin's rights and also keeps the calendar and adds agencies, which 0.1.0's admin did and
  no agency admin may do now. Other admins stay their agency's admins.
- `case_number`: one counter per agency and year, starting after the highest number stored
  (workflow/numbering.py), so registrations continue the 0.1.0 numbering without a gap or a repeat.
- `event.hash`, `appeal_event.hash`, and the chain heads on `application` and `appeal`: every stored event is
  sealed here with workflow/chain.py, in seq order per case, so `ogi verify` holds the old log to the same
  standard as a new one from the moment of the upgrade.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from workflow import chain
from workflow.migrations.triggers import create_append_only, drop_append_only
from workflow.numbering import sequence_of

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

MAIN = "main"  # workflow.agencies.DEFAULT_CODE, frozen as it was when this revision was written
_BATCH = 2_000  # cases (or appeals) sealed per round trip


def upgrade() -> None:
    """Add the new columns and table, then fill them from the data 0.1.0 stored."""
    drop_append_only()
    _agency_codes()
    _platform_admin()
    _case_numbers()
    for table in ("application", "appeal"):
        op.add_column(table, sa.Column("chain_head", sa.String(length=64), nullable=True))
        op.add_column(table, sa.Column("chain_length", sa.Integer(), nullable=True))
    for table in ("event", "appeal_event"):
        op.add_column(table, sa.Column("hash", sa.String(length=64), nullable=True))
    sealed = _seal(chain.EVENT, "application_id", "application") + _seal(chain.APPEAL_EVENT, "appeal_id", "appeal")
    context.config.attributes["sealed"] = sealed
    create_append_only()


def _agency_codes() -> None:
    op.add_column("agency", sa.Column("code", sa.String(length=32), nullable=True))
    agency = sa.table("agency", sa.column("id", sa.Integer), sa.column("code", sa.String))
    bind = op.get_bind()
    ids = [row.id for row in bind.execute(sa.select(agency.c.id).order_by(agency.c.id))]
    for position, agency_id in enumerate(ids):  # 0.1.0 has one agency; any other gets a code of its own
        code = MAIN if position == 0 else f"agency-{agency_id}"
        bind.execute(agency.update().where(agency.c.id == agency_id).values(code=code))
    if bind.dialect.name != "sqlite":
        op.alter_column("agency", "code", existing_type=sa.String(length=32), nullable=False)
        op.create_unique_constraint("agency_code_key", "agency", ["code"])  # the name create_all's UNIQUE gets
        return
    # SQLite: the table copied as create_all makes it (the code after the id, an unnamed UNIQUE like the name's).
    table = sa.Table("agency", sa.MetaData(),
                     sa.Column("id", sa.Integer(), nullable=False),
                     sa.Column("code", sa.String(length=32), nullable=False),
                     sa.Column("name", sa.String(length=200), nullable=False),
                     sa.Column("pause_on_fee", sa.Boolean(), nullable=False),
                     sa.Column("pause_on_reasons", sa.Boolean(), nullable=False),
                     sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
                     sa.PrimaryKeyConstraint("id"), sa.UniqueConstraint("code"), sa.UniqueConstraint("name"))
    with op.batch_alter_table("agency", copy_from=table, recreate="always"):
        pass


def _platform_admin() -> None:
    with op.batch_alter_table("user") as batch:
        batch.alter_column("agency_id", existing_type=sa.Integer(), nullable=True)
    user = sa.table("user", sa.column("username", sa.String), sa.column("role", sa.String),
                    sa.column("agency_id", sa.Integer), sa.column("display_name", sa.String))
    made_by_init = (user.c.username == "admin") & (user.c.role == "admin")
    op.get_bind().execute(user.update().where(made_by_init).values(
        role="platform_admin", agency_id=None,
        display_name=sa.case((user.c.display_name == "管理员", "平台管理员"), else_=user.c.display_name)))


def _case_numbers() -> None:
    op.create_table(
        "case_number",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_used", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.PrimaryKeyConstraint("agency_id", "year"),
    )
    application = sa.table("application", sa.column("agency_id", sa.Integer), sa.column("number", sa.String))
    highest: dict[tuple[int, int], int] = {}
    for agency_id, number in op.get_bind().execute(sa.select(application.c.agency_id, application.c.number)):
        if (parsed := sequence_of(number)) is not None:  # numbers of another form (imported) take no sequence
            key = (agency_id, parsed[0])
            highest[key] = max(highest.get(key, 0), parsed[1])
    if highest:
        counter = sa.table("case_number", sa.column("agency_id", sa.Integer), sa.column("year", sa.Integer),
                           sa.column("last_used", sa.Integer))
        op.bulk_insert(counter, [{"agency_id": a, "year": y, "last_used": n} for (a, y), n in sorted(highest.items())])


def _events(log: str, owner: str) -> sa.TableClause:
    columns = [sa.column(name, sa.String) for name in ("trigger", "actor", "role", "from_state", "to_state", "hash")]
    return sa.table(log, sa.column("id", sa.Integer), sa.column(owner, sa.Integer), sa.column("seq", sa.Integer),
                    sa.column("effective_on", sa.Date), sa.column("recorded_at", sa.DateTime(timezone=True)),
                    sa.column("data", sa.JSON), *columns)


def _owners(bind: sa.Connection, events: sa.TableClause, owner: str) -> Iterator[list[int]]:
    ids = [row[0] for row in bind.execute(sa.select(events.c[owner]).distinct().order_by(events.c[owner]))]
    for start in range(0, len(ids), _BATCH):
        yield ids[start:start + _BATCH]


def _seal(log: str, owner: str, headed: str) -> int:
    """Hash every event of `log` (each case's in seq order) and record each case's chain head; returns the count."""
    bind = op.get_bind()
    events = _events(log, owner)
    heads_table = sa.table(headed, sa.column("id", sa.Integer), sa.column("chain_head", sa.String),
                           sa.column("chain_length", sa.Integer))
    set_hash = events.update().where(events.c.id == sa.bindparam("event_id")).values(hash=sa.bindparam("digest"))
    set_head = (heads_table.update().where(heads_table.c.id == sa.bindparam("owner"))
                .values(chain_head=sa.bindparam("head"), chain_length=sa.bindparam("length")))
    count = 0
    for owners in _owners(bind, events, owner):
        query = (sa.select(*(c for c in events.c if c.name != "hash")).where(events.c[owner].in_(owners))
                 .order_by(events.c[owner], events.c.seq))
        rows: list[dict[str, Any]] = [dict(row._mapping) for row in bind.execute(query)]
        heads = chain.seal_rows(log, rows, {})
        bind.execute(set_hash, [{"event_id": row["id"], "digest": row["hash"]} for row in rows])
        bind.execute(set_head, [{"owner": o, "head": h, "length": n} for o, (h, n) in heads.items()])
        count += len(rows)
    return count


def downgrade() -> None:
    """Not supported: restore the backup taken before the upgrade instead."""
    raise NotImplementedError("ogi 不支持降级数据库：请恢复升级前的备份")
