"""The `ogi` command line: the contract other issues rely on, refusals with exit codes, and no change on refusal."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from workflow.cli import app

runner = CliRunner()


class Ogi:
    """Runs `ogi` against one database (a SQLite file or a PostgreSQL URL)."""

    def __init__(self, path: str | Path) -> None:
        self.db = str(path)

    def __call__(self, *args: str, as_: str | None = "clerk", today: str = "2025-12-31", ok: bool = True) -> Any:
        argv = ["--db", self.db, "--today", today, *(["--as", as_] if as_ else []), *args]
        result = runner.invoke(app, argv)
        if ok:
            assert result.exit_code == 0, f"{argv}\n{result.stdout}\n{result.stderr}"
        else:
            assert result.exit_code != 0, f"{argv} unexpectedly succeeded:\n{result.stdout}"
        return result

    def json(self, *args: str, **kw: Any) -> Any:
        return json.loads(self(*args, "--json", **kw).stdout)

    def show(self, number: str, today: str = "2025-12-31") -> dict[str, Any]:
        return self.json("show", number, today=today)  # type: ignore[no-any-return]


@pytest.fixture
def ogi(db_url: str) -> Ogi:
    cli = Ogi(db_url)
    cli("init", "--agency", "测试县人民政府办公室", as_=None)
    cli("user", "add", "clerk", "--role", "clerk", as_="admin")
    cli("user", "add", "head", "--role", "head", as_="admin")
    return cli


def receive(ogi: Ogi, on: str, kind: str = "natural") -> str:
    return str(ogi.json("receive", "--applicant", "王五", "--type", kind, "--channel", "post_signed",
                        "--received-on", on, "--request", "某街道拆迁补偿标准", today=on)["number"])


def test_full_path_through_every_kind_of_step(ogi: Ogi) -> None:
    n = receive(ogi, "2025-03-03")
    ogi("act", n, "request_correction", "--on", "2025-03-05", "--text", "请明确文件名称", "--days", "10")
    ogi("act", n, "receive_correction", "--on", "2025-03-10")
    ogi("act", n, "start_consultation", "--on", "2025-03-11", "--party", "third_party")
    ogi("act", n, "end_consultation", "--on", "2025-03-20", "--reply", "objection", "--text", "涉及商业秘密")
    ogi("act", n, "issue_fee_notice", "--on", "2025-03-21", "--method", "per_page", "--pages", "65")
    ogi("act", n, "receive_payment", "--on", "2025-03-25")
    ogi("act", n, "request_extension", "--on", "2025-04-10", "--text", "需调取档案")
    ogi("act", n, "approve_extension", "--on", "2025-04-11", as_="head")
    ogi("act", n, "submit_response", "--on", "2025-04-20", "--outcome", "2", "--text", "部分公开")
    ogi("act", n, "return_response", "--on", "2025-04-21", "--text", "补充不予公开部分的理由", as_="head")
    ogi("act", n, "submit_response", "--on", "2025-04-22", "--outcome", "2", "--text", "部分公开（修改）")
    ogi("act", n, "approve_response", "--on", "2025-04-23", as_="head")
    case = ogi.show(n)
    assert (case["state"], case["outcome"], case["concluded_on"]) == ("concluded", "2", "2025-04-23")
    assert [e["trigger"] for e in case["events"]] == [
        "register", "request_correction", "receive_correction", "start_consultation", "end_consultation",
        "issue_fee_notice", "receive_payment", "request_extension", "approve_extension", "submit_response",
        "return_response", "submit_response", "approve_response"]
    assert set(case["clocks"]) == {"response", "correction_notice", "correction", "consultation", "fee_payment"}
    assert case["clocks"]["response"]["status"] == "met"


def test_lapses_and_reasons_through_the_cli(ogi: Ogi) -> None:
    a = receive(ogi, "2025-05-06")
    ogi("act", a, "request_correction", "--on", "2025-05-07", "--text", "补正", "--until", "2025-05-16")
    ogi("act", a, "lapse_correction", "--on", "2025-05-19", as_="admin")
    b = receive(ogi, "2025-05-06", "commercial")
    ogi("act", b, "issue_fee_notice", "--on", "2025-05-07", "--method", "per_page", "--pages", "40")
    ogi("act", b, "lapse_fee", "--on", "2025-06-10", as_="admin")
    c = receive(ogi, "2025-05-06", "research")
    ogi("act", c, "request_reasons", "--on", "2025-05-07", "--days", "10")
    ogi("act", c, "receive_reasons", "--on", "2025-05-12", "--until", "2025-07-31")
    ogi("act", c, "request_extension", "--on", "2025-05-13")
    ogi("act", c, "reject_extension", "--on", "2025-05-14", as_="head")
    ogi("act", c, "withdraw", "--on", "2025-05-15")
    outcomes = {n: ogi.show(n)["outcome"] for n in (a, b, c)}
    assert outcomes == {a: "6.1", b: "6.2", c: "6.3"}


def test_show_json_contract(ogi: Ogi) -> None:
    n = receive(ogi, "2025-09-10")
    case = ogi.show(n, today="2025-09-12")
    response = case["clocks"]["response"]
    assert response["due_on"] == "2025-10-14"  # across the 2025 National Day holiday and two 调休 weekends
    assert response["status"] == "running" and response["provisional"] is False
    assert case["events"][0]["trigger"] == "register"
    actions = {a["trigger"]: a for a in case["actions"]}
    assert actions["submit_response"]["available"] is True
    assert actions["approve_extension"]["available"] is False
    assert "只能由负责人操作" in actions["approve_extension"]["reasons"][0]


def test_show_explains_a_clock_day_by_day(ogi: Ogi) -> None:
    n = receive(ogi, "2025-09-10")
    text = ogi("show", n, "--explain", "response", today="2025-09-12").stdout
    assert "2025-09-28  第13个工作日：调休上班日，计入（国庆节）" in text
    assert "2025-10-01  不计入：节假日休息（国庆节）" in text
    assert "2025-10-14  期限届满日" in text
    explained = ogi.json("show", n, "--explain", "response", today="2025-09-12")["explanation"]
    assert sum(1 for d in explained["days"] if d["kind"] == "counted") == 20


def test_cases_sorted_by_urgency_with_filters(ogi: Ogi) -> None:
    old = receive(ogi, "2025-01-06")
    mid = receive(ogi, "2025-12-03")  # due 2025-12-31: today, not yet overdue
    new = receive(ogi, "2025-12-30")
    done = receive(ogi, "2025-12-01")
    ogi("act", done, "withdraw", "--on", "2025-12-02")
    rows = ogi.json("cases", "--all", today="2025-12-31")
    assert [r["number"] for r in rows] == [old, mid, new, done]
    assert [r["number"] for r in ogi.json("cases", today="2025-12-31")] == [old, mid, new]  # open cases only
    assert rows[0]["overdue"] is True and rows[0]["working_days_left"] < 0
    assert [r["number"] for r in ogi.json("cases", "--overdue", today="2025-12-31")] == [old]
    assert [r["number"] for r in ogi.json("cases", "--due-within", "5", today="2025-12-31")] == [old, mid]
    assert [r["number"] for r in ogi.json("cases", "--state", "concluded", today="2025-12-31")] == [done]
    assert rows[1]["clocks"]["response"] == {"due_on": "2025-12-31", "status": "running", "provisional": False}
    table = ogi("cases", today="2025-12-31").stdout
    assert "逾期" in table and old in table


def test_refusal_exits_non_zero_with_state_and_allowed_actions_and_stores_nothing(ogi: Ogi) -> None:
    n = receive(ogi, "2025-03-03")
    before = ogi.show(n)
    result = ogi("act", n, "approve_response", "--on", "2025-03-04", as_="head", ok=False)
    assert "当前状态：办理中（received）" in result.stderr
    assert "可执行的操作：" in result.stderr
    for args in (["act", n, "submit_response", "--on", "2025-03-04"],              # missing field
                 ["act", n, "submit_response", "--on", "2025-02-30", "--outcome", "1"],  # bad date
                 ["act", n, "submit_response", "--on", "2026-01-05", "--outcome", "1"],  # future
                 ["act", "2025-0042", "withdraw", "--on", "2025-03-04"],               # unknown case
                 ["act", n, "fly", "--on", "2025-03-04"],                               # unknown trigger
                 ["act", n, "withdraw", "--on", "2025-03-04", "--expect-version", "7"]):  # stale
        result = ogi(*args, ok=False)
        assert result.stderr.startswith("错误："), result.stderr
    assert ogi("act", n, "approve_extension", "--on", "2025-03-04", ok=False).exit_code == 1
    assert ogi.show(n) == before


def test_missing_user_is_named(ogi: Ogi) -> None:
    n = receive(ogi, "2025-03-03")
    result = ogi("act", n, "withdraw", "--on", "2025-03-04", as_=None, ok=False)
    assert "未指定操作用户" in result.stderr


def test_ogi_user_environment_variable_and_console_script(tmp_path: Path) -> None:
    ogi_bin = Path(sys.executable).with_name("ogi")
    env = {**os.environ, "OGI_DB": str(tmp_path / "env.db"), "OGI_USER": "admin"}
    run = lambda *a: subprocess.run([str(ogi_bin), *a], env=env, capture_output=True, text=True)  # noqa: E731
    assert run("init", "--agency", "某局").returncode == 0
    assert run("user", "add", "c1", "--role", "clerk").returncode == 0
    refused = run("receive", "--applicant", "甲", "--type", "natural", "--channel", "fax",
                  "--received-on", "2025-03-03", "--request", "x")
    assert refused.returncode == 1 and "只能由承办人操作，当前用户是管理员" in refused.stderr
    env["OGI_USER"] = "c1"
    made = run("receive", "--applicant", "甲", "--type", "natural", "--channel", "fax",
               "--received-on", "2025-03-03", "--request", "x", "--json")
    assert made.returncode == 0 and json.loads(made.stdout) == {"number": "2025-0001"}
    bad = run("receive", "--applicant", "甲", "--type", "person", "--channel", "fax",
              "--received-on", "2025-03-03", "--request", "x")
    assert bad.returncode == 1 and "申请人类型（--type）的值 'person' 无效" in bad.stderr


def test_show_warns_which_actions_are_now_late(ogi: Ogi) -> None:
    n = receive(ogi, "2025-03-03")
    actions = {a["trigger"]: a for a in ogi.show(n, today="2025-03-20")["actions"]}
    assert actions["request_correction"]["available"] is True
    assert "补正告知期限已于 2025-03-12 届满" in actions["request_correction"]["needs_reason"]
    assert actions["submit_response"]["needs_reason"] is None


def test_malformed_input_still_shows_state_and_allowed_actions(ogi: Ogi) -> None:
    n = receive(ogi, "2025-03-03")
    result = ogi("act", n, "start_consultation", "--on", "2025-03-32", "--party", "neighbour", ok=False)
    assert "办理日期（--on）的值 '2025-03-32' 不是有效日期" in result.stderr
    assert "征求对象（--party）的值 'neighbour' 无效" in result.stderr
    assert "当前状态：办理中（received）" in result.stderr and "可执行的操作：" in result.stderr


def test_system_identity_is_not_available_on_the_command_line(ogi: Ogi) -> None:
    result = ogi("cases", as_="system", ok=False)
    assert "system 是系统内部身份" in result.stderr


def test_admin_commands_need_a_named_admin(ogi: Ogi) -> None:
    refused = ogi("user", "add", "mallory", "--role", "admin", as_=None, ok=False).stderr
    assert "不能添加用户 mallory：未指定操作用户：请用 --as（或环境变量 OGI_USER）指定管理员用户" in refused


def test_missing_or_uninitialised_database_is_explained(tmp_path: Path) -> None:
    missing = Ogi(tmp_path / "none.db")
    assert "不存在：请先运行 ogi init" in missing("cases", ok=False).stderr
    assert not (tmp_path / "none.db").exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    assert "数据库尚未初始化" in Ogi(empty)("cases", ok=False).stderr
    bad = runner.invoke(app, ["--db", "nosuchdriver://x", "cases"])
    assert bad.exit_code == 1 and "无法打开数据库" in bad.stderr


def test_demo_never_overwrites_a_real_database(ogi: Ogi) -> None:
    result = ogi("demo", as_=None, ok=False)
    on_postgresql = "://" in ogi.db  # the demo only ever builds a SQLite file
    assert ("演示数据库只能是 SQLite 文件" if on_postgresql else "不是演示数据库，不会覆盖") in result.stderr
    assert ogi.show(receive(ogi, "2025-03-03"))["number"] == "2025-0001"


def test_letter_command_writes_html_and_docx(ogi: Ogi, tmp_path: Path) -> None:
    from docx import Document

    n = receive(ogi, "2025-03-03")
    ogi("act", n, "request_correction", "--on", "2025-03-04", "--text", "请明确文件名称", "--days", "10")
    html = ogi("letter", n, "correction_notice").stdout
    assert "补正" in html and n in html and "测试县人民政府办公室" in html
    out = tmp_path / "notice.docx"
    ogi("letter", n, "correction_notice", "--format", "docx", "--out", str(out))
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert n in text and "测试县人民政府办公室" in text
    assert "须用 --out" in ogi("letter", n, "receipt", "--format", "docx", ok=False).stderr
    refused = ogi("letter", n, "fee_notice", ok=False).stderr
    assert "尚未发出收费通知" in refused and "可出具的文书：receipt" in refused
