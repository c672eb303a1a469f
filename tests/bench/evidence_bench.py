"""(i) Records as evidence: `ogi verify` over many cases against one raw SQL query reading their events, the
online backup, and the price of `synchronous=FULL` for one action.

The verify database is built the way an agency's would be: a ledger of past years imported (about 90% concluded,
two events each; the open ones one event and cached clocks), then a few hundred cases handled through the use
cases (registered, consulted, answered and signed off: four more events each), and appeals against some.
"""

import cProfile
import os
import pstats
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from tests.bench import action_bench, fixture, import_bench
from tests.bench.common import Latency
from workflow import admin, appeals, backup, cases
from workflow.calendar import WorkingCalendar
from workflow.db import Database
from workflow.inputs import ActionInput, ApplicationCreate
from workflow.ledger import import_applications
from workflow.verify import _CLOCK_COLUMNS, _EVENT_COLUMNS, _QUICK_CASE_COLUMNS, _quick_rows, default_jobs, verify

TODAY = import_bench.TODAY
TARGET_RATIO = 3.0
RAW_QUERY = "SELECT * FROM event ORDER BY application_id, seq"
_OGI = str(Path(sys.executable).with_name("ogi"))


@dataclass(frozen=True)
class EvidenceResult:
    """What (i) measured."""

    cases: int
    events: int
    appeals: int
    live_cases: int  # of the cases, handled through the use cases
    build_seconds: float
    raw: tuple[float, ...]  # seconds of the raw query, each round
    raw_cpu: tuple[float, ...]  # its CPU time
    verify: tuple[float, ...]  # seconds of workflow.verify.verify with its default processes, each round
    single: tuple[float, ...]  # the same in one process
    single_cpu: tuple[float, ...]
    reading: tuple[float, ...]  # seconds to read what verify reads of the cases, as it reads it, checking nothing
    jobs: int  # the default number of processes for this many cases
    cli_seconds: float  # one `ogi verify` (a fresh process, start-up included)
    clean: bool  # verify found nothing wrong (the build is sound)
    size: int  # bytes of the database
    backup_seconds: tuple[float, ...]
    bare_backup_seconds: tuple[float, ...]  # sqlite3's backup alone, same file
    full: Latency  # one action with synchronous=FULL (the engine's setting)
    normal: Latency  # the same with synchronous=NORMAL
    durability_actions: int
    shares: tuple[tuple[str, float], ...]  # where verify's time goes (cProfile, cumulative share of the whole)
    load: float  # the machine's load average (1 minute) after the timed rounds

    @property
    def ratio(self) -> float:
        """Median verify time over median raw read time."""
        return statistics.median(self.verify) / statistics.median(self.raw)

    @property
    def cpu_ratio(self) -> float:
        """Median CPU time of verify in one process over the raw read's (what other work on the machine moves least)."""
        return statistics.median(self.single_cpu) / statistics.median(self.raw_cpu)

    @property
    def reading_ratio(self) -> float:
        """Median time to read what verify reads (one process, nothing checked) over the raw read's."""
        return statistics.median(self.reading) / statistics.median(self.raw)

    @property
    def full_over_normal(self) -> float:
        """Mean FULL action time over mean NORMAL action time."""
        return self.full.mean / self.normal.mean


def _quick_writes(db: Database) -> None:
    """Building a benchmark database does not need each commit on disk (the figures are measured elsewhere)."""
    event.listen(db.engine, "connect", lambda conn, _r: conn.execute("PRAGMA synchronous=OFF"))


def _handle(db: Database, live: int) -> int:
    """`live` cases through the use cases: registered, consulted, answered and signed off; an appeal on a tenth."""
    appealed = 0
    for i in range(live):
        on = date(2025, 3, 3) + timedelta(days=(i % 150))
        number = cases.register(db, actor_name=fixture.CLERK, today=on, data=ApplicationCreate(
            applicant_name=f"申请人{i}", applicant_type="natural", channel="online", received_on=on,
            request="某项目的审批文件")).number
        steps = [("start_consultation", 1, {"party": "third_party"}), ("end_consultation", 8, {"reply": "consent"}),
                 ("submit_response", 10, {"outcome": "3.4", "text": "涉及商业秘密"}), ("approve_response", 11, {})]
        for trigger, days, extra in steps:
            cases.act(db, actor_name=fixture.HEAD if trigger == "approve_response" else fixture.CLERK, number=number,
                      trigger=trigger, data=ActionInput(on=on + timedelta(days=days), **extra), today=TODAY)
        if i % 10 == 0:
            appeal = appeals.file_appeal(db, actor_name=fixture.HEAD, number=number, kind="reconsideration",
                                         route=None, received_on=on + timedelta(days=30), body="市人民政府",
                                         today=TODAY)
            appeals.act_appeal(db, actor_name=fixture.HEAD, appeal_id=appeal, trigger="submit_reply",
                               on=on + timedelta(days=35), today=TODAY)
            appealed += 1
    return appealed


def build(workdir: Path, cases_total: int, live: int) -> tuple[Path, int, float]:
    """The verify database: (cases_total − live) imported, `live` handled; its path, appeals and build time."""
    started = time.perf_counter()
    path = workdir / "evidence.db"
    db = Database(f"sqlite:///{path}")
    _quick_writes(db)
    try:
        admin.init(db, agency=fixture.AGENCY)
        admin.add_user(db, actor_name="admin", username=fixture.CLERK, role="clerk")
        admin.add_user(db, actor_name="admin", username=fixture.HEAD, role="head")
        ledger = import_bench.write_ledger(workdir / "evidence.csv", cases_total - live)
        import_applications(db, actor_name=fixture.CLERK, path=ledger, today=TODAY)
        appealed = _handle(db, live)
    finally:
        db.dispose()
    return path, appealed, time.perf_counter() - started


def _raw(path: Path) -> tuple[float, float, int]:
    with closing(sqlite3.connect(path)) as conn:
        started, cpu = time.perf_counter(), time.process_time()
        rows = conn.execute(RAW_QUERY).fetchall()
        return time.perf_counter() - started, time.process_time() - cpu, len(rows)


def _verify(path: Path, jobs: int | None) -> tuple[float, float, Any]:
    db = Database(f"sqlite:///{path}")
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        result = verify(db, today=TODAY, jobs=jobs)
        return time.perf_counter() - wall, time.process_time() - cpu, result
    finally:
        db.dispose()


def _read(path: Path) -> float:
    """Seconds to read every case row, event and cached clock the way verify's quick reading does (the driver's
    cursor, dates and JSON converted, named tuples), in one process, checking nothing: what verify cannot go below."""
    db = Database(f"sqlite:///{path}")
    try:
        started = time.perf_counter()
        with db.unit_of_work() as session:
            conn = session.connection()
            for columns in (_QUICK_CASE_COLUMNS, _EVENT_COLUMNS, _CLOCK_COLUMNS):
                for _ in _quick_rows(conn, select(*columns)):
                    pass
        return time.perf_counter() - started
    finally:
        db.dispose()


_PARTS = (("checking hash chains (orjson, sha256)", "chain_findings"),
          ("replaying and comparing cases (the fold, open cases' clocks)", "case_findings"),
          ("of which the fold itself (states.case.Case.from_events)", "from_events"),
          ("replaying and comparing appeals", "appeal_findings"),
          ("reading the rows (the driver's cursor; dates and JSON converted)", "_quick_rows"))


def _profile(path: Path) -> tuple[tuple[str, float], ...]:
    """Each part's share of one profiled verify run (cumulative time of its function over the whole run's)."""
    db = Database(f"sqlite:///{path}")
    profiler = cProfile.Profile()
    try:
        profiler.runcall(verify, db, today=TODAY, jobs=1)
    finally:
        db.dispose()
    stats: Any = pstats.Stats(profiler).stats  # (file, line, function) -> (calls, primitive, own, cumulative, …)
    cumulative = {name[2]: figures[3] for name, figures in stats.items() if name[0].endswith(
        ("workflow/verify.py", "workflow/replay.py", "states/case.py"))}
    whole = cumulative.get("verify", 0.0) or 1.0
    return tuple((label, cumulative.get(function, 0.0) / whole) for label, function in _PARTS)


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _bare_backup(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _durability(workdir: Path, cases_in_db: int, acting: int, rounds: int) -> tuple[Latency, Latency, int]:
    """One action (action_bench's steps) on two copies of one database, FULL and NORMAL, interleaved by round."""
    master = fixture.build(workdir / "durability-master.db", cases_in_db)
    calendar = WorkingCalendar()
    numbers = action_bench.acting_numbers(master, acting)
    schedule = action_bench.plan(numbers, rounds + 1, calendar)
    full = action_bench.UseCase(fixture.copy(master, workdir / "full.db").path)
    normal = action_bench.UseCase(fixture.copy(master, workdir / "normal.db").path)
    event.listen(normal.db.engine, "connect", lambda conn, _r: conn.execute("PRAGMA synchronous=NORMAL"))
    samples: dict[str, list[float]] = {"full": [], "normal": []}
    try:
        for k, steps in enumerate(schedule):
            for name, variant in (("full", full), ("normal", normal)):
                for step in steps:
                    started = time.perf_counter()
                    variant(step)
                    if k:  # round 0 warms up
                        samples[name].append(time.perf_counter() - started)
    finally:
        full.close()
        normal.close()
    return Latency.of(samples["full"]), Latency.of(samples["normal"]), len(samples["full"])


def run(workdir: Path, *, cases_total: int, live: int, rounds: int, durability_cases: int,
        durability_acting: int, durability_rounds: int, say: Callable[[str], None]) -> EvidenceResult:
    """Build, then time the raw read and verify interleaved `rounds` times; backups; FULL against NORMAL."""
    say(f"(i) building {cases_total:,} cases ({live:,} through the use cases)…")
    path, appealed, build_seconds = build(workdir, cases_total, live)
    raw, raw_cpu, verified, single, cpu, reading = [], [], [], [], [], []
    result: Any = None
    for k in range(rounds + 1):  # round 0 warms the page cache and the imports
        seconds, seconds_cpu, events = _raw(path)
        wall, _, result = _verify(path, None)
        alone, used, _ = _verify(path, 1)
        read = _read(path)
        say(f"  round {k}: raw {seconds:.2f} s, verify {wall:.2f} s, in one process {alone:.2f} s "
            f"(CPU {used:.2f} s), reading alone {read:.2f} s")
        if k:
            raw.append(seconds)
            raw_cpu.append(seconds_cpu)
            verified.append(wall)
            single.append(alone)
            cpu.append(used)
            reading.append(read)
    load = os.getloadavg()[0]
    shares = _profile(path)
    cli = _timed(lambda: subprocess.run([_OGI, "--db", str(path), "--today", TODAY.isoformat(), "verify"],
                                        capture_output=True, check=False))
    say("(i) backups…")
    db = Database(f"sqlite:///{path}")
    try:
        backups = [_timed(lambda: backup.backup(db, workdir / "copy.db", force=True)) for _ in range(rounds)]
    finally:
        db.dispose()
    bare = [_timed(lambda: _bare_backup(path, workdir / "bare.db")) for _ in range(rounds)]
    say("(i) one action, synchronous=FULL against NORMAL…")
    full, normal, actions = _durability(workdir, durability_cases, durability_acting, durability_rounds)
    return EvidenceResult(cases=result.cases, events=events, appeals=appealed, live_cases=live,
                          build_seconds=build_seconds, raw=tuple(raw), raw_cpu=tuple(raw_cpu), verify=tuple(verified),
                          single=tuple(single), single_cpu=tuple(cpu), reading=tuple(reading),
                          jobs=default_jobs(result.cases),
                          cli_seconds=cli, clean=result.ok, size=path.stat().st_size,
                          backup_seconds=tuple(backups), bare_backup_seconds=tuple(bare), full=full,
                          normal=normal, durability_actions=actions, shares=shares, load=load)
