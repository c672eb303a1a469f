"""The case list pages by key (issue 11 item 7): each row's clocks are its own case's, the pages walk every case
once in urgency order, and the sort key follows each case as it is handled."""

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select
from typer.testing import CliRunner

from tests.integration.conftest import World
from workflow import admin, agencies, queries
from workflow.agencies import DEFAULT_CODE
from workflow.case_order import urgency_key, urgency_sql
from workflow.cli.root import app
from workflow.errors import InputError
from workflow.models import Application

D = date.fromisoformat
TODAY = D("2025-06-30")


def _numbers(rows: list[dict[str, Any]]) -> list[str]:
    return [r["number"] for r in rows]


def test_with_a_limit_each_listed_case_shows_its_own_clocks(world: World) -> None:
    """The least urgent case is registered first: a page of the most urgent ones must still show their clocks."""
    late = world.receive(D("2025-03-20"))
    early = world.receive(D("2025-03-03"))
    middle = world.receive(D("2025-03-10"))
    world.act(middle, "request_correction", D("2025-03-11"), text="请明确文件名称", days=10)
    page = queries.list_cases(world.db, actor_name="clerk", today=TODAY, limit=2)
    assert _numbers(page) == [middle, early]  # the correction period ends before early's response period
    for row in page:
        shown = world.show(row["number"], TODAY)["clocks"]
        assert row["clocks"] == {k: {"due_on": c["due_on"], "status": c["status"], "provisional": c["provisional"]}
                                 for k, c in shown.items()}
    assert "correction" in page[0]["clocks"] and "correction" not in page[1]["clocks"]
    assert late not in _numbers(page)


def test_pages_walk_every_case_once_in_the_order_of_the_whole_list(world: World) -> None:
    numbers = [world.receive(D(f"2025-03-{d:02d}")) for d in (12, 3, 3, 7, 20, 5, 3)]
    world.act(numbers[3], "withdraw", D("2025-03-10"), text="申请人撤回")
    world.act(numbers[0], "start_consultation", D("2025-03-13"), party="third_party")  # the clock pauses
    whole = queries.list_cases(world.db, actor_name="clerk", today=TODAY, closed=True)
    assert numbers[3] == whole[-1]["number"] and len(whole) == len(numbers)  # concluded last
    for size in (1, 2, 3):
        seen, cursor = [], None
        while True:
            page = queries.case_page(world.db, actor_name="clerk", today=TODAY, limit=size, after=cursor)
            assert page.total == len(numbers) and len(page.rows) <= size
            seen += page.rows
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert _numbers(seen) == _numbers(whole)
        assert seen[-1]["next_cursor"] is None and all(r["next_cursor"] for r in seen[:-1])
    assert _numbers(queries.list_cases(world.db, actor_name="clerk", today=TODAY, closed=False)) == [
        n for n in _numbers(whole) if n != numbers[3]]
    assert _numbers(list(queries.iter_cases(world.db, page=2, actor_name="clerk", today=TODAY))) == _numbers(whole)


def test_the_order_is_overdue_first_then_by_due_date_then_concluded(world: World) -> None:
    """The stored key reproduces the urgency order, and follows a case through its actions."""
    a, b, c = (world.receive(D(day)) for day in ("2025-06-20", "2025-03-03", "2025-04-01"))
    listed = queries.list_cases(world.db, actor_name="clerk", today=TODAY)
    assert _numbers(listed) == [b, c, a] and [r["overdue"] for r in listed] == [True, True, False]
    world.act(b, "withdraw", D("2025-03-10"), text="申请人撤回")
    assert _numbers(queries.list_cases(world.db, actor_name="clerk", today=TODAY)) == [c, a, b]
    with world.db.unit_of_work() as session:
        keys = {r.number: r.urgency for r in session.exec(select(Application)).all()}
    assert keys[b] == "3" and keys[c].startswith("02025-")


def test_the_backfill_expression_agrees_with_the_saved_key(world: World) -> None:
    """What a migration writes into rows saved before the column existed is what saving them writes."""
    for day in ("2025-03-03", "2025-03-04", "2025-03-05"):
        world.receive(D(day))
    number = world.receive(D("2025-03-06"))
    world.act(number, "withdraw", D("2025-03-10"), text="申请人撤回")
    with world.db.unit_of_work() as session:
        saved = {r.id: r.urgency for r in session.exec(select(Application)).all()}
        session.exec(update(Application).values(urgency="x"))  # type: ignore[call-overload]
        session.exec(update(Application).values(  # type: ignore[call-overload]
            urgency=urgency_sql(col(Application.state), col(Application.next_due_on))))
    with world.db.unit_of_work() as session:
        filled = {r.id: r.urgency for r in session.exec(select(Application)).all()}
        assert filled == saved == {r.id: urgency_key(r.state, r.next_due_on)
                                   for r in session.exec(select(Application)).all()}


def test_a_supervisor_pages_through_every_agency(world: World) -> None:
    agencies.add_agency(world.db, actor_name="admin", code="other", name="测试市另一区人民政府办公室")
    admin.add_user(world.db, actor_name="admin", username="admin2", role="admin", agency="other")
    admin.add_user(world.db, actor_name="admin2", username="clerk2", role="clerk")
    admin.add_user(world.db, actor_name="admin", username="sup", role="supervisor")
    mine = [world.receive(D(f"2025-03-0{d}")) for d in (3, 5)]
    theirs = [world.receive(D(f"2025-03-0{d}"), as_="clerk2") for d in (3, 4)]
    assert mine[0] == theirs[0]  # numbers are per agency: both agencies have a 2025-0001
    pages, cursor = [], None
    while True:
        page = queries.case_page(world.db, actor_name="sup", today=TODAY, limit=1, after=cursor, all_agencies=True)
        pages += [(r["agency"], r["number"], r["received_on"]) for r in page.rows]
        if (cursor := page.next_cursor) is None:
            break
    assert pages == [(DEFAULT_CODE, mine[0], "2025-03-03"), ("other", theirs[0], "2025-03-03"),
                     ("other", theirs[1], "2025-03-04"), (DEFAULT_CODE, mine[1], "2025-03-05")]
    assert _numbers(queries.list_cases(world.db, actor_name="clerk", today=TODAY)) == mine  # scoped still


def test_a_cursor_that_is_not_one_is_refused_in_chinese(world: World) -> None:
    world.receive(D("2025-03-03"))
    world.receive(D("2025-03-04"))
    with pytest.raises(InputError, match="--after 的值 'abc' 不是有效的翻页位置"):
        queries.case_page(world.db, actor_name="clerk", today=TODAY, limit=5, after="abc")
    cursor = queries.case_page(world.db, actor_name="clerk", today=TODAY, limit=5).rows[0]["next_cursor"]
    assert isinstance(cursor, str)
    with pytest.raises(InputError, match="不是有效的翻页位置"):  # a plain list's cursor means nothing to --lapsed
        queries.case_page(world.db, actor_name="clerk", today=TODAY, limit=5, lapsed=True, after=cursor)


def test_ogi_cases_says_how_to_get_the_next_page(world: World) -> None:
    numbers = [world.receive(D(f"2025-03-0{d}")) for d in (3, 4, 5, 6, 7)]
    runner = CliRunner()

    def ogi(*args: str) -> str:
        done = runner.invoke(app, ["--db", world.url, "--today", "2025-03-10", "--as", "clerk", *args])
        assert done.exit_code == 0, done.stdout + done.stderr
        return done.stdout

    first = ogi("cases", "--limit", "2")
    assert "共 5 件，显示最紧急的 2 件" in first
    cursor = first.split("--after ")[1].split()[0]
    second = ogi("cases", "--limit", "2", "--after", cursor)
    assert "共 5 件，本页 2 件（接上一页）" in second and numbers[2] in second and numbers[0] not in second
    rows = json.loads(ogi("cases", "--limit", "2", "--after", cursor, "--json"))
    assert _numbers(rows) == numbers[2:4] and rows[-1]["next_cursor"]
    last = json.loads(ogi("cases", "--limit", "2", "--after", rows[-1]["next_cursor"], "--json"))
    assert _numbers(last) == numbers[4:] and last[-1]["next_cursor"] is None
    assert "下一页" not in ogi("cases", "--limit", "2", "--after", rows[-1]["next_cursor"])
    bad = runner.invoke(app, ["--db", world.url, "--as", "clerk", "cases", "--after", "!!"])
    assert bad.exit_code == 1 and "不是有效的翻页位置" in bad.stderr


def test_nothing_but_the_page_is_read(world: World) -> None:
    """The page query asks the database for one page more one row, never for every case."""
    from sqlalchemy import event

    for d in range(3, 9):
        world.receive(D(f"2025-03-0{d}"))
    statements: list[str] = []
    event.listen(world.db.engine, "before_cursor_execute",
                 lambda conn, cursor, sql, *rest: statements.append(sql))
    queries.case_page(world.db, actor_name="clerk", today=TODAY, limit=2)
    [listing] = [s for s in statements if s.lstrip().startswith("SELECT application.id") and "ORDER BY" in s]
    assert "LIMIT" in listing


def _assign(world: World, number: str, to: str) -> None:
    world.act(number, "assign", D("2025-03-03"), as_="head", assignee=to)


def test_the_list_filters_by_applicant_type_year_and_assignee(world: World) -> None:
    admin.add_user(world.db, actor_name="admin", username="clerk2", role="clerk")
    person = world.receive(D("2024-12-30"))
    firm = world.receive(D("2025-02-10"), applicant_type="commercial", name="某公司")
    lawyer = world.receive(D("2025-03-03"), applicant_type="legal_service", name="某律所")
    _assign(world, lawyer, "clerk2")

    def listed(**filters: Any) -> list[str]:
        return sorted(_numbers(queries.list_cases(world.db, actor_name="clerk", today=TODAY, **filters)))

    assert listed(applicant_type="commercial") == [firm]
    assert listed(year=2025) == sorted([firm, lawyer]) and listed(year=2024) == [person]
    assert listed(assignee="clerk2") == [lawyer]
    assert listed(assignee="clerk2", applicant_type="commercial") == []
    with pytest.raises(InputError, match="未知的申请人类型 'firm'；可选：natural（自然人）"):
        listed(applicant_type="firm")
    with pytest.raises(InputError, match="没有承办人 nobody"):
        listed(assignee="nobody")


def test_an_assignee_of_another_agency_is_not_a_choice(world: World) -> None:
    agencies.add_agency(world.db, actor_name="admin", code="east", name="东区")
    admin.add_user(world.db, actor_name="admin", username="east_clerk", role="clerk", agency="east")
    world.receive(D("2025-03-03"))
    with pytest.raises(InputError, match="没有承办人 east_clerk"):
        queries.list_cases(world.db, actor_name="clerk", today=TODAY, assignee="east_clerk")


def test_sorted_by_receipt_pages_walk_every_case_once(world: World) -> None:
    days = [D("2025-03-03"), D("2025-03-10"), D("2025-03-03"), D("2025-02-17"), D("2025-03-10"), D("2025-03-05")]
    numbers = [world.receive(d) for d in days]
    received = dict(zip(numbers, days, strict=True))
    for sort, newest in (("newest", True), ("oldest", False)):
        walked, cursor = [], None
        while True:
            page = queries.case_page(world.db, actor_name="clerk", today=TODAY, limit=4, sort=sort, after=cursor)
            walked += _numbers(page.rows)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert sorted(walked) == sorted(numbers) and len(walked) == len(numbers)
        shown = [received[n] for n in walked]
        assert shown == sorted(days, reverse=newest)
    with pytest.raises(InputError, match="未知的排序 'due'；可选：urgency（紧急程度）"):
        queries.case_page(world.db, actor_name="clerk", today=TODAY, sort="due")
    with pytest.raises(InputError, match="不是有效的翻页位置"):  # an urgency cursor does not page a receipt order
        first = queries.case_page(world.db, actor_name="clerk", today=TODAY, limit=2)
        queries.case_page(world.db, actor_name="clerk", today=TODAY, limit=2, sort="newest",
                          after=first.next_cursor)


def test_ogi_cases_filters_and_sorts_from_the_command_line(world: World) -> None:
    older = world.receive(D("2024-11-04"), applicant_type="research", name="某研究院")
    newer = world.receive(D("2025-03-03"), applicant_type="research", name="某大学")
    world.receive(D("2025-03-04"))
    runner = CliRunner()
    base = ["--db", world.url, "--as", "clerk", "--today", TODAY.isoformat(), "cases", "--json"]
    found = runner.invoke(app, [*base, "--applicant-type", "research", "--sort", "oldest"])
    assert found.exit_code == 0, found.output
    assert _numbers(json.loads(found.stdout)) == [older, newer]
    found = runner.invoke(app, [*base, "--year", "2025", "--applicant-type", "research"])
    assert _numbers(json.loads(found.stdout)) == [newer]
    refused = runner.invoke(app, [*base, "--sort", "biggest"])
    assert refused.exit_code != 0 and "未知的排序 'biggest'" in refused.output
