"""A CLI a clerk can live in (issue 10 item 5), through the real `ogi` console script in a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

OGI = str(Path(sys.executable).with_name("ogi"))


class Shell:
    """Runs the installed `ogi` against one SQLite file, as a clerk at a terminal would."""

    def __init__(self, path: Path) -> None:
        self.db = str(path)

    def __call__(self, *args: str, as_: str | None = "clerk", today: str = "2025-03-10",
                 stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = [OGI, "--db", self.db, "--today", today, *(["--as", as_] if as_ else []), *args]
        env = {k: v for k, v in os.environ.items() if k not in ("OGI_USER", "OGI_DB")}
        return subprocess.run(argv, capture_output=True, text=True, input=stdin, env=env, timeout=60)

    def ok(self, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        done = self(*args, **kw)
        assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
        return done

    def json(self, *args: str, **kw: Any) -> Any:
        return json.loads(self.ok(*args, "--json", **kw).stdout)

    def refused(self, *args: str, **kw: Any) -> str:
        done = self(*args, **kw)
        assert done.returncode == 1, f"{args} should be refused:\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr
        return done.stderr


@pytest.fixture
def sh(tmp_path: Path) -> Shell:
    shell = Shell(tmp_path / "ogi.db")
    shell.ok("init", "--agency", "测试县人民政府办公室", as_=None)
    for name, role in (("clerk", "clerk"), ("clerk2", "clerk"), ("head", "head")):
        shell.ok("user", "add", name, "--role", role, as_="admin")
    return shell


def _receive(sh: Shell, on: str = "2025-03-03") -> str:
    made = sh.json("receive", "--applicant", "张三", "--type", "natural", "--channel", "online",
                   "--received-on", on, "--request", "某街道拆迁补偿标准", today=on)
    return str(made["number"])


def test_a_head_assigns_another_clerk_and_it_is_recorded(sh: Shell) -> None:
    number = _receive(sh)
    assert sh.json("show", number)["assignee"] == "clerk"  # the registering clerk
    done = sh.ok("assign", number, "clerk2", as_="head")
    assert f"已办理：{number} 指派承办人（第 2 版）" in done.stdout and "承办人：clerk2" in done.stdout
    shown = sh.json("show", number)
    assert shown["assignee"] == "clerk2" and shown["state"] == "received"
    assert shown["events"][-1]["trigger"] == "assign" and shown["events"][-1]["data"]["assignee"] == "clerk2"


def test_a_clerk_may_not_assign_and_nothing_changes(sh: Shell) -> None:
    number = _receive(sh)
    before = sh.json("show", number)
    stderr = sh.refused("assign", number, "clerk2", as_="clerk")
    assert "「指派承办人」只能由负责人操作" in stderr and "当前状态：办理中" in stderr
    assert sh.json("show", number) == before


@pytest.mark.parametrize(("who", "problem"), [("nobody", "用户 nobody 不存在或已停用"),
                                               ("clerk", "clerk 已是案件 2025-0001 的承办人"),
                                               ("admin", "承办人须为承办人或负责人")])
def test_assigning_someone_who_cannot_be_the_clerk_is_refused(sh: Shell, who: str, problem: str) -> None:
    number = _receive(sh)
    before = sh.json("show", number)
    assert problem in sh.refused("assign", number, who, as_="head")
    assert sh.json("show", number) == before


def test_reminders_go_to_the_assignee(sh: Shell) -> None:
    number = _receive(sh)
    sh.ok("assign", number, "clerk2", as_="head")
    sh.ok("alerts", "sweep", as_="admin", today="2025-03-31")  # the response is due 2025-03-31
    alerts = sh.json("alerts", "list", as_="admin", today="2025-03-31")
    recipients = {r for a in alerts if a["number"] == number for r in a["recipients"]}
    assert "clerk2" in recipients and "clerk" not in recipients


def test_an_action_prints_its_result_in_chinese_from_one_use_case(sh: Shell) -> None:
    number = _receive(sh)
    done = sh.ok("act", number, "request_correction", "--text", "请明确信息名称", "--days", "10", "--on", "2025-03-05")
    assert done.stdout.startswith(f"已办理：{number} 一次性告知补正（第 2 版），当前状态：待补正")
    result = sh.json("act", number, "receive_correction", "--on", "2025-03-07")
    assert (result["state"], result["version"], result["next_due_clock"]) == ("received", 3, "response")
    assert result["event"]["label"] == "收到补正" and result["next_due_on"] == "2025-04-07"  # 04-04 清明节
    assert {"trigger": "submit_response", "label": "提交答复送审"} in result["available"]
