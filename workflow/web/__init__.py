"""The clerk's web workbench: FastAPI + Jinja2 pages in Chinese over the same use cases as the CLI.

A thin face (ARCHITECTURE): it reads forms, calls one use case, and renders its result; it never computes a
date, checks a role or reads a table. `create_app` builds the application for `ogi serve` and the tests.
"""

from workflow.web.app import create_app

__all__ = ["create_app"]
