"""What every `ogi` command shares: the global options, the database, output, refusals in Chinese.

Nothing heavy loads here: rich, SQLAlchemy and the engine are imported by the first call that needs
them, so that `ogi --help` stays fast (see workflow/cli/root.py).
"""

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

import typer

from workflow.errors import WorkflowError
from workflow.progress import Progress, silent
from workflow.textfiles import decode, os_problem, read_text

if TYPE_CHECKING:
    from rich.console import Console

    from workflow.db import Database

T = TypeVar("T")


class _Globals:
    """The global options of this invocation (set by the root callback)."""

    db: str | None = None
    user: str | None = None
    agency: str | None = None
    _today: date | None = None

    def begin(self, *, db: str | None, user: str | None, today: date | None, agency: str | None = None) -> None:
        """A new invocation: its --db, --as, --agency and --today."""
        self.db, self.user, self._today, self.agency = db, user, today, agency

    @property
    def today(self) -> date:
        """The legal 'today': --today, or the agency's date when first asked (one date for the whole command)."""
        if self._today is None:
            self._today = agency_today()
        return self._today


G = _Globals()


class _LazyConsole:
    """A rich Console made on first use: a command that prints JSON never loads rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    def real(self) -> "Console":
        """The Console itself (rich's own classes, such as Progress, need it)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return cast("Console", self._console)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


out = cast("Console", _LazyConsole(soft_wrap=True, width=None if sys.stdout.isatty() else 160))
err = cast("Console", _LazyConsole(stderr=True, soft_wrap=True))


def agency_today() -> date:
    """Today in the agency's zone (Asia/Shanghai): legal dates are Beijing dates."""
    from workflow.calendar import local_today

    return local_today()


def check_output(path: Path, *, force: bool) -> None:
    """Refuse, before any work, an output file that is the database in use (or its -wal/-shm file), whatever
    `--force` says, and an existing file unless `--force`."""
    from workflow.db import database_file_of, resolve_url

    database = database_file_of(resolve_url(G.db), path)
    if database is not None:
        fail(f"{path} 是正在使用的数据库 {database}（或其日志文件），不能作为输出文件：请指定另一个文件名")
    if path.is_dir():
        fail(f"{path} 是一个目录：请指定输出文件名")
    if path.exists() and not force:
        fail(f"文件 {path} 已存在，未覆盖：请换一个文件名，或加 --force 覆盖")


def write_output(path: Path, data: bytes, *, force: bool = False) -> None:
    """Write an export or letter to `path` (checked by `check_output`), or refuse in Chinese naming why.

    A new file is created exclusively, so a file that appeared meanwhile is not overwritten; with `force` the
    data goes to a temporary file first and replaces the old one in one step, so a failed write leaves it whole.
    """
    check_output(path, force=force)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp") if force else path
    try:
        f = temporary.open("wb" if force else "xb")
    except FileExistsError:
        fail(f"文件 {path} 已存在，未覆盖：请换一个文件名，或加 --force 覆盖")
    except OSError as exc:
        fail(f"无法写入 {path}：{os_problem(exc)}")
    try:
        with f:
            f.write(data)
        if force:
            os.replace(temporary, path)
    except OSError as exc:
        with suppress(OSError):
            temporary.unlink()  # ours: created just now
        fail(f"无法写入 {path}：{os_problem(exc)}")


def text_input(value: str | None, file: Path | None, option: str) -> str | None:
    """Long text given inline (`--text`) or read from a file (`--text-file`, `-` for standard input), in UTF-8."""
    if file is None:
        return value
    if value is not None:
        fail(f"{option} 与 {option}-file 只能给出一个", code=2)
    text = run(lambda: decode(sys.stdin.buffer.read(), "标准输入") if str(file) == "-" else read_text(file))
    return text.strip() or None


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a refusal to stderr and exit non-zero."""
    from rich.markup import escape

    err.print(f"[bold red]错误：[/]{escape(message)}", highlight=False, markup=True)  # [section2] is text, not markup
    raise typer.Exit(code)


def parse_date(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD date, or a clear refusal naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} 的值 {value!r} 不是有效日期（应为 YYYY-MM-DD）")


def run(use_case: Callable[[], T]) -> T:
    """Run a use case, turning any refusal or database failure into a Chinese message and exit code 1."""
    from sqlalchemy.exc import SQLAlchemyError

    from workflow.db import READ_ERRORS, UNREADABLE, failure_text, unreadable_value

    try:
        return use_case()
    except WorkflowError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(failure_text(exc))
    except READ_ERRORS as exc:
        if not unreadable_value(exc):
            raise
        fail(UNREADABLE.format(reason=exc))


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for other databases or an in-memory one)."""
    if not url.startswith("sqlite:///") or url in ("sqlite:///:memory:", "sqlite://"):
        return None
    return Path(url.removeprefix("sqlite:///"))


def database(*, create: bool = False, check_schema: bool = True) -> "Database":
    """The database named by --db / OGI_DB (default ./ogi.db); only `init` may create a SQLite file.

    Its first connection refuses a schema behind (or ahead of) this version, unless `check_schema` is False
    (`ogi db`, `ogi backup`: they must work on an old database).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from workflow.db import Database, resolve_url, shown_url, url_problem

    url = resolve_url(G.db)
    problem = url_problem(url)
    if problem is not None:
        fail(problem)
    path = sqlite_path(url)
    if path is not None and create and not path.parent.is_dir():
        fail(f"目录 {path.parent} 不存在：请先建立该目录，或用 --db 指定其他位置")
    if path is not None and not create and not path.exists():
        fail(f"数据库 {path} 不存在：请先运行 ogi init --agency 机关名称（或用 --db 指定已有的数据库）")
    try:
        return Database(url, check_schema=check_schema)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        fail(f"无法打开数据库 {shown_url(url)}：{type(exc).__name__}")


@contextmanager
def progress_bar(what: str, *, quiet: bool = False, forks: bool = False) -> Iterator[Progress]:
    """A progress bar on stderr for work that takes more than a moment; nothing when piped or `quiet` (--json).

    The bar redraws itself from a thread of its own, except for work that `forks` worker processes (which is
    safe only where no other thread runs): that bar is redrawn at each step the work reports.
    """
    if quiet or not sys.stderr.isatty():
        yield silent
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    with Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
             console=cast(_LazyConsole, err).real(), transient=True, auto_refresh=not forks) as bar:
        task = bar.add_task(what, total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, refresh=forks)

        yield step


def print_json(data: Any) -> None:
    """JSON on stdout, Chinese kept readable."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
