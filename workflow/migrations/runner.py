"""Running the migrations (`ogi db upgrade`) and telling where a database stands (`ogi db current`).

The only module that imports Alembic at run time, and only `ogi db upgrade` loads it: every other command
checks the revision with a catalog query (workflow/db.py).

The whole upgrade is one transaction, on PostgreSQL and on SQLite alike (SQLite's DDL is transactional once the
driver stops managing transactions itself): an upgrade that fails leaves the database as it was. On SQLite,
foreign keys are off while tables are copied (SQLite alters a table by copying it) and checked before the commit.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text

from workflow.db import StoredSchema, schema_problem, stored_schema
from workflow.errors import SchemaMismatch
from workflow.migrations import HEAD

__all__ = ["Upgraded", "status", "upgrade"]

_HERE = Path(__file__).parent


@dataclass(frozen=True)
class Upgraded:
    """What `ogi db upgrade` did: from which revision (None: it was already current) to which, and what it sealed."""

    before: StoredSchema
    after: str  # the revision it is at now
    sealed: int  # events given a hash (a 0.1.0 database's whole log)

    @property
    def changed(self) -> bool:
        """Whether anything was done."""
        return self.before.revision != self.after or not self.before.versioned


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, connect_args={"options": "-c timezone=UTC"})
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver leaves transactions to us: BEGIN below covers DDL too
        for pragma in ("journal_mode=WAL", "foreign_keys=OFF", "busy_timeout=10000", "synchronous=FULL"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock first: no writer can slip in between

    return engine


def _config(conn: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.set_main_option("file_template", "v%%(rev)s_%%(slug)s")  # a module name: a letter first
    config.attributes["connection"] = conn
    return config


def status(url: str) -> StoredSchema:
    """The database's revision as stored (or told by its columns)."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return stored_schema(conn.connection.dbapi_connection, conn.dialect.name)
    finally:
        engine.dispose()


def upgrade(url: str, *, target: str = HEAD) -> Upgraded:
    """Bring the database to `target` (HEAD) in one transaction; a 0.1.0 database is first recorded as revision
    0001. An empty database gets every table by running every migration (`ogi init` then adds the agency)."""
    from alembic import command

    engine = _engine(url)
    try:
        with engine.begin() as conn:
            before = stored_schema(conn.connection.dbapi_connection, conn.dialect.name)
            if not (before.empty or before.behind or before.current):
                raise SchemaMismatch(schema_problem(before) or "")
            if before.current or (before.versioned and before.revision == target):
                return Upgraded(before, before.revision or HEAD, 0)
            config = _config(conn)
            if not before.versioned and before.revision is not None:
                command.stamp(config, before.revision)
            command.upgrade(config, target)
            if conn.dialect.name == "sqlite":
                broken = conn.execute(text("PRAGMA foreign_key_check")).fetchall()
                if broken:
                    raise SchemaMismatch(f"升级后有 {len(broken)} 行引用了不存在的记录（表 {broken[0][0]}），"
                                         "已撤销升级，数据库未作改动")
            return Upgraded(before, target, int(config.attributes.get("sealed", 0)))
    finally:
        engine.dispose()


def script_heads() -> tuple[str, ...]:
    """The revisions in versions/, oldest first (a test compares them with REVISIONS)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(_HERE))
    return tuple(reversed([s.revision for s in script.walk_revisions()]))




def autogenerate(revision_id: str, message: str) -> None:
    """Developers: write versions/v<id>_<message>.py from what the models add to HEAD (review it before committing).

    `python -m workflow.migrations.runner 0003 "indexes for scale"`; then append "0003" to REVISIONS.
    """
    import tempfile

    from alembic import command

    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'head.db'}"
        upgrade(url)
        engine = _engine(url)
        with engine.begin() as conn:
            command.revision(_config(conn), message=message, autogenerate=True, rev_id=revision_id)
        engine.dispose()


if __name__ == "__main__":
    import sys

    autogenerate(sys.argv[1], sys.argv[2])
