"""The package directions (docs: /ARCHITECTURE.md), and the checker that reads every real import with ast.

    states/         imports nothing of ours, and no database, scheduler, template, CLI or validation library
    notifications/  imports states/ only of ours (never workflow/), and no database library
    workflow/       may import states/ and notifications/; only its faces (cli/, web/) import a face

Every import counts: at module level or inside a function (a lazy import is still a dependency), absolute
or relative (resolved against the importing module's package).
"""

import ast
from dataclasses import dataclass
from pathlib import Path

OURS = ("states", "notifications", "workflow")
FACES = ("workflow.cli", "workflow.web")


@dataclass(frozen=True)
class Rule:
    """What the modules of one package may import."""

    ours: tuple[str, ...]  # our packages it may import
    libraries: tuple[str, ...] = ()  # third-party packages it may not import
    exempt: tuple[str, ...] = ()  # its sub-packages that may import anything of ours (the faces)
    faces_allowed: bool = True  # whether it may import a face (workflow.cli, workflow.web)


RULES = {
    "states": Rule(ours=("states",), libraries=("sqlmodel", "sqlalchemy", "apscheduler", "jinja2", "typer", "rich",
                                                "pydantic", "chinese_calendar")),
    "notifications": Rule(ours=("states", "notifications"), libraries=("sqlmodel", "sqlalchemy")),
    "workflow": Rule(ours=OURS, exempt=FACES, faces_allowed=False),
}


@dataclass(frozen=True, order=True)
class Violation:
    """One import that breaks a rule."""

    path: str  # relative to the root
    line: int
    imported: str
    reason: str


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def module_name(root: Path, path: Path) -> str:
    """The dotted name of a source file under `root` (a package's __init__ is the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(root: Path, path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports, with its line: `import a.b`, `from a.b import c` (as a.b.c), relative ones."""
    name = module_name(root, path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            found += [(node.lineno, f"{origin}.{alias.name}") for alias in node.names]
    return found


def _broken(rule: Rule, importer: str, imported: str) -> str | None:
    """Why `importer` may not import `imported` under `rule`, or None."""
    top = imported.split(".")[0]
    if top in OURS:
        if top not in rule.ours:
            return f"{importer.split('.')[0]}/ may import only {', '.join(p + '/' for p in rule.ours)} of ours"
        if not rule.faces_allowed and _within(imported, FACES):
            return "only a face (workflow/cli/, workflow/web/) imports a face"
        return None
    if top in rule.libraries:
        return f"{importer.split('.')[0]}/ may not import {top}"
    return None


def violations(root: Path, rules: dict[str, Rule] = RULES) -> list[Violation]:
    """Every import under `root` (a tree holding our packages) that breaks its package's rule, sorted."""
    found = []
    for package, rule in rules.items():
        for path in sorted((root / package).rglob("*.py")):
            importer = module_name(root, path)
            if _within(importer, rule.exempt):
                continue
            for line, imported in imports(root, path):
                reason = _broken(rule, importer, imported)
                if reason:
                    found.append(Violation(path.relative_to(root).as_posix(), line, imported, reason))
    return sorted(found)
