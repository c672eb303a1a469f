"""Properties of the pure clock arithmetic (SPEC §3–§4), checked on generated dates and case histories.

No database: `WorkingCalendar`, `periods.due_date` and `deadlines.compute_clocks` only. Dates stay
within 2004–2027 (chinesecalendar covers 2004–2026; 2027 has no published notice and is provisional).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from states.case import compute_clocks
from states.clocks import EXTENSION_WORKING_DAYS, RULES, ClockKind, ClockStatus, Unit
from states.deadlines import Clock, ClockPolicy, LegalEvent
from states.periods import Pause, due_date
from workflow.calendar import BASE_YEARS, WorkingCalendar

CAL = WorkingCalendar()  # built once: construction takes tens of milliseconds

FIRST = date(2004, 1, 1)
LAST = date(2027, 12, 31)
FIRST_UNPUBLISHED_YEAR = max(BASE_YEARS) + 1  # 2027 with chinesecalendar 1.11.0

FAST = settings(max_examples=150, deadline=None)
SLOW = settings(max_examples=80, deadline=None)

days_in_range = st.dates(min_value=FIRST, max_value=LAST)


def _day(d: date, n: int) -> date:
    return d + timedelta(days=n)


def _naive_due(start: date, length: int, pauses: Sequence[tuple[date, date]]) -> date:
    """Reference: walk day by day, counting working days that no pause (a < d <= b) excludes."""
    d, counted = start, 0
    while counted < length:
        d += timedelta(days=1)
        if CAL.is_workday(d) and not any(a < d <= b for a, b in pauses):
            counted += 1
    return d


# --- Case histories ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """A lifecycle-shaped event sequence (as SPEC §5 would allow it) and what it contains."""

    events: tuple[LegalEvent, ...]
    today: date
    state: str  # where the case stands after the last event (SPEC §5)
    extended: bool
    new_due_by_reasons: bool  # receive_reasons fixed a new response date (条例第三十五条)


PAUSING = {"start_consultation": "end_consultation", "issue_fee_notice": "receive_payment",
           "request_reasons": "receive_reasons"}
WAITING = frozenset({"consulting", "awaiting_fee", "awaiting_reasons"})  # the response clock pauses (SPEC §4)


@st.composite
def histories(draw: st.DrawFn, *, first: date = FIRST, last: date = date(2027, 6, 30),
              reasons_until: bool = False, max_steps: int = 8) -> History:
    """Register, then a random walk through the states of SPEC §5 with non-decreasing dates."""
    on = draw(st.dates(min_value=first, max_value=last))
    events = [LegalEvent("register", on)]
    state, corrected, extended, new_due = "received", False, False, False
    for _ in range(draw(st.integers(0, max_steps))):
        on = _day(on, draw(st.integers(0, 15)))
        if state == "received":
            options = ["start_consultation", "issue_fee_notice", "request_reasons", "conclude"]
            if not corrected:
                options.append("request_correction")
            if not extended:
                options.append("approve_extension")
            trigger = draw(st.sampled_from(options))
            if trigger == "conclude":
                events.append(LegalEvent(draw(st.sampled_from(["approve_response", "withdraw"])), on))
                state = "concluded"
                break
            data: dict[str, object] = {}
            if trigger == "request_correction":
                corrected = True
                data = ({"days": draw(st.integers(1, 30))} if draw(st.booleans())
                        else {"until": _day(on, draw(st.integers(0, 40))).isoformat()})
                state = "awaiting_correction"
            elif trigger == "start_consultation":
                data = {"party": draw(st.sampled_from(["third_party", "other_agency"]))}
                if draw(st.booleans()):
                    data["served_on"] = _day(on, draw(st.integers(0, 5))).isoformat()
                state = "consulting"
            elif trigger == "issue_fee_notice":
                state = "awaiting_fee"
            elif trigger == "request_reasons":
                data = {"days": draw(st.integers(1, 20))}
                state = "awaiting_reasons"
            elif trigger == "approve_extension":
                extended = True
            events.append(LegalEvent(trigger, on, data))
        elif state == "awaiting_correction":
            events.append(LegalEvent(draw(st.sampled_from(["receive_correction", "withdraw"])), on))
            if events[-1].trigger == "withdraw":
                state = "concluded"
                break
            state = "received"
        elif state == "under_review":
            events.append(LegalEvent(draw(st.sampled_from(["approve_response", "return_response"])), on))
            if events[-1].trigger == "approve_response":
                state = "concluded"
                break
            state = "received"
        else:  # waiting for a consultation reply, a fee or reasons
            opener = next(e.trigger for e in reversed(events) if e.trigger in PAUSING)
            choice = draw(st.integers(0, 5))
            if choice == 0:
                events.append(LegalEvent("withdraw", on))  # withdrawn while the clock is paused
                state = "concluded"
                break
            if choice in (1, 2) and state == "awaiting_reasons":
                events.append(LegalEvent("submit_response", on, {"outcome": "5.4"}))  # SPEC §5: allowed from here
                state = "under_review"
                continue
            closer = PAUSING[opener]
            data = {}
            if closer == "end_consultation":
                data = {"reply": draw(st.sampled_from(["consent", "objection", "none"]))}
            elif closer == "receive_reasons" and reasons_until and draw(st.booleans()):
                data = {"until": _day(on, draw(st.integers(0, 40))).isoformat()}
                new_due = True
            events.append(LegalEvent(closer, on, data))
            state = "received"
    today = _day(on, draw(st.integers(0, 60)))
    return History(tuple(events), today, state, extended, new_due)


def _h(state: str, today: str, *events: tuple[str, str] | tuple[str, str, dict[str, object]],
       extended: bool = False, new_due_by_reasons: bool = False) -> History:
    """A hand-written history for @example: (trigger, ISO date[, data]) tuples."""
    legal = tuple(LegalEvent(e[0], date.fromisoformat(e[1]), e[2] if len(e) > 2 else {}) for e in events)
    return History(legal, date.fromisoformat(today), state, extended, new_due_by_reasons)


def _answered_without_reasons(events: Sequence[LegalEvent]) -> bool:
    """A response was submitted while reasons were awaited (SPEC §5 allows it; see the pause test)."""
    return any(e.trigger == "submit_response" for e in events)


def _counted_by_working_days(clock: Clock, history: History) -> bool:
    """Clocks whose due date is the N-th counted working day (not a date the agency fixed)."""
    if clock.kind is ClockKind.RESPONSE:
        return not history.new_due_by_reasons
    if RULES[clock.kind].unit is Unit.WORKING_DAYS:
        return True
    opened = [e for e in history.events if e.trigger in ("request_correction", "request_reasons")]
    kind_of = {"request_correction": ClockKind.CORRECTION, "request_reasons": ClockKind.REASONS}
    return any(kind_of[e.trigger] is clock.kind and "until" not in e.data for e in opened)


# --- The working-day calendar (SPEC §3) ----------------------------------------------------------------------


@FAST
@given(start=days_in_range, n=st.integers(0, 300))
def test_adding_working_days_lands_on_the_nth_working_day_after_the_start(start: date, n: int) -> None:
    end = CAL.add_working_days(start, n)
    assert CAL.count_working_days(start, end) == n
    if n == 0:
        assert end == start
    else:
        assert CAL.is_workday(end)
        assert CAL.add_working_days(start, n + 1) > end


@FAST
@given(start=days_in_range, n=st.integers(0, 200), k=st.integers(1, 100))
def test_more_working_days_always_end_strictly_later(start: date, n: int, k: int) -> None:
    assert CAL.add_working_days(start, n) < CAL.add_working_days(start, n + k)


@FAST
@given(start=days_in_range, n=st.integers(1, 60))
def test_the_start_day_is_never_counted(start: date, n: int) -> None:
    # 民法典第二百零一条: day 1 is the first working day after the start, even when the start is a working day.
    assert CAL.add_working_days(start, n) == CAL.add_working_days(CAL.add_working_days(start, 1), n - 1)
    assert CAL.add_working_days(start, 1) > start


@FAST
@given(start=days_in_range, length=st.integers(1, 90))
def test_calendar_day_periods_end_on_the_next_working_day_when_the_last_day_is_a_rest_day(
        start: date, length: int) -> None:
    # 民法典第二百零三条
    due = due_date(CAL, start, length, Unit.CALENDAR_DAYS, [], start)
    last = start + timedelta(days=length)
    assert due >= last and CAL.is_workday(due)
    assert all(not CAL.is_workday(last + timedelta(days=i)) for i in range((due - last).days))


# --- due_date with pauses (SPEC §4 pause semantics) -----------------------------------------------------------


@st.composite
def paused_periods(draw: st.DrawFn) -> tuple[date, int, list[tuple[date, date]]]:
    """A start, a length and disjoint pauses in date order (each a < d <= b), as the lifecycle makes them."""
    start = draw(st.dates(min_value=FIRST, max_value=date(2027, 3, 31)))
    length = draw(st.sampled_from([7, 15, 20, 40]))
    pauses, cursor = [], start
    for _ in range(draw(st.integers(0, 4))):
        a = _day(cursor, draw(st.integers(0, 25)))
        b = _day(a, draw(st.integers(0, 30)))
        pauses.append((a, b))
        cursor = b
    return start, length, pauses


@FAST
@given(paused_periods())
def test_due_date_is_the_nth_working_day_not_excluded_by_a_pause(period: tuple[date, int, list[tuple[date, date]]]
                                                                 ) -> None:
    start, length, pauses = period
    due = due_date(CAL, start, length, Unit.WORKING_DAYS, [Pause(a, b, "p") for a, b in pauses], LAST)
    assert due == _naive_due(start, length, pauses)
    assert CAL.is_workday(due)


@FAST
@given(paused_periods(), st.data())
def test_adding_a_pause_never_makes_a_due_date_earlier(period: tuple[date, int, list[tuple[date, date]]],
                                                       data: st.DataObject) -> None:
    start, length, pauses = period
    kept = [p for p in pauses if data.draw(st.booleans())]
    with_all = due_date(CAL, start, length, Unit.WORKING_DAYS, [Pause(a, b, "p") for a, b in pauses], LAST)
    with_fewer = due_date(CAL, start, length, Unit.WORKING_DAYS, [Pause(a, b, "p") for a, b in kept], LAST)
    assert with_all >= with_fewer


@FAST
@given(paused_periods(), st.integers(0, 60))
def test_an_open_pause_is_counted_as_ending_today(period: tuple[date, int, list[tuple[date, date]]],
                                                  waited: int) -> None:
    # docs/deadlines.md: while a pause is open, the due date shown is the one that holds if it ended today.
    start, length, pauses = period
    if not pauses:
        return
    *closed, (a, _) = pauses
    today = _day(a, waited)
    open_ = [Pause(x, y, "p") for x, y in closed] + [Pause(a, None, "open")]
    ended_today = [Pause(x, y, "p") for x, y in closed] + [Pause(a, today, "ended")]
    assert (due_date(CAL, start, length, Unit.WORKING_DAYS, open_, today)
            == due_date(CAL, start, length, Unit.WORKING_DAYS, ended_today, today))


# --- compute_clocks over case histories (SPEC §4) -------------------------------------------------------------


@SLOW
@given(histories(reasons_until=True))
def test_every_working_day_clock_falls_due_on_a_working_day(history: History) -> None:
    clocks = compute_clocks(history.events, CAL, history.today)
    assert ClockKind.RESPONSE in clocks and ClockKind.CORRECTION_NOTICE in clocks
    for clock in clocks.values():
        if _counted_by_working_days(clock, history):
            assert CAL.is_workday(clock.due_on), (clock.kind, clock.due_on)
            assert clock.due_on > clock.start_on


@SLOW
@given(histories(), st.data())
def test_a_consultation_inserted_into_a_history_never_brings_the_response_due_date_forward(
        history: History, data: st.DataObject) -> None:
    # Insert a consultation (sent on A, reply on B) while the case is in `received`, between two events.
    events = list(history.events)
    if _answered_without_reasons(events):
        return  # the reasons pause never ends there: covered by the pause test, not this one
    states = ["received"]
    for e in events[1:]:
        states.append({"request_correction": "awaiting_correction", "start_consultation": "consulting",
                       "issue_fee_notice": "awaiting_fee", "request_reasons": "awaiting_reasons",
                       "submit_response": "under_review"}
                      .get(e.trigger, "concluded" if e.trigger in ("approve_response", "withdraw") else "received"))
    slots = [i for i, s in enumerate(states) if s == "received"]
    i = data.draw(st.sampled_from(slots))
    a = _day(events[i].on, data.draw(st.integers(0, 10)))
    nxt = events[i + 1].on if i + 1 < len(events) else _day(a, 40)
    if a > nxt:
        return
    b = _day(a, data.draw(st.integers(0, (nxt - a).days)))
    with_pause = [*events[:i + 1], LegalEvent("start_consultation", a, {"party": "third_party"}),
                  LegalEvent("end_consultation", b, {"reply": "none"}), *events[i + 1:]]
    today = max(history.today, b)
    before = compute_clocks(events, CAL, today)[ClockKind.RESPONSE].due_on
    after = compute_clocks(with_pause, CAL, today)[ClockKind.RESPONSE].due_on
    assert after >= before
    # 条例第三十三条第三款: consultation time is not counted, so a consultation that begins before the due date
    # and spans a working day pushes it later (unless the response clock was stopped or restarted meanwhile).
    restarted_later = any(e.trigger in ("request_correction", "receive_correction") for e in events[i + 1:])
    if a < before and CAL.count_working_days(a, b) > 0 and not restarted_later:
        assert after > before


@SLOW
@given(histories(), st.integers(0, 60))
def test_a_fee_pause_is_only_counted_when_the_agency_chooses_so(history: History, waited: int) -> None:
    # SPEC §4 Decision: paused while a fee is pending, configurable; switching it off never delays.
    today = _day(history.today, waited)
    on = compute_clocks(history.events, CAL, today, ClockPolicy(pause_on_fee=True))[ClockKind.RESPONSE]
    off = compute_clocks(history.events, CAL, today, ClockPolicy(pause_on_fee=False))[ClockKind.RESPONSE]
    assert off.due_on <= on.due_on
    if not any(e.trigger == "issue_fee_notice" for e in history.events):
        assert off.due_on == on.due_on


@SLOW
@given(histories(), st.integers(0, 30))
@example(_h("consulting", "2025-04-14", ("register", "2025-03-03"),
            ("start_consultation", "2025-03-31", {"party": "third_party"})), 0)
@example(_h("received", "2025-03-10", ("register", "2025-03-03"), ("request_reasons", "2025-03-05", {"days": 10}),
            ("submit_response", "2025-03-07", {"outcome": "5.4"}), ("return_response", "2025-03-10")), 0)
def test_the_response_clock_is_paused_exactly_while_the_case_waits_for_a_reply_a_fee_or_reasons(
        history: History, waited: int) -> None:
    # SPEC §4: `response` is "paused while consulting; paused while a fee is pending"; a request for reasons
    # pauses it (Decision). Once the case no longer waits — e.g. a response is submitted from
    # awaiting_reasons (SPEC §5) — the clock runs again, and the due date no longer moves with the calendar.
    today = _day(history.today, waited)
    response = compute_clocks(history.events, CAL, today)[ClockKind.RESPONSE]
    if history.state == "concluded":
        assert response.phase in (ClockStatus.MET, ClockStatus.CLOSED)
    elif history.state in WAITING and response.phase is ClockStatus.RUNNING:
        # A pause that began on or after the due date excludes only days after it: the period had run out.
        assert response.due_on <= history.events[-1].on, (history.state, response.due_on)
    else:
        assert (response.phase is ClockStatus.PAUSED) == (history.state in WAITING), (history.state, response.phase)
    if history.state not in WAITING:
        assert response.due_on == compute_clocks(history.events, CAL, _day(today, 30))[ClockKind.RESPONSE].due_on


@SLOW
@given(histories(max_steps=6), st.data())
def test_an_approved_extension_adds_exactly_20_working_days_to_the_response_due_date(
        history: History, data: st.DataObject) -> None:
    # Take the history up to a point where the case is in `received` with no extension yet, and approve one
    # on or before the current due date (条例第三十三条第二款); no pause follows.
    events = [e for e in history.events if e.trigger != "approve_extension"]
    cut = data.draw(st.integers(1, len(events)))
    events = events[:cut]
    if events[-1].trigger in ("request_correction", "start_consultation", "issue_fee_notice", "request_reasons",
                              "submit_response", "approve_response", "withdraw"):
        return  # not in `received`
    if _answered_without_reasons(events):
        return  # the reasons pause never ends there: covered by the pause test, not this one
    last = events[-1].on
    old_due = compute_clocks(events, CAL, last)[ClockKind.RESPONSE].due_on
    if old_due < last:
        return  # an extension must be approved before the due date
    approved_on = _day(last, data.draw(st.integers(0, (old_due - last).days)))
    assert compute_clocks(events, CAL, approved_on)[ClockKind.RESPONSE].due_on == old_due
    extended = compute_clocks([*events, LegalEvent("approve_extension", approved_on)], CAL, approved_on)
    response = extended[ClockKind.RESPONSE]
    assert response.extended
    assert response.due_on == CAL.add_working_days(old_due, EXTENSION_WORKING_DAYS)


@SLOW
@given(histories(reasons_until=True), st.integers(0, 60))
@example(_h("received", "2025-03-12", ("register", "2025-03-03"), ("request_reasons", "2025-03-05", {"days": 10}),
            ("receive_reasons", "2025-03-12", {"until": "2025-05-30"}), new_due_by_reasons=True), 6)
def test_an_extension_after_a_reasonable_period_under_article_35_still_adds_20_working_days(
        history: History, delay: int) -> None:
    # SPEC §4: the head's approval "adds 20 WD to the due date" — also when receive_reasons fixed that date.
    events = [e for e in history.events if e.trigger != "approve_extension"]
    fixed = [i for i, e in enumerate(events) if e.trigger == "receive_reasons" and "until" in e.data]
    if not fixed:
        return
    events = events[:fixed[0] + 1]
    last = events[-1].on
    old_due = compute_clocks(events, CAL, last)[ClockKind.RESPONSE].due_on
    if old_due < last:
        return
    approved_on = min(_day(last, delay), old_due)
    response = compute_clocks([*events, LegalEvent("approve_extension", approved_on)], CAL,
                              approved_on)[ClockKind.RESPONSE]
    assert response.due_on == CAL.add_working_days(old_due, EXTENSION_WORKING_DAYS), (old_due, response.due_on)


@SLOW
@given(histories(), st.integers(1, 60))
@example(_h("consulting", "2025-04-14", ("register", "2025-03-03"),  # response due 2025-03-31
            ("start_consultation", "2025-04-10", {"party": "third_party"})), 1)
@example(_h("awaiting_fee", "2025-03-31", ("register", "2025-03-03"), ("issue_fee_notice", "2025-03-31")), 1)
def test_a_clock_past_its_due_date_and_not_met_is_overdue_even_if_a_pause_began_after_it_fell_due(
        history: History, waited: int) -> None:
    # SPEC §4: "a clock is overdue from the day after its due date while not met".
    today = _day(history.today, waited)
    for clock in compute_clocks(history.events, CAL, today).values():
        if clock.phase in (ClockStatus.RUNNING, ClockStatus.PAUSED) and today > clock.due_on:
            expected = ClockStatus.OVERDUE if RULES[clock.kind].overdue_applies else ClockStatus.CLOSED
            assert clock.status is expected, (clock.kind, clock.status, clock.due_on, today, clock.pauses)


@SLOW
@given(st.dates(min_value=FIRST, max_value=date(2027, 6, 30)), st.integers(0, 10), st.integers(0, 10),
       st.sampled_from(["issue_fee_notice", "request_correction"]))
@example(date(2025, 3, 3), 2, 5, "issue_fee_notice")
@example(date(2025, 3, 3), 2, 5, "request_correction")
def test_periods_run_from_the_day_the_applicant_receives_the_notice(
        received: date, after: int, delivery: int, trigger: str) -> None:
    # SPEC §4: `fee_payment` starts on "the day the applicant receives the fee notice" (办法: 自收到收费通知的次日起);
    # `correction` on "the day the notice is served". The action records that day as `served_on`.
    on = _day(received, after)
    served = _day(on, delivery)
    data: dict[str, object] = {"served_on": served.isoformat()}
    if trigger == "issue_fee_notice":
        data |= {"method": "per_page", "amount": "310.00"}
        kind, length = ClockKind.FEE_PAYMENT, 20
    else:
        data |= {"text": "请明确信息名称", "days": 10}
        kind, length = ClockKind.CORRECTION, 10
    clocks = compute_clocks([LegalEvent("register", received), LegalEvent(trigger, on, data)], CAL, served)
    assert clocks[kind].start_on == served
    assert clocks[kind].due_on == CAL.add_working_days(served, length)


@SLOW
@given(st.dates(min_value=FIRST, max_value=date(2027, 6, 30)), st.integers(0, 7), st.integers(1, 30),
       st.integers(0, 40), st.integers(0, 60))
def test_receiving_a_correction_restarts_the_response_clock_on_that_day(
        received: date, notice_after: int, days: int, corrected_after: int, later: int) -> None:
    # 条例第三十条、第三十三条: the response period runs from the receipt of the corrected application.
    notice_on = CAL.add_working_days(received, notice_after)
    corrected_on = _day(notice_on, corrected_after)
    events = [LegalEvent("register", received), LegalEvent("request_correction", notice_on, {"days": days}),
              LegalEvent("receive_correction", corrected_on)]
    stopped = compute_clocks(events[:2], CAL, notice_on)
    assert stopped[ClockKind.RESPONSE].status is ClockStatus.STOPPED
    assert stopped[ClockKind.CORRECTION].due_on == CAL.add_working_days(notice_on, days)
    clocks = compute_clocks(events, CAL, _day(corrected_on, later))
    response = clocks[ClockKind.RESPONSE]
    assert response.start_on == corrected_on
    assert response.due_on == CAL.add_working_days(corrected_on, 20)
    assert response.phase is ClockStatus.RUNNING
    assert clocks[ClockKind.CORRECTION].phase is ClockStatus.MET
    assert clocks[ClockKind.CORRECTION_NOTICE].phase is ClockStatus.MET


@SLOW
@given(histories(first=date(2026, 10, 1), last=date(2027, 6, 30), reasons_until=True))
def test_deadlines_reaching_into_an_unpublished_year_are_provisional_and_count_weekends_only(
        history: History) -> None:
    # SPEC §3: a deadline in a year with no published data is computed on weekends only and marked provisional.
    clocks = compute_clocks(history.events, CAL, history.today)
    for clock in clocks.values():
        reaches = clock.due_on.year >= FIRST_UNPUBLISHED_YEAR or clock.start_on.year >= FIRST_UNPUBLISHED_YEAR
        assert clock.provisional == reaches, (clock.kind, clock.start_on, clock.due_on)
        if clock.due_on.year >= FIRST_UNPUBLISHED_YEAR and _counted_by_working_days(clock, history):
            assert clock.due_on.weekday() < 5
        for line in clock.explanation(history.today):
            if line.kind in ("counted", "rest"):
                assert ("未发布" in line.note) == (line.day.year >= FIRST_UNPUBLISHED_YEAR), line


@SLOW
@given(st.dates(min_value=date(2026, 11, 1), max_value=date(2026, 12, 31)))
def test_a_2027_weekday_counts_as_a_working_day_until_the_notice_is_published(received: date) -> None:
    response = compute_clocks([LegalEvent("register", received)], CAL, received)[ClockKind.RESPONSE]
    assert response.due_on == _naive_due(received, 20, [])
    if response.due_on.year == 2027:
        assert response.provisional
        assert all(CAL.is_workday(date(2027, 1, 1) + timedelta(days=i)) ==
                   ((date(2027, 1, 1) + timedelta(days=i)).weekday() < 5) for i in range(60))


@SLOW
@given(histories())
@example(_h("consulting", "2025-03-14", ("register", "2025-03-03"),
            ("start_consultation", "2025-03-10", {"party": "third_party"})))
def test_the_response_explanation_counts_exactly_the_period_and_pauses_only_paused_days(history: History) -> None:
    # SPEC §4: the day-by-day explanation must agree with the due date it explains.
    response = compute_clocks(history.events, CAL, history.today)[ClockKind.RESPONSE]
    as_of = history.today
    length = RULES[ClockKind.RESPONSE].length
    assert length is not None
    length += EXTENSION_WORKING_DAYS if response.extended else 0
    lines = response.explanation(as_of)
    counted = [line for line in lines if line.kind == "counted" and line.day <= response.due_on]
    assert len(counted) == length, (response.status, response.due_on, response.pauses)
    assert counted[-1].day == response.due_on
    assert [line.count for line in counted] == list(range(1, length + 1))
    # A pause still open is, like the due date, taken to end on the day asked about (or the conclusion day).
    until = response.ended_on or as_of
    pauses = [(p.start, p.end if p.end is not None else max(until, p.start)) for p in response.pauses]
    for line in lines:
        if line.kind == "paused":
            assert any(a < line.day <= b for a, b in pauses), (line.day, pauses)
        elif line.kind == "counted":
            assert CAL.is_workday(line.day)
            assert not any(a < line.day <= b for a, b in pauses), (line.day, pauses)
    assert [line.day for line in lines if line.kind == "due"] == [response.due_on]
