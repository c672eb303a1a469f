"""Database setup: SQLite (WAL) by default at ./ogi.db, any SQLAlchemy URL (PostgreSQL) by --db or OGI_DB."""

import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlmodel import Session, SQLModel, create_engine

from workflow import models  # noqa: F401 - registers every table before create_all
from workflow.errors import SchemaMismatch
from workflow.migrations import HEAD, RELEASE_0_1_0, REVISIONS

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


def append_only_statements(dialect: str) -> list[str]:
    """The DDL that makes the event tables (cases and appeals) refuse every UPDATE and DELETE."""
    return _APPEND_ONLY_SQLITE if dialect == "sqlite" else _APPEND_ONLY_POSTGRES


def resolve_url(db: str | None = None) -> str:
    """`--db` wins, then OGI_DB, then ./ogi.db; a bare path means a SQLite file."""
    value = db or os.environ.get("OGI_DB") or DEFAULT_URL
    return value if "://" in value else f"sqlite:///{value}"


SUPPORTED = "SQLite（文件路径或 sqlite:///路径）或 PostgreSQL（postgresql+psycopg://用户@主机/库名）"


_PASSWORDS = (re.compile(r"(://[^/?#@]*?:)[^/?#@]*@"), re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE))


def without_passwords(text: str) -> str:
    """`text` with every password a URL (`://user:secret@`) or a libpq string (`password=secret`) holds masked."""
    for pattern in _PASSWORDS:
        text = pattern.sub(r"\1***@" if pattern is _PASSWORDS[0] else r"\1***", text)
    return text


def shown_url(url: str) -> str:
    """A database URL as it may be shown: never with its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return without_passwords(url)


def url_problem(url: str) -> str | None:
    """Why `url` names no database ogi can use (None when it names one)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        port = "（端口须为数字）" if isinstance(exc, ValueError) else ""
        return f"无法打开数据库：地址 {without_passwords(url)!r} 无法解析{port}，应为 {SUPPORTED}"
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        return f"无法打开数据库 {shown_url(url)}：不支持 {parsed.get_backend_name()}，ogi 使用 {SUPPORTED}"
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() not in ("psycopg", "psycopg2"):
        return f"无法打开数据库 {shown_url(url)}：PostgreSQL 请用 postgresql+psycopg:// 连接"
    return None


_SERVER_REASONS = (
    ("Connection refused", "连接被拒绝（数据库服务器未启动，或主机、端口不对）"),
    ("password authentication failed", "用户名或密码不正确"),
    ("no password supplied", "服务器要求密码，但地址中没有给出"),
    ("does not exist", "服务器上没有这个数据库或用户（请先建库）"),
    ("timeout expired", "连接超时（检查网络和防火墙）"),
    ("could not translate host name", "无法解析主机名"),
)


READ_ERRORS = (ValueError, TypeError)  # what SQLAlchemy's reading of a stored date, time or JSON raises


def unreadable_value(exc: BaseException) -> bool:
    """Whether `exc` (one of `READ_ERRORS`) was raised while SQLAlchemy turned fetched rows into values: a stored
    date, time or JSON that is none (a record altered or damaged), not a fault of the command."""
    if not isinstance(exc, READ_ERRORS):
        return False
    frames, tb = [], exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_filename.replace("\\", "/"))
        tb = tb.tb_next
    return any("sqlalchemy/engine/" in name and "result" in name for name in frames)


UNREADABLE = "数据库中有无法读取的值（{reason}）：记录可能被改动或损坏，请运行 ogi verify 核对，必要时从备份恢复"


def failure_text(exc: SQLAlchemyError) -> str:
    """A database failure in Chinese, with the driver's own reason but never the SQL, its parameters (they
    may hold applicants' names) or a password."""
    reason = without_passwords(str(getattr(exc, "orig", None) or str(exc)).strip().split("\n", 1)[0])
    if "no such table" in reason or ("does not exist" in reason and "relation" in reason):
        return ("数据库尚未初始化或缺少本版本的表：新数据库请运行 ogi init --agency 机关名称；"
                "已有数据库请先备份，再运行 ogi db upgrade")
    column = re.search(r"no such column: (\S+)|column (\S+) does not exist", reason)
    if column:
        return (f"数据库由较早版本的 ogi 建立，缺少本版本需要的列（{column[1] or column[2]}）："
                "请先备份，再运行 ogi db upgrade 升级数据库结构（见 docs/operations.md）")
    if "file is not a database" in reason or "database disk image is malformed" in reason:
        return "该文件不是 ogi 的 SQLite 数据库（或已损坏）：请用 --db 指定正确的数据库文件"
    if "readonly database" in reason or "read-only" in reason:
        return "数据库是只读的，不能保存任何修改（查看类命令仍可使用）：请检查数据库文件及其目录的写权限"
    if "unable to open database file" in reason:
        return "无法打开数据库文件：请检查路径中的目录是否存在、是否有读写权限"
    if isinstance(exc, OperationalError):
        for known, chinese in _SERVER_REASONS:
            if known in reason:
                return f"无法连接数据库服务器：{chinese}"
        return f"无法访问数据库：{reason}"
    return f"数据库错误：{reason}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    _shared_pragmas(cursor)


def _read_only_pragmas(dbapi_connection: Any, _record: Any) -> None:
    _shared_pragmas(dbapi_connection.cursor())  # the journal mode is the file's own: it cannot be changed


def _shared_pragmas(cursor: Any) -> None:
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # A committed action survives a power cut, not only a crash of the process (docs/performance.md: the cost).
    cursor.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
    cursor.close()


SYNCHRONOUS = "FULL"
PRIVATE = 0o600  # the database, its -wal and -shm files, backups: readable by the owner only
SIDE_FILES = ("-wal", "-shm", "-journal")


def database_file_of(url: str, path: Path) -> Path | None:
    """The SQLite file of `url` when `path` is that file or one of its -wal, -shm or -journal files, else None.

    Paths are compared resolved (symbolic links, `..`) and, where both exist, as the same file (hard links).
    """
    database = sqlite_file(url)
    if database is None:
        return None
    target = path.resolve()
    for suffix in ("", *SIDE_FILES):
        candidate = Path(f"{database.resolve()}{suffix}")
        if target == candidate:
            return database
        try:
            if target.exists() and candidate.exists() and os.path.samefile(target, candidate):
                return database
        except OSError:
            continue
    return None


def create_private(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists (an empty file is an empty SQLite database).

    `os.open`'s mode is narrowed by the umask, never widened, so no moment exists when another user could open
    it; SQLite then gives the -wal and -shm files the database file's own permissions.
    """
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))


def tighten(path: Path) -> None:
    """Make the -wal and -shm files of a private database private too (if an older ogi made them wider)."""
    try:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            return  # a database the operator shares on purpose: its side files follow it
        for suffix in SIDE_FILES:
            side = Path(f"{path}{suffix}")
            if side.exists() and stat.S_IMODE(side.stat().st_mode) & 0o077:
                side.chmod(PRIVATE)
    except OSError:
        pass  # another user's files: SQLite gives them the database's mode anyway


def shared_with_others(path: Path) -> bool:
    """Whether users other than the owner may read or write the database file."""
    try:
        return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)
    except OSError:
        return False


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database, an in-memory one or a `file:` URI)."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" and not database.startswith("file:") else None


@dataclass(frozen=True)
class StoredSchema:
    """Which revision of the schema a database holds (workflow/migrations/), as read from it."""

    revision: str | None  # None: no table of ogi, or tables whose version cannot be told
    versioned: bool  # whether alembic_version says so; False: ogi 0.1.0 (or earlier code), told by its columns
    empty: bool = False  # no table of ogi at all: `ogi init` may create the schema

    @property
    def current(self) -> bool:
        """Whether this code can work on it as it is."""
        return self.versioned and self.revision == HEAD

    @property
    def behind(self) -> bool:
        """Whether `ogi db upgrade` can bring it to this code's schema."""
        return not self.empty and self.revision in REVISIONS and not self.current


_COLUMNS = {"sqlite": "SELECT name FROM pragma_table_info(?)",
            "postgresql": "SELECT column_name FROM information_schema.columns "
                          "WHERE table_schema = current_schema() AND table_name = %s"}
_TABLES = {"sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
           "postgresql": "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"}


def stored_schema(dbapi_connection: Any, dialect: str) -> StoredSchema:
    """Read the schema's revision from a driver connection (cheap: a few catalog rows, no Alembic).

    A database without alembic_version was made before migrations existed: ogi 0.1.0's has no `agency.code`; one
    made by later code without migrations already has the columns of revision 0002.
    """
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(_TABLES[dialect])
        tables = {row[0] for row in cursor.fetchall()}
        if "alembic_version" in tables:
            cursor.execute("SELECT version_num FROM alembic_version")
            rows = cursor.fetchall()
            return StoredSchema(rows[0][0] if len(rows) == 1 else None, versioned=True)
        if "agency" not in tables:
            return StoredSchema(None, versioned=False, empty=True)

        def columns(table: str) -> set[str]:
            cursor.execute(_COLUMNS[dialect], (table,))
            return {row[0] for row in cursor.fetchall()}

        if "code" not in columns("agency"):
            return StoredSchema(RELEASE_0_1_0, versioned=False)
        unversioned = "0002" if "case_number" in tables and "hash" in columns("event") else None
        return StoredSchema(unversioned, versioned=False)
    finally:
        cursor.close()


def schema_problem(stored: StoredSchema) -> str | None:
    """Why this code may not work on a database of that schema, in Chinese (None when it may)."""
    if stored.current or stored.empty:
        return None
    upgrade = "请先备份数据库（ogi backup，PostgreSQL 用 pg_dump），再运行 ogi db upgrade 升级（见 docs/operations.md）"
    if stored.behind and not stored.versioned and stored.revision == RELEASE_0_1_0:
        return f"数据库由 ogi 0.1.0 建立，其结构比本版本旧：{upgrade}"
    if stored.behind and not stored.versioned:
        return f"数据库由尚未记录结构版本的 ogi 建立：请运行 ogi db upgrade 记录其版本（{HEAD}）后再使用"
    if stored.behind:
        return f"数据库结构版本为 {stored.revision}，比本版本 ogi 需要的 {HEAD} 旧：{upgrade}"
    if stored.versioned:
        return (f"数据库结构版本为 {stored.revision}，本版本 ogi 不认识（最新为 {HEAD}）：它可能已由较新版本的 ogi "
                "升级，请使用该版本或更新的 ogi，不要用本版本写入")
    return ("数据库中有 ogi 的表，但没有结构版本记录，也不是 ogi 0.1.0 的结构，无法自动升级："
            "请用 --db 确认数据库是否正确，或从备份恢复")


class Database:
    """An engine plus the one way to run a unit of work on it.

    A SQLite file this process may not write (an archived copy, a read-only mount) is opened read-only:
    every command that only reads works, and one that writes is refused in Chinese.

    The first connection checks the schema's revision (`check_schema`): a database behind the code (or ahead
    of it) is refused with SchemaMismatch, before any command reads or writes it. `ogi db` and `ogi backup`
    open it without the check.
    """

    def __init__(self, url: str, *, check_schema: bool = True) -> None:
        self.url = url
        self._schema_checked = not check_schema
        if url.startswith("sqlite"):
            path = sqlite_file(url)
            if path is not None and path.exists() and not (os.access(path, os.W_OK)
                                                           and os.access(path.parent, os.W_OK)):
                # immutable: with no right to write the directory, SQLite could not make the WAL index
                extra = "" if os.access(path.parent, os.W_OK) else "&immutable=1"
                self.engine: Engine = create_engine(f"sqlite:///file:{path.resolve()}?mode=ro{extra}&uri=true",
                                                    connect_args={"check_same_thread": False})
                event.listen(self.engine, "connect", _read_only_pragmas)
            else:
                self.engine = create_engine(url, connect_args={"check_same_thread": False})
                event.listen(self.engine, "connect", _sqlite_pragmas)
                if path is not None:
                    event.listen(self.engine, "do_connect", lambda *_: create_private(path))
                    event.listen(self.engine, "connect", lambda *_: tighten(path))  # after WAL made its files
        else:
            # Timestamps are stored as UTC wall time (the columns carry no zone) whatever the server's TimeZone.
            self.engine = create_engine(url, pool_pre_ping=True, connect_args={"options": "-c timezone=UTC"})
        if check_schema:
            event.listen(self.engine, "connect", self._check_schema)

    def _check_schema(self, dbapi_connection: Any, _record: Any) -> None:
        """Once per process (the first connection that finds it right): refuse a schema this code cannot use."""
        if self._schema_checked:
            return
        dialect = self.engine.dialect.name
        stored = stored_schema(dbapi_connection, dialect)
        if dialect != "sqlite":
            dbapi_connection.rollback()  # end the transaction the catalog queries opened
        problem = schema_problem(stored)
        if problem is not None:
            raise SchemaMismatch(problem)
        self._schema_checked = True

    @property
    def is_sqlite(self) -> bool:
        """SQLite has no row locks: concurrency rests on the optimistic version check."""
        return self.engine.dialect.name == "sqlite"

    def create_schema(self) -> None:
        """On an empty database: every table at the newest revision, the event tables append-only, the revision
        recorded (one transaction). On a database at that revision: nothing (the connection checked it).

        The tables come from the models (`create_all`); tests/integration/test_migrations.py proves that running
        every migration gives the same schema.
        """
        with self.engine.begin() as conn:
            stored = stored_schema(conn.connection.dbapi_connection, conn.dialect.name)
            if not stored.empty:
                problem = schema_problem(stored)
                if problem is not None:
                    raise SchemaMismatch(problem)
                return
            SQLModel.metadata.create_all(conn)
            for statement in append_only_statements(conn.dialect.name):
                conn.execute(text(statement))
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                              "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))  # as Alembic makes it
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": HEAD})

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
