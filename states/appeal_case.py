"""An appeal as a domain object (SPEC §7): rebuilt from its events by one fold, like `states.case.Case`.

It knows its state, its reply or defence clock (行政复议法第四十八条: 10 working days; 行政诉讼法第六十七条:
15 days), which actions are open, and fires an action into a new event or refuses with every reason.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from states.appeals import (
    APPEAL_ROLES,
    APPEAL_STATE_LABELS,
    APPEAL_TRANSITIONS,
    CLOCK_OF,
    DECISIONS,
    KIND_LABELS,
    WITHDRAWAL_DECISION,
    AppealKind,
    AppealState,
    AppealTransition,
    AppealTrigger,
    Route,
    decisions_for,
    find_decision,
    open_from,
)
from states.case import Refused
from states.clocks import RULES, ClockStatus
from states.deadlines import Clock, LegalEvent, settled
from states.lifecycle import ROLE_LABELS, Role
from states.periods import due_date
from states.workdays import WorkingDays


def appeal_due(calendar: WorkingDays, kind: AppealKind, received_on: date) -> date:
    """The last day to reply (复议) or file the defence (诉讼), counted from the day the copy was received."""
    rule = RULES[CLOCK_OF[kind]]
    assert rule.length is not None, "appeal clocks have a statutory length"
    return due_date(calendar, received_on, rule.length, rule.unit, [], received_on)


def reply_clock(calendar: WorkingDays, kind: AppealKind, received_on: date, state: AppealState,
                replied_on: date | None, decision: str | None, decided_on: date | None, today: date) -> Clock:
    """An appeal's reply or defence clock as of `today`: running, overdue, met (possibly late) or closed."""
    rule, due = RULES[CLOCK_OF[kind]], appeal_due(calendar, kind, received_on)
    notes: list[str] = []
    ended_on: date | None = None
    if replied_on is not None:
        phase, ended_on = ClockStatus.MET, replied_on
        what = "书面答复" if kind is AppealKind.RECONSIDERATION else "答辩状"
        notes.append(f"{replied_on} 已提交{what}" + ("（晚于期限）" if replied_on > due else ""))
    elif state in (AppealState.DECIDED, AppealState.WITHDRAWN):
        phase, ended_on = ClockStatus.CLOSED, decided_on
        label = DECISIONS[decision].label if decision in DECISIONS else ""
        notes.append(f"{decided_on} 未提交答复即结案：{label}")
    else:
        phase = ClockStatus.RUNNING
    return settled(rule.kind, received_on, due, phase, ended_on, calendar, today, notes=tuple(notes))


def _copy(kind: AppealKind) -> str:
    return "行政复议申请书副本" if kind is AppealKind.RECONSIDERATION else "起诉状副本"


def decision_problem(kind: AppealKind, name: str | None) -> str | None:
    """Why `name` is not a decision of this kind of appeal (None when it is one)."""
    if not name:
        return "登记结果须用 --decision 给出决定（代码或中文名称）"
    if find_decision(kind, name) is not None:
        return None
    options = "、".join(f"{d.code}（{d.label}）" for d in decisions_for(kind))
    other = next((d for d in DECISIONS.values() if d.kind is not kind and name.strip() in (d.code, d.label)), None)
    head = (f"「{other.label}」（{other.code}）是{KIND_LABELS[other.kind]}的结果，不适用于{KIND_LABELS[kind]}"
            if other else f"未知的决定 {name!r}")
    return f"{head}；{KIND_LABELS[kind]}可选：{options}"


def _role_problem(role: Role | None) -> str | None:
    allowed = "、".join(ROLE_LABELS[r] for r in APPEAL_ROLES)
    if role is None:
        return f"未指定操作用户：请用 --as（或环境变量 OGI_USER）指定{allowed}用户"
    if role not in APPEAL_ROLES:
        return f"只能由{allowed}执行，当前用户是{ROLE_LABELS[role]}"
    return None


@dataclass
class AppealCase:
    """One appeal as its events make it; `name` says which appeal, in refusals."""

    calendar: WorkingDays
    name: str = ""
    events: list[LegalEvent] = field(default_factory=list)
    _state: AppealState | None = field(default=None, init=False)  # set by the fold only
    # What the fold knows of the appeal (never given from outside):
    kind: AppealKind = field(default=AppealKind.RECONSIDERATION, init=False)
    route: Route | None = field(default=None, init=False)
    received_on: date | None = field(default=None, init=False)
    replied_on: date | None = field(default=None, init=False)
    decision: str | None = field(default=None, init=False)
    decided_on: date | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        replay, self.events = self.events, []
        for e in replay:
            self._apply(e)

    @classmethod
    def from_events(cls, events: Iterable[LegalEvent], calendar: WorkingDays, *, name: str = "") -> "AppealCase":
        """The appeal its recorded events make, folded in order."""
        return cls(calendar, name, list(events))

    def _apply(self, e: LegalEvent) -> None:
        trigger = AppealTrigger(e.trigger)
        if trigger is AppealTrigger.FILE:
            self.kind = AppealKind(e.data["kind"])
            route = e.data.get("route")
            self.route = Route(route) if route else None
            self.received_on = e.on
        elif trigger is AppealTrigger.SUBMIT_REPLY:
            self.replied_on = e.on
        else:
            self.decision, self.decided_on = e.data.get("decision"), e.on
        self._state = APPEAL_TRANSITIONS[trigger].dest
        self.events.append(e)

    @property
    def state(self) -> AppealState | None:
        """Where the appeal stands: what its events say, never assigned."""
        return self._state

    @property
    def due_on(self) -> date:
        """The reply or defence deadline."""
        assert self.received_on is not None, "a filed appeal has its receipt date"
        return appeal_due(self.calendar, self.kind, self.received_on)

    def clock(self, today: date) -> Clock:
        """The appeal's clock as of `today`: running, overdue, met (possibly late) or closed without a reply."""
        assert self.received_on is not None and self.state is not None, "a filed appeal has its receipt date"
        return reply_clock(self.calendar, self.kind, self.received_on, self.state, self.replied_on,
                           self.decision, self.decided_on, today)

    def options(self) -> list[AppealTransition]:
        """The actions open from the current state, in table order."""
        return open_from(self.state) if self.state is not None else []

    def standing(self) -> tuple[str, tuple[str, ...]]:
        """The lines a refusal ends with: the appeal's state and the actions open from it."""
        open_ = self.options()
        text = "、".join(f"{t.trigger.value}（{t.label}）" for t in open_) or "无（已结案）"
        state = self.state or AppealState.FILED
        return (f"当前状态：{APPEAL_STATE_LABELS[state]}（{state.value}）\n可执行的操作：{text}",
                tuple(t.trigger.value for t in open_))

    def _refuse(self, transition: AppealTransition, problems: list[str]) -> Refused:
        standing, allowed = self.standing()
        return Refused(f"不能对{self.name}执行「{transition.label}」（{transition.trigger.value}）：\n"
                       + "\n".join(f"- {p}" for p in problems) + f"\n{standing}",
                       state=self.state.value if self.state else None, allowed=allowed)

    def file(self, *, role: Role | None, kind: AppealKind, route: Route | None, received_on: date,
             case: tuple[str, date], today: date, data: dict[str, Any]) -> LegalEvent:
        """Record a reconsideration or lawsuit received on `received_on` against `case` (its number and
        receipt date)."""
        number, case_received_on = case
        problems = [p for p in (_role_problem(role),) if p]
        if received_on < case_received_on:
            problems.append(f"收到{_copy(kind)}之日 {received_on} 早于案件 {number} 的收到申请之日 {case_received_on}")
        if received_on > today:
            problems.append(f"收到{_copy(kind)}之日 {received_on} 晚于今天（{today}）")
        if problems:
            raise Refused("；".join(problems))
        event = LegalEvent(AppealTrigger.FILE.value, received_on, {
            "kind": kind.value, "route": route.value if route else None,
            **data, "due_on": appeal_due(self.calendar, kind, received_on).isoformat()})
        self._apply(event)
        return event

    def fire(self, trigger: AppealTrigger, *, role: Role | None, on: date, today: date,
             decision: str | None = None, reason: str | None = None) -> LegalEvent:
        """Take one action (submit_reply, decide, withdraw) on its legal date `on`, or refuse and change nothing."""
        transition = APPEAL_TRANSITIONS[trigger]
        problems = [p for p in (_role_problem(role),) if p]
        if self.state not in transition.sources:
            state = self.state or AppealState.FILED
            problems.append(f"「{APPEAL_STATE_LABELS[state]}」状态下不能{transition.label}")
        if on > today:
            problems.append(f"办理日期 {on} 晚于今天（{today}）")
        last = self.events[-1].on if self.events else self.received_on
        if self.received_on is not None and on < self.received_on:
            problems.append(f"办理日期 {on} 早于收到副本之日 {self.received_on}")
        elif last is not None and on < last:
            problems.append(f"办理日期 {on} 早于上一次办理日期 {last}（按时间顺序记录）")
        if "decision" in transition.requires:
            problem = decision_problem(self.kind, decision)
            problems += [problem] if problem else []
        elif decision is not None:
            problems.append(f"--decision 只适用于 decide（登记结果），不适用于「{transition.label}」")
        if problems:
            raise self._refuse(transition, problems)
        data: dict[str, Any] = {"reason": reason} if reason else {}
        if trigger is AppealTrigger.SUBMIT_REPLY:
            data.update(due_on=self.due_on.isoformat(), late=on > self.due_on)
        else:
            found = find_decision(self.kind, decision or "") if "decision" in transition.requires else None
            data["decision"] = found.code if found else WITHDRAWAL_DECISION[self.kind]
        event = LegalEvent(trigger.value, on, data)
        self._apply(event)
        return event
