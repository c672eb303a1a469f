"""The case as a domain object: rebuilt from its events by one fold, it knows its state, facts and clocks,
which actions are open to whom (and why the others are not), and fires an action into a new event.

The state is never assigned from outside: it is what the fold of the events says. Firing checks every
condition first (dates, state, role, guards, inputs, the fee), so a refused action changes nothing.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from transitions import MachineError

from states import lapses
from states.clocks import ClockKind, ClockStatus
from states.deadlines import Clock, ClockPolicy, LegalEvent, Recorded, settle
from states.fees import FeeQuote, fee_problems, quote_data
from states.fold import CaseFold
from states.guards import CaseFacts
from states.inputs import FIELD_LABELS, ActionInputs
from states.lifecycle import (
    ROLE_LABELS,
    STATE_LABELS,
    TRANSITION_BY_TRIGGER,
    Role,
    State,
    Transition,
    Trigger,
    transition_of,
    transitions_from,
)
from states.machine import MACHINE, NEW
from states.policy import blockers, late_reason
from states.workdays import WorkingDays


class Refused(Exception):
    """An action that cannot be taken now: why, the current state and the actions this user may take."""

    def __init__(self, message: str, *, state: str | None = None, allowed: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.state = state
        self.allowed = allowed


@dataclass(frozen=True)
class ActionOption:
    """One action from the current state: why it is unavailable (empty: available), and any late warning."""

    transition: Transition
    blockers: list[str]
    needs_reason: str | None
    applies: bool  # its conditions hold (its guards pass), whoever's role it is


@dataclass(frozen=True)
class Fired:
    """What firing an action produced: the new event, and the state it moved the case from and to."""

    event: LegalEvent
    from_state: State | None
    to_state: State


@dataclass
class _Move:
    """The object the shared machine drives: only the state (ARCHITECTURE decision 2)."""

    state: str


_CLOSED = ClockStatus.CLOSED  # a module constant reads faster than an enum member, once per folded event

QuoteFor = Callable[[str, int | None], FeeQuote | str]  # (method, pages) → the quote, or why there is none


@dataclass
class Case:
    """One application as its events make it."""

    calendar: WorkingDays
    policy: ClockPolicy = field(default_factory=ClockPolicy)
    number: str = ""
    events: list[Recorded] = field(default_factory=list)
    _state: State | None = field(default=None, init=False)  # set by the fold only
    _fold: CaseFold = field(init=False)
    _settled: dict[date, dict[ClockKind, Clock]] = field(default_factory=dict, init=False)  # until the next event
    _moves: list[tuple[State | None, State]] = field(default_factory=list, init=False)  # (from, to) per event

    def __post_init__(self) -> None:
        self._fold = CaseFold(self.policy)
        replay, self.events = self.events, []
        for e in replay:
            self._apply(e)

    @classmethod
    def from_events(cls, events: Iterable[Recorded], calendar: WorkingDays, policy: ClockPolicy = ClockPolicy(),
                    *, number: str = "") -> "Case":
        """The case its recorded events make, folded in order."""
        return cls(calendar, policy, number, list(events))

    # --- the fold ------------------------------------------------------------------------------------------

    def _apply(self, e: Recorded) -> None:
        """One event: its action's effect, then what every event does (pauses, undoing, concluding)."""
        row = transition_of(e.trigger)
        f = self._fold
        ended_by_previous, f.reopenable = f.reopenable, None
        if row.resumes:  # an action that moves the case on ends an open pause of the response clock
            f.resume(e.on)
        row.effect(f, e)
        if e.trigger in lapses.BY_UNDO:
            # The lapse was wrong: reopen what it closed, as if it had not happened (the fee pause too,
            # so that the payment recorded next ends it on the day it was really made).
            for run in f.runs.values():
                if run.ended is ClockStatus.CLOSED and run.ended_on == f.concluded_on:
                    run.ended = run.ended_on = None
                    run.ended_note = ""
            paused = f.runs.get(ClockKind.RESPONSE)
            if ended_by_previous is not None and paused is not None:
                paused.pauses[-1] = ended_by_previous
            f.concluded_on, f.outcome = None, None
            f.undone = f.undone | {lapses.BY_UNDO[e.trigger].lapse.value}
        if e.trigger in lapses.BY_OPENER:  # a new notice opens a new period, which may lapse again
            f.undone = f.undone - {lapses.BY_OPENER[e.trigger].lapse.value}
        if row.concludes:
            f.concluded_on = e.on
            f.outcome = e.data.get("outcome", row.outcome)
            for kind in f.runs:
                f.end(kind, _CLOSED, e.on, "案件已办结")
        before, self._state = self._state, row.leads_from(self._state)
        self._moves.append((before, self._state))
        self.events.append(e)
        self._settled.clear()

    # --- what the case knows -------------------------------------------------------------------------------

    @property
    def state(self) -> State | None:
        """Where the case stands (None before registration): what its events say, never assigned."""
        return self._state

    @property
    def outcome(self) -> str | None:
        """The report outcome of a concluded case (SPEC §6), else None."""
        return self._fold.outcome

    @property
    def concluded_on(self) -> date | None:
        """The legal date the case was concluded on, else None."""
        return self._fold.concluded_on

    @property
    def assignee(self) -> str | None:
        """The 承办人 a head assigned, if any (else the clerk who registered the case)."""
        return self._fold.assignee

    @property
    def moves(self) -> list[tuple[State | None, State]]:
        """The state each event moved the case from and to, in order (what the stored events must say)."""
        return list(self._moves)

    @property
    def received_on(self) -> date | None:
        """The receipt date (条例第三十一条), from the registration."""
        return self.events[0].on if self.events else None

    @property
    def version(self) -> int:
        """How many events the case has: the version a form was opened on."""
        return len(self.events)

    def clocks(self, as_of: date) -> dict[ClockKind, Clock]:
        """Every clock the case has had, as of a day, in the order they were opened."""
        if as_of not in self._settled:  # an action asks for the same day's clocks several times
            self._settled[as_of] = {kind: settle(run, self.calendar, as_of) for kind, run in self._fold.runs.items()}
        return dict(self._settled[as_of])

    def facts(self, on: date, inputs: ActionInputs | None = None,
              clocks: Mapping[ClockKind, Clock] | None = None) -> CaseFacts:
        """What the guards know, as of the action's legal date (with what the action proposes)."""
        f = self._fold
        live = clocks if clocks is not None else self.clocks(on)
        due = {k: c.due_on for k, c in live.items() if c.phase in (ClockStatus.RUNNING, ClockStatus.PAUSED)}
        last = self.events[-1] if self.events else None
        proposed: dict[str, Any] = {}
        if inputs is not None:
            proposed = {"outcome": inputs.outcome, "reply": inputs.reply, "has_text": inputs.text is not None,
                        "until": inputs.until}
        return CaseFacts(on=on, due=due, correction_requested_on=f.correction_requested_on,
                         correction_received_on=f.correction_received_on, extension=f.extension,
                         extension_requested_on=f.extension_requested_on, undone=f.undone,
                         last_trigger=last.trigger if last else None,
                         last_source=last.data.get("source") if last else None, **proposed)

    def options(self, role: Role | None, on: date) -> list[ActionOption]:
        """Every action from the current state, for this role, as of `on` (drives refusals, `ogi show`, forms)."""
        if self.state is None:
            return []
        facts = self.facts(on)
        return [ActionOption(t, blockers(t, self.state, role, facts, has_reason=True), late_reason(t, facts, False),
                             all(check(facts) is None for check in t.guards))
                for t in transitions_from(self.state) if t.offered]

    def available(self, role: Role | None, on: date) -> list[Transition]:
        """The actions this role may take now."""
        return [o.transition for o in self.options(role, on) if not o.blockers]

    def standing(self, role: Role | None, on: date) -> tuple[str, tuple[str, ...]]:
        """The lines every refusal ends with: the current state and the actions this role may take."""
        if self.state is None:
            return "案件尚未登记", ()
        actions = self.options(role, on)
        open_ = [a for a in actions if not a.blockers]
        if open_:
            text = "、".join(f"{a.transition.trigger.value}（{a.transition.label}"
                            f"{'，须 --reason' if a.needs_reason else ''}）" for a in open_)
        else:  # what others may do here: the actions whose conditions hold, whoever's role they are
            others = [f"{a.transition.trigger.value}（{a.transition.label}，"
                      f"{'/'.join(ROLE_LABELS[r] for r in sorted(a.transition.roles))}）" for a in actions if a.applies]
            text = "当前用户无可执行的操作" + (f"；此状态下的操作：{'、'.join(others)}" if others else "")
        return (f"当前状态：{STATE_LABELS[self.state]}（{self.state.value}）\n可执行的操作：{text}",
                tuple(a.transition.trigger.value for a in open_))

    def refusal(self, role: Role | None, on: date, headline: str, reasons: list[str]) -> Refused:
        """A refusal naming every reason, the current state and the actions open to this role."""
        standing, allowed = self.standing(role, on)
        body = "\n".join(f"- {r}" for r in reasons)
        return Refused(f"{headline}\n{body}\n{standing}", state=self.state.value if self.state else None,
                       allowed=allowed)

    # --- acting ---------------------------------------------------------------------------------------------

    def register(self, *, role: Role | None, on: date, data: Mapping[str, Any]) -> Fired:
        """条例第二十九条、第三十一条: the first event of a case, on its receipt date."""
        transition = TRANSITION_BY_TRIGGER[Trigger.REGISTER]
        why = blockers(transition, self.state, role, CaseFacts(on=on))
        if why:
            raise Refused("不能登记申请：\n" + "\n".join(f"- {r}" for r in why))
        return self._move(transition, LegalEvent(Trigger.REGISTER.value, on, dict(data)))

    def fire(self, trigger: Trigger, *, role: Role | None, inputs: ActionInputs, today: date,
             quote: QuoteFor | None = None, named: Mapping[str, Any] | None = None) -> Fired:
        """Take one action of SPEC §5 on `inputs.on`, or raise `Refused` with every reason and change nothing.

        `quote` prices a fee notice from the applicant's other applications; `named` is what the letter of a
        concluding action or fee notice names of the agency (its bodies and payment channel) today.
        """
        transition = TRANSITION_BY_TRIGGER[trigger]
        on = inputs.on
        problems = self._date_problems(trigger, inputs, today)
        clocks = self.clocks(on)
        facts = self.facts(on, inputs, clocks)
        if not problems:
            problems = blockers(transition, self.state, role, facts, has_reason=inputs.reason is not None)
        if not problems:
            problems = self._input_problems(transition, inputs)
        priced: FeeQuote | None = None
        if not problems and transition.quotes_fee and inputs.method and quote is not None:
            got = quote(inputs.method, inputs.pages)
            if isinstance(got, str):
                problems = [got]
            else:
                priced, problems = got, fee_problems(got, inputs.amount, inputs.reason is not None)
        if problems:
            headline = f"不能对案件 {self.number} 执行「{transition.label}」（{trigger.value}）："
            raise self.refusal(role, on, headline, problems)
        data = inputs.event_data()
        late_clock = transition.late_after
        due = facts.due.get(late_clock) if late_clock is not None else None
        if late_clock is not None and due is not None and on > due and inputs.reason is not None:
            data["late"] = {"clock": late_clock.value, "due_on": due.isoformat(), "reason": inputs.reason}
        if transition.names_bodies and named is not None:
            data["named"] = dict(named)
        if transition.record is not None:
            data.update(transition.record(self._fold, clocks, on))
        if priced is not None:
            data["quote"] = quote_data(priced)
            data["amount"] = str(inputs.amount if inputs.amount is not None else priced.amount)
        if trigger.value in lapses.BY_UNDO:
            data["undone_outcome"] = self.outcome
        if transition.concludes:
            data["outcome"] = transition.outcome or self._fold.proposed_outcome
        return self._move(transition, LegalEvent(trigger.value, on, data))

    def _move(self, transition: Transition, event: LegalEvent) -> Fired:
        before = self.state
        move = _Move(before.value if before else NEW)
        try:
            MACHINE.events[transition.trigger.value].trigger(move)
        except MachineError as exc:  # unreachable after blockers(); the machine's own safety net
            raise Refused(f"当前状态不允许此操作：{exc}", state=before.value if before else None) from exc
        self._apply(event)
        assert self.state is not None and self.state.value == move.state, "the fold and the machine agree"
        return Fired(event, before, self.state)

    def _date_problems(self, trigger: Trigger, inputs: ActionInputs, today: date) -> list[str]:
        on, problems = inputs.on, []
        if on > today:
            problems.append(f"办理日期 {on} 晚于今天（{today}）")
        # The case file runs in date order, but an undone lapse never happened: recording the correction or
        # payment that in fact arrived in time may go back to the day of the event before the lapse.
        undone = lapses.BY_UNDO.get(self.events[-1].trigger) if len(self.events) >= 2 else None
        kept = self.events[:-2] if undone is not None and undone.arrived is trigger else self.events
        last = kept[-1].on if kept else self.received_on
        if last is not None and on < last:
            problems.append(f"办理日期 {on} 早于该案上一次办理日期 {last}（案卷按时间顺序记录）")
        if inputs.served_on is not None and not on <= inputs.served_on <= today:
            problems.append(f"送达日期 {inputs.served_on} 应在办理日期 {on} 与今天（{today}）之间")
        if inputs.until is not None and inputs.until <= on:
            problems.append(f"期限 --until {inputs.until} 应晚于办理日期 {on}")
        if inputs.until is not None and inputs.days is not None:
            problems.append("--until 与 --days 只能给出一个")
        return problems

    @staticmethod
    def _input_problems(transition: Transition, inputs: ActionInputs) -> list[str]:
        problems = [f"缺少{FIELD_LABELS[r]}" for r in transition.requires if not inputs.has(r)]
        wanted = {"until", "days"} if "period" in transition.requires else set()
        wanted |= set(transition.requires) | set(transition.accepts)
        problems += [f"{FIELD_LABELS[f]}不适用于「{transition.label}」" for f in sorted(inputs.given() - wanted)]
        return problems


def compute_clocks(events: Iterable[Recorded], calendar: WorkingDays, today: date,
                   policy: ClockPolicy = ClockPolicy()) -> dict[ClockKind, Clock]:
    """All clocks a history gives, as of `today` (the fold of `Case`, for callers that need only the clocks)."""
    return Case.from_events(events, calendar, policy).clocks(today)
