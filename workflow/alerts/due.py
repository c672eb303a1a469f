"""The sweep: what is due — lapse expired correction and fee periods, raise due alerts once — and its heartbeat."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, Connection, exists, func, insert, literal_column
from sqlalchemy import case as sql_case
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from notifications.delivery import Channel
from notifications.policy import AlertPolicy, DueAlert, due_alerts, horizon
from states import lapses
from states.appeals import CLOCK_OF, KIND_LABELS, AppealKind, AppealState
from states.clocks import RULES, ClockKind, ClockStatus
from states.deadlines import working_days_left
from states.lifecycle import State
from workflow import cases
from workflow.actors import SYSTEM_ACTOR
from workflow.alerts.outbox import deliver, process_name
from workflow.bulk import bulk_insert, table_of
from workflow.calendar import WorkingCalendar
from workflow.calendar_store import load_calendar
from workflow.collector import collector_paused
from workflow.db import Database, failure_text
from workflow.errors import WorkflowError, YearLocked
from workflow.inputs import ActionInput
from workflow.models import Alert, AlertQueue, Appeal, Application, CaseClock, Event, SweepRun, User, utcnow


@dataclass
class SweepResult:
    """What one sweep did."""

    as_of: date
    lapsed: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # lapses refused because they would change a locked year
    raised: list[dict[str, Any]] = field(default_factory=list)
    delivered: int = 0
    failed: int = 0
    quiet_until: date | None = None  # a rest day: no alert is raised; they go out on this working day


def expired_periods(db: Database, *, today: date) -> list[tuple[str, int, str, date]]:
    """Open cases whose correction or fee period expired before `today`: (number, agency, clock, due date)."""
    with db.unit_of_work() as session:
        rows = session.exec(select(col(Application.number), col(Application.agency_id), col(CaseClock.kind),
                                   col(CaseClock.due_on))
                            .join(CaseClock, col(CaseClock.application_id) == col(Application.id))
                            .where(col(CaseClock.kind).in_(list(lapses.BY_CLOCK)),
                                   _running(), col(CaseClock.due_on) < today,
                                   col(Application.state).in_([p.waiting.value for p in lapses.LAPSING]),
                                   ~_undone_since_opened())
                            .order_by(col(Application.number))).all()
    return [(n, a, k, d) for n, a, k, d in rows]


def _undone_since_opened() -> ColumnElement[bool]:
    """A clerk undid this clock's lapse after the notice that opened it (a new notice opens a new period)."""
    opened, undo = aliased(Event), aliased(Event)
    opened_at = (sa_select(func.max(col(opened.seq)))
                 .where(col(opened.application_id) == col(Application.id),
                        col(opened.trigger) == sql_case({k: p.opened_by.value for k, p in lapses.BY_CLOCK.items()},
                                                        value=col(CaseClock.kind)))
                 .correlate(Application, CaseClock).scalar_subquery())
    return exists().where(col(undo.application_id) == col(Application.id),
                          col(undo.trigger) == sql_case({k: p.undo.value for k, p in lapses.BY_CLOCK.items()},
                                                        value=col(CaseClock.kind)),
                          col(undo.seq) > opened_at)


def lapse_expired(db: Database, *, today: date) -> tuple[list[str], list[str]]:
    """条例第三十条 / 办法: the day after a correction or fee period expires, the system concludes the case.

    Returns (lapsed case numbers, held lapses with the reason): a lapse that would change a locked year
    is not made by the system; it is reported on every sweep (and by `ogi status`) until an admin acts.
    """
    lapsed, held = [], []
    for number, agency_id, kind, due_on in expired_periods(db, today=today):
        trigger = lapses.BY_CLOCK[kind].lapse.value
        try:
            cases.act(db, actor_name=SYSTEM_ACTOR, agency_id=agency_id, number=number, trigger=trigger,
                      data=ActionInput(on=due_on + timedelta(days=1)), today=today)
        except YearLocked as exc:
            held.append(f"{number}：{exc}")
            continue
        except WorkflowError:
            continue  # another process lapsed it first, or a clerk acted in between
        lapsed.append(number)
    return lapsed, held


_APPEAL_OF_CLOCK = {clock.value: kind for kind, clock in CLOCK_OF.items()}


class _Due(NamedTuple):
    """One running clock of an open case or appeal, as the sweep needs it (plain columns, no ORM objects)."""

    id: int
    number: str
    applicant_name: str
    agency_id: int
    assignee_id: int | None
    kind: str
    due_on: date
    appeal_id: int | None = None

    @property
    def key_prefix(self) -> str:
        """An appeal's alerts are keyed apart from its case's (a case may have several appeals)."""
        return f"appeal-{self.appeal_id}:" if self.appeal_id is not None else ""


def _open_appeals(session: Session, policy: AlertPolicy, today: date, reach: date,
                  overdue_kinds: list[str]) -> list[_Due]:
    """Appeals still waiting for the agency's reply or defence, whose clock the policy watches (SPEC §4)."""
    clock = sql_case((col(Appeal.kind) == AppealKind.RECONSIDERATION.value, CLOCK_OF[AppealKind.RECONSIDERATION].value),
                 else_=CLOCK_OF[AppealKind.LITIGATION].value)
    watched = [k for k in AppealKind if CLOCK_OF[k].value in policy.clocks]
    late_ok = [k for k in AppealKind if CLOCK_OF[k].value in overdue_kinds]
    found = session.connection().execute(
        sa_select(col(Application.id), col(Application.number), col(Application.applicant_name),
                  col(Application.agency_id), col(Application.assignee_id), clock, col(Appeal.due_on),
                  col(Appeal.id))
        .join(Appeal, col(Appeal.application_id) == col(Application.id))
        .where(col(Appeal.state) == literal_column(f"'{AppealState.FILED.value}'"),  # the partial index's literal
               col(Appeal.kind).in_([k.value for k in watched]), col(Appeal.due_on) <= reach,
               col(Appeal.kind).in_([k.value for k in late_ok]) | (col(Appeal.due_on) >= today))).all()
    return [_Due(*r) for r in found]


def _running() -> ColumnElement[bool]:
    """A running clock, said as a literal so that the partial index of running clocks serves the sweep."""
    return col(CaseClock.status) == literal_column(f"'{ClockStatus.RUNNING.value}'")


def _raised_keys(session: Session, rows: list[_Due], today: date, chunk: int = 5000) -> set[tuple[int, str]]:
    """The keys already raised for these clocks' cases, read through the (case, key) index a chunk of cases at a
    time: only the cases swept are touched, never the alerts of concluded ones. A key holds its clock's due
    date, so older alerts cannot match. Plain tuples, not Row objects: the caller looks up one key per alert."""
    earliest = min((r.due_on for r in rows), default=today)
    ids = sorted({r.id for r in rows})
    found: set[tuple[int, str]] = set()
    for start in range(0, len(ids), chunk):
        found.update((a, k) for a, k in session.connection().execute(
            sa_select(col(Alert.application_id), col(Alert.key))
            .where(col(Alert.application_id).in_(ids[start:start + chunk]), col(Alert.due_on) >= earliest)).all())
    return found


def _when(alert: DueAlert, cal: WorkingCalendar, today: date) -> str:
    """The clock and deadline part of an alert's message (the same for every case with that clock and due date)."""
    label = RULES[ClockKind(alert.clock)].label
    left = working_days_left(cal, today, alert.due_on)
    if alert.kind == "reminder":
        return f"{label}将于 {alert.due_on} 届满" + (f"，还有 {left} 个工作日" if left else "，今天是最后一天")
    late = -left
    suffix = "，请负责人督办" if alert.kind == "escalation" else ""
    return f"{label}已于 {alert.due_on} 届满，已逾期 {late} 个工作日{suffix}"


def _message(case: _Due, alert: DueAlert, when: str) -> str:
    appeal = f"{KIND_LABELS[_APPEAL_OF_CLOCK[alert.clock]]} #{case.appeal_id} " if case.appeal_id else ""
    return f"案件 {case.number}（{case.applicant_name}）{appeal}{when}"


def raise_alerts(db: Database, *, today: date, policy: AlertPolicy, chunk: int = 2000) -> list[dict[str, Any]]:
    """Create the alerts due by `today`, each once by its key, and queue them for `deliver`'s fan-out.

    One read finds the candidates and the keys already raised; new alerts are then written in chunks
    of `chunk` (the driver's executemany, INSERT OR IGNORE / ON CONFLICT DO NOTHING on the key), each
    chunk its own short transaction, so clerks' actions never wait long for the write lock. A race with
    another process is harmless: a key it raised first is skipped.
    """
    with collector_paused():  # hundreds of thousands of rows, keys and alerts, none in a cycle
        return _raise_alerts(db, today=today, policy=policy, chunk=chunk)


def _raise_alerts(db: Database, *, today: date, policy: AlertPolicy, chunk: int) -> list[dict[str, Any]]:
    with db.unit_of_work() as session:
        cal = load_calendar(session)
        if not cal.is_workday(today):
            return []  # quiet on rest days; the next working day catches up
        reach = cal.add_working_days(today, horizon(policy))
        overdue_kinds = [k for k, rules in policy.clocks.items() if rules.overdue]
        is_open = col(Application.state) != State.CONCLUDED.value
        rows: list[_Due] = [_Due(*r) for r in session.connection().execute(  # Core rows: lighter than ORM ones
            sa_select(cast(Any, Application.id), col(Application.number), col(Application.applicant_name),
                   col(Application.agency_id), col(Application.assignee_id), col(CaseClock.kind),
                   col(CaseClock.due_on))
            .join(CaseClock, col(CaseClock.application_id) == col(Application.id))
            .where(is_open, _running(),
                   col(CaseClock.kind).in_(list(policy.clocks)), col(CaseClock.due_on) <= reach,
                   col(CaseClock.kind).in_(overdue_kinds) | (col(CaseClock.due_on) >= today))).all()]
        rows += _open_appeals(session, policy, today, reach, overdue_kinds)
        existing = _raised_keys(session, rows, today)
        users = {u.id: u for u in session.exec(select(User)).all()}
    heads: dict[int, list[str]] = {}
    for u in users.values():
        if u.role == "head" and u.active and u.agency_id is not None:
            heads.setdefault(u.agency_id, []).append(u.username)
    assignees = {uid: u.username for uid, u in users.items() if u.active}
    new: list[tuple[dict[str, Any], str]] = []
    people: dict[tuple[int | None, int, tuple[str, ...]], tuple[str, ...]] = {}  # few distinct recipient lists
    # Which alerts are due depends only on the clock and its due date, which many cases share.
    due: dict[tuple[str, date], list[tuple[DueAlert, str, str]]] = {}
    for case in rows:
        if (case.kind, case.due_on) not in due:
            due[case.kind, case.due_on] = [(a, _when(a, cal, today), a.key)
                                          for a in due_alerts(case.kind, case.due_on, today, policy, cal)]
        for alert, when, alert_key in due[case.kind, case.due_on]:
            key = case.key_prefix + alert_key
            if (case.id, key) in existing:
                continue
            who = (case.assignee_id, case.agency_id, alert.recipients)
            if (recipients := people.get(who)) is None:
                recipients = people[who] = _recipients(case, alert.recipients, assignees, heads)
            if not recipients:
                continue  # nobody to tell (e.g. no active assignee): keep the key free for a later sweep
            new.append(({"application_id": case.id, "agency_id": case.agency_id, "key": key, "clock": alert.clock,
                         "kind": alert.kind, "due_on": alert.due_on, "fire_on": alert.fire_on, "raised_on": today,
                         "recipients": recipients,  # a tuple: hashable, stored as the same JSON list
                         "message": _message(case, alert, when)}, case.number))
    # Each chunk then spans a narrow range of cases, which is how its rows are found again below.
    # Sorted by key within a case too: two processes then take the key locks in one order (no deadlock).
    new.sort(key=lambda item: (cast(int, item[0]["application_id"]), cast(str, item[0]["key"])))
    raised: list[dict[str, Any]] = []
    for start in range(0, len(new), chunk):
        part = new[start:start + chunk]
        with db.unit_of_work() as session:
            part = _write_alerts(session.connection(), part, utcnow())
        raised += [{"number": number, "clock": v["clock"], "kind": v["kind"], "due_on": v["due_on"].isoformat(),
                    "recipients": list(v["recipients"]), "message": v["message"]} for v, number in part]
    return raised


def _write_alerts(conn: Connection, part: list[tuple[dict[str, Any], str]],
                  stamp: datetime) -> list[tuple[dict[str, Any], str]]:
    """Insert a chunk of alerts, skipping keys raised already, and queue the new ones for `deliver`.

    Returns the part this write created. The rows are stamped with the chunk's `raised_at`; a stamp and a
    range of cases find them again in SQL, so no id comes back to Python. Only when another process raised
    some of the keys first (fewer rows inserted than offered) does the chunk read back which are its own.
    """
    alert, queue = table_of(Alert), table_of(AlertQueue)
    created = bulk_insert(conn, alert, [v for v, _ in part], {"raised_at": stamp}, skip_existing=True)
    mine = sa_select(alert.c.id).where(alert.c.raised_at == stamp, alert.c.application_id.between(
        part[0][0]["application_id"], part[-1][0]["application_id"]))
    enqueue = (insert(queue).prefix_with("OR IGNORE") if conn.dialect.name == "sqlite"
               else pg_insert(queue).on_conflict_do_nothing())
    conn.execute(enqueue.from_select(["alert_id"], mine))
    if created == len(part):
        return part
    ours = {(a, k) for a, k in conn.execute(sa_select(alert.c.application_id, alert.c.key)
                                            .where(alert.c.id.in_(mine.scalar_subquery())))}
    return [item for item in part if (item[0]["application_id"], item[0]["key"]) in ours]


def _recipients(case: _Due, roles: tuple[str, ...], assignees: dict[int | None, str],
                heads: dict[int, list[str]]) -> tuple[str, ...]:
    names: list[str] = []
    for role in roles:
        if role == "assignee" and case.assignee_id in assignees:
            names.append(assignees[case.assignee_id])
        elif role == "head":
            names.extend(heads.get(case.agency_id, []))
    return tuple(dict.fromkeys(names))


def _failure(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "扫描被中断（Ctrl-C 或停止信号），下次扫描会补做"
    if isinstance(exc, SQLAlchemyError):
        return failure_text(exc)
    return str(exc) if isinstance(exc, WorkflowError) else f"内部错误（{type(exc).__name__}: {exc}）"


def sweep(db: Database, *, today: date, policy: AlertPolicy, channels: dict[str, Channel]) -> SweepResult:
    """One sweep: lapses, alerts, deliveries, and a heartbeat row saying what it did."""
    process = process_name()
    with db.unit_of_work() as session:
        run = SweepRun(as_of=today, process=process)
        session.add(run)
        session.flush()
        run_id = run.id
        cal = load_calendar(session)
    result = SweepResult(today, quiet_until=None if cal.is_workday(today) else cal.roll_forward(today))
    error = None
    try:
        result.lapsed, result.held = lapse_expired(db, today=today)
        result.raised = raise_alerts(db, today=today, policy=policy)
        result.delivered, result.failed = deliver(db, channels=channels, process=process, fan_out=policy.channels)
    except BaseException as exc:  # recorded for `ogi status` in words a duty officer can act on
        error = _failure(exc)
        raise
    finally:
        with db.unit_of_work() as session:
            row = session.get(SweepRun, run_id)
            if row is not None:
                row.finished_at, row.error = utcnow(), error
                row.raised, row.lapsed = len(result.raised), len(result.lapsed)
                row.delivered, row.failed = result.delivered, result.failed
    return result
