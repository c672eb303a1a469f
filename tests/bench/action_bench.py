"""(b) One action through `workflow.cases.act` against the same writes with a bare Session and with raw sqlite3.

Every variant runs the same steps on its own copy of one database: for each acting case, `start_consultation`
(party third_party) then `end_consultation` (reply consent), round after round, so each action is always valid.
Rounds are interleaved across the variants so that a drift of the machine affects all of them alike.
"""

import json
import sqlite3
import time
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlmodel import Session, col, select

from states.clocks import RULES, ClockKind
from tests.bench.common import Latency
from tests.bench.fixture import CLERK, BenchDb, copy, url
from workflow import cases, chain
from workflow.calendar import WorkingCalendar
from workflow.db import Database
from workflow.inputs import ActionInput
from workflow.models import Application, CaseClock, Event, User, utcnow

START, END = "start_consultation", "end_consultation"
ACTION_BASE = date(2025, 3, 3)  # the first round acts on this day; every case was received before it
CONSULTATION_DAYS = RULES[ClockKind.CONSULTATION].length or 15

USE_CASE = "use case: workflow.cases.act"
BARE_ORM = "bare SQLModel Session"
RAW_SQLITE = "raw sqlite3"


@dataclass(frozen=True)
class Step:
    """One action on one case, as every variant performs it."""

    number: str
    trigger: str
    on: date
    to_state: str
    data: Mapping[str, str]  # what the event records
    action: ActionInput  # what the use case is given (built outside the timed region)


@dataclass(frozen=True)
class ClockRow:
    """The cached columns of one case_clock row that an action rewrites."""

    start_on: date
    due_on: date
    status: str


class Variant(Protocol):
    """One way of performing a step on its own database."""

    name: str

    def __call__(self, step: Step) -> None:
        """Perform the step in one transaction."""

    def close(self) -> None:
        """Release the database."""


def plan(numbers: Sequence[str], rounds: int, calendar: WorkingCalendar) -> list[list[Step]]:
    """Per round: each case starts a consultation on one working day and ends it on the next."""
    out = []
    for k in range(rounds):
        start = calendar.add_working_days(ACTION_BASE, 2 * k)
        end = calendar.add_working_days(start, 1)
        steps = []
        for number in numbers:
            steps.append(Step(number, START, start, "consulting", {"party": "third_party"},
                              ActionInput(on=start, party="third_party")))
            steps.append(Step(number, END, end, "received", {"reply": "consent"},
                              ActionInput(on=end, reply="consent")))
        out.append(steps)
    return out


def next_clocks(step: Step, rows: Mapping[str, ClockRow],
                calendar: WorkingCalendar) -> tuple[dict[str, ClockRow], str, date]:
    """The clock rows a step rewrites and the case's next due clock and date, computed the cheap way."""
    response = rows[ClockKind.RESPONSE.value]
    if step.trigger == START:
        consultation = ClockRow(step.on, calendar.add_working_days(step.on, CONSULTATION_DAYS), "running")
        return ({ClockKind.RESPONSE.value: replace(response, status="paused"),
                 ClockKind.CONSULTATION.value: consultation}, ClockKind.CONSULTATION.value, consultation.due_on)
    consultation = rows[ClockKind.CONSULTATION.value]
    paused = calendar.count_working_days(consultation.start_on, step.on)
    resumed = ClockRow(response.start_on, calendar.add_working_days(response.due_on, paused), "running")
    return ({ClockKind.RESPONSE.value: resumed, ClockKind.CONSULTATION.value: replace(consultation, status="met")},
            ClockKind.RESPONSE.value, resumed.due_on)


class UseCase:
    """The engine's own path: `workflow.cases.act`."""

    name = USE_CASE

    def __init__(self, path: Path) -> None:
        self.db = Database(url(path))

    def __call__(self, step: Step) -> None:
        cases.act(self.db, actor_name=CLERK, number=step.number, trigger=step.trigger, data=step.action,
                  today=step.on)

    def close(self) -> None:
        self.db.dispose()


class BareOrm:
    """The same writes with a bare SQLModel Session: load, insert the event, update the rows, commit once."""

    name = BARE_ORM

    def __init__(self, path: Path, calendar: WorkingCalendar) -> None:
        self.db = Database(url(path))  # the engine's own settings: WAL, foreign keys, synchronous=FULL
        self.calendar = calendar
        with Session(self.db.engine) as session:
            user = session.exec(select(User).where(User.username == CLERK)).one()
        self.agency_id, self.user_id = user.agency_id, user.id

    def __call__(self, step: Step) -> None:
        with Session(self.db.engine, expire_on_commit=False) as session:
            app = session.exec(select(Application).where(
                col(Application.agency_id) == self.agency_id, col(Application.number) == step.number)).one()
            assert app.id is not None
            last = session.exec(select(Event.seq, Event.hash).where(col(Event.application_id) == app.id)
                                .order_by(col(Event.seq).desc()).limit(1)).one()
            rows = {c.kind: c for c in session.exec(select(CaseClock).where(col(CaseClock.application_id) == app.id))}
            event = Event(application_id=app.id, seq=last[0] + 1, trigger=step.trigger, actor_id=self.user_id,
                          actor=CLERK, role="clerk", effective_on=step.on, from_state=app.state,
                          to_state=step.to_state, data=dict(step.data))
            app.chain_head, app.chain_length = chain.seal(event, last[1]), event.seq
            session.add(event)
            current = {k: ClockRow(r.start_on, r.due_on, r.status) for k, r in rows.items()}
            writes, next_clock, next_due = next_clocks(step, current, self.calendar)
            for kind, new in writes.items():
                row = rows.get(kind)
                if row is None:
                    session.add(CaseClock(application_id=app.id, kind=kind, start_on=new.start_on,
                                          due_on=new.due_on, status=new.status))
                else:
                    row.start_on, row.due_on, row.status = new.start_on, new.due_on, new.status
            app.state, app.version = step.to_state, app.version + 1
            app.next_due_on, app.next_due_clock, app.updated_at = next_due, next_clock, utcnow()
            session.commit()

    def close(self) -> None:
        self.db.dispose()


_APP_SELECT = ("SELECT id, version, state, agency_id, number, applicant_name, applicant_type, applicant_contact, "
               "channel, received_on, request, outcome, concluded_on, assignee_id, next_due_on, next_due_clock, "
               "provisional, created_at, updated_at FROM application WHERE agency_id = ? AND number = ?")
_EVENT_INSERT = ("INSERT INTO event (application_id, seq, \"trigger\", actor_id, actor, role, recorded_at, "
                 "effective_on, from_state, to_state, data, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_APP_UPDATE = ("UPDATE application SET state = ?, version = ?, next_due_on = ?, next_due_clock = ?, updated_at = ?, "
               "chain_head = ?, chain_length = ? WHERE id = ?")
_CLOCK_UPDATE = "UPDATE case_clock SET start_on = ?, due_on = ?, status = ? WHERE id = ?"
_CLOCK_INSERT = ("INSERT INTO case_clock (application_id, kind, start_on, due_on, status, provisional) "
                 "VALUES (?, ?, ?, ?, ?, 0)")


class RawSqlite:
    """The same statements through the sqlite3 module, with the engine's pragmas (context only)."""

    name = RAW_SQLITE

    def __init__(self, path: Path, calendar: WorkingCalendar) -> None:
        self.conn = sqlite3.connect(path)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=10000", "synchronous=FULL"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.calendar = calendar
        self.agency_id, self.user_id = self.conn.execute(
            "SELECT agency_id, id FROM user WHERE username = ?", (CLERK,)).fetchone()

    def __call__(self, step: Step) -> None:
        conn = self.conn
        app_id, version, state, *_ = conn.execute(_APP_SELECT, (self.agency_id, step.number)).fetchone()
        last, previous = conn.execute("SELECT seq, hash FROM event WHERE application_id = ? ORDER BY seq DESC "
                                      "LIMIT 1", (app_id,)).fetchone()
        rows = {kind: (row_id, ClockRow(date.fromisoformat(s), date.fromisoformat(d), status))
                for row_id, kind, s, d, status in conn.execute(
                    "SELECT id, kind, start_on, due_on, status FROM case_clock WHERE application_id = ?", (app_id,))}
        now = datetime.now(UTC)
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores a DateTime in SQLite
        digest = chain.event_hash(chain.EVENT, app_id, last + 1, step.trigger, CLERK, "clerk", step.on, state,
                                  step.to_state, dict(step.data), now, previous)
        conn.execute(_EVENT_INSERT, (app_id, last + 1, step.trigger, self.user_id, CLERK, "clerk", stamp,
                                     step.on.isoformat(), state, step.to_state, json.dumps(dict(step.data)), digest))
        writes, next_clock, next_due = next_clocks(step, {k: r for k, (_, r) in rows.items()}, self.calendar)
        for kind, new in writes.items():
            values = (new.start_on.isoformat(), new.due_on.isoformat(), new.status)
            if kind in rows:
                conn.execute(_CLOCK_UPDATE, (*values, rows[kind][0]))
            else:
                conn.execute(_CLOCK_INSERT, (app_id, kind, *values))
        conn.execute(_APP_UPDATE, (step.to_state, version + 1, next_due.isoformat(), next_clock, stamp, digest,
                                   last + 1, app_id))
        conn.commit()

    def close(self) -> None:
        self.conn.close()


@dataclass(frozen=True)
class ActionResult:
    """Latency of one action per variant, measured on a database of `cases_in_db` applications."""

    cases_in_db: int
    acting_cases: int
    warmup_actions: int  # per variant, not timed
    latency: Mapping[str, Latency]
    consistent: bool  # every variant left the same states, versions, events and clock statuses

    @property
    def use_case(self) -> Latency:
        """The use case's latency."""
        return self.latency[USE_CASE]

    def ratio(self, baseline: str) -> float:
        """Mean time of one use-case action divided by the baseline's."""
        return self.use_case.mean / self.latency[baseline].mean


def _timed(variant: Variant, steps: Sequence[Step]) -> list[float]:
    clock = time.perf_counter
    samples = []
    for step in steps:
        started = clock()
        variant(step)
        samples.append(clock() - started)
    return samples


def acting_numbers(db: BenchDb, count: int) -> list[str]:
    """`count` case numbers spread evenly over the whole table."""
    stride = max(1, len(db.numbers) // count)
    return list(db.numbers[::stride][:count])


def open_variants(master: BenchDb, workdir: Path, calendar: WorkingCalendar, tag: str) -> list[Variant]:
    paths = [copy(master, workdir / f"{tag}-{i}.db").path for i in range(3)]
    return [UseCase(paths[0]), BareOrm(paths[1], calendar), RawSqlite(paths[2], calendar)]


def _fingerprint(path: Path) -> tuple[Any, ...]:
    with closing(sqlite3.connect(path)) as conn:
        queries = ("SELECT count(*), max(seq) FROM event",
                   "SELECT state, count(*), sum(version) FROM application GROUP BY state ORDER BY state",
                   "SELECT kind, status, count(*) FROM case_clock GROUP BY kind, status ORDER BY kind, status")
        return tuple(tuple(conn.execute(q).fetchall()) for q in queries)


def run(master: BenchDb, workdir: Path, *, acting_cases: int, rounds: int, warmup_rounds: int = 1) -> ActionResult:
    """Warm every variant up, then time `rounds` interleaved rounds of 2 × `acting_cases` actions each."""
    calendar = WorkingCalendar()
    numbers = acting_numbers(master, acting_cases)
    schedule = plan(numbers, warmup_rounds + rounds, calendar)
    variants = open_variants(master, workdir, calendar, "actions")
    samples: dict[str, list[float]] = {v.name: [] for v in variants}
    try:
        for k, steps in enumerate(schedule):
            for variant in variants:
                timed = _timed(variant, steps)
                if k >= warmup_rounds:
                    samples[variant.name].extend(timed)
    finally:
        for variant in variants:
            variant.close()
    prints = {_fingerprint(workdir / f"actions-{i}.db") for i in range(3)}
    return ActionResult(
        cases_in_db=len(master.numbers),
        acting_cases=len(numbers),
        warmup_actions=warmup_rounds * 2 * len(numbers),
        latency={name: Latency.of(s) for name, s in samples.items()},
        consistent=len(prints) == 1,
    )
