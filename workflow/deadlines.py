"""Moved to `states.deadlines` and `states.case`; kept while the layout change lands (to be removed)."""

from states.case import compute_clocks
from states.deadlines import Clock, ClockPolicy, LegalEvent, next_due, settled, status_on, working_days_left

__all__ = ["Clock", "ClockPolicy", "LegalEvent", "compute_clocks", "next_due", "settled", "status_on",
           "working_days_left"]
