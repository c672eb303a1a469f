"""The house rules: dependencies point inward, and the lifecycle doc is generated from the table."""

import ast
from pathlib import Path

import pytest

from states import diagram

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_STATES = {"sqlmodel", "sqlalchemy", "apscheduler", "jinja2", "workflow", "notifications", "typer",
                       "rich", "pydantic", "chinese_calendar"}


def _imports(package: str) -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(path.name, alias.name.split(".")[0]) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path.name, node.module.split(".")[0]))
    return found


def test_states_is_pure_domain() -> None:
    bad = [(f, m) for f, m in _imports("states") if m in FORBIDDEN_IN_STATES]
    assert bad == []


def test_notifications_does_not_reach_into_the_database() -> None:
    bad = [(f, m) for f, m in _imports("notifications") if m in {"sqlmodel", "sqlalchemy"}]
    assert bad == []


def test_import_check_would_catch_a_violation(tmp_path: Path) -> None:
    # The checker itself must be able to fail.
    tree = ast.parse("from sqlmodel import Session\nimport jinja2\n")
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert modules & FORBIDDEN_IN_STATES == {"sqlmodel", "jinja2"}


def test_lifecycle_doc_matches_the_transition_table() -> None:
    document = (ROOT / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    assert diagram.generated() in document, "docs/lifecycle.md is stale: run `make docs`"


@pytest.mark.parametrize("name", ["states", "workflow", "notifications"])
def test_every_module_has_a_docstring(name: str) -> None:
    missing = [p.name for p in (ROOT / name).rglob("*.py")
               if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert missing == []
