"""The reply/defence clock of an appeal (SPEC §4): 行政复议法第四十八条 10 WD, 行政诉讼法第六十七条 15 days."""

from datetime import date
from typing import Any

from states.appeals import CLOCK_OF, DECISIONS, AppealKind, AppealState
from states.clocks import RULES, ClockStatus
from states.deadlines import Clock, settled
from states.periods import due_date
from workflow.calendar import WorkingCalendar
from workflow.models import Appeal


def appeal_due(cal: WorkingCalendar, kind: AppealKind, received_on: date) -> date:
    """The last day to reply (复议) or file the defence (诉讼), counted from the day the copy was received."""
    rule = RULES[CLOCK_OF[kind]]
    assert rule.length is not None, "appeal clocks have a statutory length"
    return due_date(cal, received_on, rule.length, rule.unit, [], received_on)


def appeal_clock(cal: WorkingCalendar, appeal: Appeal, today: date) -> Clock:
    """The appeal's clock as of `today`: running, overdue, met (possibly late) or closed without a reply."""
    kind = AppealKind(appeal.kind)
    rule = RULES[CLOCK_OF[kind]]
    due = appeal_due(cal, kind, appeal.received_on)
    notes: list[str] = []
    ended_on: date | None = None
    if appeal.replied_on is not None:
        phase, ended_on = ClockStatus.MET, appeal.replied_on
        what = "书面答复" if kind is AppealKind.RECONSIDERATION else "答辩状"
        notes.append(f"{appeal.replied_on} 已提交{what}" + ("（晚于期限）" if appeal.replied_on > due else ""))
    elif appeal.state in (AppealState.DECIDED, AppealState.WITHDRAWN):
        phase, ended_on = ClockStatus.CLOSED, appeal.decided_on
        label = DECISIONS[appeal.decision].label if appeal.decision in DECISIONS else ""
        notes.append(f"{appeal.decided_on} 未提交答复即结案：{label}")
    else:
        phase = ClockStatus.RUNNING
    return settled(rule.kind, appeal.received_on, due, phase, ended_on, cal, today, notes=tuple(notes))


def clock_json(clock: Clock, today: date, *, explain: bool) -> dict[str, Any]:
    """The clock as JSON-ready data, with the day-by-day explanation when asked."""
    data = {"kind": clock.kind.value, **clock.as_data()}
    if explain:
        data["explanation"] = clock.explanation_data(today)
    return data
