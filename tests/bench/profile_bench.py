"""Where the time of one use-case action goes (cProfile), and how many SQL statements each variant issues.

The profiler slows pure-Python code more than C code, so the shares are indicative, not exact.
"""

import cProfile
import io
import pstats
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.bench import action_bench
from tests.bench.fixture import BenchDb
from workflow.calendar import WorkingCalendar

# (level, label, file suffix, function name): cumulative time of these functions, as a share of `act`;
# a row of level 1 is part of the row of level 0 above it.
_PARTS: tuple[tuple[int, str, str, str], ...] = (
    (0, "act (whole use case)", "workflow/cases.py", "act"),
    (0, "resolve_actor: SELECT user + agency", "workflow/actors.py", "resolve_actor"),
    (0, "load_case: application, events, calendar", "workflow/cases.py", "load_case"),
    (1, "load_calendar: revision check (+ reload on change)", "workflow/calendar_store.py", "load_calendar"),
    (0, "Case.from_events: the fold of the events", "states/case.py", "from_events"),
    (0, "Case.fire: checks, event data, machine", "states/case.py", "fire"),
    (1, "Case.facts: guard facts", "states/case.py", "facts"),
    (0, "_save: event, clocks, versioned flush", "workflow/cases.py", "_save"),
    (1, "refresh_clocks", "workflow/cases.py", "refresh_clocks"),
    (1, "_cached_clocks: SELECT case_clock (all calls)", "workflow/cases.py", "_cached_clocks"),
    (0, "Case.clocks (all calls)", "states/case.py", "clocks"),
    (0, "Session.flush (explicit and autoflush)", "sqlalchemy/orm/session.py", "flush"),
    (0, "Session.commit", "sqlalchemy/orm/session.py", "commit"),
    (0, "transitions machine: trigger", "transitions/core.py", "trigger"),
    (0, "sqlite3 C: Cursor.execute", "~", "<method 'execute' of 'sqlite3.Cursor' objects>"),
    (0, "sqlite3 C: Connection.commit", "~", "<method 'commit' of 'sqlite3.Connection' objects>"),
)
_EXECUTES = ("<method 'execute' of 'sqlite3.Cursor' objects>", "<method 'execute' of 'sqlite3.Connection' objects>")


@dataclass(frozen=True)
class Part:
    """One function's cumulative time per action and its share of the whole use case."""

    level: int  # 1: part of the level-0 row above
    label: str
    ms_per_action: float
    share: float


@dataclass(frozen=True)
class ProfileResult:
    """The use case's breakdown, SQL statements per action for each variant, and the raw top list."""

    actions: int
    parts: tuple[Part, ...]
    statements: Mapping[str, float]
    top: str  # pstats listing of the use case, by own time


def _cumulative(stats: pstats.Stats, suffix: str, name: str) -> float:
    """Cumulative seconds of the function (the largest, if several functions share the file and name)."""
    table = stats.stats  # type: ignore[attr-defined]
    times = [ct for (file, _, func), (_, _, _, ct, _) in table.items() if func == name and file.endswith(suffix)]
    return max(times, default=0.0)


def _calls(stats: pstats.Stats, names: Sequence[str]) -> int:
    table = stats.stats  # type: ignore[attr-defined]
    return sum(nc for (_, _, func), (_, nc, _, _, _) in table.items() if func in names)


def _profiled(variant: action_bench.Variant, warmup: Sequence[action_bench.Step],
              steps: Sequence[action_bench.Step]) -> pstats.Stats:
    for step in warmup:
        variant(step)
    profiler = cProfile.Profile()
    profiler.enable()
    for step in steps:
        variant(step)
    profiler.disable()
    return pstats.Stats(profiler)


def _breakdown(stats: pstats.Stats, actions: int) -> tuple[Part, ...]:
    whole = _cumulative(stats, "workflow/cases.py", "act") or 1.0
    return tuple(Part(level, label, 1000 * seconds / actions, seconds / whole)
                 for level, label, suffix, name in _PARTS
                 for seconds in [_cumulative(stats, suffix, name)])


def _listing(stats: pstats.Stats, top: int) -> str:
    """The `top` functions by own time; this strips the directories from `stats`, so call it last."""
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    return out.getvalue()


def run(master: BenchDb, workdir: Path, *, acting_cases: int, top: int = 30) -> ProfileResult:
    """Profile one round of each variant after a warm-up round, each on a fresh copy of the database."""
    calendar = WorkingCalendar()
    warmup, steps = action_bench.plan(action_bench.acting_numbers(master, acting_cases), 2, calendar)
    variants = action_bench.open_variants(master, workdir, calendar, "profile")
    try:
        stats = {v.name: _profiled(v, warmup, steps) for v in variants}
    finally:
        for variant in variants:
            variant.close()
    use_case = stats[action_bench.USE_CASE]
    parts = _breakdown(use_case, len(steps))
    statements = {name: _calls(s, _EXECUTES) / len(steps) for name, s in stats.items()}
    return ProfileResult(len(steps), parts, statements, _listing(use_case, top))
