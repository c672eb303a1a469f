"""The working-day calendar against SPEC §3: worked examples, the 2024–2026 notices, unknown years."""

from datetime import date, timedelta

import pytest

from states.workdays import DayKind
from workflow.calendar import CalendarData, Override, WorkingCalendar
from workflow.errors import CalendarRangeError

CAL = WorkingCalendar()


@pytest.mark.parametrize(("receipt", "plus7", "plus20", "plus40"), [
    ("2024-09-10", "2024-09-20", "2024-10-14", "2024-11-11"),
    ("2024-01-25", "2024-02-04", "2024-02-27", "2024-03-26"),
    ("2024-04-30", "2024-05-13", "2024-05-30", "2024-06-28"),
])
def test_spec_worked_examples(receipt: str, plus7: str, plus20: str, plus40: str) -> None:
    start = date.fromisoformat(receipt)
    assert [CAL.add_working_days(start, n).isoformat() for n in (7, 20, 40)] == [plus7, plus20, plus40]


def _expand(spec: str) -> list[date]:
    if ".." in spec:
        a, b = (date.fromisoformat(x) for x in spec.split(".."))
        return [a + timedelta(days=i) for i in range((b - a).days + 1)]
    return [date.fromisoformat(spec)]


NOTICES = {  # SPEC §3, from the State Council's yearly notices
    2024: ("01-01 02-10..02-17 04-04..04-06 05-01..05-05 06-10 09-15..09-17 10-01..10-07",
           "02-04 02-18 04-07 04-28 05-11 09-14 09-29 10-12"),
    2025: ("01-01 01-28..02-04 04-04..04-06 05-01..05-05 05-31..06-02 10-01..10-08",
           "01-26 02-08 04-27 09-28 10-11"),
    2026: ("01-01..01-03 02-15..02-23 04-04..04-06 05-01..05-05 06-19..06-21 09-25..09-27 10-01..10-07",
           "01-04 02-14 02-28 05-09 09-20 10-10"),
}


@pytest.mark.parametrize("year", sorted(NOTICES))
def test_every_day_of_the_year_follows_the_state_council_notice(year: int) -> None:
    rest_spec, work_spec = NOTICES[year]
    rest = {d for s in rest_spec.split() for d in _expand(f"{year}-{s.replace('..', f'..{year}-')}")}
    work = {date.fromisoformat(f"{year}-{s}") for s in work_spec.split()}
    d = date(year, 1, 1)
    while d.year == year:
        expected = d in work or (d.weekday() < 5 and d not in rest)
        assert CAL.is_workday(d) is expected, d
        d += timedelta(days=1)


def test_adjusted_working_sunday_counts_and_is_labelled() -> None:
    day = CAL.day(date(2024, 2, 4))
    assert day.working and day.kind is DayKind.ADJUSTED_WORKDAY and day.name == "春节"


def test_new_years_eve_2024_was_a_working_day() -> None:
    assert CAL.is_workday(date(2024, 2, 9))


def test_unknown_year_counts_weekends_only_and_is_provisional() -> None:
    assert not CAL.known(2027)
    due = CAL.add_working_days(date(2026, 12, 15), 20)
    assert due == date(2027, 1, 12)  # 2027-01-01 (Friday) counted: no notice yet
    assert CAL.provisional(date(2026, 12, 15), due)
    assert not CAL.provisional(date(2026, 1, 5), date(2026, 2, 2))


def test_override_beats_library_and_imported_year_replaces_it() -> None:
    data = CalendarData(
        overrides=(Override(date(2027, 1, 1), False, "国办发明电〔2026〕X号"),
                   Override(date(2026, 5, 11), False, "测试更正")),
        imported_years=((2027, "国办发明电〔2026〕X号"),),
    )
    cal = WorkingCalendar(data)
    assert cal.known(2027) and not cal.provisional(date(2027, 1, 1), date(2027, 2, 1))
    assert not cal.is_workday(date(2027, 1, 1))
    assert not cal.is_workday(date(2026, 5, 11))
    assert cal.day(date(2026, 5, 11)).source == "测试更正"


def test_count_and_add_are_inverse() -> None:
    start = date(2025, 9, 26)
    for n in range(1, 60):
        assert CAL.count_working_days(start, CAL.add_working_days(start, n)) == n


def test_calendar_day_period_rolls_forward_over_rest_days() -> None:
    # 民法典第二百零三条: a period ending on a rest day ends on the next working day.
    assert CAL.roll_forward(date(2025, 10, 1)) == date(2025, 10, 9)
    assert CAL.roll_forward(date(2025, 10, 9)) == date(2025, 10, 9)


def test_dates_outside_the_calendar_are_refused_in_chinese() -> None:
    with pytest.raises(CalendarRangeError, match="超出日历范围"):
        CAL.add_working_days(date(2100, 12, 30), 5)


def test_working_days_before_is_the_inverse_of_add() -> None:
    due = date(2025, 10, 9)  # the first working day after the 2025 National Day holiday
    assert CAL.working_days_before(due, 0) == due
    assert CAL.working_days_before(due, 1) == date(2025, 9, 30)
    assert CAL.working_days_before(due, 2) == date(2025, 9, 29)
    assert CAL.working_days_before(due, 3) == date(2025, 9, 28)  # 调休 Sunday
    for n in range(0, 30):
        assert CAL.add_working_days(CAL.working_days_before(due, n), n) == due
