"""Appeals (SPEC §7): filing with the statutory clock, replies, decisions, withdrawal, mapping, locks, the CLI."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import func, select
from typer.testing import CliRunner

from states.appeals import DECISIONS, Column
from workflow import appeals
from workflow.cli import app as cli_app
from workflow.errors import InputError, NotFound, TransitionNotAllowed, YearLocked
from workflow.models import Agency, Appeal, AppealEvent, AppealMapping, LockedChange, ReportLock

from .conftest import World

TODAY = date(2026, 6, 30)
DOC = Path(__file__).resolve().parents[2] / "docs" / "appeals.md"


def file(w: World, number: str, received_on: date, kind: str = "reconsideration", route: str | None = None,
         *, as_: str = "clerk", today: date = TODAY, reason: str | None = None) -> int:
    return appeals.file_appeal(w.db, actor_name=as_, number=number, kind=kind, route=route,
                               received_on=received_on, body="市人民政府", today=today, reason=reason)


def act(w: World, appeal_id: int, trigger: str, on: date, *, as_: str = "clerk", decision: str | None = None,
        reason: str | None = None, today: date = TODAY) -> None:
    appeals.act_appeal(w.db, actor_name=as_, appeal_id=appeal_id, trigger=trigger, on=on, decision=decision,
                       reason=reason, today=today)


def show(w: World, appeal_id: int, today: date = TODAY) -> dict[str, Any]:
    return appeals.show_appeal(w.db, actor_name="clerk", appeal_id=appeal_id, today=today)


def stored(w: World) -> dict[str, Any]:
    """Every appeal row, event count and lock record, to prove a refusal changed nothing."""
    with w.db.unit_of_work() as s:
        return {"appeals": [a.model_dump(exclude={"created_at"}) for a in s.exec(select(Appeal)).all()],
                "events": s.exec(select(func.count()).select_from(AppealEvent)).one(),
                "locked": s.exec(select(func.count()).select_from(LockedChange)).one()}


@pytest.fixture
def case(world: World) -> str:
    return world.receive(date(2025, 9, 1))


def test_reconsideration_reply_counts_ten_working_days_across_national_day(world: World, case: str) -> None:
    appeal_id = file(world, case, date(2025, 9, 26))
    detail = show(world, appeal_id, today=date(2025, 9, 30))
    assert (detail["state"], detail["due_on"], detail["clock"]["status"]) == ("filed", "2025-10-16", "running")
    days = {d["date"]: d for d in detail["clock"]["explanation"] if d["kind"] in ("counted", "rest")}
    assert days["2025-09-28"]["count"] == 1 and "调休" in days["2025-09-28"]["note"]
    assert all(days[f"2025-10-0{d}"]["kind"] == "rest" for d in range(1, 9))
    assert days["2025-10-16"]["count"] == 10
    with world.db.unit_of_work() as s:
        row = s.get(Appeal, appeal_id)
        assert row is not None and row.due_on == date(2025, 10, 16)
        event = s.exec(select(AppealEvent).where(AppealEvent.appeal_id == appeal_id)).one()
    assert (event.seq, event.trigger, event.actor, event.to_state) == (1, "file", "clerk", "filed")
    assert event.data["body"] == "市人民政府"


def test_reconsideration_reply_skips_spring_festival_2026(world: World) -> None:
    number = world.receive(date(2026, 2, 2))
    assert show(world, file(world, number, date(2026, 2, 10)))["due_on"] == "2026-03-02"


@pytest.mark.parametrize(("received", "route", "due"), [
    (date(2025, 9, 23), "direct", "2025-10-09"),  # day 15 is 10-08, 国庆 rest day
    (date(2025, 12, 31), "after_reconsideration", "2026-01-15"),  # day 15 a working Thursday
    (date(2026, 1, 2), "after_reconsideration", "2026-01-19"),  # day 15 is Saturday 01-17
    (date(2026, 2, 3), "direct", "2026-02-24"),  # day 15 is 02-18, 春节 rest day
])
def test_litigation_defence_is_fifteen_calendar_days_rolled_off_rest_days(
        world: World, received: date, route: str, due: str) -> None:
    number = world.receive(date(2025, 9, 1))
    detail = show(world, file(world, number, received, "litigation", route))
    assert (detail["due_on"], detail["route"], detail["clock"]["kind"]) == (due, route, "litigation_defence")
    assert detail["group"] == f"litigation_{route}"


@pytest.mark.parametrize(("kind", "route", "problem"), [
    ("litigation", None, "--route"),
    ("reconsideration", "direct", "--route"),
    ("litigation", "sideways", "sideways"),
    ("appeal", None, "appeal"),
])
def test_kind_and_route_are_checked_before_anything_is_stored(
        world: World, case: str, kind: str, route: str | None, problem: str) -> None:
    before = stored(world)
    with pytest.raises(InputError, match=problem):
        file(world, case, date(2025, 9, 26), kind, route)
    assert stored(world) == before


@pytest.mark.parametrize(("received", "problem"), [(date(2025, 8, 31), "早于"), (date(2026, 7, 1), "晚于今天")])
def test_receipt_date_must_lie_between_the_application_and_today(
        world: World, case: str, received: date, problem: str) -> None:
    before = stored(world)
    with pytest.raises(InputError, match=problem):
        file(world, case, received)
    assert stored(world) == before


def test_unknown_case_and_system_user_are_refused(world: World, case: str) -> None:
    with pytest.raises(NotFound, match="2099-0001"):
        file(world, "2099-0001", date(2025, 9, 26))
    with pytest.raises(TransitionNotAllowed, match="system"):
        file(world, case, date(2025, 9, 26), as_="system")
    assert stored(world)["appeals"] == []


def test_clock_overdue_from_the_day_after_due_until_a_late_reply_meets_it(world: World, case: str) -> None:
    appeal_id = file(world, case, date(2025, 9, 26))
    assert show(world, appeal_id, today=date(2025, 10, 16))["clock"]["status"] == "running"
    assert show(world, appeal_id, today=date(2025, 10, 17))["clock"]["status"] == "overdue"
    act(world, appeal_id, "submit_reply", date(2025, 10, 17))
    detail = show(world, appeal_id)
    assert (detail["state"], detail["replied_on"], detail["clock"]["status"]) == ("answered", "2025-10-17", "met")
    assert detail["clock"]["late"] is True and detail["late"] is True
    assert detail["events"][-1]["data"]["late"] is True


def test_reply_on_the_due_day_is_on_time(world: World, case: str) -> None:
    appeal_id = file(world, case, date(2025, 9, 23), "litigation", "direct")
    act(world, appeal_id, "submit_reply", date(2025, 10, 9))
    clock = show(world, appeal_id)["clock"]
    assert (clock["status"], clock["late"], clock["ended_on"]) == ("met", False, "2025-10-09")


@pytest.mark.parametrize(("kind", "route", "name", "code", "column"), [
    ("reconsideration", None, "维持", "maintain", "upheld"),
    ("reconsideration", None, "confirm_illegal", "confirm_illegal", "corrected"),
    ("litigation", "direct", "判决驳回诉讼请求", "judgment_reject_claim", "upheld"),
    ("litigation", "after_reconsideration", "judgment_order_reply", "judgment_order_reply", "corrected"),
    ("litigation", "direct", "调解", "court_mediation", "other"),
])
def test_decide_by_chinese_label_or_code(world: World, case: str, kind: str, route: str | None, name: str,
                                         code: str, column: str) -> None:
    appeal_id = file(world, case, date(2025, 9, 26), kind, route)
    act(world, appeal_id, "submit_reply", date(2025, 10, 9))
    act(world, appeal_id, "decide", date(2025, 12, 1), decision=name)
    detail = show(world, appeal_id)
    assert (detail["state"], detail["decision"], detail["decided_on"]) == ("decided", code, "2025-12-01")
    assert (detail["decision_label"], detail["column"]) == (DECISIONS[code].label, column)
    assert detail["clock"]["status"] == "met" and detail["actions"] == []
    assert [e["trigger"] for e in detail["events"]] == ["file", "submit_reply", "decide"]


def test_decision_of_the_other_kind_is_refused_with_state_and_allowed_triggers(world: World, case: str) -> None:
    appeal_id = file(world, case, date(2025, 9, 26))
    before = stored(world)
    with pytest.raises(TransitionNotAllowed) as refused:
        act(world, appeal_id, "decide", date(2025, 10, 10), decision="判决撤销")
    message = str(refused.value)
    assert f"#{appeal_id}" in message and case in message and "行政诉讼的结果" in message
    assert "当前状态：待答复（filed）" in message
    assert "submit_reply" in message and "withdraw" in message
    assert refused.value.allowed == ("submit_reply", "decide", "withdraw")
    assert stored(world) == before


def test_decide_without_decision_and_acting_on_a_closed_appeal_are_refused(world: World, case: str) -> None:
    appeal_id = file(world, case, date(2025, 9, 26))
    with pytest.raises(TransitionNotAllowed, match="--decision"):
        act(world, appeal_id, "decide", date(2025, 10, 10))
    act(world, appeal_id, "decide", date(2025, 10, 10), decision="撤销")
    before = stored(world)
    with pytest.raises(TransitionNotAllowed, match=r"当前状态：已审结（decided）\n可执行的操作：无"):
        act(world, appeal_id, "submit_reply", date(2025, 10, 11))
    with pytest.raises(InputError, match="未知的操作 'file'"):
        act(world, appeal_id, "file", date(2025, 10, 11))
    assert stored(world) == before


@pytest.mark.parametrize(("on", "problem"), [(date(2025, 9, 25), "早于收到副本之日"), (date(2026, 7, 1), "晚于今天")])
def test_action_dates_lie_between_receipt_and_today(world: World, case: str, on: date, problem: str) -> None:
    appeal_id = file(world, case, date(2025, 9, 26))
    before = stored(world)
    with pytest.raises(TransitionNotAllowed, match=problem):
        act(world, appeal_id, "submit_reply", on)
    assert stored(world) == before


@pytest.mark.parametrize(("kind", "route", "code", "label"), [
    ("reconsideration", None, "terminate", "终止"),
    ("litigation", "direct", "ruling_allow_withdrawal", "准予撤诉"),
])
def test_withdrawal_records_the_closing_decision(world: World, case: str, kind: str, route: str | None,
                                                 code: str, label: str) -> None:
    appeal_id = file(world, case, date(2025, 9, 26), kind, route)
    act(world, appeal_id, "withdraw", date(2025, 10, 9))
    detail = show(world, appeal_id)
    assert (detail["state"], detail["decision"], detail["decision_label"]) == ("withdrawn", code, label)
    assert (detail["decided_on"], detail["column"], detail["clock"]["status"]) == ("2025-10-09", "other", "closed")
    assert detail["events"][-1]["data"]["decision"] == code


def test_mapping_override_changes_the_effective_column(world: World, case: str) -> None:
    appeal_id = file(world, case, date(2025, 9, 26))
    act(world, appeal_id, "withdraw", date(2025, 10, 9))
    appeals.set_mapping(world.db, actor_name="head", decision="terminate", column="upheld", today=date(2025, 6, 1))
    appeals.set_mapping(world.db, actor_name="admin", decision="mediation", column="结果纠正", today=date(2025, 6, 1))
    with world.db.unit_of_work() as s:
        agency = s.exec(select(Agency)).one()
        assert agency.id is not None
        effective = appeals.mapping(s, agency.id)
    assert (effective["terminate"], effective["mediation"]) == (Column.UPHELD, Column.CORRECTED)
    assert effective["maintain"] is Column.UPHELD and set(effective) == set(DECISIONS)
    assert show(world, appeal_id)["column"] == "upheld"
    table = {r["code"]: r for r in appeals.decision_table(world.db, actor_name="clerk")}
    assert table["terminate"]["overridden"] and table["terminate"]["default_column"] == "other"


@pytest.mark.parametrize(("actor", "code", "column", "error"), [
    ("clerk", "terminate", "upheld", TransitionNotAllowed),
    ("head", "no_such_decision", "upheld", InputError),
    ("head", "terminate", "sideways", InputError),
    ("head", "terminate", "pending", InputError),
])
def test_bad_mapping_changes_are_refused(world: World, actor: str, code: str, column: str,
                                         error: type[Exception]) -> None:
    with pytest.raises(error):
        appeals.set_mapping(world.db, actor_name=actor, decision=code, column=column, today=date(2025, 6, 1))
    with world.db.unit_of_work() as s:
        assert s.exec(select(AppealMapping)).all() == []


def _lock(world: World, year: int) -> None:
    with world.db.unit_of_work() as s:
        agency = s.exec(select(Agency)).one()
        assert agency.id is not None
        s.add(ReportLock(agency_id=agency.id, year=year, locked_on=date(2026, 1, 20), locked_by="admin"))


def test_locked_year_refuses_a_clerk_and_records_an_admin_with_reason(world: World, case: str) -> None:
    open_id = file(world, case, date(2025, 12, 20))
    _lock(world, 2025)
    before = stored(world)
    with pytest.raises(YearLocked, match="2025 年度报告已于 2026-01-20"):
        file(world, case, date(2025, 12, 22))
    with pytest.raises(YearLocked):
        act(world, open_id, "submit_reply", date(2025, 12, 30))
    with pytest.raises(YearLocked):
        act(world, open_id, "submit_reply", date(2025, 12, 30), as_="admin")  # no reason
    assert stored(world) == before
    act(world, open_id, "submit_reply", date(2026, 1, 5))  # 2026 is not locked
    late_id = file(world, case, date(2025, 12, 22), as_="admin", reason="补录漏登的复议案件")
    with world.db.unit_of_work() as s:
        change = s.exec(select(LockedChange)).one()
    assert (change.year, change.appeal_id, change.case_number) == (2025, late_id, case)
    assert (change.actor, change.reason) == ("admin", "补录漏登的复议案件")
    assert show(world, late_id)["events"][0]["data"]["reason"] == "补录漏登的复议案件"


def test_appeal_event_log_is_append_only(world: World) -> None:
    case = world.receive(date(2025, 9, 1))
    appeal_id = file(world, case, date(2025, 9, 26))
    for statement in ("UPDATE appeal_event SET actor = 'someone'", "DELETE FROM appeal_event"):
        with pytest.raises(DBAPIError, match="append-only"), world.db.unit_of_work() as s:
            s.execute(text(statement))
    assert show(world, appeal_id)["events"][0]["actor"] == "clerk"


def test_show_case_lists_its_appeals(world: World, case: str) -> None:
    first = file(world, case, date(2025, 9, 26))
    second = file(world, case, date(2025, 11, 3), "litigation", "after_reconsideration")
    act(world, first, "decide", date(2025, 10, 30), decision="维持")
    listed = world.show(case, TODAY)["appeals"]
    assert [(a["id"], a["kind_label"], a["route_label"], a["state"], a["decision_label"]) for a in listed] == [
        (first, "行政复议", None, "decided", "维持"), (second, "行政诉讼", "复议后起诉", "filed", None)]
    assert listed[1]["due_on"] == "2025-11-18" and listed[1]["clock_status"] == "overdue"


def test_doc_lists_every_decision_code_and_label() -> None:
    doc = DOC.read_text(encoding="utf-8")
    missing = [d.code for d in DECISIONS.values() if f"`{d.code}`" not in doc or d.label not in doc]
    assert missing == []


runner = CliRunner()


def ogi(url: str, *args: str, as_: str = "clerk", today: str = "2026-06-30", ok: bool = True) -> Any:
    argv = ["--db", url, "--today", today, "--as", as_, *args]
    result = runner.invoke(cli_app, argv)
    assert (result.exit_code == 0) is ok, f"{argv}\n{result.stdout}\n{result.stderr}"
    return result


def test_appeal_commands_end_to_end(world: World, case: str) -> None:
    p = world.url
    filed = json.loads(ogi(p, "appeal", "file", case, "--kind", "reconsideration", "--received-on", "2026-02-10",
                           "--body", "市人民政府", "--json").stdout)
    assert filed["due_on"] == "2026-03-02"
    text_out = ogi(p, "appeal", "file", case, "--kind", "litigation", "--route", "direct",
                   "--received-on", "2026-01-02").stdout
    assert "应诉答辩期限至 2026-01-19" in text_out
    ogi(p, "appeal", "act", str(filed["id"]), "submit_reply", "--on", "2026-02-27")
    decided = ogi(p, "appeal", "act", str(filed["id"]), "decide", "--on", "2026-04-01", "--decision", "确认违法")
    assert "结果纠正" in decided.stdout
    shown = ogi(p, "appeal", "show", str(filed["id"])).stdout
    assert "2026-02-14  第4个工作日：调休上班日" in shown and "期限届满日" in shown
    assert [a["state"] for a in json.loads(ogi(p, "appeal", "list", "--open", "--json").stdout)] == ["filed"]
    rows = json.loads(ogi(p, "appeal", "list", "--json").stdout)
    assert {(r["number"], r["decision_label"], r["column"]) for r in rows} == {
        (case, "确认违法", "corrected"), (case, None, "pending")}
    case_view = ogi(p, "show", case).stdout
    assert "行政复议、行政诉讼" in case_view and "未经复议直接起诉" in case_view and "确认违法" in case_view


def test_cli_refusals_exit_non_zero_in_chinese_and_change_nothing(world: World, case: str) -> None:
    p = world.url
    appeal_id = str(json.loads(ogi(p, "appeal", "file", case, "--kind", "reconsideration",
                                   "--received-on", "2025-09-26", "--json").stdout)["id"])
    before = stored(world)
    refused = ogi(p, "appeal", "act", appeal_id, "decide", "--on", "2025-10-10", "--decision", "准予撤诉", ok=False)
    assert "不适用于行政复议" in refused.stderr and "当前状态：待答复" in refused.stderr
    assert "--route" in ogi(p, "appeal", "file", case, "--kind", "litigation", "--received-on", "2025-10-01",
                            ok=False).stderr
    assert "不是有效日期" in ogi(p, "appeal", "act", appeal_id, "withdraw", "--on", "2025-13-01", ok=False).stderr
    assert "负责人" in ogi(p, "appeal", "mapping", "terminate", "upheld", ok=False).stderr
    assert "不存在" in ogi(p, "appeal", "show", "999", ok=False).stderr
    assert stored(world) == before


def test_cli_decisions_and_mapping(world: World) -> None:
    p = world.url
    assert "计入「结果纠正」" in ogi(p, "appeal", "mapping", "dismiss_application", "corrected", as_="head").stdout
    rows = {r["code"]: r for r in json.loads(ogi(p, "appeal", "decisions", "--json").stdout)}
    assert set(rows) == set(DECISIONS)
    assert (rows["dismiss_application"]["default_column"], rows["dismiss_application"]["column"]) == (
        "other", "corrected")
    assert rows["ruling_allow_withdrawal"]["label"] == "准予撤诉" and rows["revoke"]["kind"] == "reconsideration"
    assert "驳回申请" in ogi(p, "appeal", "decisions").stdout
