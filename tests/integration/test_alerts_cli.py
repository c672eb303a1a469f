"""The faces a clerk or duty officer reads: `ogi alerts sweep|list`, `ogi status`, `ogi cases --lapsed`, `--out`."""

import re
import socket
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.test_cli import Ogi, receive
from tests.integration.test_cli import ogi as ogi  # the fixture


@pytest.fixture
def closed_port() -> int:
    """A local port nobody listens on: a webhook there fails with 'connection refused'."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_sweep_on_a_rest_day_says_when_the_alerts_will_go_out(ogi: Ogi, monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    monkeypatch.setenv("OGI_ALERT_LOG", str(tmp_path / "alerts.log"))
    receive(ogi, "2025-03-03")  # response due Monday 2025-03-31
    saturday = ogi("alerts", "sweep", today="2025-03-29").stdout
    assert "新提醒 0 条" in saturday
    assert "2025-03-29 是休息日，不生成提醒；到期的提醒在下一个工作日 2025-03-31 发出" in saturday
    assert ogi.json("alerts", "sweep", today="2025-03-30")["quiet_until"] == "2025-03-31"
    monday = ogi.json("alerts", "sweep", today="2025-03-31")
    assert monday["quiet_until"] is None
    assert [(a["clock"], a["kind"], a["due_on"]) for a in monday["raised"]] == [("response", "reminder", "2025-03-31")]


def test_the_alert_list_names_clock_kind_and_each_delivery_in_chinese(ogi: Ogi, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       closed_port: int) -> None:
    config = tmp_path / "alerts.toml"
    config.write_text(f'channels = ["inbox", "webhook"]\n[webhook]\nurl = "http://127.0.0.1:{closed_port}/hook"\n'
                      "timeout = 2\n", encoding="utf-8")
    monkeypatch.setenv("OGI_ALERTS", str(config))
    number = receive(ogi, "2025-03-03")
    ogi("alerts", "sweep", today="2025-04-01")  # overdue since 03-31: clerk and head; the webhook is down

    pending = ogi.json("alerts", "list", "--pending", today="2025-04-01")
    assert [(a["number"], a["clock_label"], a["kind_label"], a["due_on"], a["recipients"]) for a in pending] == [
        (number, "答复期限", "逾期预警", "2025-03-31", ["clerk", "head"])]
    by_channel = {(d["channel"], d["recipient"]): d for d in pending[0]["deliveries"]}
    assert by_channel["inbox", "clerk"]["status_label"] == "已发送"
    webhook = by_channel["webhook", "clerk"]
    assert (webhook["status_label"], webhook["attempts"]) == ("待发送", 1) and webhook["last_error"]

    table = ogi("alerts", "list", "--pending", today="2025-04-01").stdout
    for text in ("生成日", "案件", "期限", "提醒", "到期日", "接收人", "发送状态",
                 number, "答复期限", "逾期预警", "clerk、head", "inbox→clerk：已发送", "webhook→head：待发送",
                 "已尝试 1 次"):
        assert text in table, text
    assert "sent" not in table and "pending" not in table  # statuses are shown in Chinese only

    assert "只列出最新的 1 条" in ogi("alerts", "list", "--limit", "1", today="2025-04-01").stdout
    assert "没有提醒" in ogi("alerts", "list", "--failed", today="2025-04-01").stdout  # one attempt is not failure


def test_status_shows_the_last_sweep_in_beijing_time(ogi: Ogi, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setenv("OGI_ALERT_LOG", str(tmp_path / "alerts.log"))
    assert "从未运行过提醒扫描" in ogi("status", today="2025-03-31").stdout
    ogi("alerts", "sweep", today="2025-03-31")
    data = ogi.json("status", today="2025-03-31")
    started = datetime.fromisoformat(data["last_sweep"]["started_at"])
    assert started.utcoffset() == timedelta(0)
    beijing = (started + timedelta(hours=8)).replace(tzinfo=None)
    assert data["last_sweep"]["started_at_local"] == beijing.strftime("%Y-%m-%d %H:%M:%S")
    text = ogi("status", today="2025-03-31").stdout
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
    assert re.search(f"上次扫描：北京时间 {stamp}（按 2025-03-31 办理），新提醒 0 条", text), text


def test_a_clerk_sees_the_lapses_still_undoable_and_undoes_one(ogi: Ogi, monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    monkeypatch.setenv("OGI_ALERT_LOG", str(tmp_path / "alerts.log"))
    lapsing, withdrawn = receive(ogi, "2025-03-03"), receive(ogi, "2025-03-03")
    ogi("act", lapsing, "request_correction", "--on", "2025-03-04", "--text", "请明确文号", "--days", "5",
        today="2025-03-04")  # due 2025-03-11
    ogi("act", withdrawn, "withdraw", "--on", "2025-03-05", today="2025-03-05")
    assert "没有可撤销的系统自动办结" in ogi("cases", "--lapsed", today="2025-03-11").stdout
    ogi("alerts", "sweep", today="2025-03-12")  # lapses the case, dated 2025-03-12

    [row] = ogi.json("cases", "--lapsed", today="2025-03-12")
    assert (row["number"], row["outcome"], row["concluded_on"], row["undo_action"]) == (
        lapsing, "6.1", "2025-03-12", "undo_lapse_correction")
    table = ogi("cases", "--lapsed", today="2025-03-12").stdout
    assert lapsing in table and withdrawn not in table and "6.1 逾期不补正，不再处理" in table
    assert "ogi act 编号 撤销操作 --reason 理由" in table

    ogi("act", lapsing, "undo_lapse_correction", "--on", "2025-03-13", "--reason", "补正材料3月10日已寄达",
        today="2025-03-13")
    assert ogi.json("cases", "--lapsed", today="2025-03-13") == []


def test_a_letter_written_where_it_cannot_be_says_why(ogi: Ogi, tmp_path: Path) -> None:
    number = receive(ogi, "2025-03-03")
    result = ogi("letter", number, "receipt", "--out", str(tmp_path / "no-such-dir" / "回执.html"), ok=False)
    assert result.exit_code == 1 and "无法写入" in result.stderr and "文件或目录不存在" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_alerts_read_marks_them_for_the_acting_user_only(ogi: Ogi, monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    monkeypatch.setenv("OGI_ALERT_LOG", str(tmp_path / "alerts.log"))
    receive(ogi, "2025-03-03")
    receive(ogi, "2025-03-04")
    ogi("alerts", "sweep", today="2025-04-02")
    unread = ogi.json("alerts", "list", "--unread")
    assert len(unread) >= 2 and not any(a["read"] for a in unread)
    first = str(unread[-1]["id"])
    assert "已将 1 条提醒标为已读" in ogi("alerts", "read", first).stdout
    assert first not in {str(a["id"]) for a in ogi.json("alerts", "list", "--unread")}
    assert len(ogi.json("alerts", "list", "--unread", as_="head")) == len(unread)  # the head's stay unread
    refused = ogi("alerts", "read", first, "99999", ok=False)
    assert "没有编号为 99999 的提醒" in refused.output
    assert len(ogi.json("alerts", "list", "--unread")) == len(unread) - 1  # nothing marked by the refusal
    assert "请写出要标为已读的提醒编号，或用 --all" in ogi("alerts", "read", ok=False).output
    assert f"已将 {len(unread) - 1} 条提醒标为已读" in ogi("alerts", "read", "--all").stdout
    assert ogi.json("alerts", "list", "--unread") == []
    assert all(a["read"] for a in ogi.json("alerts", "list"))
    later = receive(ogi, "2025-04-07")
    ogi("alerts", "sweep", today="2025-05-12")  # alerts raised after 「全部标为已读」 are unread
    assert later in {a["number"] for a in ogi.json("alerts", "list", "--unread")}
    assert "--unread 需要用 --as" in ogi("alerts", "list", "--unread", as_=None, ok=False).output
