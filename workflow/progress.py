"""How long work says how far it got: a callback told (done, total) as it goes; faces draw it, or not."""

from collections.abc import Callable

Progress = Callable[[int, int], None]


def silent(done: int, total: int) -> None:
    """The progress of work nobody watches."""
