"""Fee notices compute the amount from the 办法's bands; a different amount needs a reason (SPEC §9)."""

import re
from datetime import date
from pathlib import Path

import pytest

from tests.integration.conftest import World
from tests.integration.test_cli import Ogi
from workflow import cases
from workflow.errors import InputError, TransitionNotAllowed
from workflow.inputs import ActionInput, ApplicationCreate, validate

DAY = date(2025, 4, 1)


def _receive(world: World, on: date, name: str = "李四", contact: str | None = "13800000000") -> str:
    data = ApplicationCreate(applicant_name=name, applicant_type="natural", channel="online", received_on=on,
                             request="x", applicant_contact=contact)
    return cases.register(world.db, actor_name="clerk", data=data, today=on).number


def test_per_item_counts_the_applicants_applications_in_the_month(world: World) -> None:
    numbers = [_receive(world, date(2025, 4, 1 + i // 3)) for i in range(12)]
    _receive(world, date(2025, 3, 31))  # another month
    _receive(world, DAY, contact="13900000000")  # another applicant of the same name
    with pytest.raises(TransitionNotAllowed, match="免费范围内"):
        world.act(numbers[9], "issue_fee_notice", date(2025, 4, 7), method="per_item")
    world.act(numbers[10], "issue_fee_notice", date(2025, 4, 7), method="per_item")
    event = world.show(numbers[10], date(2025, 4, 7))["events"][-1]
    assert event["data"]["amount"] == "100"
    assert event["data"]["quote"]["basis"] == "按件计收：申请人本月第 11 件申请"


def test_per_page_needs_pages_and_records_the_bands(world: World) -> None:
    number = _receive(world, DAY)
    with pytest.raises(TransitionNotAllowed, match="--pages"):
        world.act(number, "issue_fee_notice", DAY, method="per_page")
    world.act(number, "issue_fee_notice", DAY, method="per_page", pages=150)
    quote = world.show(number, DAY)["events"][-1]["data"]["quote"]
    assert quote["amount"] == "1700"
    assert [line["band"] for line in quote["lines"]] == ["第 1–30 页", "第 31–100 页", "第 101–200 页"]


def test_an_amount_other_than_the_standard_needs_a_reason(world: World) -> None:
    number = _receive(world, DAY)
    before = world.snapshot()
    with pytest.raises(TransitionNotAllowed, match="应收 700 元"):
        world.act(number, "issue_fee_notice", DAY, method="per_page", pages=100, amount="500")
    assert world.snapshot() == before
    world.act(number, "issue_fee_notice", DAY, method="per_page", pages=100, amount="500", reason="部分页面为重复材料")
    data = world.show(number, DAY)["events"][-1]["data"]
    assert (data["amount"], data["quote"]["amount"], data["reason"]) == ("500", "700", "部分页面为重复材料")


def test_fee_quote_cli(tmp_path: Path) -> None:
    ogi = Ogi(tmp_path / "fee.db")
    ogi("init", "--agency", "测试局", as_=None)
    ogi("user", "add", "clerk", "--role", "clerk", as_="admin")
    for day in ("2025-04-01", "2025-04-02"):
        ogi("receive", "--applicant", "王五", "--contact", "wx", "--type", "natural", "--channel", "online",
            "--received-on", day, "--request", "x", today=day)
    month = ogi.json("fee", "quote", "--applicant", "王五", "--contact", "wx", "--month", "2025-04")
    assert month["count"] == 2 and month["next"]["amount"] == "0"
    text = ogi("fee", "quote", "--pages", "120").stdout
    assert "第 31–100 页：70 × 10 元 = 700 元" in text and "合计：1100 元" in text
    assert "请给出" in ogi("fee", "quote", ok=False).stderr


def test_no_fee_inside_the_free_band_even_with_a_reason(world: World) -> None:
    number = _receive(world, DAY)
    with pytest.raises(TransitionNotAllowed, match="免费范围内"):
        world.act(number, "issue_fee_notice", DAY, method="per_item", amount="100", reason="特殊情况")


@pytest.mark.parametrize(("amount", "message"), [
    ("0", "金额（--amount）的值 '0' 无效：应大于 0"),  # a notice to pay nothing would lapse the case for nothing
    ("NaN", "金额（--amount）的值 'NaN' 不是有效的数"),
    ("-5", "应大于 0"),
    ("0.005", "最多两位小数（精确到分）"),
    ("12345678901.5", "数额过大"),
])
def test_a_fee_notice_must_ask_for_a_positive_amount(amount: str, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):  # the CLI's input check, before any use case runs
        validate(ActionInput, on=DAY.isoformat(), method="per_page", pages=120, amount=amount, reason="免收")


def test_an_amount_is_stored_as_the_letter_prints_it(world: World) -> None:
    first, second, third = (_receive(world, DAY, contact=c) for c in ("13800000000", "13900000000", "wx"))
    world.act(first, "issue_fee_notice", DAY, method="per_page", pages=120, amount="1e3", reason="按实际页数核减")
    world.act(second, "issue_fee_notice", DAY, method="per_page", pages=120, amount="1100.00")  # the computed fee
    world.act(third, "issue_fee_notice", DAY, method="per_page", pages=120, amount="100.1", reason="核减")
    assert [world.show(n, DAY)["events"][-1]["data"]["amount"] for n in (first, second, third)] == [
        "1000", "1100", "100.10"]


def test_per_item_takes_no_page_count(world: World) -> None:
    number = _receive(world, DAY)
    before = world.snapshot()
    with pytest.raises(TransitionNotAllowed, match="按件计收不看页数"):
        world.act(number, "issue_fee_notice", DAY, method="per_item", pages=50)
    assert world.snapshot() == before


def test_fee_quote_names_the_applicant_by_contact_when_the_name_is_shared(tmp_path: Path) -> None:
    ogi = Ogi(tmp_path / "fee.db")
    ogi("init", "--agency", "测试局", as_=None)
    ogi("user", "add", "clerk", "--role", "clerk", as_="admin")
    for contact, days in (("13700000000", 12), ("wx-lisi", 1)):
        for i in range(days):
            day = f"2025-11-{3 + i // 4:02d}"
            ogi("receive", "--applicant", "王五" if contact[0] == "1" else "李四", "--contact", contact,
                "--type", "natural", "--channel", "online", "--received-on", day, "--request", "x", today=day)
    alone = ogi.json("fee", "quote", "--applicant", " 王五", "--month", "2025-11")  # one 王五: found by name
    assert (alone["contact"], alone["count"], alone["next"]["amount"]) == ("13700000000", 12, "100")
    ogi("receive", "--applicant", "王五", "--contact", "13911112222", "--type", "natural", "--channel", "online",
        "--received-on", "2025-11-10", "--request", "x", today="2025-11-10")
    refused = ogi("fee", "quote", "--applicant", "王五", "--month", "2025-11", ok=False).stderr
    assert "2025-11 有 2 位名为「王五」的申请人（联系方式：13700000000、13911112222），请用 --contact 指定" in refused
    assert "只能选一种" in ogi("fee", "quote", "--pages", "5", "--applicant", "王五", "--month", "2025-11",
                               ok=False).stderr
    assert "--pages 应为正整数" in ogi("fee", "quote", "--pages", "0", ok=False).stderr
