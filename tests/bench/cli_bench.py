"""(g) Command-line start-up: `ogi --help` and `ogi show N --json` against `python -c "import sqlmodel"`.

Each is a fresh process, as a clerk starts it. The three commands run interleaved, `runs` times each after
one untimed warm-up round, and the median wall time of each is compared with the median of the baseline
measured in the same run. The case shown comes from a demo database (`ogi demo`) built in the work directory.
Targets: `ogi --help` ≤ 0.5× (help imports no engine), `ogi show N --json` ≤ 1.3×.
"""

import sqlite3
import statistics
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

DEMO_TODAY = "2025-12-15"
HELP_TARGET, SHOW_TARGET = 0.5, 1.3


@dataclass(frozen=True)
class CliResult:
    """Median wall times (seconds) of the baseline and of the two commands, over `runs` runs each."""

    runs: int
    case: str
    baseline: float
    help: float
    show: float
    help_samples: tuple[float, ...]
    show_samples: tuple[float, ...]
    baseline_samples: tuple[float, ...]

    @property
    def help_ratio(self) -> float:
        """`ogi --help` / `python -c "import sqlmodel"`."""
        return self.help / self.baseline

    @property
    def show_ratio(self) -> float:
        """`ogi show N --json` / `python -c "import sqlmodel"`."""
        return self.show / self.baseline


def ogi() -> str:
    """The installed console script next to this interpreter."""
    return str(Path(sys.executable).with_name("ogi"))


def build_demo(workdir: Path) -> tuple[Path, str]:
    """A demo database in `workdir`, and the number of an open case in it."""
    path = workdir / "cli-demo.db"
    subprocess.run([ogi(), "--today", DEMO_TODAY, "demo", "--db-file", str(path)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with closing(sqlite3.connect(path)) as conn:
        (number,) = conn.execute("SELECT number FROM application WHERE state != 'concluded' "
                                 "ORDER BY number LIMIT 1").fetchone()
    return path, str(number)


def _wall(argv: list[str], check: bool) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    seconds = time.perf_counter() - started
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace')[-500:]}")
    return seconds


def run(workdir: Path, runs: int = 7) -> CliResult:
    """Build the demo database, then time the three commands, interleaved."""
    path, number = build_demo(workdir)
    commands = {
        "baseline": [sys.executable, "-c", "import sqlmodel"],
        "help": [ogi(), "--help"],
        "show": [ogi(), "--db", str(path), "--today", DEMO_TODAY, "show", number, "--json"],
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(runs + 1):
        for name, argv in commands.items():
            seconds = _wall(argv, check=True)
            if round_:  # the first round warms the file cache and the bytecode
                samples[name].append(seconds)
    median = {name: statistics.median(values) for name, values in samples.items()}
    return CliResult(runs, number, median["baseline"], median["help"], median["show"], tuple(samples["help"]),
                     tuple(samples["show"]), tuple(samples["baseline"]))


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ogi-cli-bench-") as tmp:
        r = run(Path(tmp), int(sys.argv[1]) if len(sys.argv) > 1 else 7)
        print(f"import sqlmodel {r.baseline * 1e3:.0f} ms; ogi --help {r.help * 1e3:.0f} ms ({r.help_ratio:.2f}×, "
              f"target ≤ {HELP_TARGET}×); ogi show --json {r.show * 1e3:.0f} ms ({r.show_ratio:.2f}×, "
              f"target ≤ {SHOW_TARGET}×)")
