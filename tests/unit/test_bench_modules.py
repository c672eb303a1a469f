"""`make bench` imports every bench module: a renamed helper must not break it only when the benches run."""

import importlib
import pkgutil

import tests.bench


def test_every_bench_module_imports() -> None:
    names = [m.name for m in pkgutil.iter_modules(tests.bench.__path__)]
    assert "run" in names and "scale_bench" in names
    for name in names:
        importlib.import_module(f"tests.bench.{name}")
