"""Sub-commands loaded on first use: the root knows each command's name and help, and imports its module when it runs.

`ogi --help` then lists every command without importing the engine (SQLModel, SQLAlchemy, the tables), and
`ogi show …` imports only what showing a case needs. A command's module holds a Typer app named `commands`
on which it registers its commands and command groups, exactly as on the root.
"""

import gc
import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from functools import cache
from typing import Any, ClassVar

import typer
from typer._click import Command, Context
from typer.core import TyperCommand

from workflow.cli.errors import ChineseGroup
from workflow.collector import collector_paused


@cache
def _module_commands(module: str) -> Mapping[str, Command]:
    """The Click commands of one command module (built once per process)."""
    with collector_paused():  # the engine's modules: many objects, all kept for the whole process
        holder = importlib.import_module(module).commands
        # Modules, classes and tables live as long as the process: frozen, no later collection scans them
        # again, nor the full one Python makes at exit (together about a tenth of `ogi show`, make bench (g)).
        gc.freeze()
    return typer.main.get_group(holder).commands


class LazyCommands(MutableMapping[str, Command]):
    """Command name → command, loading a command's module only when the command itself is looked up."""

    def __init__(self, package: str, table: Mapping[str, tuple[str, str]]) -> None:
        self.package = package
        self.table = table  # name → (module in `package`, one-line help)
        self.added: dict[str, Command] = {}

    def __getitem__(self, name: str) -> Command:
        if name in self.added:
            return self.added[name]
        module, _ = self.table[name]
        return _module_commands(f"{self.package}.{module}")[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self.added[name] = command

    def __delitem__(self, name: str) -> None:
        del self.added[name]

    def __iter__(self) -> Iterator[str]:
        yield from self.table
        yield from (name for name in self.added if name not in self.table)

    def __len__(self) -> int:
        return len(self.table) + len(self.added.keys() - self.table.keys())

    def stub(self, name: str) -> Command | None:
        """A stand-in for the help listing: the command's name and one-line help, nothing imported."""
        if name in self.added:
            return self.added[name]
        if name not in self.table:
            return None
        return TyperCommand(name, help=self.table[name][1])


class LazyGroup(ChineseGroup):
    """A root group whose commands come from `LAZY` (name → (module in PACKAGE, its help)), imported when they run."""

    PACKAGE: ClassVar[str] = ""
    LAZY: ClassVar[Mapping[str, tuple[str, str]]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.PACKAGE, self.LAZY)
        self._listing = False

    def list_commands(self, ctx: Context) -> list[str]:
        """Every command name, in the order of the table (no module is imported)."""
        return list(self.commands)

    def get_command(self, ctx: Context, cmd_name: str) -> Any:
        """The command itself; while the help page is being drawn, only its stand-in."""
        if self._listing and isinstance(self.commands, LazyCommands):
            return self.commands.stub(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: Context, formatter: Any) -> None:
        """The help page lists the commands from the table, so that asking for help imports none of them."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
