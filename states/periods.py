"""Counting one period on the working-day calendar, with pauses, and explaining it day by day."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from states.clocks import Unit
from states.workdays import DAY_KIND_LABELS, DayKind, WorkingDays


@dataclass(frozen=True)
class Pause:
    """Days a < d <= b are not counted (SPEC §4 pause semantics); `b` None while still paused."""

    start: date
    end: date | None
    reason: str

    def excludes(self, d: date) -> bool:
        """Whether day `d` falls inside this pause."""
        return self.start < d and (self.end is None or d <= self.end)


@dataclass(frozen=True)
class ExplainLine:
    """One day of a period's explanation."""

    day: date
    kind: str  # "start", "counted", "rest", "paused", "due", "note"
    count: int | None
    note: str


def due_date(cal: WorkingDays, start: date, length: int, unit: Unit,
             pauses: Sequence[Pause], as_of: date) -> date:
    """The last day of a period: the `length`-th counted day after `start`, skipping paused days.

    A pause still open is treated as ending on `as_of` (the due date if it ended today).
    """
    if unit is Unit.CALENDAR_DAYS:
        return cal.roll_forward(start + timedelta(days=length))
    remaining, cursor = length, start
    for p in sorted(pauses, key=lambda p: p.start):
        end = p.end if p.end is not None else max(as_of, p.start)
        if end <= cursor:
            continue
        available = cal.count_working_days(cursor, p.start) if p.start > cursor else 0
        if available >= remaining:
            break
        remaining -= available
        cursor = end
    return cal.add_working_days(cursor, remaining)


def explain(cal: WorkingDays, start: date, due: date, unit: Unit,
            pauses: Sequence[Pause], until: date) -> list[ExplainLine]:
    """Every day from the start to `until` (at least the due date): counted, rest, or paused, with why."""
    lines = [ExplainLine(start, "start", None, "起算日（不计入期限）")]
    count, d, last = 0, start + timedelta(days=1), max(due, until)
    while d <= last:
        info = cal.day(d)
        pause = next((p for p in pauses if p.excludes(d)), None)
        provisional = "（该年节假日安排未发布，按周末推定）" if info.provisional else ""
        if pause is not None:
            lines.append(ExplainLine(d, "paused", None, f"不计入：{pause.reason}"))
        elif unit is Unit.CALENDAR_DAYS:
            count += 1
            what = DAY_KIND_LABELS[info.kind]
            lines.append(ExplainLine(d, "counted", count, f"第{count}日（{what}）{provisional}"))
        elif info.working:
            count += 1
            what = "调休上班日，计入" if info.kind is DayKind.ADJUSTED_WORKDAY else "工作日"
            lines.append(ExplainLine(d, "counted", count, f"第{count}个工作日：{what}{info.called}{provisional}"))
        else:
            rest = DAY_KIND_LABELS[info.kind]
            lines.append(ExplainLine(d, "rest", None, f"不计入：{rest}{info.called}{provisional}"))
        if d == due:
            lines.append(ExplainLine(d, "due", None, "期限届满日"))
        d += timedelta(days=1)
    return lines
