"""(h) Concurrent registrations: registrations per second with 1, 2 and 4 writer processes, SQLite and PostgreSQL.

Every writer is a real process registering through `workflow.cases.register` as its own clerk, all received in
one year, so the writers of one agency all take the same case-number counter (workflow/numbering.py). For each
set-up (database kind, writers, agencies) a fresh database is made; each writer registers a few applications
untimed, says it is ready, and all are released together to share `registrations` timed registrations. The
rate is the timed registrations over the wall time from the first writer's start to the last one's end. Every
set-up runs `rounds` times, interleaved, and the trial of median rate is kept; the ratio divides its rate by
the one-writer rate of the same database kind. The run checks after every trial that no registration failed
and that each agency's stored numbers are exactly 2026-0001 … without a gap or a repeat. PostgreSQL is the
tests' server (OGI_TEST_POSTGRES, by default the local one); when none answers, its rows are left out and the
report says so. Target: four writers of one agency register at least as fast as one.
"""

import json
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from tests.bench.fixture import random_application
from tests.postgres import scratch_database
from workflow import admin, cases
from workflow.agencies import DEFAULT_CODE
from workflow.db import Database
from workflow.inputs import ApplicationCreate
from workflow.models import Agency, Application, User

WRITERS = (1, 2, 4)
WARMUP = 3  # untimed registrations per writer before the start
RECEIVED = date(2026, 3, 2)
TARGET_RATIO = 1.0  # 4 writers / 1 writer
SQLITE, POSTGRES = "SQLite (WAL)", "PostgreSQL"
AGENCY = "基准市基准区人民政府办公室"
ROOT = Path(__file__).resolve().parents[2]
PG_SERVER = os.environ.get("OGI_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")  # the tests'


@dataclass(frozen=True)
class Trial:
    """One database kind with one number of writers."""

    backend: str
    writers: int
    agencies: int  # the writers are clerks of this many agencies (each agency has a counter of its own)
    registrations: int  # timed, over all writers
    seconds: float  # first writer's start to last writer's end
    latencies: tuple[float, ...]  # of each timed registration, seconds
    failed: int  # registrations that raised
    gap_free: bool  # stored numbers are exactly 2026-0001 … 2026-N, each once

    @property
    def rate(self) -> float:
        """Registrations per second, all writers together."""
        return self.registrations / self.seconds

    @property
    def p50(self) -> float:
        """Median time of one registration (waiting for the counter included)."""
        return statistics.median(self.latencies)

    @property
    def p95(self) -> float:
        """95th percentile time of one registration."""
        return statistics.quantiles(self.latencies, n=20, method="inclusive")[18]


@dataclass(frozen=True)
class RegistrationResult:
    """The median trial of each set-up over `rounds` rounds, whether every trial was sound, and why PostgreSQL was
    not measured ("" when it was)."""

    registrations: int
    rounds: int
    trials: tuple[Trial, ...]
    every_trial_sound: bool
    postgres_missing: str

    def trial(self, backend: str, writers: int, agencies: int = 1) -> Trial:
        """The trial of one database kind, writer count and number of agencies."""
        return next(t for t in self.trials if (t.backend, t.writers, t.agencies) == (backend, writers, agencies))

    def ratio(self, t: Trial) -> float:
        """A trial's rate over the one-writer rate of its database kind."""
        return t.rate / self.trial(t.backend, 1).rate

    @property
    def backends(self) -> tuple[str, ...]:
        """The database kinds measured, in order."""
        return tuple(dict.fromkeys(t.backend for t in self.trials))

    @property
    def sound(self) -> bool:
        """No registration of any round failed and every database held each number once, without a gap."""
        return self.every_trial_sound


def _writer(url: str, user: str, count: int) -> None:
    """One writer process: warm up, say ready, wait for the start, register `count` applications, report."""
    db, rng = Database(url), random.Random(user)
    for _ in range(WARMUP):
        cases.register(db, actor_name=user, data=_application(rng), today=RECEIVED)
    print("ready", flush=True)
    sys.stdin.readline()
    latencies, failed = [], 0
    start = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process of the machine
    for _ in range(count):
        began = time.monotonic()
        try:
            cases.register(db, actor_name=user, data=_application(rng), today=RECEIVED)
        except Exception as exc:  # counted and reported: a lost registration is what this measures against
            failed += 1
            print(f"{type(exc).__name__}: {str(exc)[:300]}", file=sys.stderr)
        latencies.append(time.monotonic() - began)
    print(json.dumps({"start": start, "end": time.monotonic(), "latencies": latencies, "failed": failed}))


def _application(rng: random.Random) -> ApplicationCreate:
    return random_application(rng).model_copy(update={"received_on": RECEIVED})


def _prepare(url: str, writers: int, agencies: int) -> list[str]:
    """A fresh database with `agencies` agencies and one clerk per writer, spread over them; the clerks' names."""
    db = Database(url)
    try:
        admin.init(db, agency=AGENCY)
        with db.unit_of_work() as session:
            for i in range(2, agencies + 1):
                agency = Agency(code=f"branch{i}", name=f"{AGENCY}第{i}分局")
                session.add(agency)
                session.flush()
                assert agency.id is not None
                session.add(User(agency_id=agency.id, username=f"admin{i}", display_name="管理员", role="admin"))
        users = [f"clerk{i}" for i in range(1, writers + 1)]
        for i, user in enumerate(users):
            boss = i % agencies + 1
            if boss == 1:  # the platform's administrator names the agency; an agency's own does not need to
                admin.add_user(db, actor_name="admin", username=user, role="clerk", agency=DEFAULT_CODE)
            else:
                admin.add_user(db, actor_name=f"admin{boss}", username=user, role="clerk")
    finally:
        db.dispose()
    return users


def _gap_free(url: str, expected: int) -> bool:
    """Whether every agency's numbers are exactly 2026-0001 … 2026-N, each once, `expected` in all."""
    db = Database(url)
    try:
        with db.unit_of_work() as session:
            rows = session.exec(select(col(Application.agency_id), col(Application.number))).all()
    finally:
        db.dispose()
    by_agency: dict[int, list[str]] = {}
    for agency_id, number in rows:
        by_agency.setdefault(agency_id, []).append(number)
    return len(rows) == expected and all(
        sorted(numbers) == [f"{RECEIVED.year}-{i:04d}" for i in range(1, len(numbers) + 1)]
        for numbers in by_agency.values())


def trial(backend: str, url: str, writers: int, registrations: int, agencies: int = 1) -> Trial:
    """Register `registrations` applications with `writers` processes at once on a fresh database at `url`."""
    users = _prepare(url, writers, agencies)
    share = [registrations // writers + (i < registrations % writers) for i in range(writers)]
    procs = [subprocess.Popen([sys.executable, "-m", "tests.bench.registration_bench", url, user, str(n)],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for user, n in zip(users, share, strict=True)]
    for p in procs:
        assert p.stdout is not None
        if p.stdout.readline().strip() != "ready":
            raise RuntimeError(f"a writer did not start: {p.communicate()[1][-1000:]}")
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        if p.returncode != 0:
            raise RuntimeError(f"a writer failed: {err[-1000:]}")
        reports.append(json.loads(out))
    seconds = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    latencies = tuple(s for r in reports for s in r["latencies"])
    return Trial(backend, writers, agencies, registrations, seconds, latencies, sum(r["failed"] for r in reports),
                 _gap_free(url, registrations + WARMUP * writers))


def postgres_problem(server_url: str = PG_SERVER) -> str:
    """Why the PostgreSQL server cannot be used ("" when it answers)."""
    server = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        server.connect().close()
    except OperationalError as exc:
        return f"no PostgreSQL server answers at {server_url} ({type(exc.orig).__name__})"
    finally:
        server.dispose()
    return ""


def run(workdir: Path, registrations: int, rounds: int = 3) -> RegistrationResult:
    """Every set-up, `rounds` times, interleaved (the machine's load drifts over a run): SQLite, then PostgreSQL
    when a server answers, each with 1, 2 and 4 writers of one agency and 4 writers of 4 agencies."""
    plan = [(n, 1) for n in WRITERS] + [(WRITERS[-1], WRITERS[-1])]
    missing = postgres_problem()
    backends = [SQLITE] if missing else [SQLITE, POSTGRES]
    done: dict[tuple[str, int, int], list[Trial]] = {}
    for round_ in range(rounds):
        for backend in backends:
            for n, a in plan:
                if backend == SQLITE:
                    url = f"sqlite:///{workdir / f'registrations-{round_}-{n}-{a}.db'}"
                    done.setdefault((backend, n, a), []).append(trial(backend, url, n, registrations, a))
                    continue
                with scratch_database(PG_SERVER, "ogi_bench") as url:
                    done.setdefault((backend, n, a), []).append(trial(backend, url, n, registrations, a))
    medians = tuple(sorted(t, key=lambda x: x.rate)[len(t) // 2] for t in done.values())
    sound = all(t.failed == 0 and t.gap_free for ts in done.values() for t in ts)
    return RegistrationResult(registrations, rounds, medians, sound, missing)


if __name__ == "__main__":
    _writer(sys.argv[1], sys.argv[2], int(sys.argv[3]))
