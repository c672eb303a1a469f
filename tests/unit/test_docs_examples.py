"""The worked examples published in docs/deadlines.md are what the engine computes."""

import re
from datetime import date
from pathlib import Path

from states.case import compute_clocks
from states.clocks import ClockKind
from states.deadlines import LegalEvent
from states.lifecycle import Trigger
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


PAUSE = re.compile(rf"received {DAY} goes out to a third party on {DAY}\.\s*The reply arrives {DAY}, so (\d+) "
                   rf"working days are not counted\. The response is due on\s*{DAY} instead of {DAY}")
EXPLAINED = re.compile(rf"Example \(received\s*{DAY}, no pauses\):\s*```\n(.*?)```", re.S)


def test_documented_pause_example_matches_the_engine() -> None:
    found = PAUSE.search(DOC)
    assert found, "docs/deadlines.md lost its pause example"
    received, sent, replied, excluded, due, unpaused = found.groups()
    events = [LegalEvent(Trigger.REGISTER, date.fromisoformat(received)),
              LegalEvent(Trigger.START_CONSULTATION, date.fromisoformat(sent), {"party": "third_party"}),
              LegalEvent(Trigger.END_CONSULTATION, date.fromisoformat(replied), {"reply": "consent"})]
    paused = compute_clocks(events, CAL, date.fromisoformat(replied))[ClockKind.RESPONSE]
    plain = compute_clocks(events[:1], CAL, date.fromisoformat(received))[ClockKind.RESPONSE]
    assert (paused.due_on.isoformat(), plain.due_on.isoformat()) == (due, unpaused)
    assert CAL.count_working_days(date.fromisoformat(sent), date.fromisoformat(replied)) == int(excluded)


def test_documented_explanation_is_what_ogi_show_explain_prints() -> None:
    found = EXPLAINED.search(DOC)
    assert found, "docs/deadlines.md lost its day-by-day example"
    received = date.fromisoformat(found.group(1))
    response = compute_clocks([LegalEvent(Trigger.REGISTER, received)], CAL, received)[ClockKind.RESPONSE]
    engine = [f"  {line.day}  {line.note}" for line in response.explanation(received)]
    shown = [line for line in found.group(2).splitlines() if line.strip() != "…"]
    assert shown and all(line in engine for line in shown), sorted(set(shown) - set(engine))
    assert shown[0] == engine[0] and shown[-1] == engine[-1]  # from the start day to the due date
