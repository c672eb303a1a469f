"""The house rules: dependencies point inward (tests/architecture.py), and the lifecycle doc is generated."""

import ast
from pathlib import Path

import pytest

from states import diagram
from tests import architecture

ROOT = Path(__file__).resolve().parents[2]


def test_the_real_tree_keeps_every_package_direction() -> None:
    assert architecture.violations(ROOT) == []


def test_the_checker_sees_every_package_and_its_imports() -> None:
    # A checker that read no file would find no violation either.
    assert architecture.imports(ROOT, ROOT / "workflow" / "cli" / "base.py")
    assert {"states", "notifications", "workflow"} <= {p.split("/")[0] for p in _sources()}


def _sources() -> list[str]:
    return [p.relative_to(ROOT).as_posix() for name in architecture.RULES for p in (ROOT / name).rglob("*.py")]


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_import_check_would_catch_a_violation(tmp_path: Path) -> None:
    # The same checker, on a small tree that breaks each rule once (and keeps it elsewhere).
    _write(tmp_path, {
        "states/__init__.py": "",
        "states/case.py": "from sqlmodel import Session\nimport jinja2\nfrom states import clocks\n",
        "states/clocks.py": "def late():\n    from workflow.db import Database  # lazy, still a dependency\n",
        "notifications/__init__.py": "",
        "notifications/policy.py": "from states.clocks import late\nfrom ..workflow import inputs\n",
        "notifications/channels.py": "import sqlalchemy.exc\nimport smtplib\n",
        "workflow/__init__.py": "",
        "workflow/cases.py": "import sqlmodel\nfrom workflow.cli.render import render_case\n",
        "workflow/cli/__init__.py": "",
        "workflow/cli/show.py": "import rich\nfrom workflow import cases\nfrom . import render\n",
        "workflow/cli/render.py": "",
    })
    found = [(v.path, v.line, v.imported) for v in architecture.violations(tmp_path)]
    assert found == [
        ("notifications/channels.py", 1, "sqlalchemy.exc"),
        ("notifications/policy.py", 2, "workflow.inputs"),
        ("states/case.py", 1, "sqlmodel.Session"),
        ("states/case.py", 2, "jinja2"),
        ("states/clocks.py", 2, "workflow.db.Database"),
        ("workflow/cases.py", 2, "workflow.cli.render.render_case"),
    ]
    reasons = {v.imported: v.reason for v in architecture.violations(tmp_path)}
    assert reasons["workflow.inputs"] == "notifications/ may import only states/, notifications/ of ours"
    assert reasons["workflow.cli.render.render_case"] == "only a face (workflow/cli/, workflow/web/) imports a face"


def test_lifecycle_doc_matches_the_transition_table() -> None:
    document = (ROOT / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    assert diagram.generated() in document, "docs/lifecycle.md is stale: run `make docs`"


@pytest.mark.parametrize("name", ["states", "workflow", "notifications"])
def test_every_module_has_a_docstring(name: str) -> None:
    missing = [p.name for p in (ROOT / name).rglob("*.py")
               if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert missing == []
