"""Shared pieces of the benchmarks: latency statistics, targets and a description of the machine."""

import os
import platform
import sqlite3
import statistics
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

_PACKAGES = ("SQLAlchemy", "sqlmodel", "pydantic", "transitions", "chinesecalendar")


@dataclass(frozen=True)
class Latency:
    """Summary of many timings of one operation, in seconds."""

    count: int
    mean: float
    p50: float
    p95: float
    p99: float

    @classmethod
    def of(cls, samples: list[float]) -> "Latency":
        """Mean and percentiles of at least two samples (the percentiles interpolate between samples)."""
        if len(samples) < 2:
            raise ValueError("need at least two samples")
        cuts = statistics.quantiles(samples, n=100, method="inclusive")
        return cls(len(samples), statistics.fmean(samples), cuts[49], cuts[94], cuts[98])


@dataclass(frozen=True)
class Target:
    """A performance goal: a figure compared with a threshold, reported as met or missed (never asserted)."""

    name: str
    value: float
    threshold: float
    at_least: bool
    unit: str

    @property
    def met(self) -> bool:
        """Whether the figure reaches the threshold."""
        return self.value >= self.threshold if self.at_least else self.value <= self.threshold

    def describe(self) -> str:
        """One line: the figure, the goal and whether it was met."""
        sign = "≥" if self.at_least else "≤"
        verdict = "met" if self.met else "MISSED"
        return f"{self.name}: {self.value:.2f}{self.unit} (target {sign} {self.threshold:g}{self.unit}) — {verdict}"


@dataclass(frozen=True)
class MachineInfo:
    """Where and with what the benchmarks ran."""

    when: datetime
    python: str
    platform: str
    cpu: str
    cpus_usable: int
    cpus_total: int
    sqlite: str
    packages: tuple[tuple[str, str], ...]

    def rows(self) -> list[tuple[str, str]]:
        """Label and value pairs, in display order."""
        return [
            ("date", self.when.strftime("%Y-%m-%d %H:%M %Z").strip()),
            ("python", self.python),
            ("platform", self.platform),
            ("cpu", self.cpu),
            ("nproc (usable / total)", f"{self.cpus_usable} / {self.cpus_total}"),
            ("sqlite", self.sqlite),
            ("packages", ", ".join(f"{name} {version}" for name, version in self.packages)),
        ]


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def machine_info() -> MachineInfo:
    """Describe this machine and the versions that matter to the figures."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return MachineInfo(
        when=datetime.now().astimezone(),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        platform=platform.platform(),
        cpu=_cpu_model(),
        cpus_usable=usable,
        cpus_total=os.cpu_count() or usable,
        sqlite=sqlite3.sqlite_version,
        packages=tuple((name, _version(name)) for name in _PACKAGES),
    )


@dataclass(frozen=True)
class Sizes:
    """How big a run is; the default is the documented one, `quick()` a smoke run."""

    cases: int = 10_000  # applications registered for (b) and (c)
    acting_cases: int = 300  # cases acted on in (b): 2 actions per case per round
    rounds: int = 3  # timed rounds in (b), after one warm-up round
    calendar_starts: int = 1000  # random start days in (a), each with n = 7, 20 and 40
    profile_cases: int = 300  # cases acted on in the profiled round
    sweep_cases: int = 100_000  # open cases swept by raise_alerts in (d)
    sweep_registered: int = 300  # of those, registered through the use case (the rest bulk-inserted alike)
    sweep_whole_cases: int = 3000  # open cases of the smaller database for the whole sweep with deliveries in (d)
    stats_applications: int = 1_000_000  # applications aggregated for the annual statistics in (e)
    ledger_rows: int = 100_000  # rows of the ledger imported in (f)
    cli_runs: int = 7  # timed runs of each command in (g)
    registrations: int = 400  # timed registrations per trial in (h), shared by the writers
    registration_rounds: int = 3  # rounds of every (h) set-up; the median trial is kept
    evidence_cases: int = 100_000  # cases `ogi verify` replays in (i)
    evidence_live: int = 500  # of those, handled through the use cases (the rest imported from a ledger)
    evidence_rounds: int = 5  # timed rounds of the raw read, verify and the backups in (i) (5: machines share CPUs)
    durability_cases: int = 1000  # cases in the database of (i)'s FULL/NORMAL actions
    durability_acting: int = 100  # cases acted on there, 2 actions per case per round
    durability_rounds: int = 3  # timed rounds there, after one warm-up round
    scale_open: int = 100_000  # open cases of (j)'s platforms
    scale_closed: int = 900_000  # concluded cases beside them on the bigger one
    scale_deliveries: int = 300_000  # outbox rows delivered in (j)
    scale_page_runs: int = 200  # timed runs of each kind of case page in (j)

    @classmethod
    def quick(cls) -> "Sizes":
        """A run of about 15 s, to check the benchmarks themselves (its figures are not published)."""
        return cls(cases=1000, acting_cases=100, rounds=1, calendar_starts=200, profile_cases=100,
                   sweep_cases=5000, sweep_registered=100, sweep_whole_cases=1000, stats_applications=50_000,
                   ledger_rows=10_000, cli_runs=3, registrations=60, registration_rounds=1,
                   evidence_cases=5000, evidence_live=50, evidence_rounds=1,
                   durability_cases=200, durability_acting=20, durability_rounds=1, scale_open=5000,
                   scale_closed=45_000, scale_deliveries=20_000, scale_page_runs=30)

    @property
    def is_full(self) -> bool:
        """Whether these are the documented sizes."""
        return self == Sizes()
