"""Use cases on appeals (SPEC §7): file a reconsideration or lawsuit, act on it, show and list them."""

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from states.appeal_case import AppealCase
from states.appeals import (
    APPEAL_ROLES,
    APPEAL_STATE_LABELS,
    APPEAL_TRANSITIONS,
    CLOCK_OF,
    COLUMN_LABELS,
    DECISIONS,
    KIND_LABELS,
    ROUTE_LABELS,
    AppealKind,
    AppealState,
    AppealTrigger,
    Column,
    Route,
    group_of,
    open_from,
)
from states.case import Refused
from states.clocks import RULES
from states.deadlines import LegalEvent
from workflow import chain
from workflow.actors import require_role, resolve_actor, scope
from workflow.appeal_clock import appeal_clock, clock_json
from workflow.appeal_mapping import decision_table, mapping, set_mapping
from workflow.calendar import WorkingCalendar
from workflow.calendar_store import load_calendar
from workflow.db import Database
from workflow.errors import InputError, NotFound, TransitionNotAllowed
from workflow.locks import guard
from workflow.models import Appeal, AppealEvent, Application

__all__ = ["act_appeal", "appeals_of", "decision_table", "file_appeal", "list_appeals", "mapping", "set_mapping",
           "show_appeal"]

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


def _appeal_case(calendar: WorkingCalendar, appeal: Appeal, number: str, events: list[AppealEvent]) -> AppealCase:
    return AppealCase.from_events([LegalEvent(e.trigger, e.effective_on, e.data) for e in events], calendar,
                                  name=_name(appeal, number))


def file_appeal(db: Database, *, actor_name: str | None, agency: str | None = None, number: str, kind: str,
                route: str | None,
                received_on: date, body: str | None, today: date, reason: str | None = None) -> int:
    """Record a reconsideration or lawsuit against case `number`, received on `received_on`; returns its id."""
    k, r = _kind_route(kind, route)
    body = body.strip() if body and body.strip() else None
    if body is not None and len(body) > 200:
        raise InputError(f"复议机关或法院名称过长（{len(body)} 字，最多 200 字）")
    with db.unit_of_work() as session:
        actor = require_role(resolve_actor(session, actor_name, agency=agency), APPEAL_ROLES,
                             f"登记案件 {number} 的{KIND_LABELS[k]}")
        app = session.exec(select(Application).where(Application.agency_id == actor.agency_id,
                                                     Application.number == number)).first()
        if app is None or app.id is None:
            raise NotFound(f"案件 {number} 不存在")
        case = AppealCase(load_calendar(session))
        try:
            event = case.file(role=actor.role, kind=k, route=r, received_on=received_on,
                              case=(number, app.received_on), today=today,
                              data={"body": body, **({"reason": reason} if reason else {})})
        except Refused as exc:
            raise InputError(str(exc)) from None
        appeal = Appeal(agency_id=actor.agency_id, application_id=app.id, kind=k.value,
                        route=r.value if r else None, received_on=received_on, body=body,
                        state=_state(case), due_on=case.due_on)
        session.add(appeal)
        session.flush()
        assert appeal.id is not None
        guard(session, agency_id=actor.agency_id, on=received_on, actor=actor.username, role=actor.role,
              reason=reason, action=f"登记{KIND_LABELS[k]}（file）", case_number=number,
              application_id=app.id, appeal_id=appeal.id)
        _record(session, appeal, None, AppealEvent(
            appeal_id=appeal.id, seq=1, trigger=event.trigger, actor=actor.username, role=actor.role.value,
            effective_on=event.on, from_state=None, to_state=_state(case), data=dict(event.data)))
        return appeal.id


def _record(session: Session, appeal: Appeal, last: AppealEvent | None, event: AppealEvent) -> None:
    """Append a sealed event to the appeal's log and move the chain's head, in the use case's transaction."""
    chain.seal(event, last.hash if last else None)
    session.add(event)
    session.flush()
    chain.set_head(session, appeal, event)


def _state(case: AppealCase) -> str:
    assert case.state is not None, "a filed appeal has a state"
    return case.state.value


def _load(session: Session, agency_id: int, appeal_id: int) -> tuple[Appeal, Application, list[AppealEvent]]:
    appeal = session.get(Appeal, appeal_id)
    if appeal is None or appeal.agency_id != agency_id:
        raise NotFound(f"复议、诉讼案件 #{appeal_id} 不存在（用 ogi appeal list 查看）")
    app = session.get(Application, appeal.application_id)
    assert app is not None, "an appeal refers to an existing application"
    events = list(session.exec(select(AppealEvent).where(AppealEvent.appeal_id == appeal_id)
                               .order_by(col(AppealEvent.seq))).all())
    return appeal, app, events


def act_appeal(db: Database, *, actor_name: str | None, agency: str | None = None, appeal_id: int, trigger: str,
               on: date,
               decision: str | None = None, reason: str | None = None, today: date) -> dict[str, Any]:
    """Fire one trigger of the appeal lifecycle (submit_reply, decide, withdraw) on its legal date `on`; returns
    the appeal as it now stands (as `list_appeals` shows it), with the action's label."""
    with db.unit_of_work() as session:
        named, agency_id = scope(session, actor_name, agency)
        appeal, app, events = _load(session, agency_id, appeal_id)
        calendar = load_calendar(session)
        case = _appeal_case(calendar, appeal, app.number, events)
        if trigger not in APPEAL_TRANSITIONS or trigger == AppealTrigger.FILE:
            hint = "；登记复议、诉讼请用 ogi appeal file" if trigger == AppealTrigger.FILE else ""
            raise InputError(f"未知的操作 {trigger!r}（{case.name}）{hint}\n{case.standing()[0]}")
        t = AppealTrigger(trigger)
        before = case.state
        try:
            event = case.fire(t, role=named.role if named else None, on=on, today=today, decision=decision,
                              reason=reason)
        except Refused as exc:
            raise TransitionNotAllowed(str(exc), state=exc.state, allowed=exc.allowed) from None
        assert named is not None and before is not None, "the role check refuses an unnamed user"
        transition = APPEAL_TRANSITIONS[t]
        guard(session, agency_id=named.agency_id, on=on, actor=named.username, role=named.role, reason=reason,
              action=f"{transition.label}（{trigger}）", case_number=app.number, application_id=app.id,
              appeal_id=appeal.id)
        appeal.state, appeal.due_on = _state(case), case.due_on
        appeal.replied_on, appeal.decision, appeal.decided_on = case.replied_on, case.decision, case.decided_on
        _record(session, appeal, events[-1] if events else None, AppealEvent(
            appeal_id=appeal_id, seq=len(events) + 1, trigger=trigger, actor=named.username, role=named.role.value,
            effective_on=on, from_state=before.value, to_state=_state(case), data=dict(event.data)))
        return {**_summary(appeal, app.number, calendar, today, mapping(session, appeal.agency_id)),
                "label": transition.label}


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


def show_appeal(db: Database, *, actor_name: str | None, agency: str | None = None, appeal_id: int,
                today: date) -> dict[str, Any]:
    """One appeal in full: summary, clock with its day-by-day explanation, history and open triggers."""
    with db.unit_of_work() as session:
        agency_id = scope(session, actor_name, agency)[1]
        appeal, app, events = _load(session, agency_id, appeal_id)
        cal = load_calendar(session)
        result = _summary(appeal, app.number, cal, today, mapping(session, agency_id))
        result["clock"] = clock_json(appeal_clock(cal, appeal, today), today, explain=True)
        result["clock"]["rule"] = RULES[CLOCK_OF[AppealKind(appeal.kind)]].starts
        result["events"] = [{"seq": e.seq, "trigger": e.trigger, "effective_on": e.effective_on.isoformat(),
                             "recorded_at": e.recorded_at.isoformat(), "actor": e.actor, "role": e.role,
                             "from_state": e.from_state, "to_state": e.to_state, "data": e.data} for e in events]
        result["actions"] = [{"trigger": t.trigger.value, "label": t.label, "basis": t.basis}
                             for t in open_from(AppealState(appeal.state))]
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


def list_appeals(db: Database, *, actor_name: str | None, agency: str | None = None, today: date,
                 open_only: bool = False) -> list[dict[str, Any]]:
    """The agency's appeals, newest receipt first; `open_only` keeps those not yet decided or withdrawn."""
    with db.unit_of_work() as session:
        agency_id = scope(session, actor_name, agency)[1]
        query = select(Appeal, Application.number).join(Application, col(Appeal.application_id) == col(Application.id))
        query = query.where(Appeal.agency_id == agency_id)
        if open_only:
            query = query.where(col(Appeal.state).in_([AppealState.FILED.value, AppealState.ANSWERED.value]))
        rows = session.exec(query.order_by(col(Appeal.received_on).desc(), col(Appeal.id).desc())).all()
        cal, columns = load_calendar(session), mapping(session, agency_id)
        return [_summary(a, number, cal, today, columns) for a, number in rows]
