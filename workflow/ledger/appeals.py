"""`ogi import-appeals`: load a ledger of past reconsiderations and lawsuits (SPEC §7), all rows or none."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from states.appeals import (
    DECISIONS,
    KIND_LABELS,
    ROUTE_LABELS,
    WITHDRAWAL_DECISION,
    AppealKind,
    AppealState,
    AppealTrigger,
    Route,
    find_decision,
)
from workflow import chain
from workflow.appeal_clock import appeal_due
from workflow.bulk import bulk_insert, table_of
from workflow.calendar_store import load_calendar
from workflow.db import Database
from workflow.ledger.applications import ImportResult, importer, locked_dates
from workflow.ledger.rows import APPEAL_HEADERS, APPEAL_OPTIONAL, ImportRejected, Row, parse_date, read_rows
from workflow.models import Appeal, AppealEvent, Application, utcnow
from workflow.progress import Progress, silent

__all__ = ["import_appeals"]

_NAMES = {f: names[1] for f, names in APPEAL_HEADERS.items()}
_COMPARED = ("route", "body", "state", "decision", "decided_on")


@dataclass(frozen=True)
class _Appeal:
    line: int
    application_id: int
    number: str
    kind: AppealKind
    route: str | None
    received_on: date
    body: str | None
    state: str
    decision: str | None
    decided_on: date | None

    def compared(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in _COMPARED)


def _member(text: str, labels: dict[Any, str], what: str, problems: list[str]) -> Any:
    for member, label in labels.items():
        if text in (member.value, label):
            return member
    problems.append(f"{what}「{text}」无法识别；可选：{'、'.join(f'{k.value}（{v}）' for k, v in labels.items())}")
    return None


def _day(row: Row, name: str, today: date, problems: list[str]) -> date | None:
    text = row.text(name)
    value = parse_date(row.cells.get(name)) if text else None
    if text and value is None:
        problems.append(f"{_NAMES[name]}「{text}」不是有效日期（应为 YYYY-MM-DD 或 YYYY/M/D）")
    elif value is not None and value > today:
        problems.append(f"{_NAMES[name]} {value} 晚于今天（{today}）")
    return value


def _parse(row: Row, apps: dict[str, tuple[int, date]], today: date) -> _Appeal | list[str]:
    """One row as an appeal, or every reason it is refused."""
    t = {name: row.text(name) for name in APPEAL_HEADERS}
    problems = [f"缺少{_NAMES[n]}" for n in ("application_number", "kind", "received_on") if not t[n]]
    app = apps.get(t["application_number"]) if t["application_number"] else None
    if t["application_number"] and app is None:
        problems.append(f"案件 {t['application_number']} 不存在（须先登记或用 ogi import 导入）")
    kind = _member(t["kind"], KIND_LABELS, "类型", problems) if t["kind"] else None
    route = _member(t["route"], ROUTE_LABELS, "起诉方式", problems) if t["route"] else None
    if kind is AppealKind.RECONSIDERATION and t["route"]:
        problems.append("行政复议没有起诉方式，该列应留空")
    elif kind is AppealKind.LITIGATION and not t["route"]:
        problems.append(f"行政诉讼须填写起诉方式：{'、'.join(ROUTE_LABELS.values())}")
    received, decided = _day(row, "received_on", today, problems), _day(row, "decided_on", today, problems)
    if app is not None and received is not None and received < app[1]:
        problems.append(f"收到日期 {received} 早于案件 {t['application_number']} 的收到申请日期 {app[1]}")
    decision = None
    if t["decision"] and kind is not None:
        decision = find_decision(kind, t["decision"])
        if decision is None:
            other = [d for d in DECISIONS.values() if t["decision"] in (d.code, d.label)]
            where = f"（它是{KIND_LABELS[other[0].kind]}的结果）" if other else ""
            problems.append(f"「{t['decision']}」不是{KIND_LABELS[kind]}的结果{where}")
        elif decided is None and not t["decided_on"]:
            problems.append("已有结果，但缺少审结日期")
        elif decided is not None and received is not None and decided < received:
            problems.append(f"审结日期 {decided} 早于收到日期 {received}")
    elif not t["decision"] and t["decided_on"]:
        problems.append("有审结日期，但缺少结果（尚未审结的应两列都留空）")
    if problems or kind is None or received is None or app is None:
        return problems
    state = AppealState.FILED
    if decision is not None:
        withdrawn = decision.code == WITHDRAWAL_DECISION[kind]
        state = AppealState.WITHDRAWN if withdrawn else AppealState.DECIDED
    return _Appeal(row.line, app[0], t["application_number"], kind, route.value if isinstance(route, Route) else None,
                   received, t["body"] or None, state.value, decision.code if decision else None, decided)


def _validate(session: Session, agency_id: int, rows: list[Row], name: str,
              today: date) -> tuple[list[_Appeal], int]:
    """The appeals to create and the number of identical ones to skip; raises ImportRejected listing every bad row."""
    apps = {n: (i or 0, r) for n, i, r in session.exec(select(col(Application.number), col(Application.id),
                                                         col(Application.received_on))
                                                  .where(col(Application.agency_id) == agency_id)).all()}
    stored = {(a.application_id, a.kind, a.received_on): a for a in
              session.exec(select(Appeal).where(Appeal.agency_id == agency_id)).all()}
    problems: list[tuple[int, str]] = []
    seen: dict[tuple[int, str, date], int] = {}
    new: list[_Appeal] = []
    skipped = 0
    for row in rows:
        parsed = _parse(row, apps, today)
        if isinstance(parsed, list):
            problems.append((row.line, "；".join(parsed)))
            continue
        key = (parsed.application_id, parsed.kind.value, parsed.received_on)
        if key in seen:
            problems.append((row.line, f"与第 {seen[key]} 行重复（同一案件、类型和收到日期）"))
            continue
        seen[key] = row.line
        old = stored.get(key)
        if old is None:
            new.append(parsed)
        elif tuple(getattr(old, f) for f in _COMPARED) == parsed.compared():
            skipped += 1
        else:
            what = f"{KIND_LABELS[parsed.kind]}（{parsed.received_on} 收到）"
            problems.append((row.line, f"案件 {parsed.number} 的这起{what}"
                                       f"已存在（#{old.id}）且内容不同：请核对台账，已有记录不能被导入覆盖"))
    problems += locked_dates(session, agency_id, [
        (a.line, (("收到日期", a.received_on), ("审结日期", a.decided_on))) for a in new], carries_over=False)
    if problems:
        raise ImportRejected(name, problems)
    return new, skipped


def _load(session: Session, agency_id: int, actor: str, role: str, appeals: list[_Appeal], name: str) -> None:
    """Bulk-write the appeals, each with its `file` event and, if decided or withdrawn, its closing event."""
    cal, now, conn = load_calendar(session), utcnow(), session.connection()
    dues = [appeal_due(cal, a.kind, a.received_on) for a in appeals]
    before = conn.execute(select(func.coalesce(func.max(col(Appeal.id)), 0))).scalar_one()
    bulk_insert(conn, table_of(Appeal), [
        {"application_id": a.application_id, "kind": a.kind.value, "route": a.route, "received_on": a.received_on,
         "body": a.body, "state": a.state, "decision": a.decision, "decided_on": a.decided_on, "due_on": due}
        for a, due in zip(appeals, dues, strict=True)],
        {"agency_id": agency_id, "replied_on": None, "source": "import", "created_at": now})
    ids = {(k, kind, on): i for i, k, kind, on in conn.execute(
        select(col(Appeal.id), col(Appeal.application_id), col(Appeal.kind), col(Appeal.received_on))
        .where(col(Appeal.agency_id) == agency_id, col(Appeal.id) > before)).all()}
    events: list[dict[str, Any]] = []
    for a, due in zip(appeals, dues, strict=True):
        appeal_id = ids[(a.application_id, a.kind.value, a.received_on)]
        origin = {"source": "ledger", "file": name, "line": a.line}
        events.append({"appeal_id": appeal_id, "seq": 1, "trigger": AppealTrigger.FILE.value,
                       "effective_on": a.received_on, "from_state": None, "to_state": AppealState.FILED.value,
                       "data": {"kind": a.kind.value, "route": a.route, "body": a.body, "due_on": due.isoformat(),
                                **origin}})
        if a.decided_on is not None:
            trigger = AppealTrigger.WITHDRAW if a.state == AppealState.WITHDRAWN else AppealTrigger.DECIDE
            events.append({"appeal_id": appeal_id, "seq": 2, "trigger": trigger.value, "effective_on": a.decided_on,
                           "from_state": AppealState.FILED.value, "to_state": a.state,
                           "data": {"decision": a.decision, **origin}})
    who = {"actor": actor, "role": role, "recorded_at": now}
    heads = chain.seal_rows(chain.APPEAL_EVENT, events, who)
    bulk_insert(conn, table_of(AppealEvent), events, who)
    chain.set_heads(session, chain.APPEAL_EVENT, heads)


def import_appeals(db: Database, *, actor_name: str | None, path: Path, today: date,
                   dry_run: bool = False, progress: Progress = silent,
                   agency: str | None = None) -> ImportResult:
    """Import a ledger of appeals against this agency's applications: all rows or none, identical ones skipped."""
    rows = read_rows(path, APPEAL_HEADERS, APPEAL_OPTIONAL)
    with db.unit_of_work() as session:
        actor = importer(session, actor_name, agency)
        new, skipped = _validate(session, actor.agency_id, rows, path.name, today)
        if not dry_run:
            _load(session, actor.agency_id, actor.username, actor.role.value, new, path.name)
        progress(len(rows), len(rows))  # appeal ledgers are short: one step when all is checked
    by_year: dict[int, int] = {}
    for a in new:
        by_year[a.received_on.year] = by_year.get(a.received_on.year, 0) + 1
    return ImportResult(len(rows), len(new), skipped, dict(sorted(by_year.items())), dry_run)
