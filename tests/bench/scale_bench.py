"""(j) Scale (SPEC §11, a platform planning for 10⁶ cases): a page of the case list, the daily sweep beside years
of concluded cases, delivering a large outbox, and the roll-up report; each against a baseline in the same run.

The databases are scale_fixture's (built once, cached under /tmp). Every timed path is the use case itself
(`queries.case_page`, `alerts.sweep`, `alerts.deliver`, `rollup.rollup`); the baselines are raw SQL through the
sqlite3 module (or the same sweep over the platform without its history).
"""

import os
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlmodel import Session

from notifications.channels import InboxChannel
from states.lifecycle import OPEN_STATES
from states.report_format import COLUMNS
from tests.bench.common import Latency
from tests.bench.fixture import url
from tests.bench.registration_bench import PG_SERVER, postgres_problem
from tests.bench.scale_fixture import AGENCIES, BIG, POLICY, SUPERVISOR, Platform, clerk, copy_db, platforms
from tests.bench.sweep_bench import SWEEP_DAY, _timing
from tests.postgres import scratch_database
from workflow import alerts, queries, rollup, stats
from workflow.bulk import bulk_insert, table_of
from workflow.case_order import OPEN_BELOW
from workflow.db import Database
from workflow.models import Agency, Alert, Application, Delivery, User, utcnow
from workflow.queries import COUNT_CAP

YEAR = 2024  # the roll-up's year: carried in from 2023, carried out into 2025
PAGE_TARGETS = {100_000: 0.020, 1_000_000: 0.040}  # p95 of a 50-row page, by cases on the platform
SWEEP_TARGET = 1.2  # daily sweep with the history / without it
DELIVERY_TARGET = 60.0  # seconds for the whole outbox on SQLite
ROLLUP_TARGET = 1.5  # roll-up / one raw aggregate

_OPEN = ", ".join(f"'{s.value}'" for s in OPEN_STATES)
# What the case list ran before the sort key: the urgency order computed per row, then sorted, then the limit.
_SORTED_PAGE = (f"SELECT * FROM application WHERE agency_id = ? AND state IN ({_OPEN}) AND received_on <= ? "
                f"ORDER BY state NOT IN ({_OPEN}), next_due_on IS NULL, next_due_on, number LIMIT ?")
_KEYSET_PAGE = ("SELECT * FROM application WHERE agency_id = ? AND urgency < ? AND urgency >= ? "
                "ORDER BY urgency, number, id LIMIT ?")
_PAGE_CLOCKS = "SELECT * FROM case_clock WHERE application_id IN ({ids})"
# One raw aggregate of 表三 for every agency: the rows that can count in the year, four conditional sums per group.
RAW_ROLLUP = """
SELECT agency_id, applicant_type, outcome,
       SUM(received_on BETWEEN :first AND :last),
       SUM(received_on < :first AND (concluded_on IS NULL OR concluded_on >= :first)),
       SUM(concluded_on BETWEEN :first AND :last),
       SUM(concluded_on IS NULL OR concluded_on > :last)
FROM application
WHERE received_on <= :last AND (concluded_on IS NULL OR concluded_on >= :first)
GROUP BY agency_id, applicant_type, outcome
"""


@dataclass(frozen=True)
class PageTiming:
    """One kind of page on one platform: the use case and the raw keyset query, p50/p95 of many runs."""

    label: str
    cases: int  # cases on the platform
    engine: Latency
    engine_cpu: Latency  # the same runs' CPU time (the machine may be shared)
    raw: Latency  # the same page by raw keyset SQL (rows + their clocks + the count)
    rows: int


@dataclass(frozen=True)
class ScaleResult:
    """Everything (j) measured."""

    open_cases: int
    closed_cases: int
    build_seconds: float
    load: tuple[float, float]  # the machine's load average (1 minute) before and after
    pages: tuple[PageTiming, ...]
    sorted_page: tuple[tuple[int, float], ...]  # (cases, best seconds) of the old sorting query, raw
    sweep_open: float  # whole daily sweep, open platform (best of the rounds)
    sweep_full: float  # the same beside the concluded history
    sweep_steps: tuple[tuple[str, float, float], ...]  # (step, open, full) seconds
    sweep_raised: tuple[int, int]
    deliveries: int
    delivery_sqlite: float
    delivery_raw: float  # one UPDATE marking every row sent (SQLite)
    delivery_pg: float | None
    delivery_pg_raw: float | None
    delivery_sent: tuple[int, int | None]
    rollup_seconds: float
    rollup_raw: float
    rollup_same: bool
    rollup_pass: float  # of the roll-up: its one pass over the applications (表三 and the data checks), alone
    postgres_missing: str

    @property
    def sweep_ratio(self) -> float:
        """The daily sweep beside the history over the one without it."""
        return self.sweep_full / self.sweep_open

    @property
    def rollup_ratio(self) -> float:
        """The roll-up over one raw aggregate."""
        return self.rollup_seconds / self.rollup_raw

    @property
    def sound(self) -> bool:
        """The roll-up agreed with the raw aggregate and every delivery was sent."""
        return self.rollup_same and self.delivery_sent[0] == self.deliveries and \
            self.delivery_sent[1] in (None, self.deliveries)


def _samples(work: Callable[[], Any], runs: int, warmup: int = 3, cpu: list[float] | None = None) -> list[float]:
    """Wall-clock seconds of `runs` runs after `warmup` (and, into `cpu`, each run's CPU time)."""
    for _ in range(warmup):
        work()
    spent = []
    for _ in range(runs):
        started, used = time.perf_counter(), time.process_time()
        work()
        spent.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - used)
    return spent


def _raw_page(conn: sqlite3.Connection, agency: int | None, limit: int) -> int:
    if agency is None:
        rows = conn.execute("SELECT * FROM application WHERE urgency < ? ORDER BY urgency, number, id LIMIT ?",
                            (OPEN_BELOW, limit + 1)).fetchall()
    else:
        rows = conn.execute(_KEYSET_PAGE, (agency, OPEN_BELOW, "", limit + 1)).fetchall()
    ids = [r[0] for r in rows[:limit]]
    conn.execute(_PAGE_CLOCKS.format(ids=", ".join("?" * len(ids))), ids).fetchall()
    conn.execute("SELECT count(*) FROM (SELECT id FROM application WHERE urgency < ?" + ("" if agency is None else
                 " AND agency_id = ?") + " LIMIT ?)",  # counted up to the same cap as the engine's
                 (OPEN_BELOW, COUNT_CAP + 1) if agency is None else (OPEN_BELOW, agency, COUNT_CAP + 1)).fetchone()
    return len(ids)


def _pages(platform: Platform, runs: int) -> tuple[list[PageTiming], float]:
    cases = platform.open_cases + platform.closed_cases
    db = Database(url(platform.path))
    timings = []
    try:
        deep = queries.case_page(db, actor_name=clerk(BIG), today=SWEEP_DAY, limit=1000).next_cursor
        views: list[tuple[str, dict[str, Any], int | None]] = [
            ("clerk of the big agency, first page", {"actor_name": clerk(BIG)}, BIG),
            ("clerk of the big agency, page 21 (--after)", {"actor_name": clerk(BIG), "after": deep}, BIG),
            ("clerk of a small agency, first page", {"actor_name": clerk(7)}, 7),
            ("supervisor, --all-agencies, first page", {"actor_name": SUPERVISOR, "all_agencies": True}, None),
        ]
        with closing(sqlite3.connect(platform.path)) as conn:
            for label, kwargs, agency in views:
                shown = len(queries.case_page(db, today=SWEEP_DAY, limit=50, closed=False, **kwargs).rows)
                cpu: list[float] = []
                engine = _samples(lambda kw=kwargs: queries.case_page(db, today=SWEEP_DAY, limit=50, closed=False,
                                                                       **kw), runs, cpu=cpu)
                raw = _samples(lambda a=agency: _raw_page(conn, a, 50), runs)
                timings.append(PageTiming(label, cases, Latency.of(engine), Latency.of(cpu), Latency.of(raw), shown))
            sorted_best = min(_samples(lambda: conn.execute(_SORTED_PAGE, (BIG, SWEEP_DAY.isoformat(), 50))
                                       .fetchall(), 3, warmup=1))
    finally:
        db.dispose()
    return timings, sorted_best


def _sweep_once(platform: Platform, workdir: Path) -> tuple[float, dict[str, float], int]:
    target = copy_db(platform.path, workdir / "scale-sweep.db")
    db = Database(url(target))
    try:
        with _timing(("lapse_expired", "raise_alerts", "deliver")) as spent:
            started = time.perf_counter()
            done = alerts.sweep(db, today=SWEEP_DAY, policy=POLICY, channels={"inbox": InboxChannel()})
            seconds = time.perf_counter() - started
    finally:
        db.dispose()
        target.unlink()
    return seconds, spent, len(done.raised)


def _sweeps(small: Platform, big: Platform, workdir: Path, rounds: int) -> dict[str, Any]:
    best: dict[str, tuple[float, dict[str, float], int]] = {}
    for _ in range(rounds):  # alternated, each on a fresh copy (a second sweep of the day has nothing to do)
        for name, platform in (("open", small), ("full", big)):
            got = _sweep_once(platform, workdir)
            if name not in best or got[0] < best[name][0]:
                best[name] = got
    return best


# --- delivery -------------------------------------------------------------------------------------------------

def _outbox(db: Database, deliveries: int) -> None:
    """An agency, a clerk, 1,000 cases and `deliveries` pending inbox deliveries of as many alerts."""
    db.create_schema()
    stamp = utcnow()
    with db.unit_of_work() as session:
        conn = session.connection()
        bulk_insert(conn, table_of(Agency), [{"id": 1, "code": "a01", "name": "基准局", "pause_on_fee": True,
                                              "pause_on_reasons": True, "created_at": stamp}])
        bulk_insert(conn, table_of(User), [{"id": 1, "agency_id": 1, "username": "clerk01", "display_name": "c",
                                            "role": "clerk", "active": True, "created_at": stamp, "failed_logins": 0}])
        cases = 1000
        bulk_insert(conn, table_of(Application), [
            {"id": i, "agency_id": 1, "number": f"2025-{i:04d}", "applicant_name": "张三", "applicant_type": "natural",
             "channel": "online", "received_on": date(2025, 5, 6), "request": "某项政府信息", "state": "received",
             "version": 1, "provisional": False, "urgency": "1", "created_at": stamp, "updated_at": stamp}
            for i in range(1, cases + 1)])
        bulk_insert(conn, table_of(Alert), [
            {"id": i, "application_id": 1 + i % cases, "agency_id": 1, "key": f"response:reminder:{i}",
             "clock": "response",
             "kind": "reminder", "due_on": date(2025, 6, 20), "fire_on": date(2025, 6, 13),
             "raised_on": date(2025, 6, 13), "raised_at": stamp, "recipients": ["clerk01"],
             "message": f"案件 2025-{1 + i % cases:04d}（张三）答复期限将于 2025-06-20 届满，还有 5 个工作日"}
            for i in range(1, deliveries + 1)])
        bulk_insert(conn, table_of(Delivery), [
            {"alert_id": i, "channel": "inbox", "recipient": "clerk01", "status": "pending", "attempts": 0,
             "next_attempt_at": stamp - timedelta(minutes=1)} for i in range(1, deliveries + 1)])
        if not db.is_sqlite:
            for table in ("agency", "user", "application", "alert"):
                conn.execute(text(f'SELECT setval(pg_get_serial_sequence(\'"{table}"\', \'id\'), '
                                  f'(SELECT max(id) FROM "{table}"))'))
    if not db.is_sqlite:
        with create_engine(db.url, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))


def _deliver(db: Database) -> tuple[float, int]:
    started = time.perf_counter()
    sent, failed = alerts.deliver(db, channels={"inbox": InboxChannel()}, process="bench", fan_out=("inbox",))
    assert failed == 0
    return time.perf_counter() - started, sent


_RAW_SENT = ("UPDATE delivery SET status = 'sent', attempts = 1, sent_at = {now}, claimed_by = NULL "
             "WHERE status = 'pending'")


def _delivery_sqlite(workdir: Path, deliveries: int) -> tuple[float, float, int]:
    path = workdir / "scale-outbox.db"
    db = Database(url(path))
    try:
        _outbox(db, deliveries)
        copy_db(path, workdir / "scale-outbox-raw.db")
        seconds, sent = _deliver(db)
    finally:
        db.dispose()
    with closing(sqlite3.connect(workdir / "scale-outbox-raw.db")) as conn:
        started = time.perf_counter()
        with conn:
            conn.execute(_RAW_SENT.format(now="'2025-06-16 00:00:00.000000'"))
        raw = time.perf_counter() - started
    return seconds, raw, sent


def _delivery_pg(deliveries: int) -> tuple[float, float, int]:
    with scratch_database(PG_SERVER, "ogi_bench") as pg_url:
        db = Database(pg_url)
        try:
            _outbox(db, deliveries)
            seconds, sent = _deliver(db)
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE delivery SET status = 'pending', claimed_by = NULL"))
            started = time.perf_counter()
            with db.engine.begin() as conn:
                conn.execute(text(_RAW_SENT.format(now="now()")))
            raw = time.perf_counter() - started
        finally:
            db.dispose()
    return seconds, raw, sent


# --- roll-up ----------------------------------------------------------------------------------------------------

def _raw_rollup(conn: sqlite3.Connection, year: int) -> dict[int, dict[str, int]]:
    """Per agency, the section 3 totals (new, carried in, concluded, carried out) from RAW_ROLLUP."""
    totals: dict[int, dict[str, int]] = {}
    params = {"first": date(year, 1, 1).isoformat(), "last": date(year, 12, 31).isoformat()}
    for agency, _, _, new, carried_in, concluded, carried_out in conn.execute(RAW_ROLLUP, params):
        t = totals.setdefault(agency, {"new": 0, "carried_in": 0, "total": 0, "carried_out": 0})
        for key, n in (("new", new), ("carried_in", carried_in), ("total", concluded), ("carried_out", carried_out)):
            t[key] += n or 0
    return totals


def _rollups(platform: Platform, rounds: int) -> tuple[float, float, bool, float]:
    db = Database(url(platform.path))
    try:
        engine_s, made = float("inf"), None
        for _ in range(rounds):
            started = time.perf_counter()
            made = rollup.rollup(db, actor_name=SUPERVISOR, year=YEAR, today=SWEEP_DAY)
            engine_s = min(engine_s, time.perf_counter() - started)
        one_pass = float("inf")  # where its time goes: the grouped pass of 表三 and the data checks
        ids = list(range(1, AGENCIES + 1))
        with Session(db.engine) as session:
            for _ in range(rounds):
                started = time.perf_counter()
                stats.section3_and_anomalies_by_agency(session, YEAR, ids)
                one_pass = min(one_pass, time.perf_counter() - started)
    finally:
        db.dispose()
    with closing(sqlite3.connect(platform.path)) as conn:
        raw_s, raw = float("inf"), {}
        for _ in range(rounds):
            started = time.perf_counter()
            raw = _raw_rollup(conn, YEAR)
            raw_s = min(raw_s, time.perf_counter() - started)
    assert made is not None
    mine = {i + 1: {k: a.section3[k]["total"] for k in ("new", "carried_in", "total", "carried_out")}
            for i, a in enumerate(made.agencies)}
    same = mine == raw and all(sum(a.section3[r][c] for c in COLUMNS[:6]) == a.section3[r]["total"]
                               for a in made.agencies for r in ("new", "total"))
    return engine_s, raw_s, same, one_pass


def run(workdir: Path, *, open_cases: int, closed_cases: int, deliveries: int, page_runs: int,
        sweep_rounds: int = 2, say: Callable[[str], None] = print) -> ScaleResult:
    """Build (or reuse) the platforms, then time pages, sweeps, delivery and the roll-up."""
    load_before = os.getloadavg()[0]
    say(f"(j) platforms of {open_cases:,} open cases, and beside {closed_cases:,} concluded ones…")
    small, big = platforms(open_cases, closed_cases, say=say)
    pages: list[PageTiming] = []
    sorted_page = []
    for platform in (small, big):
        say(f"(j) case pages at {platform.open_cases + platform.closed_cases:,} cases, {page_runs} runs each…")
        timings, sorted_best = _pages(platform, page_runs)
        pages += timings
        sorted_page.append((platform.open_cases + platform.closed_cases, sorted_best))
    say(f"(j) the daily sweep, {sweep_rounds} rounds on fresh copies of each platform…")
    sweeps = _sweeps(small, big, workdir, sweep_rounds)
    steps = tuple((name, sweeps["open"][1].get(name, 0.0), sweeps["full"][1].get(name, 0.0))
                  for name in ("lapse_expired", "raise_alerts", "deliver"))
    say(f"(j) delivering {deliveries:,} outbox rows on SQLite…")
    sqlite_s, sqlite_raw, sqlite_sent = _delivery_sqlite(workdir, deliveries)
    missing = postgres_problem()
    pg: tuple[float, float, int] | None = None
    if not missing:
        say(f"(j) delivering {deliveries:,} outbox rows on PostgreSQL…")
        pg = _delivery_pg(deliveries)
    say(f"(j) the roll-up of {YEAR} over {open_cases + closed_cases:,} cases…")
    rollup_s, rollup_raw, same, pass_s = _rollups(big, 3)
    return ScaleResult(open_cases, closed_cases, small.build_seconds + big.build_seconds,
                       (load_before, os.getloadavg()[0]), tuple(pages),
                       tuple(sorted_page), sweeps["open"][0], sweeps["full"][0], steps,
                       (sweeps["open"][2], sweeps["full"][2]), deliveries, sqlite_s, sqlite_raw,
                       pg[0] if pg else None, pg[1] if pg else None, (sqlite_sent, pg[2] if pg else None),
                       rollup_s, rollup_raw, same, pass_s, missing)
