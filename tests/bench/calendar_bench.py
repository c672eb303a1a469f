"""(a) Working-day arithmetic: the bisecting `WorkingCalendar` against a day-by-day loop over chinese_calendar."""

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

from workflow.calendar import WorkingCalendar

# Starts late enough in 2026 would carry 40 working days past the library's last year (2026).
FIRST_START = date(2005, 1, 1)
LAST_START = date(2026, 9, 30)
LENGTHS = (7, 20, 40)  # correction notice, response, response with its extension

Pair = tuple[date, int]


@dataclass(frozen=True)
class CalendarResult:
    """Per-call cost of `add_working_days` and of the naive loop, on the same pairs."""

    pairs: int
    build_seconds: float
    fast_seconds: float  # per call
    naive_seconds: float  # per call, through chinese_calendar.is_workday
    dict_loop_seconds: float  # per call, the same loop reading the library's dicts directly
    identical: bool

    @property
    def speedup(self) -> float:
        """How many times faster the bisection is than the loop over `is_workday` (the target)."""
        return self.naive_seconds / self.fast_seconds

    @property
    def speedup_vs_dict_loop(self) -> float:
        """How many times faster the bisection is than the cheapest possible day-by-day loop."""
        return self.dict_loop_seconds / self.fast_seconds


def naive_add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start`, walking one day at a time (the start day is not counted)."""
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        if chinese_calendar.is_workday(day):
            counted += 1
    return day


def dict_loop_add_working_days(start: date, n: int) -> date:
    """The same walk on the library's data without `is_workday`, which rescans its tables on every call."""
    holidays, workdays = chinese_calendar.holidays, chinese_calendar.workdays
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        if day in workdays or (day.weekday() < 5 and day not in holidays):
            counted += 1
    return day


def random_pairs(starts: int, seed: int = 2025) -> list[Pair]:
    """`starts` random start days, each with every length of LENGTHS, shuffled."""
    rng = random.Random(seed)
    span = (LAST_START - FIRST_START).days
    pairs = [(FIRST_START + timedelta(days=rng.randint(0, span)), n) for _ in range(starts) for n in LENGTHS]
    rng.shuffle(pairs)
    return pairs


def _best_per_call(func: Callable[[date, int], date], pairs: Sequence[Pair], repeats: int) -> float:
    """The fastest of `repeats` passes over all pairs, divided by the number of pairs."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for start, n in pairs:
            func(start, n)
        best = min(best, time.perf_counter() - started)
    return best / len(pairs)


def run(starts: int = 2000, repeats: int = 5) -> CalendarResult:
    """Check both methods agree on every pair, then time each (best of `repeats` passes)."""
    pairs = random_pairs(starts)
    started = time.perf_counter()
    calendar = WorkingCalendar()
    build = time.perf_counter() - started
    identical = all(calendar.add_working_days(s, n) == naive_add_working_days(s, n)
                    == dict_loop_add_working_days(s, n) for s, n in pairs)
    fast = _best_per_call(calendar.add_working_days, pairs, repeats)
    naive = _best_per_call(naive_add_working_days, pairs, max(1, repeats // 2))
    dict_loop = _best_per_call(dict_loop_add_working_days, pairs, repeats)
    return CalendarResult(len(pairs), build, fast, naive, dict_loop, identical)
