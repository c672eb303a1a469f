"""Case numbers under contention: real processes register at the same instant and none is lost.

Each agency numbers its cases per year, 2026-0001, 2026-0002, … without a gap or a repeat, however many
clerks register at once (SQLite and PostgreSQL). A registration that fails gives its number back, and a
ledger import's numbers are never handed out again.
"""

import itertools
import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from tests.integration.conftest import World
from workflow import admin, agencies, annual, cases
from workflow.agencies import DEFAULT_CODE
from workflow.errors import YearLocked
from workflow.inputs import ApplicationCreate
from workflow.ledger.applications import import_applications
from workflow.models import Application, CaseNumberCounter, Event

RECEIVED = date(2026, 3, 2)

# Each process connects, says so, and registers `count` applications as `user` when told: every process is
# then ready to write before any writes. It prints the numbers it was given, in order.
DRIVER = """
import sys
from datetime import date
from workflow import cases
from workflow.db import Database, resolve_url
from workflow.inputs import ApplicationCreate
url, user, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = Database(resolve_url(url))
db.engine.connect().close()
print("ready", flush=True)
sys.stdin.readline()
on = date(2026, 3, 2)
for i in range(count):
    data = ApplicationCreate(applicant_name=f"{user}-{i}", applicant_type="natural", channel="online",
                             received_on=on, request="某项目的环境影响评价批复")
    print(cases.register(db, actor_name=user, data=data, today=on).number, flush=True)
"""


def _register_at_once(url: str, users: Sequence[str], count: int) -> dict[str, list[str]]:
    """Start one process per user, release them together, and return the numbers each was given."""
    procs = [subprocess.Popen([sys.executable, "-c", DRIVER, url, user, str(count)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for user in users]
    for p in procs:
        assert p.stdout is not None
        line = p.stdout.readline().strip()
        if line != "ready":
            p.wait(timeout=30)
            raise AssertionError(f"a process did not start: {line!r} {p.communicate()}")
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    given = {}
    for user, p in zip(users, procs, strict=True):
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0 and err == "", f"{user} failed (exit {p.returncode}): {err[-2000:]}"
        given[user] = out.split()
    return given


def _add_clerks(world: World, names: Sequence[str], admin_name: str = "admin", agency: str | None = None) -> None:
    for name in names:
        admin.add_user(world.db, actor_name=admin_name, username=name, role="clerk", agency=agency)


def _second_agency(world: World) -> None:
    """Another agency on the same platform (code `other`), with its own admin `admin2`."""
    agencies.add_agency(world.db, actor_name="admin", code="other", name="测试市另一区人民政府办公室")
    admin.add_user(world.db, actor_name="admin", username="admin2", role="admin", agency="other")


def _stored(world: World) -> dict[int, list[str]]:
    """Every stored case number, by agency, in order; and each case has its one registration event."""
    with world.db.unit_of_work() as session:
        rows = session.exec(select(Application.agency_id, Application.number, func.count(col(Event.id)))
                            .join(Event, col(Event.application_id) == col(Application.id))
                            .group_by(col(Application.id)).order_by(col(Application.number))).all()
    assert all(events == 1 for _, _, events in rows)
    stored: dict[int, list[str]] = {}
    for agency_id, number, _ in rows:
        stored.setdefault(agency_id, []).append(number)
    return stored


def _interleaved(given: dict[str, list[str]]) -> bool:
    """Whether the processes really ran at once: their numbers alternate rather than come in blocks."""
    owner = {n: user for user, numbers in given.items() for n in numbers}
    order = [owner[n] for n in sorted(owner)]
    switches = sum(a != b for a, b in itertools.pairwise(order))
    return switches > 2 * len(given)


def _numbers(count: int, year: int = 2026) -> list[str]:
    return [f"{year}-{i:04d}" for i in range(1, count + 1)]


def test_four_processes_registering_at_once_get_every_number_once_and_none_fails(
        world: World) -> None:
    users = ["clerk1", "clerk2", "clerk3", "clerk4"]
    _add_clerks(world, users)
    given = _register_at_once(world.url, users, 25)
    for numbers in given.values():
        assert len(numbers) == 25 and numbers == sorted(numbers)  # each process's own registrations, in order
    assert sorted(n for numbers in given.values() for n in numbers) == _numbers(100)
    assert _stored(world) == {1: _numbers(100)}
    assert _interleaved(given), f"the processes never ran at once: the test proves nothing ({given})"


def test_two_agencies_registering_at_once_each_number_their_own_cases(
        world: World) -> None:
    _second_agency(world)
    _add_clerks(world, ["a1", "a2"], agency=DEFAULT_CODE)
    _add_clerks(world, ["b1", "b2"], admin_name="admin2")
    given = _register_at_once(world.url, ["a1", "b1", "a2", "b2"], 15)
    assert sorted(given["a1"] + given["a2"]) == _numbers(30)
    assert sorted(given["b1"] + given["b2"]) == _numbers(30)
    assert _stored(world) == {1: _numbers(30), 2: _numbers(30)}


def _application(on: date = RECEIVED) -> ApplicationCreate:
    return ApplicationCreate(applicant_name="张三", applicant_type="natural", channel="online", received_on=on,
                             request="某项目的环境影响评价批复")


def test_a_refused_registration_gives_its_number_back(world: World) -> None:
    assert world.receive(date(2025, 3, 3)) == "2025-0001"
    annual.lock_year(world.db, actor_name="head", year=2025, today=date(2026, 1, 20))
    with pytest.raises(YearLocked):  # refused after its number was taken: the whole registration rolls back
        cases.register(world.db, actor_name="clerk", data=_application(date(2025, 3, 4)), today=RECEIVED)
    assert cases.register(world.db, actor_name="admin", data=_application(date(2025, 3, 4)).model_copy(
        update={"reason": "补录遗漏的申请"}), today=RECEIVED).number == "2025-0002"


def _ledger(tmp_path: Path, numbers: Sequence[str], received: str = "2026-01-05") -> Path:
    path = tmp_path / "台账.csv"
    lines = ["编号,申请人,申请人类型,申请方式,收到日期,申请内容,办理状态,办理结果,办结日期"]
    lines += [f"{n},李四,自然人,互联网渠道,{received},某文件,已办结,予以公开,{received}" for n in numbers]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import(world: World, path: Path) -> None:
    import_applications(world.db, actor_name="clerk", path=path, today=RECEIVED)


def test_numbers_continue_after_the_highest_imported_number_of_the_year(
        world: World, tmp_path: Path) -> None:
    assert [world.receive(RECEIVED) for _ in range(2)] == ["2026-0001", "2026-0002"]
    _import(world, _ledger(tmp_path, ["2026-0040", "2026-0007", "沪府办依申〔2026〕99号"]))
    assert world.receive(RECEIVED) == "2026-0041"  # not 0003: the counter was raised by the import
    (tmp_path / "old").mkdir()
    _import(world, _ledger(tmp_path / "old", ["2026-0020", "2025-0300"], received="2025-06-30"))
    assert world.receive(RECEIVED) == "2026-0042"  # a lower imported number leaves the counter alone
    assert world.receive(date(2025, 12, 30)) == "2025-0301"  # a year first seen in an import


def test_a_year_first_numbered_continues_after_the_numbers_already_stored(world: World) -> None:
    """A database from before the counter existed (or rows written directly): numbering starts after them."""
    with world.db.unit_of_work() as session:
        for number in ("2026-0999", "2026-10000", "2026-0123", "2025-20000"):
            session.add(Application(agency_id=1, number=number, applicant_name="甲", applicant_type="natural",
                                    channel="online", received_on=RECEIVED, request="某文件", state="received"))
    assert world.receive(RECEIVED) == "2026-10001"
    with world.db.unit_of_work() as session:
        counters = session.exec(select(CaseNumberCounter)).all()
        assert [(c.agency_id, c.year, c.last_used) for c in counters] == [(1, 2026, 10001)]
