"""`make bench`: working days, an action, memory, the sweep, statistics, import, CLI start-up, concurrent
registrations, records as evidence, scale.

Run from the repository root:

    .venv/bin/python -m tests.bench.run                # print the results
    .venv/bin/python -m tests.bench.run --write-docs   # also rewrite docs/performance.md
    .venv/bin/python -m tests.bench.run --quick        # smaller sizes, to check the benchmarks themselves
    .venv/bin/python -m tests.bench.run --only cli     # just (g), the CLI start-up (with --write-docs: its section)
    .venv/bin/python -m tests.bench.run --only registrations   # just (h), concurrent registrations (likewise)
    .venv/bin/python -m tests.bench.run --only verify  # just (i): ogi verify, backup, synchronous=FULL (its section)
    .venv/bin/python -m tests.bench.run --only scale   # just (j): 10⁶ cases — case pages, sweep, delivery, roll-up
    .venv/bin/python -m tests.bench.run --only transfer  # just (k): ogi export and ogi restore (its section)

Every figure is a ratio to a baseline measured in the same run; the targets are reported, never asserted.
Everything is written to a temporary directory that is removed at the end. The exit status is 1 only when a
baseline did not do the same work as the engine (different answers or different writes).
"""

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tests.bench import (
    action_bench,
    calendar_bench,
    cli_bench,
    evidence_bench,
    fixture,
    import_bench,
    memory_bench,
    profile_bench,
    registration_bench,
    report,
    scale_bench,
    scale_report,
    stats_bench,
    sweep_bench,
    transfer_bench,
    web_bench,
)
from tests.bench.common import Sizes, machine_info

DOC = Path(__file__).resolve().parents[2] / "docs" / "performance.md"


def _say(message: str) -> None:
    """Progress goes to stderr, so that stdout holds only the report."""
    print(message, file=sys.stderr, flush=True)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true", help=f"rewrite {DOC.name} from this run")
    parser.add_argument("--quick", action="store_true", help="reduced sizes (a smoke run; cannot write the docs)")
    parser.add_argument("--only", choices=["cli", "registrations", "verify", "scale", "transfer", "web"],
                        help="run only this part: cli = (g) the command-line start-up; registrations = (h) "
                             "concurrent registrations; verify = (i) records as evidence (ogi verify, backup, "
                             "synchronous=FULL); scale = (j) 10⁶ cases: case pages, the sweep beside closed history, "
                             "delivery of a large outbox, the roll-up (fixtures cached under /tmp); "
                             "transfer = (k) ogi export and ogi restore; web = (l) the web workbench's pages "
                             "on (j)'s platforms")
    parser.add_argument("--profile-top", type=int, default=0, metavar="N",
                        help="also print cProfile's N most expensive functions of the use case")
    args = parser.parse_args(argv)
    if args.quick and args.write_docs:
        parser.error("--write-docs publishes the documented sizes: run it without --quick")
    return args


def measure(sizes: Sizes, profile_top: int = 30) -> report.Results:
    """Run every benchmark at the given sizes (keeping the `profile_top` most expensive functions of the use case)."""
    started = time.perf_counter()
    info = machine_info()
    _say(f"(a) working-day arithmetic on {sizes.calendar_starts * len(calendar_bench.LENGTHS):,} pairs…")
    calendar = calendar_bench.run(starts=sizes.calendar_starts)
    with tempfile.TemporaryDirectory(prefix="ogi-bench-") as tmp:
        workdir = Path(tmp)
        _say(f"registering {sizes.cases:,} applications through workflow.cases.register…")
        master = fixture.build(workdir / "master.db", sizes.cases, progress=lambda n: _say(f"  {n:,} registered"))
        _say("(c) memory of loading every case…")
        memory = memory_bench.run(master, fixture.REGISTERED_ON)
        _say("(b) one action: use case, bare SQLModel Session, raw sqlite3…")
        actions = action_bench.run(master, workdir, acting_cases=sizes.acting_cases, rounds=sizes.rounds)
        _say("(b) profiling the use case…")
        profile = profile_bench.run(master, workdir, acting_cases=sizes.profile_cases,
                                    top=max(profile_top, 1))
        _say(f"(d) bulk-loading {sizes.sweep_cases:,} and {sizes.sweep_whole_cases:,} open cases for the sweep…")
        big = sweep_bench.build(workdir / "sweep-master.db", sizes.sweep_cases, registered=sizes.sweep_registered)
        small = sweep_bench.build(workdir / "sweep-small.db", sizes.sweep_whole_cases,
                                  registered=sizes.sweep_registered)
        _say(f"(d) raw query, then raise_alerts twice over {sizes.sweep_cases:,} open cases (the slow part)…")
        sweep = sweep_bench.run(big, small, workdir,
                                progress=lambda step: _say(f"  {step}"))
        _say(f"(e) annual statistics over {sizes.stats_applications:,} applications: engine and raw SQL…")
        stats = stats_bench.run(workdir, sizes.stats_applications)
        _say(f"(f) importing a ledger of {sizes.ledger_rows:,} rows…")
        ledger = import_bench.run(workdir, sizes.ledger_rows)
        _say("(g) command-line start-up…")
        cli = cli_bench.run(workdir, sizes.cli_runs)
        _say(f"(h) {sizes.registrations:,} registrations by 1, 2 and 4 writer processes on SQLite and PostgreSQL, "
             f"{sizes.registration_rounds} rounds…")
        registrations = registration_bench.run(workdir, sizes.registrations, sizes.registration_rounds)
    return report.Results(info, sizes, time.perf_counter() - started, calendar, actions, memory, profile, sweep,
                          stats, ledger, cli, registrations)


def only_cli(args: argparse.Namespace) -> int:
    """(g) alone: print it and, with --write-docs, rewrite its section of the docs."""
    runs = Sizes.quick().cli_runs if args.quick else Sizes().cli_runs
    info = machine_info()
    _say(f"(g) building a demo database, then {runs} runs of each command…")
    with tempfile.TemporaryDirectory(prefix="ogi-bench-") as tmp:
        cli = cli_bench.run(Path(tmp), runs)
    print(report.cli_text(cli))
    if args.write_docs:
        DOC.write_text(report.replace_section(DOC.read_text(encoding="utf-8"), report.CLI_HEADING,
                                              report.cli_markdown(cli, info)), encoding="utf-8")
        _say(f"wrote the (g) section of {DOC}")
    return 0


def only_registrations(args: argparse.Namespace) -> int:
    """(h) alone: print it and, with --write-docs, rewrite its section of the docs; 1 if a registration was lost."""
    sizes = Sizes.quick() if args.quick else Sizes()
    info = machine_info()
    _say(f"(h) {sizes.registrations:,} registrations by 1, 2 and 4 writer processes on SQLite and PostgreSQL, "
         f"{sizes.registration_rounds} rounds…")
    with tempfile.TemporaryDirectory(prefix="ogi-bench-") as tmp:
        result = registration_bench.run(Path(tmp), sizes.registrations, sizes.registration_rounds)
    print(report.registrations_text(result))
    if args.write_docs:
        DOC.write_text(report.replace_section(DOC.read_text(encoding="utf-8"), report.REGISTRATIONS_HEADING,
                                              report.registrations_markdown(result, info)), encoding="utf-8")
        _say(f"wrote the (h) section of {DOC}")
    if not result.sound:
        _say("ERROR: a registration failed or the stored numbers have a gap or a repeat")
        return 1
    return 0


def evidence(sizes: Sizes, workdir: Path) -> evidence_bench.EvidenceResult:
    """(i) at the given sizes."""
    return evidence_bench.run(workdir, cases_total=sizes.evidence_cases, live=sizes.evidence_live,
                              rounds=sizes.evidence_rounds, durability_cases=sizes.durability_cases,
                              durability_acting=sizes.durability_acting, durability_rounds=sizes.durability_rounds,
                              say=_say)


def _write_section(heading: str, markdown: str, part: str) -> None:
    """Rewrite one part's section of the docs (`--only … --write-docs`), leaving the others as they are."""
    DOC.write_text(report.replace_section(DOC.read_text(encoding="utf-8"), heading, markdown), encoding="utf-8")
    _say(f"wrote the ({part}) section of {DOC}")


def only_evidence(args: argparse.Namespace) -> int:
    """(i) alone: print it and, with --write-docs, rewrite its section of the docs; 1 if verify found problems."""
    info = machine_info()
    with tempfile.TemporaryDirectory(prefix="ogi-bench-") as tmp:
        result = evidence(Sizes.quick() if args.quick else Sizes(), Path(tmp))
    print(report.evidence_text(result))
    if args.write_docs:
        _write_section(report.EVIDENCE_HEADING, report.evidence_markdown(result, info), "i")
    return 0 if result.clean else 1


def scale(sizes: Sizes, workdir: Path) -> scale_bench.ScaleResult:
    """(j) at the given sizes."""
    return scale_bench.run(workdir, open_cases=sizes.scale_open, closed_cases=sizes.scale_closed,
                           deliveries=sizes.scale_deliveries, page_runs=sizes.scale_page_runs, say=_say)


def only_scale(args: argparse.Namespace) -> int:
    """(j) alone: print it and, with --write-docs, rewrite its section of the docs; 1 if a baseline disagreed."""
    info = machine_info()
    with tempfile.TemporaryDirectory(prefix="ogi-bench-") as tmp:
        result = scale(Sizes.quick() if args.quick else Sizes(), Path(tmp))
    print(scale_report.scale_text(result))
    if args.write_docs:
        _write_section(scale_report.SCALE_HEADING, scale_report.scale_markdown(result, info), "j")
    return 0 if result.sound else 1


def only_transfer(args: argparse.Namespace) -> int:
    """(k) alone: print it and, with --write-docs, rewrite its section of the docs; 1 if the round trip was unsound."""
    info = machine_info()
    cases, live = ((transfer_bench.QUICK_CASES, transfer_bench.QUICK_LIVE) if args.quick
                   else (transfer_bench.CASES, transfer_bench.LIVE))
    with tempfile.TemporaryDirectory(prefix="ogi-bench-") as tmp:
        result = transfer_bench.run(Path(tmp), cases=cases, live=live, say=_say)
    print(transfer_bench.text(result))
    if args.write_docs:
        _write_section(transfer_bench.HEADING, transfer_bench.markdown(result, info), "k")
    return 0 if result.sound else 1


def web(sizes: Sizes, workdir: Path) -> web_bench.WebResult:
    """(l) at the given sizes."""
    return web_bench.run(workdir, open_cases=sizes.scale_open, closed_cases=sizes.scale_closed,
                         runs=sizes.scale_page_runs, say=_say)


def only_web(args: argparse.Namespace) -> int:
    """(l) alone: print it and, with --write-docs, rewrite its section of the docs."""
    info = machine_info()
    with tempfile.TemporaryDirectory(prefix="ogi-bench-") as tmp:
        result = web(Sizes.quick() if args.quick else Sizes(), Path(tmp))
    print(web_bench.text(result))
    if args.write_docs:
        _write_section(web_bench.HEADING, web_bench.markdown(result, info), "l")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print, optionally write the docs; 1 if a baseline did different work than the engine."""
    args = _arguments(argv)
    if args.only == "cli":
        return only_cli(args)
    if args.only == "registrations":
        return only_registrations(args)
    if args.only == "verify":
        return only_evidence(args)
    if args.only == "scale":
        return only_scale(args)
    if args.only == "transfer":
        return only_transfer(args)
    if args.only == "web":
        return only_web(args)
    sizes = Sizes.quick() if args.quick else Sizes()
    results = measure(sizes, args.profile_top)
    with tempfile.TemporaryDirectory(prefix="ogi-bench-") as tmp:
        records = evidence(sizes, Path(tmp))
    with tempfile.TemporaryDirectory(prefix="ogi-bench-") as tmp:
        scaled = scale(sizes, Path(tmp))
    with tempfile.TemporaryDirectory(prefix="ogi-bench-") as tmp:
        pages = web(sizes, Path(tmp))
    print(report.text(results))
    print("\n" + report.evidence_text(records))
    print("\n" + scale_report.scale_text(scaled))
    print("\n" + web_bench.text(pages))
    if args.profile_top > 0:
        print(f"\ncProfile of the use case, top {args.profile_top} functions by own time\n{results.profile.top}")
    if args.write_docs:
        document = report.replace_section(report.markdown(results), report.EVIDENCE_HEADING,
                                          report.evidence_markdown(records, results.machine, report.COMMAND
                                                                   + " --write-docs"))
        document = report.replace_section(document, scale_report.SCALE_HEADING, scale_report.scale_markdown(
            scaled, results.machine, report.COMMAND + " --write-docs"))
        DOC.write_text(report.replace_section(document, web_bench.HEADING, web_bench.markdown(
            pages, results.machine, report.COMMAND + " --write-docs")), encoding="utf-8")
        _say(f"wrote {DOC}")
    if not records.clean:
        _say("ERROR: ogi verify found problems in a database built through the engine")
        return 1
    if not results.sound or not scaled.sound:
        _say("ERROR: a baseline gave different answers or left different data than the engine")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
