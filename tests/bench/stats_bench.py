"""(e) The annual statistics: `workflow.stats.section3` (the engine path) against one hand-written SQL query.

The database holds `applications` cases received over three years (2023–2025) in two agencies, every applicant
type and outcome, about 4% still open, bulk-inserted with `executemany` in the shape `cases.register` and the
concluding actions leave (the columns the statistics read: agency, receipt date, conclusion date, outcome,
applicant type). Both paths count agency 1's middle year, 2024, which has cases carried in and out.
"""

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlmodel import Session

from states.outcomes import OUTCOMES, ApplicantType
from states.report_format import COLUMNS
from workflow import stats
from workflow.case_order import urgency_key
from workflow.db import Database
from workflow.report.model import Table, empty_section3

YEAR = 2024
FIRST_RECEIPT, DAYS = date(2023, 1, 1), 3 * 365
_TYPES = [t.value for t in ApplicantType]
_TYPE_WEIGHTS = [70, 12, 3, 3, 6, 6]  # most applicants are natural persons
_OUTCOMES = list(OUTCOMES)
_STAMP = "2025-06-16 00:00:00.000000"
_INSERT = ("INSERT INTO application (id, agency_id, number, applicant_name, applicant_type, applicant_contact, "
           "channel, received_on, request, state, outcome, concluded_on, assignee_id, version, next_due_on, "
           "next_due_clock, provisional, urgency, created_at, updated_at) "
           "VALUES (?, ?, ?, ?, ?, NULL, 'online', ?, ?, ?, ?, ?, NULL, ?, NULL, NULL, 0, ?, ?, ?)")

# The baseline, written by hand: the rows that can count in the year, four conditional sums per group.
RAW_SQL = """
SELECT applicant_type, outcome,
       SUM(received_on BETWEEN :first AND :last),
       SUM(received_on < :first AND (concluded_on IS NULL OR concluded_on >= :first)),
       SUM(concluded_on BETWEEN :first AND :last),
       SUM(concluded_on IS NULL OR concluded_on > :last)
FROM application
WHERE agency_id = :agency AND received_on <= :last AND (concluded_on IS NULL OR concluded_on >= :first)
GROUP BY applicant_type, outcome
"""
T = TypeVar("T")


def _rows(count: int, seed: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    types = rng.choices(_TYPES, _TYPE_WEIGHTS, k=count)
    for i in range(1, count + 1):
        agency = 1 if i % 5 else 2
        received = FIRST_RECEIPT + timedelta(days=rng.randrange(DAYS))
        if rng.random() < 0.04:
            state, outcome, concluded = "received", None, None
        else:
            state, outcome = "concluded", rng.choice(_OUTCOMES)
            concluded = (received + timedelta(days=rng.randrange(1, 60))).isoformat()
        yield (i, agency, f"{received.year}-{i:07d}", "张三", types[i - 1], received.isoformat(), "某项政府信息",
               state, outcome, concluded, 2 if outcome else 1, urgency_key(state, None), _STAMP, _STAMP)


def build(path: Path, applications: int, seed: int = 11) -> Database:
    """The benchmark database: the real schema, `applications` rows bulk-inserted (indexes rebuilt after)."""
    db = Database(f"sqlite:///{path}")
    db.create_schema()
    db.dispose()  # release the pooled connection before the raw bulk load
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                               "AND tbl_name = 'application' AND sql IS NOT NULL").fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.executemany("INSERT INTO agency (id, code, name, pause_on_fee, pause_on_reasons, created_at) "
                         "VALUES (?, ?, ?, 1, 1, ?)",
                         [(1, "bench1", "基准一局", _STAMP), (2, "bench2", "基准二局", _STAMP)])
        conn.executemany(_INSERT, _rows(applications, seed))
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("ANALYZE")
        conn.commit()
        conn.execute("PRAGMA journal_mode=WAL")
    return db


def raw_section3(conn: sqlite3.Connection, agency_id: int, year: int) -> Table:
    """Section 3 from RAW_SQL, folded into the report's table."""
    table = empty_section3()
    params = {"agency": agency_id, "first": date(year, 1, 1).isoformat(), "last": date(year, 12, 31).isoformat()}
    for applicant_type, outcome, new, carried_in, concluded, carried_out in conn.execute(RAW_SQL, params):
        for row, n in (("new", new), ("carried_in", carried_in), ("total", concluded), ("carried_out", carried_out)):
            table[row][applicant_type] += n or 0
        if outcome is not None:
            table[outcome][applicant_type] += concluded
    for cols in table.values():
        cols["total"] = sum(cols[c] for c in COLUMNS[:6])
    return table


def _best_of(rounds: int, work: Callable[[], T]) -> tuple[float, T]:
    best, result = float("inf"), None
    for _ in range(rounds):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


def run(workdir: Path, applications: int, rounds: int = 3) -> dict[str, float]:
    """Build the database, time both paths (best of `rounds`), check they agree; seconds and the ratio."""
    started = time.perf_counter()
    path = workdir / "stats.db"
    path.unlink(missing_ok=True)
    db = build(path, applications)
    built = time.perf_counter() - started
    try:
        with Session(db.engine) as session:
            engine_s, engine_table = _best_of(rounds, lambda: stats.section3(session, 1, YEAR))
        with closing(sqlite3.connect(path)) as conn:
            raw_s, raw_table = _best_of(rounds, lambda: raw_section3(conn, 1, YEAR))
    finally:
        db.dispose()
    return {"applications": float(applications), "build_seconds": built, "engine_seconds": engine_s,
            "raw_seconds": raw_s, "ratio": engine_s / raw_s, "same_numbers": float(engine_table == raw_table),
            "counted_new": float(engine_table["new"]["total"])}


if __name__ == "__main__":
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(run(Path(tmp), int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
