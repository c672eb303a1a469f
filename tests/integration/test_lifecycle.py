"""Every transition of SPEC §5 through the use cases, on SQLite and on PostgreSQL."""

from datetime import date

import pytest

from tests.integration.conftest import World
from workflow.calendar import WorkingCalendar
from workflow.errors import TransitionNotAllowed

CAL = WorkingCalendar()
D = date.fromisoformat
RECEIVED = D("2025-03-03")  # a Monday


def wd(n: int, start: date = RECEIVED) -> date:
    return CAL.add_working_days(start, n)


def test_register_starts_response_and_correction_notice_clocks(world: World) -> None:
    number = world.receive(RECEIVED)
    assert number == "2025-0001"
    case = world.show(number, RECEIVED)
    assert case["state"] == "received" and case["version"] == 1
    assert case["clocks"]["response"]["due_on"] == wd(20).isoformat()
    assert case["clocks"]["correction_notice"]["due_on"] == wd(7).isoformat()
    assert [e["trigger"] for e in case["events"]] == ["register"]
    assert world.receive(RECEIVED) == "2025-0002"


def test_correction_stops_then_restarts_the_response_clock(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "request_correction", wd(3), text="请明确信息名称", days=10)
    case = world.show(number, wd(3))
    assert case["state"] == "awaiting_correction"
    assert case["clocks"]["response"]["status"] == "stopped"
    assert case["clocks"]["correction_notice"]["status"] == "met"
    assert case["clocks"]["correction"]["due_on"] == wd(13).isoformat()
    corrected = wd(8)
    world.act(number, "receive_correction", corrected)
    case = world.show(number, corrected)
    assert case["state"] == "received"
    assert case["clocks"]["response"]["start_on"] == corrected.isoformat()
    assert case["clocks"]["response"]["due_on"] == wd(20, corrected).isoformat()
    assert case["clocks"]["correction"]["status"] == "met"


def test_correction_notice_is_one_time(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "request_correction", wd(1), text="补正", until=wd(6))
    world.act(number, "receive_correction", wd(2))
    with pytest.raises(Exception, match="一次性告知"):
        world.act(number, "request_correction", wd(3), text="再补正", days=5)


def test_late_correction_notice_needs_a_reason_that_is_kept(world: World) -> None:
    number = world.receive(RECEIVED)
    late = wd(8)
    before = world.snapshot()
    with pytest.raises(Exception, match="--reason"):
        world.act(number, "request_correction", late, text="补正", days=10)
    assert world.snapshot() == before
    world.act(number, "request_correction", late, text="补正", days=10, reason="申请书邮寄延误，承办人休假")
    event = world.show(number, late)["events"][-1]
    assert event["data"]["late"] == {"clock": "correction_notice", "due_on": wd(7).isoformat(),
                                     "reason": "申请书邮寄延误，承办人休假"}


def test_correction_lapse_concludes_as_6_1_only_after_the_period(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "request_correction", wd(2), text="补正", days=10)
    due = wd(12)
    with pytest.raises(Exception, match="尚未逾期"):
        world.act(number, "lapse_correction", due, as_="system")
    world.act(number, "lapse_correction", wd(1, due), as_="system")
    case = world.show(number, wd(1, due))
    assert case["state"] == "concluded" and case["outcome"] == "6.1"
    assert case["concluded_on"] == wd(1, due).isoformat()
    assert case["clocks"]["response"]["status"] == "closed"


def test_consultation_pauses_the_response_clock(world: World) -> None:
    number = world.receive(RECEIVED)
    sent, replied = wd(5), wd(12)
    world.act(number, "start_consultation", sent, party="third_party")
    paused = world.show(number, wd(8))
    assert paused["state"] == "consulting"
    assert paused["clocks"]["response"]["status"] == "paused"
    assert paused["clocks"]["consultation"]["due_on"] == wd(15, sent).isoformat()
    world.act(number, "end_consultation", replied, reply="objection", text="涉及商业秘密")
    case = world.show(number, replied)
    assert case["state"] == "received"
    # days sent < d <= replied are not counted: 7 working days
    assert case["clocks"]["response"]["due_on"] == wd(27).isoformat()
    explanation = world.show(number, replied, explain="response")["explanation"]["days"]
    assert sum(1 for d in explanation if d["kind"] == "counted") == 20
    assert sum(1 for d in explanation if d["kind"] == "paused" and CAL.is_workday(D(d["date"]))) == 7


def test_consultation_served_later_starts_its_clock_on_service(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "start_consultation", wd(2), party="other_agency", served_on=wd(4).isoformat(), today=wd(4))
    assert world.show(number, wd(4))["clocks"]["consultation"]["start_on"] == wd(4).isoformat()


def test_fee_notice_pauses_and_payment_resumes(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "issue_fee_notice", wd(4), method="per_page", pages=90)
    case = world.show(number, wd(5))
    assert case["state"] == "awaiting_fee"
    assert case["clocks"]["fee_payment"]["due_on"] == wd(24).isoformat()
    world.act(number, "receive_payment", wd(9))
    case = world.show(number, wd(9))
    assert case["state"] == "received"
    assert case["clocks"]["response"]["due_on"] == wd(25).isoformat()
    assert case["clocks"]["fee_payment"]["status"] == "met"


def test_unpaid_fee_lapses_as_6_2(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "issue_fee_notice", wd(2), method="per_page", pages=40)
    world.act(number, "lapse_fee", wd(23), as_="system")
    case = world.show(number, wd(23))
    assert (case["state"], case["outcome"]) == ("concluded", "6.2")


def test_reasons_pause_and_a_new_reasonable_due_date(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "request_reasons", wd(3), days=10)
    assert world.show(number, wd(4))["state"] == "awaiting_reasons"
    world.act(number, "receive_reasons", wd(6), until=wd(40))
    case = world.show(number, wd(6))
    assert case["state"] == "received"
    assert case["clocks"]["response"]["due_on"] == wd(40).isoformat()


def test_submit_response_from_awaiting_reasons(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "request_reasons", wd(1), until=wd(11))
    world.act(number, "submit_response", wd(12), outcome="5.4", text="不予处理")
    assert world.show(number, wd(12))["state"] == "under_review"


def test_extension_needs_head_approval_and_adds_20_working_days(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "request_extension", wd(15), text="需协调多个部门")
    with pytest.raises(Exception, match="只能由负责人操作"):
        world.act(number, "approve_extension", wd(16))
    world.act(number, "approve_extension", wd(16), as_="head")
    case = world.show(number, wd(16))
    assert case["clocks"]["response"]["due_on"] == wd(40).isoformat()
    assert case["clocks"]["response"]["extended"] is True
    assert case["events"][-1]["data"]["old_due_on"] == wd(20).isoformat()
    assert case["events"][-1]["data"]["due_changes"] == {"response": [wd(20).isoformat(), wd(40).isoformat()]}
    with pytest.raises(Exception, match="延长过一次"):
        world.act(number, "request_extension", wd(17))


def test_rejected_extension_keeps_the_due_date_and_cannot_be_asked_again(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "request_extension", wd(10))
    world.act(number, "reject_extension", wd(11), as_="head", text="理由不充分")
    assert world.due(number) == wd(20)
    with pytest.raises(Exception, match="驳回"):
        world.act(number, "request_extension", wd(12))


def test_approval_without_a_pending_request_is_refused(world: World) -> None:
    number = world.receive(RECEIVED)
    with pytest.raises(Exception, match="没有待审批的延期申请"):
        world.act(number, "approve_extension", wd(1), as_="head")


def test_response_is_reviewed_then_concludes_with_its_outcome(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "submit_response", wd(10), outcome="3.4", text="涉及第三方商业秘密")
    world.act(number, "return_response", wd(11), as_="head", text="请补充法律依据")
    case = world.show(number, wd(11))
    assert case["state"] == "received" and case["outcome"] is None
    assert case["approvals"][0]["status"] == "returned"
    world.act(number, "submit_response", wd(12), outcome="2", text="部分公开")
    world.act(number, "approve_response", wd(13), as_="head")
    case = world.show(number, wd(13))
    assert (case["state"], case["outcome"], case["concluded_on"]) == ("concluded", "2", wd(13).isoformat())
    assert case["clocks"]["response"]["status"] == "met" and case["clocks"]["response"]["late"] is False
    assert case["actions"] == []


def test_late_response_is_met_late(world: World) -> None:
    number = world.receive(RECEIVED)
    assert world.show(number, wd(21))["clocks"]["response"]["status"] == "overdue"
    with pytest.raises(TransitionNotAllowed, match="--reason"):
        world.act(number, "submit_response", wd(22), outcome="1", text="予以公开")
    world.act(number, "submit_response", wd(22), outcome="1", text="予以公开", reason="档案调取延误")
    world.act(number, "approve_response", wd(22), as_="head", reason="档案调取延误")
    case = world.show(number, wd(22))
    clock = case["clocks"]["response"]
    assert clock["status"] == "met" and clock["late"] is True
    assert case["events"][-1]["data"]["late"] == {"clock": "response", "due_on": wd(20).isoformat(),
                                                  "reason": "档案调取延误"}


def test_return_response_needs_a_comment(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "submit_response", wd(3), outcome="1", text="予以公开")
    with pytest.raises(Exception, match="退回意见"):
        world.act(number, "return_response", wd(4), as_="head")


def test_outcome_4_3_needs_a_correction(world: World) -> None:
    number = world.receive(RECEIVED)
    with pytest.raises(Exception, match=r"4\.3"):
        world.act(number, "submit_response", wd(3), outcome="4.3")


@pytest.mark.parametrize("setup", [
    [],
    [("request_correction", {"text": "补正", "days": 5})],
    [("start_consultation", {"party": "third_party"})],
    [("issue_fee_notice", {"method": "per_page", "pages": 31})],
    [("request_reasons", {"days": 5})],
    [("submit_response", {"outcome": "1", "text": "予以公开"})],
])
def test_withdraw_from_every_open_state_concludes_as_6_3(world: World, setup: list[tuple[str, dict]]) -> None:
    number = world.receive(RECEIVED)
    for trigger, fields in setup:
        world.act(number, trigger, wd(1), **fields)
    world.act(number, "withdraw", wd(2))
    case = world.show(number, wd(2))
    assert (case["state"], case["outcome"], case["concluded_on"]) == ("concluded", "6.3", wd(2).isoformat())
    assert all(c["status"] in ("met", "closed") for c in case["clocks"].values())


def test_a_deadline_in_2027_is_provisional(world: World) -> None:
    number = world.receive(D("2026-12-15"))
    clock = world.show(number, D("2026-12-15"))["clocks"]["response"]
    assert clock["provisional"] is True and clock["due_on"] == "2027-01-12"


def test_case_numbers_keep_counting_past_9999(world: World) -> None:
    from workflow.models import Application
    with world.db.unit_of_work() as session:
        session.add(Application(agency_id=1, number="2025-9999", applicant_name="甲", applicant_type="natural",
                                channel="online", received_on=RECEIVED, request="x", state="concluded",
                                outcome="1", concluded_on=RECEIVED))
    assert world.receive(RECEIVED) == "2025-10000"
    assert world.receive(RECEIVED) == "2025-10001"


def test_a_pause_after_the_period_ran_out_does_not_revive_it(world: World) -> None:
    number = world.receive(RECEIVED)
    due = wd(20)
    world.act(number, "start_consultation", wd(2, due), party="third_party")
    consulting = world.show(number, wd(4, due))
    assert consulting["clocks"]["response"]["status"] == "overdue"
    assert consulting["next_due_on"] == due.isoformat()  # still on the overdue list
    world.act(number, "end_consultation", wd(5, due), reply="consent")
    response = world.show(number, wd(5, due))["clocks"]["response"]
    assert response["due_on"] == due.isoformat() and response["status"] == "overdue"
    assert any("不予扣除" in note for note in response["notes"])


def test_no_extension_once_the_period_has_run_out(world: World) -> None:
    number = world.receive(RECEIVED)
    with pytest.raises(TransitionNotAllowed, match="不能再延期"):
        world.act(number, "request_extension", wd(21), reason="补办手续")
    world.act(number, "request_extension", wd(20))
    with pytest.raises(TransitionNotAllowed, match="不能再延期"):
        world.act(number, "approve_extension", wd(21), as_="head", reason="补办手续")


def test_consultation_replies_follow_article_32(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "start_consultation", wd(1), party="third_party")
    with pytest.raises(TransitionNotAllowed, match="届满前不能按“逾期未提出意见”处理"):
        world.act(number, "end_consultation", wd(10), reply="none")
    with pytest.raises(TransitionNotAllowed, match="记录其理由"):
        world.act(number, "end_consultation", wd(10), reply="objection")
    world.act(number, "end_consultation", wd(17), reply="none")
    assert world.show(number, wd(17))["state"] == "received"


def test_a_reasonable_period_can_only_delay_the_response(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "request_reasons", wd(2), days=5)
    with pytest.raises(TransitionNotAllowed, match="会缩短法定期限"):
        world.act(number, "receive_reasons", wd(4), until=wd(8))
    saturday = D("2025-05-10")
    world.act(number, "receive_reasons", wd(4), until=saturday)
    assert world.due(number) == D("2025-05-12")  # 民法典第二百零三条: rolled to the next working day


@pytest.mark.parametrize(("fields", "message"), [
    ({"text": "补正", "until": RECEIVED}, "应晚于办理日期"),
    ({"text": "补正", "until": wd(10), "days": 5}, "只能给出一个"),
    ({"text": "补正", "days": 5, "served_on": wd(9).isoformat()}, "应在办理日期"),
    ({"text": "补正", "days": 5, "served_on": RECEIVED.isoformat()}, "应在办理日期"),
])
def test_agency_set_dates_are_checked(world: World, fields: dict, message: str) -> None:
    number = world.receive(RECEIVED)
    with pytest.raises(TransitionNotAllowed, match=message):
        world.act(number, "request_correction", wd(1), today=wd(2), **fields)


def test_concluding_a_case_voids_its_pending_approvals(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "request_extension", wd(5))
    world.act(number, "withdraw", wd(6))
    approval = world.show(number, wd(6))["approvals"][0]
    assert (approval["status"], approval["decided_on"]) == ("void", wd(6).isoformat())


def test_the_signed_off_response_stays_approved(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "submit_response", wd(3), outcome="1", text="予以公开")
    world.act(number, "approve_response", wd(4), as_="head")
    assert [(a["kind"], a["status"]) for a in world.show(number, wd(4))["approvals"]] == [("response", "approved")]
