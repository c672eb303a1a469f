"""What is known of a case while its events are folded: its clocks being run and the facts its guards read."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from states.clocks import RULES, ClockKind, ClockStatus
from states.deadlines import ClockPolicy, Recorded, Run
from states.periods import Pause

_RESPONSE = ClockKind.RESPONSE  # read on every folded event: a module constant reads faster than an enum member


@dataclass
class CaseFold:
    """The running record of one case: the clocks' runs and the facts the guards know, event by event."""

    policy: ClockPolicy
    runs: dict[ClockKind, Run] = field(default_factory=dict)
    concluded_on: date | None = None
    outcome: str | None = None
    reopenable: Pause | None = None  # the open pause the latest event ended, as it was
    correction_requested_on: date | None = None
    correction_received_on: date | None = None
    extension: str | None = None  # None, "pending", "approved" or "rejected"
    extension_requested_on: date | None = None
    proposed_outcome: str | None = None  # the outcome of the response awaiting the head's sign-off
    assignee: str | None = None  # the 承办人 a head assigned (None: the registering clerk)
    undone: frozenset[str] = frozenset()  # the lapses (trigger values) a clerk has undone, per period

    def open(self, kind: ClockKind, start: date, length: int | None = None, until: date | None = None) -> Run:
        """Start a clock (afresh, if it ran before)."""
        run = Run(kind, start, length if length is not None else RULES[kind].length, until)
        self.runs[kind] = run
        return run

    def end(self, kind: ClockKind, status: ClockStatus, on: date, note: str = "") -> None:
        """End a clock that is still running: its duty met, or closed without falling due."""
        run = self.runs.get(kind)
        if run is not None and run.ended is None:
            run.ended, run.ended_on, run.ended_note = status, on, note

    def pause(self, on: date, reason: str) -> None:
        """Pause the response clock (SPEC §4: the days after `on` do not count until it resumes)."""
        run = self.runs.get(_RESPONSE)
        if run is not None and run.ended is None:
            run.pauses.append(Pause(on, None, reason))

    def resume(self, on: date) -> None:
        """End an open pause of the response clock on `on`, remembering it in case a lapse is undone."""
        run = self.runs.get(_RESPONSE)
        if run is not None and run.pauses and run.pauses[-1].end is None:
            last = self.reopenable = run.pauses[-1]
            run.pauses[-1] = Pause(last.start, max(on, last.start), f"{last.reason}（{last.start} 至 {on}）")

    @property
    def response(self) -> Run:
        """The response clock, which every registered case has."""
        return self.runs[_RESPONSE]


def agency_set(data: Mapping[str, Any]) -> tuple[int | None, date | None]:
    """The period an agency set with its notice: N working days, or a date."""
    until = data.get("until")
    return data.get("days"), date.fromisoformat(until) if isinstance(until, str) else until


def served(e: Recorded) -> date:
    """The day the other side received the document (SPEC §4: periods run from service), default the event's day."""
    value = e.data.get("served_on")
    return date.fromisoformat(value) if isinstance(value, str) else e.on
