"""(d) The alert sweep over many open cases: `workflow.alerts.raise_alerts`, and the whole `sweep`, against one raw
SQL query selecting the same due rows.

The database holds `cases` open applications received over the two months before the sweep day, so that their
response deadlines fall on both sides of it. A few hundred are registered through `workflow.cases.register`; the
rest are bulk-inserted in exactly the shape those produce (checked on the registered ones), because registering
100,000 cases through the use case would take minutes.
"""

import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from notifications.channels import Channel, InboxChannel, LogChannel
from notifications.policy import DEFAULT_POLICY, AlertPolicy, due_alerts, horizon
from states.clocks import RULES, ClockKind, ClockStatus
from states.lifecycle import State
from tests.bench.fixture import AGENCY, CLERK, HEAD, BenchDb, copy, random_application, url
from workflow import admin, alerts, cases
from workflow.alerts import due
from workflow.calendar import WorkingCalendar
from workflow.case_order import urgency_key
from workflow.db import Database

SWEEP_DAY = date(2025, 6, 16)  # a Monday; the two months before it hold the May Day and Dragon Boat holidays
RECEIPT_DAYS = 61  # applications were received on one of the 61 days before the sweep day
_FIRST_RECEIPT = SWEEP_DAY - timedelta(days=RECEIPT_DAYS)
_CLOCKS = (ClockKind.RESPONSE, ClockKind.CORRECTION_NOTICE)  # what registering starts, both running
_STAMP = "2025-06-16 00:00:00.000000"  # created_at / updated_at of the bulk rows (as SQLAlchemy stores them)

# The raw baseline: the same rows raise_alerts selects (every column of both tables), in one statement.
_RAW_SELECT = ("SELECT a.*, c.* FROM case_clock AS c JOIN application AS a ON a.id = c.application_id "
               "WHERE a.state != ? AND c.status = ? AND c.kind IN ({kinds}) AND c.due_on <= ? "
               "AND (c.kind IN ({overdue}) OR c.due_on >= ?)")  # windows already past raise nothing
_APP_INSERT = ("INSERT INTO application (id, agency_id, number, applicant_name, applicant_type, applicant_contact, "
               "channel, received_on, request, state, outcome, concluded_on, assignee_id, version, next_due_on, "
               "next_due_clock, provisional, urgency, created_at, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, 1, ?, ?, 0, ?, ?, ?)")
_CLOCK_INSERT = ("INSERT INTO case_clock (application_id, kind, start_on, due_on, status, provisional) "
                 "VALUES (?, ?, ?, ?, ?, ?)")


@dataclass(frozen=True)
class SweepDb:
    """The sweep benchmark's database: `cases` open applications, `registered` of them through the use case."""

    path: Path
    cases: int
    registered: int
    shape_ok: bool  # the bulk formula gives exactly the rows register wrote for the registered cases
    build_seconds: float


def _expected_rows(received_on: date, cal: WorkingCalendar) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """(state, version, next_due_on, next_due_clock, provisional, urgency) and the clock rows of a case just
    registered."""
    clocks = [(kind.value, received_on.isoformat(),
               cal.add_working_days(received_on, RULES[kind].length or 0).isoformat(), ClockStatus.RUNNING.value, 0)
              for kind in _CLOCKS]
    response_due = clocks[0][2]
    urgency = urgency_key(State.RECEIVED.value, date.fromisoformat(response_due))
    return (State.RECEIVED.value, 1, response_due, ClockKind.RESPONSE.value, 0, urgency), sorted(clocks)


def _shape_matches(conn: sqlite3.Connection, cal: WorkingCalendar) -> bool:
    """Whether every registered case has exactly the rows the bulk formula writes."""
    apps = conn.execute("SELECT id, received_on, state, version, next_due_on, next_due_clock, provisional, "
                        "urgency, assignee_id FROM application").fetchall()
    (clerk_id,) = conn.execute("SELECT id FROM user WHERE username = ?", (CLERK,)).fetchone()
    for app_id, received_on, *head, assignee in apps:
        want_app, want_clocks = _expected_rows(date.fromisoformat(received_on), cal)
        got_clocks = sorted(conn.execute("SELECT kind, start_on, due_on, status, provisional FROM case_clock "
                                         "WHERE application_id = ?", (app_id,)).fetchall())
        if tuple(head) != want_app or got_clocks != want_clocks or assignee != clerk_id:
            return False
    return bool(apps)


def build(path: Path, count: int, *, registered: int, seed: int = 11) -> SweepDb:
    """Register `registered` applications through the use case, then bulk-insert the rest in the same shape."""
    started = time.perf_counter()
    rng = random.Random(seed)
    registered = min(registered, count)
    db = Database(url(path))
    try:
        admin.init(db, agency=AGENCY)
        admin.add_user(db, actor_name="admin", username=CLERK, role="clerk")
        admin.add_user(db, actor_name="admin", username=HEAD, role="head")
        for _ in range(registered):
            cases.register(db, actor_name=CLERK, data=random_application(rng, _FIRST_RECEIPT, RECEIPT_DAYS),
                           today=SWEEP_DAY)
    finally:
        db.dispose()
    cal = WorkingCalendar()
    with closing(sqlite3.connect(path)) as conn:
        shape_ok = _shape_matches(conn, cal)
        agency_id, clerk_id = conn.execute("SELECT agency_id, id FROM user WHERE username = ?", (CLERK,)).fetchone()
        (last_id,) = conn.execute("SELECT coalesce(max(id), 0) FROM application").fetchone()
        year_seq: dict[str, int] = dict(conn.execute(  # numbers go on from the last registered one, per year
            "SELECT substr(number, 1, 4), max(CAST(substr(number, 6) AS INTEGER)) FROM application GROUP BY 1"))
        app_rows: list[tuple[Any, ...]] = []
        clock_rows: list[tuple[Any, ...]] = []
        for app_id in range(last_id + 1, last_id + 1 + count - registered):
            data = random_application(rng, _FIRST_RECEIPT, RECEIPT_DAYS)
            year = str(data.received_on.year)
            year_seq[year] = year_seq.get(year, 0) + 1
            (state, _, next_due, next_clock, _, urgency), clocks = _expected_rows(data.received_on, cal)
            app_rows.append((app_id, agency_id, f"{year}-{year_seq[year]:04d}", data.applicant_name,
                             data.applicant_type.value, data.applicant_contact, data.channel.value,
                             data.received_on.isoformat(), data.request, state, clerk_id, next_due, next_clock,
                             urgency, _STAMP, _STAMP))
            clock_rows.extend((app_id, *clock) for clock in clocks)
        with conn:
            conn.executemany(_APP_INSERT, app_rows)
            conn.executemany(_CLOCK_INSERT, clock_rows)
    return SweepDb(path, count, registered, shape_ok, time.perf_counter() - started)


def _connect(path: Path) -> sqlite3.Connection:
    """A sqlite3 connection with the engine's pragmas."""
    conn = sqlite3.connect(path)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=10000", "synchronous=FULL"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def reach(today: date, policy: AlertPolicy) -> date:
    """The last due date raise_alerts looks at: `horizon(policy)` working days after `today`."""
    return WorkingCalendar().add_working_days(today, horizon(policy))


def raw_select(conn: sqlite3.Connection, today: date, policy: AlertPolicy) -> list[tuple[Any, ...]]:
    """The baseline: one SQL statement returning every due row raise_alerts considers, all columns."""
    return conn.execute(*_where(_RAW_SELECT, today, policy)).fetchall()


def _where(template: str, today: date, policy: AlertPolicy) -> tuple[str, tuple[Any, ...]]:
    """A statement with raise_alerts' WHERE clause, and its parameters."""
    kinds = list(policy.clocks)
    overdue = [k for k, rules in policy.clocks.items() if rules.overdue]
    sql = template.format(kinds=", ".join("?" * len(kinds)), overdue=", ".join("?" * len(overdue)))
    return sql, (State.CONCLUDED.value, ClockStatus.RUNNING.value, *kinds, reach(today, policy).isoformat(),
                 *overdue, today.isoformat())


def _best(func: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    return best, result


class _Counter:
    """Counts the rows raise_alerts examines (it builds one `_Due` per selected clock row) and notes when the
    first was built, i.e. how long the SELECT of those rows took."""

    def __init__(self) -> None:
        self.calls = 0
        self.started = time.perf_counter()
        self.first_call: float | None = None


@contextmanager
def _counting_due_alerts() -> Iterator[_Counter]:
    counter = _Counter()
    original = getattr(due, "_Due")  # noqa: B009 - patched where raise_alerts looks it up

    def counted(*args: Any, **kwargs: Any) -> Any:
        if counter.first_call is None:
            counter.first_call = time.perf_counter()
        counter.calls += 1
        return original(*args, **kwargs)

    setattr(due, "_Due", counted)  # noqa: B010
    try:
        yield counter
    finally:
        setattr(due, "_Due", original)  # noqa: B010


@contextmanager
def _timing(names: tuple[str, ...]) -> Iterator[dict[str, float]]:
    """Time the steps that `alerts.sweep` calls through the globals of `due` (lapse_expired, raise_alerts, deliver)."""
    spent: dict[str, float] = {}
    originals = {name: getattr(due, name) for name in names}

    def timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started
        return wrapper

    for name, func in originals.items():
        setattr(due, name, timed(name, func))
    try:
        yield spent
    finally:
        for name, func in originals.items():
            setattr(due, name, func)


def _python_alerts(conn: sqlite3.Connection, today: date, policy: AlertPolicy, cal: WorkingCalendar) -> int:
    """The raw query, then `due_alerts` on every row in Python: what a sweep must compute, without writing."""
    rows = raw_select(conn, today, policy)
    names = [d[0] for d in conn.execute(_RAW_SELECT.format(kinds="?", overdue="?") + " LIMIT 0",
                                         ("",) * 6).description]
    kind_at, due_at = names.index("kind"), names.index("due_on")  # both only in case_clock
    return sum(len(due_alerts(row[kind_at], date.fromisoformat(row[due_at]), today, policy, cal)) for row in rows)


def _outbox(path: Path) -> tuple[int, int]:
    """Outbox rows (deliveries), and how many of them are still pending or not yet fanned out (queued alerts)."""
    with closing(sqlite3.connect(path)) as conn:
        total, pending = conn.execute("SELECT count(*), coalesce(sum(status = 'pending'), 0) FROM delivery").fetchone()
        (queued,) = conn.execute("SELECT count(*) FROM alert_queue").fetchone()
    return total, pending + queued


def _queued(path: Path) -> int:
    """Alerts raised and queued for the fan-out into deliveries."""
    with closing(sqlite3.connect(path)) as conn:
        (queued,) = conn.execute("SELECT count(*) FROM alert_queue").fetchone()
    return int(queued)


@dataclass(frozen=True)
class SweepTiming:
    """One whole `alerts.sweep` (lapses, alerts, delivery of the outbox) on its own smaller database."""

    cases: int
    seconds: float
    lapse_seconds: float
    raise_seconds: float
    deliver_seconds: float
    lapsed: int
    raised: int
    expected: int  # alerts due_alerts says are due over the raw query's rows
    delivered: int
    failed: int
    deliveries: int  # outbox rows (deliveries) after the sweep
    pending: int  # outbox rows still pending, plus alerts not fanned out, after the sweep

    @property
    def ms_per_delivery(self) -> float:
        """Delivery time (fan-out included) per outbox row sent or failed."""
        return 1000 * self.deliver_seconds / max(1, self.delivered + self.failed)

    @property
    def deliveries_per_alert(self) -> float:
        """Outbox rows the fan-out made per alert (channels × recipients)."""
        return self.deliveries / max(1, self.raised)

    @property
    def sound(self) -> bool:
        """Every due alert raised, every outbox row delivered without failure."""
        return self.raised == self.expected and self.failed == 0 and self.pending == 0 \
            and self.delivered == self.deliveries


def whole_sweep(built: SweepDb, workdir: Path, *, today: date = SWEEP_DAY,
                policy: AlertPolicy = DEFAULT_POLICY) -> SweepTiming:
    """Time `alerts.sweep` and each of its steps, with the inbox and a log file as channels."""
    target = copy(BenchDb(built.path, ()), workdir / "sweep-whole.db").path
    with closing(_connect(target)) as conn:
        expected = _python_alerts(conn, today, policy, WorkingCalendar())
    known: dict[str, Channel] = {"inbox": InboxChannel(), "log": LogChannel(workdir / "alerts.log")}
    channels = {name: known[name] for name in policy.channels if name in known}
    db = Database(url(target))
    try:
        with _timing(("lapse_expired", "raise_alerts", "deliver")) as spent:
            started = time.perf_counter()
            result = alerts.sweep(db, today=today, policy=policy, channels=channels)
            seconds = time.perf_counter() - started
    finally:
        db.dispose()
    total, pending = _outbox(target)
    return SweepTiming(built.cases, seconds, spent.get("lapse_expired", 0.0), spent.get("raise_alerts", 0.0),
                       spent.get("deliver", 0.0), len(result.lapsed), len(result.raised), expected,
                       result.delivered, result.failed, total, pending)


@dataclass(frozen=True)
class SweepResult:
    """Everything (d) measured."""

    db: SweepDb
    today: date
    reach: date
    open_cases: int
    clock_rows: int  # case_clock rows in the database
    raw_seconds: float  # best of several runs of the raw query
    raw_rows: int
    mirror_count: int  # SELECT count(*) with raise_alerts' WHERE clause
    python_seconds: float  # raw query + due_alerts per row in Python, no writes (context)
    expected_alerts: int  # what due_alerts says is due over the raw rows
    raise_seconds: float  # raise_alerts on a fresh copy: the first sweep of the day
    raised: int
    raised_by_kind: tuple[tuple[str, int], ...]  # (reminder|overdue|escalation, count), most frequent first
    queued: int  # alerts the first sweep queued for deliver's fan-out (it writes no delivery rows itself)
    rerun_seconds: float  # raise_alerts again on the same day, same database
    rerun_raised: int
    engine_rows: int  # rows the re-run examined (its due_alerts calls)
    select_seconds: float  # the re-run's time until it built its first row: the SELECT of the candidate rows
    daily_seconds: float  # raise_alerts on the sweep day after a sweep on the working day before (production)
    daily_raised: int
    previous_day: date
    sweep: SweepTiming

    @property
    def ratio(self) -> float:
        """raise_alerts over the raw query selecting the same rows."""
        return self.raise_seconds / self.raw_seconds

    @property
    def rows_match(self) -> bool:
        """The engine examined exactly the rows of the raw query and of the mirrored count."""
        return self.engine_rows == self.raw_rows == self.mirror_count

    @property
    def idempotent(self) -> bool:
        """The re-run on the same day raised nothing."""
        return self.rerun_raised == 0

    @property
    def sound(self) -> bool:
        """Same rows, the alerts due_alerts expects, nothing raised twice, rows in the use case's shape."""
        return (self.rows_match and self.idempotent and self.raised == self.expected_alerts and self.db.shape_ok
                and self.sweep.sound)


def run(built: SweepDb, small: SweepDb, workdir: Path, *, today: date = SWEEP_DAY,
        policy: AlertPolicy = DEFAULT_POLICY, repeats: int = 3,
        progress: Callable[[str], None] | None = None) -> SweepResult:
    """On `built`: the raw query and its Python computation, then raise_alerts twice on one fresh copy.
    On `small`: one whole sweep, deliveries included."""
    say = progress or (lambda _: None)
    target = copy(BenchDb(built.path, ()), workdir / "sweep-raise.db").path
    with closing(_connect(target)) as conn:
        open_cases, clock_rows = conn.execute(
            "SELECT (SELECT count(*) FROM application WHERE state != ?), (SELECT count(*) FROM case_clock)",
            (State.CONCLUDED.value,)).fetchone()
        raw_seconds, rows = _best(lambda: raw_select(conn, today, policy), repeats)
        (mirror,) = conn.execute(*_where(_RAW_SELECT.replace("a.*, c.*", "count(*)"), today, policy)).fetchone()
        python_seconds, expected = _best(lambda: _python_alerts(conn, today, policy, WorkingCalendar()), 1)
    say(f"raw query: {raw_seconds:.2f} s for {len(rows):,} rows; raise_alerts, first sweep of {today}…")
    db = Database(url(target))
    try:
        started = time.perf_counter()
        raised = alerts.raise_alerts(db, today=today, policy=policy)
        raise_seconds = time.perf_counter() - started
        say(f"raise_alerts: {raise_seconds:.1f} s, {len(raised):,} alerts; again on the same day…")
        with _counting_due_alerts() as counter:
            again = alerts.raise_alerts(db, today=today, policy=policy)
            rerun_seconds = time.perf_counter() - counter.started
    finally:
        db.dispose()
    queued = _queued(target)
    select_seconds = (counter.first_call or time.perf_counter()) - counter.started
    say(f"re-run: {rerun_seconds:.1f} s; a daily sweep (yesterday's sweep done) on a fresh copy…")
    daily_seconds, daily_raised, previous_day = _daily(built, workdir, today, policy)
    say(f"re-run: {rerun_seconds:.1f} s, {len(again):,} alerts; whole sweep over {small.cases:,} cases…")
    return SweepResult(built, today, reach(today, policy), open_cases, clock_rows, raw_seconds, len(rows), mirror,
                       python_seconds, expected, raise_seconds, len(raised),
                       tuple(Counter(a["kind"] for a in raised).most_common()), queued, rerun_seconds, len(again),
                       counter.calls, select_seconds, daily_seconds, daily_raised, previous_day,
                       whole_sweep(small, workdir, today=today, policy=policy))


def _daily(built: SweepDb, workdir: Path, today: date, policy: AlertPolicy) -> tuple[float, int, date]:
    """The sweep as it runs in production: the previous working day's sweep already raised its alerts."""
    target = copy(BenchDb(built.path, ()), workdir / "sweep-daily.db").path
    cal = WorkingCalendar()
    previous = cal.working_days_before(today, 1)
    db = Database(url(target))
    try:
        alerts.raise_alerts(db, today=previous, policy=policy)
        started = time.perf_counter()
        raised = alerts.raise_alerts(db, today=today, policy=policy)
        return time.perf_counter() - started, len(raised), previous
    finally:
        db.dispose()
