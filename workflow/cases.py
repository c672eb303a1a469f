"""Use cases on applications: register one, and fire any action of SPEC §5 — each in one transaction."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select
from transitions import MachineError

from states import lapses
from states.clocks import ClockKind, ClockStatus
from states.fees import fee_problems
from states.guards import CaseFacts
from states.lifecycle import (
    ROLE_LABELS,
    STATE_LABELS,
    TRANSITION_BY_TRIGGER,
    State,
    Transition,
    Trigger,
    transitions_from,
)
from states.machine import MACHINE, NEW
from states.outcomes import WITHDRAWN
from states.policy import blockers, late_reason
from workflow import fees
from workflow.actors import Actor, agency_policy, default_agency_id, resolve_actor
from workflow.calendar import WorkingCalendar
from workflow.calendar_store import load_calendar
from workflow.db import Database
from workflow.deadlines import Clock, ClockPolicy, LegalEvent, compute_clocks, next_due
from workflow.errors import InputError, NotFound, StaleCase, TransitionNotAllowed, WorkflowError
from workflow.inputs import FIELD_LABELS, ActionInput, ApplicationCreate
from workflow.locks import acting_role, guard
from workflow.models import NAMED_IN_LETTERS, Agency, AgencyProfile, Application, Approval, CaseClock, Event, utcnow


class _Workflow:
    """The object the shared machine drives: only the state (the row stays out of transitions' reach)."""

    def __init__(self, state: str) -> None:
        self.state = state


@dataclass
class CaseContext:
    """Everything an action on one case is decided from, loaded inside its transaction."""

    app: Application
    events: list[Event]
    calendar: WorkingCalendar
    policy: ClockPolicy

    @property
    def legal_events(self) -> list[LegalEvent]:
        """The events as the clocks read them."""
        return [LegalEvent(e.trigger, e.effective_on, e.data) for e in self.events]

    def clocks(self, as_of: date) -> dict[ClockKind, Clock]:
        """All clocks of the case as of a day."""
        return compute_clocks(self.legal_events, self.calendar, as_of, self.policy)

    def facts(self, on: date, data: ActionInput | None = None) -> CaseFacts:
        """What the guards know, as of the action's legal date."""
        f: dict[str, Any] = {}
        for e in self.events:
            if e.trigger == Trigger.REQUEST_CORRECTION:
                f["correction_requested_on"] = e.effective_on
            elif e.trigger == Trigger.RECEIVE_CORRECTION:
                f["correction_received_on"] = e.effective_on
            elif e.trigger == Trigger.REQUEST_EXTENSION:
                f["extension"], f["extension_requested_on"] = "pending", e.effective_on
            elif e.trigger == Trigger.APPROVE_EXTENSION:
                f["extension"] = "approved"
            elif e.trigger == Trigger.REJECT_EXTENSION:
                f["extension"] = "rejected"
            elif e.trigger in lapses.BY_UNDO:  # for the period it belongs to: a new notice opens a new one
                f["undone"] = f.get("undone", frozenset()) | {lapses.BY_UNDO[e.trigger].lapse.value}
            if e.trigger in lapses.BY_OPENER:
                f["undone"] = f.get("undone", frozenset()) - {lapses.BY_OPENER[e.trigger].lapse.value}
        due = {k: c.due_on for k, c in self.clocks(on).items()
               if c.phase in (ClockStatus.RUNNING, ClockStatus.PAUSED)}
        f["last_trigger"] = self.events[-1].trigger if self.events else None
        f["last_source"] = self.events[-1].data.get("source") if self.events else None
        if data is not None:
            f.update(outcome=data.outcome, reply=data.reply, has_text=data.text is not None, until=data.until)
        return CaseFacts(on=on, due=due, **f)


def load_case(session: Session, agency_id: int, number: str, policy: ClockPolicy | None = None) -> CaseContext:
    """Load a case with its history, the calendar and its agency's clock policy."""
    app = session.exec(select(Application).where(
        Application.agency_id == agency_id, Application.number == number)).first()
    if app is None or app.id is None:
        raise NotFound(f"案件 {number} 不存在")
    events = list(session.exec(select(Event).where(Event.application_id == app.id).order_by(col(Event.seq))).all())
    return CaseContext(app, events, load_calendar(session), policy or policy_of(session, agency_id))


@dataclass(frozen=True)
class ActionOption:
    """One action from the current state: why it is unavailable (empty: available), and any late warning."""

    transition: Transition
    blockers: list[str]
    needs_reason: str | None
    applies: bool  # its conditions hold (its guards pass), whoever's role it is


def available_actions(ctx: CaseContext, actor: Actor | None, on: date) -> list[ActionOption]:
    """Every action from the current state, for this user, as of `on` (drives refusals and `ogi show`)."""
    state = State(ctx.app.state)
    facts = ctx.facts(on)
    role = actor.role if actor else None
    return [ActionOption(t, blockers(t, state, role, facts, has_reason=True), late_reason(t, facts, False),
                         all(check(facts) is None for check in t.guards))
            for t in transitions_from(state)]


def _standing(ctx: CaseContext, actor: Actor | None, on: date) -> tuple[str, tuple[str, ...]]:
    """The lines every refusal ends with: the current state and the actions this user may take."""
    state = State(ctx.app.state)
    actions = available_actions(ctx, actor, on)
    allowed = tuple(a.transition.trigger.value for a in actions if not a.blockers)
    if allowed:
        allowed_text = "、".join(f"{a.transition.trigger.value}（{a.transition.label}"
                                f"{'，须 --reason' if a.needs_reason else ''}）" for a in actions if not a.blockers)
    else:  # what others may do here: the actions whose conditions hold, whoever's role they are
        others = [f"{a.transition.trigger.value}（{a.transition.label}，"
                  f"{'/'.join(ROLE_LABELS[r] for r in sorted(a.transition.roles))}）" for a in actions if a.applies]
        allowed_text = "当前用户无可执行的操作" + (f"；此状态下的操作：{'、'.join(others)}" if others else "")
    return f"当前状态：{STATE_LABELS[state]}（{state.value}）\n可执行的操作：{allowed_text}", allowed


def _refusal(ctx: CaseContext, actor: Actor | None, on: date, headline: str,
             reasons: list[str]) -> TransitionNotAllowed:
    standing, allowed = _standing(ctx, actor, on)
    body = "\n".join(f"- {r}" for r in reasons)
    return TransitionNotAllowed(f"{headline}\n{body}\n{standing}", state=ctx.app.state, allowed=allowed)


def where_it_stands(db: Database, *, actor_name: str | None, number: str, today: date) -> str:
    """The state and allowed actions of a case, for a refusal made before the case was loaded ("" if unknown)."""
    try:
        with db.unit_of_work() as session:
            actor = resolve_actor(session, actor_name)
            ctx = load_case(session, actor.agency_id if actor else default_agency_id(session), number)
            return _standing(ctx, actor, today)[0]
    except WorkflowError:
        return ""


def _next_number(session: Session, agency_id: int, year: int) -> str:
    prefix = f"{year}-"
    # Longest first, then highest: "2026-10000" follows "2026-9999".
    last = session.exec(select(Application.number).where(
        Application.agency_id == agency_id, col(Application.number).startswith(prefix),
    ).order_by(func.length(Application.number).desc(), col(Application.number).desc()).limit(1)).first()
    seq = int(last.split("-")[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def register(db: Database, *, actor_name: str | None, data: ApplicationCreate, today: date) -> str:
    """条例第二十九条、第三十一条: register an application received on its receipt date; returns its number."""
    if data.received_on > today:
        raise InputError(f"收到申请之日 {data.received_on} 晚于今天（{today}）")
    for attempt in range(3):
        try:
            with db.unit_of_work() as session, session.no_autoflush:
                actor = resolve_actor(session, actor_name)
                transition = TRANSITION_BY_TRIGGER[Trigger.REGISTER]
                role = acting_role(session, actor, transition, data.received_on)
                why = blockers(transition, None, role, CaseFacts(on=data.received_on))
                if actor is None or why:
                    raise TransitionNotAllowed("不能登记申请：\n" + "\n".join(f"- {r}" for r in why))
                number = _next_number(session, actor.agency_id, data.received_on.year)
                guard(session, agency_id=actor.agency_id, on=data.received_on, actor=actor.username,
                      role=actor.role, reason=data.reason, action=f"{transition.label}（{transition.trigger.value}）",
                      case_number=number)
                app = Application(agency_id=actor.agency_id, number=number, state=NEW,
                                  assignee_id=actor.user_id, **data.model_dump(exclude={"reason"}))
                session.add(app)
                ctx = CaseContext(app, [], load_calendar(session), actor.policy)
                _fire(session, ctx, actor, transition, data.received_on,
                      {"channel": data.channel.value, "applicant_type": data.applicant_type.value}, today, [])
                return number
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def policy_of(session: Session, agency_id: int) -> ClockPolicy:
    """An agency's clock policy (SPEC §4 Decisions)."""
    agency = session.get(Agency, agency_id)
    return agency_policy(agency) if agency else ClockPolicy()


def act(db: Database, *, actor_name: str | None, number: str, trigger: str, data: ActionInput,
        today: date, expected_version: int | None = None, agency_id: int | None = None) -> int:
    """Fire one action of SPEC §5 on a case; returns the case's new version.

    `agency_id` tells the `system` actor (the sweep) which agency's case it acts on.
    """
    with db.unit_of_work() as session, session.no_autoflush:  # one flush at the end: one UPDATE per row
        actor = resolve_actor(session, actor_name, agency_id=agency_id)
        agency_id = actor.agency_id if actor else default_agency_id(session)
        ctx = load_case(session, agency_id, number, actor.policy if actor else None)
        if trigger not in Trigger.__members__.values() or trigger == Trigger.REGISTER:
            hint = "；登记申请请用 ogi receive" if trigger == Trigger.REGISTER else ""
            raise InputError(f"未知的操作 {trigger!r}{hint}\n{_standing(ctx, actor, data.on)[0]}")
        t = Trigger(trigger)
        transition = TRANSITION_BY_TRIGGER[t]
        if expected_version is not None and expected_version != ctx.app.version:
            raise StaleCase(f"案件 {number} 已被他人更新（你看到的是第 {expected_version} 版，当前为第 "
                            f"{ctx.app.version} 版），请重新查看后再操作\n{_standing(ctx, actor, data.on)[0]}")
        cached = _cached_clocks(session, ctx.app)
        headline = f"不能对案件 {number} 执行「{transition.label}」（{t.value}）："
        problems = _date_problems(ctx, t, data, today)
        # Undoing a lapse also alters the day the case lapsed: that day's year must not be locked either.
        alters = ctx.app.concluded_on if t.value in lapses.BY_UNDO else None
        if not problems:
            facts = ctx.facts(data.on, data)
            role = acting_role(session, actor, transition, min(data.on, alters or data.on))
            problems = blockers(transition, State(ctx.app.state), role, facts, has_reason=data.reason is not None)
        if not problems:
            problems = [f"缺少{FIELD_LABELS[r]}" for r in transition.requires if not data.has(r)]
            wanted = {"until", "days"} if "period" in transition.requires else set()
            wanted |= set(transition.requires) | set(transition.accepts)
            problems += [f"{FIELD_LABELS[f]}不适用于「{transition.label}」" for f in sorted(data.given() - wanted)]
        quote = None
        if not problems and t is Trigger.ISSUE_FEE_NOTICE and data.method:
            try:
                quote = fees.quote_for(session, ctx.app, data.method, data.pages)
            except InputError as exc:
                problems = [str(exc)]
            else:
                problems = fee_problems(quote, data.amount, data.reason is not None)
        if problems or actor is None:
            raise _refusal(ctx, actor, data.on, headline, problems)
        guard(session, agency_id=agency_id, on=data.on, actor=actor.username, role=actor.role, reason=data.reason,
              action=f"{transition.label}（{t.value}）", case_number=number, application_id=ctx.app.id,
              alters=alters)
        effects = _effects(session, ctx, actor, t, data)
        if quote is not None:
            effects["quote"] = fees.quote_data(quote)
            effects["amount"] = str(data.amount if data.amount is not None else quote.amount)
        _fire(session, ctx, actor, transition, data.on, effects, today, cached)
        return ctx.app.version


def _date_problems(ctx: CaseContext, trigger: Trigger, data: ActionInput, today: date) -> list[str]:
    on, problems = data.on, []
    if on > today:
        problems.append(f"办理日期 {on} 晚于今天（{today}）")
    # The case file runs in date order, but an undone lapse never happened: recording the correction or
    # payment that in fact arrived in time may go back to the day of the event before the lapse.
    undone = lapses.BY_UNDO.get(ctx.events[-1].trigger) if len(ctx.events) >= 2 else None
    kept = ctx.events[:-2] if undone is not None and undone.arrived is trigger else ctx.events
    last = kept[-1].effective_on if kept else ctx.app.received_on
    if on < last:
        problems.append(f"办理日期 {on} 早于该案上一次办理日期 {last}（案卷按时间顺序记录）")
    if data.served_on is not None and not on <= data.served_on <= today:
        problems.append(f"送达日期 {data.served_on} 应在办理日期 {on} 与今天（{today}）之间")
    if data.until is not None and data.until <= on:
        problems.append(f"期限 --until {data.until} 应晚于办理日期 {on}")
    if data.until is not None and data.days is not None:
        problems.append("--until 与 --days 只能给出一个")
    return problems


def _effects(session: Session, ctx: CaseContext, actor: Actor, t: Trigger, d: ActionInput) -> dict[str, Any]:
    """Apply what a trigger does beyond the state change; returns the event's data."""
    app, data = ctx.app, d.model_dump(mode="json", exclude_none=True, exclude={"on"})
    kind = TRANSITION_BY_TRIGGER[t].late_after
    due = ctx.facts(d.on).due.get(kind) if kind and d.reason is not None else None
    if kind and due and d.on > due:
        data["late"] = {"clock": kind.value, "due_on": due.isoformat(), "reason": d.reason}
    if t is Trigger.ISSUE_FEE_NOTICE or TRANSITION_BY_TRIGGER[t].dest is State.CONCLUDED:
        # The bodies and payment channel its letter names, as they stand now (a later `ogi settings`
        # change, such as a new 行政复议机关, does not rewrite letters already sent).
        profile = session.get(AgencyProfile, app.agency_id)
        data["named"] = {k: getattr(profile, k) if profile else None for k in NAMED_IN_LETTERS}
    # The agency's policy at the time decides whether this wait pauses the response clock; a later
    # change of `ogi settings` does not rewrite past pauses.
    if t is Trigger.ISSUE_FEE_NOTICE:
        data["pauses_response"] = ctx.policy.pause_on_fee
    elif t is Trigger.REQUEST_REASONS:
        data["pauses_response"] = ctx.policy.pause_on_reasons
    if t is Trigger.REQUEST_EXTENSION:
        session.add(Approval(application_id=_id(app), kind="extension", requested_by=actor.username,
                             requested_on=d.on, proposal={"reason": d.text or d.reason or ""}))
    elif t in (Trigger.APPROVE_EXTENSION, Trigger.REJECT_EXTENSION):
        _decide(session, app, "extension", "approved" if t is Trigger.APPROVE_EXTENSION else "rejected", actor, d)
        if t is Trigger.APPROVE_EXTENSION:
            old = ctx.clocks(d.on)[ClockKind.RESPONSE].due_on
            data["old_due_on"] = old.isoformat()
    elif t is Trigger.SUBMIT_RESPONSE:
        session.add(Approval(application_id=_id(app), kind="response", requested_by=actor.username,
                             requested_on=d.on, proposal={"outcome": d.outcome, "text": d.text or ""}))
    elif t is Trigger.APPROVE_RESPONSE:
        approval = _decide(session, app, "response", "approved", actor, d)
        app.outcome = str(approval.proposal["outcome"])
        data["outcome"] = app.outcome
    elif t is Trigger.RETURN_RESPONSE:
        _decide(session, app, "response", "returned", actor, d)
    elif t in (Trigger.LAPSE_CORRECTION, Trigger.LAPSE_FEE, Trigger.WITHDRAW):
        app.outcome = lapses.BY_LAPSE[t.value].outcome if t.value in lapses.BY_LAPSE else WITHDRAWN
        data["outcome"] = app.outcome
    if t.value in lapses.BY_UNDO:
        data["undone_outcome"] = app.outcome
        app.outcome, app.concluded_on = None, None
    if TRANSITION_BY_TRIGGER[t].dest is State.CONCLUDED:
        app.concluded_on = d.on
        for pending in session.exec(select(Approval).where(Approval.application_id == app.id,
                                                           Approval.status == "pending")).all():
            if pending.status == "pending":  # not the one this action just decided (unflushed)
                pending.status, pending.decided_on, pending.comment = "void", d.on, "案件已办结，申请作废"
    return data


def _decide(session: Session, app: Application, kind: str, status: str, actor: Actor, d: ActionInput) -> Approval:
    approval = session.exec(select(Approval).where(
        Approval.application_id == app.id, Approval.kind == kind, Approval.status == "pending")).first()
    if approval is None:
        raise WorkflowError(f"案件 {app.number} 没有待审批的{'延期申请' if kind == 'extension' else '答复'}")
    approval.status, approval.decided_by, approval.decided_on = status, actor.username, d.on
    approval.comment = d.text or d.reason
    return approval


def _fire(session: Session, ctx: CaseContext, actor: Actor, transition: Transition, on: date,
          data: dict[str, Any], today: date, cached: list[CaseClock]) -> None:
    """Run the shared machine, then record the event and refresh the cached clocks; flush once.

    The flush updates the application row `WHERE version = <seen>`: a concurrent writer makes it fail.
    """
    app = ctx.app
    before = app.state
    workflow = _Workflow(before)
    try:
        MACHINE.events[transition.trigger.value].trigger(workflow)
    except MachineError as exc:  # unreachable after blockers(); kept as the machine's own safety net
        raise TransitionNotAllowed(f"当前状态不允许此操作：{exc}") from exc
    event = Event(application_id=app.id or 0, seq=len(ctx.events) + 1, trigger=transition.trigger.value,
                  actor_id=actor.user_id, actor=actor.username, role=actor.role.value, effective_on=on,
                  from_state=None if before == NEW else before, to_state=workflow.state, data=data)
    ctx.events.append(event)
    app.state = workflow.state
    app.updated_at = utcnow()
    moved = refresh_clocks(session, ctx, today, cached)
    if moved:  # the event records the old and new deadlines it caused (immutable once added)
        event.data = {**event.data, "due_changes": {k: [old.isoformat(), new.isoformat()]
                                                    for k, (old, new) in moved.items()}}
    event.application_id = _id(app)
    session.add(event)
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleCase(f"案件 {app.number} 已被他人同时更新，请重新查看后再操作") from exc


def _id(app: Application) -> int:
    assert app.id is not None, "the application row is flushed before it is acted on"
    return app.id


def _cached_clocks(session: Session, app: Application) -> list[CaseClock]:
    if app.id is None:
        return []
    return list(session.exec(select(CaseClock).where(CaseClock.application_id == app.id)).all())


def refresh_clocks(session: Session, ctx: CaseContext, today: date,
                   cached_rows: list[CaseClock]) -> dict[str, tuple[date, date]]:
    """Recompute and cache a case's clocks; returns the running deadlines that moved (kind → (old, new)).

    A clock that starts afresh (a new consultation, a restart after correction) is not a move.
    """
    app = ctx.app
    clocks = ctx.clocks(today)
    app.next_due_on, app.next_due_clock, app.provisional = next_due(clocks)
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
