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

import asyncio
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
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text, update
from sqlmodel import col

from notifications.policy import due_alerts, load_policy
from tests.integration.conftest import AGENCY, postgres_database
from workflow import admin, cases, monitor
from workflow.alerts.outbox import STALE_CLAIM
from workflow.calendar_store import load_calendar
from workflow.db import Database
from workflow.inputs import ActionInput, ApplicationCreate
from workflow.ledger import import_applications
from workflow.models import Delivery, utcnow
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
            proc = subprocess.Popen(argv, env=self.env(), stdout=out, stderr=err, cwd=REPO)
        self._started.append(proc)
        return proc

    def __post_init__(self) -> None:
        self._look: Any = None  # connections of its own for looking while the victim is frozen, opened once
        self._try: sqlite3.Connection | None = None
        self._started: list[subprocess.Popen[bytes]] = []

    def close(self) -> None:
        for proc in self._started:  # a test that failed half-way leaves no victim running (or frozen)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for conn in (self._look, self._try):
            if conn is not None:
                conn.close()

    def inside(self, condition: str = "1 = 1") -> bool:
        """Whether a write transaction is open (looked at while the victim is frozen, so it is the victim's) and
        the committed data satisfy `condition` (SQL)."""
        if self.path is None:
            return bool(self.scalar(f"SELECT ({condition}) AND EXISTS (SELECT 1 FROM pg_stat_activity WHERE "
                                    f"application_name = '{VICTIM}' AND backend_xid IS NOT NULL)"))
        if self._try is None:
            self._try = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            self._try.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            return bool(self.scalar(f"SELECT {condition}"))  # someone holds the write lock
        self._try.execute("ROLLBACK")
        return False

    def scalar(self, sql: str) -> int:
        """One number, read from what is committed (never waiting long for a frozen victim)."""
        if self._look is None:
            if self.path is None:
                self._look = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                self._look.execute(text("SET statement_timeout = 5000"))
            else:
                self._look = sqlite3.connect(self.path, timeout=2, isolation_level=None)
        if self.path is None:
            return int(self._look.execute(text(sql)).scalar_one())
        return int(self._look.execute(sql).fetchone()[0])

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
            site = Site(db, path, work)
            stack.callback(site.close)
            admin.init(db, agency=AGENCY)
            admin.add_user(db, actor_name="admin", username="clerk", role="clerk", email="clerk@example.gov.cn")
            admin.add_user(db, actor_name="admin", username="head", role="head", email="head@example.gov.cn")
            return site

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


def kill_inside(proc: subprocess.Popen[bytes], inside: Callable[[], bool], *, linger: float = 0.0, skip: int = 0,
                every: float = 0.004, timeout: float = 240) -> bool:
    """SIGKILL `proc` at a moment when, frozen, `inside()` says it is mid-work: not before `linger` seconds after
    the first such moment, nor before `skip` such moments have passed; False when it exits first. It runs for up
    to `every` seconds between two looks."""
    since: float | None = None
    seen = 0
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        assert time.monotonic() < deadline, "the victim neither finished nor reached the point"
        time.sleep(random.uniform(every / 8, every))
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            if not _frozen(proc.pid):
                break
            if inside():
                since, seen = time.monotonic() if since is None else since, seen + 1
                if time.monotonic() - since >= linger and seen > skip:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
                    return True
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


EARLIER = 200  # the cases the agency already has (its 2020 ledger), which the killed import must leave alone


def _with_earlier_cases(site: Site) -> Site:
    path = site.work / "台账2020.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(LEDGER_HEADER)
        for i in range(EARLIER):
            received = date(2020, 3, 2) + timedelta(days=i)
            writer.writerow([f"2020-{i + 1:04d}", f"申请人{i}", "自然人", "电子邮件", received.isoformat(),
                             "某小区改造资金使用情况", "已办结", "6.3", (received + timedelta(days=3)).isoformat(), ""])
    import_applications(site.db, actor_name="clerk", path=path, today=TODAY)
    return site


def test_an_import_killed_early_midway_or_late_in_its_transaction_writes_nothing_and_the_rerun_writes_all(
        sites: Callable[[], Site], ledger: Ledger) -> None:
    before = (EARLIER, 2 * EARLIER, 0, 1)
    full = (EARLIER + ROWS, 2 * EARLIER + ROWS + ledger.concluded, 2 * ledger.open, 1 + len(ledger.last_of_year))
    argv = [OGI, "--as", "clerk", "--today", TODAY.isoformat(), "import", str(ledger.path), "--json"]
    # Where the kills land inside the import's one transaction (it writes after validating the 50,000 rows):
    # early, then later; PostgreSQL shows the statement under way, so there the later one waits until the cases
    # are written and their events are being written.
    halfway = (f"EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = '{VICTIM}' "
               "AND query LIKE 'INSERT INTO event%')")
    for _ in range(2):
        site, kills = _with_earlier_cases(sites()), []
        points = [("0.3 s into it", "1 = 1", 0.3),
                  ("writing the events, after the cases", halfway, 0.0) if site.path is None
                  else ("2 s into it", "1 = 1", 2.0)]
        for name, condition, linger in points:
            killed = kill_inside(site.start(argv, f"import-{len(kills)}"),
                                 lambda c=condition, s=site: s.inside(c), linger=linger, every=0.02)
            site.settle()
            counts = _import_counts(site)
            assert counts in (before, full), f"killed {name}, the import left {counts}"  # all or nothing
            if not killed or counts == full:
                break  # it got to its end first: that run was the rerun
            kills.append(name)
            if len(kills) == 1:
                site.consistent()
                result = site.verified()  # the real `ogi verify` on what the kill left (SQLite: a hot WAL)
                assert (result["cases"], result["events"]) == (EARLIER, 2 * EARLIER), result
        if kills:
            break
    assert kills, "the import was never killed inside its transaction"
    if _import_counts(site) == before:
        rerun = site.ogi(*argv[1:])
        assert rerun.returncode == 0, rerun.stderr
        assert json.loads(rerun.stdout)["created"] == ROWS, rerun.stdout
    assert _import_counts(site) == full
    # The counters the killed imports had raised went back with them; the rerun raised them to the ledger's numbers.
    assert dict(site.rows("SELECT year, last_used FROM case_number")) == {2020: EARLIER, **ledger.last_of_year}
    # Each case's hash-chain head counts its events (the replay of 50,000 imported cases is test_verify's part).
    assert site.scalar("SELECT count(*) FROM application a WHERE a.chain_length <> "
                       "(SELECT count(*) FROM event e WHERE e.application_id = a.id)") == 0


# --- a stream of actions ----------------------------------------------------------------------------------------

# Each case of the stream: registered (version 1), then these actions, by version, to its conclusion (version 5).
PLAN = {1: ("clerk", ["request_correction", "--text", "请补正所需信息的名称和文号", "--days", "10"]),
        2: ("clerk", ["receive_correction"]),
        3: ("clerk", ["submit_response", "--outcome", "1", "--text", "予以公开"]),
        4: ("head", ["approve_response"])}
CONCLUDED = 5
STREAM = "from tests.integration.test_crash import stream; stream()"


def stream() -> None:
    """The loop process (`python -c STREAM LOG CASES`): case after case registered and taken to its conclusion,
    one `ogi` command after another through the command line's own entry point in one process, as a worker runs
    use case after use case. Each command is logged before it starts (`begin …`) and after it returned
    (`done NUMBER VERSION`). It first finishes the case a killed stream left open; CASES = 0: until killed."""
    import gc

    from workflow.cli import app

    log_path, cases = Path(sys.argv[1]), int(sys.argv[2])
    with log_path.open("a", encoding="utf-8") as log:

        def note(line: str) -> None:
            log.write(line + "\n")
            log.flush()

        def ogi(user: str, *args: str) -> Any:
            note("begin " + " ".join(args))
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = app(["--as", user, "--today", TODAY.isoformat(), *args, "--json"], standalone_mode=False)
            if isinstance(code, int) and code:
                raise SystemExit(code)
            gc.collect()  # each command opened an engine of its own: close its connections now
            return json.loads(out.getvalue())

        def conclude(number: str, version: int) -> None:
            while version < CONCLUDED:
                user, action = PLAN[version]
                version = ogi(user, "act", number, *action)["version"]
                note(f"done {number} {version}")

        for case in ogi("clerk", "cases"):
            conclude(case["number"], ogi("clerk", "show", case["number"])["version"])
        made = 0
        while cases == 0 or made < cases:
            number = ogi("clerk", "receive", "--applicant", f"申请人{made}", "--type", "natural", "--channel",
                         "online", "--received-on", (TODAY - timedelta(days=5)).isoformat(),
                         "--request", "某路段拓宽工程的规划许可")["number"]
            note(f"done {number} 1")
            conclude(number, 1)
            made += 1


def _log(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _stream_checked(site: Site, log: Path) -> list[tuple[str, int]]:
    """Every acknowledged action is stored; at most the one in flight more, whole: its event, the case row's
    version, the hash chain's length and (verify) the clocks agree. The in-flight action, when stored, is logged as
    `found NUMBER VERSION`: the kill came after its commit left the stream (PostgreSQL finishes a COMMIT it has
    received), so it stays stored and no later stream repeats it. Returns (number, version) of every case."""
    lines = _log(log)
    acknowledged = {(w[1], int(w[2])) for w in (line.split() for line in lines) if w[0] in ("done", "found")}
    stored = set(site.rows("SELECT a.number, e.seq FROM event e JOIN application a ON a.id = e.application_id"))
    assert acknowledged <= stored, f"acknowledged actions lost: {sorted(acknowledged - stored)}"
    extra = stored - acknowledged
    last = lines[-1].split() if lines else []
    if last[:2] == ["begin", "act"]:
        seen = max((v for n, v in acknowledged if n == last[2]), default=0)
        assert extra <= {(last[2], seen + 1)}, f"in flight: {lines[-1]}; stored beyond it: {sorted(extra)}"
    elif last[:2] == ["begin", "receive"]:
        known = {n for n, _ in acknowledged}
        assert len(extra) <= 1 and all(v == 1 and n not in known for n, v in extra), sorted(extra)
    else:
        assert extra == set(), sorted(extra)
    with log.open("a", encoding="utf-8") as notes:
        notes.writelines(f"found {number} {version}\n" for number, version in sorted(extra))
    cases = site.rows("SELECT a.number, a.version, a.chain_length, count(e.id), max(e.seq) FROM application a "
                      "LEFT JOIN event e ON e.application_id = a.id GROUP BY a.id, a.number, a.version, "
                      "a.chain_length ORDER BY a.number")
    torn = [c for c in cases if not c[1] == c[2] == c[3] == c[4]]
    assert torn == [], f"case rows that disagree with their events (number, version, chain, events, last seq): {torn}"
    site.consistent()
    return [(c[0], c[1]) for c in cases]


def test_a_killed_stream_of_actions_keeps_every_acknowledged_action_and_half_writes_none(
        sites: Callable[[], Site]) -> None:
    site = sites()
    log = site.work / "stream.log"
    # Killed inside a registration, inside an action, and once more a little later inside an action (a
    # transaction is seen open two or three times in a row: the second look).
    for run, (target, skip) in enumerate((("receive", 0), ("act", 0), ("act", 1))):
        before = len(_log(log))

        def inside(target: str = target, before: int = before) -> bool:
            lines = _log(log)[before:]
            warm = sum(line.startswith("done") for line in lines) >= 3  # past start-up, into the stream
            return warm and lines[-1].startswith(f"begin {target}") and site.inside()

        proc = site.start([sys.executable, "-c", STREAM, str(log), "0"], f"stream-{run}")
        assert kill_inside(proc, inside, skip=skip), (site.work / f"stream-{run}.err").read_text()
        site.settle()
        _stream_checked(site, log)
    resumed = site.start([sys.executable, "-c", STREAM, str(log), "2"], "stream-rerun")
    assert resumed.wait(timeout=240) == 0, (site.work / "stream-rerun.err").read_text()
    cases = _stream_checked(site, log)
    assert {v for _, v in cases} == {CONCLUDED}, cases  # the rerun finished the case the kill interrupted
    # The killed registration gave its number back: the numbers run without a gap.
    assert [n for n, _ in cases] == [f"{TODAY.year}-{i:04d}" for i in range(1, len(cases) + 1)]
    result = site.verified()
    assert (result["cases"], result["events"]) == (len(cases), CONCLUDED * len(cases)), result


# --- a sweep with delivery --------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """aiosmtpd handler: the Message-ID of every mail that arrived. With `hold_at` set, the reply to that mail's
    DATA waits until `release`: its sender is then stuck in the middle of a send."""

    ids: list[str] = field(default_factory=list)
    hold_at: int | None = None
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.ids.append(str(message_from_bytes(envelope.original_content)["Message-ID"]))
        if len(self.ids) == self.hold_at:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
        return "250 OK"


class _Controller(Controller):
    """aiosmtpd's Controller on a free port chosen by the OS."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = _Controller(box, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield box, controller.port
    finally:
        box.release.set()
        controller.stop()


LAPSING = 24  # cases whose correction period ran out: the sweep concludes each (outcome 6.1), one transaction each
SENDER = "ogi@example.gov.cn"


def _populate(site: Site) -> None:
    """24 cases to lapse, and 60 open ledger cases whose response periods fall due or overdue around TODAY."""
    for i in range(LAPSING):
        on = date(2025, 5, 6)
        data = ApplicationCreate(applicant_name=f"未补正{i}", applicant_type="natural", channel="online",
                                 received_on=on, request="某项目的环境影响评价批复")
        number = cases.register(site.db, actor_name="clerk", data=data, today=on).number
        cases.act(site.db, actor_name="clerk", number=number, trigger="request_correction", today=on,
                  data=ActionInput(on=on, text="请补正所需信息的名称", days=5))
    path = site.work / "open.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(LEDGER_HEADER)
        for i in range(60):
            received = date(2025, 4, 28) + timedelta(days=i // 2)
            writer.writerow([f"台账-{i}", f"申请人{i}", "自然人", "互联网渠道", received.isoformat(), "某地块出让合同",
                             "办理中", "", "", ""])
    import_applications(site.db, actor_name="clerk", path=path, today=TODAY)


def _message_id(alert_id: int, recipient: str) -> str:
    return f"<ogi-alert-{alert_id}-{recipient}@example.gov.cn>"


def _expected_alerts(site: Site, config: Path) -> set[tuple[int, str]]:
    """What the policy says is due today for every running clock of an open case (notifications/policy.py)."""
    policy = load_policy(config)
    with site.db.unit_of_work() as session:
        cal = load_calendar(session)
    clocks = site.rows("SELECT c.application_id, c.kind, c.due_on FROM case_clock c JOIN application a "
                       "ON a.id = c.application_id WHERE a.state <> 'concluded' AND c.status = 'running'")
    return {(app, alert.key) for app, kind, due in clocks
            for alert in due_alerts(kind, due if isinstance(due, date) else date.fromisoformat(due), TODAY, policy,
                                    cal)}


def _outbox_whole(site: Site) -> None:
    """No alert without its queue row or its deliveries; no delivery without its alert."""
    assert site.scalar("SELECT count(*) FROM alert a WHERE NOT EXISTS (SELECT 1 FROM alert_queue q WHERE "
                       "q.alert_id = a.id) AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.alert_id = a.id)") == 0
    assert site.scalar("SELECT count(*) FROM alert_queue q JOIN delivery d ON d.alert_id = q.alert_id") == 0


def _sweep_attempt(site: Site, box: Mailbox, config: Path) -> bool:
    """Three sweeps killed, each inside a different unit of work, then one that completes; False when a sweep got
    past its point before it was caught (the caller tries again on a fresh database)."""
    _populate(site)
    argv = [OGI, "--today", TODAY.isoformat(), "alerts", "sweep", "--config", str(config)]
    lapsed = "SELECT count(*) FROM application WHERE outcome = '6.1'"
    waiting = "SELECT count(*) FROM application WHERE state = 'awaiting_correction'"
    runs, alerts, sent = ("SELECT count(*) FROM sweep_run", "SELECT count(*) FROM alert",
                          "SELECT count(*) FROM delivery")

    # 1. In the middle of the lapses (the sweep's heartbeat written, some lapses made, others waiting).
    lapsing = f"({runs}) = 1 AND ({lapsed}) >= 3 AND ({waiting}) > 0"
    if not kill_inside(site.start(argv, "sweep-lapses"), lambda: site.inside(lapsing)):
        return False
    site.settle()
    done = site.scalar(lapsed)
    assert 3 <= done < LAPSING and site.scalar(waiting) == LAPSING - done
    assert site.scalar("SELECT count(*) FROM event WHERE trigger = 'lapse_correction'") == done  # one event each
    assert (site.scalar(alerts), site.scalar(sent)) == (0, 0)
    site.consistent()
    # An hour on, `ogi status` says the killed sweep never finished (its heartbeat row has no end).
    later = monitor.status(site.db, today=TODAY, max_age=timedelta(hours=26), now=utcnow() + timedelta(hours=2))
    assert any("仍未完成" in w and "强行终止" in w for w in later["warnings"]), later["warnings"]

    # 2. Raising and queueing the alerts (after the lapses, before any delivery exists).
    raising = f"({runs}) = 2 AND ({waiting}) = 0 AND ({sent}) = 0"
    if not kill_inside(site.start(argv, "sweep-raise"), lambda: site.inside(raising)):
        return False
    site.settle()
    assert site.scalar(lapsed) == LAPSING and site.scalar(sent) == 0
    _outbox_whole(site)
    site.consistent()

    # 3. Sending: the SMTP server holds its reply to the 30th mail; the sweep is killed waiting for it.
    box.hold_at = 30
    if not kill_inside(site.start(argv, "sweep-send"), box.holding.is_set):
        return False
    box.release.set()
    site.settle()
    _outbox_whole(site)
    in_flight = box.ids[-1]
    recorded = {_message_id(a, r) for a, r in site.rows("SELECT alert_id, recipient FROM delivery "
                                                          "WHERE status = 'sent'")}
    sending = {_message_id(a, r) for a, r in site.rows("SELECT alert_id, recipient FROM delivery "
                                                         "WHERE status = 'sending'")}
    # A batch's results are recorded together: what arrived but is not recorded is all in the claimed batch.
    assert in_flight in sending and set(box.ids) - recorded <= sending
    # Ten minutes pass: the dead process's claims go stale and another sweep may take them over.
    with site.db.unit_of_work() as session:
        session.exec(update(Delivery).where(col(Delivery.status) == "sending")  # type: ignore[call-overload]
                     .values(next_attempt_at=utcnow() - STALE_CLAIM - timedelta(minutes=1)))

    # 4. Rerun: the sweep completes everything.
    rerun = site.ogi(*argv[1:])
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    deliveries = site.rows("SELECT alert_id, recipient, status, attempts FROM delivery")
    assert {(s, a) for _, _, s, a in deliveries} == {("sent", 1)}
    assert site.scalar("SELECT count(*) FROM alert_queue") == 0
    raised = set(site.rows("SELECT application_id, key FROM alert"))
    assert raised == _expected_alerts(site, config)  # every alert due was raised, once
    assert site.scalar("SELECT count(*) FROM alert a WHERE NOT EXISTS (SELECT 1 FROM delivery d "
                       "WHERE d.alert_id = a.id)") == 0
    # Every delivery reached the SMTP server; only mails of the batch in flight at the kill came twice (the
    # documented window: one batch), none more than twice, and the one being sent at the kill among them.
    mails = Counter(box.ids)
    assert set(mails) == {_message_id(a, r) for a, r, _, _ in deliveries}
    twice = {i for i, n in mails.items() if n > 1}
    assert in_flight in twice and twice <= sending and max(mails.values()) == 2
    assert site.scalar("SELECT count(*) FROM event WHERE trigger = 'lapse_correction'") == LAPSING
    later = monitor.status(site.db, today=TODAY, max_age=timedelta(hours=26), now=utcnow() + timedelta(hours=2))
    assert not any("仍未完成" in w for w in later["warnings"]), later["warnings"]
    site.verified()
    return True


def test_a_killed_sweep_loses_no_alert_and_sends_at_most_the_batch_in_flight_twice(
        sites: Callable[[], Site], mailbox: tuple[Mailbox, int], tmp_path: Path) -> None:
    box, port = mailbox
    config = tmp_path / "alerts.toml"
    config.write_text(f'channels = ["email"]\n\n[email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
                      f'sender = "{SENDER}"\ntimeout = 10\n', encoding="utf-8")
    for _ in range(3):
        box.ids.clear()
        box.hold_at = None
        box.holding.clear()
        box.release.clear()
        if _sweep_attempt(sites(), box, config):
            return
    pytest.fail("a sweep got past its kill point three times")
