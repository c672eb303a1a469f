"""`ogi calendar`: show a year, correct a day, import a year's notice — and open cases are recomputed."""

from pathlib import Path

import pytest

from tests.integration.test_cli import Ogi, receive

# A made-up 2027 notice with the shape of a real one (13 statutory days); for tests only.
NOTICE_2027 = """
year = 2027
source = "测试用通知（虚构）"
rest_days = ["2027-01-01..2027-01-03", "2027-02-06..2027-02-14", "2027-04-03..2027-04-05",
             "2027-05-01..2027-05-05", "2027-06-09", "2027-09-15", "2027-10-01..2027-10-07"]
working_days = ["2027-02-20", "2027-04-25", "2027-09-26", "2027-10-09"]
"""


@pytest.fixture
def ogi(tmp_path: Path) -> Ogi:
    cli = Ogi(tmp_path / "cal.db")
    cli("init", "--agency", "测试局", as_=None)
    cli("user", "add", "clerk", "--role", "clerk", as_="admin")
    return cli


def test_show_lists_holidays_and_adjusted_working_days_with_source(ogi: Ogi) -> None:
    year = ogi.json("calendar", "show", "2026", as_=None)
    assert year["known"] is True and year["source"].startswith("chinesecalendar")
    assert {"date": "2026-02-28", "kind": "adjusted_workday", "label": "调休上班", "name": "春节",
            "source": year["source"]} in year["adjusted_working_days"]
    assert [d["date"] for d in year["adjusted_working_days"]] == [
        "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
    unknown = ogi("calendar", "show", "2027", as_=None).stdout
    assert "未发布" in unknown and "暂定" in unknown


def test_import_makes_the_year_known_and_moves_provisional_deadlines(ogi: Ogi, tmp_path: Path) -> None:
    n = receive(ogi, "2026-12-15")
    assert ogi.show(n, today="2026-12-15")["clocks"]["response"] == {**ogi.show(n, today="2026-12-15")[
        "clocks"]["response"], "due_on": "2027-01-12", "provisional": True}
    notice = tmp_path / "2027.toml"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    result = ogi("calendar", "import", str(notice), as_="admin", today="2026-12-16")
    assert "已导入 2027 年放假安排" in result.stdout
    assert n in result.stdout and "2027-01-12" in result.stdout and "2027-01-13" in result.stdout
    response = ogi.show(n, today="2026-12-16")["clocks"]["response"]
    assert (response["due_on"], response["provisional"]) == ("2027-01-13", False)
    assert ogi.json("calendar", "show", "2027", as_=None)["source"] == "测试用通知（虚构）"


def test_set_one_day_recomputes_and_reports_moves(ogi: Ogi) -> None:
    n = receive(ogi, "2025-06-03")
    before = ogi.show(n, today="2025-06-03")["clocks"]["response"]["due_on"]
    assert before == "2025-07-01"
    result = ogi("calendar", "set", "2025-06-10", "restday", "--source", "某市临时放假通知", as_="admin",
                 today="2025-06-04")
    assert "2025-07-01" in result.stdout and "2025-07-02" in result.stdout
    assert ogi.show(n, today="2025-06-04")["clocks"]["response"]["due_on"] == "2025-07-02"
    day = next(d for d in ogi.json("calendar", "show", "2025", as_=None)["rest_days"] if d["date"] == "2025-06-10")
    assert day["source"] == "某市临时放假通知"


@pytest.mark.parametrize(("content", "message"), [
    (NOTICE_2027.replace('"2027-10-09"', '"2027-10-08"'), "2027-10-08 是工作日"),
    (NOTICE_2027.replace('"2027-06-09", ', ""), "与法定节假日 13 天不符"),
    (NOTICE_2027.replace('"2027-09-15"', '"2028-09-15"'), "2028-09-15 不属于 2027 年"),
    (NOTICE_2027.replace('"2027-04-25"', '"2027-04-03"'), "同时列为休息日和上班日"),
    (NOTICE_2027.replace("source = ", "sauce = "), "缺少字段 source"),
    (NOTICE_2027.replace('"2027-06-09"', '"2027-06-31"'), "不是有效日期"),
    ("year = [", "不是有效的 TOML"),
])
def test_inconsistent_or_incomplete_year_is_refused_and_nothing_changes(
        ogi: Ogi, tmp_path: Path, content: str, message: str) -> None:
    notice = tmp_path / "bad.toml"
    notice.write_text(content, encoding="utf-8")
    result = ogi("calendar", "import", str(notice), as_="admin", ok=False)
    assert message in result.stderr
    assert ogi.json("calendar", "show", "2027", as_=None)["known"] is False


def test_only_the_platform_admin_changes_the_calendar(ogi: Ogi) -> None:
    result = ogi("calendar", "set", "2025-06-10", "restday", "--source", "x", ok=False)
    assert "只能由平台管理员执行，当前用户 clerk 是承办人" in result.stderr
    assert ogi("calendar", "set", "2025-06-10", "holiday", "--source", "x", as_="admin", ok=False).exit_code == 1


def test_fee_pause_is_an_agency_setting_for_notices_issued_from_then_on(ogi: Ogi) -> None:
    paid, later = receive(ogi, "2025-03-03"), receive(ogi, "2025-03-03")
    ogi("act", paid, "issue_fee_notice", "--on", "2025-03-05", "--method", "per_page", "--pages", "35",
        today="2025-03-05")
    ogi("act", paid, "receive_payment", "--on", "2025-03-12", today="2025-03-12")
    assert ogi.show(paid, today="2025-03-12")["clocks"]["response"]["due_on"] == "2025-04-08"
    assert "待缴费期间答复期限暂停" in ogi("settings", as_="clerk").stdout
    assert ogi("settings", "--no-pause-on-fee", as_="clerk", ok=False).exit_code == 1
    assert "不暂停" in ogi("settings", "--no-pause-on-fee", as_="admin", today="2025-03-12").stdout
    assert ogi.show(paid, today="2025-03-12")["clocks"]["response"]["due_on"] == "2025-04-08"  # unchanged
    ogi("act", later, "issue_fee_notice", "--on", "2025-03-05", "--method", "per_page", "--pages", "35",
        today="2025-03-12")
    ogi("act", later, "receive_payment", "--on", "2025-03-12", today="2025-03-12")
    assert ogi.show(later, today="2025-03-12")["clocks"]["response"]["due_on"] == "2025-03-31"
