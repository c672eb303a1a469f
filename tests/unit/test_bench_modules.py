"""`make bench` imports every bench module and builds its fixtures on the current schema: a renamed helper or a
new column must not break it only when the benches run."""

import importlib
import pkgutil
import sqlite3
from contextlib import closing
from pathlib import Path

import tests.bench
from tests.bench import evidence_bench, fixture, registration_bench, scale_fixture, stats_bench, sweep_bench
from workflow.db import Database
from workflow.verify import verify


def test_every_bench_module_imports() -> None:
    names = [m.name for m in pkgutil.iter_modules(tests.bench.__path__)]
    assert "run" in names and "scale_bench" in names
    for name in names:
        importlib.import_module(f"tests.bench.{name}")


def test_the_bulk_fixtures_write_rows_the_current_schema_takes(tmp_path: Path) -> None:
    """The benches write their large databases by raw INSERTs beside the use cases; a NOT NULL column the models
    gain must fail here, not first in a `make bench` run (it did: application.urgency, agency.code)."""
    sweep = sweep_bench.build(tmp_path / "sweep.db", 40, registered=6)
    assert sweep.shape_ok  # the bulk rows are exactly what registering wrote for the registered ones
    stats_bench.build(tmp_path / "stats.db", 300).dispose()
    scale_fixture._open_platform(tmp_path / "platform.db", 80, seed=17)
    scale_fixture._add_history(tmp_path / "platform.db", 80, seed=18)
    assert registration_bench._prepare(fixture.url(tmp_path / "registrations.db"), 3, 2) == ["clerk1", "clerk2",
                                                                                             "clerk3"]
    path, appealed, _ = evidence_bench.build(tmp_path, 60, 10)
    assert appealed == 1
    db = Database(fixture.url(path))
    try:
        found = verify(db, today=evidence_bench.TODAY)
    finally:
        db.dispose()
    assert (found.cases, found.ok) == (60, True)  # (i) times verify on a database it finds sound
    for name in ("sweep", "stats", "platform", "registrations"):
        with closing(sqlite3.connect(tmp_path / f"{name}.db")) as conn:
            assert conn.execute("SELECT count(*) FROM application").fetchone()[0] == {
                "sweep": 40, "stats": 300, "platform": 160, "registrations": 0}[name]
