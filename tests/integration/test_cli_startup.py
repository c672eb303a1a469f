"""`ogi` starts fast: help imports no engine, a command imports only what it needs (timings: make bench (g))."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from workflow.cli import app
from workflow.cli.root import COMMANDS

OGI = str(Path(sys.executable).with_name("ogi"))
ENGINE = ("sqlalchemy", "sqlmodel", "workflow.models", "workflow.db", "pydantic")


def _imported(*argv: str, cwd: Path | None = None) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the installed `ogi` under `-X importtime`; the modules it imported, by name."""
    done = subprocess.run([sys.executable, "-X", "importtime", OGI, *argv], capture_output=True, text=True, cwd=cwd,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "120"})
    names = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return done, names


def _loaded(names: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in packages))


def test_help_lists_every_command_without_importing_the_engine() -> None:
    done, names = _imported("--help")
    assert done.returncode == 0
    assert _loaded(names, ENGINE) == []
    for name, (_, text) in COMMANDS.items():
        assert name in done.stdout and text[:20] in done.stdout, name


def test_show_json_loads_neither_rich_nor_the_exports(tmp_path: Path) -> None:
    run = lambda *a: subprocess.run([OGI, "--db", str(tmp_path / "o.db"), "--as", "admin", *a],  # noqa: E731
                                    capture_output=True, text=True, check=True)
    run("init", "--agency", "某区政府办公室")
    run("user", "add", "clerk", "--role", "clerk")
    number = subprocess.run([OGI, "--db", str(tmp_path / "o.db"), "--as", "clerk", "receive", "--applicant", "张三",
                             "--type", "natural", "--channel", "online", "--received-on", "2025-03-03",
                             "--request", "某文件", "--json"], capture_output=True, text=True, check=True).stdout
    done, names = _imported("--db", str(tmp_path / "o.db"), "--today", "2025-03-04", "show",
                            number.split('"')[3], "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"number"' in done.stdout
    assert _loaded(names, ("rich", "jinja2", "docx", "openpyxl", "apscheduler", "psycopg", "workflow.report.html",
                           "workflow.ledger", "workflow.alerts", "notifications.channels")) == []


def _first_line(command: typer.core.TyperCommand | typer.core.TyperGroup) -> str:
    return (command.short_help or command.help or "").split("\n\n")[0].strip()


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_lazy_table_says_what_the_command_itself_says(name: str) -> None:
    root = typer.main.get_command(app)
    command = root.commands[name]  # type: ignore[attr-defined]
    assert command.name == name
    assert COMMANDS[name][1] == _first_line(command)


def test_no_command_module_defines_a_command_the_table_misses() -> None:
    folder = Path(importlib.import_module("workflow.cli").__file__ or "").parent
    defined: dict[str, str] = {}
    for path in sorted(folder.glob("*.py")):
        module = importlib.import_module(f"workflow.cli.{path.stem}")
        if isinstance(getattr(module, "commands", None), typer.Typer):
            defined |= dict.fromkeys(typer.main.get_group(module.commands).commands, path.stem)
    assert defined == {name: module for name, (module, _) in COMMANDS.items()}
