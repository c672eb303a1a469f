"""`ogi export` / `ogi restore`: every record moves between SQLite and PostgreSQL and comes back identical.

The source is a realistic year (`ogi demo`: cases in every state, corrections, fees, extensions and their
approvals, appeals, report inputs, a locked year) plus a second agency, calendar overrides and an imported
year, agency settings, an appeal mapping, alerts raised and delivered (and some still queued), a sweep
heartbeat and a change recorded in a locked year: every table holds rows.
"""

import hashlib
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, insert, inspect, select, text
from sqlmodel import SQLModel, col

from notifications.channels import InboxChannel
from notifications.policy import DEFAULT_POLICY
from tests.integration.conftest import postgres_database
from tests.integration.test_calendar_cli import NOTICE_2027
from workflow import admin, agencies, alerts, appeal_mapping, cases, monitor, queries
from workflow.db import Database
from workflow.demo import build_demo
from workflow.errors import InputError
from workflow.inputs import ActionInput, ApplicationCreate
from workflow.models import Agency, Application
from workflow.restore import restore
from workflow.transfer import FORMAT, VERSION, codec, export, is_secret, model_tables

TODAY = date(2026, 11, 20)
OGI = str(Path(sys.executable).with_name("ogi"))
SECOND = "swj"  # the second agency's code


def ogi(db: str, *args: str, as_: str | None = None, today: date = TODAY,
        ok: bool = True) -> subprocess.CompletedProcess[str]:
    """The real `ogi` in a process of its own."""
    argv = [OGI, "--db", db, "--today", today.isoformat(), *(["--as", as_] if as_ else []), *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=600)
    assert (done.returncode == 0) == ok, f"{argv}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def _second_agency(db: Database) -> None:
    """A second agency on the platform with its own users and cases: one concluded, one waiting for correction."""
    agencies.add_agency(db, actor_name="admin", code=SECOND, name="示例市示例区商务局")
    for name, role in (("swj_admin", "admin"), ("swj_clerk", "clerk"), ("swj_head", "head")):
        admin.add_user(db, actor_name="admin", username=name, role=role, agency=SECOND)
    numbers = []
    for i, on in enumerate((date(2026, 10, 12), date(2026, 10, 26), date(2026, 11, 2))):
        data = ApplicationCreate(applicant_name=f"商务申请人{i}", applicant_type="commercial", channel="email",
                                 received_on=on, request="某商业网点规划的批复")
        numbers.append(cases.register(db, actor_name="swj_clerk", data=data, today=on).number)
    cases.act(db, actor_name="swj_clerk", number=numbers[0], trigger="submit_response",
              data=ActionInput(on=date(2026, 10, 20), outcome="1", text="予以公开"), today=date(2026, 10, 20))
    cases.act(db, actor_name="swj_head", number=numbers[0], trigger="approve_response",
              data=ActionInput(on=date(2026, 10, 21)), today=date(2026, 10, 21))
    cases.act(db, actor_name="swj_clerk", number=numbers[1], trigger="request_correction",
              data=ActionInput(on=date(2026, 10, 28), text="请明确规划名称", days=10), today=date(2026, 10, 28))
    appeal_mapping.set_mapping(db, actor_name="swj_head", decision="terminate", column="other", today=TODAY)


def _enrich(db: Database, workdir: Path) -> None:
    """What the demo lacks: see the module docstring."""
    _second_agency(db)
    admin.calendar_set(db, actor_name="admin", day=date(2026, 12, 28), working=False,
                       source="测试：某地方性休息日（虚构）", today=TODAY)
    notice = workdir / "2027.toml"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    admin.calendar_import(db, actor_name="admin", path=notice, today=TODAY)
    admin.agency_settings(db, actor_name="admin", agency="main", named={
        "reconsideration_body": "示例市人民政府", "court": "示例区人民法院", "payment": "非税收入专户 1234"})
    late = ApplicationCreate(applicant_name="补录申请人", applicant_type="natural", channel="post_signed",
                             received_on=date(2025, 12, 30), request="纸质申请漏登", reason="漏登，2026-11 发现")
    cases.register(db, actor_name="admin", agency="main", data=late, today=TODAY)  # a locked year: a locked_change
    alerts.sweep(db, today=TODAY, policy=DEFAULT_POLICY, channels={"inbox": InboxChannel()})  # "log" fails: an error
    alerts.raise_alerts(db, today=date(2026, 11, 24), policy=DEFAULT_POLICY)  # raised, not yet fanned out
    first = monitor.list_alerts(db, actor_name="zhang", limit=1)
    monitor.mark_read(db, actor_name="zhang", alert_ids=[first[0]["id"]])  # an alert read: an alert_read row
    monitor.mark_read(db, actor_name="li", alert_ids=None)  # 「全部标为已读」: the user's read-through mark


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The varied SQLite database (built once; tests that write work on copies)."""
    workdir = tmp_path_factory.mktemp("transfer")
    path = workdir / "source.db"
    build_demo(path, today=TODAY)
    db = Database(f"sqlite:///{path}")
    try:
        _enrich(db, workdir)
    finally:
        db.dispose()
    return path


def _copy(path: Path, target: Path) -> Path:
    with closing(sqlite3.connect(path)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


def _url(db: str) -> str:
    return db if "://" in db else f"sqlite:///{db}"


def dump(db: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as the export writes its values (timestamps in UTC to the microsecond, JSON)."""
    engine = create_engine(_url(db))
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        with engine.connect() as conn:
            for table in model_tables():
                writers = {c.name: codec(c).write or (lambda v: v) for c in table.columns}
                rows = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
                found[table.name] = [{k: v if v is None else writers[k](v) for k, v in row.items()} for row in rows]
    finally:
        engine.dispose()
    return found


def counts(db: str) -> dict[str, int]:
    """Rows of each table of the records that exists."""
    engine = create_engine(_url(db))
    try:
        with engine.connect() as conn:
            existing = set(inspect(conn).get_table_names())
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in model_tables() if t.name in existing}
    finally:
        engine.dispose()


def shown_cases(db: str) -> dict[tuple[str, str], str]:
    """`ogi show N --json` of every case of every agency (the use case the command prints, as it prints it)."""
    database = Database(_url(db))
    try:
        with database.unit_of_work() as session:
            numbers = session.connection().execute(
                select(col(Agency.code), col(Application.number))
                .join(Agency, col(Agency.id) == col(Application.agency_id)).order_by(col(Application.id))).all()
        return {(code, number): json.dumps(queries.show_case(database, number=number, actor_name="admin",
                                                             agency=code, today=TODAY),
                                           ensure_ascii=False, indent=2, default=str)
                for code, number in numbers}
    finally:
        database.dispose()


def reports(db: str) -> dict[str, str]:
    """`ogi report YEAR --format json` of each agency and of the platform, for last year and this one."""
    found = {}
    for year in ("2025", "2026"):
        found[f"main {year}"] = ogi(db, "report", year, "--format", "json", as_="wang").stdout
        found[f"{SECOND} {year}"] = ogi(db, "report", year, "--format", "json", as_="swj_head").stdout
        found[f"all {year}"] = ogi(db, "report", year, "--format", "json", "--all-agencies", as_="admin").stdout
    return found


def rows_of(path: Path) -> list[str]:
    """The row lines of an export file (without its header and trailer)."""
    return path.read_text(encoding="utf-8").splitlines()[1:-1]


def test_every_table_of_the_models_is_exported_in_dependency_order(source: Path, tmp_path: Path) -> None:
    """A table added to workflow/models.py is exported without anyone touching transfer.py; this test fails
    until the varied database gives it rows too (and every column type has a codec)."""
    made = export(Database(f"sqlite:///{source}"), tmp_path / "all.jsonl")
    header = json.loads((tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert header["format"] == FORMAT and header["version"] == VERSION and header["with_secrets"] is False
    names = [t["name"] for t in header["tables"]]
    assert set(names) == set(SQLModel.metadata.tables) and names == [t.name for t in SQLModel.metadata.sorted_tables]
    empty = [name for name, n in counts(str(source)).items() if n == 0]
    assert empty == [], f"the varied database has no rows in {empty}: give them some in _enrich"
    assert made.rows == counts(str(source)) == {t["name"]: t["rows"] for t in header["tables"]}
    for table in model_tables():
        assert [c["columns"] for c in header["tables"] if c["name"] == table.name] == [
            [c.name for c in table.columns if not is_secret(c)]]
    seen = [json.loads(line)["table"] for line in rows_of(tmp_path / "all.jsonl")]
    assert seen == sorted(seen, key=names.index)  # each table's rows together, tables in the header's order


def test_sqlite_to_postgresql_to_sqlite_reproduces_every_record_case_and_report(source: Path, tmp_path: Path) -> None:
    """The migration path of docs/operations.md, with the real command in processes of its own."""
    work = str(_copy(source, tmp_path / "work.db"))
    first, second = tmp_path / "from-sqlite.jsonl", tmp_path / "from-postgresql.jsonl"
    back = str(tmp_path / "back.db")
    ogi(work, "export", str(first), "--with-secrets")  # a move keeps the web logins (docs/operations.md)
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    with postgres_database() as pg:
        restored = ogi(pg, "restore", str(first))
        assert "全部与办理记录的重演一致，记录的哈希链完整" in restored.stdout
        ogi(pg, "export", str(second), "--with-secrets")
        ogi(back, "restore", str(second))
        assert rows_of(first) == rows_of(second)
        original = dump(work)
        assert dump(pg) == original and dump(back) == original
        shown = shown_cases(work)
        assert len(shown) > 200
        assert shown_cases(pg) == shown and shown_cases(back) == shown
        for number in ("2025-0001", "2026-0003"):  # and as the command itself prints them
            printed = ogi(work, "show", number, "--json", as_="wang").stdout
            assert ogi(pg, "show", number, "--json", as_="wang").stdout == printed
            assert ogi(back, "show", number, "--json", as_="wang").stdout == printed
        printed_reports = reports(work)
        assert json.loads(printed_reports["main 2025"])  # a real report, not an error
        assert reports(pg) == printed_reports and reports(back) == printed_reports
        next_numbers = {_receive_and_act(db) for db in (work, pg, back)}
        assert len(next_numbers) == 1  # each database gives the same next number
        assert ogi(pg, "verify").returncode == 0 and ogi(back, "verify").returncode == 0


def _receive_and_act(db: str) -> str:
    """Register the next case, send its response for sign-off, run the sweep: new rows in tables with ids."""
    made = json.loads(ogi(db, "receive", "--applicant", "新申请人", "--type", "natural", "--channel", "online",
                          "--received-on", "2026-11-20", "--request", "恢复后登记的申请", "--json",
                          as_="zhang").stdout)
    ogi(db, "act", made["number"], "submit_response", "--on", "2026-11-23", "--outcome", "1", "--text", "予以公开",
        as_="zhang", today=date(2026, 11, 23))
    ogi(db, "alerts", "sweep", today=date(2026, 11, 25))
    assert made["number"] == f"2026-{int(made['number'][5:]):04d}"
    return str(made["number"])


def _all_or_nothing(db: str) -> dict[str, int]:
    return {name: n for name, n in counts(db).items() if n}


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database to restore into: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "target.db")
        return
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def exported(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The varied database's export file."""
    path = tmp_path_factory.mktemp("exported") / "source.jsonl"
    export(Database(f"sqlite:///{source}"), path)
    return path


def test_a_database_that_holds_anything_is_refused_and_left_as_it_was(exported: Path, target: str) -> None:
    ogi(target, "init", "--agency", "已有数据的机关")
    ogi(target, "user", "add", "c1", "--role", "clerk", as_="admin")
    before = dump(target)
    refused = ogi(target, "restore", str(exported), ok=False)
    assert refused.returncode == 1 and "不是空的" in refused.stderr and "未做任何改动" in refused.stderr
    assert "2 个用户" in refused.stderr and "1 个机关" in refused.stderr
    assert dump(target) == before


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _damaged(exported: Path, tmp_path: Path, how: str) -> tuple[Path, int]:
    """A copy of the export damaged one way, and the line the refusal must name."""
    lines = _lines(exported)
    middle = len(lines) // 2
    if how == "cut mid-line":
        data, line = b"".join(lines[:middle]) + lines[middle][:25], middle + 1
    elif how == "cut at a line end":
        data, line = b"".join(lines[:middle]), middle
    elif how == "not JSON":
        data, line = b"".join([*lines[:middle], b'{"table": "event", "row": {\n', *lines[middle + 1:]]), middle + 1
    elif how == "a bad date":
        at = next(i for i in range(middle, len(lines)) if lines[i].startswith(b'{"table":"event"'))
        record = json.loads(lines[at])
        record["row"]["effective_on"] = "2025-02-30"
        data = b"".join([*lines[:at], json.dumps(record).encode() + b"\n", *lines[at + 1:]])
        line = at + 1
    elif how == "a value changed":  # still valid JSON: only the checksum in the trailer tells
        at = next(i for i in range(middle, len(lines)) if b'"2025-' in lines[i])
        data = b"".join([*lines[:at], lines[at].replace(b'"2025-', b'"2024-', 1), *lines[at + 1:]])
        line = len(lines)
    elif how == "rows swapped between tables":
        last_agency = max(i for i, raw in enumerate(lines) if raw.startswith(b'{"table":"agency"'))
        data = b"".join([*lines[:last_agency], *lines[last_agency + 1:middle], lines[last_agency], *lines[middle:]])
        line = last_agency + 1  # the first row of the next table: the agency table is one row short there
    else:
        raise AssertionError(how)
    damaged = tmp_path / f"{how}.jsonl"
    damaged.write_bytes(data)
    return damaged, line


@pytest.mark.parametrize("how", ["cut mid-line", "cut at a line end", "not JSON", "a bad date", "a value changed",
                                 "rows swapped between tables"])
def test_a_damaged_file_is_refused_naming_the_line_and_restores_nothing(exported: Path, tmp_path: Path,
                                                                        how: str) -> None:
    damaged, line = _damaged(exported, tmp_path, how)
    target = tmp_path / "target.db"
    with pytest.raises(InputError, match=f"第 {line} 行") as refused:
        restore(Database(f"sqlite:///{target}"), damaged, today=TODAY)
    assert "未做任何改动" in str(refused.value)
    assert not target.exists()  # a file the refused restore created is removed again


def test_a_damaged_file_is_refused_by_the_command_on_postgresql_with_nothing_written(exported: Path,
                                                                                    tmp_path: Path) -> None:
    damaged, line = _damaged(exported, tmp_path, "a value changed")  # refused at the very end, after every insert
    with postgres_database() as pg:
        refused = ogi(pg, "restore", str(damaged), ok=False)
        assert refused.returncode == 1 and f"第 {line} 行" in refused.stderr and "校验和不符" in refused.stderr
        assert _all_or_nothing(pg) == {}
        assert "全部与办理记录的重演一致" in ogi(pg, "restore", str(exported)).stdout  # the good file still goes in


def _rewritten_header(exported: Path, tmp_path: Path, **changes: Any) -> Path:
    lines = _lines(exported)
    header = {**json.loads(lines[0]), **changes}
    path = tmp_path / "changed-header.jsonl"
    path.write_bytes(json.dumps(header).encode() + b"\n" + b"".join(lines[1:]))
    return path


def test_a_file_of_a_newer_format_or_schema_is_refused_before_the_database_is_touched(exported: Path,
                                                                                      tmp_path: Path) -> None:
    target = tmp_path / "target.db"
    newer = _rewritten_header(exported, tmp_path, version=VERSION + 1, app_version="9.0.0")
    refused = ogi(str(target), "restore", str(newer), ok=False)
    assert "较新版本的 ogi（9.0.0）" in refused.stderr and "请先升级 ogi" in refused.stderr
    assert "第 1 行" in refused.stderr
    header = json.loads(_lines(exported)[0])
    header["tables"].append({"name": "future_table", "columns": ["id"], "rows": 0})
    unknown = _rewritten_header(exported, tmp_path, tables=header["tables"])
    refused = ogi(str(target), "restore", str(unknown), ok=False)
    assert "future_table" in refused.stderr and "请先升级 ogi" in refused.stderr
    not_ours = tmp_path / "other.jsonl"
    not_ours.write_text('{"name": "某个别的文件"}\n', encoding="utf-8")
    assert "不是 ogi export 导出的文件" in ogi(str(target), "restore", str(not_ours), ok=False).stderr
    assert not target.exists()


def _older(exported: Path, tmp_path: Path, dropped: dict[str, str]) -> Path:
    """The export as an ogi older than some columns would have written it (table → column it lacks), resealed."""
    lines = [json.loads(raw) for raw in _lines(exported)]
    for entry in lines[0]["tables"]:
        if entry["name"] in dropped:
            entry["columns"].remove(dropped[entry["name"]])
    for record in lines[1:-1]:
        record["row"].pop(dropped.get(record["table"], ""), None)
    data = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in lines[:-1])
    path = tmp_path / "older.jsonl"
    path.write_bytes(data + json.dumps({**lines[-1], "sha256": hashlib.sha256(data).hexdigest()}).encode() + b"\n")
    return path


def test_an_export_older_than_a_column_restores_it_as_its_default(exported: Path, tmp_path: Path) -> None:
    older = _older(exported, tmp_path, {"user": "email", "delivery": "attempts"})
    target = str(tmp_path / "older.db")
    assert "全部与办理记录的重演一致" in ogi(target, "restore", str(older)).stdout
    restored, original = dump(target), json.loads(_lines(exported)[0])
    assert len(restored["user"]) == 7 and {u["email"] for u in restored["user"]} == {None}
    assert {d["attempts"] for d in restored["delivery"]} == {0}
    assert [t["rows"] for t in original["tables"]] == [len(restored[t["name"]]) for t in original["tables"]]
    required = _older(exported, tmp_path, {"agency": "name"})
    refused = ogi(str(tmp_path / "required.db"), "restore", str(required), ok=False)
    assert "第 1 行" in refused.stderr and "缺少不能为空的列 name" in refused.stderr


def test_export_never_overwrites_without_force_nor_ever_the_database(source: Path, tmp_path: Path) -> None:
    work = _copy(source, tmp_path / "work.db")
    existing = tmp_path / "old.jsonl"
    existing.write_text("旧文件", encoding="utf-8")
    refused = ogi(str(work), "export", str(existing), ok=False)
    assert "已存在" in refused.stderr and "--force" in refused.stderr
    assert existing.read_text(encoding="utf-8") == "旧文件"
    ogi(str(work), "export", str(existing), "--force")
    assert json.loads(existing.read_text(encoding="utf-8").splitlines()[0])["format"] == FORMAT
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600
    for onto in (work, Path(f"{work}-wal"), tmp_path / ".." / tmp_path.name / "work.db"):
        refused = ogi(str(work), "export", str(onto), "--force", ok=False)
        assert "正在使用的数据库" in refused.stderr
    assert ogi(str(work), "verify").returncode == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def _secret_metadata() -> MetaData:
    """A table of the shape a login would add: a password hash (by its name) and a marked channel secret."""
    metadata = MetaData()
    Table("account", metadata, Column("id", Integer, primary_key=True), Column("username", String(64)),
          Column("password_hash", String(200), nullable=True),
          Column("robot", String(200), nullable=True, info={"secret": True}))
    return metadata


def test_secrets_stay_out_of_the_file_unless_asked_for(tmp_path: Path) -> None:
    metadata = _secret_metadata()
    db = Database(f"sqlite:///{tmp_path / 'secrets.db'}")
    metadata.create_all(db.engine)
    with db.engine.begin() as conn:
        conn.execute(insert(metadata.tables["account"]), [{"id": 7, "username": "li", "password_hash": "$argon2id$x",
                                                           "robot": "https://oapi.example/robot?token=t"}])
    plain = export(db, tmp_path / "plain.jsonl", metadata=metadata)
    assert plain.left_out == ("account.password_hash", "account.robot") and not plain.with_secrets
    assert "argon2" not in (tmp_path / "plain.jsonl").read_text() and "token=t" not in (tmp_path / "plain.jsonl"
                                                                                        ).read_text()
    assert rows_of(tmp_path / "plain.jsonl") == ['{"table":"account","row":{"id":7,"username":"li"}}']
    full = export(db, tmp_path / "full.jsonl", with_secrets=True, metadata=metadata)
    assert full.with_secrets and full.left_out == () and "$argon2id$x" in (tmp_path / "full.jsonl").read_text()
    for name, file in (("plain", "plain.jsonl"), ("full", "full.jsonl")):
        into = Database(f"sqlite:///{tmp_path / f'{name}-restored.db'}")
        metadata.create_all(into.engine)
        done = restore(into, tmp_path / file, today=TODAY, metadata=metadata)
        assert done.with_secrets is (name == "full") and done.verification.ok
        with into.engine.connect() as conn:
            row = conn.execute(text("SELECT id, username, password_hash, robot FROM account")).one()
        assert tuple(row) == ((7, "li", "$argon2id$x", "https://oapi.example/robot?token=t") if name == "full"
                              else (7, "li", None, None))
        into.dispose()
    db.dispose()


def test_with_secrets_on_the_models_exports_every_column_and_says_so(source: Path, tmp_path: Path) -> None:
    work = str(_copy(source, tmp_path / "work.db"))
    ogi(work, "export", str(tmp_path / "plain.jsonl"))
    told = ogi(work, "export", str(tmp_path / "full.jsonl"), "--with-secrets")
    assert "机密字段" in told.stderr
    full = json.loads((tmp_path / "full.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert full["with_secrets"] is True
    assert {t["name"]: t["columns"] for t in full["tables"]} == {
        t.name: [c.name for c in t.columns] for t in model_tables()}
    restored = ogi(str(tmp_path / "plain.db"), "restore", str(tmp_path / "plain.jsonl"))
    assert "不含密码散列等机密字段" in restored.stdout


# --- a restore killed half-way --------------------------------------------------------------------------------

BIG = 20_000


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An export of 20,000 cases (a ledger imported, a few handled and appealed through the use cases)."""
    from tests.bench import evidence_bench

    workdir = tmp_path_factory.mktemp("big")
    path, _, _ = evidence_bench.build(workdir, BIG, 20)
    target = workdir / "big.jsonl"
    made = export(Database(f"sqlite:///{path}"), target)
    assert made.rows["application"] == BIG
    return target


def _inserting(db: str, process: subprocess.Popen[bytes]) -> bool:
    """Whether the restore is writing rows (and has not finished)."""
    if process.poll() is not None:
        return False
    if "://" not in db:
        wal = Path(f"{db}-wal")  # uncommitted pages spill into the WAL once SQLite's page cache is full
        return wal.exists() and wal.stat().st_size > 4 << 20
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                          "AND (query ILIKE 'COPY%' OR query ILIKE 'INSERT%') "
                                          "AND backend_xid IS NOT NULL")).scalar())
    finally:
        engine.dispose()


def _gone(db: str) -> None:
    """Wait until the killed client's server process has ended its (rolled back) transaction."""
    if "://" not in db:
        return
    engine = create_engine(db)
    try:
        for _ in range(300):
            with engine.connect() as conn:
                if not conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                         "AND pid <> pg_backend_pid()")).scalar():
                    return
            time.sleep(0.1)
    finally:
        engine.dispose()
    raise AssertionError("the killed restore's server process did not end")


def test_a_restore_killed_half_way_leaves_the_database_empty_and_can_be_run_again(big_export: Path,
                                                                                  target: str) -> None:
    argv = [OGI, "--db", target, "--today", TODAY.isoformat(), "restore", str(big_export)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not _inserting(target, process):
        assert process.poll() is None, "the restore ended before it was seen writing rows"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.3)
    assert process.poll() is None, "the restore finished before it was killed: make the file bigger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    _gone(target)
    assert counts(target) and _all_or_nothing(target) == {}  # the schema was made; not one row was left
    again = ogi(target, "restore", str(big_export))
    assert f"{BIG} 件案件" in again.stdout and "全部与办理记录的重演一致" in again.stdout
    assert counts(target)["application"] == BIG
    assert ogi(target, "verify").returncode == 0
