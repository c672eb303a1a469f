"""Time travel: a year of demo cases, acted on day by day with a sweep every day, across holidays and 调休."""

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlmodel import col, select

from notifications.channels import InboxChannel
from notifications.policy import DEFAULT_POLICY
from tests.integration.conftest import World
from workflow import alerts, cases
from workflow.calendar import WorkingCalendar
from workflow.demo import plans
from workflow.inputs import ActionInput, ApplicationCreate
from workflow.models import Alert, Application, CaseClock, Event

CAL = WorkingCalendar()
FIRST, LAST = date(2025, 1, 2), date(2025, 12, 31)


def _agenda() -> dict[date, list[tuple[str, Any]]]:
    """Registrations and clerk/head actions by day; the system's lapses are left to the sweep."""
    agenda: dict[date, list[tuple[str, Any]]] = defaultdict(list)
    for plan in plans(date(2025, 11, 30), CAL, seed=7):
        if not FIRST <= plan.received_on <= date(2025, 11, 30):
            continue
        agenda[plan.received_on].append(("register", plan))
        on = plan.received_on
        for gap, trigger, actor, extra in plan.steps:
            on = CAL.add_working_days(on, gap) if gap else on
            if actor != "system":
                agenda[on].append(("act", (plan, trigger, actor, extra)))
    return agenda


def test_a_year_of_daily_sweeps_raises_every_alert_on_its_day_and_none_on_closed_cases(world: World) -> None:
    from workflow import admin

    for name in ("zhang", "li"):
        admin.add_user(world.db, actor_name="admin", username=name, role="clerk")
    admin.add_user(world.db, actor_name="admin", username="wang", role="head")
    numbers: dict[int, str] = {}
    agenda = _agenda()
    day = FIRST
    while day <= LAST:
        for kind, item in agenda.get(day, []):
            if kind == "register":
                data = ApplicationCreate(applicant_name=item.applicant, applicant_type=item.applicant_type,
                                         channel=item.channel, received_on=day, request=item.request)
                numbers[id(item)] = cases.register(world.db, actor_name="zhang", data=data, today=day).number
            else:
                plan, trigger, actor, extra = item
                cases.act(world.db, actor_name=actor, number=numbers[id(plan)], trigger=trigger,
                          data=ActionInput(on=day, **extra), today=day)
        alerts.sweep(world.db, today=day, policy=DEFAULT_POLICY, channels={"inbox": InboxChannel()})
        day += timedelta(days=1)
    with world.db.unit_of_work() as session:
        raised = session.exec(select(Alert, Application).join(Application)).all()
        lapses = session.exec(select(Event, CaseClock)
                              .join(CaseClock, col(CaseClock.application_id) == col(Event.application_id))
                              .where(col(Event.trigger).in_(["lapse_correction", "lapse_fee"]))).all()
    assert len(raised) > 100
    for alert, app in raised:
        assert alert.raised_on == alert.fire_on, alert.key  # swept daily: never late, never early
        assert CAL.is_workday(alert.raised_on), alert.raised_on  # quiet on rest days
        assert app.concluded_on is None or alert.raised_on < app.concluded_on, (app.number, alert.key)
    kinds = {(a.clock, a.kind) for a, _ in raised}
    assert {("response", "reminder"), ("response", "overdue"), ("response", "escalation"),
            ("correction_notice", "reminder"), ("consultation", "reminder")} <= kinds
    assert any(a.raised_on.weekday() >= 5 for a, _ in raised)  # 调休 working weekends get their alerts too
    lapse_days = {(e.application_id, e.effective_on) for e, c in lapses
                  if c.kind == {"lapse_correction": "correction", "lapse_fee": "fee_payment"}[e.trigger]
                  and e.effective_on == c.due_on + timedelta(days=1)}
    assert len(lapse_days) == len({e.application_id for e, _ in lapses}) > 0  # each lapse dated the day after

