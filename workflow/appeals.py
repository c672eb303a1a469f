"""Use cases on appeals (SPEC §7): file a reconsideration or lawsuit, act on it, show and list them."""

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from states.appeals import (
    APPEAL_STATE_LABELS,
    APPEAL_TRANSITIONS,
    CLOCK_OF,
    COLUMN_LABELS,
    DECISIONS,
    KIND_LABELS,
    ROUTE_LABELS,
    WITHDRAWAL_DECISION,
    AppealKind,
    AppealState,
    AppealTrigger,
    Column,
    Route,
    decisions_for,
    find_decision,
    group_of,
)
from states.clocks import RULES
from states.lifecycle import Role
from workflow.actors import default_agency_id, require_role, resolve_actor, role_problem
from workflow.appeal_clock import appeal_clock, appeal_due, clock_json
from workflow.appeal_mapping import decision_table, mapping, set_mapping
from workflow.calendar import WorkingCalendar
from workflow.calendar_store import load_calendar
from workflow.db import Database
from workflow.errors import InputError, NotFound, TransitionNotAllowed
from workflow.locks import guard
from workflow.models import Appeal, AppealEvent, Application

__all__ = ["act_appeal", "appeals_of", "decision_table", "file_appeal", "list_appeals", "mapping", "set_mapping",
           "show_appeal"]

_ACTING_ROLES = (Role.CLERK, Role.HEAD, Role.ADMIN)  # never `system`: appeals are people's work


def _kind_route(kind: str, route: str | None) -> tuple[AppealKind, Route | None]:
    kinds = "、".join(f"{k.value}（{KIND_LABELS[k]}）" for k in AppealKind)
    routes = "、".join(f"{r.value}（{ROUTE_LABELS[r]}）" for r in Route)
    if kind not in AppealKind.__members__.values():
        raise InputError(f"未知的类型 --kind {kind!r}；可选：{kinds}")
    k = AppealKind(kind)
    if k is AppealKind.RECONSIDERATION:
        if route is not None:
            raise InputError("行政复议没有起诉方式，不能给出 --route")
        return k, None
    if route is None:
        raise InputError(f"行政诉讼须用 --route 说明起诉方式；可选：{routes}")
    if route not in Route.__members__.values():
        raise InputError(f"未知的起诉方式 --route {route!r}；可选：{routes}")
    return k, Route(route)


def _name(appeal: Appeal, number: str) -> str:
    route = f"（{ROUTE_LABELS[Route(appeal.route)]}）" if appeal.route else ""
    return f"{KIND_LABELS[AppealKind(appeal.kind)]}{route} #{appeal.id}（申请案件 {number}）"


def file_appeal(db: Database, *, actor_name: str | None, number: str, kind: str, route: str | None,
                received_on: date, body: str | None, today: date, reason: str | None = None) -> int:
    """Record a reconsideration or lawsuit against case `number`, received on `received_on`; returns its id."""
    k, r = _kind_route(kind, route)
    body = body.strip() if body and body.strip() else None
    if body is not None and len(body) > 200:
        raise InputError(f"复议机关或法院名称过长（{len(body)} 字，最多 200 字）")
    with db.unit_of_work() as session:
        actor = require_role(resolve_actor(session, actor_name), _ACTING_ROLES, f"登记案件 {number} 的{KIND_LABELS[k]}")
        app = session.exec(select(Application).where(Application.agency_id == actor.agency_id,
                                                     Application.number == number)).first()
        if app is None or app.id is None:
            raise NotFound(f"案件 {number} 不存在")
        copy = "行政复议申请书副本" if k is AppealKind.RECONSIDERATION else "起诉状副本"
        if received_on < app.received_on:
            raise InputError(f"收到{copy}之日 {received_on} 早于案件 {number} 的收到申请之日 {app.received_on}")
        if received_on > today:
            raise InputError(f"收到{copy}之日 {received_on} 晚于今天（{today}）")
        due = appeal_due(load_calendar(session), k, received_on)
        appeal = Appeal(agency_id=actor.agency_id, application_id=app.id, kind=k.value,
                        route=r.value if r else None, received_on=received_on, body=body,
                        state=AppealState.FILED.value, due_on=due)
        session.add(appeal)
        session.flush()
        assert appeal.id is not None
        guard(session, agency_id=actor.agency_id, on=received_on, actor=actor.username, role=actor.role,
              reason=reason, action=f"登记{KIND_LABELS[k]}（file）", case_number=number,
              application_id=app.id, appeal_id=appeal.id)
        data = {"kind": k.value, "route": appeal.route, "body": body, "due_on": due.isoformat(),
                **({"reason": reason} if reason else {})}
        session.add(AppealEvent(appeal_id=appeal.id, seq=1, trigger=AppealTrigger.FILE.value, actor=actor.username,
                                role=actor.role.value, effective_on=received_on, from_state=None,
                                to_state=AppealState.FILED.value, data=data))
        return appeal.id


def _load(session: Session, agency_id: int, appeal_id: int) -> tuple[Appeal, Application, list[AppealEvent]]:
    appeal = session.get(Appeal, appeal_id)
    if appeal is None or appeal.agency_id != agency_id:
        raise NotFound(f"复议、诉讼案件 #{appeal_id} 不存在（用 ogi appeal list 查看）")
    app = session.get(Application, appeal.application_id)
    assert app is not None, "an appeal refers to an existing application"
    events = list(session.exec(select(AppealEvent).where(AppealEvent.appeal_id == appeal_id)
                               .order_by(col(AppealEvent.seq))).all())
    return appeal, app, events


def _standing(appeal: Appeal) -> tuple[str, tuple[str, ...]]:
    """The lines a refusal ends with: the appeal's state and the triggers open from it."""
    state = AppealState(appeal.state)
    open_ = [t for t in APPEAL_TRANSITIONS.values() if state in t.sources]
    text = "、".join(f"{t.trigger.value}（{t.label}）" for t in open_) or "无（已结案）"
    return (f"当前状态：{APPEAL_STATE_LABELS[state]}（{state.value}）\n可执行的操作：{text}",
            tuple(t.trigger.value for t in open_))


def _decision_problem(kind: AppealKind, name: str | None) -> str | None:
    if not name:
        return "登记结果须用 --decision 给出决定（代码或中文名称）"
    if find_decision(kind, name) is not None:
        return None
    options = "、".join(f"{d.code}（{d.label}）" for d in decisions_for(kind))
    other = next((d for d in DECISIONS.values() if d.kind is not kind and name.strip() in (d.code, d.label)), None)
    head = (f"「{other.label}」（{other.code}）是{KIND_LABELS[other.kind]}的结果，不适用于{KIND_LABELS[kind]}"
            if other else f"未知的决定 {name!r}")
    return f"{head}；{KIND_LABELS[kind]}可选：{options}"


def act_appeal(db: Database, *, actor_name: str | None, appeal_id: int, trigger: str, on: date,
               decision: str | None = None, reason: str | None = None, today: date) -> None:
    """Fire one trigger of the appeal lifecycle (submit_reply, decide, withdraw) on its legal date `on`."""
    with db.unit_of_work() as session:
        named = resolve_actor(session, actor_name)
        appeal, app, events = _load(session, named.agency_id if named else default_agency_id(session), appeal_id)
        name = _name(appeal, app.number)
        standing, allowed = _standing(appeal)
        if trigger not in APPEAL_TRANSITIONS:
            raise InputError(f"未知的操作 {trigger!r}（{name}）\n{standing}")
        transition = APPEAL_TRANSITIONS[AppealTrigger(trigger)]
        kind, state = AppealKind(appeal.kind), AppealState(appeal.state)
        refused = role_problem(named, _ACTING_ROLES)
        problems: list[str] = [refused] if refused else []
        if state not in transition.sources:
            problems.append(f"「{APPEAL_STATE_LABELS[state]}」状态下不能{transition.label}")
        if on > today:
            problems.append(f"办理日期 {on} 晚于今天（{today}）")
        last = events[-1].effective_on if events else appeal.received_on
        if on < appeal.received_on:
            problems.append(f"办理日期 {on} 早于收到副本之日 {appeal.received_on}")
        elif on < last:
            problems.append(f"办理日期 {on} 早于上一次办理日期 {last}（按时间顺序记录）")
        if transition.trigger is AppealTrigger.DECIDE:
            problem = _decision_problem(kind, decision)
            problems += [problem] if problem else []
        elif decision is not None:
            problems.append(f"--decision 只适用于 decide（登记结果），不适用于「{transition.label}」")
        if problems or named is None:
            raise TransitionNotAllowed(f"不能对{name}执行「{transition.label}」（{trigger}）：\n"
                                       + "\n".join(f"- {p}" for p in problems) + f"\n{standing}",
                                       state=appeal.state, allowed=allowed)
        actor = named
        guard(session, agency_id=actor.agency_id, on=on, actor=actor.username, role=actor.role, reason=reason,
              action=f"{transition.label}（{trigger}）", case_number=app.number, application_id=app.id,
              appeal_id=appeal.id)
        data: dict[str, Any] = {"reason": reason} if reason else {}
        due = appeal_due(load_calendar(session), kind, appeal.received_on)
        if transition.trigger is AppealTrigger.SUBMIT_REPLY:
            appeal.replied_on = on
            data.update(due_on=due.isoformat(), late=on > due)
        else:
            found = find_decision(kind, decision or "") if transition.trigger is AppealTrigger.DECIDE else None
            appeal.decision = found.code if found else WITHDRAWAL_DECISION[kind]
            appeal.decided_on = on
            data["decision"] = appeal.decision
        appeal.state, appeal.due_on = transition.dest.value, due
        session.add(AppealEvent(appeal_id=appeal_id, seq=len(events) + 1, trigger=trigger, actor=actor.username,
                                role=actor.role.value, effective_on=on, from_state=state.value,
                                to_state=transition.dest.value, data=data))


def _summary(appeal: Appeal, number: str, cal: WorkingCalendar, today: date,
             columns: dict[str, Column]) -> dict[str, Any]:
    kind, route = AppealKind(appeal.kind), Route(appeal.route) if appeal.route else None
    clock = appeal_clock(cal, appeal, today)
    column = columns.get(appeal.decision or "", Column.PENDING)
    return {
        "id": appeal.id, "number": number, "kind": kind.value, "kind_label": KIND_LABELS[kind],
        "route": appeal.route, "route_label": ROUTE_LABELS[route] if route else None,
        "group": group_of(kind, route), "body": appeal.body, "received_on": appeal.received_on.isoformat(),
        "state": appeal.state, "state_label": APPEAL_STATE_LABELS[AppealState(appeal.state)],
        "due_on": clock.due_on.isoformat(), "clock_status": clock.status.value, "late": clock.late,
        "replied_on": appeal.replied_on.isoformat() if appeal.replied_on else None,
        "decision": appeal.decision,
        "decision_label": DECISIONS[appeal.decision].label if appeal.decision in DECISIONS else None,
        "decided_on": appeal.decided_on.isoformat() if appeal.decided_on else None,
        "column": column.value, "column_label": COLUMN_LABELS[column],
    }


def show_appeal(db: Database, *, actor_name: str | None, appeal_id: int, today: date) -> dict[str, Any]:
    """One appeal in full: summary, clock with its day-by-day explanation, history and open triggers."""
    with db.unit_of_work() as session:
        actor = resolve_actor(session, actor_name)
        agency_id = actor.agency_id if actor else default_agency_id(session)
        appeal, app, events = _load(session, agency_id, appeal_id)
        cal = load_calendar(session)
        result = _summary(appeal, app.number, cal, today, mapping(session, agency_id))
        result["clock"] = clock_json(appeal_clock(cal, appeal, today), today, explain=True)
        result["clock"]["rule"] = RULES[CLOCK_OF[AppealKind(appeal.kind)]].starts
        result["events"] = [{"seq": e.seq, "trigger": e.trigger, "effective_on": e.effective_on.isoformat(),
                             "recorded_at": e.recorded_at.isoformat(), "actor": e.actor, "role": e.role,
                             "from_state": e.from_state, "to_state": e.to_state, "data": e.data} for e in events]
        state = AppealState(appeal.state)
        result["actions"] = [{"trigger": t.trigger.value, "label": t.label, "basis": t.basis}
                             for t in APPEAL_TRANSITIONS.values() if state in t.sources]
        return result


def appeals_of(session: Session, application_id: int, today: date) -> list[dict[str, Any]]:
    """The appeals against one application, oldest first (for `ogi show`)."""
    app = session.get(Application, application_id)
    if app is None:
        return []
    rows = session.exec(select(Appeal).where(Appeal.application_id == application_id)
                        .order_by(col(Appeal.received_on), col(Appeal.id))).all()
    cal, columns = load_calendar(session), mapping(session, app.agency_id)
    return [_summary(a, app.number, cal, today, columns) for a in rows]


def list_appeals(db: Database, *, actor_name: str | None, today: date, open_only: bool = False) -> list[dict[str, Any]]:
    """The agency's appeals, newest receipt first; `open_only` keeps those not yet decided or withdrawn."""
    with db.unit_of_work() as session:
        actor = resolve_actor(session, actor_name)
        agency_id = actor.agency_id if actor else default_agency_id(session)
        query = select(Appeal, Application.number).join(Application, col(Appeal.application_id) == col(Application.id))
        query = query.where(Appeal.agency_id == agency_id)
        if open_only:
            query = query.where(col(Appeal.state).in_([AppealState.FILED.value, AppealState.ANSWERED.value]))
        rows = session.exec(query.order_by(col(Appeal.received_on).desc(), col(Appeal.id).desc())).all()
        cal, columns = load_calendar(session), mapping(session, agency_id)
        return [_summary(a, number, cal, today, columns) for a, number in rows]
