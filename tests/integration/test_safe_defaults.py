"""Defaults that cannot destroy or leak records (issue 12 item 5): `--out` never overwrites the database in use
and other files only with `--force`; the SQLite files are private; no URL password is printed; agency templates
are sandboxed; SQLite commits survive a power cut."""

import os
import sqlite3
import stat
import subprocess
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.integration.conftest import postgres_database
from tests.integration.test_clerk_cli import OGI, Shell, _receive, sh, sqlite_sh  # noqa: F401 - the fixtures
from workflow.db import Database, resolve_url


def _intact(db: Path, number: str) -> None:
    """The database is still a sound SQLite database holding the case."""
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM application WHERE number = ?", (number,)).fetchone() == (1,)


def _commands(out: str, force: bool = False) -> list[list[str]]:
    """Every command that writes an `--out` file."""
    extra = ["--force"] if force else []
    return [["letter", "{n}", "receipt", "--out", out, *extra],
            ["letter", "{n}", "receipt", "--format", "docx", "--out", out, *extra],
            ["report", "2025", "--format", "html", "--out", out, *extra],
            ["report", "2025", "--format", "xlsx", "--out", out, *extra]]


def test_out_never_overwrites_the_database_in_use_even_with_force(sqlite_sh: Shell,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    # SQLite only: the SQLite file, its WAL files and links to it (PostgreSQL keeps no file here)
    number = _receive(sqlite_sh)
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.db").symlink_to(tmp_path / "ogi.db")
    os.link(tmp_path / "ogi.db", tmp_path / "hard.db")
    every_command = _commands(str(tmp_path / "ogi.db"), force=True)
    every_name = [["letter", "{n}", "receipt", "--out", str(tmp_path / target), "--force"]
                  for target in ("ogi.db-wal", "ogi.db-shm", "sub/../ogi.db", "link.db", "hard.db")]
    for argv in every_command + every_name:
        stderr = sqlite_sh.refused(*[a.format(n=number) for a in argv], as_="head")
        assert "是正在使用的数据库" in stderr and "不能作为输出文件" in stderr, stderr
    _intact(tmp_path / "ogi.db", number)
    assert sqlite_sh.json("show", number)["state"] == "received"


def test_out_overwrites_another_existing_file_only_with_force(sqlite_sh: Shell, tmp_path: Path) -> None:  # noqa: F811
    # SQLite only: what it checks is the output files; the database is only read
    number = _receive(sqlite_sh)
    target = tmp_path / "答复书.docx"
    for argv in _commands(str(target)):
        target.write_bytes(b"an earlier letter")
        stderr = sqlite_sh.refused(*[a.format(n=number) for a in argv], as_="head")
        assert f"文件 {target} 已存在，未覆盖" in stderr and "--force" in stderr, stderr
        assert target.read_bytes() == b"an earlier letter"
    for argv in _commands(str(target), force=True):
        target.write_bytes(b"an earlier letter")
        sqlite_sh.ok(*[a.format(n=number) for a in argv], as_="head")
        assert target.read_bytes() != b"an earlier letter" and target.stat().st_size > 100
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temporary file left behind
    fresh = tmp_path / "new.html"
    sqlite_sh.ok("letter", number, "receipt", "--out", str(fresh))
    assert "登记回执" in fresh.read_text(encoding="utf-8")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_database_and_its_wal_files_are_created_private(tmp_path: Path) -> None:
    path = tmp_path / "ogi.db"
    made = subprocess.run([OGI, "--db", str(path), "init", "--agency", "某局"], capture_output=True, text=True,
                          preexec_fn=lambda: os.umask(0), timeout=60)  # the widest umask there is
    assert made.returncode == 0, made.stderr
    assert _mode(path) == 0o600
    old = os.umask(0)
    try:
        db = Database(f"sqlite:///{path}")
        with db.engine.connect() as conn:  # an open connection keeps the -wal and -shm files in place
            conn.execute(text("SELECT count(*) FROM agency"))
            for name in ("ogi.db", "ogi.db-wal", "ogi.db-shm"):
                assert _mode(tmp_path / name) == 0o600, name
        db.dispose()
        other = Database(f"sqlite:///{tmp_path / 'direct.db'}")  # any way a database is made, not only init
        with other.engine.connect() as conn:
            conn.execute(text("CREATE TABLE t (x)"))
            assert _mode(tmp_path / "direct.db") == _mode(tmp_path / "direct.db-wal") == 0o600
        other.dispose()
    finally:
        os.umask(old)


def test_init_warns_when_an_existing_database_is_readable_by_others(tmp_path: Path) -> None:
    path = tmp_path / "ogi.db"
    Shell(path).ok("init", "--agency", "某局", as_=None)
    path.chmod(0o644)
    again = Shell(path).ok("init", "--agency", "某局", as_=None)
    assert "其他用户" in again.stderr and f"chmod 600 {path}" in again.stderr, again.stderr
    assert _mode(path) == 0o644  # a warning: the operator may share it on purpose


def test_sqlite_commits_are_durable_against_a_power_cut(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'ogi.db'}")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    db.dispose()


def test_no_command_prints_the_password_of_a_database_url(tmp_path: Path) -> None:
    secret = "Geheim-4711"
    with postgres_database() as url:
        # The test server trusts local connections, so the password is accepted and simply unused.
        with_password = url.replace("postgres@", f"postgres:{secret}@", 1)
        shell = Shell(tmp_path / "unused.db")
        runs = [shell("--db", with_password, "init", "--agency", "某局", as_=None),
                shell("--db", with_password, "user", "add", "clerk", "--role", "clerk", as_="admin"),
                shell("--db", with_password, "cases"),
                shell("--db", with_password, "show", "2025-0001"),
                shell("--db", with_password.rsplit("/", 1)[0] + "/no_such_db", "cases"),
                shell("--db", with_password.replace(":5432", ":notaport"), "cases"),
                shell("--db", with_password.replace("127.0.0.1:5432", "127.0.0.1:5999"), "cases")]
    assert runs[0].returncode == 0 and "postgres:***@" in runs[0].stdout, runs[0].stdout
    assert [r.returncode for r in runs[4:]] == [1, 1, 1]
    for done in runs:
        assert secret not in done.stdout + done.stderr, done.stdout + done.stderr
        assert "Traceback" not in done.stderr, done.stderr
    assert "端口须为数字" in runs[5].stderr


@pytest.mark.parametrize("payload", [
    "{{ cycler.__init__.__globals__.os.popen('touch PWNED').read() }}",
    "{{ lipsum.__globals__['os'].popen('touch PWNED').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% include 'evil_part.html' %}",
])
def test_an_agency_template_cannot_reach_python(sqlite_sh: Shell, tmp_path: Path, payload: str) -> None:  # noqa: F811
    # SQLite only: what it checks is the template sandbox; the database is only read
    number = _receive(sqlite_sh)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "evil_part.html").write_text(
        "<p>\n{{ cycler.__init__.__globals__.os.popen('touch PWNED').read() }}</p>", encoding="utf-8")
    (templates / "receipt.html").write_text(f"<html><body><p>{{{{ case.number }}}}</p>{payload}</body></html>",
                                            encoding="utf-8")
    out = tmp_path / "回执.docx"
    for fmt in ("html", "docx") if "cycler" in payload else ("docx",):
        done = subprocess.run(sqlite_sh.argv("letter", number, "receipt", "--format", fmt, "--out", str(out),
                                      "--templates", str(templates)),
                              capture_output=True, text=True, cwd=tmp_path, timeout=60)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "试图访问文书数据以外的内容" in done.stderr and "已拒绝" in done.stderr, done.stderr
        named = "evil_part.html 第 2 行" if "include" in payload else "receipt.html"
        assert named in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and done.stdout == ""
    assert not out.exists() and not (tmp_path / "PWNED").exists()
    (templates / "receipt.html").write_text("<p>{{ case.number }} {{ agency.name }}</p>", encoding="utf-8")
    sqlite_sh.ok("letter", number, "receipt", "--out", str(out), "--templates", str(templates))  # the data stays usable
    assert number in out.read_text(encoding="utf-8")


def test_a_database_made_by_an_older_version_says_it_needs_upgrading(sh: Shell, tmp_path: Path) -> None:  # noqa: F811
    number = _receive(sh)
    db = Database(resolve_url(sh.db))
    with db.engine.begin() as conn:  # as 0.1.0 made it: no hash on events
        if db.is_sqlite:  # SQLite cannot drop a column a trigger names
            conn.execute(text("DROP TRIGGER event_no_update"))
        conn.execute(text("ALTER TABLE event DROP COLUMN hash"))
    db.dispose()
    for argv in (("show", number), ("verify",)):
        stderr = sh.refused(*argv)
        assert "较早版本的 ogi 建立，缺少本版本需要的列（event.hash）" in stderr and "备份" in stderr, stderr
