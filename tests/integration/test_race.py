"""Two clerks, one case, one moment: two real `ogi act` processes fire at the same instant.

The winner's action is recorded once; the loser is told in Chinese that the case changed, by whom and when,
and nothing of its action remains (SQLite and PostgreSQL).
"""

import subprocess
import sys
from datetime import date

from sqlalchemy import func
from sqlmodel import select

from tests.integration.conftest import World
from workflow import admin
from workflow.models import Application, Event

# Each process loads the CLI first, says so, and fires when told: both then read the case before either
# writes it.
DRIVER = """
import sys
from importlib.metadata import entry_points
main = entry_points(group="console_scripts")["ogi"].load()
sys.argv = ["ogi", *sys.argv[1:]]
print("ready", flush=True)
sys.stdin.readline()
main()
"""
ROUNDS = 8
MOST_ROUNDS = 32  # on a loaded machine the two may take turns for a while: go on until they have raced once


def test_the_loser_of_a_race_is_told_who_changed_the_case_and_nothing_half_applied_remains(
        world: World) -> None:
    admin.add_user(world.db, actor_name="admin", username="clerk2", role="clerk")
    numbers: list[str] = []
    raced = 0
    while len(numbers) < ROUNDS or (not raced and len(numbers) < MOST_ROUNDS):
        number = world.receive(date(2025, 3, 3))
        numbers.append(number)
        procs = [subprocess.Popen(
            [sys.executable, "-c", DRIVER, "--db", world.url, "--as", who, "--today", "2025-03-05",
             "act", number, "request_correction", "--text", f"{who} 要求补正", "--days", "10", "--on", "2025-03-05"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for who in ("clerk", "clerk2")]
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        results = [(p.wait(timeout=60), *p.communicate()) for p in procs]
        won = [r for r in results if r[0] == 0]
        lost = [r for r in results if r[0] != 0]
        assert len(won) == 1 and len(lost) == 1, results
        code, _, stderr = lost[0]
        assert code == 1 and "Traceback" not in stderr and "Session" not in stderr, stderr
        assert "错误：" in stderr and ("已被他人更新" in stderr or "当前状态：待补正" in stderr), stderr
        if "已被他人更新" in stderr:
            raced += 1
            winner = "clerk" if results[0][0] == 0 else "clerk2"
            assert f"（{winner} 于 2" in stderr and "「一次性告知补正」" in stderr and "未执行" in stderr, stderr
            assert "当前状态：待补正" in stderr, stderr  # where the case now stands, and what may be done
    with world.db.unit_of_work() as session:
        for number in numbers:
            app = session.exec(select(Application).where(Application.number == number)).one()
            events = session.exec(select(func.count()).select_from(Event).where(Event.application_id == app.id)).one()
            assert (app.state, app.version, events) == ("awaiting_correction", 2, 2)
    assert raced >= 1, "the two processes never raced: the test proves nothing"
