"""Annual statistics by SQL aggregation, as at 31 December (格式 表三、表四; SPEC §7, §8), and their identities."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from states.appeals import AppealKind, Column, Route, group_of
from states.lifecycle import State, Trigger
from states.report_format import (
    APPEAL_COLUMNS,
    APPEAL_GROUPS,
    COLUMNS,
    OUTCOME_KEYS,
    ROW_KEYS,
    cell_name,
)
from workflow.errors import InputError
from workflow.models import Appeal, Application, Event
from workflow.report.model import CellCase, FeeFigures, IdentityFailure, Table, empty_section3, empty_section4

APPLICANT_COLUMNS: tuple[str, ...] = COLUMNS[:6]
_BASES = ("new", "carried_in", "total", "carried_out")  # `total` here: concluded in the year, whatever the outcome


@dataclass(frozen=True)
class Year:
    """The counting period: 1 January to 31 December."""

    first: date
    last: date

    @classmethod
    def of(cls, year: int) -> "Year":
        """The calendar year `year`."""
        return cls(date(year, 1, 1), date(year, 12, 31))


def base_predicates(year: int) -> dict[str, ColumnElement[bool]]:
    """格式 表三: the four ways a case is counted in a year, by receipt and conclusion date (as at 31 December)."""
    y = Year.of(year)
    received, concluded = col(Application.received_on), col(Application.concluded_on)
    return {
        "new": received.between(y.first, y.last),
        "carried_in": and_(received < y.first, or_(concluded.is_(None), concluded >= y.first)),
        "total": concluded.between(y.first, y.last),
        "carried_out": and_(received <= y.last, or_(concluded.is_(None), concluded > y.last)),
    }


def scope(year: int) -> ColumnElement[bool]:
    """The cases a year can count: received by 31 December and not concluded before 1 January.

    Every base predicate holds only inside it for consistent dates; a case with inverted dates falls outside
    and is reported by `anomalies` instead. Stated once, it lets the query range-scan the date indexes.
    """
    y = Year.of(year)
    concluded = col(Application.concluded_on)
    return and_(col(Application.received_on) <= y.last, or_(concluded.is_(None), concluded >= y.first))


def row_predicate(row: str, year: int) -> ColumnElement[bool]:
    """The predicate of one section 3 row, exactly as `section3` counts it (within the year's scope)."""
    bases = base_predicates(year)
    if row in bases:
        return and_(scope(year), bases[row])
    return and_(scope(year), bases["total"], col(Application.outcome) == row)


def section3(session: Session, agency_id: int, year: int) -> Table:
    """表三 as at 31 December: one grouped query over the agency's applications."""
    return section3_by_agency(session, year, [agency_id]).get(agency_id) or empty_section3()


def _section3_query(year: int, agency_ids: Collection[int] | None,
                    checks: Mapping[str, ColumnElement[bool]] | None = None) -> Select[*tuple[Any, ...]]:
    """表三's grouped query (by agency, applicant type and outcome): the four base counts, then with `checks` a
    conditional count of each check.

    Without checks it reads the year's scope, where each base predicate alone decides its cell; with them it also
    reads the rows a check finds outside the scope (inverted dates), so each cell counts by its whole row predicate
    (the one `cell_cases` selects with) and such a row counts in no cell.
    """
    bases = base_predicates(year)
    counted, rows = [bases[b] for b in _BASES], scope(year)
    if checks is not None:
        counted = [row_predicate(b, year) for b in _BASES] + list(checks.values())
        rows = or_(rows, *checks.values())
    query: Select[*tuple[Any, ...]] = sa_select(
        col(Application.agency_id), col(Application.applicant_type), col(Application.outcome),
        *(func.sum(case((p, 1), else_=0)) for p in counted))
    query = query.where(rows).group_by(col(Application.agency_id), col(Application.applicant_type),
                                       col(Application.outcome))
    if agency_ids is not None:
        query = query.where(col(Application.agency_id).in_(list(agency_ids)))
    return query


def _add_row(tables: dict[int, Table], agency_id: int, applicant_type: str, outcome: str | None,
             counts: Sequence[int | None]) -> None:
    """One result row of `_section3_query` (its four cells) into its agency's table."""
    table = tables.get(agency_id)
    if table is None:  # not setdefault: an empty table per result row was a tenth of a roll-up's time
        table = tables[agency_id] = empty_section3()
    # Unknown types and outcomes still count in 总计: the identities then show them instead of losing them.
    columns = ("total", applicant_type) if applicant_type in APPLICANT_COLUMNS else ("total",)
    for base, n in zip(_BASES, counts, strict=True):
        for c in columns:
            table[base][c] += int(n or 0)
    if outcome in OUTCOME_KEYS:
        for c in columns:
            table[outcome][c] += int(counts[2] or 0)


def section3_by_agency(session: Session, year: int, agency_ids: Collection[int] | None = None) -> dict[int, Table]:
    """表三 of each agency (of `agency_ids`, or of every agency), in one grouped query over the year's scope."""
    tables: dict[int, Table] = {}
    for agency_id, applicant_type, outcome, *counts in session.connection().execute(
            _section3_query(year, agency_ids)).all():
        _add_row(tables, agency_id, applicant_type, outcome, counts)
    return tables


def section3_and_anomalies_by_agency(session: Session, year: int, agency_ids: Collection[int] | None = None
                                     ) -> tuple[dict[int, Table], dict[int, list[IdentityFailure]]]:
    """表三 and the data checks (`anomalies`) of each agency in one pass over its applications: the roll-up's source.

    The same cells as `section3_by_agency` and the same check counts as `anomalies_by_agency`, from one grouped
    query instead of two scans (see `_section3_query`).
    """
    checks = _anomaly_checks(year)
    query = _section3_query(year, agency_ids, checks)
    tables: dict[int, Table] = {}
    found: dict[int, list[int]] = {}
    for agency_id, applicant_type, outcome, *counts in session.connection().execute(query).all():
        _add_row(tables, agency_id, applicant_type, outcome, counts[:len(_BASES)])
        hits = counts[len(_BASES):]
        if any(hits):
            found[agency_id] = [a + int(n or 0) for a, n in zip(found.get(agency_id, [0] * len(hits)), hits,
                                                                strict=True)]
    return tables, _anomaly_failures(session, checks, found)


def _appeal_decided(year: int) -> ColumnElement[bool]:
    """SPEC §7: decided (a decision recorded, dated by 31 December) as at the year's end."""
    return and_(col(Appeal.decision).is_not(None), col(Appeal.decided_on) <= Year.of(year).last)


def _appeal_cell(kind: str, route: str | None, decision: str | None, decided: bool,
                 columns: Mapping[str, Column]) -> tuple[str, str | None]:
    """(group, column) of one appeal; column None for a decision the mapping does not know (counted in 总计 only)."""
    group = group_of(AppealKind(kind), Route(route) if route else None)
    if not decided:
        return group, Column.PENDING.value
    found = columns.get(decision or "")
    return group, found.value if found else None


def _appeals_in_year(agency_id: int, year: int) -> ColumnElement[bool]:
    return and_(col(Appeal.agency_id) == agency_id, _received_in(year))


def _received_in(year: int) -> ColumnElement[bool]:
    y = Year.of(year)
    return col(Appeal.received_on).between(y.first, y.last)


def section4(session: Session, agency_id: int, year: int, columns: Mapping[str, Column]) -> Table:
    """表四: the appeals received in the year, each with its state as at 31 December (SPEC §7 Decision)."""
    return section4_by_agency(session, year, {agency_id: columns}).get(agency_id) or empty_section4()


def section4_by_agency(session: Session, year: int, columns: Mapping[int, Mapping[str, Column]]) -> dict[int, Table]:
    """表四 of each agency of `columns` (agency → its decision mapping), in one grouped query."""
    flag = case((_appeal_decided(year), 1), else_=0).label("decided")
    # Grouped through a subquery: PostgreSQL cannot match a GROUP BY expression that holds bound parameters.
    rows = (sa_select(col(Appeal.agency_id), col(Appeal.kind), col(Appeal.route), col(Appeal.decision), flag)
            .where(_received_in(year), col(Appeal.agency_id).in_(list(columns))).subquery())
    keys = (rows.c.agency_id, rows.c.kind, rows.c.route, rows.c.decision, rows.c.decided)
    query = sa_select(*keys, func.count()).group_by(*keys)
    tables: dict[int, Table] = {}
    for agency_id, kind, route, decision, is_decided, n in session.connection().execute(query).all():
        table = tables.setdefault(agency_id, empty_section4())
        group, column = _appeal_cell(kind, route, decision, bool(is_decided), columns[agency_id])
        table[group]["total"] += n
        if column is not None:
            table[group][column] += n
    return tables


def check(s3: Table, s4: Table, previous: Table | None = None,
          previous_year: int | None = None) -> list[IdentityFailure]:
    """Every identity of SPEC §8, for every column; each failure names its cells and numbers."""
    failures: list[IdentityFailure] = []

    def name(row: str, column: str) -> str:
        return cell_name("3", row, column)

    for c in COLUMNS:
        row = s3
        left, right = row["new"][c] + row["carried_in"][c], row["total"][c] + row["carried_out"][c]
        if left != right:
            failures.append(IdentityFailure(
                "新收 + 上年结转 = （七）总计 + 结转下年度",
                (name("new", c), name("carried_in", c), name("total", c), name("carried_out", c)),
                f"{row['new'][c]} + {row['carried_in'][c]} = {left} ≠ {row['total'][c]} + {row['carried_out'][c]}"
                f" = {right}"))
        outcomes = sum(row[o][c] for o in OUTCOME_KEYS)
        if outcomes != row["total"][c]:
            failures.append(IdentityFailure(
                "（七）总计 = （一）至（六）各项之和", (name("total", c),),
                f"{row['total'][c]} ≠ 各项之和 {outcomes}"))
        if previous is not None and previous["carried_out"][c] != row["carried_in"][c]:
            of = f"{previous_year} 年" if previous_year else "上年"
            failures.append(IdentityFailure(
                "本年上年结转 = 上年结转下年度", (name("carried_in", c), f"{of}{name('carried_out', c)}"),
                f"本年上年结转 {row['carried_in'][c]} ≠ {of}结转下年度 {previous['carried_out'][c]}"))
    for r in ROW_KEYS:
        parts = sum(s3[r][c] for c in APPLICANT_COLUMNS)
        if parts != s3[r]["total"]:
            failures.append(IdentityFailure(
                "总计列 = 六类申请人之和", (name(r, "total"),),
                f"{s3[r]['total']} ≠ " + " + ".join(str(s3[r][c]) for c in APPLICANT_COLUMNS) + f" = {parts}"))
    for group, _ in APPEAL_GROUPS:
        four = [s4[group][c] for c in APPEAL_COLUMNS[:4]]
        if sum(four) != s4[group]["total"]:
            failures.append(IdentityFailure(
                "表四 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结", (cell_name("4", group, "total"),),
                f"{s4[group]['total']} ≠ " + " + ".join(map(str, four)) + f" = {sum(four)}"))
    return failures


def _anomaly_checks(year: int) -> dict[str, ColumnElement[bool]]:
    bases = base_predicates(year)
    concluded = bases["total"]
    return {
        "办结日期早于收到日期": and_(or_(concluded, bases["new"]),
                               col(Application.concluded_on) < col(Application.received_on)),
        "已办结但办理结果代码无效": and_(concluded, or_(col(Application.outcome).is_(None),
                                                  col(Application.outcome).not_in(OUTCOME_KEYS))),
        "状态为已办结但没有办结日期": and_(col(Application.state) == State.CONCLUDED.value,
                                    col(Application.concluded_on).is_(None), bases["carried_out"]),
        "有办结日期但状态不是已办结": and_(concluded, col(Application.state) != State.CONCLUDED.value),
    }


def anomalies(session: Session, agency_id: int, year: int) -> list[IdentityFailure]:
    """Cases the counting cannot place correctly: inverted dates, no valid outcome, state and dates disagreeing."""
    return anomalies_by_agency(session, year, [agency_id]).get(agency_id, [])


def _check_counts(checks: Mapping[str, ColumnElement[bool]]) -> list[ColumnElement[int]]:
    return [func.sum(case((predicate, 1), else_=0)) for predicate in checks.values()]


def anomalies_by_agency(session: Session, year: int, agency_ids: Collection[int]) -> dict[int, list[IdentityFailure]]:
    """`anomalies` of many agencies in one pass over their cases (each check a conditional count, grouped by
    agency); only an agency a check finds has its case numbers read."""
    checks = _anomaly_checks(year)
    hits = session.connection().execute(
        sa_select(col(Application.agency_id), *_check_counts(checks))
        .where(col(Application.agency_id).in_(list(agency_ids)), or_(*checks.values()))
        .group_by(col(Application.agency_id))).all()
    return _anomaly_failures(session, checks, {row[0]: [int(n or 0) for n in row[1:]] for row in hits})


def _anomaly_failures(session: Session, checks: Mapping[str, ColumnElement[bool]],
                      counts: Mapping[int, Sequence[int]]) -> dict[int, list[IdentityFailure]]:
    """Each agency's failed checks (`counts`: agency → cases each check found), naming up to 20 of the cases."""
    found: dict[int, list[IdentityFailure]] = {}
    for agency_id, row in counts.items():
        for (rule, predicate), n in zip(checks.items(), row, strict=True):
            if not n:
                continue
            numbers = session.exec(select(col(Application.number)).where(
                Application.agency_id == agency_id, predicate).order_by(col(Application.number)).limit(21)).all()
            shown = "、".join(numbers[:20]) + ("等" if len(numbers) > 20 else "")
            found.setdefault(agency_id, []).append(IdentityFailure(f"数据异常：{rule}", (), f"案件 {shown}"))
    return found


def validate_cell(section: str, row: str, column: str) -> None:
    """Refuse a cell that 表三 or 表四 does not have, naming the rows or columns there are."""
    rows, columns = (ROW_KEYS, COLUMNS) if section == "3" else (tuple(g for g, _ in APPEAL_GROUPS), APPEAL_COLUMNS)
    if section not in ("3", "4"):
        raise InputError(f"表 {section!r} 无效，可选：3、4")
    if row not in rows:
        raise InputError(f"表{'三' if section == '3' else '四'}没有行 {row!r}，可选：{'、'.join(rows)}")
    if column not in columns:
        raise InputError(f"表{'三' if section == '3' else '四'}没有列 {column!r}，可选：{'、'.join(columns)}")


_CASE_COLUMNS = (col(Application.number), col(Application.applicant_name), col(Application.applicant_type),
                 col(Application.received_on), col(Application.concluded_on), col(Application.outcome))


def cell_cases(session: Session, agency_id: int, year: int, section: str, row: str, column: str,
               columns: Mapping[str, Column]) -> list[CellCase]:
    """The cases behind one cell, selected by the very predicate the aggregation counts with."""
    validate_cell(section, row, column)
    if section == "3":
        query = sa_select(*_CASE_COLUMNS).where(col(Application.agency_id) == agency_id, row_predicate(row, year))
        if column != "total":
            query = query.where(col(Application.applicant_type) == column)
        return [CellCase(*r) for r in session.connection().execute(query.order_by(col(Application.number))).all()]
    return section4_cells(session, agency_id, year, columns).get(f"{row}/{column}", [])


def section4_cells(session: Session, agency_id: int, year: int,
                   columns: Mapping[str, Column]) -> dict[str, list[CellCase]]:
    """Every section 4 cell's appeals ("<group>/<column>" → appeals), placed by the rule section4 counts with."""
    decided = case((_appeal_decided(year), 1), else_=0)
    query = (select(Appeal, Application, decided).join(Application, col(Application.id) == col(Appeal.application_id))
             .where(_appeals_in_year(agency_id, year)).order_by(col(Appeal.received_on), col(Appeal.id)))
    cells: dict[str, list[CellCase]] = {}
    for appeal, app, is_decided in session.exec(query).all():
        group, column = _appeal_cell(appeal.kind, appeal.route, appeal.decision, bool(is_decided), columns)
        item = CellCase(app.number, app.applicant_name, app.applicant_type, app.received_on, app.concluded_on,
                        app.outcome, appeal.id, appeal.decision if is_decided else None, appeal.received_on)
        for c in ("total", column) if column else ("total",):
            cells.setdefault(f"{group}/{c}", []).append(item)
    return cells


def section3_cells(session: Session, agency_id: int, year: int) -> dict[str, list[CellCase]]:
    """Every non-empty section 3 cell's cases ("<row>/<column>" → cases), in one query with the same predicates."""
    bases = base_predicates(year)
    flags = [case((p, 1), else_=0) for p in bases.values()]
    query = (sa_select(*_CASE_COLUMNS, *flags)
             .where(col(Application.agency_id) == agency_id, scope(year))
             .order_by(col(Application.number)))
    cells: dict[str, list[CellCase]] = {}
    for row in session.connection().execute(query).all():
        item, hits = CellCase(*row[:6]), row[6:]
        rows = [b for b, hit in zip(_BASES, hits, strict=True) if hit]
        if "total" in rows and item.outcome in OUTCOME_KEYS:
            rows.append(item.outcome or "")
        cols = ("total", item.applicant_type) if item.applicant_type in APPLICANT_COLUMNS else ("total",)
        for r in rows:
            for c in cols:
                cells.setdefault(f"{r}/{c}", []).append(item)
    return cells


def fee_figures(session: Session, agency_id: int, year: int) -> FeeFigures:
    """办法: fee notices issued in the year and fees collected in the year (the amount of the notice each pays)."""
    y = Year.of(year)
    fee_events = (sa_select(col(Event.application_id), col(Event.seq), col(Event.trigger), col(Event.effective_on),
                         col(Event.data))
                  .join(Application, col(Application.id) == col(Event.application_id))
                  .where(col(Application.agency_id) == agency_id,
                         col(Event.trigger).in_((Trigger.ISSUE_FEE_NOTICE.value, Trigger.RECEIVE_PAYMENT.value)),
                         col(Event.application_id).in_(
                             select(col(Event.application_id)).where(
                                 col(Event.trigger).in_((Trigger.ISSUE_FEE_NOTICE.value,
                                                         Trigger.RECEIVE_PAYMENT.value)),
                                 col(Event.effective_on).between(y.first, y.last))))
                  .order_by(col(Event.application_id), col(Event.seq)))
    notices, notice_amount, payments, collected = 0, Decimal(0), 0, Decimal(0)
    last_notice: dict[int, Decimal] = {}
    for app_id, _seq, trigger, on, data in session.connection().execute(fee_events).all():
        in_year = y.first <= on <= y.last
        if trigger == Trigger.ISSUE_FEE_NOTICE.value:
            amount = Decimal(str(data.get("amount", "0")))
            last_notice[app_id] = amount
            if in_year:
                notices, notice_amount = notices + 1, notice_amount + amount
        elif in_year:
            payments, collected = payments + 1, collected + last_notice.get(app_id, Decimal(0))
    return FeeFigures(notices, notice_amount, payments, collected)
