"""Every clock of a case, computed from its event history and the calendar (SPEC §4)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from states import lapses
from states.clocks import EXTENSION_WORKING_DAYS, RULES, ClockKind, ClockStatus, Unit
from states.lifecycle import TRANSITIONS, State
from workflow.calendar import WorkingCalendar
from workflow.periods import ExplainLine, Pause, due_date, explain

_CONCLUDING = frozenset(t.trigger.value for t in TRANSITIONS if t.dest is State.CONCLUDED)


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
class _Run:
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
    _calendar: WorkingCalendar

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


def _agency_set(data: Mapping[str, Any]) -> tuple[int | None, date | None]:
    until = data.get("until")
    return data.get("days"), date.fromisoformat(until) if isinstance(until, str) else until


def _served(data: Mapping[str, Any], on: date) -> date:
    """The day the other side received the document (SPEC §4: periods run from service), default `on`."""
    served = data.get("served_on")
    return date.fromisoformat(served) if isinstance(served, str) else on


# Triggers that open a pause of the response clock; any other trigger on a paused case ends the pause
# (its state is left: a reply, a payment, reasons, a response submitted instead, a withdrawal or a lapse).
_PAUSING = frozenset({"start_consultation", "issue_fee_notice", "request_reasons"})


class _Fold:
    """Walks the events in order, opening, pausing, restarting and ending clocks."""

    def __init__(self, policy: ClockPolicy) -> None:
        self.policy = policy
        self.runs: dict[ClockKind, _Run] = {}
        self.concluded_on: date | None = None
        self.reopenable: Pause | None = None  # the open pause the latest event ended, as it was

    def _open(self, kind: ClockKind, start: date, length: int | None = None,
              until: date | None = None) -> _Run:
        run = _Run(kind, start, length if length is not None else RULES[kind].length, until)
        self.runs[kind] = run
        return run

    def _end(self, kind: ClockKind, status: ClockStatus, on: date, note: str = "") -> None:
        run = self.runs.get(kind)
        if run is not None and run.ended is None:
            run.ended, run.ended_on, run.ended_note = status, on, note

    def _pause(self, on: date, reason: str) -> None:
        run = self.runs.get(ClockKind.RESPONSE)
        if run is not None and run.ended is None:
            run.pauses.append(Pause(on, None, reason))

    def _resume(self, on: date) -> None:
        run = self.runs.get(ClockKind.RESPONSE)
        if run is not None and run.pauses and run.pauses[-1].end is None:
            last = self.reopenable = run.pauses[-1]
            run.pauses[-1] = Pause(last.start, max(on, last.start), f"{last.reason}（{last.start} 至 {on}）")

    def apply(self, e: LegalEvent) -> None:
        t, on, data = e.trigger, e.on, e.data
        ended_by_previous, self.reopenable = self.reopenable, None
        if t not in _PAUSING:
            self._resume(on)
        if t == "register":
            self._open(ClockKind.RESPONSE, on)
            self._open(ClockKind.CORRECTION_NOTICE, on)
        elif t == "request_correction":
            self._end(ClockKind.CORRECTION_NOTICE, ClockStatus.MET, on, "已一次性告知补正")
            days, until = _agency_set(data)
            self._open(ClockKind.CORRECTION, _served(data, on), days, until)
            response = self.runs[ClockKind.RESPONSE]
            response.stopped = True
            response.notes.append(f"{on} 告知补正：答复期限停止，待收到补正后重新起算")
        elif t == "receive_correction":
            self._end(ClockKind.CORRECTION, ClockStatus.MET, on, "已收到补正")
            old = self.runs[ClockKind.RESPONSE]
            run = self._open(ClockKind.RESPONSE, on)
            run.extended_on = old.extended_on
            run.notes.extend([*old.notes, f"{on} 收到补正后的申请：答复期限自该日重新起算（条例第三十条、第三十三条）"])
        elif t == "start_consultation":
            party = "第三方" if data.get("party") == "third_party" else "其他机关"
            self._pause(on, f"征求{party}意见")
            self._open(ClockKind.CONSULTATION, _served(data, on))
        elif t == "end_consultation":
            self._end(ClockKind.CONSULTATION, ClockStatus.MET, on, f"意见：{data.get('reply', '')}")
        elif t == "issue_fee_notice":
            if data.get("pauses_response", self.policy.pause_on_fee):
                self._pause(on, "待申请人缴纳信息处理费")
            self._open(ClockKind.FEE_PAYMENT, _served(data, on))
        elif t == "receive_payment":
            self._end(ClockKind.FEE_PAYMENT, ClockStatus.MET, on, "已缴费")
        elif t == "request_reasons":
            if data.get("pauses_response", self.policy.pause_on_reasons):
                self._pause(on, "待申请人说明理由（条例第三十五条）")
            days, until = _agency_set(data)
            self._open(ClockKind.REASONS, _served(data, on), days, until)
        elif t == "receive_reasons":
            self._end(ClockKind.REASONS, ClockStatus.MET, on, "已说明理由")
            _, until = _agency_set(data)
            if until is not None:
                response = self.runs[ClockKind.RESPONSE]
                response.until, response.until_from, response.extended_after_until = until, on, False
                response.notes.append(f"{on} 确定延迟答复的合理期限至 {until}（条例第三十五条）")
        elif t == "approve_extension":
            response = self.runs[ClockKind.RESPONSE]
            response.extended_on = on
            response.extended_after_until = response.until is not None
            response.notes.append(f"{on} 负责人同意延期：答复期限延长20个工作日（条例第三十三条第二款）")
        elif t == "submit_response":
            self._end(ClockKind.REASONS, ClockStatus.CLOSED, on, "未待说明理由即提交答复")
        elif t == "approve_response":
            self._end(ClockKind.RESPONSE, ClockStatus.MET, on, "已答复")
        elif t == "lapse_correction":
            self._end(ClockKind.CORRECTION, ClockStatus.CLOSED, on, "逾期未补正，视为放弃申请")
        elif t == "lapse_fee":
            self._end(ClockKind.FEE_PAYMENT, ClockStatus.CLOSED, on, "逾期未缴费，视为放弃申请")
        if t in lapses.BY_UNDO:
            # The lapse was wrong: reopen what it closed, as if it had not happened (the fee pause too,
            # so that the payment recorded next ends it on the day it was really made).
            for run in self.runs.values():
                if run.ended is ClockStatus.CLOSED and run.ended_on == self.concluded_on:
                    run.ended = run.ended_on = None
                    run.ended_note = ""
            paused = self.runs.get(ClockKind.RESPONSE)
            if ended_by_previous is not None and paused is not None:
                paused.pauses[-1] = ended_by_previous
            self.concluded_on = None
        if t in _CONCLUDING:
            self.concluded_on = on
            for kind in self.runs:
                self._end(kind, ClockStatus.CLOSED, on, "案件已办结")


def compute_clocks(events: Iterable[LegalEvent], cal: WorkingCalendar, today: date,
                   policy: ClockPolicy = ClockPolicy()) -> dict[ClockKind, Clock]:
    """All clocks a case has had, as of `today`, in the order they were opened."""
    fold = _Fold(policy)
    for e in events:
        fold.apply(e)
    return {kind: _settle(run, cal, today) for kind, run in fold.runs.items()}


def _settle(run: _Run, cal: WorkingCalendar, today: date) -> Clock:
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
            cal: WorkingCalendar, today: date, *, extended: bool = False, pauses: tuple[Pause, ...] = (),
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


def working_days_left(cal: WorkingCalendar, today: date, due: date) -> int:
    """Working days from `today` until `due`: 0 on the last day, negative once overdue (by that many)."""
    return cal.count_working_days(today, due) if due >= today else -cal.count_working_days(due, today)


def _count(cal: WorkingCalendar, origin: date, base: int, unit: Unit, extension_on: date | None,
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
