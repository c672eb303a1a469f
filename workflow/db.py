"""Database setup: SQLite (WAL) by default at ./ogi.db, any SQLAlchemy URL (PostgreSQL) by --db or OGI_DB."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session, SQLModel, create_engine

from workflow import models  # noqa: F401 - registers every table before create_all

DEFAULT_URL = "sqlite:///ogi.db"

_APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS event_no_update BEFORE UPDATE ON event "
    "BEGIN SELECT RAISE(ABORT, 'event log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS event_no_delete BEFORE DELETE ON event "
    "BEGIN SELECT RAISE(ABORT, 'event log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS appeal_event_no_update BEFORE UPDATE ON appeal_event "
    "BEGIN SELECT RAISE(ABORT, 'event log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS appeal_event_no_delete BEFORE DELETE ON appeal_event "
    "BEGIN SELECT RAISE(ABORT, 'event log is append-only'); END",
]
_APPEND_ONLY_POSTGRES = [
    "CREATE OR REPLACE FUNCTION event_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'event log is append-only'; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS event_append_only ON event",
    "CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event "
    "FOR EACH ROW EXECUTE FUNCTION event_append_only()",
    "DROP TRIGGER IF EXISTS appeal_event_append_only ON appeal_event",
    "CREATE TRIGGER appeal_event_append_only BEFORE UPDATE OR DELETE ON appeal_event "
    "FOR EACH ROW EXECUTE FUNCTION event_append_only()",
]


def resolve_url(db: str | None = None) -> str:
    """`--db` wins, then OGI_DB, then ./ogi.db; a bare path means a SQLite file."""
    value = db or os.environ.get("OGI_DB") or DEFAULT_URL
    return value if "://" in value else f"sqlite:///{value}"


def failure_text(exc: SQLAlchemyError) -> str:
    """A database failure in Chinese, with the driver's own reason but never the SQL or its parameters
    (they may hold applicants' names)."""
    reason = str(getattr(exc, "orig", None) or str(exc).split("\n", 1)[0]).strip()
    if isinstance(exc, OperationalError):
        if "no such table" in reason or ("does not exist" in reason and "relation" in reason):
            return "数据库尚未初始化或缺少新版本的表：请运行 ogi init --agency 机关名称（可重复运行，会补建缺少的表）"
        return f"无法访问数据库：{reason}"
    return f"数据库错误：{reason}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """An engine plus the one way to run a unit of work on it."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            self.engine: Engine = create_engine(url, connect_args={"check_same_thread": False})
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)

    @property
    def is_sqlite(self) -> bool:
        """SQLite has no row locks: concurrency rests on the optimistic version check."""
        return self.engine.dialect.name == "sqlite"

    def create_schema(self) -> None:
        """Create every table (idempotent) and make the event tables (cases and appeals) append-only."""
        SQLModel.metadata.create_all(self.engine)
        statements = _APPEND_ONLY_SQLITE if self.is_sqlite else _APPEND_ONLY_POSTGRES
        with self.engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: commit when the block ends, roll back on any exception."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
