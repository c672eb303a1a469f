"""The annual report as data: what the statistics, the agency's inputs and the lock give every renderer."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from states.report_format import APPEAL_COLUMNS, APPEAL_GROUPS, COLUMNS, ROW_KEYS

Table = dict[str, dict[str, int]]  # row key → column key → count


def empty_section3() -> Table:
    """Section 3 with every cell zero: ROW_KEYS × COLUMNS."""
    return {row: dict.fromkeys(COLUMNS, 0) for row in ROW_KEYS}


def empty_section4() -> Table:
    """Section 4 with every cell zero: the three groups × APPEAL_COLUMNS."""
    return {group: dict.fromkeys(APPEAL_COLUMNS, 0) for group, _ in APPEAL_GROUPS}


@dataclass(frozen=True)
class CellCase:
    """One case behind a cell: enough to find it and see why it was counted."""

    number: str
    applicant_name: str
    applicant_type: str
    received_on: date
    concluded_on: date | None
    outcome: str | None
    appeal_id: int | None = None  # section 4 cells list appeals
    decision: str | None = None
    appeal_received_on: date | None = None


@dataclass(frozen=True)
class IdentityFailure:
    """An identity of SPEC §8 that does not hold, with the cells involved and their values."""

    rule: str  # e.g. "新收 + 上年结转 = （七）总计 + 结转下年度"
    cells: tuple[str, ...]  # human cell names (states.report_format.cell_name)
    detail: str  # the numbers, e.g. "12 + 3 ≠ 10 + 4"


@dataclass(frozen=True)
class FeeFigures:
    """Section 6's engine-known facts: fee notices issued and fees collected in the year (办法)."""

    notices: int = 0
    notice_amount: Decimal = Decimal(0)
    payments: int = 0
    collected: Decimal = Decimal(0)


@dataclass(frozen=True)
class LateChangeRow:
    """A change recorded after the year was locked."""

    recorded_at: datetime
    effective_on: date
    case_number: str
    action: str
    actor: str
    reason: str


@dataclass
class AnnualReport:
    """One agency's 政府信息公开工作年度报告 for one calendar year, as at 31 December."""

    agency: str
    year: int
    section3: Table = field(default_factory=empty_section3)
    section4: Table = field(default_factory=empty_section4)
    # Section 2: block key → row key → field → figure (None when the agency has not entered it).
    section2: dict[str, dict[str, dict[str, Decimal | int | None]]] = field(default_factory=dict)
    narrative: dict[str, str] = field(default_factory=dict)  # "1", "5", "6" → text (paragraphs split by blank lines)
    fees: FeeFigures = field(default_factory=FeeFigures)
    checks: list[IdentityFailure] = field(default_factory=list)
    locked_on: date | None = None
    locked_by: str | None = None
    late_changes: list[LateChangeRow] = field(default_factory=list)
    # Drill-down, filled when a renderer links cells to their cases: "3/<row>/<col>" or "4/<group>/<col>".
    cells: dict[str, list[CellCase]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """SPEC §8's machine-readable form, keys exactly as fixed there."""
        return {"agency": self.agency, "year": self.year,
                "section3": {row: dict(cols) for row, cols in self.section3.items()},
                "section4": {group: dict(cols) for group, cols in self.section4.items()}}


def cell_key(section: str, row: str, column: str) -> str:
    """The drill-down key of a cell (also its HTML anchor after `cell-`)."""
    return f"{section}/{row}/{column}"
