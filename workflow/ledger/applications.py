"""`ogi import`: validate a ledger (台账) of past applications row by row, then load it all in one transaction."""

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from states.case import compute_clocks
from states.deadlines import ClockPolicy, LegalEvent, next_due
from states.lifecycle import STATE_LABELS, Role, State, Trigger
from states.outcomes import LAPSED_CORRECTION, LAPSED_FEE, WITHDRAWN
from workflow import chain, numbering
from workflow.actors import Actor, require_role, resolve_actor
from workflow.bulk import bulk_insert, table_of
from workflow.calendar import WorkingCalendar
from workflow.calendar_store import load_calendar
from workflow.case_order import urgency_key
from workflow.db import Database
from workflow.errors import WorkflowError
from workflow.ledger import values
from workflow.ledger.rows import APPLICATION_HEADERS, APPLICATION_OPTIONAL, ImportRejected, Row, parse_date, read_rows
from workflow.locks import lock_reaching
from workflow.models import Application, CaseClock, Event, utcnow
from workflow.progress import Progress, silent

__all__ = ["ImportRejected", "ImportResult", "import_applications", "importer"]

# The trigger an imported conclusion is recorded as: the one that produces its outcome in a live case.
_CONCLUDED_BY = {LAPSED_CORRECTION: Trigger.LAPSE_CORRECTION, LAPSED_FEE: Trigger.LAPSE_FEE,
                 WITHDRAWN: Trigger.WITHDRAW}
_IMPORTABLE_STATES = (State.RECEIVED, State.CONCLUDED)
_NUMBERED = re.compile(r"\d{4}-")  # a number in the engine's form (YYYY-NNNN): numbering continues after it
_COMPARED = ("applicant_name", "applicant_type", "applicant_contact", "channel", "received_on", "request", "state",
             "outcome", "concluded_on")
FIELD_NAMES = {f: names[1] for f, names in APPLICATION_HEADERS.items()}
_REQUIRED = [f for f in APPLICATION_HEADERS if f not in APPLICATION_OPTIONAL and f not in ("outcome", "concluded_on")]


@dataclass
class ImportResult:
    """What an import did (or, with dry_run, would do)."""

    rows: int
    created: int
    skipped_identical: int
    by_year: dict[int, int] = field(default_factory=dict)  # created, by year of receipt
    dry_run: bool = False


def importer(session: Session, actor_name: str | None, agency: str | None = None) -> Actor:
    """The user importing: a clerk, head or admin of the agency (a platform admin names it)."""
    return require_role(resolve_actor(session, actor_name, agency=agency), (Role.CLERK, Role.HEAD, Role.ADMIN),
                        "导入台账")


@dataclass(frozen=True)
class _Case:
    line: int
    number: str
    applicant_name: str
    applicant_type: str
    applicant_contact: str | None
    channel: str
    received_on: date
    request: str
    state: str
    outcome: str | None
    concluded_on: date | None

    def compared(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in _COMPARED)


def _date(row: Row, name: str, today: date, problems: list[str]) -> date | None:
    text = row.text(name)
    if not text:
        return None
    value = parse_date(row.cells.get(name))
    if value is None:
        problems.append(f"{FIELD_NAMES[name]}「{text}」不是有效日期（应为 YYYY-MM-DD 或 YYYY/M/D）")
    elif value > today:
        problems.append(f"{FIELD_NAMES[name]} {value} 晚于今天（{today}）")
    return value


def _parse(row: Row, today: date) -> _Case | list[str]:
    """One row as a case, or every reason it is refused."""
    problems: list[str] = []
    t = {name: row.text(name) for name in APPLICATION_HEADERS}
    problems += [f"缺少{FIELD_NAMES[name]}" for name in _REQUIRED if not t[name]]
    number = t["number"]
    if len(number) > 32:
        problems.append(f"编号「{number}」超过 32 个字符")
    elif _NUMBERED.match(number) and numbering.sequence_of(number) is None:
        problems.append(f"编号「{number}」以年份开头时须为系统编号格式“年份-序号”（序号至少 4 位，不多补零，"
                        "如 2023-0015、2023-12345），以便系统续编新案件编号")
    for name, limit in (("applicant_name", 200), ("applicant_contact", 200)):
        if len(t[name]) > limit:
            problems.append(f"{FIELD_NAMES[name]}超过 {limit} 个字符")
    parsed: dict[str, Any] = {}
    for name, parse in (("applicant_type", values.applicant_type), ("channel", values.channel),
                        ("state", values.state), ("outcome", values.outcome)):
        if t[name]:
            try:
                parsed[name] = parse(t[name])
            except ValueError as exc:
                problems.append(str(exc))
    received, concluded = _date(row, "received_on", today, problems), _date(row, "concluded_on", today, problems)
    state, outcome = parsed.get("state"), parsed.get("outcome")
    if state is State.CONCLUDED:
        if not t["outcome"]:
            problems.append("状态为已办结，但缺少办理结果")
        if not t["concluded_on"]:
            problems.append("状态为已办结，但缺少办结日期")
        if received and concluded and concluded < received:
            problems.append(f"办结日期 {concluded} 早于收到申请日期 {received}")
    elif state is not None and state not in _IMPORTABLE_STATES:
        problems.append(f"状态「{STATE_LABELS[state]}」不能导入：台账没有{STATE_LABELS[state]}的起止日期，"
                        "无法计算期限；请按「办理中」导入后用 ogi act 补录该步骤")
    elif state is State.RECEIVED and (t["outcome"] or t["concluded_on"]):
        problems.append("状态为办理中（未办结）的案件不能填写办理结果或办结日期")
    if problems:
        return problems
    assert received is not None
    return _Case(row.line, number, t["applicant_name"], parsed["applicant_type"].value,
                 t["applicant_contact"] or None, parsed["channel"].value, received, t["request"],
                 state.value if state else "", outcome, concluded)


def _existing(session: Session, agency_id: int) -> dict[str, tuple[Any, ...]]:
    """The agency's cases already stored, by number (one query)."""
    columns = [col(getattr(Application, f)) for f in ("number", *_COMPARED)]
    rows = session.connection().execute(select(*columns).where(col(Application.agency_id) == agency_id))
    return {r[0]: tuple(r[1:]) for r in rows}


def _validate(session: Session, actor: Actor, rows: list[Row], name: str, today: date,
              progress: Progress) -> tuple[list[_Case], int]:
    """The cases to create and the number of identical ones to skip; raises ImportRejected listing every bad row."""
    problems: list[tuple[int, str]] = []
    cases: list[_Case] = []
    first_line: dict[str, int] = {}
    for i, row in enumerate(rows, 1):
        if i % 500 == 0:
            progress(i, len(rows))
        parsed = _parse(row, today)
        if isinstance(parsed, list):
            problems.append((row.line, "；".join(parsed)))
            continue
        if parsed.number in first_line:
            problems.append((row.line, f"编号 {parsed.number} 与第 {first_line[parsed.number]} 行重复"))
            continue
        first_line[parsed.number] = row.line
        cases.append(parsed)
    stored = _existing(session, actor.agency_id)
    new: list[_Case] = []
    skipped = 0
    for case in cases:
        old = stored.get(case.number)
        if old is None:
            new.append(case)
        elif old == case.compared():
            skipped += 1
        else:
            differ = "、".join(FIELD_NAMES[f] for f, a, b in zip(_COMPARED, old, case.compared(), strict=True)
                              if a != b)
            problems.append((case.line, f"编号 {case.number} 已存在且内容不同（{differ}）："
                                        "请核对台账，已登记的案件不能被导入覆盖"))
    problems += locked_dates(session, actor.agency_id, [
        (c.line, (("收到申请日期", c.received_on), ("办结日期", c.concluded_on))) for c in new])
    if problems:
        raise ImportRejected(name, problems)
    return new, skipped


def locked_dates(session: Session, agency_id: int, dated: list[tuple[int, tuple[tuple[str, date | None], ...]]],
                 *, carries_over: bool = True) -> list[tuple[int, str]]:
    """The rows (line, named dates) that would change a locked year (see `lock_reaching`): an import may not."""
    years = {d.year for _, dates in dated for _, d in dates if d is not None}
    locks = {y: lock for y in sorted(years)
             if (lock := lock_reaching(session, agency_id, date(y, 1, 1), carries_over=carries_over)) is not None}
    return [(line, f"{what} {day} 会改变已锁定的 {lock.year} 年度"
                   f"（{lock.locked_on} 由 {lock.locked_by} 锁定年度报告），不能导入")
            for line, dates in dated for what, day in dates
            if day is not None and (lock := locks.get(day.year)) is not None]


def _clock_cache(cal: WorkingCalendar, received_on: date, today: date,
                 policy: ClockPolicy) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """An open imported case's clocks as `workflow.cases.refresh_clocks` caches them: rows and case columns."""
    clocks = compute_clocks([LegalEvent(Trigger.REGISTER.value, received_on)], cal, today, policy)
    rows = [{"kind": k.value, "start_on": c.start_on, "due_on": c.due_on, "status": c.phase.value,
             "provisional": c.provisional} for k, c in clocks.items()]
    next_due_on, next_due_clock, provisional = next_due(clocks)
    return rows, {"next_due_on": next_due_on, "next_due_clock": next_due_clock, "provisional": provisional}


def _load(session: Session, actor: Actor, cases: list[_Case], name: str, today: date) -> None:
    """Bulk-insert the cases, their events and (open cases) their clock cache: a few executemany statements."""
    # First, as its first write: hold the counters of the years it brings numbers of, raised past them.
    numbering.claim(session, actor.agency_id, (c.number for c in cases))
    cal, now = load_calendar(session), utcnow()
    caches: dict[date, tuple[list[dict[str, Any]], dict[str, Any]]] = {}
    closed: dict[str, Any] = {"next_due_on": None, "next_due_clock": None, "provisional": False}
    apps = []
    for c in cases:
        cache = closed
        if c.state == State.RECEIVED:
            if c.received_on not in caches:
                caches[c.received_on] = _clock_cache(cal, c.received_on, today, actor.policy)
            cache = caches[c.received_on][1]
        apps.append({"agency_id": actor.agency_id, "number": c.number, "applicant_name": c.applicant_name,
                     "applicant_type": c.applicant_type, "applicant_contact": c.applicant_contact,
                     "channel": c.channel, "received_on": c.received_on, "request": c.request, "state": c.state,
                     "outcome": c.outcome, "concluded_on": c.concluded_on, "assignee_id": actor.user_id,
                     **cache, "urgency": urgency_key(c.state, cache["next_due_on"])})
    conn = session.connection()
    before = conn.execute(select(func.coalesce(func.max(col(Application.id)), 0))).scalar_one()
    bulk_insert(conn, table_of(Application), apps, {"version": 1, "created_at": now, "updated_at": now})
    ids: dict[str, int] = dict(conn.execute(  # the rows just written (numbers are unique per agency)
        select(col(Application.number), col(Application.id)).where(
            col(Application.agency_id) == actor.agency_id, col(Application.id) > before)).all())  # type: ignore[arg-type]
    who = {"actor_id": actor.user_id, "actor": actor.username, "role": actor.role.value, "recorded_at": now}
    events, clocks = [], []
    for c in cases:
        app_id, origin = ids[c.number], {"source": "ledger", "file": name, "line": c.line}
        events.append({"application_id": app_id, "seq": 1, "trigger": Trigger.REGISTER.value,
                       "effective_on": c.received_on, "from_state": None, "to_state": State.RECEIVED.value,
                       "data": {"channel": c.channel, "applicant_type": c.applicant_type, **origin}})
        if c.outcome is not None and c.concluded_on is not None:
            trigger = _CONCLUDED_BY.get(c.outcome, Trigger.APPROVE_RESPONSE)
            events.append({"application_id": app_id, "seq": 2, "trigger": trigger.value,
                           "effective_on": c.concluded_on, "from_state": State.RECEIVED.value,
                           "to_state": State.CONCLUDED.value, "data": {"outcome": c.outcome, **origin}})
        else:
            clocks += [{"application_id": app_id, **r} for r in caches[c.received_on][0]]
    heads = chain.seal_rows(chain.EVENT, events, who)
    bulk_insert(conn, table_of(Event), events, who)
    chain.set_heads(session, chain.EVENT, heads)
    bulk_insert(conn, table_of(CaseClock), clocks)


def import_applications(db: Database, *, actor_name: str | None, path: Path, today: date,
                        dry_run: bool = False, progress: Progress = silent,
                        agency: str | None = None) -> ImportResult:
    """Import a ledger of past applications: all rows or none, in one transaction; identical re-imports are skipped."""
    rows = read_rows(path, APPLICATION_HEADERS, APPLICATION_OPTIONAL)
    try:
        with db.unit_of_work() as session:
            actor = importer(session, actor_name, agency)
            new, skipped = _validate(session, actor, rows, path.name, today, progress)
            if not dry_run and new:
                _load(session, actor, new, path.name, today)
            progress(len(rows), len(rows))
    except IntegrityError as exc:
        raise WorkflowError("导入时另有用户登记了台账中的编号，未导入任何数据；请重新导入") from exc
    by_year: dict[int, int] = {}
    for c in new:
        by_year[c.received_on.year] = by_year.get(c.received_on.year, 0) + 1
    return ImportResult(len(rows), len(new), skipped, dict(sorted(by_year.items())), dry_run)

