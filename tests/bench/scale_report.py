"""(j) Scale, for the terminal and for docs/performance.md."""

from tests.bench.common import MachineInfo, Target
from tests.bench.report import COMMAND, Table, _para, targets_table
from tests.bench.scale_bench import (
    DELIVERY_TARGET,
    PAGE_TARGETS,
    ROLLUP_TARGET,
    SWEEP_TARGET,
    YEAR,
    ScaleResult,
)
from tests.bench.scale_fixture import AGENCIES

SCALE_HEADING = "## (j) Scale: 10⁶ cases on one platform"
SCALE_COMMAND = f"{COMMAND} --only scale --write-docs"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _s(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.2f} s"


def scale_targets(r: ScaleResult) -> list[Target]:
    """The goals of issue 11 item 7."""
    targets = []
    for cases, goal in PAGE_TARGETS.items():
        worst = max((p.engine.p95 for p in r.pages if p.cases == cases), default=None)
        if worst is not None:
            targets.append(Target(f"(j) p95 of a 50-row case page at {cases:,} cases (worst view)", worst * 1000,
                                  goal * 1000, False, " ms"))
    targets += [
        Target(f"(j) daily sweep beside {r.closed_cases:,} concluded cases / without them", r.sweep_ratio,
               SWEEP_TARGET, False, "×"),
        Target(f"(j) delivery of {r.deliveries:,} outbox rows on SQLite", r.delivery_sqlite, DELIVERY_TARGET, False,
               " s"),
        Target(f"(j) roll-up of {YEAR} over {AGENCIES} agencies / one raw aggregate", r.rollup_ratio, ROLLUP_TARGET,
               False, "×"),
    ]
    return targets


def pages_table(r: ScaleResult) -> Table:
    """Each view at each size: the use case's p50/p95 (and CPU p95) against the raw keyset query."""
    rows = []
    for p in r.pages:
        rows.append((f"{p.cases:,}", p.label, _ms(p.engine.p50), _ms(p.engine.p95), _ms(p.engine_cpu.p95),
                     _ms(p.raw.p50), f"{p.engine.p50 / p.raw.p50:.1f}×"))
    for cases, seconds in r.sorted_page:
        rows.append((f"{cases:,}", "before: the sorting query of the big agency's page (raw SQL, best of 3)",
                     _ms(seconds), "", "", "", ""))
    return Table(("cases", "page (50 rows, open cases)", "p50", "p95", "p95 CPU", "raw p50", "p50 / raw"),
                 tuple(rows), frozenset({0, 2, 3, 4, 5, 6}))


def work_table(r: ScaleResult) -> Table:
    """The sweep, delivery and roll-up figures."""
    steps = {name: (a, b) for name, a, b in r.sweep_steps}
    rows = [
        ("daily `alerts.sweep`, open cases only", _s(r.sweep_open), "1.00×",
         f"raise {steps['raise_alerts'][0]:.2f} s, deliver {steps['deliver'][0]:.2f} s; {r.sweep_raised[0]:,} alerts"),
        (f"the same beside {r.closed_cases:,} concluded cases", _s(r.sweep_full), f"{r.sweep_ratio:.2f}×",
         f"raise {steps['raise_alerts'][1]:.2f} s, deliver {steps['deliver'][1]:.2f} s; {r.sweep_raised[1]:,} alerts"),
        (f"raw: one UPDATE marking {r.deliveries:,} rows sent (SQLite)", _s(r.delivery_raw), "1.00×", ""),
        (f"`alerts.deliver` of {r.deliveries:,} outbox rows (SQLite)", _s(r.delivery_sqlite),
         f"{r.delivery_sqlite / r.delivery_raw:.0f}×", f"{1000 * r.delivery_sqlite / r.deliveries:.3f} ms a row"),
    ]
    if r.delivery_pg is not None and r.delivery_pg_raw is not None:
        rows += [("raw: the same UPDATE (PostgreSQL)", _s(r.delivery_pg_raw), "1.00×", ""),
                 (f"`alerts.deliver` of {r.deliveries:,} outbox rows (PostgreSQL)", _s(r.delivery_pg),
                  f"{r.delivery_pg / r.delivery_pg_raw:.0f}×", f"{1000 * r.delivery_pg / r.deliveries:.3f} ms a row")]
    else:
        rows.append(("`alerts.deliver` on PostgreSQL", "—", "", r.postgres_missing))
    rows += [
        (f"raw: one grouped aggregate of 表三 for every agency, {YEAR}", _s(r.rollup_raw), "1.00×", ""),
        (f"`rollup.rollup` ({'same figures' if r.rollup_same else 'DIFFERENT figures'})", _s(r.rollup_seconds),
         f"{r.rollup_ratio:.2f}×", "表三 and 表四 of 50 agencies, identities, data checks"),
        ("of which `stats.section3_and_anomalies_by_agency` (表三 and the data checks, one grouped pass)",
         _s(r.rollup_pass), f"{r.rollup_pass / r.rollup_raw:.2f}×", ""),
    ]
    return Table(("what", "best", "ratio", "note"), tuple(rows), frozenset({1, 2}))


def scale_text(r: ScaleResult) -> str:
    """(j) for the terminal."""
    return "\n".join([
        f"(j) Scale: {r.open_cases:,} open cases, then {r.closed_cases:,} concluded beside them, {AGENCIES} agencies "
        f"(load average {r.load[0]:.1f} → {r.load[1]:.1f})",
        pages_table(r).text(), "", work_table(r).text(), "",
        *(t.describe() for t in scale_targets(r)),
    ])


def scale_markdown(r: ScaleResult, machine: MachineInfo, command: str = SCALE_COMMAND) -> str:
    """(j) for docs/performance.md: rewritten by a full run, or alone by `--only scale`."""
    day = machine.when.strftime("%Y-%m-%d")
    total = r.open_cases + r.closed_cases
    return "\n\n".join([
        SCALE_HEADING,
        f"<!-- Generated by `{command}`; do not edit by hand, rerun it. -->",
        _para(f"""Two platforms of {AGENCIES} agencies, built once by bulk inserts and cached under /tmp
            (`tests/bench/scale_fixture.py`): {r.open_cases:,} open cases received in the two months before the
            sweep day, in the shape registering leaves them, with the previous working day's sweep already run;
            and the same platform with {r.closed_cases:,} concluded cases of 2022–2025 beside them ({total:,} in
            all), each with its met or closed clocks and the reminder it once raised, delivered. One agency holds
            half of every kind of case. Written on **{day}** ({machine.cpu}, {machine.cpus_usable} usable CPUs,
            {machine.python}) by `{command}`; the machine was shared with other work (load average
            {r.load[0]:.1f} before, {r.load[1]:.1f} after), so the CPU time of each page is given too."""),
        _para("""A page is `queries.case_page(limit=50)` (what `ogi cases` runs: scope, count, the page, its clocks),
            found by key along `ix_application_agency_urgency` (agency, urgency, number, id) or, for the
            supervising office, `ix_application_urgency`; `application.urgency` is the stored sort key
            (`workflow/case_order.py`); the matching cases are counted up to 10,000 (`ogi cases` then says
            「共 10000 件以上」). Its baseline is the same page in raw SQL (rows, their clocks and the count up to
            the same cap) through sqlite3; the sorting query it replaced is timed once per platform for comparison.
            Timed runs follow 3 warm-ups; percentiles are of wall-clock time."""),
        pages_table(r).markdown(),
        _para(f"""The daily sweep is `alerts.sweep` (lapses, alerts, delivery through the inbox) on a fresh copy
            of each platform, best of the rounds; its running clocks and filed appeals are read through partial
            indexes, and the keys already raised through the (case, key) index of the swept cases only, so the
            concluded history is not read. Delivery is `alerts.deliver` over {r.deliveries:,} pending inbox
            deliveries: claims of 500, each batch's results recorded in one transaction; its baseline is one
            UPDATE marking them all sent. The roll-up is `rollup.rollup` (`ogi report {YEAR} --all-agencies`)
            against one grouped SQL aggregate of section 3 totals per agency (the figures are compared)."""),
        work_table(r).markdown(),
        targets_table(scale_targets(r)).markdown(),
    ])
