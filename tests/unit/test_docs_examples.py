"""The worked examples published in docs/deadlines.md are what the engine computes."""

import re
from datetime import date
from pathlib import Path

from states.case import compute_clocks
from states.deadlines import LegalEvent
from workflow.calendar import WorkingCalendar

DOC = (Path(__file__).resolve().parents[2] / "docs" / "deadlines.md").read_text(encoding="utf-8")
CAL = WorkingCalendar()
DAY = r"(\d{4}-\d\d-\d\d)"
ROW = re.compile(rf"^\| {DAY} \| {DAY} \| {DAY} \| {DAY} \|(.*)\|$", re.M)


def test_documented_worked_examples_match_the_engine() -> None:
    rows = ROW.findall(DOC)
    assert len(rows) >= 6
    for receipt, plus7, plus20, plus40, note in rows:
        start = date.fromisoformat(receipt)
        assert [CAL.add_working_days(start, n).isoformat() for n in (7, 20, 40)] == [plus7, plus20, plus40]
        assert ("provisional" in note) == CAL.provisional(start, date.fromisoformat(plus40))


def test_documented_pause_example_matches_the_engine() -> None:
    events = [LegalEvent("register", date(2025, 3, 3)),
              LegalEvent("start_consultation", date(2025, 3, 10), {"party": "third_party"}),
              LegalEvent("end_consultation", date(2025, 3, 19), {"reply": "consent"})]
    response = compute_clocks(events, CAL, date(2025, 3, 19))["response"]
    assert response.due_on == date(2025, 4, 10)
    assert "2025-04-10" in DOC and "2025-03-31" in DOC
