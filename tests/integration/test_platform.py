"""Many agencies on one platform (SPEC §12): each agency sees and acts on its own cases only, another
agency's case is "not found"; one calendar changed by the platform admin alone; a supervising office that
reads every agency and acts on none; a roll-up that is the sum of the agencies' own reports."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from notifications.channels import InboxChannel
from notifications.policy import DEFAULT_POLICY
from tests.integration.conftest import World
from tests.integration.test_ledger import write_csv
from workflow import admin, agencies, alerts, annual, appeals, cases, letters, monitor, queries, rollup, supervision
from workflow.agencies import DEFAULT_CODE
from workflow.cli import app
from workflow.errors import InputError, NotFound, TransitionNotAllowed
from workflow.inputs import ActionInput, ApplicationCreate
from workflow.ledger import import_applications
from workflow.models import Agency, Application, CalendarDay
from workflow.report.model import IdentityFailure

MAR = date(2026, 3, 2)  # a Monday
TODAY = date(2026, 3, 20)
AFTER_YEAR = date(2027, 1, 10)
# 广西「壮族三月三」: the autonomous region's own rest days, 2026-04-20 (Monday) among them.
SANYUESAN = date(2026, 4, 20)
SANYUESAN_SOURCE = "广西壮族自治区人民政府办公厅关于2026年“壮族三月三”放假的通知"

AGENCIES = {"east": "测试市东区人民政府办公室", "west": "测试市西区自然资源局"}


@pytest.fixture
def platform(world: World) -> World:
    """The world's agency `main` (clerk, head) plus `east` and `west`, each with a clerk, a head and an admin,
    and a supervising office `sup`; every user added by the platform admin `admin`."""
    for code, name in AGENCIES.items():
        agencies.add_agency(world.db, actor_name="admin", code=code, name=name)
        for role in ("clerk", "head", "admin"):
            admin.add_user(world.db, actor_name="admin", username=f"{code}_{role}", role=role, agency=code)
    admin.add_user(world.db, actor_name="admin", username="sup", role="supervisor")
    return world


def receive(world: World, as_: str, on: date = MAR, name: str = "张三") -> str:
    data = ApplicationCreate(applicant_name=name, applicant_type="natural", channel="online", received_on=on,
                             request="某项目的环境影响评价批复")
    return cases.register(world.db, actor_name=as_, data=data, today=on).number


def act(world: World, number: str, trigger: str, on: date, as_: str, agency: str | None = None,
        **fields: Any) -> None:
    cases.act(world.db, actor_name=as_, number=number, trigger=trigger, data=ActionInput(on=on, **fields), today=on,
              agency=agency)


def conclude(world: World, number: str, on: date, clerk: str, head: str) -> None:
    """Disclose in full (一、予以公开), submitted by the clerk and signed off by the head."""
    act(world, number, "submit_response", on, clerk, outcome="1", text="予以公开")
    act(world, number, "approve_response", on, head)


def test_case_numbers_are_per_agency_and_each_agency_sees_only_its_own(platform: World) -> None:
    first, second = receive(platform, "clerk"), receive(platform, "clerk", name="李四")
    east = receive(platform, "east_clerk", name="王五")
    assert east == first  # numbered per agency and year: each agency's first case of 2026
    with pytest.raises(NotFound, match=f"案件 {second} 不存在"):
        platform.show(second, TODAY, as_="east_clerk")
    assert platform.show(first, TODAY, as_="east_clerk")["applicant_name"] == "王五"
    listed = queries.list_cases(platform.db, actor_name="east_clerk", today=TODAY)
    assert [(r["number"], r["agency"]) for r in listed] == [(east, "east")]
    assert {r["number"] for r in queries.list_cases(platform.db, actor_name="clerk", today=TODAY)} == {first, second}
    assert queries.list_cases(platform.db, actor_name="west_clerk", today=TODAY) == []


def test_another_agencys_case_is_not_found_for_every_action(platform: World) -> None:
    receive(platform, "clerk")
    only_main = receive(platform, "clerk", name="李四")
    concluded = receive(platform, "clerk", name="赵六")
    conclude(platform, concluded, MAR, "clerk", "head")
    before = platform.snapshot()
    attempts = {
        "act": lambda: act(platform, only_main, "submit_response", TODAY, "west_clerk", outcome="1", text="予以公开"),
        "assign": lambda: cases.assign(platform.db, actor_name="west_head", number=only_main, assignee="west_clerk",
                                       today=TODAY),
        "letter": lambda: letters.render(platform.db, number=only_main, kind="receipt", actor_name="west_clerk",
                                         today=TODAY),
        "appeal": lambda: appeals.file_appeal(platform.db, actor_name="west_clerk", number=concluded,
                                              kind="reconsideration", route=None, received_on=TODAY, body=None,
                                              today=TODAY),
    }
    for what, attempt in attempts.items():
        with pytest.raises(NotFound, match="不存在") as refused:
            attempt()
        assert "无权" not in str(refused.value), what  # "not found", never "forbidden"
    assert cases.where_it_stands(platform.db, actor_name="west_clerk", number=only_main, today=TODAY) == ""
    assert platform.snapshot() == before


def test_naming_another_agency_is_not_found_and_a_platform_user_must_name_one(platform: World) -> None:
    number = receive(platform, "east_clerk")
    with pytest.raises(NotFound, match="机关 main 不存在"):
        queries.show_case(platform.db, number=number, actor_name="east_clerk", today=TODAY, agency=DEFAULT_CODE)
    with pytest.raises(InputError, match="请用 --agency 指定机关代码：east（测试市东区人民政府办公室）"):
        queries.show_case(platform.db, number=number, actor_name="admin", today=TODAY)
    shown = queries.show_case(platform.db, number=number, actor_name="admin", today=TODAY, agency="east")
    assert shown["number"] == number
    with pytest.raises(NotFound, match="机关 north 不存在"):
        queries.show_case(platform.db, number=number, actor_name="admin", today=TODAY, agency="north")


def test_a_ledger_import_lands_in_the_importers_agency_only(platform: World, tmp_path: Path) -> None:
    receive(platform, "clerk")
    ledger = write_csv(tmp_path / "east.csv", [
        ["2025-0101", "张三", "natural", "online", "2025-03-04", "某项目环评批复", "concluded", "1", "2025-03-20", ""],
        ["2025-0102", "李四", "natural", "online", "2025-12-01", "某路段拓宽规划", "received", "", "", ""],
    ])
    result = import_applications(platform.db, actor_name="east_admin", path=ledger, today=TODAY)
    assert result.created == 2
    east = queries.list_cases(platform.db, actor_name="east_clerk", today=TODAY)
    assert sorted(r["number"] for r in east) == ["2025-0101", "2025-0102"]
    assert all(r["agency"] == "east" for r in east)
    assert "2025-0101" not in {r["number"] for r in queries.list_cases(platform.db, actor_name="clerk", today=TODAY)}
    with pytest.raises(NotFound):
        platform.show("2025-0101", TODAY, as_="clerk")
    # The same ledger may be imported into another agency: its numbers are that agency's own.
    assert import_applications(platform.db, actor_name="west_clerk", path=ledger, today=TODAY).created == 2


def test_alerts_and_the_report_count_the_agencys_own_cases(platform: World) -> None:
    overdue_main = receive(platform, "clerk")
    for name in ("甲", "乙"):
        conclude(platform, receive(platform, "east_clerk", name=name), MAR, "east_clerk", "east_head")
    receive(platform, "east_clerk", name="丙")
    alerts.sweep(platform.db, today=date(2026, 6, 1), policy=DEFAULT_POLICY, channels={"inbox": InboxChannel()})
    main_alerts = monitor.list_alerts(platform.db, actor_name="clerk")
    east_alerts = monitor.list_alerts(platform.db, actor_name="east_clerk")
    assert main_alerts and {a["number"] for a in main_alerts} == {overdue_main}
    assert east_alerts and all(a["agency"] == "east" for a in east_alerts)
    assert not {a["id"] for a in main_alerts} & {a["id"] for a in east_alerts}
    assert monitor.list_alerts(platform.db, actor_name="west_clerk") == []
    with pytest.raises(TransitionNotAllowed, match="不能查看全部机关"):
        monitor.list_alerts(platform.db, actor_name="east_clerk", all_agencies=True)
    every = monitor.list_alerts(platform.db, actor_name="sup", all_agencies=True)
    assert len(every) == len(main_alerts) + len(east_alerts)

    east = annual.build_report(platform.db, actor_name="east_clerk", year=2026, today=AFTER_YEAR).to_json()
    main = annual.build_report(platform.db, actor_name="clerk", year=2026, today=AFTER_YEAR).to_json()
    assert east["agency"] == AGENCIES["east"]
    assert (east["section3"]["new"]["total"], east["section3"]["total"]["total"]) == (3, 2)
    assert (main["section3"]["new"]["total"], main["section3"]["total"]["total"]) == (1, 0)


def test_the_calendar_is_the_platforms_and_a_regional_rest_day_moves_every_agencys_deadlines(
        platform: World) -> None:
    received = date(2026, 4, 10)  # a Friday: its 20 working days run past 20 April
    numbers = {"main": receive(platform, "clerk", on=received), "east": receive(platform, "east_clerk", on=received)}
    clerks = {"main": "clerk", "east": "east_clerk"}

    def due(code: str) -> date:
        shown = queries.show_case(platform.db, number=numbers[code], actor_name=clerks[code], today=received)
        return date.fromisoformat(shown["clocks"]["response"]["due_on"])

    before = {code: due(code) for code in numbers}
    assert all(d > SANYUESAN for d in before.values())
    with platform.db.unit_of_work() as session:
        overrides_before = len(session.exec(select(CalendarDay)).all())
    for not_platform in ("east_admin", "head"):
        with pytest.raises(TransitionNotAllowed, match="只能由平台管理员执行"):
            admin.calendar_set(platform.db, actor_name=not_platform, day=SANYUESAN, working=False,
                               source=SANYUESAN_SOURCE, today=received)
    with platform.db.unit_of_work() as session:
        assert len(session.exec(select(CalendarDay)).all()) == overrides_before
    moved = admin.calendar_set(platform.db, actor_name="admin", day=SANYUESAN, working=False,
                               source=SANYUESAN_SOURCE, today=received)
    assert {(m.agency, m.number) for m in moved} == set(numbers.items())
    after = {code: due(code) for code in numbers}
    assert all(after[code] > before[code] for code in numbers)
    shown = queries.show_case(platform.db, number=numbers["east"], actor_name="east_clerk", today=received,
                              explain="response")
    day = next(d for d in shown["explanation"]["days"] if d["date"] == SANYUESAN.isoformat())
    assert day["count"] is None and SANYUESAN_SOURCE in day["note"]


def test_the_supervising_office_reads_every_agency_and_acts_on_none(platform: World) -> None:
    main_case = receive(platform, "clerk")
    east_case = receive(platform, "east_clerk", on=date(2026, 3, 3))
    conclude(platform, receive(platform, "west_clerk"), MAR, "west_clerk", "west_head")
    late = date(2026, 6, 1)
    rows = queries.list_cases(platform.db, actor_name="sup", today=late, all_agencies=True, overdue=True)
    assert {(r["agency"], r["number"]) for r in rows} == {("main", main_case), ("east", east_case)}
    with pytest.raises(TransitionNotAllowed, match="不能查看全部机关"):
        queries.list_cases(platform.db, actor_name="east_head", today=late, all_agencies=True)
    shown = queries.show_case(platform.db, number=east_case, actor_name="sup", today=late, agency="east")
    assert shown["number"] == east_case and not any(a["available"] for a in shown["actions"])

    before = platform.snapshot()
    with pytest.raises(TransitionNotAllowed, match="主管部门"):
        act(platform, east_case, "submit_response", late, "sup", agency="east", outcome="1", text="予以公开")
    with pytest.raises(TransitionNotAllowed, match="主管部门"):
        cases.register(
            platform.db, actor_name="sup", agency="east", today=late,
            data=ApplicationCreate(applicant_name="某人", applicant_type="natural", channel="online",
                                   received_on=late, request="某文件"))
    assert platform.snapshot() == before

    records = {r.code: r for r in supervision.supervise(platform.db, actor_name="sup", year=2026, today=late)}
    assert set(records) == {"main", "east", "west"}
    assert (records["west"].applications, records["west"].concluded, records["west"].on_time) == (1, 1, 1)
    assert records["west"].on_time_rate == 1.0
    assert (records["main"].overdue_now, records["east"].overdue_now) == (1, 1)
    with pytest.raises(TransitionNotAllowed):
        supervision.supervise(platform.db, actor_name="east_admin", year=2026, today=late)


def test_the_roll_up_is_the_sum_of_the_agencies_own_reports(platform: World) -> None:
    plan = {"main": ("clerk", "head", 2, 1), "east": ("east_clerk", "east_head", 3, 2),
            "west": ("west_clerk", "west_head", 1, 0)}
    for code, (clerk, head, received, concluded) in plan.items():
        numbers = [receive(platform, clerk, name=f"{code}{i}") for i in range(received)]
        for number in numbers[:concluded]:
            conclude(platform, number, MAR, clerk, head)
    concluded_east = queries.list_cases(platform.db, actor_name="east_clerk", today=TODAY, state="concluded")[0]
    appeals.file_appeal(platform.db, actor_name="east_clerk", number=concluded_east["number"],
                        kind="reconsideration", route=None, received_on=TODAY, body="测试市人民政府", today=TODAY)
    annual.lock_year(platform.db, actor_name="west_admin", year=2026, today=AFTER_YEAR)

    own = {code: annual.build_report(platform.db, actor_name=clerk, year=2026, today=AFTER_YEAR).to_json()
           for code, (clerk, *_rest) in plan.items()}
    summed = rollup.rollup(platform.db, actor_name="sup", year=2026, today=AFTER_YEAR).to_json()
    for section in ("section3", "section4"):
        for row, columns in summed[section].items():
            for column, n in columns.items():
                assert n == sum(r[section][row][column] for r in own.values()), (section, row, column)
    assert summed["section3"]["new"]["total"] == 6 and summed["section3"]["total"]["total"] == 3
    by_code = {a["agency_code"]: a for a in summed["agencies"]}
    assert set(by_code) == set(plan)
    for code, report in own.items():
        assert by_code[code]["section3"] == report["section3"]
        assert by_code[code]["section4"] == report["section4"]
    assert by_code["west"]["locked_by"] == "west_admin" and by_code["east"]["locked_on"] is None
    assert summed["checks"] == []

    behind = rollup.rollup_cell(platform.db, actor_name="sup", year=2026, row="total", column="total",
                                today=AFTER_YEAR)
    assert {c.code: len(c.cases) for c in behind} == {"main": 1, "east": 2}
    with pytest.raises(TransitionNotAllowed):
        rollup.rollup(platform.db, actor_name="east_admin", year=2026, today=AFTER_YEAR)
    json.dumps(summed, ensure_ascii=False)  # the JSON output is serialisable as is


def test_the_roll_up_reports_every_agencys_data_checks_as_its_own_report_does(platform: World) -> None:
    made = {code: [receive(platform, clerk, name=f"{code}{i}") for i in range(3)]
            for code, clerk in (("main", "clerk"), ("east", "east_clerk"), ("west", "west_clerk"))}
    for code, clerk, head in (("main", "clerk", "head"), ("east", "east_clerk", "east_head")):
        for number in made[code][:2]:
            conclude(platform, number, MAR, clerk, head)
    broken = {  # inverted dates outside 2026's scope (received after it, concluded before it) are found too
        ("west", 0): {"received_on": date(2027, 1, 5), "concluded_on": date(2026, 12, 1), "outcome": "9.9",
                      "state": "concluded"},
        ("west", 1): {"state": "concluded"},
        ("east", 0): {"received_on": date(2026, 5, 4), "concluded_on": date(2025, 12, 1)},
        ("east", 2): {"concluded_on": date(2026, 2, 2)},
        ("main", 0): {"state": "received"},
    }
    with platform.db.unit_of_work() as session:
        for (code, i), change in broken.items():
            agency = session.exec(select(Agency).where(Agency.code == code)).one()
            row = session.exec(select(Application).where(Application.agency_id == agency.id,
                                                         Application.number == made[code][i])).one()
            for key, value in change.items():
                setattr(row, key, value)

    def odd(checks: list[IdentityFailure]) -> list[tuple[str, str]]:
        return [(c.rule, c.detail) for c in checks if c.rule.startswith("数据异常")]

    summed = {a.code: a for a in rollup.rollup(platform.db, actor_name="sup", year=2026, today=AFTER_YEAR).agencies}
    for code, clerk in (("main", "clerk"), ("east", "east_clerk"), ("west", "west_clerk")):
        own = annual.build_report(platform.db, actor_name=clerk, year=2026, today=AFTER_YEAR)
        assert odd(summed[code].checks) == odd(own.checks), code
        assert summed[code].section3 == own.section3, code
    assert odd(summed["east"].checks) == [
        ("数据异常：办结日期早于收到日期", f"案件 {made['east'][0]}、{made['east'][2]}"),
        ("数据异常：已办结但办理结果代码无效", f"案件 {made['east'][2]}"),
        ("数据异常：有办结日期但状态不是已办结", f"案件 {made['east'][2]}")]
    assert odd(summed["west"].checks) == [
        ("数据异常：办结日期早于收到日期", f"案件 {made['west'][0]}"),
        ("数据异常：已办结但办理结果代码无效", f"案件 {made['west'][0]}"),
        ("数据异常：状态为已办结但没有办结日期", f"案件 {made['west'][1]}")]
    assert [r for r, _ in odd(summed["main"].checks)] == ["数据异常：有办结日期但状态不是已办结"]


def ogi(world: World, *args: str, as_: str | None = None, code: int = 0) -> Any:
    """Run one `ogi` command on the platform (as the user `as_`); its JSON output when it printed JSON."""
    who = ["--as", as_] if as_ else []
    result = CliRunner().invoke(app, ["--db", world.url, "--today", AFTER_YEAR.isoformat(), *who, *args])
    assert result.exit_code == code, result.output
    try:
        return json.loads(result.stdout)
    except ValueError:
        return result.output


def test_the_command_line_of_a_platform(platform: World) -> None:
    """What the supervising office and agency users type: `--agency` anywhere, `--all-agencies`, `supervise`,
    and a roll-up (`ogi report YEAR --all-agencies`) whose cells are the sums of the agencies' own reports."""
    listed = ogi(platform, "agency", "list", "--json", as_="admin")
    assert [a["code"] for a in listed] == ["east", "main", "west"]
    ogi(platform, "agency", "add", "--code", "north", "--name", "测试市北区教育局", as_="east_admin", code=1)
    for code, clerk, head in (("east", "east_clerk", "east_head"), ("west", "west_clerk", "west_head")):
        received = ogi(platform, "receive", "--applicant", "张三", "--type", "natural", "--channel", "online",
                       "--received-on", "2026-03-02", "--request", "某文件", "--json", as_=clerk)
        number = received["number"]
        assert ogi(platform, "show", number, "--json", as_=clerk)["agency"] == code
        conclude(platform, number, MAR, clerk, head)
    ogi(platform, "receive", "--applicant", "李四", "--type", "natural", "--channel", "online",
        "--received-on", "2026-03-02", "--request", "某文件", "--agency", "east", as_="east_clerk")
    # an agency user naming another agency: not found, exit 1, nothing written
    before = platform.snapshot()
    out = ogi(platform, "cases", "--agency", "west", as_="east_clerk", code=1)
    assert "机关 west 不存在" in out
    assert platform.snapshot() == before

    every = ogi(platform, "cases", "--all-agencies", "--all", "--json", as_="sup")
    rows = every["cases"] if isinstance(every, dict) else every
    assert sorted(r["agency"] for r in rows) == ["east", "east", "west"]
    ogi(platform, "cases", "--all-agencies", as_="east_clerk", code=1)
    supervised = ogi(platform, "supervise", "2026", "--json", as_="sup")
    by_code = {r["code"]: r for r in supervised}
    assert (by_code["east"]["applications"], by_code["east"]["concluded"]) == (2, 1)

    own = {code: ogi(platform, "report", "2026", "--format", "json", "--agency", code, as_="sup")
           for code in ("main", "east", "west")}
    summed = ogi(platform, "report", "2026", "--all-agencies", "--format", "json", as_="sup")
    for section in ("section3", "section4"):
        for row, columns in summed[section].items():
            for column, n in columns.items():
                assert n == sum(r[section][row][column] for r in own.values()), (section, row, column)
    assert summed["section3"]["new"]["total"] == 3
    drilled = ogi(platform, "report", "cell", "2026", "total", "total", "--all-agencies", "--json", as_="sup")
    assert [(d["agency_code"], d["count"]) for d in drilled] == [("east", 1), ("west", 1)]
    assert sum(d["count"] for d in drilled) == summed["section3"]["total"]["total"]


def test_each_agency_has_its_own_letter_templates(platform: World, tmp_path: Path) -> None:
    """`DIR/<code>/` first, then the platform's `DIR/`, then the built-in templates."""
    (tmp_path / "east").mkdir()
    (tmp_path / "east" / "receipt.html").write_text(
        '{% extends "default/receipt.html" %}{% block contact %}<p>东区咨询电话 0000-1111（{{ agency.code }}）</p>'
        "{% endblock %}", encoding="utf-8")
    (tmp_path / "receipt.html").write_text(
        '{% extends "default/receipt.html" %}{% block contact %}<p>平台统一咨询电话 12345</p>{% endblock %}',
        encoding="utf-8")

    def receipt(clerk: str, templates: Path | None) -> str:
        number = receive(platform, clerk)
        return letters.render(platform.db, number=number, kind="receipt", actor_name=clerk, today=MAR,
                              template_dir=templates).decode("utf-8")

    east, main = receipt("east_clerk", tmp_path), receipt("clerk", tmp_path)
    assert "东区咨询电话 0000-1111（east）" in east and "12345" not in east
    assert AGENCIES["east"] in east
    assert "平台统一咨询电话 12345" in main and "东区" not in main
    built_in = receipt("west_clerk", None)
    assert "12345" not in built_in and "东区" not in built_in and AGENCIES["west"] in built_in
