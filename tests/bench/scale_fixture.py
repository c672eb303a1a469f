"""(j)'s databases: a platform of 50 agencies with `open` open cases, and the same platform with `closed` concluded
cases of past years beside them, built once by bulk inserts and cached under /tmp (keyed by the schema and sizes).

Open cases are received in the two months before the sweep day and carry what registering writes (state, next
due date, sort key, two running clocks), checked against `workflow.cases.register` on a few registered ones in
sweep_bench (the same formula, `_expected_rows`). The open platform has had the previous working day's sweep run
through `alerts.sweep` (alerts raised and delivered), as in production. Concluded cases are received from 2022 on,
concluded 1 to 60 days later with every outcome and applicant type, their clocks met or closed, each with the
reminder it once raised and that reminder's delivery, sent. Agency 1 holds half of every kind of case (a big
city's agency); the other 49 share the rest.
"""

import hashlib
import os
import random
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import SQLModel

from notifications.channels import InboxChannel
from notifications.policy import DEFAULT_POLICY, AlertPolicy
from states.clocks import ClockKind, ClockStatus
from states.outcomes import OUTCOMES, ApplicantType
from tests.bench.fixture import random_application, url
from tests.bench.sweep_bench import RECEIPT_DAYS, SWEEP_DAY, _expected_rows
from workflow import alerts
from workflow.calendar import WorkingCalendar
from workflow.case_order import urgency_key
from workflow.db import Database

CACHE = Path(os.environ.get("OGI_BENCH_CACHE", "/tmp/ogi-bench-cache"))
AGENCIES = 50
BIG = 1  # the agency holding half the cases
SUPERVISOR = "sup"
POLICY: AlertPolicy = replace(DEFAULT_POLICY, channels=("inbox",))
FIXTURE_VERSION = "2"
_STAMP = "2025-06-13 00:00:00.000000"
_FIRST_CLOSED = date(2022, 1, 3)
_LAST_CLOSED = SWEEP_DAY - timedelta(days=62)  # received before the open cases
_TYPES, _TYPE_WEIGHTS = [t.value for t in ApplicantType], [70, 12, 3, 3, 6, 6]
_APP = ("INSERT INTO application (id, agency_id, number, applicant_name, applicant_type, applicant_contact, channel, "
        "received_on, request, state, outcome, concluded_on, assignee_id, version, next_due_on, next_due_clock, "
        "provisional, urgency, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, "
        "?, ?)")
_CLOCK = ("INSERT INTO case_clock (application_id, kind, start_on, due_on, status, provisional) "
          "VALUES (?, ?, ?, ?, ?, 0)")
_ALERT = ("INSERT INTO alert (id, application_id, agency_id, key, clock, kind, due_on, fire_on, raised_on, raised_at, "
          "recipients, message) VALUES (?, ?, ?, ?, 'response', 'reminder', ?, ?, ?, ?, ?, ?)")
_DELIVERY = ("INSERT INTO delivery (alert_id, channel, recipient, status, attempts, next_attempt_at, sent_at) "
             "VALUES (?, 'inbox', ?, 'sent', 1, ?, ?)")


@dataclass(frozen=True)
class Platform:
    """A cached platform database and what it holds."""

    path: Path
    open_cases: int
    closed_cases: int
    build_seconds: float  # 0 when it came from the cache


def clerk(agency: int) -> str:
    """The clerk of agency `agency` (1-based)."""
    return f"clerk{agency:02d}"


def _agency_of(rng: random.Random) -> int:
    return BIG if rng.random() < 0.5 else rng.randint(2, AGENCIES)


def _key(*parts: Any) -> str:
    schema = "".join(str(CreateTable(t)) + "".join(sorted(str(CreateIndex(i)) for i in t.indexes))
                     for t in SQLModel.metadata.sorted_tables)  # sorted: a set's order changes between runs
    return hashlib.sha256(repr((FIXTURE_VERSION, schema, parts)).encode()).hexdigest()[:16]


def _bulk(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    return conn


def _without_indexes(conn: sqlite3.Connection, tables: tuple[str, ...]) -> list[str]:
    """Drop the tables' indexes (rebuilt after the load); returns their CREATE statements."""
    marks = ", ".join("?" * len(tables))
    found = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                         f"AND tbl_name IN ({marks})", tables).fetchall()
    for name, _ in found:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def _finish(conn: sqlite3.Connection, indexes: list[str]) -> None:
    for sql in indexes:
        conn.execute(sql)
    conn.commit()
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()


def _open_platform(path: Path, count: int, seed: int) -> None:
    """Agencies, users and `count` open cases as registering leaves them; then the previous day's sweep."""
    db = Database(url(path))
    db.create_schema()
    db.dispose()
    conn = _bulk(path)
    conn.executemany("INSERT INTO agency (id, code, name, pause_on_fee, pause_on_reasons, created_at) "
                     "VALUES (?, ?, ?, 1, 1, ?)",
                     [(a, f"a{a:02d}", f"基准市第{a}局", _STAMP) for a in range(1, AGENCIES + 1)])
    users = [(a, a, clerk(a), "clerk", _STAMP) for a in range(1, AGENCIES + 1)]
    users += [(AGENCIES + a, a, f"head{a:02d}", "head", _STAMP) for a in range(1, AGENCIES + 1)]
    users += [(2 * AGENCIES + 1, None, SUPERVISOR, "supervisor", _STAMP)]
    conn.executemany("INSERT INTO user (id, agency_id, username, display_name, role, active, created_at, "
                     "failed_logins) VALUES (?, ?, ?, ?, ?, 1, ?, 0)", [(i, a, n, n, r, s) for i, a, n, r, s in users])
    indexes = _without_indexes(conn, ("application", "case_clock"))
    rng, cal = random.Random(seed), WorkingCalendar()
    seq: dict[tuple[int, int], int] = {}
    apps, clocks = [], []
    first = SWEEP_DAY - timedelta(days=RECEIPT_DAYS)
    for app_id in range(1, count + 1):
        data, agency = random_application(rng, first, RECEIPT_DAYS), _agency_of(rng)
        year = data.received_on.year
        seq[agency, year] = n = seq.get((agency, year), 0) + 1
        (state, _, due, clock, _, urgency), rows = _expected_rows(data.received_on, cal)
        apps.append((app_id, agency, f"{year}-{n:04d}", data.applicant_name, data.applicant_type.value,
                     data.applicant_contact, data.channel.value, data.received_on.isoformat(), data.request, state,
                     None, None, agency, 1, due, clock, urgency, _STAMP, _STAMP))
        clocks += [(app_id, kind, start, due_on, status) for kind, start, due_on, status, _ in rows]
    conn.executemany(_APP, apps)
    conn.executemany(_CLOCK, clocks)
    conn.executemany("INSERT INTO case_number (agency_id, year, last_used) VALUES (?, ?, ?)",
                     [(a, y, n) for (a, y), n in seq.items()])
    _finish(conn, indexes)
    db = Database(url(path))
    try:  # production: the previous working day's sweep raised and delivered its alerts
        alerts.sweep(db, today=cal.working_days_before(SWEEP_DAY, 1), policy=POLICY,
                     channels={"inbox": InboxChannel()})
    finally:
        db.dispose()


def _closed_rows(count: int, first_id: int, first_alert: int, seed: int,
                 numbers: dict[tuple[int, int], int]) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]],
                                                                     tuple[Any, ...], tuple[Any, ...]]]:
    rng, cal = random.Random(seed), WorkingCalendar()
    due_of: dict[date, date] = {}
    span = (_LAST_CLOSED - _FIRST_CLOSED).days
    outcomes = list(OUTCOMES)
    for i in range(count):
        app_id, alert_id = first_id + i, first_alert + i
        agency = _agency_of(rng)
        received = _FIRST_CLOSED + timedelta(days=rng.randrange(span))
        concluded = received + timedelta(days=rng.randint(1, 60))
        if received not in due_of:
            due_of[received] = cal.add_working_days(received, 20)
        due = due_of[received]
        year = received.year
        numbers[agency, year] = n = numbers.get((agency, year), 0) + 1
        app = (app_id, agency, f"{year}-9{n:06d}", "张三", rng.choices(_TYPES, _TYPE_WEIGHTS)[0], None, "online",
               received.isoformat(), "某项政府信息", "concluded", rng.choice(outcomes), concluded.isoformat(), agency,
               2, None, None, urgency_key("concluded", None), _STAMP, _STAMP)
        clocks = [(app_id, ClockKind.RESPONSE.value, received.isoformat(), due.isoformat(), ClockStatus.MET.value),
                  (app_id, ClockKind.CORRECTION_NOTICE.value, received.isoformat(),
                   cal.add_working_days(received, 7).isoformat(), ClockStatus.CLOSED.value)]
        fire = cal.working_days_before(due, 5).isoformat()
        stamp = f"{fire} 01:00:00.000000"
        alert = (alert_id, app_id, agency, f"response:reminder:{due.isoformat()}:5", due.isoformat(), fire, fire, stamp,
                 f'["{clerk(agency)}"]', f"案件 {app[2]}（张三）答复期限将于 {due} 届满，还有 5 个工作日")
        yield app, clocks, alert, (alert_id, clerk(agency), stamp, stamp)


def _add_history(path: Path, count: int, seed: int) -> None:
    """`count` concluded cases of past years, with their clocks, reminders and deliveries."""
    conn = _bulk(path)
    (last_app,) = conn.execute("SELECT max(id) FROM application").fetchone()
    (last_alert,) = conn.execute("SELECT coalesce(max(id), 0) FROM alert").fetchone()
    numbers: dict[tuple[int, int], int] = {}
    indexes = _without_indexes(conn, ("application", "case_clock", "alert", "delivery"))
    apps: list[tuple[Any, ...]] = []
    clocks: list[tuple[Any, ...]] = []
    raised: list[tuple[Any, ...]] = []
    sent: list[tuple[Any, ...]] = []

    def flush() -> None:
        conn.executemany(_APP, apps)
        conn.executemany(_CLOCK, clocks)
        conn.executemany(_ALERT, raised)
        conn.executemany(_DELIVERY, sent)
        for rows in (apps, clocks, raised, sent):
            rows.clear()

    for app, case_clocks, alert, delivery in _closed_rows(count, last_app + 1, last_alert + 1, seed, numbers):
        apps.append(app)
        clocks.extend(case_clocks)
        raised.append(alert)
        sent.append(delivery)
        if len(apps) >= 50_000:
            flush()
    flush()
    conn.executemany("INSERT INTO case_number (agency_id, year, last_used) VALUES (?, ?, ?) ON CONFLICT "
                     "(agency_id, year) DO UPDATE SET last_used = max(last_used, excluded.last_used)",
                     [(a, y, n) for (a, y), n in numbers.items()])
    _finish(conn, indexes)


def platforms(open_cases: int, closed_cases: int, *, say: Any = print, seed: int = 17) -> tuple[Platform, Platform]:
    """The open platform and the one with closed history beside it, from the cache or built (then cached)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    key = _key(open_cases, closed_cases, seed)
    small, big = CACHE / f"scale-open-{key}.db", CACHE / f"scale-full-{key}.db"
    spent = [0.0, 0.0]
    if not small.exists():
        say(f"  building {open_cases:,} open cases over {AGENCIES} agencies, then the previous day's sweep…")
        started, partial = time.perf_counter(), small.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        _open_platform(partial, open_cases, seed)
        partial.rename(small)
        spent[0] = time.perf_counter() - started
    if not big.exists():
        say(f"  adding {closed_cases:,} concluded cases with their clocks, reminders and deliveries…")
        started, partial = time.perf_counter(), big.with_suffix(".partial")
        copy_db(small, partial)
        _add_history(partial, closed_cases, seed + 1)
        partial.rename(big)
        spent[1] = time.perf_counter() - started
    else:
        say(f"  cached: {small.name}, {big.name} in {CACHE}")
    return Platform(small, open_cases, 0, spent[0]), Platform(big, open_cases, closed_cases, spent[1])


def copy_db(source: Path, target: Path) -> Path:
    """A file copy of a database that is not open (its WAL checkpointed first)."""
    with closing(sqlite3.connect(source)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    target.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target
