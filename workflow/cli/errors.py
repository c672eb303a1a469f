"""Command-line usage errors in Chinese: the parser's English messages, rewritten by kind, with usage and help hint.

Typer (≥ 0.29 vendors Click as `typer._click`) reports a missing argument, an unknown option or command,
or a value of the wrong type in English. The root command group catches those errors and prints them in
Chinese instead; anything it does not recognise keeps its original text after a Chinese lead-in. The help
pages' frame (usage line, panel titles, `--help` itself) is worded in Chinese too.
"""

import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from typer import Abort
from typer._click import exceptions as cx
from typer.core import TyperGroup

if TYPE_CHECKING:
    from rich.console import Console

_TYPES = {"int": "整数", "integer": "整数", "number": "数字", "decimal": "数字", "float": "数字", "date": "日期",
          "datetime": "日期时间", "Path": "路径", "bool": "是/否",
          "Decimal": "金额", "str": "文字"}

_Rewrite = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]
_VALUE: list[_Rewrite] = [
    (re.compile(r"^Value (.+) is not a valid (\w+)\.$"), lambda m: f"{m[1]} 不是有效的{_TYPES.get(m[2], m[2])}"),
    (re.compile(r"^(?:File|Directory|Path) '(.+)' does not exist\.$"), lambda m: f"「{m[1]}」不存在"),
    (re.compile(r"^(?:File|Directory|Path) '(.+)' is a directory\.$"), lambda m: f"「{m[1]}」是目录，不是文件"),
    (re.compile(r"^(?:File|Directory|Path) '(.+)' is a file\.$"), lambda m: f"「{m[1]}」是文件，不是目录"),
    (re.compile(r"^(?:File|Directory|Path) '(.+)' is not readable\.$"), lambda m: f"「{m[1]}」不可读"),
    (re.compile(r"^(.+) is not one of (.+)\.$"), lambda m: f"{m[1]} 不是可选值之一（可选：{m[2]}）"),
    (re.compile(r"^Input should be a valid (\w+)"), lambda m: f"应为有效的{_TYPES.get(m[1], m[1])}"),
    (re.compile(r"^Input should be greater than or equal to (.+?)\.?$"), lambda m: f"不能小于 {m[1]}"),
    (re.compile(r"^Input should be greater than (.+?)\.?$"), lambda m: f"应大于 {m[1]}"),
    (re.compile(r"^Input should be less than or equal to (.+?)\.?$"), lambda m: f"不能大于 {m[1]}"),
    (re.compile(r"^Input should be less than (.+?)\.?$"), lambda m: f"应小于 {m[1]}"),
    (re.compile(r"^Input should be a finite number"), lambda m: "应为有效的数"),
    (re.compile(r"^(.+) is not in the range (.+)\.$"), lambda m: f"{m[1]} 超出允许范围（{m[2]}）"),
]
_GLOBAL_OPTIONS = ("--db", "--as", "--today")
_USAGE: list[_Rewrite] = [
    (re.compile(r"^No such command '(.+?)'\.(?: Did you mean (.+)\?)?$"),
     lambda m: f"没有命令「{m[1]}」" + (f"（是否想用 {m[2]}？）" if m[2] else "")),
    (re.compile(r"^Got unexpected extra argument(?:s|\(s\))? \((.+)\)$"), lambda m: f"多余的参数：{m[1]}"),
    (re.compile(r"^Missing command\.$"), lambda m: "缺少子命令"),
    (re.compile(r"^Option '(.+)' requires an argument\.$"), lambda m: f"选项 {m[1]} 需要一个值"),
    (re.compile(r"^Option '(.+)' requires (\d+) arguments\.$"), lambda m: f"选项 {m[1]} 需要 {m[2]} 个值"),
    (re.compile(r"^Option '(.+)' does not take a value\.$"), lambda m: f"选项 {m[1]} 不接受值"),
]


def _rewrite(text: str, rules: list[_Rewrite]) -> str | None:
    for pattern, chinese in rules:
        found = pattern.match(text.strip())
        if found:
            return chinese(found)
    return None


def _hint(error: cx.BadParameter) -> str:
    """How the error names its parameter: an option by its flag, an argument by its Chinese help text."""
    hint: Sequence[str] | str | None = error.param_hint
    described = getattr(error.param, "help", None) if error.param is not None else None
    if hint is None and error.param is not None and error.param.param_type_name == "argument" and described:
        return f"参数「{re.split(r'[（(，,：:]', described, maxsplit=1)[0].strip()}」"
    if hint is None and error.param is not None:
        hint = error.param.get_error_hint()
    if hint is None:
        return ""
    return hint if isinstance(hint, str) else " / ".join(hint)


def chinese(error: cx.ClickException) -> str:
    """The error's message in Chinese (its English text kept only when the kind is unknown)."""
    if isinstance(error, cx.MissingParameter):
        kind = error.param_type or (error.param.param_type_name if error.param is not None else "parameter")
        hint = _hint(error)
        return hint.replace("参数", "缺少参数", 1) if hint.startswith("参数「") else \
            f"缺少{'参数' if kind == 'argument' else '选项'} {hint}".rstrip()
    if isinstance(error, cx.NoSuchOption):
        suggestion = f"（是否想用 {'、'.join(sorted(error.possibilities))}？）" if error.possibilities else ""
        if error.option_name in _GLOBAL_OPTIONS:
            path = error.ctx.command_path.split(" ", 1) if error.ctx is not None else ["ogi"]
            where = f"{path[0]} {error.option_name} 值 {path[1] if len(path) > 1 else '子命令'}"
            suggestion = f"（{error.option_name} 是全局选项，须写在子命令之前：{where}）"
        return f"没有选项 {error.option_name}{suggestion}"
    if isinstance(error, cx.BadParameter):
        value = _rewrite(error.message, _VALUE) or error.message
        hint = _hint(error)
        return f"{hint}{'' if hint.endswith('」') else ' '}的值无效：{value}" if hint else f"值无效：{value}"
    return _rewrite(error.message, _USAGE) or f"命令行用法错误：{error.format_message()}"


def show(error: cx.ClickException, console: "Console", program: str = "ogi") -> None:
    """Print the error, the command's usage (when known) and where to find help, in Chinese."""
    console.print(f"[bold red]错误：[/]{chinese(error)}", highlight=False, markup=True, soft_wrap=True)
    ctx = error.ctx if isinstance(error, cx.UsageError) else None
    if ctx is not None:
        usage = re.sub(r"^Usage:\s*", "用法：", ctx.get_usage().strip())
        console.print(usage, highlight=False, markup=False, soft_wrap=True)
    command = ctx.command_path if ctx is not None else program
    console.print(f"运行「{command} --help」查看帮助。", highlight=False, markup=False)


HELP_OPTION_TEXT = "显示本帮助并退出"


def _chinese_frame() -> None:
    """The words Typer's help pages are framed with (module settings of typer.rich_utils, read when help prints).

    Set just before a help page is drawn: rich_utils loads all of rich, which a command that runs never needs.
    """
    from typer import rich_utils

    rich_utils.ARGUMENTS_PANEL_TITLE, rich_utils.OPTIONS_PANEL_TITLE = "参数", "选项"
    rich_utils.COMMANDS_PANEL_TITLE = "命令"
    rich_utils.REQUIRED_LONG_STRING, rich_utils.DEFAULT_STRING = "[必填]", "[默认：{}]"
    rich_utils.ENVVAR_STRING, rich_utils.DEPRECATED_STRING = "[环境变量：{}]", "（已停用）"


def _framed(draw: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    """A command's help drawing, framed in Chinese first."""

    def format_help(ctx: Any, formatter: Any) -> None:
        _chinese_frame()
        draw(ctx, formatter)

    return format_help


def _chinese_usage(usage: str) -> str:
    return usage.replace("Usage: ", "用法：", 1)


def chinese_help_option(command: Any, ctx: Any) -> None:
    """Give `command` and every command under it a Chinese `--help` description and usage line."""
    option = command.get_help_option(ctx)
    if option is not None:
        option.help = HELP_OPTION_TEXT
    if not getattr(command, "_chinese_usage", False):
        english, drawn = command.get_usage, command.format_help
        command.get_usage = lambda ctx: _chinese_usage(english(ctx))
        command.format_help = _framed(drawn)
        command._chinese_usage = True
    for sub in getattr(command, "commands", {}).values():
        chinese_help_option(sub, ctx)


class ChineseGroup(TyperGroup):
    """The root command group: usage errors and `--help` described in Chinese; everything else is Typer's own."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """A sub-command, its `--help` described in Chinese (Click words it in English)."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            chinese_help_option(command, ctx)
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The root's help page, framed in Chinese like every other."""
        _chinese_frame()
        super().format_help(ctx, formatter)

    def get_usage(self, ctx: Any) -> str:
        """The root's usage line, in Chinese like every other."""
        return _chinese_usage(super().get_usage(ctx))

    def get_help_option(self, ctx: Any) -> Any:
        """The root's own `--help`, which acts while the root's context is still being made."""
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION_TEXT
        return option

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, windows_expand_args: bool = True,
             **extra: Any) -> Any:
        """Run the command; a usage error becomes a Chinese message and exit code 2."""
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False,
                                  windows_expand_args=windows_expand_args, **extra)
        except cx.NoArgsIsHelpError as error:  # the help was printed already
            if not standalone_mode:
                raise
            sys.exit(error.exit_code)
        except Abort:
            if not standalone_mode:
                raise
            from rich.console import Console

            Console(stderr=True).print("已中止。", highlight=False)
            sys.exit(1)
        except cx.ClickException as error:
            if not standalone_mode:
                raise
            from rich.console import Console

            show(error, Console(stderr=True), prog_name or "ogi")
            sys.exit(error.exit_code)
        if standalone_mode:
            sys.exit(result if isinstance(result, int) else 0)
        return result
