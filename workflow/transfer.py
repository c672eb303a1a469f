"""`ogi export`: every table of the records as versioned JSON lines, readable by `ogi restore` into either database.

The file (UTF-8, one JSON object a line):

    line 1       the header: {"format": "ogi-export", "version": 1, "app_version", "exported_at", "source":
                 {"dialect", "revision"}, "with_secrets", "tables": [{"name", "columns", "rows"}, …]}
    lines 2…     one row each, {"table": name, "row": {column: value}}, the tables in dependency order (a row
                 only refers to rows above it), each table's rows by primary key
    last line    the trailer: {"end": true, "rows": total, "sha256": hex digest of every byte above it}

Values are JSON's own, except dates ("2025-03-04") and timestamps (ISO 8601 in UTC with its offset, to the
microsecond), decoded by the column's type. The whole file is read in one snapshot of the database, row by row
(never all in memory), and written beside the target first, so that a failure leaves no half file behind.
"""

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Column, Connection, MetaData, Table, func, inspect, select, text
from sqlalchemy.types import JSON, Boolean, Date, DateTime, Float, Integer, String, TypeDecorator, TypeEngine
from sqlmodel import SQLModel

from workflow.backup import refuse_target, sync_directory
from workflow.db import PRIVATE, Database
from workflow.errors import InputError, WorkflowError
from workflow.progress import Progress, silent
from workflow.textfiles import os_problem

__all__ = ["FORMAT", "VERSION", "Codec", "ExportResult", "app_version", "codec", "export", "is_secret",
           "model_tables", "schema_revision", "snapshot"]

FORMAT = "ogi-export"
VERSION = 1  # raise it when a reader of the old version could no longer read the new files
_BATCH = 5000  # rows fetched (and later inserted) at a time
# Columns that hold credentials: left out unless --with-secrets. Marked `info={"secret": True}` on the column, or
# named like one (a future `user.password_hash` is covered without anyone remembering this module).
_SECRET_NAME = re.compile(r"password|secret|token|credential|api_?key|private_?key", re.IGNORECASE)


def is_secret(column: Column[Any]) -> bool:
    """Whether a column holds a credential (a password hash, a channel's secret)."""
    return bool(column.info.get("secret")) or bool(_SECRET_NAME.search(column.name))


def model_tables(metadata: MetaData | None = None) -> list[Table]:
    """Every table of the records (workflow/models.py), each after the tables its rows refer to."""
    return list((metadata or SQLModel.metadata).sorted_tables)


def app_version() -> str:
    """The installed ogi's version."""
    try:
        return package_version("ogi-workflow")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class Codec:
    """How one column's values are written to the file and read back; null stays null both ways.

    `write` and `read` are None where the value is JSON's own; `kind` is the JSON type a value read must have
    (None: any JSON, for JSON columns), `label` what it should be, in Chinese. `read` raises ValueError.
    """

    write: Callable[[Any], Any] | None
    read: Callable[[Any], Any] | None
    kind: type | None
    label: str

    def check(self, value: Any) -> Any:
        """`value` as read from the file for this column (not null), or ValueError saying what is wrong."""
        if self.kind is not None and type(value) is not self.kind and not (self.kind is float and type(value) is int):
            raise ValueError(f"应为{self.label}，而不是 {json.dumps(value, ensure_ascii=False)[:40]}")
        return value if self.read is None else self.read(value)


def _write_moment(value: datetime) -> str:
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _read_moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"时间 {value!r} 无效（应为 ISO 8601，如 2025-03-04T02:15:00.123456+00:00）") from None
    if moment.tzinfo is None:
        raise ValueError(f"时间 {value!r} 没有时区")
    return moment.astimezone(UTC)


def _write_day(value: date) -> str:
    return value.isoformat()


def _read_day(value: str) -> date:
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError(f"日期 {value!r} 无效（应为 YYYY-MM-DD 格式的真实日期）")


def _base_type(kind: TypeEngine[Any]) -> TypeEngine[Any]:
    return kind.impl_instance if isinstance(kind, TypeDecorator) else kind


def codec(column: Column[Any]) -> Codec:
    """The codec of a column, by its type."""
    kind = _base_type(column.type)
    if isinstance(kind, DateTime):
        return Codec(_write_moment, _read_moment, str, "带时区的时间字符串")
    if isinstance(kind, Date):
        return Codec(_write_day, _read_day, str, "日期字符串 YYYY-MM-DD")
    if isinstance(kind, JSON):
        return Codec(None, None, None, "JSON")
    if isinstance(kind, Boolean):
        return Codec(None, None, bool, " true 或 false")
    if isinstance(kind, Integer):
        return Codec(None, None, int, "整数")
    if isinstance(kind, Float):
        return Codec(None, None, float, "数值")
    if isinstance(kind, String):
        return Codec(None, None, str, "字符串")
    # A new column type: give it a codec here (tests/integration/test_transfer.py exports every column).
    raise TypeError(f"no export codec for {column.table.name}.{column.name} ({column.type!r})")


def schema_revision(conn: Connection) -> str | None:
    """The schema's migration revision (Alembic's `alembic_version`), None for a schema made without migrations."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


@contextmanager
def snapshot(db: Database) -> Iterator[Connection]:
    """A connection that reads one consistent snapshot of everything committed, and writes nothing.

    SQLite: an explicit BEGIN (the driver would otherwise give every SELECT a snapshot of its own). PostgreSQL:
    REPEATABLE READ, READ ONLY. Other processes keep writing meanwhile.
    """
    with db.engine.connect() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("BEGIN")
        else:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        try:
            yield conn
        finally:
            conn.rollback()


@dataclass(frozen=True)
class ExportResult:
    """The file written: where, how big, what it holds, and which secret columns it left out."""

    path: Path
    size: int
    rows: dict[str, int]  # table → rows
    with_secrets: bool
    left_out: tuple[str, ...]  # "table.column" of every secret column not written

    @property
    def total(self) -> int:
        """Rows of every table."""
        return sum(self.rows.values())


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # one, not one per line


class _Writer:
    """Lines appended to the file, each also fed to the checksum the trailer carries."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f, self.digest, self.size = f, hashlib.sha256(), 0

    def line(self, record: Any) -> None:
        data = (_ENCODER.encode(record) + "\n").encode("utf-8")
        self.f.write(data)
        self.digest.update(data)
        self.size += len(data)


def _header(conn: Connection, tables: list[Table], columns: dict[str, list[str]], counts: dict[str, int],
            with_secrets: bool) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "app_version": app_version(),
            "exported_at": _write_moment(datetime.now(UTC)),
            "source": {"dialect": conn.dialect.name, "revision": schema_revision(conn)},
            "with_secrets": with_secrets,
            "tables": [{"name": t.name, "columns": columns[t.name], "rows": counts[t.name]} for t in tables]}


def _write_all(db: Database, out: _Writer, tables: list[Table], with_secrets: bool,
               progress: Progress) -> dict[str, int]:
    with snapshot(db) as conn:
        counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}
        kept = {t.name: [c for c in t.columns if with_secrets or not is_secret(c)] for t in tables}
        out.line(_header(conn, tables, {n: [c.name for c in cs] for n, cs in kept.items()}, counts, with_secrets))
        total, done = sum(counts.values()), 0
        progress(0, total)
        for table in tables:
            names = [c.name for c in kept[table.name]]
            converted = [(i, c.name, write) for i, c in enumerate(kept[table.name])
                         if (write := codec(c).write) is not None]
            query = select(*kept[table.name]).order_by(*table.primary_key.columns)
            written = 0
            for row in conn.execution_options(yield_per=_BATCH).execute(query):
                values = dict(zip(names, row, strict=True))
                for i, name, write in converted:
                    if row[i] is not None:
                        values[name] = write(row[i])
                out.line({"table": table.name, "row": values})
                written += 1
                if written % _BATCH == 0:
                    progress(done + written, total)
            if written != counts[table.name]:  # cannot happen in one snapshot; a file that lies is worse than none
                raise WorkflowError(f"导出表 {table.name} 时读到 {written} 行，计数为 {counts[table.name]} 行：请重试")
            done += written
        progress(done, total)
    out.line({"end": True, "rows": done, "sha256": out.digest.hexdigest()})
    return counts


def export(db: Database, target: Path, *, with_secrets: bool = False, force: bool = False,
           progress: Progress = silent, metadata: MetaData | None = None) -> ExportResult:
    """Write every table to `target` (mode 0600) from one snapshot; an existing file only with `force`.

    Secret columns (`is_secret`) are left out unless `with_secrets`. `metadata` is for tests (default: the models).
    """
    refuse_target(db, target, force, "导出")
    tables = model_tables(metadata)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with suppress(FileNotFoundError):
            partial.unlink()  # left by an earlier export of this process id that was killed
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE), "wb", 1 << 20) as f:
            out = _Writer(f)
            counts = _write_all(db, out, tables, with_secrets, progress)
            f.flush()
            os.fsync(f.fileno())
        if force:
            os.replace(partial, target)
        else:
            os.link(partial, target)  # fails if the file appeared meanwhile: never overwrite without --force
        sync_directory(target.parent)
    except FileExistsError:
        raise InputError(f"文件 {target} 已存在，未覆盖：请换一个文件名，或加 --force 覆盖") from None
    except OSError as exc:
        raise WorkflowError(f"无法写入导出文件 {target}：{os_problem(exc)}") from exc
    finally:
        with suppress(OSError):
            partial.unlink()
    target.chmod(PRIVATE)
    left_out = () if with_secrets else tuple(f"{t.name}.{c.name}" for t in tables for c in t.columns if is_secret(c))
    return ExportResult(target, out.size, counts, with_secrets, left_out)


