"""`ogi backup` (issue 12 item 4): a consistent copy while another process writes, private, never over the
database or an existing file without --force; on PostgreSQL the pg_dump commands it prints make a copy that
`ogi verify` passes and that shows the same cases."""

import json
import os
import shlex
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.integration.conftest import PG_SERVER, World, postgres_database
from tests.integration.test_clerk_cli import OGI
from tests.integration.test_verify import TODAY, ogi, populate

# A clerk's process that keeps registering cases and withdrawing them, printing each committed event.
_WRITER = """
import sys
from datetime import date, timedelta
from workflow import cases
from workflow.db import Database
from workflow.inputs import ActionInput, ApplicationCreate

db = Database(sys.argv[1])
day = date(2025, 3, 3)
for i in range(100_000):
    on = day + timedelta(days=i % 200)
    made = cases.register(db, actor_name="clerk", today=on, data=ApplicationCreate(
        applicant_name="张三", applicant_type="natural", channel="online", received_on=on, request="某文件"))
    print(made.number, 1, flush=True)
    cases.act(db, actor_name="clerk", number=made.number, trigger="withdraw",
              data=ActionInput(on=on, text="撤回"), today=on)
    print(made.number, 2, flush=True)
"""


def _events(path: Path) -> set[tuple[str, int]]:
    with closing(sqlite3.connect(path)) as conn:
        return set(conn.execute("SELECT a.number, e.seq FROM event e JOIN application a ON a.id = e.application_id"))


def test_a_backup_while_another_process_writes_holds_every_committed_event(sqlite_world: World,
                                                                           tmp_path: Path) -> None:
    """SQLite's online backup (on PostgreSQL `ogi backup` prints pg_dump commands: tested below)."""
    world = sqlite_world
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, world.db.url], stdout=subprocess.PIPE, text=True,
                              stderr=subprocess.PIPE)
    committed: list[tuple[str, int]] = []

    def read() -> None:
        assert writer.stdout is not None
        for line in writer.stdout:
            number, seq = line.split()
            committed.append((number, int(seq)))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while len(committed) < 40:
            assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""
            time.sleep(0.05)
        copies = []
        for k in range(3):  # several backups in the middle of the stream
            before = set(committed)
            copy = tmp_path / f"备份{k}.db"
            done = subprocess.run([OGI, "--db", world.url, "backup", str(copy)], capture_output=True,
                                  text=True, timeout=120)
            assert done.returncode == 0 and "已备份到" in done.stdout, done.stderr
            copies.append((before, copy))
            time.sleep(0.3)
        while len(committed) < len(before) + 20:  # the writer went on after the last backup
            time.sleep(0.05)
    finally:
        writer.terminate()
        writer.wait(timeout=30)
        reader.join(timeout=30)
    assert world.path is not None
    live = _events(world.path)
    for before, copy in copies:
        held = _events(copy)
        assert before <= held <= live  # every event committed before the backup started; nothing invented
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
        assert not Path(f"{copy}-wal").exists() and not [p for p in tmp_path.iterdir() if p.suffix == ".part"]
        verified = subprocess.run([OGI, "--db", str(copy), "verify", "--json"], capture_output=True, text=True,
                                  timeout=120)
        assert verified.returncode == 0 and json.loads(verified.stdout)["ok"], verified.stdout
    assert len(_events(copies[-1][1])) < len(live)  # the stream really ran across the backups


def test_backup_never_overwrites_the_database_and_other_files_only_with_force(sqlite_world: World,
                                                                              tmp_path: Path) -> None:
    """The SQLite file and its WAL files as targets: PostgreSQL has no such file to overwrite."""
    world = sqlite_world
    number = world.receive(TODAY)
    assert world.path is not None
    for target in ("ogi.db", "ogi.db-wal", "ogi.db-shm", "./x/../ogi.db"):
        (tmp_path / "x").mkdir(exist_ok=True)
        done = ogi(world, "backup", str(tmp_path / target), "--force")
        assert done.returncode == 1 and "是正在使用的数据库" in done.stderr, done.stderr
    old = tmp_path / "昨天.db"
    old.write_bytes(b"yesterday's backup")
    done = ogi(world, "backup", str(old))
    assert done.returncode == 1 and "已存在，未覆盖" in done.stderr and old.read_bytes() == b"yesterday's backup"
    assert ogi(world, "backup", str(old), "--force").returncode == 0
    assert ("2025-0001", 1) in _events(old) and number == "2025-0001"
    with closing(sqlite3.connect(world.path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _show(url: str, number: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in ("OGI_USER", "OGI_DB")}
    done = subprocess.run([OGI, "--db", url, "--today", TODAY.isoformat(), "--as", "clerk", "show", number,
                           "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_postgresql_backup_is_the_printed_pg_dump_and_restore(pg_world: World, tmp_path: Path) -> None:
    numbers = populate(pg_world, tmp_path)
    dump = tmp_path / "ogi.dump"
    advice = ogi(pg_world, "backup", str(dump))
    assert advice.returncode == 1 and "pg_dump" in advice.stderr and not dump.exists(), advice.stderr
    commands = [shlex.split(line.strip()) for line in advice.stderr.splitlines()
                if line.startswith("  ") and line.split()[0] in ("pg_dump", "createdb", "pg_restore", "ogi")]
    assert [c[0] for c in commands] == ["pg_dump", "createdb", "pg_restore", "ogi"]
    restored = commands[1][-1]
    server = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        for command in commands[:3]:  # exactly what ogi printed
            done = subprocess.run(command, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, f"{command}\n{done.stderr}"
        url = commands[3][commands[3].index("--db") + 1]
        verified = subprocess.run([OGI, "--db", url, "verify", "--json"], capture_output=True, text=True, timeout=120)
        assert verified.returncode == 0 and json.loads(verified.stdout)["ok"], verified.stdout
        for number in numbers.values():
            assert _show(url, number) == _show(pg_world.db.url, number)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)'))
        server.dispose()


def test_postgresql_backup_advice_shows_no_password(tmp_path: Path) -> None:
    with postgres_database() as url:
        secret = url.replace("postgres@", "postgres:Geheim-4711@", 1)
        done = subprocess.run([OGI, "--db", secret, "backup", str(tmp_path / "x.dump")], capture_output=True,
                              text=True, timeout=60)
    assert done.returncode == 1 and "pg_dump --format=custom" in done.stderr
    assert "Geheim-4711" not in done.stderr + done.stdout and "PGPASSWORD" in done.stderr
