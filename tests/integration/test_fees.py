"""Fee notices compute the amount from the 办法's bands; a different amount needs a reason (SPEC §9)."""

from datetime import date
from pathlib import Path

import pytest

from tests.integration.conftest import World
from tests.integration.test_cli import Ogi
from workflow import cases
from workflow.errors import TransitionNotAllowed
from workflow.inputs import ApplicationCreate

DAY = date(2025, 4, 1)


def _receive(world: World, on: date, name: str = "李四", contact: str | None = "13800000000") -> str:
    data = ApplicationCreate(applicant_name=name, applicant_type="natural", channel="online", received_on=on,
                             request="x", applicant_contact=contact)
    return cases.register(world.db, actor_name="clerk", data=data, today=on)


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
