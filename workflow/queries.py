"""Read-only use cases: one case in full, and the case list sorted by urgency. They return plain data."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, exists, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from states import lapses
from states.clocks import RULES, ClockKind, ClockStatus
from states.deadlines import status_on, working_days_left
from states.history import action_label, event_details
from states.lifecycle import OPEN_STATES, STATE_LABELS, TRANSITION_BY_TRIGGER, State
from states.outcomes import APPLICANT_LABELS, CHANNEL_LABELS, OUTCOMES, ApplicantType, Channel
from workflow import case_order, chain
from workflow.actors import SYSTEM_ACTOR, scope, visible_agencies
from workflow.appeals import appeals_of
from workflow.calendar import local_time
from workflow.calendar_store import load_calendar
from workflow.cases import CaseContext, available_actions, load_case
from workflow.db import Database
from workflow.errors import InputError
from workflow.models import Agency, Application, Approval, CaseClock, Event, User
from workflow.replay import case_findings, chain_findings


def show_case(db: Database, *, number: str, actor_name: str | None, today: date,
              explain: str | None = None, agency: str | None = None) -> dict[str, Any]:
    """Everything about one case: state, outcome, dates, clocks, history and the actions open to the user."""
    with db.unit_of_work() as session:
        actor, agency_id = scope(session, actor_name, agency)
        ctx = load_case(session, agency_id, number)
        app = ctx.app
        clocks = ctx.clocks(today)
        actions = available_actions(ctx, actor, today) if app.state != State.CONCLUDED else []
        assignee = session.get(User, app.assignee_id) if app.assignee_id is not None else None
        approvals = session.exec(select(Approval).where(Approval.application_id == app.id)
                                 .order_by(col(Approval.id))).all()
        agency_row = session.get(Agency, agency_id)
        assert agency_row is not None
        result: dict[str, Any] = {
            **_summary(app),
            "agency": agency_row.code,
            "version": app.version,
            "assignee": assignee.username if assignee else None,
            "assignee_name": (assignee.display_name or assignee.username) if assignee else None,
            "request": app.request,
            "applicant_contact": app.applicant_contact,
            "clocks": {k.value: c.as_data() for k, c in clocks.items()},
            "events": [{
                "seq": e.seq, "trigger": e.trigger, "label": action_label(e.trigger),
                "details": event_details(e.trigger, e.data), "effective_on": e.effective_on.isoformat(),
                "recorded_at": e.recorded_at.isoformat(), "recorded_local": local_time(e.recorded_at),
                "actor": e.actor, "role": e.role,
                "from_state": e.from_state, "to_state": e.to_state, "data": e.data,
            } for e in ctx.events],
            "approvals": [{
                "kind": a.kind, "status": a.status, "requested_by": a.requested_by,
                "requested_on": a.requested_on.isoformat(), "decided_by": a.decided_by,
                "decided_on": a.decided_on.isoformat() if a.decided_on else None, "comment": a.comment,
                "proposal": a.proposal,
            } for a in approvals],
            "actions": [{"trigger": a.transition.trigger.value, "label": a.transition.label,
                         "available": not a.blockers, "reasons": a.blockers, "needs_reason": a.needs_reason,
                         "requires": list(a.transition.requires), "accepts": list(a.transition.accepts)}
                        for a in actions],
            "appeals": appeals_of(session, app.id or 0, today),
            "integrity": _integrity(session, ctx, today),
        }
        if explain == "all":  # every clock's day-by-day explanation (the web's case page)
            result["explanations"] = {k.value: c.explanation_data(today) for k, c in clocks.items()}
        elif explain is not None:
            try:
                kind = ClockKind(explain)
            except ValueError:
                raise InputError(f"未知的期限 {explain!r}；可选：{'、'.join(ClockKind)}") from None
            if kind not in clocks:
                raise InputError(f"案件 {number} 没有「{RULES[kind].label}」（{kind.value}）")
            result["explanation"] = {"clock": kind.value, "days": clocks[kind].explanation_data(today)}
        return result


def _integrity(session: Session, ctx: CaseContext, today: date) -> list[str]:
    """What `ogi verify` would say of this case: where its row differs from the replay of its log, or the log's
    hash chain is broken (empty when the record is sound)."""
    app = ctx.app
    assert app.id is not None
    cached = session.exec(select(CaseClock).where(CaseClock.application_id == app.id)).all()
    found = chain_findings(chain.EVENT, app.id, ctx.events, app.chain_head, app.chain_length)
    found += case_findings(app, ctx.events, cached, ctx.calendar, ctx.policy, today)
    return [f.message for f in found]


APPROVAL_LABELS = {"extension": "延期答复", "response": "答复签发"}


def _summary(app: Application | Row[Any]) -> dict[str, Any]:
    return {
        "number": app.number,
        "applicant_name": app.applicant_name,
        "applicant_type": app.applicant_type,
        "applicant_type_label": APPLICANT_LABELS[ApplicantType(app.applicant_type)],
        "channel": app.channel,
        "channel_label": CHANNEL_LABELS[Channel(app.channel)],
        "received_on": app.received_on.isoformat(),
        "state": app.state,
        "state_label": STATE_LABELS[State(app.state)],
        "outcome": app.outcome,
        "outcome_label": OUTCOMES[app.outcome].label if app.outcome else None,
        "concluded_on": app.concluded_on.isoformat() if app.concluded_on else None,
        "next_due_on": app.next_due_on.isoformat() if app.next_due_on else None,
        "next_due_clock": app.next_due_clock,
        "next_due_label": RULES[ClockKind(app.next_due_clock)].label if app.next_due_clock else None,
        "provisional": app.provisional,
    }


@dataclass(frozen=True)
class CasePage:
    """One page of the case list, how many cases match in all (COUNT_CAP + 1: more than COUNT_CAP), and the
    cursor of the next page (None: the last)."""

    rows: list[dict[str, Any]]
    total: int
    limit: int | None
    next_cursor: str | None = None


PAGE = 1000  # rows per internal page of an unpaged listing (`iter_cases`)
COUNT_CAP = 10_000  # a page counts the matching cases up to this; beyond, `total` is COUNT_CAP + 1 ("more than")


def list_cases(db: Database, *, actor_name: str | None, today: date, state: str | None = None,
               overdue: bool = False, due_within: int | None = None, lapsed: bool = False,
               limit: int | None = None, closed: bool = True, mine: bool = False,
               search: str | None = None, agency: str | None = None,
               all_agencies: bool = False, **more: Any) -> list[dict[str, Any]]:
    """The rows of `case_page`; every matching case unless `limit` is given, read a page at a time
    (`iter_cases`: for a large platform, iterate instead of holding every row). `more`: case_page's other
    filters and its sort."""
    filters: dict[str, Any] = {"actor_name": actor_name, "today": today, "state": state, "overdue": overdue,
                               "due_within": due_within, "lapsed": lapsed, "closed": closed, "mine": mine,
                               "search": search, "agency": agency, "all_agencies": all_agencies, **more}
    if limit is not None:
        return case_page(db, limit=limit, **filters).rows
    return list(iter_cases(db, **filters))


def iter_cases(db: Database, *, page: int = PAGE, **filters: Any) -> Iterator[dict[str, Any]]:
    """Every case `case_page` lists with these filters, in its order, fetched `page` rows at a time by key
    (each page its own short read), so that no more than one page of rows and clocks is held at once."""
    cursor: str | None = None
    while True:
        found = case_page(db, limit=page, after=cursor, count=False, **filters)
        yield from found.rows
        if found.next_cursor is None:
            return
        cursor = found.next_cursor


def case_page(db: Database, *, actor_name: str | None, today: date, state: str | None = None,
              overdue: bool = False, due_within: int | None = None, lapsed: bool = False,
              limit: int | None = None, closed: bool = True, mine: bool = False,
              search: str | None = None, agency: str | None = None, all_agencies: bool = False,
              after: str | None = None, count: bool = True, applicant_type: str | None = None,
              year: int | None = None, assignee: str | None = None, sort: str = "urgency",
              count_cap: int = COUNT_CAP) -> CasePage:
    """Cases sorted by urgency (overdue first, then by next due date; or by `sort`: case_order.SORTS);
    concluded cases last, or left out unless `closed` (or asked for by `state`). `mine`: assigned to the acting
    user; `assignee`: to that user; `search`: in the number, the applicant and the request text;
    `applicant_type`: 申请人类型 (natural, …); `year`: received in that year. The cases are the agency's in
    scope; with `all_agencies`, every agency's (the supervising office's 督办 view), each row naming its agency.

    `lapsed`: only cases the sweep concluded (逾期不补正 / 逾期未缴费) whose lapse is still their latest
    event, i.e. the lapses a clerk can still check and undo (`undo_lapse_*`), latest first.

    A page is found by key (`after`: the `next_cursor` of the page before) along an index on the stored sort
    key (workflow/case_order.py), and each row carries the clocks of its own case. `count=False` skips the total;
    it is counted up to `count_cap` (beyond, `total` is `count_cap` + 1: "more than").
    """
    if state is not None and state not in {s.value for s in State}:
        raise InputError(f"未知的状态 {state!r}；可选：{'、'.join(State)}")
    if due_within is not None and due_within < 0:
        raise InputError("--due-within 应为非负整数（工作日数）")
    if limit is not None and limit < 1:
        raise InputError("--limit 应为正整数")
    if mine and actor_name is None:
        raise InputError("--mine 需要用 --as（或环境变量 OGI_USER）指定你是谁")
    _check_filters(applicant_type, year, sort, lapsed)
    order, kinds = _order(sort, lapsed)
    position = case_order.decode(after, kinds) if after is not None else None
    with db.unit_of_work() as session:
        actor, visible = visible_agencies(session, actor_name, agency, all_agencies)
        codes = {a.id: a.code for a in visible}
        calendar = load_calendar(session)
        where = _conditions(session, list(codes), today, state=state, closed=closed, lapsed=lapsed,
                            all_agencies=all_agencies, user_id=actor.user_id if mine and actor else None,
                            search=search, by_urgency=sort == "urgency")
        if assignee is not None and assignee.strip():
            where.append(col(Application.assignee_id) == _assignee_id(session, assignee.strip(), list(codes)))
        if applicant_type is not None:
            where.append(col(Application.applicant_type) == applicant_type)
        if year is not None:
            where.append(col(Application.received_on).between(date(year, 1, 1), date(year, 12, 31)))
        if overdue:
            where.append(col(Application.next_due_on) < today)
        if due_within is not None:
            where.append(col(Application.next_due_on) <= calendar.add_working_days(today, due_within))
        # Counted up to count_cap + 1 rows: an exact count of 10⁵ open cases costs more than the page itself.
        total = session.exec(select(func.count()).select_from(
            sa_select(col(Application.id)).where(*where).limit(count_cap + 1).subquery())).one() if count else -1
        query = sa_select(*_LISTED).where(*where).order_by(*(c.desc() if down else c for c, down in order))
        if position is not None:
            query = query.where(case_order.after(order, position))
        conn = session.connection()  # Core rows of the listed columns: lighter than ORM objects, no request text
        rows = list(conn.execute(query.limit(limit + 1) if limit is not None else query).all())
        more = limit is not None and len(rows) > limit
        rows = rows[:limit]
        clocks: dict[int, dict[str, Any]] = {}
        listed = [r.id for r in rows]  # exactly this page's cases
        for c in conn.execute(sa_select(col(CaseClock.application_id), col(CaseClock.kind), col(CaseClock.status),
                                        col(CaseClock.due_on), col(CaseClock.provisional))
                              .where(col(CaseClock.application_id).in_(listed))):
            status = status_on(ClockKind(c.kind), ClockStatus(c.status), c.due_on, today)
            clocks.setdefault(c.application_id, {})[c.kind] = {
                "due_on": c.due_on.isoformat(), "status": status.value, "provisional": c.provisional}
        out = []
        for i, r in enumerate(rows):
            item = _summary(r)
            item["agency"] = codes.get(r.agency_id)
            due = r.next_due_on
            item["overdue"] = due is not None and today > due
            item["working_days_left"] = working_days_left(calendar, today, due) if due else None
            item["clocks"] = clocks.get(r.id or 0, {})
            item["urgency"] = r.urgency
            # The `--after` value that lists the cases after this one (None: no case follows it).
            item["next_cursor"] = _cursor(r, sort, lapsed) if more or i < len(rows) - 1 else None
            if lapsed:
                period = lapses.BY_OUTCOME[r.outcome or ""]
                item["lapse_label"] = TRANSITION_BY_TRIGGER[period.lapse].label
                item["undo_action"], item["undo_label"] = period.undo.value, TRANSITION_BY_TRIGGER[period.undo].label
            out.append(item)
        return CasePage(out, total, limit, out[-1]["next_cursor"] if out else None)


_LISTED = tuple(col(getattr(Application, name)) for name in (
    "id", "agency_id", "number", "applicant_name", "applicant_type", "channel", "received_on", "state", "outcome",
    "concluded_on", "next_due_on", "next_due_clock", "provisional", "urgency"))


def _check_filters(applicant_type: str | None, year: int | None, sort: str, lapsed: bool) -> None:
    if applicant_type is not None and applicant_type not in {t.value for t in ApplicantType}:
        choices = "、".join(f"{t.value}（{label}）" for t, label in APPLICANT_LABELS.items())
        raise InputError(f"未知的申请人类型 {applicant_type!r}；可选：{choices}")
    if year is not None and not 1900 < year < 2200:
        raise InputError(f"年度 {year} 无效：应为四位数的年份，如 2025")
    if sort not in case_order.SORTS:
        choices = "、".join(f"{k}（{label}）" for k, label in case_order.SORTS.items())
        raise InputError(f"未知的排序 {sort!r}；可选：{choices}")
    if lapsed and sort != "urgency":
        raise InputError("--lapsed 按自动办结的日期排列（最新的在前），不能同时指定 --sort")


def _order(sort: str, lapsed: bool) -> tuple[list[tuple[Any, bool]], list[type]]:
    """The list's ORDER BY as (column, descending) pairs, and the kinds of its cursor's values."""
    if sort != "urgency":
        down = sort == "newest"
        return [(col(Application.received_on), down), (col(Application.id), down)], [date, int]
    order: list[tuple[Any, bool]] = [(col(Application.urgency), False), (col(Application.number), False),
                                     (col(Application.id), False)]
    kinds: list[type] = [str, str, int]
    if lapsed:
        order.insert(0, (col(Application.concluded_on), True))
        kinds.insert(0, date)
    return order, kinds


def _cursor(app: Row[Any], sort: str, lapsed: bool) -> str:
    if sort != "urgency":
        return case_order.encode([app.received_on, app.id])
    key: list[Any] = [app.urgency, app.number, app.id]
    return case_order.encode([app.concluded_on, *key] if lapsed else key)


def _assignee_id(session: Session, username: str, agency_ids: list[int | None]) -> int | None:
    """The id of the user a list is filtered by (a disabled user too: their cases remain), of the agencies shown."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or user.agency_id not in agency_ids:
        raise InputError(f"没有承办人 {username}（用 ogi user list 查看本机关的用户）")
    return user.id


def _conditions(session: Session, agency_ids: list[int | None], today: date, *, state: str | None, closed: bool,
                lapsed: bool, all_agencies: bool, user_id: int | None,
                search: str | None, by_urgency: bool = True) -> list[ColumnElement[bool]]:
    """The WHERE terms of the case list, shaped so that the order's index serves them: open or concluded is said
    by the urgency key's range for the urgency order, by the state for the receipt order (else a planner enters
    the urgency index for the range and sorts every open case by receipt)."""
    where: list[ColumnElement[bool]] = []
    scoped = col(Application.agency_id) == agency_ids[0] if len(agency_ids) == 1 else \
        col(Application.agency_id).in_(agency_ids)
    if not all_agencies:
        where.append(scoped)
    # Cases received after `today` (a date given with --today) are left out; when none is, the term is dropped
    # so that a count can be answered from the sort key's index alone.
    latest = session.exec(select(func.max(Application.received_on)).where(*where)).one()
    if latest is not None and latest > today:
        where.append(col(Application.received_on) <= today)
    open_values = [s.value for s in OPEN_STATES]
    if state is not None:
        where.append(col(Application.state) == state)
        if by_urgency:
            where.append(col(Application.urgency) < case_order.OPEN_BELOW if state in open_values
                         else col(Application.urgency) >= case_order.OPEN_BELOW)
    elif not closed and not lapsed:  # the open cases
        where.append(col(Application.urgency) < case_order.OPEN_BELOW if by_urgency
                     else col(Application.state).in_(open_values))
    if user_id is not None:
        where.append(col(Application.assignee_id) == user_id)
    if search is not None and search.strip():
        pattern = f"%{search.strip()}%"
        where.append(or_(col(Application.number).ilike(pattern), col(Application.applicant_name).ilike(pattern),
                         col(Application.request).ilike(pattern)))
    if lapsed:
        latest_seq = (select(func.max(Event.seq)).where(col(Event.application_id) == col(Application.id))
                      .correlate(Application).scalar_subquery())
        where.append(exists().where(
            col(Event.application_id) == col(Application.id), col(Event.seq) == latest_seq,
            col(Event.actor) == SYSTEM_ACTOR, col(Event.trigger).in_(list(lapses.BY_LAPSE))))
    return where


def pending_approvals(db: Database, *, actor_name: str | None, agency: str | None = None) -> list[dict[str, Any]]:
    """条例第三十三条 and the sign-off of responses: the approvals waiting for a head of the agency in scope,
    oldest request first, each with its case."""
    with db.unit_of_work() as session:
        agency_id = scope(session, actor_name, agency)[1]
        rows = session.exec(select(Approval, Application).join(Application, col(Approval.application_id) ==
                                                               col(Application.id))
                            .where(Application.agency_id == agency_id, Approval.status == "pending")
                            .order_by(col(Approval.requested_on), col(Approval.id))).all()
        return [{**_summary(app), "kind": a.kind, "kind_label": APPROVAL_LABELS.get(a.kind, a.kind),
                 "requested_by": a.requested_by, "requested_on": a.requested_on.isoformat(),
                 "proposal": a.proposal} for a, app in rows]
