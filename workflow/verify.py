"""`ogi verify`: every case and appeal of every agency is what its log says, and every log is unbroken.

Each case's and appeal's events are replayed through the engine's own fold (`states.case.Case`,
`states.appeal_case.AppealCase`) and compared with the stored rows and cached clocks (workflow/replay.py), and
each log's hash chain is checked (workflow/chain.py). Read-only: one transaction that writes nothing.

Cases are read twice over only when something is wrong. The first reading takes the columns as the driver gives
them, with cheap conversions (`_day`, `_data`) and the hash by orjson (`chain.quick_hash`); a case it
finds nothing wrong with is sound, because each of its shortcuts can only fail to prove a sound case, never prove
an unsound one. A case it finds anything wrong with is read again through SQLAlchemy's own column types and the
canonical encoder (`chain.event_hash`), exactly as `ogi show` reads it, and what that finds is what is reported.
"""

import os
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from multiprocessing import get_context
from typing import Any, cast

import orjson
from sqlalchemy import Column, Connection, Select, select
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col
from sqlmodel import select as sqlmodel_select

from states.appeals import KIND_LABELS, ROUTE_LABELS, AppealKind, Route
from states.deadlines import ClockPolicy
from workflow import chain
from workflow.actors import agency_policy
from workflow.bulk import table_of
from workflow.calendar import WorkingCalendar
from workflow.calendar_store import load_calendar
from workflow.db import Database
from workflow.models import Agency, Appeal, AppealEvent, Application, CaseClock, Event
from workflow.progress import Progress, silent
from workflow.replay import (
    AppealRow,
    CaseRow,
    ClockRow,
    Finding,
    Logged,
    appeal_findings,
    case_findings,
    chain_findings,
)

__all__ = ["Problem", "Verification", "verify"]

_BATCH = 5000  # cases checked together (one progress step; one task of a worker process)
PARALLEL_FROM = 20_000  # from this many cases, verify uses several processes by default


@dataclass(frozen=True)
class Problem:
    """One finding about one case or appeal, named by its agency (code and name) and case number."""

    agency_code: str
    agency: str  # the agency's name
    number: str
    appeal_id: int | None
    subject: str  # 「案件 2025-0003」 or 「行政复议 #4（申请案件 2025-0003）」
    finding: Finding

    @property
    def message(self) -> str:
        """The line `ogi verify` prints: 「代码（名称） 案件 2025-0003：…」."""
        return f"{self.agency_code}（{self.agency}） {self.subject}：{self.finding.message}"

    def as_data(self) -> dict[str, Any]:
        """JSON-ready (what `--json` prints)."""
        return {"agency_code": self.agency_code, "agency": self.agency, "number": self.number,
                "appeal_id": self.appeal_id, "subject": self.subject, "kind": self.finding.kind,
                "seq": self.finding.seq, "message": self.finding.message}


@dataclass(frozen=True)
class Verification:
    """What `ogi verify` checked and found."""

    cases: int
    events: int
    appeals: int
    appeal_events: int
    today: date
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing is wrong."""
        return not self.problems

    @property
    def cases_with_problems(self) -> int:
        """How many cases (an appeal counts with its application) have at least one finding."""
        return len({(p.agency_code, p.number) for p in self.problems})

    def as_data(self) -> dict[str, Any]:
        """JSON-ready (what `--json` prints)."""
        return {"ok": self.ok, "today": self.today.isoformat(), "cases": self.cases, "events": self.events,
                "appeals": self.appeals, "appeal_events": self.appeal_events,
                "cases_with_problems": self.cases_with_problems, "problems": [p.as_data() for p in self.problems]}


# --- the quick reading -------------------------------------------------------------------------------------------

class _Unread:
    """A stored value in a form the quick reading does not take: equal to nothing, so its case is read again."""

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return False


_UNREAD = _Unread()
_days: dict[str, date] = {}  # a database holds few distinct days: each is read once per process


def _day(value: Any) -> Any:
    """A date column: `date.fromisoformat` of the text SQLite stores, only in its canonical form (what
    SQLAlchemy's own reading would make of it); None, or the date PostgreSQL's driver made, as it is."""
    if type(value) is not str:
        return value
    day = _days.get(value)
    if day is None:
        if len(value) != 10 or value[4] != "-" or value[7] != "-":
            return _UNREAD
        try:
            day = _days.setdefault(value, date.fromisoformat(value))
        except ValueError:
            return _UNREAD
    return day


def _data(value: Any) -> Any:
    """The JSON column: decoded by orjson, which reads JSON as `json.loads` (SQLAlchemy's reading) does but for
    what `chain.quick_hash` does not vouch for and what it refuses (NaN, infinities, lone surrogates: `_UNREAD`);
    PostgreSQL's driver decodes it itself."""
    if type(value) is not str:
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return _UNREAD


def _columns(model: Any, names: str) -> list[Column[Any]]:
    table = table_of(model)
    return [table.c[n] for n in names.split()]


_LOGGED = "seq trigger actor role effective_on from_state to_state data recorded_at hash"
_CASE_COLUMNS = _columns(Application, "id agency_id number state outcome concluded_on version received_on channel "
                                      "applicant_type next_due_on next_due_clock chain_head chain_length")
_EVENT_COLUMNS = _columns(Event, f"application_id {_LOGGED}")
_CLOCK_COLUMNS = _columns(CaseClock, "application_id kind start_on due_on status")
_APPEAL_COLUMNS = (*_columns(Appeal, "id agency_id kind route received_on state replied_on decision decided_on "
                                     "due_on chain_head chain_length"), table_of(Application).c.number)
_APPEAL_EVENT_COLUMNS = _columns(AppealEvent, f"appeal_id {_LOGGED}")
_QUICK = {"effective_on": _day, "data": _data, "concluded_on": _day, "received_on": _day, "next_due_on": _day,
          "start_on": _day, "due_on": _day}  # how the quick reading converts what the driver gives


def _quick_seal(log: str, owner: int, e: Any, previous: str | None) -> str:
    """The hash a quickly read event should carry: `chain.quick_hash` over its day as written (`_day` took only
    the canonical text) and its time as SQLite stores it (or in canonical form, from PostgreSQL's driver)."""
    moment = e.recorded_at
    return chain.quick_hash(log, owner, e.seq, e.trigger, e.actor, e.role, e.effective_on.isoformat(), e.from_state,
                            e.to_state, e.data, moment if type(moment) is str else chain.canonical_time(moment),
                            previous) or ""  # no hash is empty: the case is read again


_tuple_type: Callable[[str, list[str]], Any] = namedtuple  # fields named at run time, by the query's columns


def _rows(conn: Connection, query: Select[Any]) -> Iterator[Any]:
    """A query's rows, streamed (10⁵ cases and their events are never all in memory)."""
    yield from conn.execution_options(yield_per=5000).execute(query)


def _quick_rows(conn: Connection, query: Select[Any]) -> Iterator[Any]:
    """A query's rows straight from the driver's cursor, converted by `_QUICK`, as named tuples (SQLAlchemy's
    result processing, and reading a field of its rows by name, cost several times what the checks do)."""
    names = [str(c.key) for c in query.selected_columns]
    make = _tuple_type("Stored", names)._make
    converted = [(i, _QUICK[name]) for i, name in enumerate(names) if name in _QUICK]
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    driver_error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(5000):
            for raw in rows:
                values = list(raw)
                for i, convert in converted:
                    values[i] = convert(values[i])
                yield make(values)
    except driver_error as exc:  # as SQLAlchemy would raise it (the faces explain those in Chinese)
        raise DBAPIError.instance(sql, None, exc, driver_error) from exc
    finally:
        cursor.close()


class _Merge:
    """The rows of a second stream ordered by owner (its first column) that belong to each owner of the first
    stream, in one pass."""

    def __init__(self, rows: Iterator[Any]) -> None:
        self._rows = rows
        self._next: Any = next(rows, None)

    def take(self, owner: int) -> list[Any]:
        """The rows of `owner` (none when it has none; rows of owners the first stream lacks are skipped)."""
        row, rows, found = self._next, self._rows, []
        while row is not None and row[0] < owner:
            row = next(rows, None)
        while row is not None and row[0] == owner:
            found.append(row)
            row = next(rows, None)
        self._next = row
        return found


@dataclass
class _Tally:
    """What checking one batch of cases (or the appeals) found."""

    cases: int = 0
    events: int = 0
    problems: list[Problem] = field(default_factory=list)


def _agencies(session: Session) -> tuple[dict[int | None, tuple[str, str]], dict[int | None, ClockPolicy]]:
    agencies = session.exec(sqlmodel_select(Agency)).all()
    return {a.id: (a.code, a.name) for a in agencies}, {a.id: agency_policy(a) for a in agencies}


def _definitive(conn: Connection, app_id: int, calendar: WorkingCalendar, policy: ClockPolicy,
                today: date) -> list[Finding]:
    """One case read again through SQLAlchemy's column types and checked with the canonical encoder."""
    app = conn.execute(select(*_CASE_COLUMNS).where(col(Application.id) == app_id)).one()
    events = conn.execute(select(*_EVENT_COLUMNS).where(col(Event.application_id) == app_id)
                          .order_by(col(Event.seq))).all()
    clocks = conn.execute(select(*_CLOCK_COLUMNS).where(col(CaseClock.application_id) == app_id)).all()
    logged = cast(Sequence[Logged], events)
    return (chain_findings(chain.EVENT, app_id, logged, app.chain_head, app.chain_length)
            + case_findings(cast(CaseRow, app), logged, cast(Sequence[ClockRow], clocks), calendar, policy, today))


def _check_cases(session: Session, low: int, high: int, today: date) -> _Tally:
    """The cases with ids low..high: each replayed and its chain checked, in the session's snapshot."""
    conn = session.connection()
    calendar = load_calendar(session)
    names, policies = _agencies(session)
    tally = _Tally()
    event_rows = _Merge(_quick_rows(conn, select(*_EVENT_COLUMNS).where(col(Event.application_id).between(
        low, high)).order_by(col(Event.application_id), col(Event.seq))))
    clock_rows = _Merge(_quick_rows(conn, select(*_CLOCK_COLUMNS).where(col(CaseClock.application_id).between(
        low, high)).order_by(col(CaseClock.application_id))))
    for app in _quick_rows(conn, select(*_CASE_COLUMNS).where(col(Application.id).between(low, high))
                           .order_by(col(Application.id))):
        tally.cases += 1
        logged = event_rows.take(app.id)
        clocks = clock_rows.take(app.id)
        tally.events += len(logged)
        policy = policies.get(app.agency_id) or ClockPolicy()
        try:
            sound = not (chain_findings(chain.EVENT, app.id, logged, app.chain_head, app.chain_length, _quick_seal)
                         or case_findings(app, logged, clocks, calendar, policy, today))
        except Exception:  # whatever the quick reading cannot take, the definitive reading judges
            sound = False
        if not sound:
            code, name = names.get(app.agency_id, ("?", "?"))
            tally.problems += [Problem(code, name, app.number, None, f"案件 {app.number}", f)
                               for f in _definitive(conn, app.id, calendar, policy, today)]
    return tally


def _check_appeals(session: Session) -> _Tally:
    """Every appeal: replayed and its chain checked (appeals are few: one pass, read the definitive way)."""
    conn = session.connection()
    calendar = load_calendar(session)
    names, _ = _agencies(session)
    tally = _Tally()
    event_rows = _Merge(_rows(conn, select(*_APPEAL_EVENT_COLUMNS)
                              .order_by(col(AppealEvent.appeal_id), col(AppealEvent.seq))))
    for appeal in _rows(conn, select(*_APPEAL_COLUMNS).join(Application, col(Application.id) == col(
            Appeal.application_id)).order_by(col(Appeal.id))):
        tally.cases += 1
        logged = cast(Sequence[Logged], event_rows.take(appeal.id))
        tally.events += len(logged)
        found = chain_findings(chain.APPEAL_EVENT, appeal.id, logged, appeal.chain_head, appeal.chain_length)
        found += appeal_findings(cast(AppealRow, appeal), logged, calendar)
        code, name = names.get(appeal.agency_id, ("?", "?"))
        tally.problems += [Problem(code, name, appeal.number, appeal.id, _appeal_subject(appeal), f) for f in found]
    return tally


def _batches(session: Session) -> tuple[list[tuple[int, int]], int]:
    """The case ids cut into ranges of about `_BATCH` cases each, and how many cases there are."""
    ids = [row.id for row in _quick_rows(session.connection(), select(col(Application.id)).order_by(
        col(Application.id)))]
    starts = ids[::_BATCH]
    return [(low, (starts[i + 1] - 1) if i + 1 < len(starts) else ids[-1]) for i, low in enumerate(starts)], len(ids)


def default_jobs(cases: int) -> int:
    """How many processes check the cases: one for a small database, up to four of the usable CPUs for a large one."""
    if cases < PARALLEL_FROM:
        return 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(usable, 4))


def verify(db: Database, *, today: date, progress: Progress = silent, jobs: int | None = None) -> Verification:
    """Replay every case and appeal of every agency and check each log's chain; reads only.

    With one process the whole run reads one snapshot; with several (`jobs`, by default `default_jobs`),
    each batch of about 5,000 cases is checked in a snapshot of its own (a case with its events always in one).
    """
    with db.unit_of_work() as session:
        batches, total = _batches(session)
    workers = jobs if jobs is not None else default_jobs(total)
    cases = _Tally()

    def add(part: _Tally) -> None:
        cases.cases, cases.events = cases.cases + part.cases, cases.events + part.events
        progress(cases.cases, total)

    progress(0, total)
    if workers <= 1 or len(batches) <= 1:
        with db.unit_of_work() as session:
            parts = []
            for low, high in batches:
                parts.append(_check_cases(session, low, high, today))
                add(parts[-1])
            appeals = _check_appeals(session)
    else:
        parts = _in_processes(db, batches, today, workers, add)
        with db.unit_of_work() as session:
            appeals = _check_appeals(session)
    problems = [p for part in parts for p in part.problems]
    return Verification(cases.cases, cases.events, appeals.cases, appeals.events, today, problems + appeals.problems)


def _in_processes(db: Database, batches: list[tuple[int, int]], today: date, processes: int,
                  add: Any) -> list[_Tally]:
    """The batches checked by `processes` processes: this one and `processes - 1` workers started for the run.

    The workers take the batches from the first on; this process, which need not start up, takes them from the
    last on, each one no worker has begun yet, until the two meet; then it collects what the workers found.
    """
    done: dict[int, _Tally] = {}
    with ProcessPoolExecutor(min(processes - 1, len(batches) - 1), mp_context=get_context("spawn"),
                             initializer=_open_in_worker, initargs=(db.url,)) as pool:
        futures: list[Future[_Tally]] = [pool.submit(_check_in_worker, batch, today) for batch in batches]

        def collect(block: bool) -> None:
            for i, future in enumerate(futures):
                if i not in done and not future.cancelled() and (block or future.done()):
                    done[i] = future.result()
                    add(done[i])

        for i in reversed(range(len(batches))):
            if not futures[i].cancel():
                break
            with db.unit_of_work() as session:
                done[i] = _check_cases(session, *batches[i], today)
            add(done[i])
            collect(block=False)
        collect(block=True)
    return [done[i] for i in range(len(batches))]


_worker_db: Database | None = None  # each worker process's own engine


def _open_in_worker(url: str) -> None:
    global _worker_db
    _worker_db = Database(url)


def _check_in_worker(batch: tuple[int, int], today: date) -> _Tally:
    assert _worker_db is not None, "the pool's initializer opened the database"
    with _worker_db.unit_of_work() as session:
        return _check_cases(session, *batch, today)


def _appeal_subject(appeal: Any) -> str:
    kind = KIND_LABELS[AppealKind(appeal.kind)] if appeal.kind in AppealKind.__members__.values() else appeal.kind
    route = f"（{ROUTE_LABELS[Route(appeal.route)]}）" if appeal.route in Route.__members__.values() else ""
    return f"{kind}{route} #{appeal.id}（申请案件 {appeal.number}）"
