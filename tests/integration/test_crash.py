"""`kill -9` in the middle of a 50,000-row import, of a stream of actions and of a sweep with delivery, on SQLite and
PostgreSQL: afterwards `ogi verify` is clean, each unit of work is wholly there or wholly absent, and a rerun
completes the work (docs/operations.md, 「五、进程被强行终止之后」).

How a kill is made to land mid-work on a loaded machine, without a blind sleep: the victim, a real `ogi` process,
is frozen with SIGSTOP at short random intervals and, while it is frozen, the test looks at the database. SQLite:
does someone hold the write lock (`BEGIN IMMEDIATE` fails at once)? PostgreSQL: has the victim's session (named
through PGAPPNAME) a transaction id, i.e. has its open transaction written? Frozen, the victim cannot commit between
the look and the SIGKILL, so a kill made on a "yes" lands inside a write transaction. A victim that gets past the
point before it is caught is tried again on a fresh database.
"""

import contextlib
import csv
import io
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import text

from tests.integration.conftest import AGENCY, postgres_database
from workflow import admin
from workflow.db import Database
from workflow.verify import verify

OGI = str(Path(sys.executable).with_name("ogi"))
REPO = Path(__file__).resolve().parents[2]
VICTIM = "ogi-crash-victim"  # the application_name of the victim's PostgreSQL session (libpq reads PGAPPNAME)
TODAY = date(2025, 6, 17)


@dataclass
class Site:
    """A fresh database with an agency, a clerk and a head (both with an email address), seen by the test and by
    the `ogi` processes it starts."""

    db: Database
    path: Path | None  # the SQLite file; None on PostgreSQL
    work: Path

    @property
    def url(self) -> str:
        """What OGI_DB takes."""
        return str(self.path) if self.path is not None else self.db.url

    def env(self) -> dict[str, str]:
        return {**os.environ, "OGI_DB": self.url, "PGAPPNAME": VICTIM, "COLUMNS": "200"}

    def ogi(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run `ogi` to its end (the rerun, `ogi verify`)."""
        return subprocess.run([OGI, *args], env=self.env(), capture_output=True, text=True, timeout=timeout,
                              check=False)

    def start(self, argv: list[str], name: str) -> subprocess.Popen[bytes]:
        """Start a victim; its output goes to files (a pipe nobody reads could block it)."""
        out = (self.work / f"{name}.out").open("wb")
        err = (self.work / f"{name}.err").open("wb")
        with out, err:
            return subprocess.Popen(argv, env=self.env(), stdout=out, stderr=err, cwd=REPO)

    def writing(self) -> bool:
        """Whether a write transaction is open (looked at while the victim is frozen, so it is the victim's)."""
        if self.path is None:
            return bool(self.scalar("SELECT count(*) FROM pg_stat_activity "
                                    f"WHERE application_name = '{VICTIM}' AND backend_xid IS NOT NULL"))
        probe = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return True
            raise
        else:
            probe.execute("ROLLBACK")
            return False
        finally:
            probe.close()

    def scalar(self, sql: str) -> int:
        """One number, read with what is committed (never waiting long for a frozen victim)."""
        if self.path is None:
            with self.db.engine.connect() as conn:
                conn.execute(text("SET statement_timeout = 5000"))
                return int(conn.execute(text(sql)).scalar_one())
        con = sqlite3.connect(self.path, timeout=2)
        try:
            return int(con.execute(sql).fetchone()[0])
        finally:
            con.close()

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self.db.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql)).all()]

    def settle(self) -> None:
        """PostgreSQL: the killed client's session ends (its transaction rolled back, its locks released)."""
        if self.path is None:
            deadline = time.monotonic() + 60
            while self.scalar(f"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{VICTIM}'"):
                assert time.monotonic() < deadline, "the killed process's PostgreSQL session did not end"
                time.sleep(0.05)

    def verified(self) -> dict[str, Any]:
        """`ogi verify --json`: it must exit 0 and say ok."""
        done = self.ogi("verify", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        result: dict[str, Any] = json.loads(done.stdout)
        assert result["ok"] is True and result["problems"] == []
        return result

    def consistent(self) -> None:
        """The same check in this process (cheap between kills), and SQLite's own integrity check."""
        result = verify(self.db, today=TODAY, jobs=1)
        assert result.ok, [p.message for p in result.problems]
        if self.path is not None:
            con = sqlite3.connect(self.path)
            try:
                assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            finally:
                con.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def sites(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Site]]:
    """Fresh databases of one kind, as many as a test asks for (a victim that got past its point is retried)."""
    with ExitStack() as stack:

        def new() -> Site:
            work = tmp_path / uuid4().hex[:8]
            work.mkdir()
            if request.param == "sqlite":
                path: Path | None = work / "ogi.db"
                db = Database(f"sqlite:///{path}")
            else:
                path, db = None, Database(stack.enter_context(postgres_database()))
            stack.callback(db.dispose)
            admin.init(db, agency=AGENCY)
            admin.add_user(db, actor_name="admin", username="clerk", role="clerk", email="clerk@example.gov.cn")
            admin.add_user(db, actor_name="admin", username="head", role="head", email="head@example.gov.cn")
            return Site(db, path, work)

        yield new


def _frozen(pid: int) -> bool:
    """Wait until the SIGSTOPped process is stopped; False if it is gone."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        if state in "TtZX":
            return state in "Tt"
        time.sleep(0.0002)
    raise AssertionError(f"process {pid} did not stop")


def kill_inside(proc: subprocess.Popen[bytes], inside: Callable[[], bool], *, linger: float = 0.0,
                timeout: float = 240) -> bool:
    """SIGKILL `proc` at a moment when, frozen, `inside()` says it is mid-work (and has been for `linger` seconds
    of sampling); False when it exits first."""
    since: float | None = None
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        assert time.monotonic() < deadline, "the victim neither finished nor reached the point"
        time.sleep(random.uniform(0.0005, 0.004))
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            if not _frozen(proc.pid):
                break
            if inside():
                since = time.monotonic() if since is None else since
                if time.monotonic() - since >= linger:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
                    return True
            else:
                since = None
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGCONT)
    proc.wait()
    return False


# --- a 50,000-row import ----------------------------------------------------------------------------------------

ROWS = 50_000
LEDGER_HEADER = ["编号", "申请人", "申请人类型", "申请方式", "收到日期", "申请内容", "办理状态", "办理结果", "办结日期",
                 "联系方式"]


@dataclass
class Ledger:
    path: Path
    concluded: int
    open: int
    last_of_year: dict[int, int]


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    """50,000 rows over 2021-2025 in the engine's numbering: 7 in 10 concluded, the rest still open."""
    path = tmp_path_factory.mktemp("ledger") / "台账2021-2025.csv"
    first, span = date(2021, 1, 4), (TODAY - timedelta(days=40) - date(2021, 1, 4)).days
    sequence: Counter[int] = Counter()
    concluded = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(LEDGER_HEADER)
        for i in range(ROWS):
            received = first + timedelta(days=i * span // ROWS)
            sequence[received.year] += 1
            number = f"{received.year}-{sequence[received.year]:04d}"
            if i % 10 < 7:
                concluded += 1
                writer.writerow([number, f"申请人{i}", "自然人", "互联网渠道", received.isoformat(), "某项目环评批复",
                                 "已办结", "（一）予以公开", (received + timedelta(days=12)).isoformat(), ""])
            else:
                writer.writerow([number, f"申请人{i}", "自然人", "当面提交", received.isoformat(), "某地块出让合同",
                                 "办理中", "", "", ""])
    return Ledger(path, concluded, ROWS - concluded, dict(sequence))


def _import_counts(site: Site) -> tuple[int, int, int, int]:
    return tuple(site.scalar(f"SELECT count(*) FROM {table}")  # type: ignore[return-value]
                 for table in ("application", "event", "case_clock", "case_number"))


def test_a_killed_import_leaves_nothing_and_the_rerun_imports_every_row(sites: Callable[[], Site],
                                                                      ledger: Ledger) -> None:
    full = (ROWS, ROWS + ledger.concluded, 2 * ledger.open, len(ledger.last_of_year))
    outcomes = []
    for attempt in range(3):
        site = sites()
        proc = site.start([OGI, "--as", "clerk", "--today", TODAY.isoformat(), "import", str(ledger.path)],
                          f"import-{attempt}")
        killed = kill_inside(proc, site.writing, linger=0.3 if attempt == 0 else 0.0)
        site.settle()
        counts = _import_counts(site)
        assert counts in ((0, 0, 0, 0), full), f"a half-written import: {counts}"  # all or nothing
        outcomes.append((killed, counts))
        if killed and counts == (0, 0, 0, 0):
            break
    else:
        pytest.fail(f"the import was never killed inside its transaction: {outcomes}")
    site.consistent()
    started = time.monotonic()
    rerun = site.ogi("--as", "clerk", "--today", TODAY.isoformat(), "import", str(ledger.path), "--json")
    took = time.monotonic() - started
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["created"] == ROWS, rerun.stdout
    assert _import_counts(site) == full
    # The counters the killed import had raised were rolled back with it; the rerun raised them to the ledger's.
    counters = dict(site.rows("SELECT year, last_used FROM case_number"))
    assert counters == ledger.last_of_year
    result = site.verified()
    assert (result["cases"], result["events"]) == (ROWS, full[1]), result
    print(f"import rerun {took:.1f} s")
