"""Benchmarks run by `make bench` (`python -m tests.bench.run`); figures are ratios to baselines of the same run."""
