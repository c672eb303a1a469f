"""What every `ogi` command shares: the root app, global options, the database, refusals in Chinese."""


import json
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from workflow.actors import SYSTEM_ACTOR
from workflow.calendar import local_today
from workflow.cli_errors import ChineseGroup
from workflow.db import Database, failure_text, resolve_url, shown_url, url_problem
from workflow.errors import WorkflowError
from workflow.textfiles import decode, os_problem, read_text

app = typer.Typer(help="ogi-workflow：政府信息公开申请办理引擎", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False, cls=ChineseGroup)

out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")


class _Globals:
    db: str | None = None
    user: str | None = None
    today: date = date.min


G = _Globals()


def agency_today() -> date:
    """Today in the agency's zone (Asia/Shanghai): legal dates are Beijing dates."""
    return local_today()


def write_output(path: Path, data: bytes) -> None:
    """Write an export or letter to `path`, or refuse in Chinese naming why (no directory, no permission…)."""
    try:
        path.write_bytes(data)
    except OSError as exc:
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
    try:
        return use_case()
    except WorkflowError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(failure_text(exc))


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for other databases or an in-memory one)."""
    if not url.startswith("sqlite:///") or url in ("sqlite:///:memory:", "sqlite://"):
        return None
    return Path(url.removeprefix("sqlite:///"))


def database(*, create: bool = False) -> Database:
    """The database named by --db / OGI_DB (default ./ogi.db); only `init` may create a SQLite file."""
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
        return Database(url)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        fail(f"无法打开数据库 {shown_url(url)}：{type(exc).__name__}")


def print_json(data: Any) -> None:
    """JSON on stdout, Chinese kept readable."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@app.callback()
def main(
    db: str | None = typer.Option(None, "--db",
                                  help="数据库 URL 或 SQLite 文件路径（默认 ./ogi.db，或环境变量 OGI_DB）"),
    as_user: str | None = typer.Option(None, "--as", help="以哪个用户操作（或环境变量 OGI_USER）"),
    today: str | None = typer.Option(None, "--today", help="系统视为“今天”的日期 YYYY-MM-DD（默认真实日期）"),
) -> None:
    """ogi-workflow：政府信息公开申请办理引擎。"""
    G.db = db
    G.user = as_user or os.environ.get("OGI_USER") or None
    if G.user == SYSTEM_ACTOR:
        fail("system 是系统内部身份，不能在命令行使用；需要手动执行到期处理时，请以管理员身份（--as admin）操作")
    G.today = parse_date(today, "--today") or agency_today()


