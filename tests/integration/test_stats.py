"""The annual statistics (SPEC §8) built through the use cases: every cell, carry-over, drill-down, identities, lock."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from states.appeals import DECISIONS, Column
from states.outcomes import ApplicantType
from states.report_format import COLUMNS, OUTCOME_KEYS, ROW_KEYS
from tests.integration.conftest import World
from workflow import annual, appeals, stats
from workflow.actors import default_agency_id
from workflow.appeal_mapping import set_mapping
from workflow.calendar import WorkingCalendar
from workflow.errors import InputError, TransitionNotAllowed, YearLocked
from workflow.models import Application, ReportLock
from workflow.report.model import Table, empty_section3, empty_section4

CAL = WorkingCalendar()
D = date.fromisoformat
TYPES = [t.value for t in ApplicantType]
DEFAULT_COLUMNS = {code: d.column for code, d in DECISIONS.items()}


@dataclass
class Case:
    """What the scenario did to one case: the oracle the statistics are compared with."""

    number: str
    applicant_type: str
    received_on: date
    concluded_on: date | None = None
    outcome: str | None = None


def wd(n: int, start: date) -> date:
    return CAL.add_working_days(start, n)


def receive(world: World, on: date, applicant_type: str) -> Case:
    return Case(world.receive(on, applicant_type=applicant_type), applicant_type, on)


def conclude(world: World, case: Case, outcome: str, after: int = 3) -> Case:
    """Conclude a case `after` working days after receipt the way the outcome is reached (SPEC §5)."""
    start = case.received_on
    if outcome == "6.1":
        world.act(case.number, "request_correction", wd(1, start), text="请明确所需信息", days=5)
        on = wd(7, start)
        world.act(case.number, "lapse_correction", on, as_="system")
    elif outcome == "6.2":
        world.act(case.number, "issue_fee_notice", wd(1, start), method="per_page", pages=40)
        on = wd(22, start)
        world.act(case.number, "lapse_fee", on, as_="system")
    elif outcome == "6.3":
        on = wd(after, start)
        world.act(case.number, "withdraw", on)
    else:
        if outcome == "4.3":  # 补正后申请内容仍不明确: only after a correction (条例第三十条)
            world.act(case.number, "request_correction", wd(1, start), text="请明确所需信息", days=5)
            world.act(case.number, "receive_correction", wd(2, start))
            after += 2
        on = wd(after, start)
        world.act(case.number, "submit_response", on, outcome=outcome, text="答复")
        world.act(case.number, "approve_response", on, as_="head")
    case.concluded_on, case.outcome = on, outcome
    return case


def expected(cases: list[Case], year: int) -> Table:
    """SPEC §8's counting rules applied to the scenario by hand."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    table = empty_section3()
    for c in cases:
        rows = []
        if first <= c.received_on <= last:
            rows.append("new")
        if c.received_on < first and (c.concluded_on is None or c.concluded_on >= first):
            rows.append("carried_in")
        if c.concluded_on is not None and first <= c.concluded_on <= last:
            rows += ["total", str(c.outcome)]
        if c.received_on <= last and (c.concluded_on is None or c.concluded_on > last):
            rows.append("carried_out")
        for r in rows:
            table[r][c.applicant_type] += 1
            table[r]["total"] += 1
    return table


def section3(world: World, year: int) -> Table:
    with world.db.unit_of_work() as session:
        return stats.section3(session, default_agency_id(session), year)


def two_years(world: World) -> list[Case]:
    """Every outcome once (all six applicant types) in 2025, plus cases crossing both year ends."""
    cases = []
    for i, outcome in enumerate(OUTCOME_KEYS):
        received = D("2025-03-03") if outcome in ("6.1", "6.2") else wd(i, D("2025-03-03"))
        cases.append(conclude(world, receive(world, received, TYPES[i % 6]), outcome))
    cases.append(conclude(world, receive(world, D("2024-12-20"), "natural"), "1", after=10))  # 2024 → Jan 2025
    cases.append(conclude(world, receive(world, D("2024-12-27"), "legal_service"), "6.3", after=4))
    cases.append(receive(world, D("2024-06-03"), "commercial"))  # open across both year ends
    cases.append(conclude(world, receive(world, D("2025-12-22"), "research"), "4.1", after=8))  # → Jan 2026
    cases.append(conclude(world, receive(world, D("2025-12-29"), "public_interest"), "2", after=1))  # 30 Dec
    cases.append(receive(world, D("2025-12-30"), "other"))
    cases.append(conclude(world, receive(world, D("2026-01-05"), "natural"), "5.2", after=2))
    return cases




def test_every_cell_of_section_3_follows_receipt_and_conclusion_dates(world: World) -> None:
    cases = two_years(world)
    got = section3(world, 2025)
    assert got == expected(cases, 2025)
    assert set(got) == set(ROW_KEYS) and all(set(cols) == set(COLUMNS) for cols in got.values())
    assert got["carried_in"]["total"] == 3 and got["carried_out"]["total"] == 3
    assert got["total"]["total"] == len(OUTCOME_KEYS) + 3 and all(got[o]["total"] >= 1 for o in OUTCOME_KEYS)
    assert all(got["new"][t] >= 3 for t in TYPES)


def test_carried_in_equals_last_years_carried_out(world: World) -> None:
    cases = two_years(world)
    y2024, y2025, y2026 = (section3(world, y) for y in (2024, 2025, 2026))
    assert (y2024, y2026) == (expected(cases, 2024), expected(cases, 2026))
    assert y2025["carried_in"] == y2024["carried_out"]
    assert y2026["carried_in"] == y2025["carried_out"]
    assert y2026["carried_in"]["research"] == 1  # received 22 Dec 2025, concluded in January 2026
    report = annual.build_report(world.db, actor_name="head", year=2025, today=D("2026-02-01"))
    assert report.checks == []
    assert report.section3 == y2025


def test_cell_lists_exactly_the_cases_counted(world: World) -> None:
    cases = two_years(world)
    table = section3(world, 2025)
    report = annual.build_report(world.db, actor_name="clerk", year=2025, today=D("2026-02-01"), with_cells=True)
    for row in ROW_KEYS:
        for column in COLUMNS:
            listed = annual.cell(world.db, actor_name="clerk", year=2025, row=row, column=column)
            assert len(listed) == table[row][column]
            assert report.cells.get(f"3/{row}/{column}", []) == listed
    carried_in = annual.cell(world.db, actor_name="clerk", year=2025, row="carried_in", column="total")
    assert sorted(c.number for c in carried_in) == sorted(
        c.number for c in cases if c.received_on.year == 2024)


def test_cell_refuses_unknown_row_or_column_listing_the_valid_keys(world: World) -> None:
    with pytest.raises(InputError, match=r"没有行 'x'.*carried_in"):
        annual.cell(world.db, actor_name="clerk", year=2025, row="x", column="total")
    with pytest.raises(InputError, match=r"没有列 'y'.*legal_service"):
        annual.cell(world.db, actor_name="clerk", year=2025, row="new", column="y")


def test_a_broken_table_fails_every_identity_it_breaks() -> None:
    s3, s4 = empty_section3(), empty_section4()
    assert stats.check(s3, s4) == []
    s3["new"]["natural"] = 2  # new + carried in ≠ total + carried out; 总计 column ≠ sum of the six
    s4["reconsideration"]["total"] = 1
    previous = empty_section3()
    previous["carried_out"]["research"] = 4
    failures = stats.check(s3, s4, previous, 2024)
    rules = {f.rule for f in failures}
    assert {"新收 + 上年结转 = （七）总计 + 结转下年度", "总计列 = 六类申请人之和",
            "表四 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结", "本年上年结转 = 上年结转下年度"} == rules
    balance = next(f for f in failures if f.rule.startswith("新收"))
    assert "表三「一、本年新收政府信息公开申请数量」×「自然人」" in balance.cells
    assert balance.detail == "2 + 0 = 2 ≠ 0 + 0 = 0"
    cross = next(f for f in failures if f.rule.startswith("本年上年结转"))
    assert "科研机构" in cross.cells[0] and cross.detail == "本年上年结转 0 ≠ 2024 年结转下年度 4"


def test_an_unknown_outcome_or_an_inverted_date_surfaces_in_the_checks(world: World) -> None:
    a = conclude(world, receive(world, D("2025-03-03"), "natural"), "1")
    b = conclude(world, receive(world, D("2025-03-04"), "commercial"), "3.1")
    c = receive(world, D("2025-03-05"), "research")
    with world.db.unit_of_work() as session:
        for number, change in ((a.number, {"outcome": "9.9"}), (b.number, {"concluded_on": D("2025-01-02")}),
                               (c.number, {"state": "concluded"})):
            row = session.exec(select(Application).where(Application.number == number)).one()
            for key, value in change.items():
                setattr(row, key, value)
    report = annual.build_report(world.db, actor_name="clerk", year=2025, today=D("2026-01-10"))
    assert report.section3["total"]["total"] == 2  # the unknown outcome is still counted as concluded
    rules = {f.rule: f for f in report.checks}
    assert "（七）总计 = （一）至（六）各项之和" in rules
    assert a.number in rules["数据异常：已办结但办理结果代码无效"].detail
    assert b.number in rules["数据异常：办结日期早于收到日期"].detail
    assert c.number in rules["数据异常：状态为已办结但没有办结日期"].detail


def test_fee_figures_count_notices_issued_and_fees_collected_in_the_year(world: World) -> None:
    paid = receive(world, D("2025-03-03"), "natural")
    world.act(paid.number, "issue_fee_notice", wd(2, paid.received_on), method="per_page", pages=90)
    world.act(paid.number, "receive_payment", wd(5, paid.received_on))
    conclude(world, receive(world, D("2025-04-01"), "natural"), "6.2")
    with world.db.unit_of_work() as session:
        fees = stats.fee_figures(session, default_agency_id(session), 2025)
        assert stats.fee_figures(session, default_agency_id(session), 2024).notices == 0
    assert (fees.notices, fees.notice_amount, fees.payments, fees.collected) == (2, Decimal(700), 1, Decimal(600))


def test_lock_needs_head_or_admin_after_the_year_and_only_once(world: World) -> None:
    with pytest.raises(TransitionNotAllowed, match="只能由负责人、管理员执行，当前用户 clerk 是承办人"):
        annual.lock_year(world.db, actor_name="clerk", year=2025, today=D("2026-01-05"))
    with pytest.raises(InputError, match="尚未结束"):
        annual.lock_year(world.db, actor_name="head", year=2025, today=D("2025-12-31"))
    lock = annual.lock_year(world.db, actor_name="head", year=2025, today=D("2026-01-05"))
    assert (lock.locked_on, lock.locked_by) == (D("2026-01-05"), "head")
    with pytest.raises(YearLocked, match="2026-01-05 由 head 锁定"):
        annual.lock_year(world.db, actor_name="admin", year=2025, today=D("2026-01-06"))
    with pytest.raises(YearLocked, match="锁定"):
        annual.set_inputs(world.db, actor_name="head", year=2025, text="")


def test_locked_year_refuses_a_clerk_and_lists_an_admins_change(world: World) -> None:
    open_case = receive(world, D("2025-12-01"), "natural")
    lapsing = receive(world, D("2025-12-01"), "commercial")
    world.act(lapsing.number, "request_correction", wd(1, lapsing.received_on), text="补正", days=5)
    annual.lock_year(world.db, actor_name="head", year=2025, today=D("2026-01-05"))
    with world.db.unit_of_work() as session:
        snapshot = session.exec(select(ReportLock)).one().snapshot
    assert snapshot["section3"]["carried_out"]["total"] == 2
    before = world.snapshot()
    with pytest.raises(YearLocked, match="2025 年度报告已于 2026-01-05 由 head 锁定"):
        world.act(open_case.number, "withdraw", D("2025-12-30"), today=D("2026-01-06"))
    with pytest.raises(YearLocked, match="锁定"):
        world.receive(D("2025-12-31"))
    assert world.snapshot() == before
    # An admin may still lapse the correction on its legal date, with a reason; the change is listed.
    lapse_on = wd(7, lapsing.received_on)
    world.act(lapsing.number, "lapse_correction", lapse_on, as_="admin", reason="系统停机期间未自动处理",
              today=D("2026-01-06"))
    report = annual.build_report(world.db, actor_name="clerk", year=2025, today=D("2026-01-06"))
    assert report.locked_on == D("2026-01-05") and report.locked_by == "head"
    [change] = report.late_changes
    assert (change.case_number, change.actor, change.reason, change.effective_on) == (
        lapsing.number, "admin", "系统停机期间未自动处理", lapse_on)
    # 2026's carried-in no longer matches what 2025 published when it was locked.
    following = annual.build_report(world.db, actor_name="clerk", year=2026, today=D("2026-01-06"))
    [cross] = [f for f in following.checks if f.rule == "本年上年结转 = 上年结转下年度" and "总计" in f.cells[0]]
    assert cross.detail == "本年上年结转 1 ≠ 2025 年结转下年度 2"


def file(world: World, number: str, kind: str, route: str | None, received: str) -> int:
    return appeals.file_appeal(world.db, actor_name="clerk", number=number, kind=kind, route=route,
                               received_on=D(received), body="某某复议机关", today=D(received))


def settle(world: World, appeal_id: int, trigger: str, on: str, decision: str | None = None) -> None:
    appeals.act_appeal(world.db, actor_name="clerk", appeal_id=appeal_id, trigger=trigger, on=D(on),
                       decision=decision, today=D(on))


def test_section_4_counts_appeals_received_in_the_year_as_at_31_december(world: World) -> None:
    number = conclude(world, receive(world, D("2024-11-01"), "natural"), "3.1").number
    upheld, corrected, late = (file(world, number, "reconsideration", None, d)
                               for d in ("2025-04-01", "2025-06-02", "2025-11-03"))
    settle(world, upheld, "decide", "2025-05-12", "maintain")
    settle(world, corrected, "decide", "2025-07-01", "确认违法")
    settle(world, late, "decide", "2026-01-12", "revoke")  # decided after 31 December: pending in 2025
    withdrawn = file(world, number, "litigation", "direct", "2025-05-06")
    settle(world, withdrawn, "withdraw", "2025-06-03")
    open_suit = file(world, number, "litigation", "after_reconsideration", "2025-08-01")
    settle(world, file(world, number, "litigation", "direct", "2024-12-02"), "decide", "2025-02-03",
           "judgment_reject_claim")  # received in 2024: counted there, not in 2025
    report = annual.build_report(world.db, actor_name="clerk", year=2025, today=D("2026-02-01"), with_cells=True)
    want = empty_section4()
    want["reconsideration"].update(upheld=1, corrected=1, pending=1, total=3)
    want["litigation_direct"].update(other=1, total=1)
    want["litigation_after_reconsideration"].update(pending=1, total=1)
    assert report.section4 == want
    assert report.checks == []
    previous = annual.build_report(world.db, actor_name="clerk", year=2024, today=D("2026-02-01"))
    assert previous.section4["litigation_direct"] == {"upheld": 0, "corrected": 0, "other": 0, "pending": 1,
                                                      "total": 1}
    [pending] = annual.cell(world.db, actor_name="clerk", year=2025, row="reconsideration", column="pending")
    assert (pending.appeal_id, pending.decision, pending.number) == (late, None, number)
    assert [c.appeal_id for c in report.cells["4/litigation_after_reconsideration/pending"]] == [open_suit]
    assert [c.appeal_id for c in report.cells["4/reconsideration/total"]] == [upheld, corrected, late]
    # The mapping is data: an agency counting 确认违法 as 其他结果 sees every unlocked year follow.
    set_mapping(world.db, actor_name="head", decision="confirm_illegal", column="other", today=D("2026-02-01"))
    remapped = annual.build_report(world.db, actor_name="clerk", year=2025, today=D("2026-02-01"))
    assert remapped.section4["reconsideration"] == {"upheld": 1, "corrected": 0, "other": 1, "pending": 1,
                                                    "total": 3}
    with world.db.unit_of_work() as session:
        own = {**DEFAULT_COLUMNS, "maintain": Column.CORRECTED}
        table = stats.section4(session, default_agency_id(session), 2025, own)
    assert (table["reconsideration"]["upheld"], table["reconsideration"]["corrected"]) == (0, 2)
