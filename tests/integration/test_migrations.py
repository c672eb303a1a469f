"""Schema migrations: the migrations build exactly the models' schema, a 0.1.0 database upgrades in place with its
data, and no command works on a database behind (or ahead of) the code."""

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, nullcontext
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, create_engine, inspect, make_url, text
from sqlmodel import SQLModel
from typer.testing import CliRunner

from tests.integration.conftest import postgres_database
from workflow.cli import app
from workflow.db import Database
from workflow.migrations import HEAD, REVISIONS, runner

FIXTURES = Path(__file__).parent.parent / "fixtures"
TODAY = "2026-01-12"  # the day tests/fixtures/make_v010.sh recorded 0.1.0's outputs
NUMBERS = ("2024-0001", "2024-0002", "2025-0001", "2025-0002", "2025-0003", "2025-0004", "2025-0005", "2025-0006")
EVENT_KEYS = ("seq", "trigger", "effective_on", "recorded_at", "actor", "role", "from_state", "to_state", "data")
cli = CliRunner()


def ogi(db: str, *args: str, ok: bool = True, as_: str | None = None) -> Any:
    argv = ["--db", db, "--today", TODAY, *(["--as", as_] if as_ else []), *args]
    result = cli.invoke(app, argv)
    assert (result.exit_code == 0) == ok, f"{argv}\n{result.stdout}\n{result.stderr}"
    return result


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def v010(tmp_path: Path) -> Path:
    """The database ogi 0.1.0 made (tests/fixtures/README.md), rebuilt from its SQL dump (kept as text, not as a
    database file)."""
    path = tmp_path / "ogi.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript((FIXTURES / "v010.sql").read_text(encoding="utf-8"))
    return path


def _schema(engine: Engine) -> dict[str, Any]:
    """Every table as reflected: columns, keys, indexes, unique constraints (names where the database keeps them)."""
    found = inspect(engine)
    tables = {}
    for table in sorted(set(found.get_table_names()) - {"alembic_version"}):
        tables[table] = {
            "columns": sorted((c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)),
            "primary_key": found.get_pk_constraint(table)["constrained_columns"],
            "foreign_keys": sorted((tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                                   for f in found.get_foreign_keys(table)),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                              for i in found.get_indexes(table)),
            "unique": sorted((u["name"] or "", tuple(u["column_names"])) for u in found.get_unique_constraints(table)),
        }
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            triggers = conn.execute(text("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")).all()
        else:
            triggers = conn.execute(text("SELECT tgname, tgrelid::regclass::text FROM pg_trigger "
                                         "WHERE NOT tgisinternal")).all()
    return {"tables": tables, "triggers": sorted(tuple(t) for t in triggers)}


def _no_drift(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


def _engine_of(url: str) -> Engine:
    return Database(url, check_schema=False).engine


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of either kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ogi.db'}"
    else:
        with postgres_database() as url:
            yield url


def test_every_revision_is_named_for_the_startup_check() -> None:
    assert runner.script_heads() == REVISIONS
    assert REVISIONS[-1] == HEAD


def test_the_migrations_build_exactly_the_models_schema(empty_url: str, tmp_path: Path) -> None:
    upgraded = runner.upgrade(empty_url)
    assert upgraded.after == HEAD and runner.status(empty_url).current
    assert _no_drift(empty_url) == []
    migrated = _schema(_engine_of(empty_url))
    # `ogi init` on an empty database takes the models' schema directly: it must be the same, names included.
    with postgres_database() if "postgresql" in empty_url else nullcontext(f"sqlite:///{tmp_path / 'init.db'}") as url:
        db = Database(url)
        db.create_schema()
        assert _schema(db.engine) == migrated
        assert runner.status(url).current
        db.dispose()


def test_revision_0001_is_the_schema_ogi_0_1_0_made(v010: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'at-0001.db'}"
    runner.upgrade(url, target="0001")
    made_by_010 = _schema(_engine_of(f"sqlite:///{v010}"))
    assert _schema(_engine_of(url)) == made_by_010
    assert "code" not in str(made_by_010["tables"]["agency"]["columns"])  # the fixture is the old schema indeed


def _statements(dump: str) -> list[str]:
    """pg_dump's statements, without comments, its session keys and the version table (0.1.0 had none)."""
    lines = [line for line in dump.splitlines() if not line.startswith(("--", "\\restrict", "\\unrestrict"))]
    return [c.strip() for c in re.split(r"\n\s*\n", "\n".join(lines)) if c.strip() and "alembic_version" not in c]


def test_revision_0001_is_the_schema_ogi_0_1_0_made_on_postgresql() -> None:
    """tests/fixtures/v010-postgresql-schema.sql: `pg_dump --schema-only` of a database 0.1.0's `ogi init` made."""
    with postgres_database() as url:
        runner.upgrade(url, target="0001")
        where = make_url(url)
        done = subprocess.run(["pg_dump", "-h", where.host or "", "-p", str(where.port or 5432), "-U",
                               where.username or "", "--schema-only", "--no-owner", where.database or ""],
                              capture_output=True, text=True, check=True)
    expected = (FIXTURES / "v010-postgresql-schema.sql").read_text(encoding="utf-8")
    assert any(c.startswith("CREATE TABLE public.event ") for c in _statements(expected))
    assert _statements(done.stdout) == _statements(expected)


def test_a_0_1_0_database_is_refused_until_upgraded_then_shows_what_0_1_0_showed(v010: Path) -> None:
    db = str(v010)
    for argv in (("show", "2025-0001"), ("cases",), ("verify",), ("report", "2025"),
                 ("init", "--agency", "示例市财政局")):
        refused = ogi(db, *argv, ok=False)
        assert "ogi 0.1.0 建立" in refused.stderr and "ogi db upgrade" in refused.stderr, argv
    current = ogi(db, "db", "current", ok=False)
    assert "0001" in current.stdout and "ogi db upgrade" in current.stderr
    with closing(sqlite3.connect(v010)) as conn:
        assert "alembic_version" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}  # untouched

    done = ogi(db, "db", "upgrade")
    assert "0.1.0" in done.stdout and "32 条办理记录补上哈希链" in done.stdout, done.stdout
    assert "最新" in ogi(db, "db", "current").stdout
    assert "无需升级" in ogi(db, "db", "upgrade").stdout

    for number in NUMBERS:
        before, after = recorded(f"v010-show-{number}.json"), json.loads(ogi(db, "show", number, "--json").stdout)
        for key in set(before) - {"events", "actions"}:  # actions: this version offers more (assign…)
            assert after[key] == before[key], (number, key)
        assert [{k: e[k] for k in EVENT_KEYS} for e in after["events"]] == before["events"], number
        assert after["integrity"] == []
    listed = {c["number"]: c for c in json.loads(ogi(db, "cases", "--all", "--json").stdout)}
    for case in recorded("v010-cases.json"):
        assert {k: listed[case["number"]][k] for k in case} == case
    for year in (2024, 2025):
        report = json.loads(ogi(db, "report", str(year), "--format", "json").stdout)
        assert report == recorded(f"v010-report-{year}.json")
    verified = json.loads(ogi(db, "verify", "--json").stdout)
    assert verified["ok"] and verified["cases"] == 8 and verified["appeals"] == 2, verified


def test_after_the_upgrade_work_goes_on_where_0_1_0_left_it(v010: Path) -> None:
    db = str(v010)
    ogi(db, "db", "upgrade")
    users = {u["username"]: u for u in json.loads(ogi(db, "user", "list", "--json", as_="admin").stdout)}
    # The admin 0.1.0's init made is the platform admin `ogi init` makes now; the others keep their agency.
    assert users["admin"]["role"] == "platform_admin" and users["admin"]["agency"] is None
    assert (users["clerk1"]["role"], users["clerk1"]["agency"]) == ("clerk", "main")
    assert (users["head1"]["role"], users["head1"]["agency"]) == ("head", "main")
    agencies = json.loads(ogi(db, "agency", "list", "--json", as_="admin").stdout)
    assert [(a["code"], a["name"]) for a in agencies] == [("main", "示例市财政局")]
    ogi(db, "calendar", "set", "2026-06-01", "restday", "--source", "测试", as_="admin")  # a platform admin's work
    made = json.loads(ogi(db, "receive", "--applicant", "周九", "--type", "natural", "--channel", "online",
                          "--received-on", "2025-12-30", "--request", "某文件", "--json", as_="clerk1").stdout)
    assert made["number"] == "2025-0007"  # the counter continues 0.1.0's numbering
    ogi(db, "act", "2025-0006", "submit_response", "--on", TODAY, "--outcome", "1", "--text", "予以公开", "--reason",
        "测试", as_="clerk1")
    ogi(db, "act", "2025-0006", "approve_response", "--on", TODAY, as_="head1")
    ogi(db, "appeal", "act", "2", "decide", "--on", TODAY, "--decision", "判决驳回诉讼请求", as_="clerk1")
    assert json.loads(ogi(db, "verify", "--json").stdout)["ok"]
    with closing(sqlite3.connect(v010)) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE event SET actor = 'x' WHERE seq = 1")  # the log is append-only again


def test_a_failed_upgrade_changes_nothing(v010: Path) -> None:
    with closing(sqlite3.connect(v010)) as conn:  # a row pointing nowhere: the upgrade's foreign key check fails
        conn.execute("INSERT INTO case_clock (application_id, kind, start_on, due_on, status, provisional) "
                     "VALUES (999, 'response', '2025-01-01', '2025-02-01', 'running', 0)")
        conn.commit()
        before = conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    refused = ogi(str(v010), "db", "upgrade", ok=False)
    assert "已撤销升级" in refused.stderr
    with closing(sqlite3.connect(v010)) as conn:
        assert conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == before
        assert conn.execute("SELECT role FROM user WHERE username = 'admin'").fetchone() == ("admin",)


def test_a_database_behind_or_ahead_of_the_code_is_refused(tmp_path: Path) -> None:
    db = str(tmp_path / "ogi.db")
    ogi(db, "init", "--agency", "某局")
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
        conn.commit()
    for argv in (("cases",), ("init", "--agency", "某局"), ("db", "upgrade")):
        refused = ogi(db, *argv, ok=False)
        assert "9999" in refused.stderr and "不认识" in refused.stderr and "较新版本" in refused.stderr, argv
    assert "9999" in ogi(db, "db", "current", ok=False).stdout
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
        conn.commit()
    refused = ogi(db, "cases", ok=False)
    assert f"版本为 0001，比本版本 ogi 需要的 {HEAD} 旧" in refused.stderr and "ogi db upgrade" in refused.stderr
    assert ogi(db, "backup", str(tmp_path / "before-upgrade.db")).exit_code == 0  # backing up first still works


def test_a_database_made_before_migrations_by_later_code_is_recognised(tmp_path: Path) -> None:
    """main between 0.1.0 and migrations made revision 0002's schema with no version table: it is recorded as
    0002 and brought to the newest revision like any other."""
    db = str(tmp_path / "ogi.db")
    runner.upgrade(f"sqlite:///{db}", target="0002")
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("DROP TABLE alembic_version")  # as main made it between 0.1.0 and migrations
    assert "ogi db upgrade" in ogi(db, "cases", ok=False).stderr
    assert "相当于 0002" in ogi(db, "db", "upgrade").stdout
    fresh = str(tmp_path / "fresh.db")
    ogi(fresh, "init", "--agency", "某局")
    assert _schema(_engine_of(f"sqlite:///{db}")) == _schema(_engine_of(f"sqlite:///{fresh}"))
    ogi(db, "init", "--agency", "某局")
    ogi(db, "cases")


def test_a_0_1_0_database_upgrades_on_postgresql_too(v010: Path) -> None:
    """The fixture's rows, loaded into a PostgreSQL database of 0.1.0's schema, upgrade as on SQLite."""
    with postgres_database() as url:
        runner.upgrade(url, target="0001")
        source, target = _engine_of(f"sqlite:///{v010}"), _engine_of(url)
        tables = MetaData()
        tables.reflect(target)
        with source.connect() as old, target.begin() as new:
            for table in tables.sorted_tables:
                if table.name != "alembic_version" and (rows := old.execute(table.select()).mappings().all()):
                    new.execute(table.insert(), [dict(r) for r in rows])
                    if "id" in table.c:
                        new.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                                         f"(SELECT max(id) FROM \"{table.name}\"))"))
            new.execute(text("DROP TABLE alembic_version"))  # as 0.1.0 left it: no version table
        source.dispose()
        target.dispose()
        assert runner.status(url).revision == "0001" and not runner.status(url).versioned
        assert runner.upgrade(url).sealed == 32
        assert _no_drift(url) == []
        for number in NUMBERS:
            before, after = recorded(f"v010-show-{number}.json"), json.loads(ogi(url, "show", number, "--json").stdout)
            assert {k: after[k] for k in set(before) - {"events", "actions"}} == \
                {k: before[k] for k in set(before) - {"events", "actions"}}, number
        assert json.loads(ogi(url, "report", "2025", "--format", "json").stdout) == recorded("v010-report-2025.json")
        assert json.loads(ogi(url, "verify", "--json").stdout)["ok"]
        made = json.loads(ogi(url, "receive", "--applicant", "周九", "--type", "natural", "--channel", "online",
                              "--received-on", "2025-12-30", "--request", "某文件", "--json", as_="clerk1").stdout)
        assert made["number"] == "2025-0007"


def test_commands_check_the_version_without_loading_alembic(tmp_path: Path) -> None:
    ogi_bin = str(Path(sys.executable).with_name("ogi"))
    db = str(tmp_path / "ogi.db")
    ogi(db, "init", "--agency", "某局")
    done = subprocess.run([sys.executable, "-X", "importtime", ogi_bin, "--db", db, "cases", "--json"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "alembic" not in {line.rsplit("|", 1)[1].strip().split(".")[0] for line in done.stderr.splitlines()
                             if line.startswith("import time:")}
