"""Pausing Python's cyclic garbage collector while a burst of long-lived, cycle-free objects is made."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block; it resumes (if it was on) when the block ends.

    Each allocation burst makes the collector rescan every container alive, which is wasted work when
    the new objects form no cycles (or live for the whole process): reference counting frees them anyway.
    Two such bursts are measured: a catch-up sweep's rows (0.8 s of a 2 s sweep over 100,000 cases,
    `make bench` (d)), and importing a command's modules at `ogi` start-up (about a tenth of it, (g)).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
