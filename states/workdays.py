"""What the clocks need of a calendar: the working-days protocol, and the kinds of day it answers with."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol


class DayKind(StrEnum):
    """What a day is for counting periods."""

    WORKDAY = "workday"
    ADJUSTED_WORKDAY = "adjusted_workday"  # 调休上班: a weekend day declared a working day
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # a weekday declared a rest day


DAY_KIND_LABELS = {
    DayKind.WORKDAY: "工作日",
    DayKind.ADJUSTED_WORKDAY: "调休上班",
    DayKind.WEEKEND: "周末休息",
    DayKind.HOLIDAY: "节假日休息",
}


@dataclass(frozen=True)
class Day:
    """One day as the calendar sees it."""

    day: date
    working: bool
    kind: DayKind
    name: str | None
    source: str
    provisional: bool
    override: bool = False  # ruled by the platform (e.g. a regional rest day): explanations cite its source

    @property
    def called(self) -> str:
        """What an explanation calls the day: its festival, or the notice an override was made from."""
        return f"（{self.name or self.source}）" if self.name or self.override else ""


class WorkingDays(Protocol):
    """A working-day calendar (民法典第二百零一条、第二百零三条): the only calendar questions a clock asks."""

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (the start day is not counted)."""
        ...

    def count_working_days(self, after: date, through: date) -> int:
        """How many working days d satisfy after < d <= through."""
        ...

    def roll_forward(self, d: date) -> date:
        """`d` if it is a working day, else the next one."""
        ...

    def provisional(self, start: date, end: date) -> bool:
        """True when any year from start to end has no published holiday data."""
        ...

    def day(self, d: date) -> Day:
        """One day with its kind and name, for explanations."""
        ...
