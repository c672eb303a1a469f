"""The `ogi` command line: parse input, call one use case, print its result in Chinese (root in `root`)."""

from workflow.cli.root import app, entrypoint

__all__ = ["app", "entrypoint"]
