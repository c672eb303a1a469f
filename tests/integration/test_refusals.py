"""Refusals: a Chinese message naming the problem, the state and the allowed actions, and no change stored."""

from datetime import date

import pytest

from tests.integration.conftest import World
from workflow.errors import InputError, NotFound, StaleCase, TransitionNotAllowed, WorkflowError
from workflow.inputs import ActionInput, validate

RECEIVED = date(2025, 6, 3)
LATER = date(2025, 6, 10)


@pytest.fixture
def case(world: World) -> str:
    return world.receive(RECEIVED)


@pytest.mark.parametrize(("trigger", "as_", "fields", "error", "fragment"), [
    ("receive_payment", "clerk", {}, TransitionNotAllowed, "当前状态为「办理中」"),
    ("approve_response", "head", {}, TransitionNotAllowed, "不能「审核同意，出具答复」"),
    ("submit_response", "head", {"outcome": "1"}, TransitionNotAllowed, "只能由承办人操作，当前用户是负责人"),
    ("submit_response", "admin", {"outcome": "1"}, TransitionNotAllowed, "当前用户是管理员"),
    ("submit_response", "clerk", {}, TransitionNotAllowed, "缺少办理结果（--outcome）"),
    ("submit_response", "clerk", {"outcome": "9.9"}, TransitionNotAllowed, "办理结果代码 9.9 不存在"),
    ("request_correction", "clerk", {"text": "补正"}, TransitionNotAllowed,
     "缺少期限（--until 日期 或 --days 工作日数）"),
    ("start_consultation", "clerk", {}, TransitionNotAllowed, "缺少征求对象（--party）"),
    ("lapse_correction", "clerk", {}, TransitionNotAllowed, "当前状态为「办理中」"),
])
def test_refused_action_names_the_problem_and_changes_nothing(
        world: World, case: str, trigger: str, as_: str, fields: dict, error: type, fragment: str) -> None:
    before = world.snapshot()
    with pytest.raises(error) as refused:
        world.act(case, trigger, LATER, as_=as_, **fields)
    message = str(refused.value)
    assert fragment in message
    assert "当前状态：办理中（received）" in message
    assert "可执行的操作：" in message
    assert world.snapshot() == before


def test_refusal_lists_the_actions_this_user_may_take(world: World, case: str) -> None:
    with pytest.raises(TransitionNotAllowed) as refused:
        world.act(case, "receive_payment", LATER)
    assert "submit_response（提交答复送审）" in str(refused.value)
    assert "approve_extension" not in refused.value.allowed
    assert "withdraw" in refused.value.allowed


def test_action_dated_in_the_future_is_refused(world: World, case: str) -> None:
    before = world.snapshot()
    with pytest.raises(TransitionNotAllowed, match="晚于今天"):
        world.act(case, "withdraw", date(2025, 6, 12), today=LATER)
    assert world.snapshot() == before


def test_action_dated_before_the_last_one_is_refused(world: World, case: str) -> None:
    world.act(case, "start_consultation", LATER, party="third_party")
    before = world.snapshot()
    with pytest.raises(TransitionNotAllowed, match="早于该案上一次办理日期 2025-06-10"):
        world.act(case, "end_consultation", date(2025, 6, 9), reply="consent", today=LATER)
    assert world.snapshot() == before


def test_unknown_case_is_refused(world: World) -> None:
    with pytest.raises(NotFound, match="案件 2025-0099 不存在"):
        world.act("2025-0099", "withdraw", LATER)


def test_unknown_trigger_lists_the_triggers(world: World, case: str) -> None:
    with pytest.raises(InputError, match=r"未知的操作 .approve.\n当前状态：办理中(.|\n)*submit_response"):
        world.act(case, "approve", LATER)


def test_unknown_user_is_refused(world: World, case: str) -> None:
    with pytest.raises(NotFound, match="用户 nobody 不存在"):
        world.act(case, "withdraw", LATER, as_="nobody")


def test_stale_version_is_refused(world: World, case: str) -> None:
    world.act(case, "start_consultation", LATER, party="third_party")
    before = world.snapshot()
    with pytest.raises(StaleCase, match=r"第 1 版(.|\n)*当前状态：征求意见中"):
        from workflow import cases
        cases.act(world.db, actor_name="clerk", number=case, trigger="end_consultation",
                  data=ActionInput(on=LATER, reply="consent"), today=LATER, expected_version=1)
    assert world.snapshot() == before


def test_bad_input_values_are_named_in_chinese() -> None:
    with pytest.raises(InputError) as refused:
        validate(ActionInput, on="2025-13-01", party="neighbour")
    message = str(refused.value)
    assert "办理日期（--on）的值 '2025-13-01' 不是有效日期" in message
    assert "征求对象（--party）的值 'neighbour' 无效，可选：third_party、other_agency" in message


def test_registration_in_the_future_is_refused(world: World) -> None:
    from workflow import cases
    from workflow.inputs import ApplicationCreate
    data = ApplicationCreate(applicant_name="张三", applicant_type="natural", channel="online",
                             received_on=date(2025, 7, 1), request="x")
    with pytest.raises(WorkflowError, match="晚于今天"):
        cases.register(world.db, actor_name="clerk", data=data, today=date(2025, 6, 30))


def test_head_cannot_register(world: World) -> None:
    with pytest.raises(TransitionNotAllowed, match="只能由承办人操作"):
        world.receive(RECEIVED, as_="head")
    assert world.snapshot()["apps"] == []


def test_options_that_do_not_belong_to_the_action_are_refused(world: World, case: str) -> None:
    world.act(case, "submit_response", LATER, outcome="1", text="予以公开")
    before = world.snapshot()
    with pytest.raises(TransitionNotAllowed, match="办理结果（--outcome）不适用于「审核同意，出具答复」"):
        world.act(case, "approve_response", LATER, as_="head", outcome="2")
    assert world.snapshot() == before


def test_a_refusal_names_who_may_act_in_chinese_and_only_actions_that_apply(world: World) -> None:
    from notifications.policy import DEFAULT_POLICY
    from workflow import alerts

    number = world.receive(date(2025, 3, 3))
    world.act(number, "request_correction", date(2025, 3, 4), text="补正", days=5)
    alerts.sweep(world.db, today=date(2025, 3, 12), policy=DEFAULT_POLICY, channels={})  # lapsed: 6.1
    with pytest.raises(WorkflowError) as refused:
        world.act(number, "undo_lapse_correction", date(2025, 3, 13), as_="head", reason="补正已按时寄达")
    message = str(refused.value)
    others = "当前用户无可执行的操作；此状态下的操作：undo_lapse_correction（撤销逾期不补正的自动办结，承办人）"
    assert others in message
    assert "undo_lapse_fee" not in message and "clerk）" not in message  # a 6.1 case: the fee undo does not apply
