"""The Chinese working-day calendar: chinesecalendar as base, agency overrides on top, unknown years provisional.

Working-day arithmetic is O(log n): the working days of 2000–2100 are kept as one sorted
array of ordinals and every question is a bisection into it.
"""

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

from states.workdays import Day, DayKind
from workflow.errors import CalendarRangeError

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")  # legal dates and the times shown to users are Beijing time
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)

_BASE_HOLIDAYS: dict[date, str] = chinese_calendar.holidays
_BASE_WORKDAYS: dict[date, str] = chinese_calendar.workdays
BASE_YEARS = range(min(_BASE_HOLIDAYS).year, max(_BASE_HOLIDAYS).year + 1)
BASE_SOURCE = f"chinesecalendar {getattr(chinese_calendar, '__version__', '')}".strip()

_FESTIVALS = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


@dataclass(frozen=True)
class Override:
    """An agency's ruling on one day, with its source (the State Council notice)."""

    day: date
    working: bool
    source: str


@dataclass(frozen=True)
class CalendarData:
    """Everything that decides the calendar beyond the library: overrides and fully imported years."""

    overrides: tuple[Override, ...] = ()
    imported_years: tuple[tuple[int, str], ...] = ()  # (year, source): the library is ignored for these


class WorkingCalendar:
    """Answers working-day questions for 2000–2100 from precomputed arrays."""

    def __init__(self, data: CalendarData = CalendarData()) -> None:
        self.data = data
        self._overrides = {o.day: o for o in data.overrides}
        self._imported = dict(data.imported_years)
        first = FIRST_DAY.toordinal()
        working = [(o - 1) % 7 < 5 for o in range(first, LAST_DAY.toordinal() + 1)]  # Monday to Friday
        for days, ruling in ((_BASE_HOLIDAYS, False), (_BASE_WORKDAYS, True)):  # a 调休 day outranks a holiday
            for d in days:
                if d.year in BASE_YEARS and d.year not in self._imported and FIRST_DAY <= d <= LAST_DAY:
                    working[d.toordinal() - first] = ruling
        for d, override in self._overrides.items():  # the agency's ruling outranks everything
            if FIRST_DAY <= d <= LAST_DAY:
                working[d.toordinal() - first] = override.working
        self._work = [first + i for i, flag in enumerate(working) if flag]

    @staticmethod
    def _check(d: date) -> int:
        if not FIRST_DAY <= d <= LAST_DAY:
            raise CalendarRangeError(f"日期 {d} 超出日历范围（{FIRST_DAY} 至 {LAST_DAY}）")
        return d.toordinal()

    def known(self, year: int) -> bool:
        """Whether the year's holiday notice is in the data (otherwise: weekends only, provisional)."""
        return year in self._imported or year in BASE_YEARS

    def year_source(self, year: int) -> str | None:
        """Where the year's data comes from, or None when it is unknown."""
        if year in self._imported:
            return self._imported[year]
        return BASE_SOURCE if year in BASE_YEARS else None

    def is_workday(self, d: date) -> bool:
        """True on a working day (weekdays that are not rest days, plus 调休 working weekends)."""
        o = self._check(d)
        i = bisect_left(self._work, o)
        return i < len(self._work) and self._work[i] == o

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (the start day is not counted; 民法典第二百零一条)."""
        if n <= 0:
            return start
        i = bisect_right(self._work, self._check(start)) + n - 1
        if i >= len(self._work):
            raise CalendarRangeError(f"{start} 之后第 {n} 个工作日超出日历范围")
        return date.fromordinal(self._work[i])

    def working_days_before(self, end: date, n: int) -> date:
        """The working day n working days before `end` (n = 0: `end` itself if working, else the one before)."""
        i = bisect_right(self._work, self._check(end)) - 1 - n
        if i < 0:
            raise CalendarRangeError(f"{end} 之前第 {n} 个工作日超出日历范围")
        return date.fromordinal(self._work[i])

    def count_working_days(self, after: date, through: date) -> int:
        """How many working days d satisfy after < d <= through."""
        if through <= after:
            return 0
        return bisect_right(self._work, self._check(through)) - bisect_right(self._work, self._check(after))

    def roll_forward(self, d: date) -> date:
        """`d` if it is a working day, else the next one (民法典第二百零三条: a period ending on a rest day)."""
        i = bisect_left(self._work, self._check(d))
        if i >= len(self._work):
            raise CalendarRangeError(f"{d} 之后没有工作日数据")
        return date.fromordinal(self._work[i])

    def provisional(self, start: date, end: date) -> bool:
        """True when any year from start to end has no published holiday data."""
        return any(not self.known(y) for y in range(start.year, end.year + 1))

    def day(self, d: date) -> Day:
        """One day with its kind, name and source, for explanations and `calendar show`."""
        working = self.is_workday(d)
        weekend = d.weekday() >= 5
        kind = (DayKind.ADJUSTED_WORKDAY if weekend else DayKind.WORKDAY) if working else (
            DayKind.WEEKEND if weekend else DayKind.HOLIDAY)
        override = self._overrides.get(d)
        if override is not None:
            return Day(d, working, kind, None, override.source, not self.known(d.year), override=True)
        name = None
        if d.year in BASE_YEARS and d.year not in self._imported:
            raw = _BASE_WORKDAYS.get(d) or _BASE_HOLIDAYS.get(d)
            name = _FESTIVALS.get(raw, raw) if raw else None
        source = self.year_source(d.year) or "未发布（仅按周末推定）"
        return Day(d, working, kind, name, source, not self.known(d.year))

    def special_days(self, year: int) -> list[Day]:
        """The year's weekday rest days and weekend working days, in date order."""
        d, end, out = date(year, 1, 1), date(year, 12, 31), []
        while d <= end:
            info = self.day(d)
            if info.kind in (DayKind.HOLIDAY, DayKind.ADJUSTED_WORKDAY) or d in self._overrides:
                out.append(info)
            d += timedelta(days=1)
        return out


@lru_cache(maxsize=8)
def calendar_for(data: CalendarData) -> WorkingCalendar:
    """A shared calendar per distinct data (building one takes tens of milliseconds)."""
    return WorkingCalendar(data)


def local_today() -> date:
    """Today in Beijing: the date every statutory clock counts from."""
    return datetime.now(LOCAL_ZONE).date()


def local_time(moment: datetime) -> str:
    """A stored (UTC) moment as users read it: Beijing time to the second."""
    return moment.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M:%S")
