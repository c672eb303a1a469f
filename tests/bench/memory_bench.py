"""(c) Memory of loading every case: `queries.list_cases` (plain dicts) and the bare Application ORM rows."""

import gc
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sized
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from tests.bench.fixture import CLERK, BenchDb, url
from workflow import queries
from workflow.db import Database
from workflow.models import Application


@dataclass(frozen=True)
class Footprint:
    """What loading every case cost: memory still held by the result, the peak while loading, and the time."""

    label: str
    cases: int
    retained_bytes: int
    peak_bytes: int
    seconds: float  # best untraced load

    @property
    def retained_kib_per_case(self) -> float:
        """Memory the loaded result keeps alive, per case."""
        return self.retained_bytes / 1024 / self.cases

    @property
    def peak_kib_per_case(self) -> float:
        """Highest memory in use during the load, per case."""
        return self.peak_bytes / 1024 / self.cases


@dataclass(frozen=True)
class MemoryResult:
    """Both ways of loading the same cases."""

    list_cases: Footprint
    orm_rows: Footprint


# A load gives its result inside a context, so that ORM rows are measured while their Session is still open.
Load = Callable[[], AbstractContextManager[Sized]]


def _traced(load: Load) -> tuple[int, int, int]:
    """Run `load` under tracemalloc: (items loaded, bytes still held by its result, peak bytes during it)."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        with load() as held:
            gc.collect()
            current, peak = tracemalloc.get_traced_memory()
            count = len(held)
    finally:
        tracemalloc.stop()
    return count, current - base, peak - base


def _best_seconds(load: Load, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        with load():
            best = min(best, time.perf_counter() - started)
    return best


def _footprint(label: str, load: Load, repeats: int) -> Footprint:
    seconds = _best_seconds(load, repeats)  # the first pass also warms SQLAlchemy's and the calendar's caches
    count, retained, peak = _traced(load)
    return Footprint(label, count, retained, peak, seconds)


def run(master: BenchDb, today: date, repeats: int = 3) -> MemoryResult:
    """Measure both loads on the benchmark database."""
    db = Database(url(master.path))

    def listed() -> AbstractContextManager[list[dict[str, Any]]]:
        return nullcontext(queries.list_cases(db, actor_name=CLERK, today=today))

    @contextmanager
    def orm_rows() -> Iterator[list[Application]]:
        with Session(db.engine) as session:
            yield list(session.exec(select(Application)).all())

    try:
        return MemoryResult(
            _footprint("queries.list_cases (plain dicts)", listed, repeats),
            _footprint("Application ORM rows (Session)", orm_rows, repeats),
        )
    finally:
        db.dispose()
