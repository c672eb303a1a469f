"""One case (or appeal) checked against its own log: the stored row must be what the engine's fold of the events
makes it, and the log must be an unbroken hash chain (what `ogi verify` checks for every case, `ogi show` for one).

Imported ledger cases follow their own rules: the import writes the case row once (version 1) with one or two
events, and caches clocks only for the cases it leaves open.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from states.appeal_case import AppealCase
from states.appeals import APPEAL_STATE_LABELS, APPEAL_TRANSITIONS, DECISIONS, AppealState, AppealTrigger
from states.case import Case
from states.clocks import RULES, ClockKind, ClockStatus
from states.deadlines import ClockPolicy, LegalEvent, next_due
from states.history import action_label
from states.lifecycle import STATE_LABELS, State
from states.workdays import WorkingDays
from workflow import chain

__all__ = ["AppealRow", "CaseEvent", "CaseRow", "ClockRow", "Finding", "Logged", "Seal", "appeal_findings",
           "case_findings", "chain_findings"]


class Logged(Protocol):
    """An event row as stored (an `Event` or `AppealEvent`, or a plain row of the same columns)."""

    seq: int
    trigger: str
    actor: str
    role: str
    effective_on: date
    from_state: str | None
    to_state: str
    data: Any
    recorded_at: datetime
    hash: str | None


class CaseEvent(Logged, Protocol):
    """A case's event row as the fold reads it too: its legal date also as `on` (`states.deadlines.Recorded`)."""

    @property
    def on(self) -> date: ...


class _Chained(Protocol):
    """What a case row and an appeal row both hold: the receipt date, the state and the head of the log."""

    id: int | None
    received_on: date
    state: str
    chain_head: str | None
    chain_length: int | None


class CaseRow(_Chained, Protocol):
    """What the check reads of an `application` row."""

    outcome: str | None
    concluded_on: date | None
    version: int
    channel: str
    applicant_type: str
    next_due_on: date | None
    next_due_clock: str | None


class ClockRow(Protocol):
    """What the check reads of a cached `case_clock` row."""

    kind: str
    start_on: date
    due_on: date
    status: str


class AppealRow(_Chained, Protocol):
    """What the check reads of an `appeal` row."""

    kind: str
    route: str | None
    replied_on: date | None
    decision: str | None
    decided_on: date | None
    due_on: date | None


# The hash an event should carry, given the hash of the event before it: `chain.event_hash` of its content by
# default; `ogi verify` first tries `chain.quick_seal` of the rows as the driver gives them.
Seal = Callable[[str, int, Any, str | None], str]


def _canonical_seal(log: str, owner: int, e: Logged, previous: str | None) -> str:
    return chain.event_hash(log, owner, e.seq, e.trigger, e.actor, e.role, e.effective_on, e.from_state, e.to_state,
                            e.data, e.recorded_at, previous)


@dataclass(frozen=True)
class Finding:
    """One thing wrong with one case: what (a code), the first event concerned (if any), and why, in Chinese."""

    kind: str  # state, outcome, concluded_on, version, registration, event_state, clock, next_due, replay,
    #            gap, hash, unsealed, head, length, unreadable
    message: str
    seq: int | None = None


def _event_name(e: Logged, appeal: bool = False) -> str:
    label = e.trigger if appeal else action_label(e.trigger)
    return f"第 {e.seq} 条记录（{e.effective_on}「{label}」）"


def chain_findings(log: str, owner: int, events: Sequence[Logged], head: str | None, length: int | None,
                   seal: Seal = _canonical_seal) -> list[Finding]:
    """The breaks of one log's hash chain: a gap in `seq`, the first event whose hash does not match its content
    and the one before it (altered, moved or reordered), and a head that says the log was longer or ended elsewhere."""
    found: list[Finding] = []
    expected, previous, first_bad = 1, None, None
    for e in events:
        seq, stored = e.seq, e.hash
        if seq != expected:
            found.append(Finding("gap", f"办理记录缺少第 {expected} 条"
                                        f"{'' if seq == expected + 1 else f'至第 {seq - 1} 条'}"
                                        f"（第 {expected - 1} 条之后即为第 {seq} 条）：记录被删除", expected))
        expected = seq + 1
        if first_bad is None:
            if stored is None:
                first_bad = Finding("unsealed", f"{_event_name(e, log == chain.APPEAL_EVENT)}没有哈希（未加封），"
                                                "无法证明其未被改动", seq)
            elif stored != seal(log, owner, e, previous):
                first_bad = Finding("hash", f"{_event_name(e, log == chain.APPEAL_EVENT)}与其哈希不符："
                                            "该条记录被改动、调换或移动，或其前一条记录被删除", seq)
        previous = stored
    if first_bad is not None:
        found.append(first_bad)
    count = len(events)
    if length is None and head is None:
        if count:
            found.append(Finding("unsealed", "案件没有记载哈希链头（未加封），无法发现末尾被删除的记录"))
    elif length != count:
        lost = "末尾的记录被删除" if (length or 0) > count else "有未经办理程序写入的记录"
        found.append(Finding("length", f"案件记载有 {length} 条办理记录，实有 {count} 条：{lost}",
                             count + 1 if (length or 0) > count else (length or 0) + 1))
    elif count and head != events[-1].hash:
        found.append(Finding("head", f"最后一条办理记录（第 {events[-1].seq} 条）与案件记载的哈希链头不符："
                                     "末尾的记录被替换", events[-1].seq))
    return found


def _imported(e: Logged) -> bool:
    return isinstance(e.data, dict) and e.data.get("source") == "ledger"


def _day(value: date | None) -> str:
    return value.isoformat() if value else "无"


def case_findings(app: CaseRow, events: Sequence[CaseEvent], clocks: Sequence[ClockRow], calendar: WorkingDays,
                  policy: ClockPolicy, today: date) -> list[Finding]:
    """Where the case row (and its cached clocks) differ from the replay of its events."""
    if not events:
        return [Finding("replay", "没有任何办理记录，案件状态无从证明")]
    try:
        case = Case.from_events(events, calendar, policy)
    except Exception as exc:  # a record the fold cannot read is itself the finding
        return [Finding("replay", f"办理记录无法重演：{type(exc).__name__} {exc}")]
    found: list[Finding] = []
    state = case.state  # a `State` is its code (a StrEnum): compared and written out as the stored text
    if app.state != state:
        found.append(Finding("state", f"状态为「{_state_label(app.state)}」，办理记录重演为「{_state_label(state)}」"))
    if app.outcome != case.outcome:
        found.append(Finding("outcome", f"办理结果为 {app.outcome or '无'}，办理记录重演为 {case.outcome or '无'}"))
    if app.concluded_on != case.concluded_on:
        found.append(Finding("concluded_on", f"办结日期为 {_day(app.concluded_on)}，"
                                             f"办理记录重演为 {_day(case.concluded_on)}"))
    # Each action writes the row once; an import writes it once for its events; a calendar change may rewrite
    # an open case's deadlines (one more version, no event). So the version is at least what the log says.
    first, least, moved_wrong = events[0], 1, None
    for e, move in zip(events, case.moves, strict=True):
        if moved_wrong is None and (e.from_state, e.to_state) != move:
            moved_wrong = Finding("event_state", f"{_event_name(e)}记载的状态 {e.from_state or '—'} → {e.to_state} "
                                                 f"与重演结果 {move[0] or '—'} → {move[1]} 不符", e.seq)
        if e is not first and not _imported(e):
            least += 1
    if app.version < least:
        found.append(Finding("version", f"版本号为第 {app.version} 版，少于办理记录所要求的第 {least} 版"))
    registered = (first.effective_on, first.data.get("channel"), first.data.get("applicant_type"))
    if (app.received_on, app.channel, app.applicant_type) != registered:
        found.append(Finding("registration", f"收到申请之日、渠道、申请人类型为 {app.received_on}、{app.channel}、"
                                             f"{app.applicant_type}，登记记录为 {registered[0]}、{registered[1]}、"
                                             f"{registered[2]}", 1))
    if moved_wrong is not None:
        found.append(moved_wrong)
    # Concluding closes every clock (the fold's own rule), so a concluded case has no next due date, and its
    # cached clocks keep the calendar of their day (a calendar change re-dates open cases only): not compared.
    live = case.clocks(today) if state is not _CONCLUDED else {}
    due_on, due_clock, _ = next_due(live) if live else (None, None, False)
    if (app.next_due_on, app.next_due_clock) != (due_on, due_clock):
        found.append(Finding("next_due", f"下一期限为 {_day(app.next_due_on)}（{app.next_due_clock or '无'}），"
                                         f"办理记录重演为 {_day(due_on)}（{due_clock or '无'}）"))
    if live:
        found += _clock_findings(live, clocks)
    return found


_CONCLUDED = State.CONCLUDED


def _state_label(value: str | None) -> str:
    if value is None:
        return "未登记"
    return STATE_LABELS[State(value)] if value in State.__members__.values() else value


def _clock_findings(live: dict[ClockKind, Any], rows: Sequence[ClockRow]) -> list[Finding]:
    cached = {r.kind: r for r in rows}
    found = []
    for kind, clock in live.items():
        row, label = cached.pop(kind.value, None), RULES[kind].label
        if row is None:
            found.append(Finding("clock", f"缺少「{label}」的期限缓存"))
            continue
        paused = clock.phase is ClockStatus.PAUSED  # its due date moves with the day it is asked about
        if (row.start_on, row.status) != (clock.start_on, clock.phase.value) or (
                not paused and row.due_on != clock.due_on):
            cached_text = f"起算日 {row.start_on}、到期日 {row.due_on}（{row.status}）"
            replay_text = f"起算日 {clock.start_on}、到期日 {clock.due_on}（{clock.phase.value}）"
            found.append(Finding("clock", f"「{label}」的缓存为{cached_text}，办理记录重演为{replay_text}"))
    found += [Finding("clock", f"期限缓存中有办理记录中没有的期限 {kind}") for kind in cached]
    return found


def appeal_findings(appeal: AppealRow, events: Sequence[Logged], calendar: WorkingDays) -> list[Finding]:
    """Where the appeal row differs from the replay of its events."""
    if not events:
        return [Finding("replay", "没有任何办理记录，复议、诉讼的状态无从证明")]
    try:
        case = AppealCase.from_events([LegalEvent(e.trigger, e.effective_on, e.data) for e in events], calendar)
        due = case.due_on
    except Exception as exc:  # a record the fold cannot read is itself the finding
        return [Finding("replay", f"办理记录无法重演：{type(exc).__name__} {exc}")]
    state = case.state.value if case.state else None
    before: str | None = None
    for e in events:
        after = APPEAL_TRANSITIONS[AppealTrigger(e.trigger)].dest.value
        if (e.from_state, e.to_state) != (before, after):
            return [Finding("event_state", f"{_event_name(e, appeal=True)}记载的状态 {e.from_state or '—'} → "
                                           f"{e.to_state} 与重演结果 {before or '—'} → {after} 不符", e.seq)]
        before = after
    stored = (appeal.kind, appeal.route, appeal.received_on, appeal.state, appeal.replied_on, appeal.decision,
              appeal.decided_on)
    replay = (case.kind.value, case.route.value if case.route else None, case.received_on, state, case.replied_on,
              case.decision, case.decided_on)
    names = ("类型", "起诉方式", "收到副本之日", "状态", "答复日期", "结果", "审结日期")
    found = [Finding("state" if name == "状态" else "appeal", f"{name}为 {_shown(a)}，办理记录重演为 {_shown(b)}")
             for name, a, b in zip(names, stored, replay, strict=True) if a != b]
    if state == AppealState.FILED.value and appeal.due_on != due:  # re-dated on calendar changes while waiting
        found.append(Finding("appeal", f"答复期限为 {_day(appeal.due_on)}，办理记录重演为 {due}"))
    return found


def _shown(value: object) -> str:
    if value is None:
        return "无"
    if isinstance(value, str) and value in AppealState.__members__.values():
        return APPEAL_STATE_LABELS[AppealState(value)]
    if isinstance(value, str) and value in DECISIONS:
        return f"{DECISIONS[value].label}（{value}）"
    return str(value)
