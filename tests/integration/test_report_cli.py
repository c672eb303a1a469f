"""`ogi report …` and its use cases: export (the default command), cell drill-down, inputs, checks, the lock."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from states.report_format import COLUMNS, ROW_KEYS
from tests.integration.conftest import World
from tests.integration.test_cli import Ogi, receive
from workflow import annual
from workflow.db import Database, resolve_url
from workflow.errors import InputError
from workflow.models import ReportInput

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "report-input.toml"
AFTER = "2026-01-05"  # a day after the 2025 year end


@pytest.fixture
def ogi(db_url: str) -> Ogi:
    cli = Ogi(db_url)
    cli("init", "--agency", "测试县人民政府办公室", as_=None)
    cli("user", "add", "clerk", "--role", "clerk", as_="admin")
    cli("user", "add", "head", "--role", "head", as_="admin")
    return cli


def conclude(ogi: Ogi, number: str, outcome: str, on: str) -> None:
    ogi("act", number, "submit_response", "--on", on, "--outcome", outcome, "--text", "答复", today=on)
    ogi("act", number, "approve_response", "--on", on, as_="head", today=on)


@pytest.fixture
def year(ogi: Ogi) -> dict[str, str]:
    """2025: one case carried in from 2024, two new (one concluded as 3.1), one received 30 Dec still open."""
    cases = {"carried": receive(ogi, "2024-12-23", "research"), "refused": receive(ogi, "2025-03-03", "commercial"),
             "open": receive(ogi, "2025-12-30", "natural")}
    conclude(ogi, cases["carried"], "1", "2025-01-08")
    conclude(ogi, cases["refused"], "3.1", "2025-03-10")
    return cases


def test_report_year_prints_the_json_of_spec_8(ogi: Ogi, year: dict[str, str]) -> None:
    data = json.loads(ogi("report", "2025", today=AFTER).stdout)
    assert data["year"] == 2025 and data["agency"] == "测试县人民政府办公室"
    assert list(data["section3"]) == list(ROW_KEYS)
    assert all(list(cols) == list(COLUMNS) for cols in data["section3"].values())
    s3 = data["section3"]
    assert (s3["new"]["total"], s3["carried_in"]["research"], s3["1"]["research"], s3["3.1"]["commercial"],
            s3["total"]["total"], s3["carried_out"]["natural"]) == (2, 1, 1, 1, 2, 1)
    assert set(data["section4"]) == {"reconsideration", "litigation_direct", "litigation_after_reconsideration"}
    assert ogi("report", "export", "2025", "--format", "json", today=AFTER).stdout == ogi(
        "report", "2025", today=AFTER).stdout


def test_report_formats_need_out_for_binary_and_link_cells_in_html(ogi: Ogi, year: dict[str, str],
                                                                   tmp_path: Path) -> None:
    refused = ogi("report", "2025", "--format", "xlsx", today=AFTER, ok=False)
    assert "--out" in refused.stderr
    assert "可选" in ogi("report", "2025", "--format", "pdf", today=AFTER, ok=False).stderr
    target = tmp_path / "年报.html"
    ogi("report", "2025", "--format", "html", "--out", str(target), today=AFTER)
    html = target.read_text(encoding="utf-8")
    assert 'id="cell-3-3_1-commercial"' in html and year["refused"] in html
    ogi("report", "2025", "--format", "xlsx", "--out", str(tmp_path / "年报.xlsx"), today=AFTER)
    assert (tmp_path / "年报.xlsx").read_bytes()[:2] == b"PK"


def test_report_cell_lists_the_cases_of_one_cell(ogi: Ogi, year: dict[str, str]) -> None:
    listed = json.loads(ogi("report", "cell", "2025", "carried_out", "total", "--json", today=AFTER).stdout)
    assert [c["number"] for c in listed] == [year["open"]]
    text = ogi("report", "cell", "2025", "3.1", "commercial", today=AFTER).stdout
    assert "表三「（三）不予公开1.属于国家秘密」×「商业企业」：1 件" in text and year["refused"] in text
    refused = ogi("report", "cell", "2025", "new", "法人", today=AFTER, ok=False)
    assert "没有列 '法人'" in refused.stderr and "public_interest" in refused.stderr


def test_report_input_stores_the_example_and_refuses_a_bad_file(ogi: Ogi, tmp_path: Path) -> None:
    stored = ogi("report", "input", "2025", "--file", str(EXAMPLE), as_="head", today=AFTER)
    assert "已保存 2025 年度报告填报内容" in stored.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("[section2.article20_5.licensing]\ndecisions = 1.5\n", encoding="utf-8")
    refused = ogi("report", "input", "2025", "--file", str(bad), as_="head", today=AFTER, ok=False)
    assert "section2.article20_5.licensing.decisions" in refused.stderr
    db = Database(resolve_url(ogi.db))
    report = annual.build_report(db, actor_name="head", year=2025, today=date.fromisoformat(AFTER))
    db.dispose()
    assert report.section2["article20_5"]["licensing"]["decisions"] == 1260
    missing = ogi("report", "input", "2025", "--file", str(tmp_path / "none.toml"), as_="head", ok=False)
    assert "无法读取" in missing.stderr


def test_report_check_exits_1_naming_each_failed_identity(ogi: Ogi, year: dict[str, str]) -> None:
    assert "全部成立" in ogi("report", "check", "2025", today=AFTER).stdout
    db = Database(resolve_url(ogi.db))
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE application SET outcome = '9.9' WHERE number = :n"), {"n": year["refused"]})
    db.dispose()
    failed = ogi("report", "check", "2025", today=AFTER, ok=False)
    assert failed.exit_code == 1
    assert "（七）总计 = （一）至（六）各项之和" in failed.stdout
    assert "表三「（七）总计」×「商业企业」" in failed.stdout and year["refused"] in failed.stdout


def test_report_lock_freezes_the_year(ogi: Ogi, year: dict[str, str]) -> None:
    clerk = ogi("report", "lock", "2025", today=AFTER, ok=False)
    assert "不能锁定年度报告：只能由负责人、管理员执行，当前用户 clerk 是承办人" in clerk.stderr
    early = ogi("report", "lock", "2025", as_="head", today="2025-12-31", ok=False)
    assert "尚未结束" in early.stderr
    assert "已锁定 2025 年度报告（2026-01-05，head）" in ogi("report", "lock", "2025", as_="head", today=AFTER).stdout
    refused = ogi("act", year["open"], "withdraw", "--on", "2025-12-31", today=AFTER, ok=False)
    assert "2025 年度报告已于 2026-01-05 由 head 锁定" in refused.stderr
    assert ogi.show(year["open"], today=AFTER)["state"] == "received"
    assert "锁定" in ogi("report", "lock", "2025", as_="admin", today=AFTER, ok=False).stderr
    # A 2026 action on the carried-over case is not in the locked year.
    ogi("act", year["open"], "withdraw", "--on", "2026-01-05", today=AFTER)


def test_inputs_from_the_example_file_appear_in_the_report(world: World) -> None:
    annual.set_inputs(world.db, actor_name="head", year=2025, text=EXAMPLE.read_text(encoding="utf-8"))
    report = annual.build_report(world.db, actor_name="clerk", year=2025, today=date(2026, 1, 10))
    assert report.section2["article20_1"]["rules"]["issued"] == 2
    assert report.section2["article20_8"]["charges"]["amount"] == Decimal("12.35")
    assert set(report.narrative) == {"1", "5", "6"}
    annual.set_inputs(world.db, actor_name="head", year=2025, text="[section2.article20_5.licensing]\ndecisions = 7\n")
    report = annual.build_report(world.db, actor_name="clerk", year=2025, today=date(2026, 1, 10))
    assert report.section2["article20_5"]["licensing"]["decisions"] == 7
    assert report.section2["article20_1"]["rules"]["issued"] is None and report.narrative == {}


@pytest.mark.parametrize(("text", "message"), [
    ("[section2.article20_1.rule]\nissued = 1\n", "section2.article20_1.rule"),
    ("[section2.article20_1.rules]\nissued = -1\n", "section2.article20_1.rules.issued"),
    ("[section2.article20_8.charges]\namount = \"很多\"\n", "section2.article20_8.charges.amount"),
    ("[narrative]\nsummary = \"x\"\n", "narrative.summary"),
    ("[narrative\n", "TOML"),
])
def test_bad_inputs_are_refused_naming_the_key_and_change_nothing(world: World, text: str, message: str) -> None:
    annual.set_inputs(world.db, actor_name="head", year=2025, text="[narrative]\noverview = \"原文\"\n")
    with pytest.raises(InputError, match=message.replace(".", r"\.")):
        annual.set_inputs(world.db, actor_name="head", year=2025, text=text)
    with world.db.unit_of_work() as session:
        assert session.exec(select(ReportInput)).one().data["narrative"] == {"1": "原文"}


def test_report_help_lists_every_subcommand(ogi: Ogi) -> None:
    listed = ogi("report", "--help", as_=None).stdout
    assert all(name in listed for name in ("export", "cell", "check", "lock", "input"))


@pytest.mark.parametrize(("content", "message"), [
    (b"[section2.article20_1.rules\nissued = 1\n", "输入文件不是有效的 TOML：第 1 行第 28 列附近有格式错误"),
    (b'narrative = "x"\n', "[narrative] 应为表"),
    ("issued = 1\n".encode("gb18030") + "# 中文注释\n".encode("gb18030"), "不是 UTF-8 编码的文本文件"),
])
def test_bad_input_files_are_explained_in_chinese(ogi: Ogi, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input.toml"
    path.write_bytes(content)
    result = ogi("report", "input", "2025", "--file", str(path), as_="head", today=AFTER, ok=False)
    assert message in result.stderr and "line" not in result.stderr


def test_missing_files_and_unwritable_outputs_are_explained_in_chinese(ogi: Ogi, tmp_path: Path) -> None:
    missing = ogi("report", "input", "2025", "--file", str(tmp_path / "none.toml"), as_="head", today=AFTER, ok=False)
    assert "文件或目录不存在" in missing.stderr
    unwritable = ogi("report", "2025", "--format", "html", "--out", str(tmp_path / "no" / "r.html"), as_="head",
                     today=AFTER, ok=False)
    assert "无法写入" in unwritable.stderr and "文件或目录不存在" in unwritable.stderr


def test_report_input_for_a_year_not_yet_begun_is_refused(ogi: Ogi) -> None:
    result = ogi("report", "input", "2027", "--file", str(EXAMPLE), as_="head", today=AFTER, ok=False)
    assert "2027 年度尚未开始" in result.stderr
