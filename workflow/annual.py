"""Use cases of the annual report (条例第四十九条、第五十条): build it, enter inputs, lock a year, list a cell."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from states.appeals import Column
from states.lifecycle import Role
from states.report_format import APPEAL_GROUPS, ROW_KEYS, cell_name
from workflow import stats
from workflow.actors import Actor, require_role, scope
from workflow.appeal_mapping import mapping
from workflow.db import Database
from workflow.errors import InputError, NotFound, YearLocked
from workflow.locks import lock_of
from workflow.models import Agency, LockedChange, ReportInput, ReportLock, utcnow
from workflow.report.model import (
    AnnualReport,
    CellCase,
    IdentityFailure,
    LateChangeRow,
    Table,
    cell_key,
    empty_section3,
)
from workflow.report_cache import ReportCache, fingerprint
from workflow.report_inputs import inputs_from_form, narrative_of, parse_inputs, section2_of

FIRST_YEAR, LAST_YEAR = 2008, 2100  # 条例 in force since 1 May 2008


def _columns(session: Session, agency_id: int) -> Mapping[str, Column]:
    """Each appeal decision's effective report column (the agency's mapping over SPEC §7's defaults)."""
    return mapping(session, agency_id)


def check_year(year: int, today: date) -> None:
    """Refuse a year the report cannot be made for (before the 条例, or not begun)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(f"年度 {year} 无效：应在 {FIRST_YEAR} 至 {LAST_YEAR} 之间")
    if year > today.year:
        raise InputError(f"{year} 年度尚未开始（今天是 {today}）")


def _who(session: Session, actor_name: str | None, agency: str | None) -> tuple[int, Actor | None]:
    actor, agency_id = scope(session, actor_name, agency)
    return agency_id, actor


def _previous(session: Session, agency_id: int, year: int) -> Table:
    """Last year's section 3: as frozen in its lock when locked (the published figures), else computed now."""
    lock = lock_of(session, agency_id, year - 1)
    if lock is not None and "section3" in lock.snapshot:
        table = empty_section3()
        for row, cols in lock.snapshot["section3"].items():
            table.setdefault(row, {}).update({c: int(n) for c, n in cols.items()})
        return table
    return stats.section3(session, agency_id, year - 1)


def changed_since_lock(section3: Table, section4: Table, snapshot: Mapping[str, Any]) -> list[IdentityFailure]:
    """ARCHITECTURE decision 10: every figure of a locked year that no longer matches what was published.

    Recorded late changes explain some; anything else (a changed appeal mapping, an edit behind the engine's
    back) would otherwise alter a published report silently.
    """
    found = []
    for section, current in (("3", section3), ("4", section4)):
        published = snapshot.get(f"section{section}", {})
        for row, cols in current.items():
            for column, now in cols.items():
                then = published.get(row, {}).get(column)
                if then is not None and int(then) != now:
                    found.append(IdentityFailure("锁定后的数字 = 锁定时发布的数字", (cell_name(section, row, column),),
                                                 f"锁定时 {then}，现在 {now}"))
    return found


def assemble(session: Session, agency_id: int, year: int, *, with_cells: bool = False) -> AnnualReport:
    """The whole report of one agency's year, read inside the caller's transaction."""
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"机关 {agency_id} 不存在")
    columns = _columns(session, agency_id)
    report = AnnualReport(agency=agency.name, year=year, section3=stats.section3(session, agency_id, year),
                          section4=stats.section4(session, agency_id, year, columns))
    entered = session.exec(select(ReportInput).where(ReportInput.agency_id == agency_id,
                                                     ReportInput.year == year)).first()
    report.section2 = section2_of(entered.data if entered else {})
    report.narrative = narrative_of(entered.data if entered else {})
    report.fees = stats.fee_figures(session, agency_id, year)
    report.checks = [*stats.check(report.section3, report.section4, _previous(session, agency_id, year), year - 1),
                     *stats.anomalies(session, agency_id, year)]
    lock = lock_of(session, agency_id, year)
    if lock is not None:
        report.locked_on, report.locked_by = lock.locked_on, lock.locked_by
        report.checks += changed_since_lock(report.section3, report.section4, lock.snapshot)
    changes = session.exec(select(LockedChange).where(LockedChange.agency_id == agency_id, LockedChange.year == year)
                           .order_by(col(LockedChange.recorded_at), col(LockedChange.id))).all()
    report.late_changes = [LateChangeRow(c.recorded_at, c.effective_on, c.case_number, c.action, c.actor, c.reason)
                           for c in changes]
    if with_cells:
        for key, found in stats.section3_cells(session, agency_id, year).items():
            report.cells[cell_key("3", *key.split("/"))] = found
        for key, found in stats.section4_cells(session, agency_id, year, columns).items():
            report.cells[cell_key("4", *key.split("/"))] = found
    return report


def build_report(db: Database, *, actor_name: str | None, agency: str | None = None, year: int, today: date,
                 with_cells: bool = False, cache: ReportCache | None = None) -> AnnualReport:
    """条例第五十条: the year's 政府信息公开工作年度报告, as at 31 December, with its identity checks.
    With `cache` (a server's), a report built before is reused while nothing it is built from has changed."""
    check_year(year, today)
    with db.unit_of_work() as session:
        agency_id, _ = _who(session, actor_name, agency)
        if cache is None:
            return assemble(session, agency_id, year, with_cells=with_cells)
        key = ("report", agency_id, year, with_cells, fingerprint(session, [agency_id], year))
        return cache.get(key, lambda: assemble(session, agency_id, year, with_cells=with_cells))


def _locked(lock: ReportLock, what: str) -> YearLocked:
    return YearLocked(f"{lock.year} 年度报告已于 {lock.locked_on.isoformat()} 由 {lock.locked_by} 锁定，"
                      f"不能再{what}")


def set_inputs(db: Database, *, actor_name: str | None, agency: str | None = None, year: int,
               text: str | None = None, form: Mapping[str, str] | None = None,
               today: date | None = None) -> dict[str, object]:
    """Store (replacing) a year's section 2 figures and section 1/5/6 narrative, from TOML (`ogi report input`)
    or from the web's 填报 form; refused once locked."""
    if (text is None) == (form is None):
        raise InputError("填报内容应来自输入文件或网页表单之一")
    data = parse_inputs(text) if text is not None else inputs_from_form(form or {})
    if today is not None:
        check_year(year, today)
    elif not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(f"年度 {year} 无效：应在 {FIRST_YEAR} 至 {LAST_YEAR} 之间")
    with db.unit_of_work() as session:
        agency_id, actor = _who(session, actor_name, agency)
        actor = require_role(actor, (Role.HEAD, Role.ADMIN), "填报年度报告内容")  # the head answers for the report
        lock = lock_of(session, agency_id, year)
        if lock is not None:
            raise _locked(lock, "修改其填报内容（第二部分数字和第一、五、六部分文字）")
        row = session.exec(select(ReportInput).where(ReportInput.agency_id == agency_id,
                                                     ReportInput.year == year)).first()
        if row is None:
            row = ReportInput(agency_id=agency_id, year=year, data=data, updated_by=actor.username)
        else:
            row.data, row.updated_by, row.updated_at = data, actor.username, utcnow()
        session.add(row)
        return data


def lock_year(db: Database, *, actor_name: str | None, agency: str | None = None, year: int, today: date) -> ReportLock:
    """Freeze a year's report once the year has ended (head or admin); later changes need an admin and a reason."""
    check_year(year, today)
    if today <= date(year, 12, 31):
        raise InputError(f"{year} 年度尚未结束（今天是 {today}），年度结束后才能锁定")
    with db.unit_of_work() as session:
        agency_id, actor = _who(session, actor_name, agency)
        actor = require_role(actor, (Role.HEAD, Role.ADMIN), "锁定年度报告")
        existing = lock_of(session, agency_id, year)
        if existing is not None:
            raise _locked(existing, "重复锁定")
        report = assemble(session, agency_id, year)
        lock = ReportLock(agency_id=agency_id, year=year, locked_on=today, locked_by=actor.username,
                          snapshot=report.to_json())
        session.add(lock)
        session.flush()
        return lock


def section_of(row: str) -> str:
    """The table a row key belongs to: "3" for 表三's rows, "4" for 表四's groups."""
    if row in ROW_KEYS:
        return "3"
    if row in dict(APPEAL_GROUPS):
        return "4"
    raise InputError(f"没有行 {row!r}：表三的行为 {'、'.join(ROW_KEYS)}；"
                     f"表四的行为 {'、'.join(g for g, _ in APPEAL_GROUPS)}")


def cell(db: Database, *, actor_name: str | None, agency: str | None = None, year: int, row: str, column: str,
         section: str | None = None, today: date | None = None) -> list[CellCase]:
    """The cases (表三) or appeals (表四) counted in one cell of the year's report."""
    if today is not None:
        check_year(year, today)
    with db.unit_of_work() as session:
        agency_id, _ = _who(session, actor_name, agency)
        columns = _columns(session, agency_id)
        return stats.cell_cases(session, agency_id, year, section or section_of(row), row, column, columns)
