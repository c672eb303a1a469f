"""`ogi verify` and the tamper-evident log (issue 12 items 2 and 3): a sound database verifies clean on both
databases, imported ledgers included; an altered, deleted, reordered or moved event is named, even with the
append-only triggers gone; a tampered case row is reported by verify and warned about by `ogi show`."""

import gc
import json
import multiprocessing
import os
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import text

from tests.integration.conftest import AGENCY, World
from tests.integration.test_clerk_cli import OGI
from tests.integration.test_ledger import APPEAL_HEADER, write_csv
from workflow import admin, appeals, chain
from workflow import verify as verify_module
from workflow.ledger import import_appeals, import_applications
from workflow.verify import verify

TODAY = date(2025, 12, 31)


def ogi(world: World, *args: str, as_: str | None = None) -> subprocess.CompletedProcess[str]:
    """The installed `ogi` in a subprocess, on the world's database."""
    env = {k: v for k, v in os.environ.items() if k not in ("OGI_USER", "OGI_DB")}
    argv = [OGI, "--db", world.url, "--today", TODAY.isoformat(), *(["--as", as_] if as_ else []), *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)


def checked(world: World) -> dict[str, Any]:
    """`ogi verify --json`, and its exit status agreeing with what it found."""
    done = ogi(world, "verify", "--json")
    report = json.loads(done.stdout)
    assert done.returncode == (0 if report["ok"] else 1), done.stderr
    return report  # type: ignore[no-any-return]


def populate(world: World, tmp_path: Path) -> dict[str, str]:
    """Cases of every kind: concluded through review, paused, extended, a lapse undone, withdrawn, appealed;
    a ledger of past cases and appeals; then a calendar change that re-dates the open cases."""
    n = {}
    n["full"] = world.receive(date(2025, 3, 3))
    world.act(n["full"], "request_correction", date(2025, 3, 5), text="请明确文件名称", days=10)
    world.act(n["full"], "receive_correction", date(2025, 3, 10))
    world.act(n["full"], "issue_fee_notice", date(2025, 3, 11), method="per_page", pages=65)
    world.act(n["full"], "receive_payment", date(2025, 3, 20))
    world.act(n["full"], "request_extension", date(2025, 4, 1), text="需调取档案")
    world.act(n["full"], "approve_extension", date(2025, 4, 2), as_="head")
    world.act(n["full"], "submit_response", date(2025, 4, 20), outcome="3.4", text="涉及第三方商业秘密")
    world.act(n["full"], "approve_response", date(2025, 4, 21), as_="head")
    n["paused"] = world.receive(date(2025, 12, 1))
    world.act(n["paused"], "start_consultation", date(2025, 12, 3), party="third_party", today=date(2025, 12, 3))
    n["open"] = world.receive(date(2025, 12, 15))
    n["withdrawn"] = world.receive(date(2025, 5, 6))
    world.act(n["withdrawn"], "withdraw", date(2025, 5, 8), text="申请人撤回")
    appeal = appeals.file_appeal(world.db, actor_name="clerk", number=n["full"], kind="reconsideration", route=None,
                                 received_on=date(2025, 5, 10), body="市人民政府", today=TODAY)
    appeals.act_appeal(world.db, actor_name="clerk", appeal_id=appeal, trigger="submit_reply", on=date(2025, 5, 15),
                       today=TODAY)
    appeals.act_appeal(world.db, actor_name="clerk", appeal_id=appeal, trigger="decide", on=date(2025, 7, 1),
                       decision="维持", today=TODAY)
    ledger = write_csv(tmp_path / "台账.csv", [
        ["2023-0001", "张三", "natural", "online", "2023-03-04", "某项目环评批复", "concluded", "1", "2023-03-20", ""],
        ["2023-0002", "某公司", "commercial", "in_person", "2023-05-04", "某合同", "concluded", "6.1", "2023-06-20",
         ""],
        ["2023-0003", "李四", "natural", "email", "2023-06-04", "某规划", "concluded", "6.3", "2023-06-10", ""],
        ["2024-0001", "王五", "natural", "online", "2025-11-20", "某拆迁补偿", "received", "", "", ""]])
    import_applications(world.db, actor_name="clerk", path=ledger, today=TODAY)
    world.act("2024-0001", "start_consultation", date(2025, 11, 24), party="other_agency", today=date(2025, 11, 24))
    appeal_ledger = write_csv(tmp_path / "复议台账.csv", [
        ["2023-0001", "reconsideration", "", "2023-04-10", "撤销", "2023-06-01", "市人民政府"],
        ["2023-0002", "litigation", "direct", "2023-07-10", "", "", "区人民法院"]], header=APPEAL_HEADER)
    import_appeals(world.db, actor_name="clerk", path=appeal_ledger, today=TODAY)
    admin.calendar_set(world.db, actor_name="admin", day=date(2025, 12, 22), working=False, source="测试：临时放假",
                       today=date(2025, 12, 20))
    return n


def test_a_sound_database_verifies_clean_imported_cases_included(world: World, tmp_path: Path) -> None:
    populate(world, tmp_path)
    report = checked(world)
    assert report["ok"] and report["problems"] == [], report["problems"]
    assert (report["cases"], report["appeals"]) == (8, 3)
    assert report["events"] == 9 + 2 + 1 + 2 + (2 + 2 + 2 + 2) and report["appeal_events"] == 3 + 2 + 1
    done = ogi(world, "verify")
    assert done.returncode == 0 and "全部与办理记录的重演一致，记录的哈希链完整" in done.stdout, done.stderr
    with world.db.unit_of_work() as session:  # the calendar change re-dated the paused case: one more version
        version, length = session.execute(text("SELECT version, chain_length FROM application WHERE number = :n"),
                                          {"n": "2025-0002"}).one()
    assert (version, length) == (3, 2)


def test_verify_reports_progress_over_all_cases(world: World) -> None:
    for day in range(1, 6):
        world.receive(date(2025, 3, day + 2))
    steps: list[tuple[int, int]] = []
    assert verify(world.db, today=TODAY, progress=lambda done, total: steps.append((done, total))).ok
    assert steps[0] == (0, 5) and steps[-1] == (5, 5)


def test_verify_leaves_the_garbage_collector_as_it_found_it(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """verify pauses the cyclic collector while it checks a batch of cases: a process that calls it (`ogi
    restore`, a long-running one) keeps its own setting afterwards, also when the check fails."""
    world.receive(date(2025, 3, 3))
    assert gc.isenabled()
    assert verify(world.db, today=TODAY).ok
    assert gc.isenabled()
    gc.disable()
    try:
        assert verify(world.db, today=TODAY).ok
        assert not gc.isenabled()
    finally:
        gc.enable()

    def broken(*args: object) -> None:
        assert not gc.isenabled(), "paused while the batch is checked"
        raise RuntimeError("the database went away")

    monkeypatch.setattr(verify_module, "_checked_cases", broken)
    with pytest.raises(RuntimeError):
        verify(world.db, today=TODAY)
    assert gc.isenabled()


def _tamper(world: World, *statements: str) -> None:
    with world.db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def _findings(report: dict[str, Any], number: str) -> list[tuple[str, int | None]]:
    return [(p["kind"], p["seq"]) for p in report["problems"] if p["number"] == number and p["appeal_id"] is None]


def _event(n: str, seq: int) -> str:
    return f"(SELECT e.id FROM event e JOIN application a ON a.id = e.application_id WHERE a.number = '{n}' " \
           f"AND e.seq = {seq})"


def _app(n: str) -> str:
    return f"(SELECT id FROM application WHERE number = '{n}')"


def test_sqlite_tampering_with_the_triggers_dropped_is_named_event_by_event(sqlite_world: World,
                                                                           tmp_path: Path) -> None:
    """SQLite's own way round the append-only triggers (PostgreSQL's is the test below)."""
    world = sqlite_world
    n = populate(world, tmp_path)
    altered, deleted, cut, swapped, moved = world.receive(date(2025, 6, 2)), world.receive(date(2025, 6, 3)), \
        world.receive(date(2025, 6, 4)), world.receive(date(2025, 6, 5)), world.receive(date(2025, 6, 6))
    for number in (altered, deleted, cut, swapped, moved):
        world.act(number, "start_consultation", date(2025, 6, 9), party="third_party")
        world.act(number, "end_consultation", date(2025, 6, 16), reply="consent")
        world.act(number, "withdraw", date(2025, 6, 17), text="撤回")
    assert checked(world)["ok"]
    _tamper(world, "DROP TRIGGER event_no_update", "DROP TRIGGER event_no_delete",
            f"UPDATE event SET data = '{{\"party\": \"other_agency\"}}' WHERE id = {_event(altered, 2)}",
            f"DELETE FROM event WHERE id = {_event(deleted, 2)}",
            f"DELETE FROM event WHERE id = {_event(cut, 4)}",
            f"UPDATE event SET seq = 99 WHERE id = {_event(swapped, 2)}",
            f"UPDATE event SET seq = 2 WHERE id = {_event(swapped, 3)}",
            f"UPDATE event SET seq = 3 WHERE id = {_event(swapped, 99)}",
            f"UPDATE event SET application_id = {_app(n['open'])}, seq = 2 WHERE id = {_event(moved, 4)}")
    report = checked(world)
    assert not report["ok"]
    assert _findings(report, altered) == [("hash", 2)]
    assert ("gap", 2) in _findings(report, deleted) and ("hash", 3) in _findings(report, deleted)
    assert ("length", 4) in _findings(report, cut) and ("state", None) in _findings(report, cut)
    assert _findings(report, swapped)[0] == ("hash", 2)
    assert ("length", 4) in _findings(report, moved)
    assert ("hash", 2) in _findings(report, n["open"]) and ("length", 2) in _findings(report, n["open"])
    sound = {p["number"] for p in report["problems"]}
    assert sound == {altered, deleted, cut, swapped, moved, n["open"]}
    done = ogi(world, "verify")
    assert done.returncode == 1 and f"案件 {altered}：第 2 条记录（2025-06-09「" in done.stdout, done.stdout
    assert "发现" in done.stderr and "涉及 6 件案件" in done.stderr, done.stderr


def test_a_tampered_case_row_is_reported_and_show_warns(world: World, tmp_path: Path) -> None:
    n = populate(world, tmp_path)
    _tamper(world, f"UPDATE application SET state = 'concluded', outcome = '1', concluded_on = '2025-12-20', "
                   f"next_due_on = NULL WHERE number = '{n['open']}'",
            "UPDATE appeal SET decision = 'revoke' WHERE decision = 'maintain'")
    report = checked(world)
    kinds = {k for k, _ in _findings(report, n["open"])}
    assert {"state", "outcome", "concluded_on", "next_due"} <= kinds
    appeal = [p for p in report["problems"] if p["appeal_id"] is not None]
    assert [(p["number"], p["kind"]) for p in appeal] == [(n["full"], "appeal")]
    assert "结果为 撤销（revoke），办理记录重演为 维持（maintain）" in appeal[0]["message"]
    problem = next(p for p in report["problems"] if p["number"] == n["open"])
    assert (problem["agency_code"], problem["agency"]) == ("main", AGENCY)  # the platform names agencies by code
    assert f"main（{AGENCY}） 案件 {n['open']}：状态为「已办结」" in ogi(world, "verify").stdout
    shown = ogi(world, "show", n["open"], as_="clerk")
    assert shown.returncode == 0 and "警告：" in shown.stdout
    assert "状态为「已办结」，办理记录重演为「办理中」" in shown.stdout
    as_json = json.loads(ogi(world, "show", n["open"], "--json", as_="clerk").stdout)
    assert any("办理记录重演为「办理中」" in m for m in as_json["integrity"])
    assert json.loads(ogi(world, "show", n["full"], "--json", as_="clerk").stdout)["integrity"] == []


def test_an_appeal_with_a_value_no_reading_takes_is_named_and_the_others_are_checked(sqlite_world: World,
                                                                                   tmp_path: Path) -> None:
    """SQLite keeps any text in a date column (PostgreSQL's refuses it): an appeal's event dated '2025-5-15'."""
    world = sqlite_world
    n = populate(world, tmp_path)
    sound = checked(world)
    _tamper(world, "DROP TRIGGER IF EXISTS appeal_event_no_update",
            "UPDATE appeal_event SET effective_on = '2025-5-15' WHERE seq = 2 AND trigger = 'submit_reply'")
    report = checked(world)
    assert [(p["number"], p["kind"], p["subject"].startswith("行政复议")) for p in report["problems"]] == [
        (n["full"], "unreadable", True)]
    assert "2025-5-15" in report["problems"][0]["message"]
    assert (report["appeals"], report["appeal_events"]) == (sound["appeals"], sound["appeal_events"])


def test_postgresql_tampering_with_triggers_disabled_and_truncation(pg_world: World, tmp_path: Path) -> None:
    n = populate(pg_world, tmp_path)
    _tamper(pg_world, "ALTER TABLE event DISABLE TRIGGER ALL",
            f"UPDATE event SET effective_on = '2025-03-06' WHERE id = {_event(n['full'], 2)}",
            "ALTER TABLE appeal_event DISABLE TRIGGER ALL",
            "UPDATE appeal_event SET actor = 'head' WHERE seq = 2 AND trigger = 'submit_reply'")
    report = checked(pg_world)
    assert _findings(report, n["full"]) == [("hash", 2)]
    assert [(p["kind"], p["seq"]) for p in report["problems"] if p["appeal_id"] is not None] == [("hash", 2)]
    _tamper(pg_world, "TRUNCATE event, appeal_event")
    report = checked(pg_world)
    assert report["events"] == 0 and report["cases_with_problems"] == 8
    assert all(("length", 1) in _findings(report, number) for number in n.values())


def test_the_hash_is_over_canonical_content() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    moment = datetime(2025, 3, 3, 1, 2, 3, 456789, tzinfo=UTC)
    args: dict[str, Any] = {"log": chain.EVENT, "owner": 7, "seq": 2, "trigger": "withdraw", "actor": "clerk",
                            "role": "clerk", "effective_on": date(2025, 3, 3), "from_state": "received",
                            "to_state": "concluded", "previous": "ab" * 32}
    first = chain.event_hash(**args, data={"a": 1, "b": [1, 2]}, recorded_at=moment)
    # The same content as read back: keys in another order, the same instant naive (UTC) or in Beijing time.
    assert first == chain.event_hash(**args, data={"b": [1, 2], "a": 1}, recorded_at=moment.replace(tzinfo=None))
    assert first == chain.event_hash(**args, data={"a": 1, "b": [1, 2]},
                                     recorded_at=moment.astimezone(timezone(timedelta(hours=8))))
    for change in ({"seq": 3}, {"owner": 8}, {"actor": "head"}, {"previous": None}, {"to_state": "received"}):
        assert chain.event_hash(**{**args, **change}, data={"a": 1, "b": [1, 2]}, recorded_at=moment) != first
    assert chain.event_hash(**args, data={"a": 2, "b": [1, 2]}, recorded_at=moment) != first


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_several_processes_find_what_one_finds(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               start: str) -> None:
    n = populate(world, tmp_path)
    unguard = "DROP TRIGGER event_no_update" if world.path else "ALTER TABLE event DISABLE TRIGGER ALL"
    _tamper(world, unguard,
            f"UPDATE event SET actor = 'head' WHERE id = {_event(n['withdrawn'], 2)}",
            "UPDATE application SET outcome = '2' WHERE number = '2023-0003'")
    monkeypatch.setattr("workflow.verify._BATCH", 2)  # batches of one case (a sixth of what is left, at least 1)
    # Workers forked (the default where no other thread runs) or started as fresh interpreters (elsewhere).
    monkeypatch.setattr("workflow.verify._start_method", lambda: multiprocessing.get_context(start))
    steps: list[tuple[int, int]] = []
    alone = verify(world.db, today=TODAY, jobs=1)
    together = verify(world.db, today=TODAY, jobs=3, progress=lambda done, total: steps.append((done, total)))
    assert together == alone and not together.ok
    assert {(p.number, p.finding.kind) for p in together.problems} == {(n["withdrawn"], "hash"),
                                                                       ("2023-0003", "outcome")}
    # The bar moves on at each batch checked, in whichever process, up to every case.
    assert steps == [(done, 8) for done in range(9)]
    # What `ogi verify --jobs 3` prints (its own processes, forked from a fresh `ogi`) is what one process finds.
    assert ogi(world, "verify", "--jobs", "3").stdout == ogi(world, "verify", "--jobs", "1").stdout


def test_claims_cover_every_id_once_in_batches_that_shrink_as_the_ends_meet() -> None:
    claims = verify_module._Claims(multiprocessing.get_context("fork"), 1, 1000, most=100, least=5, shares=4)
    taken: list[tuple[int, int]] = []
    while (claimed := (claims.first() if len(taken) % 2 == 0 else claims.last())) is not None:
        taken.append(claimed)
    assert sorted(i for first, last in taken for i in range(first, last + 1)) == list(range(1, 1001))
    sizes = [last - first + 1 for first, last in taken]
    assert sizes[0] == 100 and max(sizes) == 100 and sizes[-1] <= 5  # large while much is left, small at the end
    assert sizes == sorted(sizes, reverse=True)
    # What a run has not received (a worker stopped) is found by its ranges, whatever their sizes.
    done = {1: (100, None), 301: (400, None), 401: (950, None)}
    assert verify_module._unchecked(1, 1000, cast(Any, done)) == [(101, 300), (951, 1000)]


def test_a_batch_whose_worker_stops_is_checked_by_the_run(world: World, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    populate(world, tmp_path)
    _tamper(world, "UPDATE application SET outcome = '2' WHERE number = '2023-0003'")
    alone = verify(world.db, today=TODAY, jobs=1)
    check, parent = verify_module._check_cases, os.getpid()

    def dies_in_a_worker(session: Any, low: int, high: int, today: date) -> Any:
        if os.getpid() != parent:
            os._exit(9)  # as if killed in the middle of its first batch: it sends nothing
        return check(session, low, high, today)

    monkeypatch.setattr("workflow.verify._BATCH", 2)
    monkeypatch.setattr("workflow.verify._check_cases", dies_in_a_worker)  # forked workers inherit it
    monkeypatch.setattr("workflow.verify._start_method", lambda: multiprocessing.get_context("fork"))
    together = verify(world.db, today=TODAY, jobs=2)
    assert together == alone and together.cases == 8 and not together.ok


def test_a_worker_killed_while_claiming_a_batch_does_not_stop_the_run(world: World, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    populate(world, tmp_path)
    alone = verify(world.db, today=TODAY, jobs=1)
    claim, parent = verify_module._Claims._claim, os.getpid()

    def dies_holding_the_lock(claims: Any, end: int) -> tuple[int, int] | None:
        if os.getpid() != parent:
            claims._lock.acquire()
            os._exit(9)  # killed in the moment it holds the lock: nobody can claim a batch any more
        return claim(claims, end)

    monkeypatch.setattr("workflow.verify._BATCH", 2)
    monkeypatch.setattr("workflow.verify.CLAIM_WAIT", 0.5)
    monkeypatch.setattr("workflow.verify._Claims._claim", dies_holding_the_lock)
    monkeypatch.setattr("workflow.verify._start_method", lambda: multiprocessing.get_context("fork"))
    assert verify(world.db, today=TODAY, jobs=2) == alone


def _reseal(world: World, number: str, seq: int, data_text: str, sealed: dict[str, Any]) -> None:
    """Give an event other data and a hash computed the engine's way over `sealed` (what the JSON reads back as),
    with the case's chain head moved along: a record as a writer of that content would have left it."""
    with world.db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER IF EXISTS event_no_update"))
        e = conn.execute(text(f"SELECT id, application_id, seq, trigger, actor, role, effective_on, from_state, "
                              f"to_state, recorded_at FROM event WHERE id = {_event(number, seq)}")).one()
        previous = conn.execute(text(f"SELECT hash FROM event WHERE id = {_event(number, seq - 1)}")).scalar_one()
        digest = chain.event_hash(chain.EVENT, e.application_id, e.seq, e.trigger, e.actor, e.role,
                                  date.fromisoformat(e.effective_on), e.from_state, e.to_state, sealed,
                                  datetime.fromisoformat(e.recorded_at), previous)
        conn.execute(text("UPDATE event SET data = :data, hash = :hash WHERE id = :id"),
                     {"data": data_text, "hash": digest, "id": e.id})
        conn.execute(text("UPDATE application SET chain_head = :hash WHERE id = :id AND chain_length = :seq"),
                     {"hash": digest, "id": e.application_id, "seq": e.seq})


def test_what_the_quick_reading_cannot_vouch_for_is_judged_the_canonical_way(sqlite_world: World) -> None:
    world = sqlite_world  # SQLite only: it writes event JSON as raw text, which SQLite keeps byte for byte
    sound, altered = world.receive(date(2025, 6, 2)), world.receive(date(2025, 6, 3))
    odd_date, no_date, a_number = (world.receive(date(2025, 6, d)) for d in (4, 5, 6))
    for number in (sound, altered, odd_date, no_date, a_number):
        world.act(number, "start_consultation", date(2025, 6, 9), party="third_party")
    # A float orjson writes otherwise than the canonical encoder (1e-7, not 1e-07): the quick hash differs, the
    # canonical one matches, and the case is sound.
    _reseal(world, sound, 2, '{"party": "third_party", "weight": 1e-07}', {"party": "third_party", "weight": 1e-07})
    # Sealed over a float, then the stored text changed to an integer beyond 64 bits that orjson reads as that very
    # float (and json.loads, as the engine reads it, as an integer): altered, whatever orjson makes of it.
    _reseal(world, altered, 2, '{"party": "third_party", "n": 1.8446744073709552e+19}',
            {"party": "third_party", "n": 1.8446744073709552e+19})
    with world.db.engine.begin() as conn:
        conn.execute(text("UPDATE event SET data = :data WHERE id = " + _event(altered, 2)),
                     {"data": '{"party": "third_party", "n": 18446744073709551616}'})
        # A day stored in a form SQLAlchemy reads as the same date (ISO week 24, Monday: 9 June), which the quick
        # reading does not take: sound.
        conn.execute(text("UPDATE event SET effective_on = '2025-W24-1' WHERE id = " + _event(odd_date, 2)))
        # A day no reading takes: reported, and the run goes on.
        conn.execute(text("UPDATE event SET effective_on = '2025-6-9' WHERE id = " + _event(no_date, 2)))
        # Digits only: SQLite's column affinity keeps it as a number, which is no date either.
        conn.execute(text("UPDATE event SET effective_on = '20250609' WHERE id = " + _event(a_number, 2)))
    report = verify(world.db, today=TODAY, jobs=1)
    assert [(p.number, p.finding.kind, p.finding.seq) for p in report.problems] == [
        (altered, "hash", 2), (no_date, "unreadable", None), (a_number, "unreadable", None)]
    assert "2025-6-9" in report.problems[1].message
    shown = ogi(world, "show", no_date, as_="clerk")  # the case cannot be shown either, and says why
    assert shown.returncode == 1 and "Traceback" not in shown.stderr
    assert "数据库中有无法读取的值（Invalid isoformat string: '2025-6-9'）" in shown.stderr + shown.stdout
    assert "请运行 ogi verify 核对" in shown.stderr + shown.stdout
