"""(k) Moving the records: `ogi export` and `ogi restore` of 100,000 cases, SQLite → PostgreSQL → SQLite.

The database is (i)'s (a ledger imported, some cases handled and appealed through the use cases). Export
throughput is rows and MiB of the file per second; restore's is its loading (parse, check, insert, commit),
timed apart from the `ogi verify` it runs afterwards. The baseline is one raw sqlite3 read of every table.
"""

import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from tests.bench import evidence_bench
from tests.bench.common import MachineInfo
from tests.bench.registration_bench import PG_SERVER, postgres_problem
from tests.bench.report import Table, _para, _s, _x
from tests.postgres import scratch_database
from workflow.db import Database
from workflow.restore import restore
from workflow.transfer import export, model_tables

CASES, LIVE = 100_000, 500
QUICK_CASES, QUICK_LIVE = 5000, 50
HEADING = "## (k) Moving the records: export and restore"
COMMAND = ".venv/bin/python -m tests.bench.run --only transfer --write-docs"


@dataclass(frozen=True)
class Step:
    """One export or restore: what it moved and how long it took."""

    what: str
    rows: int
    size: int  # bytes of the export file written or read
    seconds: float  # export: the whole; restore: loading only (up to the start of verify)
    cpu_seconds: float  # this process's CPU time over the same span (the database server's not included)
    verify_seconds: float = 0.0  # restore: the verify it runs afterwards

    @property
    def rows_per_second(self) -> float:
        """Rows moved per second."""
        return self.rows / self.seconds

    @property
    def mib_per_second(self) -> float:
        """MiB of the file per second."""
        return self.size / 2**20 / self.seconds


@dataclass(frozen=True)
class TransferResult:
    """What (k) measured."""

    cases: int
    build_seconds: float
    raw_seconds: float  # sqlite3: SELECT * of every table, fetchall
    steps: tuple[Step, ...]
    sound: bool  # both restores verified clean and the second export has the first one's rows
    postgres_missing: str


def _raw_read(path: Path) -> float:
    with closing(sqlite3.connect(path)) as conn:
        started = time.perf_counter()
        for table in model_tables():
            conn.execute(f'SELECT * FROM "{table.name}"').fetchall()
        return time.perf_counter() - started


def _export(url: str, target: Path, what: str) -> Step:
    db = Database(url)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        made = export(db, target)
        return Step(what, made.total, made.size, time.perf_counter() - started, time.process_time() - cpu)
    finally:
        db.dispose()


def _restore(url: str, source: Path, what: str) -> tuple[Step, bool]:
    db = Database(url)
    marks: list[tuple[float, float]] = []

    def verifying(_done: int, _total: int) -> None:
        if not marks:
            marks.append((time.perf_counter(), time.process_time()))

    try:
        started, cpu = time.perf_counter(), time.process_time()
        done = restore(db, source, today=evidence_bench.TODAY, verify_progress=verifying)
        ended = time.perf_counter()
    finally:
        db.dispose()
    loaded, loaded_cpu = marks[0] if marks else (ended, time.process_time())
    return (Step(what, done.total, source.stat().st_size, loaded - started, loaded_cpu - cpu, ended - loaded),
            done.verification.ok)


def _rows(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()[1:-1]


def run(workdir: Path, *, cases: int, live: int, say: Callable[[str], None]) -> TransferResult:
    """Build, export from SQLite, restore into PostgreSQL (when a server answers), export that, restore into SQLite."""
    say(f"(k) building {cases:,} cases ({live:,} through the use cases)…")
    path, _, build_seconds = evidence_bench.build(workdir, cases, live)
    raw = _raw_read(path)
    say("(k) export from SQLite…")
    first = workdir / "from-sqlite.jsonl"
    steps = [_export(f"sqlite:///{path}", first, "export from SQLite")]
    sound = True
    missing = postgres_problem()
    second = first
    if not missing:
        with scratch_database(PG_SERVER, "ogi_bench") as url:
            say("(k) restore into PostgreSQL…")
            step, ok = _restore(url, first, "restore into PostgreSQL")
            steps.append(step)
            sound &= ok
            say("(k) export from PostgreSQL…")
            second = workdir / "from-postgresql.jsonl"
            steps.append(_export(url, second, "export from PostgreSQL"))
            sound &= _rows(second) == _rows(first)
    say("(k) restore into SQLite…")
    step, ok = _restore(f"sqlite:///{workdir / 'restored.db'}", second, "restore into SQLite")
    steps.append(step)
    return TransferResult(cases, build_seconds, raw, tuple(steps), sound and ok, missing)


def table(r: TransferResult) -> Table:
    """The timings of (k)."""
    rows = [(f"raw: sqlite3 `SELECT *` of every table, fetchall ({r.steps[0].rows:,} rows; the baseline)",
             _s(r.raw_seconds), "", "", "", "1.00×")]
    for s in r.steps:
        verified = f" (then verify: {_s(s.verify_seconds)})" if s.verify_seconds else ""
        rows.append((f"{s.what}: {s.rows:,} rows, {s.size / 2**20:,.1f} MiB{verified}", _s(s.seconds),
                     _s(s.cpu_seconds), f"{s.rows_per_second:,.0f}", f"{s.mib_per_second:,.1f}",
                     _x(s.seconds / r.raw_seconds)))
    return Table(("what", "time", "its CPU time", "rows/s", "MiB/s", "ratio"), tuple(rows), frozenset({1, 2, 3, 4, 5}))


def text(r: TransferResult) -> str:
    """(k) for the terminal."""
    notes = "" if r.sound else "\n  ERROR: a restore did not verify clean, or the round trip changed a row"
    if r.postgres_missing:
        notes += f"\n  PostgreSQL skipped: {r.postgres_missing}"
    return "(k) Moving the records: export and restore\n" + table(r).text() + notes


def markdown(r: TransferResult, machine: MachineInfo, command: str = COMMAND) -> str:
    """(k) for docs/performance.md."""
    day = machine.when.strftime("%Y-%m-%d")
    skipped = f" PostgreSQL was not measured: {r.postgres_missing}." if r.postgres_missing else ""
    return "\n\n".join([
        HEADING,
        f"<!-- Generated by `{command}`; do not edit by hand, rerun it. -->",
        _para(f"""The database of (i): {r.cases:,} cases (built in {_s(r.build_seconds)}). `workflow.transfer.export`
            (what `ogi export` runs) reads every table in one snapshot, row by row (`yield_per`), and writes one
            JSON line per row with its checksum; `workflow.restore.restore` (`ogi restore`) parses and checks
            every line, inserts in batches of 5,000 (SQLite: one compiled INSERT by executemany; PostgreSQL:
            COPY) in one transaction,
            checks the trailer, resets the sequences and commits; the `ogi verify` it then runs is timed apart.
            The round trip goes SQLite → PostgreSQL (local server, same machine) → SQLite, and the second
            export's rows are checked to be byte for byte the first one's. One run, written on **{day}**
            ({machine.cpu}, {machine.cpus_usable} usable CPUs, {machine.python}) by `{command}`; the machine may
            have been shared with other work, so each step's CPU time in this process is given too (the
            PostgreSQL server's own is not in it). Rows and MiB per second are of the wall time.{skipped}"""),
        table(r).markdown(),
    ])
