"""Random action sequences fired at the domain `Case` directly, with no database (SPEC §5).

The same kind of machine as `tests/integration/test_stateful.py` drives the use cases; this one drives
`states.case.Case`: a refused action leaves the case exactly as it was, an accepted one met every
condition of its row, and the case is always what folding its own events again gives.
"""

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from states.case import Case, Refused
from states.clocks import ClockStatus
from states.deadlines import ClockPolicy
from states.fees import FeeQuote, quote_per_item, quote_per_page
from states.lifecycle import TRANSITION_BY_TRIGGER, Role, State, Trigger
from workflow.calendar import CalendarData, calendar_for
from workflow.inputs import ActionInput

CAL = calendar_for(CalendarData())
ROLES: list[Role | None] = [Role.CLERK, Role.HEAD, Role.ADMIN, Role.SYSTEM, None]
TRIGGERS = [t for t in Trigger if t is not Trigger.REGISTER]
FIELDS: dict[Trigger, st.SearchStrategy[dict[str, Any]]] = {
    Trigger.REQUEST_CORRECTION: st.fixed_dictionaries({"text": st.just("请明确信息名称"), "days": st.integers(1, 20)}),
    Trigger.REQUEST_REASONS: st.fixed_dictionaries({"days": st.integers(1, 20)}),
    Trigger.START_CONSULTATION: st.fixed_dictionaries({"party": st.sampled_from(["third_party", "other_agency"])}),
    Trigger.END_CONSULTATION: st.fixed_dictionaries({"reply": st.sampled_from(["consent", "objection", "none"])}),
    Trigger.ISSUE_FEE_NOTICE: st.fixed_dictionaries({"method": st.just("per_page"), "pages": st.integers(1, 300)}),
    Trigger.SUBMIT_RESPONSE: st.fixed_dictionaries({"outcome": st.sampled_from(["1", "2", "3.1", "6.1", "9.9"]),
                                                    "text": st.just("答复")}),
    Trigger.RETURN_RESPONSE: st.fixed_dictionaries({"text": st.just("请补充依据")}),
    Trigger.UNDO_LAPSE_CORRECTION: st.fixed_dictionaries({"reason": st.just("补正已按时送达")}),
    Trigger.UNDO_LAPSE_FEE: st.fixed_dictionaries({"reason": st.just("费用已按时缴纳")}),
}


def _quote(method: str, pages: int | None) -> FeeQuote | str:
    if method == "per_item":
        return quote_per_item(1)
    return quote_per_page(pages) if pages else "按量计收须给出 --pages"


def _picture(case: Case, today: date) -> tuple[Any, ...]:
    """Everything observable of a case on a day."""
    return (case.state, case.outcome, case.concluded_on, len(case.events),
            {k: (c.due_on, c.status) for k, c in case.clocks(today).items()})


class DomainCase(RuleBasedStateMachine):
    """One case, a day that only moves forward, and every action fired by every role."""

    def __init__(self) -> None:
        super().__init__()
        self.case = Case(CAL, ClockPolicy(), number="2025-0001")
        self.today = date(2025, 1, 1)

    @initialize(received=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 6, 30)))
    def register(self, received: date) -> None:
        self.today = received
        fired = self.case.register(role=Role.CLERK, on=received, data={"channel": "online",
                                                                     "applicant_type": "natural"})
        assert fired.to_state is State.RECEIVED and self.case.state is State.RECEIVED

    @rule(days=st.integers(0, 25))
    def time_passes(self, days: int) -> None:
        self.today += timedelta(days=days)

    @rule(trigger=st.sampled_from(TRIGGERS), data=st.data(), complete=st.integers(0, 4))
    def act(self, trigger: Trigger, data: st.DataObject, complete: int) -> None:
        # Mostly one of the roles the row names, sometimes anyone (or no one).
        rightful = sorted(TRANSITION_BY_TRIGGER[trigger].roles)
        role = data.draw(st.one_of(st.sampled_from(rightful), st.sampled_from(rightful), st.sampled_from(ROLES)))
        fields = data.draw(FIELDS[trigger]) if trigger in FIELDS and complete else {}
        inputs = ActionInput(on=self.today, **fields)
        before, state = _picture(self.case, self.today), self.case.state
        row = TRANSITION_BY_TRIGGER[trigger]
        try:
            fired = self.case.fire(trigger, role=role, inputs=inputs, today=self.today, quote=_quote)
        except Refused as refusal:
            assert _picture(self.case, self.today) == before, f"a refused {trigger} changed the case"
            assert refusal.state == (state.value if state else None)
            assert "当前状态" in str(refusal)
            event(f"refused {trigger}")
            return
        event(f"accepted {trigger}")
        assert state in row.sources, f"{trigger} accepted from {state}"
        assert role in row.roles, f"{trigger} accepted from {role}"
        assert all(inputs.has(r) for r in row.requires), f"{trigger} accepted without {row.requires}"
        assert fired.to_state is row.dest is self.case.state
        assert self.case.events[-1] is fired.event and len(self.case.events) == before[3] + 1
        if row.concludes:
            assert self.case.concluded_on == self.today and self.case.outcome is not None
            assert all(c.status is not ClockStatus.RUNNING for c in self.case.clocks(self.today).values())

    def open_triggers(self) -> set[Trigger]:
        """The triggers the case's state allows."""
        return {t for t in TRIGGERS if self.case.state in TRANSITION_BY_TRIGGER[t].sources}

    @rule(data=st.data())
    def act_on_what_is_open(self, data: st.DataObject) -> None:
        open_ = sorted(self.open_triggers())
        if open_:
            self.act(data.draw(st.sampled_from(open_)), data, 1)

    @invariant()
    def the_case_is_the_fold_of_its_events(self) -> None:
        again = Case.from_events(self.case.events, CAL, ClockPolicy(), number=self.case.number)
        assert _picture(again, self.today) == _picture(self.case, self.today)

    @invariant()
    def an_open_case_has_no_outcome(self) -> None:
        if self.case.state is not State.CONCLUDED:
            assert self.case.outcome is None and self.case.concluded_on is None


DomainCase.TestCase.settings = settings(max_examples=150, stateful_step_count=30, deadline=None,
                                        suppress_health_check=[HealthCheck.too_slow])
test_domain_case = DomainCase.TestCase
