"""The root of `ogi`: the global options, and every command by name and help, its module imported only when it runs."""

import gc
import os

import typer
from typer._click import Context

from workflow.cli.base import G, fail, parse_date
from workflow.cli.lazy import LazyGroup

# Every command: the module under workflow/cli/ that defines it, and its one-line help as the help page
# lists it (the command's own docstring or group help; tests/integration/test_cli_startup.py checks that
# the two agree and that no command is missing). Commands first, then groups, as Typer orders them.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("admin", "建库并创建机关与 admin 用户。"),
    "receive": ("cases", "登记一件政府信息公开申请，输出案件编号。"),
    "act": ("cases", "对案件执行一项操作（操作可写代码或中文名称）。"),
    "assign": ("cases", "负责人指派案件的承办人（记入办理记录；此后提醒发给新的承办人）。"),
    "show": ("cases", "查看案件：状态、期限、办理记录和当前可执行的操作。"),
    "cases": ("cases", "案件列表，按紧急程度排序（或按 --sort）；默认只列未办结的案件。"),
    "settings": ("admin", "查看或修改本机关的计时规则和告知书中的救济机关、缴费方式（修改须管理员）。"),
    "attach": ("files", "把材料（申请书、身份证明、签发的文书、送达回证等扫描件）归入案卷。"),
    "letter": ("cases", "生成告知书：文书中的日期、期限、金额、编号和机关名称均取自案件。"),
    "demo": ("demo", "生成一个含一年真实办理情形的演示数据库，并显示承办人首先要看的内容。"),
    "status": ("alerts", "运行状况：上次扫描、待发和失败的提醒，以及需要处理的告警。"),
    "scheduler": ("alerts", "在前台运行定时扫描（启动时先补做一次；可多进程同时运行）。"),
    "import": ("ledger", "导入历年政府信息公开申请台账（全部通过才写入；重复导入同一文件不会重复登记）。"),
    "import-appeals": ("ledger", "导入历年行政复议、行政诉讼台账（申请案件须已登记或已导入）。"),
    "supervise": ("supervise", "督办：各机关某年的申请、办结、按时办结、逾期、按时办结率和复议诉讼纠错率。"),
    "agency": ("agencies", "平台上的机关：添加、列出"),
    "backup": ("backup", "备份数据库：其他进程写入时也得到一致的副本（权限 0600）；PostgreSQL 显示 pg_dump 的用法。"),
    "serve": ("serve", "运行网页工作台（登录、工作台、申请列表、案件办理），并在本进程中定时扫描提醒。"),
    "verify": ("verify", "核对全部案件：状态、结果、期限与办理记录重演一致，记录的哈希链完整（有问题时退出码为 1）。"),
    "export": ("transfer", "导出全部数据为带版本的 JSON Lines 文件（权限 0600），可恢复到 SQLite 或 PostgreSQL。"),
    "restore": ("transfer", "把 ogi export 的文件恢复到空数据库：全部成功或不做任何改动，随后核对。"),
    "db": ("db", "数据库结构：升级到本版本（upgrade）、查看当前版本（current）"),
    "user": ("admin", "用户管理"),
    "calendar": ("admin", "工作日日历（节假日与调休）"),
    "fee": ("fees", "信息处理费"),
    "alerts": ("alerts", "到期提醒、逾期预警与自动办结"),
    "appeal": ("appeals", "行政复议与行政诉讼"),
    "report": ("report", "政府信息公开工作年度报告：ogi report 年度 [--format …] 导出；cell、check、input、lock"),
}


_GLOBAL_VALUES = frozenset({"--db", "--as", "--today", "--agency"})  # the root's options that take a value
_OWN_AGENCY = frozenset({"init"})  # commands whose own `--agency` means something else (init: the agency's name)


def _command_at(args: list[str]) -> int:
    """Where the command's name is in `args` (after the root's options), or len(args)."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in _GLOBAL_VALUES else 1
    return i


def hoisted(args: list[str]) -> list[str]:
    """`--agency CODE` wherever it is written (`ogi user add c1 --role clerk --agency swj`), moved in front of
    the command, where the root takes it: it names the agency every command works in."""
    start = _command_at(args)
    if start >= len(args) or args[start] in _OWN_AGENCY:
        return args
    front, rest = list(args[:start]), list(args[start:start + 1])
    i = start + 1
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg == "--agency" and i + 1 < len(args):
            front += args[i:i + 2]
            i += 2
            continue
        (front if arg.startswith("--agency=") else rest).append(arg)
        i += 1
    return front + rest


class RootGroup(LazyGroup):
    """`ogi`: the commands of COMMANDS, each loaded from its module under workflow/cli/ when it runs."""

    PACKAGE = "workflow.cli"
    LAZY = COMMANDS

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoisted(args))


app = typer.Typer(help="ogi-workflow：政府信息公开申请办理引擎", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False, cls=RootGroup)


@app.callback()
def main(
    db: str | None = typer.Option(None, "--db",
                                  help="数据库 URL 或 SQLite 文件路径（默认 ./ogi.db，或环境变量 OGI_DB）"),
    as_user: str | None = typer.Option(None, "--as", help="以哪个用户操作（或环境变量 OGI_USER）"),
    agency: str | None = typer.Option(None, "--agency", metavar="CODE",
                                      help="在哪个机关办理（机关代码，可写在命令中任意位置；平台只有一个机关时不必写）"),
    today: str | None = typer.Option(None, "--today", help="系统视为“今天”的日期 YYYY-MM-DD（默认真实日期）"),
) -> None:
    """ogi-workflow：政府信息公开申请办理引擎。"""
    user = as_user or os.environ.get("OGI_USER") or None
    if user is not None:
        from workflow.actors import SYSTEM_ACTOR  # only when a user is named: actors loads the tables

        if user == SYSTEM_ACTOR:
            fail("system 是系统内部身份，不能在命令行使用；需要手动执行到期处理时，请以管理员身份（--as admin）操作")
    G.begin(db=db, user=user, today=parse_date(today, "--today"), agency=agency or os.environ.get("OGI_AGENCY") or None)


def entrypoint() -> None:
    """Console script entry point."""
    gc.freeze()  # what start-up imported lives as long as the process (see workflow/cli/lazy.py)
    app()
