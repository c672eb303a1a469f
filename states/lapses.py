"""The two periods whose expiry concludes a case by itself (条例第三十条; 收费办法), as one table.

Each period is opened by a notice, waited out in one state, ended by what the applicant sends, lapsed by
the system the day after it expires (with its report outcome), and the lapse may be undone by a clerk.
The sweep, the use cases, the case list and the guards all read these facts from here.
"""

from dataclasses import dataclass

from states.clocks import ClockKind
from states.lifecycle import State, Trigger
from states.outcomes import LAPSED_CORRECTION, LAPSED_FEE


@dataclass(frozen=True)
class LapsingPeriod:
    """One period that lapses the case when it runs out."""

    clock: ClockKind
    waiting: State  # the state the case waits in
    opened_by: Trigger  # the notice that opens the period (a new notice opens a new period)
    arrived: Trigger  # what ends the wait when the correction or payment arrives
    lapse: Trigger  # the system's conclusion the day after expiry
    undo: Trigger  # a clerk's undoing of a wrong lapse
    outcome: str  # the report outcome of the lapse


LAPSING = (
    LapsingPeriod(ClockKind.CORRECTION, State.AWAITING_CORRECTION, Trigger.REQUEST_CORRECTION,
                  Trigger.RECEIVE_CORRECTION, Trigger.LAPSE_CORRECTION, Trigger.UNDO_LAPSE_CORRECTION,
                  LAPSED_CORRECTION),
    LapsingPeriod(ClockKind.FEE_PAYMENT, State.AWAITING_FEE, Trigger.ISSUE_FEE_NOTICE, Trigger.RECEIVE_PAYMENT,
                  Trigger.LAPSE_FEE, Trigger.UNDO_LAPSE_FEE, LAPSED_FEE),
)
BY_CLOCK = {p.clock.value: p for p in LAPSING}
BY_LAPSE = {p.lapse.value: p for p in LAPSING}
BY_UNDO = {p.undo.value: p for p in LAPSING}
BY_OPENER = {p.opened_by.value: p for p in LAPSING}
BY_OUTCOME = {p.outcome: p for p in LAPSING}
