"""Random action sequences through the real use cases, on SQLite and on PostgreSQL: refusals change nothing,
history stays sound.

A hypothesis `RuleBasedStateMachine` registers applications and fires every trigger of SPEC §5 at
them — by the right and the wrong users, from the right and the wrong states, with and without the
required fields, on dates in and out of order — while the date only moves forward.
"""

import shutil
import tempfile
from contextlib import ExitStack
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func
from sqlmodel import col, select

from states.case import compute_clocks
from states.clocks import RULES, ClockKind, ClockStatus, Unit
from states.deadlines import LegalEvent
from states.lifecycle import TRANSITION_BY_TRIGGER, Role, State, Trigger
from states.outcomes import OUTCOMES, SYSTEM_OUTCOMES, ApplicantType, Channel
from tests.integration.conftest import database_url
from workflow import admin, cases, queries
from workflow.calendar import CalendarData, calendar_for
from workflow.calendar_store import load_calendar
from workflow.db import Database, resolve_url
from workflow.errors import WorkflowError
from workflow.inputs import ActionInput, ApplicationCreate
from workflow.models import Agency, Application, Approval, CalendarDay, CaseClock, Event

AGENCY = "测试市测试区人民政府办公室"
LAST_DAY = date(2027, 12, 31)
MAX_CASES = 3
CAL = calendar_for(CalendarData())  # the database holds no overrides, so this is the engine's calendar
USER_OF_ROLE = {Role.CLERK: "clerk", Role.HEAD: "head", Role.SYSTEM: "system", Role.ADMIN: "admin"}
ACTORS: list[str | None] = ["clerk", "head", "admin", "system", "ghost", None]  # ghost: no such user
TRIGGERS = [t.value for t in Trigger if t is not Trigger.REGISTER]
CONCLUDING_OUTCOME = {"lapse_correction": "6.1", "lapse_fee": "6.2", "withdraw": "6.3"}
RESPONSE_OUTCOMES = [c for c in OUTCOMES if c not in SYSTEM_OUTCOMES]
OPENED_BY = {ClockKind.CORRECTION: "request_correction", ClockKind.REASONS: "request_reasons"}


def _complete_fields(trigger: str, on: date, data: st.DataObject) -> dict[str, Any]:
    """The fields an action of `trigger` needs (SPEC §5 'rule' column), with plausible values."""
    draw = data.draw
    if trigger in ("request_correction", "request_reasons"):
        fields: dict[str, Any] = {"text": "请明确所需信息的名称、文号或者便于查询的其他特征性描述"}
        if draw(st.booleans()):
            fields["days"] = draw(st.integers(1, 20))
        else:
            fields["until"] = on + timedelta(days=draw(st.integers(0, 30)))
        return fields
    if trigger == "start_consultation":
        fields = {"party": draw(st.sampled_from(["third_party", "other_agency"]))}
        if draw(st.booleans()):
            fields["served_on"] = on + timedelta(days=draw(st.integers(0, 5)))
        return fields
    if trigger == "end_consultation":
        return {"reply": draw(st.sampled_from(["consent", "objection", "none"]))}
    if trigger == "issue_fee_notice":
        # Mostly per page with the computed amount; sometimes per item (a first application: free, refused),
        # a different amount (refused without --reason) or no page count (refused).
        fields = {"method": draw(st.sampled_from(["per_page", "per_page", "per_page", "per_item"]))}
        if draw(st.integers(0, 5)):
            fields["pages"] = draw(st.integers(1, 300))
        if draw(st.integers(0, 3)) == 0:
            fields["amount"] = Decimal(draw(st.integers(1, 2000)))
        return fields
    if trigger == "receive_reasons" and draw(st.integers(0, 3)) == 0:
        return {"until": on + timedelta(days=draw(st.integers(0, 40)))}
    if trigger == "submit_response":
        # Mostly a valid response outcome; sometimes one only the system may set, or no such code (refused).
        return {"outcome": draw(st.one_of(st.sampled_from(RESPONSE_OUTCOMES),
                                          st.sampled_from([*SYSTEM_OUTCOMES, "9.9"]))),
                "text": "经检索，现将相关信息提供给您"}
    if trigger == "return_response":
        return {"text": "请补充法律依据"}
    return {}


def _snapshot(db: Database) -> dict[str, Any]:
    """Everything a refusal must leave alone."""
    with db.unit_of_work() as session:
        return {
            "apps": [a.model_dump() for a in session.exec(select(Application).order_by(col(Application.id))).all()],
            "events": session.exec(select(func.count()).select_from(Event)).one(),
            "clocks": [c.model_dump() for c in session.exec(select(CaseClock).order_by(col(CaseClock.id))).all()],
            "approvals": [a.model_dump() for a in session.exec(select(Approval).order_by(col(Approval.id))).all()],
            "calendar": session.exec(select(func.count()).select_from(CalendarDay)).one(),
        }


def _counts_working_days(kind: ClockKind, events: list[Event]) -> bool:
    """Whether a clock's due date is a counted working day rather than a date the agency fixed."""
    if kind is ClockKind.RESPONSE:
        since = max((i for i, e in enumerate(events) if e.trigger in ("register", "receive_correction")), default=0)
        return not any(e.trigger == "receive_reasons" and "until" in e.data for e in events[since:])
    if kind in OPENED_BY:
        opener = [e for e in events if e.trigger == OPENED_BY[kind]][-1]
        return "until" not in opener.data
    return RULES[kind].unit is Unit.WORKING_DAYS


class CaseHandling(RuleBasedStateMachine):
    """One agency (admin, clerk, head) on a fresh database; a few cases; a clock that only moves forward."""

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="ogi-stateful-"))
        self.resources = ExitStack()
        self.db = Database(resolve_url(self.resources.enter_context(database_url(self.backend, self.dir))))
        admin.init(self.db, agency=AGENCY)
        admin.add_user(self.db, actor_name="admin", username="clerk", role="clerk")
        admin.add_user(self.db, actor_name="admin", username="head", role="head")
        self.today = date(2024, 1, 1)
        self.numbers: list[str] = []
        self.written_on: dict[str, date] = {}  # the `today` of each case's last write (its cached clocks' day)

    backend = "sqlite"

    def teardown(self) -> None:
        self.db.dispose()
        self.resources.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- rules -------------------------------------------------------------------------------------------------

    @initialize(start=st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 12, 31)))
    def first_application(self, start: date) -> None:
        self.today = start
        self._register(0, "clerk", ApplicantType.NATURAL, Channel.ONLINE)

    # One rule, so that swarm testing cannot switch acting off: each step is a day at the office.
    @rule(data=st.data())
    def office_day(self, data: st.DataObject) -> None:
        """Time may pass; then a new application arrives, or someone acts on a case."""
        days = data.draw(st.one_of(st.just(0), st.integers(1, 3), st.integers(4, 45)), label="days pass")
        self.today = min(self.today + timedelta(days=days), LAST_DAY)
        if len(self.numbers) < MAX_CASES and data.draw(st.integers(0, 7)) == 7:
            self._register(data.draw(st.integers(-1, 4), label="received days ago"),
                           data.draw(st.sampled_from(["clerk", "clerk", "clerk", "head", "ghost"]), label="actor"),
                           data.draw(st.sampled_from(list(ApplicantType))), data.draw(st.sampled_from(list(Channel))))
        else:
            self._act(data)

    def _register(self, back: int, actor: str, applicant_type: ApplicantType, channel: Channel) -> None:
        received = self.today - timedelta(days=back)  # back == -1: a receipt date in the future
        data = ApplicationCreate(applicant_name="张三", applicant_type=applicant_type, channel=channel,
                                 received_on=received, request="某项目的环境影响评价批复")
        before = _snapshot(self.db)
        try:
            number = cases.register(self.db, actor_name=actor, data=data, today=self.today).number
        except WorkflowError as refusal:
            event(f"refused register: {type(refusal).__name__}")
            assert _snapshot(self.db) == before
            assert actor != "clerk" or received > self.today
            return
        event("accepted register")
        assert actor == "clerk" and received <= self.today, "only a clerk registers, never with a future date"
        assert number not in self.numbers
        case = self._show(number)
        assert case["state"] == State.RECEIVED and case["version"] == 1 and len(case["events"]) == 1
        assert case["received_on"] == received.isoformat()
        self.numbers.append(number)
        self.written_on[number] = self.today

    def _act(self, data: st.DataObject) -> None:
        number = data.draw(st.sampled_from(self.numbers), label="number")
        pre = self._show(number)
        # Mostly an action the clerk, the head or the system could take now (so cases get far), sometimes one the state
        # offers to someone, else anything at all.
        offered = [a["trigger"] for a in pre["actions"]]
        views = (pre, self._show(number, as_="head"), self._show(number, as_="system"))
        available = list(dict.fromkeys(a["trigger"] for view in views for a in view["actions"] if a["available"]))
        if len(available) > 1 and data.draw(st.integers(0, 3)) < 3:
            # Withdrawals happen, but should not end most cases at once.
            available = [t for t in available if t != "withdraw"]
        anything = st.one_of(st.sampled_from(TRIGGERS), st.sampled_from(["register", "no_such_action"]))
        pick = data.draw(st.integers(0, 5))
        trigger = data.draw(st.sampled_from(available) if available and pick < 4
                            else st.sampled_from(offered) if offered and pick == 4 else anything, label="trigger")
        transition = TRANSITION_BY_TRIGGER[Trigger(trigger)] if trigger in TRIGGERS else None
        if transition is not None and data.draw(st.integers(0, 4)) < 4:
            actor = USER_OF_ROLE[data.draw(st.sampled_from(sorted(transition.roles)), label="role")]
        else:
            actor = data.draw(st.sampled_from(ACTORS), label="actor")
        back = data.draw(st.one_of(st.just(0), st.integers(-1, 10)), label="days before today")
        on = self.today - timedelta(days=back)
        fields = _complete_fields(trigger, on, data)
        if fields and data.draw(st.integers(0, 5)) == 5:  # leave one field out
            fields.pop(data.draw(st.sampled_from(sorted(fields))))
        if data.draw(st.integers(0, 3)) == 3:
            fields["reason"] = "承办人出差，邮件延误"
        stale = {8: pre["version"], 9: pre["version"] - 1}.get(data.draw(st.integers(0, 9)))  # mostly None
        before = _snapshot(self.db)
        try:
            version = cases.act(self.db, actor_name=actor, number=number, trigger=trigger,
                                data=ActionInput(on=on, **fields), today=self.today, expected_version=stale).version
        except WorkflowError as refusal:
            event(f"refused {trigger}: {type(refusal).__name__}")
            assert _snapshot(self.db) == before, f"a refused {trigger} changed the database"
            assert self._show(number) == pre, f"a refused {trigger} changed case {number}"
            return
        event(f"accepted {trigger}")
        self._check_accepted(pre, number, trigger, actor, on, fields, stale, version)
        self.written_on[number] = self.today

    def _check_accepted(self, pre: dict[str, Any], number: str, trigger: str, actor: str | None, on: date,
                        fields: dict[str, Any], stale: int | None, version: int) -> None:
        """An accepted action met every precondition SPEC §5 states, and wrote exactly one event."""
        transition = TRANSITION_BY_TRIGGER[Trigger(trigger)]
        assert trigger != "register"
        assert State(pre["state"]) in transition.sources, f"{trigger} accepted in state {pre['state']}"
        assert actor is not None and any(USER_OF_ROLE[r] == actor for r in transition.roles), \
            f"{trigger} accepted from {actor}"
        missing = [r for r in transition.requires if not ActionInput(on=on, **fields).has(r)]
        assert missing == [], f"{trigger} accepted without {missing}"
        assert on <= self.today, "an action dated in the future was accepted"
        assert on >= date.fromisoformat(pre["events"][-1]["effective_on"]), "an action dated before the last one"
        assert stale in (None, pre["version"]), "a stale version was accepted"
        post = self._show(number)
        assert version == post["version"] == pre["version"] + 1
        assert len(post["events"]) == len(pre["events"]) + 1
        event = post["events"][-1]
        assert (event["trigger"], event["effective_on"], event["actor"]) == (trigger, on.isoformat(), actor)
        assert (event["from_state"], event["to_state"]) == (pre["state"], transition.dest.value)
        assert post["state"] == transition.dest
        if trigger == "submit_response":
            assert fields["outcome"] in RESPONSE_OUTCOMES, f"response with outcome {fields['outcome']} accepted"
        if trigger == "request_correction":
            assert not any(e["trigger"] == "request_correction" for e in pre["events"]), "a second correction notice"
        if transition.late_after is not None:  # SPEC §4: a late action needs a reason, kept in the event
            clock = pre["clocks"].get(transition.late_after.value)
            if clock and clock["ended_on"] is None and clock["status"] != ClockStatus.STOPPED \
                    and on > date.fromisoformat(clock["due_on"]):
                assert "reason" in fields, f"a late {trigger} was accepted without a reason"
                assert event["data"]["late"] == {"clock": transition.late_after.value, "due_on": clock["due_on"],
                                                 "reason": fields["reason"]}
        if trigger == "receive_correction":  # 条例第三十条: the response period restarts on the corrected receipt
            assert post["clocks"]["response"]["start_on"] == on.isoformat()
            assert post["clocks"]["response"]["due_on"] == CAL.add_working_days(
                on, 40 if post["clocks"]["response"]["extended"] else 20).isoformat()
        if trigger == "approve_extension" and not any(e["trigger"] == "receive_reasons" and "until" in e["data"]
                                                      for e in pre["events"]):
            old = pre["clocks"]["response"]["due_on"]
            assert event["data"]["old_due_on"] == old
            assert post["clocks"]["response"]["due_on"] == CAL.add_working_days(
                date.fromisoformat(old), 20).isoformat(), "an approved extension adds exactly 20 working days"
        if transition.dest is State.CONCLUDED:
            expected = CONCLUDING_OUTCOME.get(trigger) or next(
                a["proposal"]["outcome"] for a in reversed(post["approvals"]) if a["kind"] == "response")
            assert post["outcome"] == expected and post["concluded_on"] == on.isoformat()

    # --- invariants --------------------------------------------------------------------------------------------

    def _show(self, number: str, *, as_: str = "clerk") -> dict[str, Any]:
        return queries.show_case(self.db, number=number, actor_name=as_, today=self.today)

    @invariant()
    def every_case_is_consistent_with_its_history(self) -> None:
        with self.db.unit_of_work() as session:
            calendar = load_calendar(session)
            apps = session.exec(select(Application)).all()
            assert sorted(a.number for a in apps) == sorted(self.numbers)
            for app in apps:
                events = list(session.exec(select(Event).where(Event.application_id == app.id)
                                           .order_by(col(Event.seq))).all())
                clocks = {ClockKind(c.kind): c for c in session.exec(
                    select(CaseClock).where(CaseClock.application_id == app.id)).all()}
                approvals = session.exec(select(Approval).where(Approval.application_id == app.id)).all()
                self._check_history(app, events)
                self._check_clocks(app, events, clocks, calendar)
                self._check_response_pauses(app, events, clocks, session.get(Agency, app.agency_id))
                self._check_conclusion(app, events, clocks)
                assert sum(a.status == "pending" for a in approvals if a.kind == "extension") <= 1
                assert sum(a.status == "pending" for a in approvals if a.kind == "response") <= 1

    @staticmethod
    def _check_history(app: Application, events: list[Event]) -> None:
        assert events, "every case has at least its registration"
        assert app.version == len(events), "version starts at 1 on register and grows by one per action"
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert all(a.effective_on <= b.effective_on for a, b in pairwise(events))
        first = events[0]
        assert (first.trigger, first.from_state, first.effective_on) == ("register", None, app.received_on)
        assert all(b.from_state == a.to_state for a, b in pairwise(events))
        assert app.state == events[-1].to_state
        # SPEC §5 / 条例第三十条、第三十三条: one correction notice, one approved extension at most.
        assert sum(e.trigger == "request_correction" for e in events) <= 1
        assert sum(e.trigger == "approve_extension" for e in events) <= 1

    def _check_clocks(self, app: Application, events: list[Event], clocks: dict[ClockKind, CaseClock],
                      calendar: Any) -> None:
        for kind, cached in clocks.items():
            if _counts_working_days(kind, events):
                assert calendar.is_workday(cached.due_on), f"{app.number} {kind} due on rest day {cached.due_on}"
        # The cache is what the event history yields on the day it was written.
        fresh = compute_clocks([LegalEvent(e.trigger, e.effective_on, e.data) for e in events], calendar,
                               self.written_on[app.number])
        assert {k: (c.start_on, c.due_on, c.status, c.provisional) for k, c in clocks.items()} == {
            k: (c.start_on, c.due_on, c.phase.value, c.provisional) for k, c in fresh.items()}

    @staticmethod
    def _check_response_pauses(app: Application, events: list[Event], clocks: dict[ClockKind, CaseClock],
                               agency: Agency | None) -> None:
        """SPEC §4: `response` is paused while consulting, while a fee is pending and while reasons are awaited
        (the last two are agency settings) — and only then; a period that had already expired when the
        pause began stays due (overdue from the day after its due date while not met)."""
        assert agency is not None
        waiting = {State.CONSULTING.value}
        waiting |= {State.AWAITING_FEE.value} if agency.pause_on_fee else set()
        waiting |= {State.AWAITING_REASONS.value} if agency.pause_on_reasons else set()
        response = clocks[ClockKind.RESPONSE]
        if app.state in waiting and response.status == ClockStatus.RUNNING:
            assert response.due_on <= events[-1].effective_on, \
                f"{app.number} in state {app.state} runs although its pause began before the due date"
            return
        assert (response.status == ClockStatus.PAUSED) == (app.state in waiting), \
            f"{app.number} in state {app.state} has its response clock {response.status}"

    @staticmethod
    def _check_conclusion(app: Application, events: list[Event], clocks: dict[ClockKind, CaseClock]) -> None:
        if app.state == State.CONCLUDED:
            assert app.outcome in OUTCOMES, f"{app.number} concluded with outcome {app.outcome!r}"
            assert app.concluded_on == events[-1].effective_on
            assert events[-1].data.get("outcome") == app.outcome
            assert all(c.status not in (ClockStatus.RUNNING, ClockStatus.PAUSED, ClockStatus.STOPPED)
                       for c in clocks.values()), "a concluded case still has a running clock"
        else:
            assert app.outcome is None and app.concluded_on is None
            assert app.state in {s.value for s in State}


# No shrinking: each replay costs a whole database session, so shrinking a failure takes minutes; the
# failing step log printed without it is short enough to read.
CaseHandling.TestCase.settings = settings(
    max_examples=40, stateful_step_count=25, deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class CaseHandlingOnPostgreSQL(CaseHandling):
    """The same machine, each example on a fresh PostgreSQL database."""

    backend = "postgresql"


# Fewer examples on PostgreSQL: each costs a database on the server and a network round trip per statement;
# the SQLite run explores the rules themselves more widely, this one that both databases store them alike.
CaseHandlingOnPostgreSQL.TestCase.settings = settings(CaseHandling.TestCase.settings, max_examples=15)
test_random_action_sequences_keep_every_case_consistent_sqlite = CaseHandling.TestCase
test_random_action_sequences_keep_every_case_consistent_postgresql = CaseHandlingOnPostgreSQL.TestCase
