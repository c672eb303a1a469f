"""The platform's roll-up (汇总) of a year's report (SPEC §12): each cell of 表三 and 表四 summed over the agencies.

Each agency's figures come from the same grouped queries as its own report (workflow/stats.py), read for every
agency at once; every identity of SPEC §8 is checked on each agency and on the sum, and a cell of the sum drills
down to the agencies and cases behind it.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from workflow import stats
from workflow.actors import visible_agencies
from workflow.annual import changed_since_lock, check_year, section_of
from workflow.appeal_mapping import mappings
from workflow.db import Database
from workflow.models import Agency, ReportLock
from workflow.report.model import AnnualReport, CellCase, IdentityFailure, Table, empty_section3, empty_section4
from workflow.report_cache import ReportCache, fingerprint

__all__ = ["AgencyCell", "AgencyFigures", "Rollup", "rollup", "rollup_cell"]


@dataclass
class AgencyFigures:
    """One agency's part of the roll-up: its sections 3 and 4, its lock and its own failed identities."""

    code: str
    name: str
    section3: Table
    section4: Table
    locked_on: date | None = None
    locked_by: str | None = None
    checks: list[IdentityFailure] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The agency's figures in SPEC §8's shape, with its code and lock."""
        return {"agency": self.name, "agency_code": self.code,
                "locked_on": self.locked_on.isoformat() if self.locked_on else None, "locked_by": self.locked_by,
                "section3": self.section3, "section4": self.section4,
                "checks": [_failure(f) for f in self.checks]}


def _failure(f: IdentityFailure) -> dict[str, Any]:
    return {"rule": f.rule, "cells": list(f.cells), "detail": f.detail}


@dataclass
class Rollup:
    """The sum over the agencies (as an AnnualReport, for every renderer) and each agency's figures."""

    report: AnnualReport
    agencies: list[AgencyFigures]

    def to_json(self) -> dict[str, Any]:
        """SPEC §8's shape for the sum, then `agencies` (each in the same shape) and the failed identities."""
        return {**self.report.to_json(), "agencies": [a.to_json() for a in self.agencies],
                "checks": [_failure(f) for f in self.report.checks]}


def _add(into: Table, table: Table) -> None:
    for row, cols in table.items():
        for column, n in cols.items():
            into[row][column] += n


def _snapshot_section3(lock: ReportLock | None) -> Table | None:
    if lock is None or "section3" not in lock.snapshot:
        return None
    table = empty_section3()
    for row, cols in lock.snapshot["section3"].items():
        table.setdefault(row, {}).update({c: int(n) for c, n in cols.items()})
    return table


def _summary(agencies: list[AgencyFigures]) -> str:
    """Section 1 of the roll-up: which agencies it sums, their main figures and whether each year is locked."""
    lines = [f"本报告汇总平台上 {len(agencies)} 个机关的政府信息公开申请办理情况，表三、表四各项为各机关数字之和。"]
    for a in agencies:
        lock = f"已于 {a.locked_on.isoformat()} 锁定" if a.locked_on else "未锁定"
        appeals = sum(a.section4[g]["total"] for g in a.section4)
        lines.append(f"{a.name}（{a.code}）：新收 {a.section3['new']['total']} 件，上年结转 "
                     f"{a.section3['carried_in']['total']} 件，办结 {a.section3['total']['total']} 件，结转下年度 "
                     f"{a.section3['carried_out']['total']} 件，行政复议和行政诉讼 {appeals} 件；报告{lock}"
                     + (f"；有 {len(a.checks)} 项勾稽关系不成立" if a.checks else "") + "。")
    return "\n\n".join(lines)


def assemble_rollup(session: Session, year: int, agencies: list[Agency]) -> Rollup:
    """The roll-up of `agencies` for `year`, read in the caller's transaction."""
    ids = [a.id for a in agencies if a.id is not None]
    s3, odd = stats.section3_and_anomalies_by_agency(session, year, ids)  # one pass over the applications
    s4 = stats.section4_by_agency(session, year, mappings(session, ids))
    locks = {(lk.agency_id, lk.year): lk for lk in session.exec(select(ReportLock).where(
        col(ReportLock.agency_id).in_(ids), col(ReportLock.year).in_([year - 1, year]))).all()}
    total3, total4, previous_total = empty_section3(), empty_section4(), empty_section3()
    parts = []
    for agency in agencies:
        assert agency.id is not None
        mine3, mine4 = s3.get(agency.id) or empty_section3(), s4.get(agency.id) or empty_section4()
        # Last year as published when it was locked; unlocked, it is this year's carried-in by the same predicate.
        previous = _snapshot_section3(locks.get((agency.id, year - 1))) or {"carried_out": mine3["carried_in"]}
        lock = locks.get((agency.id, year))
        part = AgencyFigures(agency.code, agency.name, mine3, mine4, lock.locked_on if lock else None,
                             lock.locked_by if lock else None,
                             stats.check(mine3, mine4, previous, year - 1) + odd.get(agency.id, []))
        if lock is not None:
            part.checks += changed_since_lock(mine3, mine4, lock.snapshot)
        parts.append(part)
        _add(total3, mine3)
        _add(total4, mine4)
        previous_total["carried_out"] = {c: previous_total["carried_out"][c] + n
                                         for c, n in previous["carried_out"].items()}
    report = AnnualReport(agency=f"全平台汇总（{len(agencies)} 个机关）", year=year, section3=total3, section4=total4)
    report.checks = stats.check(total3, total4, previous_total, year - 1)
    report.narrative = {"1": _summary(parts)}
    return Rollup(report, parts)


def rollup(db: Database, *, actor_name: str | None, year: int, today: date,
           cache: ReportCache | None = None) -> Rollup:
    """`ogi report YEAR --all-agencies`: the supervising office's (or platform admin's) roll-up of every agency.
    With `cache` (a server's), a roll-up built before is reused while nothing it is built from has changed."""
    check_year(year, today)
    with db.unit_of_work() as session:
        _, agencies = visible_agencies(session, actor_name, None, True)
        if cache is None:
            return assemble_rollup(session, year, agencies)
        ids = [a.id for a in agencies if a.id is not None]
        key = ("rollup", tuple(ids), year, fingerprint(session, ids, year))
        return cache.get(key, lambda: assemble_rollup(session, year, agencies))


@dataclass(frozen=True)
class AgencyCell:
    """The cases one agency contributes to a roll-up cell."""

    code: str
    name: str
    cases: list[CellCase]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready."""
        from dataclasses import asdict

        return {"agency_code": self.code, "agency": self.name, "count": len(self.cases),
                "cases": [asdict(c) for c in self.cases]}


def rollup_cell(db: Database, *, actor_name: str | None, year: int, row: str, column: str,
                today: date) -> list[AgencyCell]:
    """The agencies (with their cases) behind one cell of the roll-up: those whose own cell is not zero."""
    check_year(year, today)
    section = section_of(row)
    stats.validate_cell(section, row, column)
    with db.unit_of_work() as session:
        _, agencies = visible_agencies(session, actor_name, None, True)
        ids = [a.id for a in agencies if a.id is not None]
        columns = mappings(session, ids)
        if section == "3":
            counts = stats.section3_by_agency(session, year, ids)
        else:
            counts = stats.section4_by_agency(session, year, columns)
        found = []
        for agency in agencies:
            assert agency.id is not None
            table = counts.get(agency.id)
            if table is None or not table.get(row, {}).get(column):
                continue
            found.append(AgencyCell(agency.code, agency.name,
                                    stats.cell_cases(session, agency.id, year, section, row, column,
                                                     columns[agency.id])))
        return found
