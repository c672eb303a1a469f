"""Command-line usage errors reach the user in Chinese, with the usage line, a help hint and exit code 2."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from workflow.cli import app

OGI = str(Path(sys.executable).with_name("ogi"))


@pytest.mark.parametrize(("argv", "message"), [
    (["show"], "错误：缺少参数「案件编号」"),
    (["shw", "2025-0001"], "错误：没有命令「shw」（是否想用 'show'？）"),
    (["cases", "--bogus"], "错误：没有选项 --bogus"),
    (["calendar", "show", "二〇二五"], "错误：参数「年份」的值无效：应为有效的整数"),
    (["show", "2025-0001", "多余"], "错误：多余的参数：多余"),
    (["appeal", "show", "abc"], "错误：参数「复议、诉讼案件编号」的值无效：应为有效的整数"),
    (["act", "2025-0001", "withdraw", "--on"], "错误：选项 --on 需要一个值"),
    (["alerts", "list", "--limit", "0"], "错误：'--limit' 的值无效：不能小于 1"),
    (["scheduler", "--interval", "-1"], "错误：'--interval' 的值无效：不能小于 1"),  # it would never sweep again
    (["alerts", "sweep", "--today", "2025-01-02"],
     "错误：没有选项 --today（--today 是全局选项，须写在子命令之前：ogi --today 值 alerts sweep）"),
])
def test_usage_errors_are_explained_in_chinese(argv: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "none.db"), *argv], prog_name="ogi")
    assert result.exit_code == 2
    assert message in result.stderr
    assert "--help」查看帮助" in result.stderr
    assert "用法：ogi" in result.stderr or argv[-1] == "--on"  # the parser names no command for a bare option
    assert "Error" not in result.stderr and "Usage" not in result.stderr


def test_the_installed_command_prints_chinese_usage_errors_and_help_still_works(tmp_path: Path) -> None:
    wrong = subprocess.run([OGI, "--db", str(tmp_path / "none.db"), "letter"], capture_output=True, text=True)
    assert wrong.returncode == 2 and "错误：缺少参数「案件编号」" in wrong.stderr
    helped = subprocess.run([OGI, "calendar", "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "工作日日历" in helped.stdout
    bare = subprocess.run([OGI, "calendar"], capture_output=True, text=True)
    assert "工作日日历" in bare.stdout + bare.stderr and "错误" not in bare.stderr


def _command_paths(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    subs = getattr(command, "commands", {})
    return [path] + [p for name, sub in sorted(subs.items()) for p in _command_paths(sub, (*path, name))]


def test_every_help_page_is_framed_in_chinese() -> None:
    paths = _command_paths(typer.main.get_command(app))
    assert ("alerts", "list") in paths and ("report", "lock") in paths and len(paths) > 30
    for path in paths:
        result = CliRunner().invoke(app, [*path, "--help"], prog_name="ogi")
        assert result.exit_code == 0, path
        assert "显示本帮助并退出" in result.stdout and "Show this message" not in result.stdout, path
        assert "用法：ogi" in result.stdout and "Usage" not in result.stdout, path
        assert "Options" not in result.stdout and "[required]" not in result.stdout, path
