"""`ogi verify`: every case and appeal of every agency is what its log says, and every log is unbroken.

Each case's and appeal's events are replayed through the engine's own fold (`states.case.Case`,
`states.appeal_case.AppealCase`) and compared with the stored rows and cached clocks (workflow/replay.py), and
each log's hash chain is checked (workflow/chain.py). Read-only: one transaction that writes nothing.
"""

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby, repeat
from multiprocessing import get_context
from typing import Any, cast

from sqlalchemy import Connection, Select, select
from sqlmodel import Session, col
from sqlmodel import select as sqlmodel_select

from states.appeals import KIND_LABELS, ROUTE_LABELS, AppealKind, Route
from states.deadlines import ClockPolicy
from workflow import chain
from workflow.actors import agency_policy
from workflow.bulk import table_of
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
    """One finding about one case or appeal, named by its agency and case number."""

    agency: str
    number: str
    appeal_id: int | None
    subject: str  # 「案件 2025-0003」 or 「行政复议 #4（申请案件 2025-0003）」
    finding: Finding

    @property
    def message(self) -> str:
        """The line `ogi verify` prints."""
        return f"{self.agency} {self.subject}：{self.finding.message}"

    def as_data(self) -> dict[str, Any]:
        """JSON-ready (what `--json` prints)."""
        return {"agency": self.agency, "number": self.number, "appeal_id": self.appeal_id, "subject": self.subject,
                "kind": self.finding.kind, "seq": self.finding.seq, "message": self.finding.message}


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
        return len({(p.agency, p.number) for p in self.problems})

    def as_data(self) -> dict[str, Any]:
        """JSON-ready (what `--json` prints)."""
        return {"ok": self.ok, "today": self.today.isoformat(), "cases": self.cases, "events": self.events,
                "appeals": self.appeals, "appeal_events": self.appeal_events,
                "cases_with_problems": self.cases_with_problems, "problems": [p.as_data() for p in self.problems]}


def _columns(model: Any, names: str) -> tuple[Any, ...]:
    table = table_of(model)
    return tuple(table.c[n] for n in names.split())


_LOGGED = "seq trigger actor role effective_on from_state to_state data recorded_at hash"
_CASE_COLUMNS = _columns(Application, "id agency_id number state outcome concluded_on version received_on channel "
                                      "applicant_type next_due_on next_due_clock chain_head chain_length")
_EVENT_COLUMNS = _columns(Event, f"application_id {_LOGGED}")
_CLOCK_COLUMNS = _columns(CaseClock, "application_id kind start_on due_on status")
_APPEAL_COLUMNS = (*_columns(Appeal, "id agency_id kind route received_on state replied_on decision decided_on "
                                     "due_on chain_head chain_length"), table_of(Application).c.number)
_APPEAL_EVENT_COLUMNS = _columns(AppealEvent, f"appeal_id {_LOGGED}")


def _rows(conn: Connection, query: Select[Any]) -> Iterator[Any]:
    """A query's rows, streamed (10⁵ cases and their events are never all in memory)."""
    yield from conn.execution_options(yield_per=5000).execute(query)


def _by_owner(rows: Iterator[Any]) -> Iterator[tuple[int, list[Any]]]:
    """Rows ordered by their first column (the case or appeal id), grouped by it."""
    for owner, group in groupby(rows, key=lambda r: r[0]):
        yield owner, list(group)


class _Merge:
    """The rows of a second ordered stream that belong to each id of the first, in one pass."""

    def __init__(self, rows: Iterator[Any]) -> None:
        self._groups = _by_owner(rows)
        self._next: tuple[int, list[Any]] | None = next(self._groups, None)

    def take(self, owner: int) -> list[Any]:
        """The rows of `owner` (none when it has none; rows of ids the first stream lacks are skipped)."""
        while self._next is not None and self._next[0] < owner:
            self._next = next(self._groups, None)
        if self._next is not None and self._next[0] == owner:
            found, self._next = self._next[1], next(self._groups, None)
            return found
        return []


@dataclass
class _Tally:
    """What checking one batch of cases (or the appeals) found."""

    cases: int = 0
    events: int = 0
    problems: list[Problem] = field(default_factory=list)


def _agencies(session: Session) -> tuple[dict[int | None, str], dict[int | None, ClockPolicy]]:
    agencies = session.exec(sqlmodel_select(Agency)).all()
    return {a.id: a.name for a in agencies}, {a.id: agency_policy(a) for a in agencies}


def _check_cases(session: Session, low: int, high: int, today: date) -> _Tally:
    """The cases with ids low..high: each replayed and its chain checked, in the session's snapshot."""
    conn = session.connection()
    calendar = load_calendar(session)
    names, policies = _agencies(session)
    tally = _Tally()
    event_rows = _Merge(_rows(conn, select(*_EVENT_COLUMNS).where(col(Event.application_id).between(low, high))
                              .order_by(col(Event.application_id), col(Event.seq))))
    clock_rows = _Merge(_rows(conn, select(*_CLOCK_COLUMNS).where(col(CaseClock.application_id).between(low, high))
                              .order_by(col(CaseClock.application_id))))
    for app in _rows(conn, select(*_CASE_COLUMNS).where(col(Application.id).between(low, high))
                     .order_by(col(Application.id))):
        tally.cases += 1
        logged = cast(Sequence[Logged], event_rows.take(app.id))
        tally.events += len(logged)
        found = chain_findings(chain.EVENT, app.id, logged, app.chain_head, app.chain_length)
        found += case_findings(cast(CaseRow, app), logged, cast(Sequence[ClockRow], clock_rows.take(app.id)),
                               calendar, policies.get(app.agency_id, ClockPolicy()), today)
        tally.problems += [Problem(names.get(app.agency_id, "?"), app.number, None, f"案件 {app.number}", f)
                           for f in found]
    return tally


def _check_appeals(session: Session) -> _Tally:
    """Every appeal: replayed and its chain checked (appeals are few: one pass)."""
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
        tally.problems += [Problem(names.get(appeal.agency_id, "?"), appeal.number, appeal.id,
                                   _appeal_subject(appeal), f) for f in found]
    return tally


def _batches(session: Session) -> tuple[list[tuple[int, int]], int]:
    """The case ids cut into ranges of about `_BATCH` cases each, and how many cases there are."""
    ids = cast(list[int], list(session.connection().execute(
        select(col(Application.id)).order_by(col(Application.id))).scalars()))
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
    progress(0, total)
    if workers <= 1 or len(batches) <= 1:
        with db.unit_of_work() as session:
            for low, high in batches:
                _add(cases, _check_cases(session, low, high, today))
                progress(cases.cases, total)
            appeals = _check_appeals(session)
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_open_in_worker,
                                 initargs=(db.url,)) as pool:
            for done in pool.map(_check_in_worker, batches, repeat(today)):
                _add(cases, done)
                progress(cases.cases, total)
        with db.unit_of_work() as session:
            appeals = _check_appeals(session)
    return Verification(cases.cases, cases.events, appeals.cases, appeals.events, today,
                        cases.problems + appeals.problems)


def _add(into: _Tally, part: _Tally) -> None:
    into.cases, into.events = into.cases + part.cases, into.events + part.events
    into.problems += part.problems


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
