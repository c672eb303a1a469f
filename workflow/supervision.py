"""督办 (条例第三条: the supervising office 推进、指导、协调、监督): each agency's year at a glance.

On time (SPEC §12 Decision): concluded on or before the response clock's due date, extension included; a
lapse (6.1, 6.2) is on time by definition. On-time rate = on-time conclusions / conclusions in the year.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col

from states.clocks import ClockKind
from states.lifecycle import OPEN_STATES
from states.outcomes import SYSTEM_OUTCOMES
from workflow import stats
from workflow.actors import visible_agencies
from workflow.annual import check_year
from workflow.appeal_mapping import mappings
from workflow.db import Database
from workflow.models import Application, CaseClock

__all__ = ["AgencyRecord", "supervise"]


def _count(predicate: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((predicate, 1), else_=0))


@dataclass(frozen=True)
class AgencyRecord:
    """One agency's handling in a year, as the supervising office follows it."""

    code: str
    name: str
    applications: int  # received in the year
    concluded: int  # concluded in the year
    on_time: int  # of those, on time
    overdue_now: int  # open cases past a due date today
    lapses: int  # concluded in the year by a lapse (6.1, 6.2)
    appeals: int  # reconsiderations and lawsuits received in the year
    decided: int  # of those, decided by 31 December
    corrected: int  # of those, corrected (结果纠正)

    @property
    def on_time_rate(self) -> float | None:
        """On-time conclusions / conclusions (None with no conclusion)."""
        return self.on_time / self.concluded if self.concluded else None

    @property
    def correction_rate(self) -> float | None:
        """Corrected / decided appeals (None with no decision): how often the agency's handling was overturned."""
        return self.corrected / self.decided if self.decided else None

    def as_data(self) -> dict[str, Any]:
        """JSON-ready, the rates included."""
        return {**self.__dict__, "on_time_rate": self.on_time_rate, "correction_rate": self.correction_rate}


def supervise(db: Database, *, actor_name: str | None, year: int, today: date) -> list[AgencyRecord]:
    """`ogi supervise YEAR`: every agency's applications, conclusions, on-time rate, overdue cases and appeals."""
    check_year(year, today)
    y = stats.Year.of(year)
    with db.unit_of_work() as session:
        _, agencies = visible_agencies(session, actor_name, None, True)
        ids = [a.id for a in agencies if a.id is not None]
        received, concluded = col(Application.received_on), col(Application.concluded_on)
        in_year = concluded.between(y.first, y.last)
        lapse = col(Application.outcome).in_(sorted(SYSTEM_OUTCOMES))
        on_time = and_(in_year, or_(lapse, concluded <= col(CaseClock.due_on)))
        is_open = col(Application.state).in_([s.value for s in OPEN_STATES])
        rows = session.connection().execute(
            sa_select(col(Application.agency_id), _count(received.between(y.first, y.last)), _count(in_year),
                      _count(on_time), _count(and_(is_open, col(Application.next_due_on) < today)), _count(
                          and_(in_year, lapse)))
            .outerjoin(CaseClock, and_(col(CaseClock.application_id) == col(Application.id),
                                       col(CaseClock.kind) == ClockKind.RESPONSE.value))
            .where(col(Application.agency_id).in_(ids),
                   or_(received.between(y.first, y.last), in_year, is_open))
            .group_by(col(Application.agency_id))).all()
        figures = {r[0]: [int(n or 0) for n in r[1:]] for r in rows}
        appeals = stats.section4_by_agency(session, year, mappings(session, ids))
    out = []
    for agency in agencies:
        assert agency.id is not None
        apps, done, timely, overdue, lapses = figures.get(agency.id, [0] * 5)
        table = appeals.get(agency.id, {})
        total = sum(g["total"] for g in table.values())
        decided = sum(g["upheld"] + g["corrected"] + g["other"] for g in table.values())
        corrected = sum(g["corrected"] for g in table.values())
        out.append(AgencyRecord(agency.code, agency.name, apps, done, timely, overdue, lapses, total, decided,
                                corrected))
    return out
