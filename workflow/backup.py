"""`ogi backup`: a consistent copy of the records while other processes keep writing.

SQLite: the online backup API copies every committed page, the WAL's included, under one read snapshot, so the
copy holds exactly the transactions committed when it started (a file copy of `ogi.db` alone misses what is
still in `ogi.db-wal`). PostgreSQL: `pg_dump` does the same from its own snapshot; ogi says how to run it.
"""

import os
import shlex
import sqlite3
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, make_url

from workflow.db import PRIVATE, SIDE_FILES, Database, create_private, database_file_of, sqlite_file
from workflow.errors import InputError, WorkflowError
from workflow.textfiles import os_problem

__all__ = ["BackupResult", "backup", "pg_dump_advice"]


@dataclass(frozen=True)
class BackupResult:
    """The copy made: where, how big, and what it holds (counted in the copy itself)."""

    path: Path
    size: int
    cases: int
    events: int
    appeal_events: int


def refuse_target(db: Database, target: Path, force: bool, what: str) -> None:
    """Refuse an output file (`what`: 备份、导出…) that is the database in use, a directory, or an existing file
    without `force`."""
    source = database_file_of(db.url, target)
    if source is not None:
        raise InputError(f"{target} 是正在使用的数据库 {source}（或其日志文件），不能作为{what}文件："
                         "请指定另一个文件名")
    if target.is_dir():
        raise InputError(f"{target} 是一个目录：请指定{what}文件名")
    if target.exists() and not force:
        raise InputError(f"文件 {target} 已存在，未覆盖：请换一个文件名，或加 --force 覆盖")


def backup(db: Database, target: Path, *, force: bool = False) -> BackupResult:
    """Copy the SQLite database to `target` (mode 0600) while others write; an existing file only with `force`.

    The copy is made beside the target and moved into place once checked, so a failure leaves no half file.
    """
    source = sqlite_file(db.url)
    if source is None:
        raise WorkflowError(pg_dump_advice(db.url, target))
    refuse_target(db, target, force, "备份")
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with suppress(FileNotFoundError):
            partial.unlink()  # left by an earlier backup of this process id that was killed
        create_private(partial)
        with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)  # one step: one read snapshot of everything committed, writers go on meanwhile
            dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            if dst.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise WorkflowError(f"备份文件 {target} 校验未通过（PRAGMA integrity_check），请重试")
            counts = [dst.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                      for table in ("application", "event", "appeal_event")]
        with open(partial, "rb") as f:
            os.fsync(f.fileno())
        if force:
            os.replace(partial, target)
        else:
            os.link(partial, target)  # fails if the file appeared meanwhile: never overwrite without --force
            partial.unlink()
        sync_directory(target.parent)
    except sqlite3.Error as exc:
        raise WorkflowError(f"备份失败：{exc}") from exc
    except FileExistsError:
        raise InputError(f"文件 {target} 已存在，未覆盖：请换一个文件名，或加 --force 覆盖") from None
    except OSError as exc:
        raise WorkflowError(f"无法写入备份文件 {target}：{os_problem(exc)}") from exc
    finally:
        for leftover in (partial, *(Path(f"{partial}{s}") for s in SIDE_FILES)):
            with suppress(OSError):
                leftover.unlink()
    target.chmod(PRIVATE)
    return BackupResult(target, target.stat().st_size, *counts)


def sync_directory(folder: Path) -> None:
    """Make a new directory entry durable too (a power cut right after must not lose the file's name): after the
    rename of a backup (ogi backup) or an export (ogi export)."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _without_password(url: str, *, drivername: str | None = None, database: str | None = None) -> str:
    """The URL with no password (`URL.set` cannot remove one), optionally another driver name or database."""
    u = make_url(url)
    return URL.create(drivername or u.drivername, u.username, None, u.host, u.port, database or u.database,
                      u.query).render_as_string(hide_password=False)


def _libpq_url(url: str, database: str | None = None) -> str:
    """The URL as PostgreSQL's own tools take it: no driver name, no password."""
    return _without_password(url, drivername="postgresql", database=database)


def pg_dump_advice(url: str, target: Path) -> str:
    """How to back up (and restore) the PostgreSQL database in use, with the exact commands, no password."""
    restored = f"{make_url(url).database or 'ogi'}_restored"
    dump = shlex.join(["pg_dump", "--format=custom", f"--file={target}", _libpq_url(url)])
    create = shlex.join(["createdb", f"--maintenance-db={_libpq_url(url)}", restored])
    restore = shlex.join(["pg_restore", "--no-owner", f"--dbname={_libpq_url(url, restored)}", str(target)])
    ogi_url = _without_password(url, database=restored)
    return ("ogi backup 只用于 SQLite 数据库；PostgreSQL 数据库请用 PostgreSQL 自带的 pg_dump 备份"
            f"（在其他进程写入时同样得到一致的快照）：\n  {dump}\n"
            f"恢复到一个新建的空数据库：\n  {create}\n  {restore}\n"
            f"恢复后核对：\n  {shlex.join(['ogi', '--db', ogi_url, 'verify'])}\n"
            "密码不要写在命令行里：请放在 ~/.pgpass 或环境变量 PGPASSWORD 中（见 docs/operations.md）")
