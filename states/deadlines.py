"""A clock settled as of a day: due date, status, days left and its explanation (SPEC §4), over `WorkingDays`."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from states.clocks import EXTENSION_WORKING_DAYS, RULES, ClockKind, ClockStatus, Unit
from states.periods import ExplainLine, Pause, due_date, explain
from states.workdays import WorkingDays


class Recorded(Protocol):
    """What the fold reads of one recorded event: a `LegalEvent`, or a stored event that has the same three
    (`ogi verify` folds the rows it reads as they are)."""

    @property
    def trigger(self) -> str: ...

    @property
    def on(self) -> date: ...

    @property
    def data(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class LegalEvent:
    """What the clocks need of one recorded event: the trigger, its legal date and its data."""

    trigger: str
    on: date
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClockPolicy:
    """An agency's choices where the law is silent (SPEC §4 Decisions)."""

    pause_on_fee: bool = True
    pause_on_reasons: bool = True


@dataclass
class Run:
    """A clock being folded over the events."""

    kind: ClockKind
    start: date
    length: int | None
    until: date | None = None  # an agency-set date (correction, reasons) or a new date (条例第三十五条)
    until_from: date | None = None  # the day a new response date was set; pauses and extensions after it count
    pauses: list[Pause] = field(default_factory=list)
    extended_on: date | None = None  # the day the head approved the extension
    extended_after_until: bool = False
    ended: ClockStatus | None = None
    ended_on: date | None = None
    ended_note: str = ""
    stopped: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Clock:
    """One clock as of a day: due date, status, whether provisional, and how it was counted."""

    kind: ClockKind
    start_on: date
    due_on: date
    status: ClockStatus  # as of the day asked about
    phase: ClockStatus  # the same without the date: running, paused, stopped, met or closed
    provisional: bool
    ended_on: date | None
    late: bool
    extended: bool
    remaining_working_days: int | None
    pauses: tuple[Pause, ...]
    notes: tuple[str, ...]
    _unit: Unit
    _calendar: WorkingDays

    @property
    def label(self) -> str:
        """The clock's Chinese name."""
        return RULES[self.kind].label

    @property
    def basis(self) -> str:
        """The legal basis of the period."""
        return RULES[self.kind].basis

    def explanation(self, as_of: date) -> list[ExplainLine]:
        """Day by day: counted, skipped as rest day, counted as 调休 working day, or excluded as paused.

        A pause still open is shown as ending on `as_of`, the same assumption the due date is computed on.
        """
        pauses = [p if p.end is not None else
                  Pause(p.start, max(as_of, p.start), f"{p.reason}（{p.start} 起，尚未结束）") for p in self.pauses]
        until = as_of if self.status is ClockStatus.PAUSED else self.due_on
        lines = explain(self._calendar, self.start_on, self.due_on, self._unit, pauses, until)
        return [ExplainLine(self.start_on, "note", None, n) for n in self.notes] + lines

    def as_data(self) -> dict[str, Any]:
        """The clock as JSON-ready data (what `ogi show --json` prints for each clock)."""
        return {
            "label": self.label,
            "start_on": self.start_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "status": self.status.value,
            "provisional": self.provisional,
            "ended_on": self.ended_on.isoformat() if self.ended_on else None,
            "late": self.late,
            "extended": self.extended,
            "remaining_working_days": self.remaining_working_days,
            "basis": self.basis,
            "notes": list(self.notes),
        }

    def explanation_data(self, as_of: date) -> list[dict[str, Any]]:
        """The day-by-day explanation as JSON-ready data."""
        return [{"date": line.day.isoformat(), "kind": line.kind, "count": line.count, "note": line.note}
                for line in self.explanation(as_of)]


def settle(run: Run, cal: WorkingDays, today: date) -> Clock:
    rule = RULES[run.kind]
    as_of = run.ended_on if run.ended is not None and run.ended_on else today
    unit = rule.unit
    effective: list[Pause] = []
    considered = run.pauses
    if run.until is not None and run.until_from is not None:
        # 条例第三十五条: a new date; later pauses and a later extension still move it.
        considered = [p for p in run.pauses if p.start >= run.until_from]
        extension_on = run.extended_on if run.extended_after_until else None
        until = cal.roll_forward(run.until)
        due, effective = _count(cal, run.until_from, cal.count_working_days(run.until_from, until),
                                Unit.WORKING_DAYS, extension_on, considered, as_of, floor=until)
        unit = Unit.WORKING_DAYS
    elif run.until is not None:
        due = cal.roll_forward(run.until)  # 民法典第二百零三条: ending on a rest day, it ends on the next working day
    else:
        unit = Unit.WORKING_DAYS if unit is Unit.AGENCY_SET else unit
        due, effective = _count(cal, run.start, run.length or 0, unit, run.extended_on, run.pauses, as_of)
    notes = list(run.notes)
    notes += [f"{p.start} 起{p.reason.split('（')[0]}：此前期限已届满，该段时间不予扣除"
              for p in considered if p not in effective]
    paused = bool(effective) and effective[-1].end is None
    if run.ended is not None:
        phase = run.ended
    elif run.stopped:
        phase = ClockStatus.STOPPED
    elif paused:
        phase = ClockStatus.PAUSED
    else:
        phase = ClockStatus.RUNNING
    if run.ended_note and run.ended_on:
        notes.append(f"{run.ended_on} {run.ended_note}")
    return settled(run.kind, run.start, due, phase, run.ended_on, cal, today, extended=run.extended_on is not None,
                   pauses=tuple(effective), notes=tuple(notes), unit=unit)


def settled(kind: ClockKind, start: date, due: date, phase: ClockStatus, ended_on: date | None,
            cal: WorkingDays, today: date, *, extended: bool = False, pauses: tuple[Pause, ...] = (),
            notes: tuple[str, ...] = (), unit: Unit | None = None) -> Clock:
    """A clock as of `today` from its phase: the one place that says when it is overdue, late, or how much is left.

    A running clock past its due date is overdue (or simply over, for a clock whose lapse has no legal
    consequence of lateness); one met after its due date was met late.
    """
    rule = RULES[kind]
    status = status_on(kind, phase, due, today)
    late = phase is ClockStatus.MET and ended_on is not None and ended_on > due
    remaining = cal.count_working_days(today, due) if status in (ClockStatus.RUNNING, ClockStatus.PAUSED) else None
    return Clock(kind, start, due, status, phase, cal.provisional(start, due), ended_on, late, extended, remaining,
                 pauses, notes, unit or rule.unit, cal)


def status_on(kind: ClockKind, phase: ClockStatus, due: date, today: date) -> ClockStatus:
    """A clock's status on `today` from its stored phase: running past its due date is overdue, or simply
    over for a clock whose end has no legal consequence of lateness (the correction-notice window)."""
    if phase is ClockStatus.RUNNING and today > due:
        return ClockStatus.OVERDUE if RULES[kind].overdue_applies else ClockStatus.CLOSED
    return phase


def working_days_left(cal: WorkingDays, today: date, due: date) -> int:
    """Working days from `today` until `due`: 0 on the last day, negative once overdue (by that many)."""
    return cal.count_working_days(today, due) if due >= today else -cal.count_working_days(due, today)


def _count(cal: WorkingDays, origin: date, base: int, unit: Unit, extension_on: date | None,
           pauses: list[Pause], as_of: date, floor: date | None = None) -> tuple[date, list[Pause]]:
    """The due date, and the pauses that count: one counts only if it began before the period ran out
    (with the extension, if approved by then). An expired period is not revived by a later pause.
    `floor` is a date the period cannot end before (a date the agency set, which may be a rest day)."""

    def due(length: int, effective: list[Pause]) -> date:
        computed = due_date(cal, origin, length, unit, effective, as_of)
        return max(computed, floor) if floor is not None else computed

    effective: list[Pause] = []
    for p in sorted(pauses, key=lambda p: p.start):
        length = base + (EXTENSION_WORKING_DAYS if extension_on is not None and extension_on <= p.start else 0)
        if p.start < due(length, effective):
            effective.append(p)
    return due(base + (EXTENSION_WORKING_DAYS if extension_on is not None else 0), effective), effective


def next_due(clocks: Mapping[ClockKind, Clock]) -> tuple[date | None, str | None, bool]:
    """What a case row caches from its clocks: the nearest running duty's due date and clock, and whether
    any live clock rests on a provisional calendar."""
    urgent = [c for c in clocks.values() if c.phase is ClockStatus.RUNNING and RULES[c.kind].overdue_applies]
    first = min(urgent, key=lambda c: c.due_on, default=None)
    provisional = any(c.provisional for c in clocks.values() if c.phase in (ClockStatus.RUNNING, ClockStatus.PAUSED))
    return (first.due_on if first else None), (first.kind.value if first else None), provisional
