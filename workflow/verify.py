"""`ogi verify`: every case and appeal of every agency is what its log says, and every log is unbroken.

Each case's and appeal's events are replayed through the engine's own fold (`states.case.Case`,
`states.appeal_case.AppealCase`) and compared with the stored rows and cached clocks (workflow/replay.py), and
each log's hash chain is checked (workflow/chain.py). Read-only: one transaction that writes nothing.

Cases are read twice over only when something is wrong. The first reading takes the columns as the driver gives
them, with cheap conversions (`_day`, `_data`) and the hash by orjson (`chain.quick_seal`); a case it
finds nothing wrong with is sound, because each of its shortcuts can only fail to prove a sound case, never prove
an unsound one. A case it finds anything wrong with is read again through SQLAlchemy's own column types and the
canonical encoder (`chain.event_hash`), exactly as `ogi show` reads it, and what that finds is what is reported.
"""

import gc
import os
import threading
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.connection import wait
from multiprocessing.context import BaseContext, ForkContext, SpawnContext
from typing import Any, cast

import orjson
from sqlalchemy import Column, Connection, Dialect, Select, bindparam, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import Session, col
from sqlmodel import select as sqlmodel_select

from states.appeals import KIND_LABELS, ROUTE_LABELS, AppealKind, Route
from states.deadlines import ClockPolicy
from workflow import chain
from workflow.actors import agency_policy
from workflow.bulk import table_of
from workflow.calendar import WorkingCalendar
from workflow.calendar_store import load_calendar
from workflow.db import READ_ERRORS, Database, unreadable_value
from workflow.models import Agency, Appeal, AppealEvent, Application, CaseClock, Event
from workflow.progress import Progress, silent
from workflow.replay import (
    AppealRow,
    CaseEvent,
    CaseRow,
    ClockRow,
    Finding,
    Logged,
    appeal_findings,
    case_findings,
    chain_findings,
)

__all__ = ["Problem", "Verification", "verify"]

_DEFAULT_POLICY = ClockPolicy()
_BATCH = 5000  # cases checked together (one progress step; at most one task of a worker process)
CLAIM_WAIT = 5.0  # seconds a claim waits for the lock of the batches (held for microseconds, unless its holder died)
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


class _Days(dict[Any, Any]):
    """A date column's values as the quick reading takes them, each distinct value worked out once per process
    (a database holds few distinct days): `date.fromisoformat` of the text SQLite stores, only in its canonical
    form (what SQLAlchemy's own reading would make of it); None, or the date PostgreSQL's driver made, as it is."""

    def __missing__(self, value: Any) -> Any:
        day = value
        if type(value) is str:
            day = _UNREAD
            if len(value) == 10 and value[4] == "-" and value[7] == "-":
                with suppress(ValueError):
                    day = date.fromisoformat(value)
        self[value] = day
        return day


_day = _Days().__getitem__  # a look-up, not a call of Python code, for each date read


def _data(value: Any) -> Any:
    """The JSON column: decoded by orjson, which reads JSON as `json.loads` (SQLAlchemy's reading) does but for
    what `chain.quick_seal` does not vouch for and what it refuses (NaN, infinities, lone surrogates: `_UNREAD`);
    PostgreSQL's driver decodes it itself."""
    if type(value) is not str:
        return value
    try:
        return _loads(value)
    except orjson.JSONDecodeError:
        return _UNREAD


_loads = orjson.loads  # read once per event


def _columns(model: Any, names: str) -> list[Column[Any]]:
    table = table_of(model)
    return [table.c[n] for n in names.split()]


_LOGGED = "seq trigger actor role effective_on from_state to_state data recorded_at hash"
_QUICK_CASE_COLUMNS = _columns(Application, "id agency_id state outcome concluded_on version received_on channel "
                                            "applicant_type next_due_on next_due_clock chain_head chain_length")
_CASE_COLUMNS = [*_QUICK_CASE_COLUMNS, table_of(Application).c.number]  # its number only for what is reported
_EVENT_COLUMNS = _columns(Event, f"application_id {_LOGGED}")
_CLOCK_COLUMNS = _columns(CaseClock, "application_id kind start_on due_on status")
_APPEAL_COLUMNS = (*_columns(Appeal, "id agency_id kind route received_on state replied_on decision decided_on "
                                     "due_on chain_head chain_length"), table_of(Application).c.number)
_APPEAL_EVENT_COLUMNS = _columns(AppealEvent, f"appeal_id {_LOGGED}")
_QUICK = {"effective_on": _day, "data": _data, "concluded_on": _day, "received_on": _day, "next_due_on": _day,
          "start_on": _day, "due_on": _day}  # how the quick reading converts what the driver gives


_tuple_type: Callable[[str, list[str]], Any] = namedtuple  # fields named at run time, by the query's columns


def _stored(names: list[str]) -> Any:
    """The named tuple of a query's rows; an event's legal date is also `on`, as the fold reads it (the same field,
    not a copy)."""
    stored = _tuple_type("Stored", names)
    if "effective_on" in names:
        stored = type("Stored", (stored,), {"__slots__": (), "on": stored.effective_on})
    return stored


def _rows(conn: Connection, query: Select[Any]) -> Iterator[Any]:
    """A query's rows, streamed (10⁵ cases and their events are never all in memory)."""
    yield from conn.execution_options(yield_per=5000).execute(query)


@dataclass(frozen=True)
class _Reading:
    """A query of the quick reading made ready once per process and database kind: its SQL for the driver, and
    how its rows are made."""

    compiled: SQLCompiler
    sql: str
    make: Callable[[Sequence[Any]], Any]  # one row of the driver's → its named tuple, `_QUICK`'s columns converted

    def parameters(self, values: dict[str, Any]) -> Any:
        """The query's parameters (`values` for those it names) as the driver takes them: in order, or by name."""
        named = self.compiled.construct_params(values)
        order = self.compiled.positiontup
        return tuple(named[name] for name in order or ()) if self.compiled.positional else named


@lru_cache(maxsize=16)
def _reading(query: Select[Any], dialect: Dialect) -> _Reading:
    """What `_quick_rows` runs for `query` (compiling a query costs about what reading a hundred rows does, and
    each batch runs three)."""
    names = [str(c.key) for c in query.selected_columns]
    compiled = query.compile(dialect=dialect)
    return _Reading(compiled, str(compiled), _row_maker(_stored(names), names))


def _row_maker(stored: Any, names: list[str]) -> Callable[[Sequence[Any]], Any]:
    """A function that makes one row's named tuple from the driver's values, converting the columns `_QUICK`
    names: written for the query's columns, as dataclasses and SQLAlchemy write theirs, so that a row costs one
    call, with no loop over its columns and no list (the only names written into the code are `_QUICK`'s own)."""
    values = [f"v{i}" for i in range(len(names))]
    made = [f"_{n}({v})" if n in _QUICK else v for n, v in zip(names, values, strict=True)]
    namespace: dict[str, Any] = {"_new": tuple.__new__, "_Stored": stored}
    namespace.update((f"_{n}", _QUICK[n]) for n in names if n in _QUICK)
    exec(f"def make(row):\n    {', '.join(values)}, = row\n    return _new(_Stored, ({', '.join(made)},))\n",
         namespace)
    return cast(Callable[[Sequence[Any]], Any], namespace["make"])


def _quick_rows(conn: Connection, query: Select[Any], **parameters: Any) -> Iterator[Any]:
    """A query's rows straight from the driver's cursor, converted by `_QUICK`, as named tuples (SQLAlchemy's
    result processing, and reading a field of its rows by name, cost several times what the checks do)."""
    reading = _reading(query, conn.dialect)
    make = reading.make
    driver_error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.cursor()
    try:
        cursor.execute(reading.sql, reading.parameters(parameters))
        while rows := cursor.fetchmany(5000):
            yield from map(make, rows)
    except driver_error as exc:  # as SQLAlchemy would raise it (the faces explain those in Chinese)
        raise DBAPIError.instance(reading.sql, None, exc, driver_error) from exc
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
        row = self._next
        if row is None or row[0] > owner:  # most often for the clocks: a concluded case caches none
            return []
        rows, found = self._rows, []
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
                today: date) -> tuple[str, list[Finding]]:
    """One case read again through SQLAlchemy's column types and checked with the canonical encoder: its number
    and what is wrong with it (a stored value that no reading takes, such as a date that is none, is itself what
    is wrong: the case cannot be checked)."""
    number = conn.execute(select(col(Application.number)).where(col(Application.id) == app_id)).scalar_one()
    try:
        app = conn.execute(select(*_CASE_COLUMNS).where(col(Application.id) == app_id)).one()
        events = conn.execute(select(*_EVENT_COLUMNS, col(Event.effective_on).label("on"))
                              .where(col(Event.application_id) == app_id).order_by(col(Event.seq))).all()
        clocks = conn.execute(select(*_CLOCK_COLUMNS).where(col(CaseClock.application_id) == app_id)).all()
    except READ_ERRORS as exc:  # SQLAlchemy's reading of a date, a time or the JSON refused a value
        if not unreadable_value(exc):
            raise
        return number, [_unreadable(exc)]
    logged = cast(Sequence[CaseEvent], events)
    return number, (chain_findings(chain.EVENT, app_id, logged, app.chain_head, app.chain_length)
                    + case_findings(cast(CaseRow, app), logged, cast(Sequence[ClockRow], clocks), calendar, policy,
                                    today))


def _unreadable(exc: Exception) -> Finding:
    return Finding("unreadable", f"记录中有无法读取的值（{exc}）：已被改动或损坏，无法核验")


def _batch(columns: list[Column[Any]], owner: Any, *order: Any) -> Select[Any]:
    """The quick reading of one batch: `columns` of the rows whose `owner` is between :low and :high."""
    return select(*columns).where(owner.between(bindparam("low"), bindparam("high"))).order_by(*order)


_BATCH_CASES = _batch(_QUICK_CASE_COLUMNS, col(Application.id), col(Application.id))
_BATCH_EVENTS = _batch(_EVENT_COLUMNS, col(Event.application_id), col(Event.application_id), col(Event.seq))
_BATCH_CLOCKS = _batch(_CLOCK_COLUMNS, col(CaseClock.application_id), col(CaseClock.application_id))


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused, then restored as it was.

    Checking a batch of 5,000 cases makes about a hundred thousand short-lived containers (rows, each event's
    data, the folds) and no reference cycle, so reference counting frees them as it goes, and the collector
    would only walk the young ones again and again: 3% to 5% of verify's time. Whatever cycle a batch did make
    is still tracked, and goes with the first collection after it.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _check_cases(session: Session, low: int, high: int, today: date) -> _Tally:
    """The cases with ids low..high: each replayed and its chain checked, in the session's snapshot."""
    with _no_cycle_collection():
        return _checked_cases(session, low, high, today)


def _checked_cases(session: Session, low: int, high: int, today: date) -> _Tally:
    conn = session.connection()
    calendar = load_calendar(session)
    names, policies = _agencies(session)
    problems: list[Problem] = []
    event_rows = _Merge(_quick_rows(conn, _BATCH_EVENTS, low=low, high=high))
    clock_rows = _Merge(_quick_rows(conn, _BATCH_CLOCKS, low=low, high=high))
    cases = events = 0
    events_of, clocks_of, log, seal = event_rows.take, clock_rows.take, chain.EVENT, chain.quick_seal  # per case
    for app in _quick_rows(conn, _BATCH_CASES, low=low, high=high):
        app_id = app.id
        logged = events_of(app_id)
        cases, events = cases + 1, events + len(logged)
        policy = policies.get(app.agency_id) or _DEFAULT_POLICY
        try:
            sound = not (chain_findings(log, app_id, logged, app.chain_head, app.chain_length, seal)
                         or case_findings(app, logged, clocks_of(app_id), calendar, policy, today))
        except Exception:  # whatever the quick reading cannot take, the definitive reading judges
            sound = False
        if not sound:
            code, name = names.get(app.agency_id, ("?", "?"))
            number, found = _definitive(conn, app.id, calendar, policy, today)
            problems += [Problem(code, name, number, None, f"案件 {number}", f) for f in found]
    return _Tally(cases, events, problems)


def _check_appeals(session: Session) -> _Tally:
    """Every appeal: replayed and its chain checked (appeals are few: one pass, read the definitive way). Should a
    stored value of one be unreadable, each is read on its own, and the unreadable ones are named as such."""
    try:
        return _appeals(session)
    except READ_ERRORS as exc:
        if not unreadable_value(exc):
            raise
    conn, names = session.connection(), _agencies(session)[0]
    tally = _Tally()
    for appeal in conn.execute(select(col(Appeal.id), col(Appeal.agency_id), col(Appeal.kind), col(Appeal.route),
                                      col(Application.number)).join(Application, col(Application.id) == col(
            Appeal.application_id)).order_by(col(Appeal.id))).all():
        try:
            part = _appeals(session, appeal.id)
        except READ_ERRORS as exc:
            if not unreadable_value(exc):
                raise
            code, name = names.get(appeal.agency_id, ("?", "?"))
            events = conn.execute(select(func.count()).where(col(AppealEvent.appeal_id) == appeal.id)).scalar_one()
            part = _Tally(1, events, [Problem(code, name, appeal.number, appeal.id, _appeal_subject(appeal),
                                              _unreadable(exc))])
        tally.cases, tally.events = tally.cases + part.cases, tally.events + part.events
        tally.problems += part.problems
    return tally


def _appeals(session: Session, only: int | None = None) -> _Tally:
    """The appeals (or the one with id `only`) checked in one pass."""
    conn = session.connection()
    calendar = load_calendar(session)
    names, _ = _agencies(session)
    tally = _Tally()
    events = select(*_APPEAL_EVENT_COLUMNS).order_by(col(AppealEvent.appeal_id), col(AppealEvent.seq))
    rows = select(*_APPEAL_COLUMNS).join(Application, col(Application.id) == col(Appeal.application_id)).order_by(
        col(Appeal.id))
    if only is not None:
        events, rows = events.where(col(AppealEvent.appeal_id) == only), rows.where(col(Appeal.id) == only)
    event_rows = _Merge(_rows(conn, events))
    for appeal in _rows(conn, rows):
        tally.cases += 1
        logged = cast(Sequence[Logged], event_rows.take(appeal.id))
        tally.events += len(logged)
        found = chain_findings(chain.APPEAL_EVENT, appeal.id, logged, appeal.chain_head, appeal.chain_length)
        found += appeal_findings(cast(AppealRow, appeal), logged, calendar)
        code, name = names.get(appeal.agency_id, ("?", "?"))
        tally.problems += [Problem(code, name, appeal.number, appeal.id, _appeal_subject(appeal), f) for f in found]
    return tally


def _id_range(session: Session) -> tuple[int, int, int]:
    """The lowest and highest case id, and how many cases there are (0, -1, 0 when there are none)."""
    ids = col(Application.id)
    row = session.connection().execute(select(func.min(ids), func.max(ids), func.count())).one()
    low, high, total = cast(tuple[int | None, int | None, int], tuple(row))
    return (low, high, total) if low is not None and high is not None and total else (0, -1, 0)


def _batch_span(low: int, high: int, total: int) -> int:
    """How many ids hold about `_BATCH` cases: ids come from one sequence shared by every agency and cases are
    never deleted, so each span of ids holds about as many cases as the next (no read of every id)."""
    return max(1, -(-(high - low + 1) * _BATCH // max(total, 1)))


def _pieces(low: int, high: int, span: int) -> list[tuple[int, int]]:
    """low..high cut into ranges of `span` ids (the last one shorter)."""
    return [(start, min(start + span - 1, high)) for start in range(low, high + 1, span)]


def default_jobs(cases: int) -> int:
    """How many processes check the cases: one for a small database, up to four of the usable CPUs for a large one."""
    if cases < PARALLEL_FROM:
        return 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(usable, 4))


def verify(db: Database, *, today: date, progress: Progress = silent, jobs: int | None = None) -> Verification:
    """Replay every case and appeal of every agency and check each log's chain; reads only.

    With one process the whole run reads one snapshot; with several (`jobs`, by default `default_jobs`),
    each batch of cases is checked in a snapshot of its own (a case with its events always in one).
    """
    with db.unit_of_work() as session:
        low, high, total = _id_range(session)
    span = _batch_span(low, high, total)
    workers = jobs if jobs is not None else default_jobs(total)
    cases = _Tally()

    def add(part: _Tally) -> None:
        cases.cases, cases.events = cases.cases + part.cases, cases.events + part.events
        progress(cases.cases, total)

    progress(0, total)
    if workers <= 1 or high - low + 1 <= span:
        with db.unit_of_work() as session:
            parts = []
            for first, last in _pieces(low, high, span):
                parts.append(_check_cases(session, first, last, today))
                add(parts[-1])
            appeals = _check_appeals(session)
    else:
        parts, appeals = _in_processes(db, (low, high, span), today, workers, add)
    problems = [p for part in parts for p in part.problems]
    return Verification(cases.cases, cases.events, appeals.cases, appeals.events, today, problems + appeals.problems)


def _in_processes(db: Database, ids: tuple[int, int, int], today: date, processes: int,
                  add: Callable[[_Tally], None]) -> tuple[list[_Tally], _Tally]:
    """The cases (`ids`: the lowest and highest id, and the ids of a batch) checked by `processes` processes: this
    one and `processes - 1` workers started for the run; and the appeals, checked here meanwhile.

    The workers claim batches of ids from the lowest on, this process (which need not start up) from the highest
    on, one at a time, until the two meet; the batches shrink as fewer cases are left, so that all finish
    together. A batch whose worker stopped before sending what it found (killed, or an error) is checked here at
    the end; an error is then raised as in one process. The tallies come back in the order of the ids.
    """
    low, high, span = ids
    context = _start_method()
    claims = _Claims(context, low, high, most=span, least=max(1, span // 10), shares=2 * processes)
    db.engine.dispose()  # no connection of this process is inherited by a forked worker (each opens its own)
    readers: list[Any] = []
    workers = []
    for _ in range(processes - 1):
        reader, writer = context.Pipe(duplex=False)
        worker = context.Process(target=_work, args=(db.url, today, claims, writer), daemon=True)
        worker.start()
        writer.close()  # the worker's end: once the worker stops, reading this one's end says so
        readers.append(reader)
        workers.append(worker)
    done: dict[int, tuple[int, _Tally]] = {}  # the first id of each batch checked: its last id, what was found

    def receive(timeout: float | None) -> None:
        for reader in wait(readers, timeout):
            try:
                first, last, part = cast(Any, reader).recv()
            except EOFError:  # that worker has stopped
                readers.remove(reader)
                continue
            done[first] = (last, part)
            add(part)

    def check(first: int, last: int) -> None:
        with db.unit_of_work() as session:
            done[first] = (last, _check_cases(session, first, last, today))
        add(done[first][1])

    try:
        with db.unit_of_work() as session:
            appeals = _check_appeals(session)
        while (claimed := claims.last()) is not None:
            check(*claimed)
            receive(timeout=0)
        while readers:
            receive(timeout=None)
        for first, last in _unchecked(low, high, done):  # claimed by a worker that stopped before sending it
            for piece in _pieces(first, last, span):
                check(*piece)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
    return [done[first][1] for first in sorted(done)], appeals


def _unchecked(low: int, high: int, done: dict[int, tuple[int, _Tally]]) -> list[tuple[int, int]]:
    """The ranges of low..high that no checked batch covers."""
    gaps, cursor = [], low
    for first in sorted(done):
        if first > cursor:
            gaps.append((cursor, first - 1))
        cursor = max(cursor, done[first][0] + 1)
    return gaps + ([(cursor, high)] if cursor <= high else [])


def _start_method() -> ForkContext | SpawnContext:
    """How workers start: forked, with what this process has imported, where that is safe (POSIX, and no other
    thread of this process runs, which could leave a lock held in the copy); else a fresh interpreter, which
    imports SQLAlchemy and the models first (about a second)."""
    if "fork" in get_all_start_methods() and threading.active_count() == 1:
        return get_context("fork")
    return get_context("spawn")


class _Claims:
    """The ids not yet claimed, shared by the processes of one run: workers claim batches from the lowest id,
    the process that started them from the highest. A claim takes `1/shares` of what is left, between `least`
    and `most` ids: large batches while much is left, small ones as the two ends meet, so that no process is
    left checking a large batch alone at the end.

    A claim holds a lock for a moment. Should a worker be killed in that moment, the lock stays taken: every claim
    then gives up after `CLAIM_WAIT` seconds, as if nothing were left, and the starting process checks whatever
    batch it has not received.
    """

    def __init__(self, context: BaseContext, low: int, high: int, *, most: int, least: int, shares: int) -> None:
        self._lock = context.Lock()
        self._ends = context.RawArray("q", [low, high])  # the lowest and the highest id not yet claimed
        self._most, self._least, self._shares = most, least, shares

    def _claim(self, end: int) -> tuple[int, int] | None:
        if not self._lock.acquire(timeout=CLAIM_WAIT):
            return None
        try:
            first, last = int(self._ends[0]), int(self._ends[1])
            if first > last:
                return None
            span = max(self._least, min(self._most, (last - first + 1) // self._shares))
            if end == 0:
                claimed = (first, min(first + span - 1, last))
                self._ends[0] = claimed[1] + 1
            else:
                claimed = (max(last - span + 1, first), last)
                self._ends[1] = claimed[0] - 1
            return claimed
        finally:
            self._lock.release()

    def first(self) -> tuple[int, int] | None:
        """Claim a batch of the lowest ids left (None: none is left)."""
        return self._claim(0)

    def last(self) -> tuple[int, int] | None:
        """Claim a batch of the highest ids left (None: none is left)."""
        return self._claim(1)


def _work(url: str, today: date, claims: _Claims, results: Any) -> None:
    """A worker: check batches, each in a snapshot of its own, until none is left, sending each one's tally.

    On any error it stops without a word: the process that started it checks that batch again and reports it.
    """
    db = Database(url)
    try:
        while (claimed := claims.first()) is not None:
            with db.unit_of_work() as session:
                part = _check_cases(session, *claimed, today)
            results.send((*claimed, part))
    except BaseException:  # the starting process checks the batch itself and reports what it finds
        pass
    finally:
        results.close()
        db.dispose()


def _appeal_subject(appeal: Any) -> str:
    kind = KIND_LABELS[AppealKind(appeal.kind)] if appeal.kind in AppealKind.__members__.values() else appeal.kind
    route = f"（{ROUTE_LABELS[Route(appeal.route)]}）" if appeal.route in Route.__members__.values() else ""
    return f"{kind}{route} #{appeal.id}（申请案件 {appeal.number}）"
