"""Use cases on applications: register one, and fire any action of SPEC §5 — each in one transaction.

Each is load → `Case.fire` → save, and returns an `ActionResult` the faces print without asking again.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from states import lapses
from states.case import ActionOption, Case, Fired, Refused
from states.clocks import RULES, ClockKind, ClockStatus
from states.deadlines import Clock, ClockPolicy, LegalEvent, next_due
from states.fees import FeeQuote
from states.lifecycle import (
    ROLE_LABELS,
    STATE_LABELS,
    TRANSITION_BY_TRIGGER,
    Role,
    State,
    Transition,
    Trigger,
    find_trigger,
)
from states.machine import NEW
from states.outcomes import OUTCOMES
from workflow import chain, fees
from workflow.actors import Actor, agency_policy, default_agency_id, resolve_actor, scope
from workflow.calendar import WorkingCalendar, local_time
from workflow.calendar_store import load_calendar
from workflow.case_order import urgency_key
from workflow.db import Database
from workflow.errors import InputError, NotFound, StaleCase, TransitionNotAllowed, WorkflowError
from workflow.inputs import ActionInput, ApplicationCreate
from workflow.locks import acting_role, guard
from workflow.models import (
    NAMED_IN_LETTERS,
    Agency,
    AgencyProfile,
    Application,
    Approval,
    CaseClock,
    Event,
    User,
    utcnow,
)
from workflow.numbering import next_number

__all__ = ["ActionResult", "CaseContext", "act", "assign", "available_actions", "context", "legal_event", "load_case",
           "policy_of", "refresh_clocks", "register", "where_it_stands"]


@dataclass
class CaseContext:
    """One case loaded inside its transaction: its row, its event rows and the `Case` they fold into."""

    app: Application
    events: list[Event]
    calendar: WorkingCalendar
    policy: ClockPolicy
    case: Case

    def clocks(self, as_of: date) -> dict[ClockKind, Clock]:
        """All clocks of the case as of a day."""
        return self.case.clocks(as_of)


def legal_event(e: Event) -> LegalEvent:
    """An event row as the domain folds it."""
    return LegalEvent(e.trigger, e.effective_on, e.data)


def context(app: Application, events: list[Event], calendar: WorkingCalendar, policy: ClockPolicy) -> CaseContext:
    """A case row and its events, folded."""
    case = Case.from_events((legal_event(e) for e in events), calendar, policy, number=app.number)
    return CaseContext(app, events, calendar, policy, case)


def load_case(session: Session, agency_id: int, number: str, policy: ClockPolicy | None = None) -> CaseContext:
    """Load a case with its history, the calendar and its agency's clock policy."""
    app = session.exec(select(Application).where(
        Application.agency_id == agency_id, Application.number == number)).first()
    if app is None or app.id is None:
        raise NotFound(f"案件 {number} 不存在")
    events = list(session.exec(select(Event).where(Event.application_id == app.id).order_by(col(Event.seq))).all())
    return context(app, events, load_calendar(session), policy or policy_of(session, agency_id))


def available_actions(ctx: CaseContext, actor: Actor | None, on: date) -> list[ActionOption]:
    """Every action from the current state, for this user, as of `on` (drives refusals and `ogi show`)."""
    return ctx.case.options(actor.role if actor else None, on)


def where_it_stands(db: Database, *, actor_name: str | None, number: str, today: date,
                    agency: str | None = None) -> str:
    """The state and allowed actions of a case, for a refusal made before the case was loaded ("" if unknown)."""
    try:
        with db.unit_of_work() as session:
            actor, agency_id = scope(session, actor_name, agency)
            ctx = load_case(session, agency_id, number)
            return ctx.case.standing(actor.role if actor else None, today)[0]
    except WorkflowError:
        return ""


@dataclass(frozen=True)
class ActionResult:
    """What one action did, for the faces to print: the case as it now stands and the event written."""

    number: str
    trigger: str
    label: str
    version: int
    state: str
    state_label: str
    outcome: str | None
    outcome_label: str | None
    next_due_on: date | None
    next_due_clock: str | None
    next_due_label: str | None
    event: dict[str, Any]
    available: tuple[tuple[str, str], ...]  # (trigger, label) of the actions now open to the same user

    @property
    def message(self) -> str:
        """The success line: «已办理：2026-0003 一次性告知补正（第 2 版）», and where the case now stands."""
        due = (f"；下一期限：{self.next_due_label} {self.next_due_on}" if self.next_due_on else "")
        verb = "已登记" if self.trigger == Trigger.REGISTER else "已办理"
        what = "" if self.trigger == Trigger.REGISTER else f" {self.label}"
        outcome = f"，办理结果：{self.outcome_label}" if self.outcome_label else ""
        return f"{verb}：{self.number}{what}（第 {self.version} 版），当前状态：{self.state_label}{outcome}{due}"

    def as_data(self) -> dict[str, Any]:
        """JSON-ready (what `--json` prints)."""
        return {"number": self.number, "trigger": self.trigger, "label": self.label, "version": self.version,
                "state": self.state, "state_label": self.state_label, "outcome": self.outcome,
                "outcome_label": self.outcome_label,
                "next_due_on": self.next_due_on.isoformat() if self.next_due_on else None,
                "next_due_clock": self.next_due_clock, "next_due_label": self.next_due_label,
                "event": self.event, "available": [{"trigger": t, "label": label} for t, label in self.available]}


def _result(ctx: CaseContext, actor: Actor, event: Event, today: date) -> ActionResult:
    app, transition = ctx.app, TRANSITION_BY_TRIGGER[Trigger(event.trigger)]
    state = State(app.state)
    return ActionResult(
        number=app.number, trigger=event.trigger, label=transition.label, version=app.version, state=state.value,
        state_label=STATE_LABELS[state], outcome=app.outcome,
        outcome_label=OUTCOMES[app.outcome].label if app.outcome in OUTCOMES else None,
        next_due_on=app.next_due_on, next_due_clock=app.next_due_clock,
        next_due_label=RULES[ClockKind(app.next_due_clock)].label if app.next_due_clock else None,
        event={"seq": event.seq, "trigger": event.trigger, "label": transition.label,
               "effective_on": event.effective_on.isoformat(), "actor": event.actor, "data": event.data},
        available=tuple((t.trigger.value, t.label) for t in ctx.case.available(actor.role, today)))


def register(db: Database, *, actor_name: str | None, data: ApplicationCreate, today: date,
             agency: str | None = None) -> ActionResult:
    """条例第二十九条、第三十一条: register an application received on its receipt date."""
    if data.received_on > today:
        raise InputError(f"收到申请之日 {data.received_on} 晚于今天（{today}）")
    with db.unit_of_work() as session, session.no_autoflush:
        actor = resolve_actor(session, actor_name, agency=agency)
        transition = TRANSITION_BY_TRIGGER[Trigger.REGISTER]
        role = acting_role(session, actor, transition, data.received_on)
        calendar = load_calendar(session)
        case = Case(calendar, actor.policy if actor else ClockPolicy())
        try:
            fired = case.register(role=role, on=data.received_on, data={
                "channel": data.channel.value, "applicant_type": data.applicant_type.value})
        except Refused as exc:
            raise TransitionNotAllowed(str(exc)) from None
        assert actor is not None, "a case is registered by a named user (the role check says so)"
        app = Application(agency_id=actor.agency_id, number="", state=NEW,  # numbered below
                          assignee_id=actor.user_id, **data.model_dump(exclude={"reason"}))
        # The transaction's first write, as late as it can be: the agency's counter for the year is held from
        # here to the commit (other registrations wait), and a registration refused from here on (a locked
        # year) gives its number back.
        app.number = case.number = next_number(session, actor.agency_id, data.received_on.year)
        guard(session, agency_id=actor.agency_id, on=data.received_on, actor=actor.username,
              role=actor.role, reason=data.reason, action=f"{transition.label}（{transition.trigger.value}）",
              case_number=app.number)
        session.add(app)
        ctx = CaseContext(app, [], calendar, case.policy, case)
        event = _save(session, ctx, actor, fired, today, [])
    return _result(ctx, actor, event, today)  # after the commit: the counter is held for the writes only


def policy_of(session: Session, agency_id: int) -> ClockPolicy:
    """An agency's clock policy (SPEC §4 Decisions)."""
    agency = session.get(Agency, agency_id)
    return agency_policy(agency) if agency else ClockPolicy()


class _Conflict(Exception):
    """Another writer changed the case between our read and our write."""

    def __init__(self, application_id: int, number: str, agency_id: int, role: Role) -> None:
        super().__init__(number)
        self.application_id, self.number, self.agency_id, self.role = application_id, number, agency_id, role


def act(db: Database, *, actor_name: str | None, number: str, trigger: str, data: ActionInput,
        today: date, expected_version: int | None = None, agency_id: int | None = None,
        agency: str | None = None) -> ActionResult:
    """Fire one action of SPEC §5 on a case (named by its code or Chinese label), in one transaction.

    `agency_id` tells the `system` actor (the sweep) which agency's case it acts on.
    """
    try:
        with db.unit_of_work() as session, session.no_autoflush:  # one flush at the end: one UPDATE per row
            actor = resolve_actor(session, actor_name, agency=agency, agency_id=agency_id)
            agency_id = actor.agency_id if actor else default_agency_id(session, agency)
            ctx = load_case(session, agency_id, number, actor.policy if actor else None)
            case, role = ctx.case, actor.role if actor else None
            t = find_trigger(trigger)
            if t is None or t is Trigger.REGISTER:
                hint = "；登记申请请用 ogi receive" if t is Trigger.REGISTER else ""
                raise InputError(f"未知的操作 {trigger!r}{hint}\n{case.standing(role, data.on)[0]}")
            transition = TRANSITION_BY_TRIGGER[t]
            if expected_version is not None and expected_version != ctx.app.version:
                raise StaleCase(f"案件 {number} 已被他人更新（你看到的是第 {expected_version} 版，当前为第 "
                                f"{ctx.app.version} 版：{_last_change(ctx.events)}），请重新查看后再操作\n"
                                f"{case.standing(role, data.on)[0]}")
            cached = _cached_clocks(session, ctx.app)
            # Undoing a lapse also alters the day the case lapsed: that day's year must not be locked either.
            alters = case.concluded_on if t.value in lapses.BY_UNDO else None
            role = acting_role(session, actor, transition, min(data.on, alters or data.on))
            assignee = _assignee(session, ctx, transition, data, role)
            try:
                fired = case.fire(t, role=role, inputs=data, today=today,
                                  quote=lambda method, pages: _quote(session, ctx.app, method, pages),
                                  named=_named(session, ctx.app) if transition.names_bodies else None)
            except Refused as exc:
                raise TransitionNotAllowed(str(exc), state=exc.state, allowed=exc.allowed) from None
            assert actor is not None, "an action is taken by a named user (the role check says so)"
            guard(session, agency_id=agency_id, on=data.on, actor=actor.username, role=actor.role,
                  reason=data.reason, action=f"{transition.label}（{t.value}）", case_number=number,
                  application_id=ctx.app.id, alters=alters)
            _approvals(session, ctx.app, transition, actor, data)
            if assignee is not None:
                ctx.app.assignee_id = assignee.id
            event = _save(session, ctx, actor, fired, today, cached)
            return _result(ctx, actor, event, today)
    except _Conflict as conflict:
        raise StaleCase(_conflict_text(db, conflict, today)) from None


def assign(db: Database, *, actor_name: str | None, number: str, assignee: str, today: date,
           on: date | None = None, agency: str | None = None) -> ActionResult:
    """A head names the case's 承办人 (recorded as an event); reminders then go to them."""
    return act(db, actor_name=actor_name, number=number, trigger=Trigger.ASSIGN.value,
               data=ActionInput(on=on or today, assignee=assignee), today=today, agency=agency)


def _assignee(session: Session, ctx: CaseContext, transition: Transition, data: ActionInput,
              role: Role | None) -> User | None:
    """The user an assigning action names: an active clerk or head of the case's agency, not already its 承办人."""
    if not transition.assigns or data.assignee is None:
        return None
    user = session.exec(select(User).where(  # the agency's users, and the platform's (who cannot be its 承办人)
        User.username == data.assignee,
        (col(User.agency_id) == ctx.app.agency_id) | col(User.agency_id).is_(None))).first()
    problem = None
    if user is None or not user.active:
        problem = f"用户 {data.assignee} 不存在或已停用（用 ogi user list 查看本机关的用户）"
    elif user.role not in (Role.CLERK, Role.HEAD):
        problem = f"用户 {data.assignee} 是{ROLE_LABELS[Role(user.role)]}，承办人须为承办人或负责人"
    elif user.id == ctx.app.assignee_id:
        problem = f"{data.assignee} 已是案件 {ctx.app.number} 的承办人"
    if problem is not None:
        headline = f"不能对案件 {ctx.app.number} 执行「{transition.label}」（{transition.trigger.value}）："
        refusal = ctx.case.refusal(role, data.on, headline, [problem])
        raise TransitionNotAllowed(str(refusal), state=refusal.state, allowed=refusal.allowed)
    return user


def _quote(session: Session, app: Application, method: str, pages: int | None) -> FeeQuote | str:
    try:
        return fees.quote_for(session, app, method, pages)
    except InputError as exc:
        return str(exc)


def _named(session: Session, app: Application) -> dict[str, Any]:
    """The bodies and payment channel a letter names, as they stand now (a later `ogi settings` change, such as
    a new 行政复议机关, does not rewrite letters already sent)."""
    profile = session.get(AgencyProfile, app.agency_id)
    return {k: getattr(profile, k) if profile else None for k in NAMED_IN_LETTERS}


def _last_change(events: list[Event]) -> str:
    last = events[-1] if events else None
    if last is None:
        return "无办理记录"
    label = TRANSITION_BY_TRIGGER[Trigger(last.trigger)].label
    return f"{last.actor} 于 {local_time(_aware(last.recorded_at))}「{label}」"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _conflict_text(db: Database, conflict: _Conflict, today: date) -> str:
    """The loser of a race is told, in a fresh transaction, who changed the case first and when, and where
    the case now stands."""
    with db.unit_of_work() as session:
        ctx = load_case(session, conflict.agency_id, conflict.number)
        standing = ctx.case.standing(conflict.role, today)[0]
    return (f"案件 {conflict.number} 刚刚已被他人更新（{_last_change(ctx.events)}），你的操作未执行、未保存任何内容；"
            f"请重新查看案件后再操作\n{standing}")


def _approvals(session: Session, app: Application, transition: Transition, actor: Actor, d: ActionInput) -> None:
    """The approval an action opens or decides (条例第三十三条: the extension; the response sign-off), and on
    conclusion, every approval still pending is void."""
    step = transition.approval
    if step is not None and step.decision is None:
        proposal = ({"outcome": d.outcome, "text": d.text or ""} if step.kind == "response"
                    else {"reason": d.text or d.reason or ""})
        session.add(Approval(application_id=_id(app), kind=step.kind, requested_by=actor.username,
                             requested_on=d.on, proposal=proposal))
    elif step is not None and step.decision is not None:
        _decide(session, app, step.kind, step.decision, actor, d)
    if transition.concludes:
        for pending in session.exec(select(Approval).where(Approval.application_id == app.id,
                                                           Approval.status == "pending")).all():
            if pending.status == "pending":  # not the one this action just decided (unflushed)
                pending.status, pending.decided_on, pending.comment = "void", d.on, "案件已办结，申请作废"


def _decide(session: Session, app: Application, kind: str, status: str, actor: Actor, d: ActionInput) -> Approval:
    approval = session.exec(select(Approval).where(
        Approval.application_id == app.id, Approval.kind == kind, Approval.status == "pending")).first()
    if approval is None:
        raise WorkflowError(f"案件 {app.number} 没有待审批的{'延期申请' if kind == 'extension' else '答复'}")
    approval.status, approval.decided_by, approval.decided_on = status, actor.username, d.on
    approval.comment = d.text or d.reason
    return approval


def _save(session: Session, ctx: CaseContext, actor: Actor, fired: Fired, today: date,
          cached: list[CaseClock]) -> Event:
    """Record the event, copy what the case now is onto its row and refresh the cached clocks; flush once.

    The flush updates the application row `WHERE version = <seen>`: a concurrent writer makes it fail.
    """
    app, case, e = ctx.app, ctx.case, fired.event
    number, agency_id = app.number, app.agency_id  # read now: after a failed flush the session cannot load them
    app.state = fired.to_state.value
    app.outcome, app.concluded_on = case.outcome, case.concluded_on
    app.updated_at = utcnow()
    moved = refresh_clocks(session, ctx, today, cached)
    data = dict(e.data)
    if moved:  # the event records the old and new deadlines it caused (immutable once added)
        data["due_changes"] = {k: [old.isoformat(), new.isoformat()] for k, (old, new) in moved.items()}
    event = Event(application_id=_id(app), seq=len(ctx.events) + 1, trigger=e.trigger, actor_id=actor.user_id,
                  actor=actor.username, role=actor.role.value, effective_on=e.on,
                  from_state=fired.from_state.value if fired.from_state else None, to_state=fired.to_state.value,
                  data=data)
    chain.seal(event, ctx.events[-1].hash if ctx.events else None)
    ctx.events.append(event)
    session.add(event)
    app_id = _id(app)
    try:
        session.flush()
    except (StaleDataError, IntegrityError) as exc:
        if isinstance(exc, IntegrityError) and fired.from_state is None:
            raise  # a new case races nobody for its row (its number comes from the counter): not a lost race
        raise _Conflict(app_id, number, agency_id, actor.role) from exc
    chain.set_head(session, app, event)
    return event


def _id(app: Application) -> int:
    assert app.id is not None, "the application row is flushed before it is acted on"
    return app.id


def _cached_clocks(session: Session, app: Application) -> list[CaseClock]:
    if app.id is None:
        return []
    return list(session.exec(select(CaseClock).where(CaseClock.application_id == app.id)).all())


def refresh_clocks(session: Session, ctx: CaseContext, today: date,
                   cached_rows: list[CaseClock]) -> dict[str, tuple[date, date]]:
    """Recompute and cache a case's clocks and its place in the case list (after its state is set); returns the
    running deadlines that moved (kind → (old, new)).

    A clock that starts afresh (a new consultation, a restart after correction) is not a move.
    """
    app = ctx.app
    clocks = ctx.case.clocks(today)
    app.next_due_on, app.next_due_clock, app.provisional = next_due(clocks)
    app.urgency = urgency_key(app.state, app.next_due_on)  # the case list's order follows what the case now is
    if app.id is None:
        session.flush()  # a new case is inserted once, complete, before rows that refer to it
    cached = {c.kind: c for c in cached_rows}
    moved: dict[str, tuple[date, date]] = {}
    for kind, clock in clocks.items():
        row = cached.get(kind.value)
        if row is None:
            session.add(CaseClock(application_id=_id(app), kind=kind.value, start_on=clock.start_on,
                                  due_on=clock.due_on, status=clock.phase.value, provisional=clock.provisional))
            continue
        live = row.status in (ClockStatus.RUNNING, ClockStatus.PAUSED)
        if row.due_on != clock.due_on and row.start_on == clock.start_on and live:
            moved[kind.value] = (row.due_on, clock.due_on)
        row.start_on, row.due_on = clock.start_on, clock.due_on
        row.status, row.provisional = clock.phase.value, clock.provisional
    return moved
