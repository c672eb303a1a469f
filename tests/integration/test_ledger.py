"""Ledger import (台账导入): CSV in every encoding Excel writes, XLSX, all-or-nothing, idempotent, usable afterwards."""

import csv
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import col, select
from typer.testing import CliRunner

from notifications.policy import DEFAULT_POLICY
from tests.integration.conftest import World
from workflow import alerts
from workflow.actors import default_agency_id
from workflow.cli import app
from workflow.errors import InputError, TransitionNotAllowed
from workflow.ledger import APPEAL_HEADERS, APPLICATION_HEADERS, ImportRejected, import_appeals, import_applications
from workflow.models import Alert, Appeal, AppealEvent, Application, CaseClock, Event, ReportLock

TODAY = date(2025, 12, 31)
HEADER = ["number", "applicant_name", "applicant_type", "channel", "received_on", "request", "state", "outcome",
          "concluded_on", "applicant_contact"]
CHINESE = ["编号", "申请人", "申请人类型", "申请方式", "收到日期", "申请内容", "办理状态", "办理结果", "办结日期",
           "联系方式"]
ROWS = [
    ["2024-0001", "张三", "natural", "online", "2024-03-04", "某项目环评批复", "concluded", "1", "2024-03-20", ""],
    ["2024-0002", "某科技有限公司", "商业企业", "当面提交", "2024/11/5", "某地块出让合同", "已办结",
     "（三）不予公开/1.属于国家秘密", "2025/1/6", "13800000000"],
    ["2025-0001", "李四", "自然人", "互联网渠道", "2025-12-01", "某路段拓宽规划", "办理中", "", "", ""],
]
APPEAL_HEADER = ["application_number", "kind", "route", "received_on", "decision", "decided_on", "body"]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def counts(world: World) -> tuple[int, int, int, int, int]:
    with world.db.unit_of_work() as s:
        return tuple(s.exec(select(func.count()).select_from(m)).one()  # type: ignore[return-value]
                     for m in (Application, Event, CaseClock, Appeal, AppealEvent))


def load(world: World, path: Path, **kw: Any) -> Any:
    return import_applications(world.db, actor_name=kw.pop("as_", "clerk"), path=path, today=TODAY, **kw)


def rejected(world: World, path: Path, loader: Any = load) -> str:
    before = counts(world)
    with pytest.raises(ImportRejected) as caught:
        loader(world, path)
    assert counts(world) == before
    return str(caught.value)


def test_utf8_csv_imports_closed_and_open_cases_with_their_history(world: World, tmp_path: Path) -> None:
    result = load(world, write_csv(tmp_path / "台账.csv", ROWS))
    assert (result.rows, result.created, result.skipped_identical, result.by_year) == (3, 3, 0, {2024: 2, 2025: 1})
    secret = world.show("2024-0002", TODAY)
    assert (secret["state"], secret["outcome"], secret["concluded_on"]) == ("concluded", "3.1", "2025-01-06")
    assert (secret["applicant_type"], secret["channel"], secret["applicant_contact"]) == (
        "commercial", "in_person", "13800000000")
    assert [e["trigger"] for e in secret["events"]] == ["register", "approve_response"]
    assert secret["events"][0]["data"] == {"channel": "in_person", "applicant_type": "commercial",
                                           "source": "ledger", "file": "台账.csv", "line": 3}
    assert secret["events"][1]["data"]["outcome"] == "3.1"


def test_imported_open_case_has_the_clocks_and_cache_of_a_registered_one(world: World, tmp_path: Path) -> None:
    load(world, write_csv(tmp_path / "l.csv", ROWS))
    live = world.receive(date(2025, 12, 1))
    imported, registered = world.show("2025-0001", TODAY), world.show(live, TODAY)
    assert imported["clocks"] == registered["clocks"]
    assert (imported["next_due_on"], imported["next_due_clock"]) == (registered["next_due_on"], "response")
    assert [a["trigger"] for a in imported["actions"]] == [a["trigger"] for a in registered["actions"]]
    with world.db.unit_of_work() as s:
        cached = {n: sorted((c.kind, c.start_on, c.due_on, c.status, c.provisional) for c in s.exec(
            select(CaseClock).join(Application).where(Application.number == n)).all()) for n in ("2025-0001", live)}
    assert cached["2025-0001"] == cached[live]
    assert [k for k, *_ in cached[live]] == ["correction_notice", "response"]


def test_the_sweep_alerts_on_an_imported_open_case_like_a_registered_one(world: World, tmp_path: Path) -> None:
    load(world, write_csv(tmp_path / "l.csv", ROWS))
    live = world.receive(date(2025, 12, 1))
    due = date.fromisoformat(world.show(live, TODAY)["clocks"]["response"]["due_on"])
    alerts.raise_alerts(world.db, today=due, policy=DEFAULT_POLICY)
    with world.db.unit_of_work() as s:
        raised = s.exec(select(Application.number, Alert.key).join(Alert)).all()
    keys = {n: sorted(k for m, k in raised if m == n) for n in ("2025-0001", live)}
    assert keys["2025-0001"] and keys["2025-0001"] == keys[live]


@pytest.mark.parametrize(("outcome", "trigger"), [("6.1", "lapse_correction"), ("6.2", "lapse_fee"),
                                                 ("6.3", "withdraw"), ("5.2", "approve_response")])
def test_a_concluded_import_is_recorded_by_the_trigger_that_gives_its_outcome(
        world: World, tmp_path: Path, outcome: str, trigger: str) -> None:
    load(world, write_csv(tmp_path / "l.csv", [[*ROWS[0][:7], outcome, *ROWS[0][8:]]]))
    detail = world.show("2024-0001", TODAY)
    assert [e["trigger"] for e in detail["events"]] == ["register", trigger]
    assert detail["clocks"]["response"]["status"] in ("met", "closed") and detail["outcome"] == outcome


def test_imported_case_can_be_acted_on_and_new_numbers_continue_after_it(world: World, tmp_path: Path) -> None:
    load(world, write_csv(tmp_path / "l.csv", [ROWS[2]]))
    world.act("2025-0001", "withdraw", date(2025, 12, 10), today=TODAY)
    assert world.show("2025-0001", TODAY)["outcome"] == "6.3"
    assert world.receive(date(2025, 12, 11)) == "2025-0002"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_excel_encodings_and_chinese_headers_import_alike(world: World, tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "l.csv", ROWS, header=CHINESE, encoding=encoding)
    assert load(world, path).created == 3
    assert world.show("2024-0002", TODAY)["applicant_name"] == "某科技有限公司"


def test_xlsx_with_date_cells_and_numeric_outcomes_imports(world: World, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["申请编号", "申请人姓名或名称", "申请人类型", "渠道", "收到申请日期", "申请内容", "状态", "办理结果",
                  "办结日期"])
    sheet.append(["2024-0007", "王五", "法人或其他组织/科研机构", "fax", date(2024, 5, 6), "某数据", "concluded", 3.1,
                  datetime(2024, 5, 30, 0, 0)])
    sheet.append([None] * 9)  # a blank row is ignored
    sheet.append(["2024-0008", "赵六", "natural", "email", "2024-06-03", "某文件", "concluded", 1, "2024/6/28"])
    book.save(tmp_path / "l.xlsx")
    assert load(world, tmp_path / "l.xlsx").created == 2
    first = world.show("2024-0007", TODAY)
    assert (first["applicant_type"], first["received_on"], first["outcome"], first["concluded_on"]) == (
        "research", "2024-05-06", "3.1", "2024-05-30")
    assert world.show("2024-0008", TODAY)["outcome"] == "1"


def test_reimporting_the_same_file_changes_nothing(world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", ROWS)
    load(world, path)
    before = world.snapshot()
    again = load(world, path)
    assert (again.created, again.skipped_identical) == (0, 3)
    assert world.snapshot() == before


def test_a_changed_row_for_a_stored_number_is_refused_naming_line_and_field(world: World, tmp_path: Path) -> None:
    load(world, write_csv(tmp_path / "l.csv", ROWS))
    changed = [ROWS[0], [*ROWS[1][:7], "1", ROWS[1][8], ROWS[1][9]]]
    message = rejected(world, write_csv(tmp_path / "l2.csv", changed))
    assert "第 3 行：编号 2024-0002 已存在且内容不同（办理结果）" in message


def test_every_kind_of_bad_row_is_reported_with_its_line_and_nothing_written(world: World, tmp_path: Path) -> None:
    good = ROWS[0]
    bad = [
        good,
        ["2024-0010", "", "natural", "online", "2024-03-04", "x", "concluded", "1", "2024-03-20", ""],
        ["2024-0011", "甲", "法人或其他组织", "online", "2024-03-04", "x", "concluded", "1", "2024-03-20", ""],
        ["2024-0012", "甲", "natural", "飞鸽传书", "2024-03-04", "x", "concluded", "1", "2024-03-20", ""],
        ["2024-0013", "甲", "natural", "online", "2024-02-30", "x", "concluded", "1", "2024-03-20", ""],
        ["2024-0014", "甲", "natural", "online", "2024-03-04", "x", "concluded", "", "", ""],
        ["2024-0015", "甲", "natural", "online", "2024-03-04", "x", "concluded", "1", "2024-03-01", ""],
        ["2024-0016", "甲", "natural", "online", "2024-03-04", "x", "received", "1", "", ""],
        ["2024-0017", "甲", "natural", "online", "2026-01-05", "x", "received", "", "", ""],
        ["2024-0001", "甲", "natural", "online", "2024-03-04", "x", "received", "", "", ""],
        ["2024-0018", "甲", "natural", "online", "2024-03-04", "x", "concluded", "9.9", "2024-03-20", ""],
        ["2024-0019", "甲", "natural", "online", "2024-03-04", "x", "awaiting_correction", "", "", ""],
        ["2024-00A", "甲", "natural", "online", "2024-03-04", "x", "received", "", "", ""],
        ["2024-0020", "甲", "natural", "online", "2024-03-04", "x", "进行中", "", "", ""],
        ["2024-00021", "甲", "natural", "online", "2024-03-04", "x", "received", "", "", ""],
    ]
    message = rejected(world, write_csv(tmp_path / "l.csv", bad))
    expected = {3: "缺少申请人", 4: "须写明法人或其他组织的具体类别", 5: "申请方式「飞鸽传书」无法识别",
                6: "收到日期「2024-02-30」不是有效日期", 7: "缺少办理结果", 8: "办结日期 2024-03-01 早于收到申请日期",
                9: "不能填写办理结果或办结日期", 10: "晚于今天", 11: "与第 2 行重复", 12: "办理结果「9.9」无法识别",
                13: "状态「待补正」不能导入", 14: "须为系统编号格式", 15: "状态「进行中」无法识别",
                16: "须为系统编号格式"}
    lines = {int(x.split(" ")[1]): x for x in message.splitlines() if x.startswith("第 ")}
    assert sorted(lines) == sorted(expected)
    for line, reason in expected.items():
        assert reason in lines[line], lines[line]
    assert message.startswith("台账 l.csv 有 14 行有误，未导入任何数据")


def test_the_printed_list_stops_at_fifty_bad_rows(world: World, tmp_path: Path) -> None:
    rows = [[f"2024-{i:04d}", "", *ROWS[0][2:]] for i in range(60)]
    message = rejected(world, write_csv(tmp_path / "l.csv", rows))
    assert sum(line.startswith("第 ") for line in message.splitlines()) == 50
    assert message.endswith("另有 10 行错误")


def test_unknown_and_missing_headers_are_named(world: World, tmp_path: Path) -> None:
    header = ["编号", "申请人", "备注", "收到日期", "申请内容", "状态", "办理结果", "办结日期"]
    message = rejected(world, write_csv(tmp_path / "l.csv", [], header=header))
    assert "第 1 行" in message and "未知的列名「备注」" in message
    assert "applicant_type" in message and "channel" in message


def test_other_file_types_are_refused(world: World, tmp_path: Path) -> None:
    (tmp_path / "l.xls").write_bytes(b"old excel")
    with pytest.raises(InputError, match=r"不支持的文件类型「\.xls」"):
        load(world, tmp_path / "l.xls")
    (tmp_path / "l.xlsx").write_bytes(b"not a workbook")
    assert "第 1 行：无法读取：不是有效的 .xlsx 文件" in rejected(world, tmp_path / "l.xlsx")


def test_rows_dated_in_a_locked_year_are_refused_naming_the_lock(world: World, tmp_path: Path) -> None:
    with world.db.unit_of_work() as s:
        s.add(ReportLock(agency_id=default_agency_id(s), year=2024, locked_on=date(2025, 1, 20),
                         locked_by="head"))
    message = rejected(world, write_csv(tmp_path / "l.csv", ROWS))
    assert "第 2 行：收到申请日期 2024-03-04 会改变已锁定的 2024 年度（2025-01-20 由 head 锁定年度报告）" in message
    assert "第 4 行" not in message


def test_importing_needs_a_named_user(world: World, tmp_path: Path) -> None:
    with pytest.raises(TransitionNotAllowed, match="未指定操作用户"):
        load(world, write_csv(tmp_path / "l.csv", ROWS), as_=None)


def test_dry_run_reports_but_writes_nothing(world: World, tmp_path: Path) -> None:
    before = counts(world)
    result = load(world, write_csv(tmp_path / "l.csv", ROWS), dry_run=True)
    assert (result.created, result.dry_run) == (3, True)
    assert counts(world) == before


def _appeal_rows(world: World, tmp_path: Path, rows: list[list[str]]) -> Path:
    load(world, write_csv(tmp_path / "apps.csv", ROWS))
    return write_csv(tmp_path / "appeals.csv", rows, header=APPEAL_HEADER)


def appeals(world: World, path: Path, **kw: Any) -> Any:
    return import_appeals(world.db, actor_name="clerk", path=path, today=TODAY, **kw)


APPEALS = [
    ["2024-0001", "行政复议", "", "2024-04-10", "", "", "市人民政府"],
    ["2024-0002", "litigation", "复议后起诉", "2025-02-10", "判决驳回诉讼请求", "2025-06-30", "某区人民法院"],
    ["2024-0002", "reconsideration", "", "2025-01-15", "终止", "2025-02-01", ""],
]


def test_appeals_import_pending_decided_and_withdrawn(world: World, tmp_path: Path) -> None:
    result = appeals(world, _appeal_rows(world, tmp_path, APPEALS))
    assert (result.created, result.by_year) == (3, {2024: 1, 2025: 2})
    with world.db.unit_of_work() as s:
        stored = {(a.kind, a.received_on.isoformat()): a for a in s.exec(select(Appeal)).all()}
        events = {a.id: [e.trigger for e in s.exec(select(AppealEvent).where(AppealEvent.appeal_id == a.id)
                                                   .order_by(col(AppealEvent.seq))).all()] for a in stored.values()}
    pending = stored[("reconsideration", "2024-04-10")]
    assert (pending.state, pending.decision, pending.due_on, pending.source) == (
        "filed", None, date(2024, 4, 24), "import")  # 10 working days
    decided = stored[("litigation", "2025-02-10")]
    assert (decided.state, decided.route, decided.decision) == ("decided", "after_reconsideration",
                                                                "judgment_reject_claim")
    withdrawn = stored[("reconsideration", "2025-01-15")]
    assert (withdrawn.state, withdrawn.decision) == ("withdrawn", "terminate")
    assert [events[a.id] for a in (pending, decided, withdrawn)] == [["file"], ["file", "decide"], ["file", "withdraw"]]


def test_reimporting_appeals_changes_nothing(world: World, tmp_path: Path) -> None:
    path = _appeal_rows(world, tmp_path, APPEALS)
    appeals(world, path)
    before = counts(world)
    assert (appeals(world, path).skipped_identical, counts(world)) == (3, before)


def test_bad_appeal_rows_are_reported_with_their_line(world: World, tmp_path: Path) -> None:
    bad = [
        ["2024-0001", "行政复议", "", "2024-04-10", "判决撤销", "2024-05-01", ""],
        ["2099-0001", "行政复议", "", "2024-04-10", "", "", ""],
        ["2024-0001", "行政诉讼", "", "2024-04-10", "", "", ""],
        ["2024-0001", "行政复议", "", "2024-03-01", "", "", ""],
        ["2024-0001", "行政复议", "", "2024-05-10", "维持", "", ""],
    ]
    message = rejected(world, _appeal_rows(world, tmp_path, bad),
                       lambda w, p: appeals(w, p))
    for reason in ("第 2 行：「判决撤销」不是行政复议的结果（它是行政诉讼的结果）", "第 3 行：案件 2099-0001 不存在",
                   "第 4 行：行政诉讼须填写起诉方式", "第 5 行：收到日期 2024-03-01 早于案件 2024-0001 的收到申请日期",
                   "第 6 行：已有结果，但缺少审结日期"):
        assert reason in message


def test_appeals_dated_in_a_locked_year_are_refused(world: World, tmp_path: Path) -> None:
    path = _appeal_rows(world, tmp_path, APPEALS)
    with world.db.unit_of_work() as s:
        s.add(ReportLock(agency_id=default_agency_id(s), year=2025, locked_on=date(2026, 1, 20),
                         locked_by="head"))
    message = rejected(world, path, lambda w, p: appeals(w, p))
    assert "第 3 行：收到日期 2025-02-10 会改变已锁定的 2025 年度" in message and "第 4 行" in message
    assert "第 2 行" not in message


def _cli(world: World, *args: str) -> Any:
    return CliRunner().invoke(app, ["--db", world.url, "--today", "2025-12-31", "--as", "clerk",
                                    *args])


def test_cli_imports_counts_per_year_and_shows_imported_cases(world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", ROWS)
    dry = _cli(world, "import", str(path), "--dry-run")
    assert dry.exit_code == 0 and "将导入 3 件" in dry.stdout and counts(world)[0] == 0
    done = _cli(world, "import", str(path))
    assert done.exit_code == 0, done.stderr
    assert "已导入 3 件申请" in done.stdout and "2024 年收到：2 件" in done.stdout
    shown = _cli(world, "show", "2024-0001")
    assert shown.exit_code == 0 and "2024-0001" in shown.stdout
    detail = json.loads(_cli(world, "show", "2025-0001", "--json").stdout)
    response = detail["clocks"]["response"]
    assert (detail["state"], response["due_on"], response["status"]) == ("received", "2025-12-29", "overdue")
    again = json.loads(_cli(world, "import", str(path), "--json").stdout)
    assert (again["created"], again["skipped_identical"]) == (0, 3)


def test_cli_refuses_a_bad_ledger_with_exit_1_and_lists_rows(world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", [ROWS[0], [*ROWS[1][:2], "外星人", *ROWS[1][3:]]])
    result = _cli(world, "import", str(path))
    assert result.exit_code == 1 and "第 3 行：申请人类型「外星人」无法识别" in result.stderr
    as_json = _cli(world, "import", str(path), "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["errors"][0]["line"] == 3
    assert counts(world)[0] == 0


def test_cli_imports_appeals(world: World, tmp_path: Path) -> None:
    path = _appeal_rows(world, tmp_path, APPEALS)
    result = _cli(world, "import-appeals", str(path))
    assert result.exit_code == 0, result.stderr
    assert "已导入 3 件复议、诉讼案件" in result.stdout
    assert counts(world)[3] == 3


DOC = (Path(__file__).resolve().parents[2] / "docs" / "import.md").read_text(encoding="utf-8")


def test_documented_examples_import_and_headers_match_the_mapping(world: World, tmp_path: Path) -> None:
    applications, appeal_rows = re.findall(r"```csv\n(.*?)```", DOC, re.S)
    (tmp_path / "a.csv").write_text(applications, encoding="utf-8")
    (tmp_path / "b.csv").write_text(appeal_rows, encoding="utf-8")
    assert load(world, tmp_path / "a.csv").created == 4
    assert appeals(world, tmp_path / "b.csv").created == 2
    for table in (APPLICATION_HEADERS, APPEAL_HEADERS):
        for field, names in table.items():
            assert f"| `{field}` | {'、'.join(names[1:])} |" in DOC


def test_the_bulk_load_stores_what_the_orm_reads_back_on_both_databases(
        world: World, tmp_path: Path) -> None:
    load(world, write_csv(tmp_path / "l.csv", ROWS))
    appeals(world, write_csv(tmp_path / "a.csv", APPEALS, header=APPEAL_HEADER))
    detail = world.show("2024-0002", TODAY)
    assert (detail["received_on"], detail["version"], detail["events"][1]["data"]["line"]) == ("2024-11-05", 1, 3)
    assert world.show("2025-0001", TODAY)["next_due_on"] == "2025-12-29"
    before = world.snapshot()
    assert load(world, write_csv(tmp_path / "l.csv", ROWS)).skipped_identical == 3
    assert world.snapshot() == before


@pytest.mark.parametrize(("outcome", "undo"), [("6.1", "undo_lapse_correction"), ("6.2", "undo_lapse_fee")])
def test_an_imported_lapse_is_history_and_cannot_be_undone(world: World, tmp_path: Path, outcome: str,
                                                           undo: str) -> None:
    load(world, write_csv(tmp_path / "l.csv", [[*ROWS[0][:7], outcome, *ROWS[0][8:]]]))
    before = world.snapshot()
    with pytest.raises(TransitionNotAllowed, match="台账导入的历史记录"):
        world.act("2024-0001", undo, TODAY, reason="台账记错了", today=TODAY)
    assert world.snapshot() == before


def test_a_row_with_more_cells_than_headers_is_refused_as_shifted(world: World, tmp_path: Path) -> None:
    before = counts(world)
    with pytest.raises(ImportRejected, match=r"第 3 行.*表头只有 10 列（多出：extra）"):
        load(world, write_csv(tmp_path / "l.csv", [ROWS[0], [*ROWS[1], "extra"]]))
    assert counts(world) == before


def test_a_group_name_as_outcome_is_refused_with_its_results_listed(world: World, tmp_path: Path) -> None:
    message = rejected(world, write_csv(tmp_path / "l.csv", [[*ROWS[0][:7], "不予公开", *ROWS[0][8:]]]))
    assert "办理结果「不予公开」有歧义" in message and "3.1（（三）不予公开/1.属于国家秘密）" in message
    assert "3.8（（三）不予公开/8.属于行政查询事项）" in message
