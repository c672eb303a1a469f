"""A locked report year: only an admin who gives a reason may change it, acting in the clerk's or head's place."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from notifications.policy import DEFAULT_POLICY
from tests.integration.conftest import World
from workflow import alerts, annual, appeals, cases, monitor
from workflow.errors import TransitionNotAllowed, YearLocked
from workflow.inputs import ApplicationCreate
from workflow.models import Event, LockedChange

D = date.fromisoformat


def _late(world: World, *, as_: str, reason: str | None) -> str:
    """A paper application received on 2025-12-30 and found after the year was locked."""
    data = ApplicationCreate(applicant_name="李四", applicant_type="natural", channel="post_signed",
                             received_on=D("2025-12-30"), request="某项目批复", reason=reason)
    return cases.register(world.db, actor_name=as_, data=data, today=D("2026-01-20")).number


def test_an_admin_with_a_reason_registers_and_concludes_in_a_locked_year(world: World) -> None:
    annual.lock_year(world.db, actor_name="head", year=2025, today=D("2026-01-05"))
    number = _late(world, as_="admin", reason="纸质申请漏登，2026-01-20 发现")
    world.act(number, "submit_response", D("2025-12-31"), as_="admin", outcome="1", text="予以公开",
              reason="补录", today=D("2026-01-20"))
    world.act(number, "approve_response", D("2025-12-31"), as_="admin", reason="补录", today=D("2026-01-20"))
    with world.db.unit_of_work() as session:
        changes = session.exec(select(LockedChange).order_by(LockedChange.id)).all()
        roles = [e.role for e in session.exec(select(Event).order_by(Event.id)).all()]
    assert [(c.case_number, c.actor, c.reason) for c in changes] == [
        (number, "admin", "纸质申请漏登，2026-01-20 发现"), (number, "admin", "补录"), (number, "admin", "补录")]
    assert roles == ["admin", "admin", "admin"]  # the history says who really acted
    report = annual.build_report(world.db, actor_name="head", year=2025, today=D("2026-01-20"))
    assert report.section3["new"]["natural"] == 1 and report.section3["1"]["natural"] == 1
    assert len(report.late_changes) == 3


@pytest.mark.parametrize(("who", "reason", "error"), [
    ("clerk", "漏登", YearLocked),  # a clerk may not, even with a reason
    ("admin", None, YearLocked),  # an admin is told the lock needs a reason, not that the action is a clerk's
])
def test_without_an_admin_and_a_reason_a_locked_year_stays_as_it_was(world: World, who: str, reason: str | None,
                                                                     error: type[Exception]) -> None:
    annual.lock_year(world.db, actor_name="head", year=2025, today=D("2026-01-05"))
    before = world.snapshot()
    with pytest.raises(error):
        _late(world, as_=who, reason=reason)
    assert world.snapshot() == before


def test_an_admin_reason_does_not_lift_role_rules_outside_a_locked_year(world: World) -> None:
    with pytest.raises(TransitionNotAllowed):
        _late(world, as_="admin", reason="没有锁定也想代办")


def test_a_locked_year_whose_figures_moved_says_so_cell_by_cell(world: World) -> None:
    """A mapping change after the lock would re-count a published 表四 silently: the report names each cell."""
    number = world.receive(D("2025-03-03"))
    world.act(number, "withdraw", D("2025-03-10"))
    appeal = appeals.file_appeal(world.db, actor_name="clerk", number=number, kind="reconsideration", route=None,
                                 received_on=D("2025-04-01"), body="示例市人民政府", today=D("2025-04-01"))
    appeals.act_appeal(world.db, actor_name="clerk", appeal_id=appeal, trigger="decide", on=D("2025-06-01"),
                       decision="确认违法", today=D("2025-06-01"))
    annual.lock_year(world.db, actor_name="head", year=2025, today=D("2026-01-05"))
    assert annual.build_report(world.db, actor_name="head", year=2025, today=D("2026-01-06")).checks == []
    before = world.snapshot()
    with pytest.raises(YearLocked, match=r"会改变已锁定的 2025 年度.*表四数字"):  # the head may not move it
        appeals.set_mapping(world.db, actor_name="head", decision="confirm_illegal", column="other",
                            today=D("2026-01-06"))
    assert world.snapshot() == before
    assert annual.build_report(world.db, actor_name="head", year=2025, today=D("2026-01-06")).checks == []
    appeals.set_mapping(world.db, actor_name="admin", decision="confirm_illegal", column="other",
                        today=D("2026-01-06"), reason="复议机关确认违法按其他结果统计（上级通知）")
    report = annual.build_report(world.db, actor_name="head", year=2025, today=D("2026-01-06"))
    assert report.section4["reconsideration"]["other"] == 1  # the figures follow the new mapping …
    moved = {(f.cells, f.detail) for f in report.checks}  # … and the report says they left what was published
    assert moved == {(("表四「行政复议」×「结果纠正」",), "锁定时 1，现在 0"),
                     (("表四「行政复议」×「其他结果」",), "锁定时 0，现在 1")}
    assert [(c.action, c.reason) for c in report.late_changes] == [
        ("修改表四栏目：「确认违法」改计入「其他结果」", "复议机关确认违法按其他结果统计（上级通知）")]


def test_a_mapping_change_that_moves_no_locked_figure_needs_no_admin(world: World) -> None:
    annual.lock_year(world.db, actor_name="head", year=2025, today=D("2026-01-05"))  # 2025 had no appeals
    appeals.set_mapping(world.db, actor_name="head", decision="confirm_illegal", column="other",
                        today=D("2026-01-06"))
    table = {d["code"]: d["column"] for d in appeals.decision_table(world.db, actor_name="head")}
    assert table["confirm_illegal"] == "other"


def test_the_sweep_does_not_lapse_a_case_into_a_locked_year(world: World) -> None:
    """A correction period that ran out in a locked year is left for an admin, with a reason."""
    number = world.receive(D("2025-12-01"))
    world.act(number, "request_correction", D("2025-12-02"), text="请明确文号", days=5)  # due 2025-12-09
    annual.lock_year(world.db, actor_name="head", year=2025, today=D("2026-01-05"))
    before = world.snapshot()
    result = alerts.sweep(world.db, today=D("2026-01-06"), policy=DEFAULT_POLICY, channels={})
    assert result.lapsed == [] and world.snapshot()["apps"] == before["apps"]
    world.act(number, "lapse_correction", D("2025-12-10"), as_="admin", reason="扫描停机，补作逾期处理",
              today=D("2026-01-06"))
    assert world.show(number, D("2026-01-06"))["outcome"] == "6.1"


def test_a_change_dated_before_a_locked_year_reaches_it_through_the_carry_over(world: World) -> None:
    """Concluding in 2025 a case that 2026 carried in and out as open would move 2026's published rows."""
    number = world.receive(D("2025-12-15"))
    annual.lock_year(world.db, actor_name="head", year=2026, today=D("2027-01-10"))  # 2025 itself is not locked
    before = world.snapshot()
    with pytest.raises(YearLocked, match=r"2026 年度报告.*2025-12-19.*结转到 2026 年度"):
        world.act(number, "withdraw", D("2025-12-19"), today=D("2027-01-12"))
    assert world.snapshot() == before
    with pytest.raises(YearLocked, match="2026 年度"):  # registering a forgotten 2025 application too
        cases.register(world.db, actor_name="clerk", today=D("2027-01-12"), data=ApplicationCreate(
            applicant_name="王五", applicant_type="natural", channel="post_signed", received_on=D("2025-11-03"),
            request="某项目批复"))
    assert world.snapshot() == before
    world.act(number, "withdraw", D("2025-12-19"), as_="admin", reason="撤回函夹在其他卷宗中，2027-01-12 发现",
              today=D("2027-01-12"))
    report = annual.build_report(world.db, actor_name="head", year=2026, today=D("2027-01-12"))
    assert [(c.case_number, c.effective_on, c.actor) for c in report.late_changes] == [
        (number, D("2025-12-19"), "admin")]
    assert {f.rule for f in report.checks} == {"锁定后的数字 = 锁定时发布的数字"}


def test_a_lapse_held_by_a_lock_is_reported_by_the_sweep_and_by_status(world: World) -> None:
    number = world.receive(D("2025-12-01"))
    world.act(number, "request_correction", D("2025-12-02"), text="请明确文号", days=5)  # due 2025-12-09
    annual.lock_year(world.db, actor_name="head", year=2025, today=D("2026-01-05"))
    result = alerts.sweep(world.db, today=D("2026-01-06"), policy=DEFAULT_POLICY, channels={})
    assert result.lapsed == [] and len(result.held) == 1 and result.held[0].startswith(f"{number}：2025 年度报告")
    assert result.held[0].endswith("只有管理员填写理由（--reason）后才能执行")  # no talk of a user called system
    warnings = monitor.status(world.db, today=D("2026-01-06"), max_age=timedelta(days=1))["warnings"]
    assert any(f"1 件案件的补正或缴费期限已届满但尚未自动办结（{number}）" in w for w in warnings)
    world.act(number, "lapse_correction", D("2025-12-10"), as_="admin", reason="扫描停机，补作逾期处理",
              today=D("2026-01-06"))
    warnings = monitor.status(world.db, today=D("2026-01-06"), max_age=timedelta(days=1))["warnings"]
    assert not any("尚未自动办结" in w for w in warnings)


def test_undoing_a_lapse_of_a_locked_year_is_refused_though_the_undo_is_dated_later(world: World) -> None:
    number = world.receive(D("2025-12-01"))
    world.act(number, "request_correction", D("2025-12-02"), text="请明确文号", days=5)
    assert alerts.lapse_expired(world.db, today=D("2025-12-20"))[0] == [number]  # concluded (6.1) in 2025
    annual.lock_year(world.db, actor_name="head", year=2025, today=D("2026-01-05"))
    before = world.snapshot()
    with pytest.raises(YearLocked, match="改变 2025-12-10 的办理结果，会改变已锁定的年度数据"):
        world.act(number, "undo_lapse_correction", D("2026-01-06"), reason="补正实际已按时送达")
    assert world.snapshot() == before
    world.act(number, "undo_lapse_correction", D("2026-01-06"), as_="admin", reason="补正实际已按时送达")
    report = annual.build_report(world.db, actor_name="head", year=2025, today=D("2026-01-06"))
    assert [c.case_number for c in report.late_changes] == [number]  # the published 6.1 moved: it says so


def test_an_admin_change_is_listed_in_every_locked_year_it_moves(world: World) -> None:
    number = world.receive(D("2025-12-15"))
    annual.lock_year(world.db, actor_name="head", year=2025, today=D("2026-01-05"))
    annual.lock_year(world.db, actor_name="head", year=2026, today=D("2027-01-05"))
    world.act(number, "withdraw", D("2025-12-19"), as_="admin", reason="迟到的撤回函", today=D("2027-01-12"))
    for year in (2025, 2026):  # 2025's 7.3 and both years' carry-over rows moved
        report = annual.build_report(world.db, actor_name="head", year=year, today=D("2027-01-12"))
        assert [(c.case_number, c.effective_on) for c in report.late_changes] == [(number, D("2025-12-19"))], year
