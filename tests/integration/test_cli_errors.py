"""No tracebacks, no English (issue 10 item 6): bad files, bad database addresses, over-long input and read-only
databases each get a Chinese message naming the problem, exit 1, and change nothing."""

import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import postgres_database
from tests.integration.test_clerk_cli import Shell, _receive, sh, sqlite_sh  # noqa: F401 - the fixtures


@pytest.fixture
def cleanup() -> Iterator[Callable[[Path], None]]:
    """Folders to remove after the test, whatever their modes."""
    folders: list[Path] = []
    yield folders.append
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o700)
        shutil.rmtree(folder, ignore_errors=True)


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]  # an ordinary user, not root


@pytest.fixture
def runnable_by_nobody() -> Iterator[None]:
    """Let the ordinary user reach this checkout's interpreter and code: a checkout in a private folder (e.g.
    `mktemp -d`, mode 0700) is opened to others for the test (search only, o+x), then closed again."""
    opened: list[tuple[Path, int]] = []
    for folder in Path(sys.executable).absolute().parents:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)
            opened.append((folder, mode))
    yield
    for folder, mode in opened:
        folder.chmod(stat.S_IMODE(mode))


def _plain(stderr: str) -> None:
    """A refusal a clerk can read: Chinese, no traceback, no driver or SQL text."""
    assert stderr.startswith("错误："), stderr
    for english in ("Traceback", "Error:", "SELECT", "relation", "codec", "String should"):
        assert english not in stderr, stderr


@pytest.mark.parametrize(("content", "problem"), [
    (b"\xff\xfe\x00\x01binary", "不是文本文件（含有二进制内容）"),
    ('year = 2027\nsource = "国务院办公厅通知"\n'.encode("gbk"), "不是 UTF-8 编码的文本文件（看来是 GBK/GB18030"),
])
def test_a_calendar_notice_that_is_not_utf8_text_is_refused(sqlite_sh: Shell, tmp_path: Path,  # noqa: F811
                                                             content: bytes, problem: str) -> None:
    # SQLite only: the file is refused as it is read, before any database is touched
    notice = tmp_path / "2027.toml"
    notice.write_bytes(content)
    stderr = sqlite_sh.refused("calendar", "import", str(notice), as_="admin")
    _plain(stderr)
    assert problem in stderr and "2027.toml" in stderr


@pytest.mark.parametrize(("url", "problem"), [
    ("mysql://x:secret@y/z", "无法打开数据库 mysql://x:***@y/z：不支持 mysql"),
    ("postgresql+psycopg://postgres:secret@127.0.0.1:5999/x", "连接被拒绝"),
])
def test_a_database_address_ogi_cannot_use_is_named_without_its_password(tmp_path: Path, url: str,
                                                                          problem: str) -> None:
    done = Shell(tmp_path / "unused.db")("--db", url, "cases")
    assert done.returncode == 1 and problem in done.stderr and "secret" not in done.stderr, done.stderr
    _plain(done.stderr)


def test_an_uninitialised_postgresql_database_says_to_run_init(tmp_path: Path) -> None:
    with postgres_database() as url:
        done = subprocess.run([*Shell(tmp_path / "x.db").argv("--db", url, "cases")], capture_output=True, text=True)
    assert done.returncode == 1 and "数据库尚未初始化" in done.stderr and "ogi init" in done.stderr
    _plain(done.stderr)


def test_missing_folders_and_files_that_are_not_databases(tmp_path: Path) -> None:
    shell = Shell(tmp_path / "no" / "such" / "ogi.db")
    made = shell("init", "--agency", "某局", as_=None)
    assert made.returncode == 1 and "目录" in made.stderr and "不存在" in made.stderr
    _plain(made.stderr)
    assert not (tmp_path / "no").exists()
    junk = tmp_path / "notes.db"
    junk.write_text("这不是数据库", encoding="utf-8")
    done = Shell(junk)("cases")
    assert done.returncode == 1 and "不是 ogi 的 SQLite 数据库" in done.stderr
    _plain(done.stderr)
    assert junk.read_text(encoding="utf-8") == "这不是数据库"


def test_an_overlong_applicant_name_is_refused_without_echoing_it(sh: Shell) -> None:  # noqa: F811
    stderr = sh.refused("receive", "--applicant", "张" * 30_000, "--type", "natural", "--channel", "online",
                        "--received-on", "2025-03-03", "--request", "x")
    _plain(stderr)
    assert "申请人（--applicant）过长：30000 字，最多 200 字" in stderr and len(stderr) < 300
    assert sh.json("cases", "--all") == []


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux) to act as a non-root user")
@pytest.mark.parametrize("folder_writable", [True, False], ids=["read-only-file", "read-only-folder"])
def test_a_read_only_database_can_be_read_and_refuses_writes_in_chinese(sqlite_sh: Shell,  # noqa: F811
                                                                        folder_writable: bool,
                                                                        cleanup: Callable[[Path], None],
                                                                        runnable_by_nobody: None) -> None:
    # SQLite only: a read-only SQLite file and folder (PostgreSQL's permissions are the server's)
    number = _receive(sqlite_sh)
    # Under /tmp itself: pytest's own temporary folders are closed to other users.
    outer = Path(tempfile.mkdtemp(prefix="ogi-read-only-"))
    cleanup(outer)
    outer.chmod(0o755)
    archive = outer / "archive"
    archive.mkdir()
    copy = archive / "ogi.db"
    sqlite_sh.ok("show", number)  # checkpointed on close: the copy below is the whole database
    shutil.copy(sqlite_sh.db, copy)
    copy.chmod(0o444)
    archive.chmod(0o777 if folder_writable else 0o555)
    reader = Shell(copy)
    shown = subprocess.run([*NOBODY, *reader.argv("show", number, "--json")], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    listed = subprocess.run([*NOBODY, *reader.argv("cases")], capture_output=True, text=True)
    assert listed.returncode == 0 and number in listed.stdout, listed.stderr
    before = copy.read_bytes()
    wrote = subprocess.run([*NOBODY, *reader.argv("act", number, "withdraw", "--text", "撤回")],
                           capture_output=True, text=True)
    assert wrote.returncode == 1 and "数据库是只读的" in wrote.stderr, wrote.stderr
    _plain(wrote.stderr)
    assert copy.read_bytes() == before
