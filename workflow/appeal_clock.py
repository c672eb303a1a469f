"""An appeal row's reply/defence clock (SPEC §4), computed by the domain's one rule (`states.appeal_case`)."""

from datetime import date
from typing import Any

from states.appeal_case import appeal_due, reply_clock
from states.appeals import AppealKind, AppealState
from states.deadlines import Clock
from workflow.calendar import WorkingCalendar
from workflow.models import Appeal

__all__ = ["appeal_clock", "appeal_due", "clock_json"]


def appeal_clock(cal: WorkingCalendar, appeal: Appeal, today: date) -> Clock:
    """The clock of a stored appeal as of `today` (from its cached columns, for lists and the sweep)."""
    return reply_clock(cal, AppealKind(appeal.kind), appeal.received_on, AppealState(appeal.state),
                       appeal.replied_on, appeal.decision, appeal.decided_on, today)


def clock_json(clock: Clock, today: date, *, explain: bool) -> dict[str, Any]:
    """The clock as JSON-ready data, with the day-by-day explanation when asked."""
    data = {"kind": clock.kind.value, **clock.as_data()}
    if explain:
        data["explanation"] = clock.explanation_data(today)
    return data
