"""`ogi restore`: an export file (workflow/transfer.py) into an empty database of either kind, all or nothing.

The header is checked before the database is touched; the schema is created the way `ogi init` creates it
(`Database.create_schema`); then every row is inserted with its primary key, in one transaction that commits only
when the trailer's row count and checksum match what was read (a file cut short, reordered or altered restores
nothing). PostgreSQL's id sequences are moved past the highest id. Then `ogi verify` checks the result: the hash
chains are copied verbatim, so a faithful restore verifies clean.
"""

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Column, Connection, MetaData, Table, func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from workflow.bulk import bulk_insert
from workflow.db import SIDE_FILES, Database, shown_url, sqlite_file, without_passwords
from workflow.errors import InputError, WorkflowError
from workflow.progress import Progress, silent
from workflow.textfiles import os_problem
from workflow.transfer import FORMAT, VERSION, Codec, app_version, codec, model_tables
from workflow.verify import Verification, verify

__all__ = ["RestoreResult", "restore"]

_BATCH = 5000  # rows inserted by one executemany


@dataclass(frozen=True)
class RestoreResult:
    """What was restored from where, and what `ogi verify` then found."""

    path: Path
    rows: dict[str, int]  # table → rows restored
    exported_at: str
    exported_by: str  # the ogi version that wrote the file
    source: str  # the database it came from: sqlite or postgresql
    with_secrets: bool
    verification: Verification

    @property
    def total(self) -> int:
        """Rows of every table."""
        return sum(self.rows.values())


@dataclass
class _Part:
    """One table of the file: its columns as written, how to read each, and how many rows it announces."""

    table: Table
    columns: list[str]
    readers: list[tuple[str, Codec, bool]]  # (column, its codec, nullable)
    missing: dict[str, Any]  # columns of the table the file does not have, with their values (null or the default)
    rows: int
    seen: int = 0

    def __post_init__(self) -> None:
        self.names = frozenset(self.columns)


class _File:
    """The export file line by line: each line's number, the checksum of the lines read, refusals naming the line."""

    def __init__(self, path: Path, f: IO[bytes]) -> None:
        self.path, self.f, self.number, self.digest = path, f, 0, hashlib.sha256()

    def refuse(self, message: str, line: int | None = None, last: int | None = None) -> InputError:
        """The refusal of the file at `line` (or lines `line`–`last`; by default the line just read)."""
        line = line if line is not None else self.number
        where = f"第 {line} 行" if last is None or last == line else f"第 {line}–{last} 行"
        return InputError(f"{self.path} {where}：{message}；数据库未做任何改动")

    def records(self) -> Iterator[dict[str, Any]]:
        """Each line's JSON object (the checksum is updated after the record is handed out, see `seal`)."""
        for raw in self.f:
            self.number += 1
            if not raw.endswith(b"\n"):
                raise self.refuse("该行不完整：文件在此处被截断（导出或复制没有完成）")
            try:
                record = json.loads(raw)
            except ValueError:
                raise self.refuse("不是有效的 JSON（文件已损坏，或不是 ogi export 导出的文件）") from None
            if not isinstance(record, dict):
                raise self.refuse("不是一条记录（应为 JSON 对象）")
            yield record
            self.digest.update(raw)


_REQUIRED = object()


def _filled(column: Column[Any]) -> Any:
    """What a column the file lacks (an export older than the column) gets: its constant default, or null."""
    default = column.default
    if isinstance(default, ScalarElementColumnDefault):
        return default.arg
    return None if column.nullable else _REQUIRED


def _plan(file: _File, header: dict[str, Any], metadata: MetaData | None) -> list[_Part]:
    """The tables of the file, checked against this version's tables; a file from a newer ogi is refused."""
    if header.get("format") != FORMAT:
        raise file.refuse("不是 ogi export 导出的文件（第一行应为导出文件的开头）", 1)
    version = header.get("version")
    if type(version) is not int or version < 1:
        raise file.refuse(f"导出格式版本 {version!r} 无法识别", 1)
    if version > VERSION:
        raise file.refuse(f"该文件由较新版本的 ogi（{header.get('app_version', '?')}）导出，格式版本 {version}；"
                          f"本版本（{app_version()}）只能读取格式版本 {VERSION}：请先升级 ogi 再恢复", 1)
    known = {t.name: t for t in model_tables(metadata)}
    parts: list[_Part] = []
    entries = header.get("tables")
    for entry in entries if isinstance(entries, list) else [None]:
        if not (isinstance(entry, dict) and isinstance(entry.get("columns"), list)
                and all(isinstance(c, str) for c in entry["columns"])
                and type(entry.get("rows")) is int and entry["rows"] >= 0):
            raise file.refuse("文件开头的表清单不完整或已损坏", 1)
        name, columns, rows = entry.get("name"), entry["columns"], entry["rows"]
        if name not in known:
            raise file.refuse(f"文件中有本版本的 ogi 没有的表 {name!r}（来自较新版本的 ogi？）：请先升级 ogi 再恢复", 1)
        table = known[name]
        unknown = [c for c in columns if c not in table.c]
        if unknown:
            raise file.refuse(f"表 {name} 有本版本的 ogi 没有的列 {'、'.join(unknown)}（来自较新版本的 ogi？）："
                              "请先升级 ogi 再恢复", 1)
        absent = {c.name: _filled(c) for c in table.columns if c.name not in columns}
        required = [c for c, value in absent.items() if value is _REQUIRED]
        if required:
            raise file.refuse(f"表 {name} 缺少不能为空的列 {'、'.join(required)}", 1)
        parts.append(_Part(table, columns, [(c, codec(table.c[c]), bool(table.c[c].nullable)) for c in columns],
                           absent, rows))
    return parts


def _stored(conn: Connection, tables: list[Table]) -> dict[str, int]:
    """The tables of the records that already hold rows, and how many."""
    existing = set(inspect(conn).get_table_names())
    counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
              for t in tables if t.name in existing}
    return {name: n for name, n in counts.items() if n}


_COUNTED = {"agency": "个机关", "user": "个用户", "application": "件案件", "event": "条办理记录"}


def _refuse_unless_empty(db: Database, stored: dict[str, int]) -> None:
    if stored:
        named = [f"{stored[t]} {label}" for t, label in _COUNTED.items() if t in stored]
        held = "、".join(named or [f"{name} 表 {n} 行" for name, n in list(stored.items())[:3]])
        raise InputError(f"数据库 {shown_url(db.url)} 不是空的（已有 {held}等）："
                         "ogi restore 只恢复到空数据库，以免与已有的记录混在一起。请新建一个空数据库"
                         "（SQLite：--db 指定一个新文件名；PostgreSQL：createdb 新库名），不要先运行 ogi init；"
                         "数据库未做任何改动")


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """PostgreSQL: each table's id sequence continues after the highest id restored (SQLite needs nothing)."""
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        highest = f"(SELECT MAX({quote.quote(column.name)}) FROM {quote.format_table(table)})"
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence(:table, :column), COALESCE({highest}, 0) + 1, false)"),
                     {"table": quote.format_table(table), "column": column.name})


def _copy_in(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: the rows by COPY … FROM STDIN, each value through its column type's bind processor (as an INSERT
    would send it); several times faster than executemany of INSERTs."""
    names = list(rows[0])
    processors = [table.c[n].type._cached_bind_processor(conn.dialect) for n in names]
    quote = conn.dialect.identifier_preparer
    statement = f"COPY {quote.format_table(table)} ({', '.join(quote.quote(n) for n in names)}) FROM STDIN"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = [row[n] for n in names]  # by name: a line may list its columns in any order
            copy.write_row([v if p is None or v is None else p(v) for v, p in zip(values, processors, strict=True)])


def _insert(file: _File, conn: Connection, part: _Part, rows: list[dict[str, Any]], first: int) -> None:
    driver_error = getattr(conn.dialect.loaded_dbapi, "Error", SQLAlchemyError)
    try:
        if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
            _copy_in(conn, part.table, rows)
        else:
            bulk_insert(conn, part.table, rows, chunk=_BATCH)
    except (SQLAlchemyError, driver_error) as exc:
        reason = without_passwords(str(getattr(exc, "orig", None) or exc).strip().split("\n", 1)[0])
        last = first + len(rows) - 1  # a table's rows are consecutive lines
        raise file.refuse(f"写入表 {part.table.name} 时被数据库拒绝（{reason}）", first, last) from None
    rows.clear()


def _row(file: _File, part: _Part, row: Any) -> dict[str, Any]:
    """The row of one line, its values checked and converted for the table (the parsed dict itself, completed)."""
    if not isinstance(row, dict) or row.keys() != part.names:
        got = set(row) if isinstance(row, dict) else set()
        problem = "、".join([*(f"缺少列 {c}" for c in part.columns if c not in got),
                            *(f"多出列 {c}" for c in got if c not in part.names)]) or "应为 JSON 对象"
        raise file.refuse(f"表 {part.table.name} 的记录{problem}")
    for name, column, nullable in part.readers:
        value = row[name]
        if value is None:
            if not nullable:
                raise file.refuse(f"表 {part.table.name} 的列 {name} 不能为空")
            continue
        try:
            row[name] = column.check(value)
        except ValueError as exc:
            raise file.refuse(f"表 {part.table.name} 的列 {name}：{exc}") from None
    row.update(part.missing)
    return row


def _load(file: _File, records: Iterator[dict[str, Any]], conn: Connection, parts: list[_Part],
          progress: Progress) -> None:
    """Insert every row after the header in file order; refuse at the first line that is wrong."""
    index = {p.table.name: i for i, p in enumerate(parts)}
    total = sum(p.rows for p in parts)
    batch: list[dict[str, Any]] = []
    current, first, done = 0, 0, 0
    progress(0, total)

    def complete(upto: int) -> None:
        for part in parts[current:upto]:
            if part.seen != part.rows:
                raise file.refuse(f"表 {part.table.name} 应有 {part.rows} 行，文件中只有 {part.seen} 行")

    for record in records:
        if "end" in record:
            if batch:
                _insert(file, conn, parts[current], batch, first)
            complete(len(parts))
            if record.get("rows") != done or record.get("sha256") != file.digest.hexdigest():
                raise file.refuse("文件内容与结尾记录中的行数或校验和不符：文件被改动或损坏")
            if next(records, None) is not None:
                raise file.refuse("结尾记录之后还有内容")
            progress(done, total)
            return
        name = record.get("table")
        at = index.get(name) if isinstance(name, str) else None
        if at is None:
            raise file.refuse(f"表 {name!r} 不在文件开头列出的表中")
        if at != current:
            if at < current:
                raise file.refuse(f"表 {name} 的记录出现在表 {parts[current].table.name} 之后：文件顺序被打乱")
            if batch:
                _insert(file, conn, parts[current], batch, first)
            complete(at)
            current = at
        part = parts[current]
        part.seen += 1
        if part.seen > part.rows:
            raise file.refuse(f"表 {name} 的记录多于文件开头所说的 {part.rows} 行")
        if not batch:
            first = file.number
        batch.append(_row(file, part, record.get("row")))
        done += 1  # noqa: SIM113 - counts rows, not the records (the header and trailer are records too)
        if len(batch) >= _BATCH:
            _insert(file, conn, part, batch, first)
            progress(done, total)
    raise file.refuse("文件在此结束，缺少结尾记录：文件不完整（导出或复制没有完成，或被截断）")


@contextmanager
def _transaction(db: Database) -> Iterator[Connection]:
    """One write transaction for the whole restore (SQLite: BEGIN IMMEDIATE, the write lock from the start)."""
    with db.engine.connect() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"无法读取 {path}：{os_problem(exc)}") from None


def restore(db: Database, source: Path, *, today: date, progress: Progress = silent,
            verify_progress: Progress = silent, metadata: MetaData | None = None) -> RestoreResult:
    """Load the export file `source` into `db`, which must hold no rows; then verify it (`metadata`: for tests).

    All or nothing: any refusal, failure or kill leaves the database without a single restored row (a new
    SQLite file this call created is removed again on a refusal).
    """
    tables = model_tables(metadata)
    database_file = sqlite_file(db.url)
    created = database_file is not None and not database_file.exists()
    try:
        with _open(source) as f:
            file = _File(source, f)
            records = file.records()
            header = next(records, None)
            if header is None:
                raise file.refuse("文件是空的，不是 ogi export 导出的文件", 1)
            parts = _plan(file, header, metadata)
            with db.engine.connect() as conn:
                _refuse_unless_empty(db, _stored(conn, tables))
            db.create_schema()
            with _transaction(db) as conn:
                _refuse_unless_empty(db, _stored(conn, tables))  # nobody wrote since the first look
                _load(file, records, conn, parts, progress)
                _reset_sequences(conn, tables)
    except (WorkflowError, SQLAlchemyError):
        if created and database_file is not None:
            db.dispose()
            for suffix in ("", *SIDE_FILES):
                with suppress(OSError):
                    Path(f"{database_file}{suffix}").unlink()
        raise
    checked = verify(db, today=today, progress=verify_progress)
    return RestoreResult(source, {p.table.name: p.seen for p in parts}, str(header.get("exported_at", "")),
                         str(header.get("app_version", "")), str((header.get("source") or {}).get("dialect", "")),
                         bool(header.get("with_secrets")), checked)
