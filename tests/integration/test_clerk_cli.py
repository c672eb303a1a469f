"""A CLI a clerk can live in (issue 10 item 5), through the real `ogi` console script in a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from workflow import admin
from workflow.db import Database, resolve_url

OGI = str(Path(sys.executable).with_name("ogi"))


class Shell:
    """Runs the installed `ogi` against one database (a SQLite file or a PostgreSQL URL), as a clerk at a terminal
    would."""

    def __init__(self, path: str | Path) -> None:
        self.db = str(path)

    def argv(self, *args: str, as_: str | None = "clerk", today: str = "2025-03-10") -> list[str]:
        """The command line of one `ogi` call."""
        return [OGI, "--db", self.db, "--today", today, *(["--as", as_] if as_ else []), *args]

    def __call__(self, *args: str, as_: str | None = "clerk", today: str = "2025-03-10",
                 stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = self.argv(*args, as_=as_, today=today)
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


def _set_up(url: str) -> Shell:
    """An agency with users clerk, clerk2 and head, made in this process: what `ogi init` and `ogi user add` do
    is tested elsewhere, and a subprocess each would only repeat what test_cli_startup measures."""
    db = Database(resolve_url(url))
    try:
        admin.init(db, agency="测试县人民政府办公室")
        for name, role in (("clerk", "clerk"), ("clerk2", "clerk"), ("head", "head")):
            admin.add_user(db, actor_name="admin", username=name, role=role)
    finally:
        db.dispose()  # nothing of this process stays connected (SQLite checkpoints when the last one closes)
    return Shell(url)


@pytest.fixture
def sh(db_url: str) -> Shell:
    """The shell on a new database, once on SQLite and once on PostgreSQL."""
    return _set_up(db_url)


@pytest.fixture
def sqlite_sh(tmp_path: Path) -> Shell:
    """The shell on a SQLite file only: for tests of that file, or of input and output files the database never
    sees."""
    return _set_up(str(tmp_path / "ogi.db"))


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


def test_users_are_listed_disabled_enabled_and_given_roles(sh: Shell) -> None:
    number = _receive(sh)
    listed = {u["username"]: u for u in sh.json("user", "list", as_="head")}
    assert listed["clerk"]["role_label"] == "承办人" and listed["clerk"]["open_cases"] == 1
    assert set(listed) == {"admin", "clerk", "clerk2", "head"}
    done = sh.ok("user", "disable", "clerk", as_="admin")
    assert "已停用：clerk" in done.stdout and "名下还有 1 件未办结的案件" in done.stdout
    # A disabled user is refused everywhere, reading included, and nothing changes.
    before = sh.json("show", number, as_="head")
    for args in (("show", number), ("cases",), ("act", number, "withdraw", "--text", "撤回")):
        assert "用户 clerk 已停用，不能操作" in sh.refused(*args, as_="clerk")
    assert sh.json("show", number, as_="head") == before
    sh.ok("user", "enable", "clerk", as_="admin")
    sh.ok("show", number, as_="clerk")
    assert "已修改角色：clerk2（负责人" in sh.ok("user", "role", "clerk2", "负责人", as_="admin").stdout
    assert "只能由管理员执行" in sh.refused("user", "disable", "clerk2", as_="head")
    assert "唯一启用的管理员" in sh.refused("user", "role", "admin", "clerk", as_="admin")
    assert "不能停用自己" in sh.refused("user", "disable", "admin", as_="admin")
    wrong = sh.refused("user", "role", "clerk2", "组长", as_="admin")
    assert ("角色 '组长' 无效，可选：clerk、head、admin、supervisor、platform_admin"
            "（或中文：承办人、负责人、管理员、主管部门、平台管理员）") in wrong


def test_enumerated_options_take_their_code_or_chinese_label(sh: Shell) -> None:
    made = sh.json("receive", "--applicant", "某公司", "--type", "商业企业", "--channel", "互联网渠道",
                   "--received-on", "2025-03-03", "--request", "某项目批复", today="2025-03-03")
    number = made["number"]
    shown = sh.json("show", number)
    assert (shown["applicant_type"], shown["channel"]) == ("commercial", "online")
    sh.ok("act", number, "征求意见", "--party", "第三方", "--on", "2025-03-04")
    sh.ok("act", number, "收到意见（或期满无意见）", "--reply", "同意", "--on", "2025-03-06")
    shown = sh.json("show", number)
    assert [e["trigger"] for e in shown["events"]][-2:] == ["start_consultation", "end_consultation"]
    assert shown["events"][-1]["data"]["reply"] == "consent"
    done = sh.ok("act", number, "提交答复送审", "--outcome", "1", "--text", "予以公开", "--on", "2025-03-07")
    assert "提交答复送审（第 4 版），当前状态：答复待审核" in done.stdout
    stderr = sh.refused("act", number, "审核同意，出具答复", "--reply", "随便")
    assert "意见（--reply）的值 '随便' 无效，可选：consent、objection、none（或中文：同意公开、不同意公开" in stderr
    assert "未知的操作 '盖章'" in sh.refused("act", number, "盖章", as_="head")


def test_only_a_head_or_admin_enters_the_annual_report_inputs(sh: Shell, tmp_path: Path) -> None:
    inputs = tmp_path / "input.toml"
    inputs.write_text('[narrative]\noverview = "概述"\n', encoding="utf-8")
    assert "只能由负责人、管理员执行，当前用户 clerk 是承办人" in sh.refused(
        "report", "input", "2025", "--file", str(inputs), as_="clerk", today="2026-01-10")
    sh.ok("report", "input", "2025", "--file", str(inputs), as_="head", today="2026-01-10")


def test_the_case_list_pages_filters_and_searches(sh: Shell) -> None:
    numbers = [_receive(sh, f"2025-03-0{d}") for d in (3, 4, 5, 6, 7)]
    sh.ok("assign", numbers[1], "clerk2", as_="head")
    sh.ok("act", numbers[4], "withdraw", "--text", "申请人撤回", "--on", "2025-03-07")
    sh.ok("receive", "--applicant", "李四", "--type", "natural", "--channel", "online", "--received-on",
          "2025-03-07", "--request", "某小区规划许可证", today="2025-03-07")
    table = sh.ok("cases", "--limit", "2").stdout
    assert "共 5 件，显示最紧急的 2 件" in table  # the withdrawn case is closed: left out
    page = sh.json("cases", "--limit", "2")
    assert [r["number"] for r in page] == numbers[:2]
    for row in page:  # each row carries its own clocks (not another case's)
        assert row["clocks"]["response"]["due_on"] == sh.json("show", row["number"])["clocks"]["response"]["due_on"]
    assert numbers[4] in [r["number"] for r in sh.json("cases", "--all")]
    assert [r["number"] for r in sh.json("cases", "--state", "concluded")] == [numbers[4]]
    assert [r["number"] for r in sh.json("cases", "--mine", as_="clerk2")] == [numbers[1]]
    assert [r["applicant_name"] for r in sh.json("cases", "--search", "规划许可")] == ["李四"]
    assert [r["number"] for r in sh.json("cases", "--search", numbers[2])] == [numbers[2]]
    assert "--limit 应为正整数" in sh.refused("cases", "--limit", "0")


def test_the_history_reads_in_chinese_with_what_each_step_carried(sh: Shell, tmp_path: Path) -> None:
    items = tmp_path / "items.txt"
    items.write_text("一、请写明所需信息的名称；\n二、请提供身份证明。\n", encoding="utf-8")
    made = sh.json("receive", "--applicant", "张三", "--type", "natural", "--channel", "online",
                   "--received-on", "2025-03-03", "--request-file", "-", today="2025-03-03",
                   stdin="某街道 2024 年的拆迁补偿标准\n（含附件）\n")
    number = made["number"]
    assert sh.json("show", number)["request"] == "某街道 2024 年的拆迁补偿标准\n（含附件）"
    sh.ok("act", number, "request_correction", "--text-file", str(items), "--days", "10", "--on", "2025-03-04")
    sh.ok("act", number, "receive_correction", "--on", "2025-03-06")
    sh.ok("act", number, "start_consultation", "--party", "third_party", "--party-name", "某置业公司",
          "--on", "2025-03-07")
    sh.ok("act", number, "end_consultation", "--reply", "objection", "--text", "涉及商业秘密", "--on", "2025-03-10")
    text = sh.ok("show", number).stdout
    assert "request_correction" not in text.split("办理记录")[1]  # the history names actions by their label
    for shown in ("一次性告知补正", "内容：一、请写明所需信息的名称；", "期限（工作日）：10", "收到补正",
                  "征求意见", "征求对象：某置业公司", "意见：不同意公开", "内容：涉及商业秘密"):
        assert shown in text, shown
    events = sh.json("show", number)["events"]
    assert events[1]["label"] == "一次性告知补正"
    assert "内容：一、请写明所需信息的名称；\n二、请提供身份证明。" in events[1]["details"]
    assert "--text 与 --text-file 只能给出一个" in sh("act", number, "withdraw", "--text", "a", "--text-file",
                                                       str(items)).stderr
    gbk = sh.refused("act", number, "withdraw", "--text-file", _gbk(tmp_path))
    assert "不是 UTF-8 编码的文本文件（看来是 GBK/GB18030 编码）" in gbk


def _gbk(tmp_path: Path) -> str:
    path = tmp_path / "gbk.txt"
    path.write_bytes("申请人撤回".encode("gbk"))
    return str(path)


def test_appeal_actions_and_new_users_are_confirmed_in_chinese(sh: Shell) -> None:
    number = _receive(sh)
    sh.ok("act", number, "withdraw", "--text", "撤回", "--on", "2025-03-04")
    sh.ok("appeal", "file", number, "--kind", "reconsideration", "--received-on", "2025-03-06")
    done = sh.ok("appeal", "act", "1", "submit_reply", "--on", "2025-03-07")
    assert done.stdout.startswith("已办理：#1 提交书面答复/答辩状，当前状态：已答复（答辩）"), done.stdout
    assert "已添加用户 li（负责人）" in sh.ok("user", "add", "li", "--role", "head", as_="admin").stdout
