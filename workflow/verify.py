"""`ogi verify`: every case and appeal of every agency is what its log says, and every log is unbroken.

Each case's and appeal's events are replayed through the engine's own fold (`states.case.Case`,
`states.appeal_case.AppealCase`) and compared with the stored rows and cached clocks (workflow/replay.py), and
each log's hash chain is checked (workflow/chain.py). Read-only: one transaction that writes nothing.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from typing import Any, cast

from sqlalchemy import Connection, Select, func, select
from sqlmodel import col
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

_STEP = 2000  # cases between two progress reports


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


def verify(db: Database, *, today: date, progress: Progress = silent) -> Verification:
    """Replay every case and appeal of every agency and check each log's chain; one read-only transaction."""
    with db.unit_of_work() as session:
        conn = session.connection()
        calendar = load_calendar(session)
        agencies = session.exec(sqlmodel_select(Agency)).all()
        names = {a.id: a.name for a in agencies}
        policies = {a.id: agency_policy(a) for a in agencies}
        total = conn.execute(select(func.count()).select_from(Application)).scalar_one()
        problems: list[Problem] = []
        events = cases = 0
        event_rows = _Merge(_rows(conn, select(*_EVENT_COLUMNS).order_by(col(Event.application_id), col(Event.seq))))
        clock_rows = _Merge(_rows(conn, select(*_CLOCK_COLUMNS).order_by(col(CaseClock.application_id))))
        for app in _rows(conn, select(*_CASE_COLUMNS).order_by(col(Application.id))):
            if cases % _STEP == 0:
                progress(cases, total)
            cases += 1
            logged = event_rows.take(app.id)
            events += len(logged)
            cached = clock_rows.take(app.id)
            found = chain_findings(chain.EVENT, app.id, cast(Sequence[Logged], logged), app.chain_head,
                                   app.chain_length)
            found += case_findings(cast(CaseRow, app), cast(Sequence[Logged], logged), cast(Sequence[ClockRow], cached),
                                   calendar, policies.get(app.agency_id, ClockPolicy()), today)
            problems += [Problem(names.get(app.agency_id, "?"), app.number, None, f"案件 {app.number}", f)
                         for f in found]
        progress(cases, total)
        appeals = appeal_events = 0
        appeal_event_rows = _Merge(_rows(conn, select(*_APPEAL_EVENT_COLUMNS)
                                         .order_by(col(AppealEvent.appeal_id), col(AppealEvent.seq))))
        for appeal in _rows(conn, select(*_APPEAL_COLUMNS).join(Application, col(Application.id) == col(
                Appeal.application_id)).order_by(col(Appeal.id))):
            appeals += 1
            logged = appeal_event_rows.take(appeal.id)
            appeal_events += len(logged)
            found = chain_findings(chain.APPEAL_EVENT, appeal.id, cast(Sequence[Logged], logged), appeal.chain_head,
                                   appeal.chain_length)
            found += appeal_findings(cast(AppealRow, appeal), cast(Sequence[Logged], logged), calendar)
            problems += [Problem(names.get(appeal.agency_id, "?"), appeal.number, appeal.id,
                                 _appeal_subject(appeal), f) for f in found]
    return Verification(cases, events, appeals, appeal_events, today, problems)


def _appeal_subject(appeal: Any) -> str:
    kind = KIND_LABELS[AppealKind(appeal.kind)] if appeal.kind in AppealKind.__members__.values() else appeal.kind
    route = f"（{ROUTE_LABELS[Route(appeal.route)]}）" if appeal.route in Route.__members__.values() else ""
    return f"{kind}{route} #{appeal.id}（申请案件 {appeal.number}）"
