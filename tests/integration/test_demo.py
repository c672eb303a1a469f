"""`ogi demo` builds a realistic year covering every path and shows the clerk's first view."""

from collections import Counter
from datetime import date
from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from workflow.cli import app
from workflow.db import Database
from workflow.models import Application, Event


def test_demo_covers_every_path_and_outcome_group(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    result = CliRunner().invoke(app, ["--today", "2026-11-28", "demo", "--db-file", str(path)])
    assert result.exit_code == 0, result.stdout
    assert "已逾期" in result.stdout and "试试：" in result.stdout
    assert "2027 年放假安排尚未导入" in result.stdout
    db = Database(f"sqlite:///{path}")
    with db.unit_of_work() as session:
        apps = session.exec(select(Application)).all()
        triggers = Counter(e.trigger for e in session.exec(select(Event)).all())
    assert len(apps) > 100
    groups = {a.outcome.split(".")[0] for a in apps if a.outcome}
    assert groups == {"1", "2", "3", "4", "5", "6"}
    assert {"6.1", "6.2", "6.3", "4.3", "5.4"} <= {a.outcome for a in apps}
    for trigger in ("request_correction", "receive_correction", "lapse_correction", "start_consultation",
                    "end_consultation", "issue_fee_notice", "receive_payment", "lapse_fee", "request_reasons",
                    "receive_reasons", "request_extension", "approve_extension", "reject_extension",
                    "submit_response", "return_response", "approve_response", "withdraw"):
        assert triggers[trigger] > 0, trigger
    states = Counter(a.state for a in apps)
    assert set(states) == {"received", "awaiting_correction", "consulting", "awaiting_fee", "awaiting_reasons",
                           "under_review", "concluded"}  # a case open in every state today
    assert any(a.next_due_on and a.next_due_on < date(2026, 11, 28) for a in apps)  # and some are overdue
    db.dispose()


def test_demo_rebuilds_from_scratch(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    runner = CliRunner()
    first = runner.invoke(app, ["--today", "2025-06-30", "demo", "--db-file", str(path)])
    second = runner.invoke(app, ["--today", "2025-06-30", "demo", "--db-file", str(path)])
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout  # deterministic, and not appended to the old data
