"""The official tables (格式 表二、表三、表四) as grids of placed, possibly merged cells, shared by every renderer."""

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from states.report_format import (
    APPEAL_COLUMN_TITLES,
    APPEAL_COLUMNS,
    APPEAL_GROUPS,
    APPLICANT_HEADER,
    COLUMN_TITLES,
    COLUMNS,
    CORNER,
    LITIGATION_HEADER,
    ORGANISATION_COLUMNS,
    ORGANISATION_HEADER,
    RECONSIDERATION_HEADER,
    ROWS,
    SECTION2,
    TITLE,
    Row,
)
from workflow.calendar import LOCAL_ZONE
from workflow.report.model import AnnualReport, FeeFigures, LateChangeRow

PLACEHOLDER = "（待填写）"
NARRATIVE_NAMES: dict[str, str] = {"1": "overview", "5": "problems", "6": "other"}
LATE_CHANGE_HEADER: tuple[str, ...] = ("日期", "案件", "操作", "操作人", "理由")
Figure = Decimal | int | None


@dataclass(frozen=True)
class Cell:
    """One cell of a grid at (row, col), spanning rowspan × colspan; `key` is (section, row, col) for figures."""

    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    value: Figure = None
    key: tuple[str, str, str] | None = None

    @property
    def is_figure(self) -> bool:
        """Whether the cell holds a figure (possibly missing) rather than a label."""
        return self.key is not None


@dataclass(frozen=True)
class Grid:
    """A table: its size and its cells, each placed at its top-left corner."""

    rows: int
    cols: int
    cells: tuple[Cell, ...]
    header_rows: int

    def by_row(self) -> list[list[Cell]]:
        """The cells starting in each row, left to right (what an HTML <tr> holds)."""
        out: list[list[Cell]] = [[] for _ in range(self.rows)]
        for c in sorted(self.cells, key=lambda c: (c.row, c.col)):
            out[c.row].append(c)
        return out


def figure_text(value: Figure) -> str:
    """A figure as printed: blank when missing."""
    return "" if value is None else str(value)


def report_title(report: AnnualReport) -> str:
    """The report's title, e.g. 某某局2024年政府信息公开工作年度报告."""
    return f"{report.agency}{report.year}年{TITLE}"


def row_label(row: Row) -> str:
    """A section 3 row's label flattened to one cell, e.g. 「（三）不予公开 / 1.属于国家秘密」."""
    return row.label if row.group is None else f"{row.group} / {row.label}"


def narrative(report: AnnualReport, section: str) -> list[str]:
    """The paragraphs of narrative section 1, 5 or 6 (split on blank lines); empty when not entered."""
    text = report.narrative.get(section) or report.narrative.get(NARRATIVE_NAMES[section]) or ""
    paragraphs = ["".join(line.strip() for line in p.splitlines()) for p in re.split(r"\n\s*\n", text)]
    return [p for p in paragraphs if p]


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def fee_sentence(fees: FeeFigures) -> str:
    """Section 6's engine-known fee facts (《政府信息公开信息处理费管理办法》)."""
    return (f"本年度共发出收费通知 {fees.notices} 件，金额 {_amount(fees.notice_amount)} 元；"
            f"实际收取信息处理费 {_amount(fees.collected)} 元。")


def check_warning(report: AnnualReport) -> str | None:
    """The warning every export puts above a report whose identities do not hold, or None when all hold."""
    if not report.checks:
        return None
    return f"注意：以下 {len(report.checks)} 项勾稽关系校验未通过，本报告数据有误，请核实后再发布。"


def check_lines(report: AnnualReport) -> list[str]:
    """Each failed identity as one line: rule, cells, numbers."""
    return [f"{f.rule}：{'、'.join(f.cells)}：{f.detail}" for f in report.checks]


def lock_line(report: AnnualReport) -> str | None:
    """「本报告数据已于 … 锁定（锁定人：…）」, or None for an unlocked year."""
    if report.locked_on is None:
        return None
    return f"本报告数据已于 {report.locked_on.isoformat()} 锁定（锁定人：{report.locked_by or '—'}）"


def _local_date(moment: datetime) -> str:
    return (moment.astimezone(LOCAL_ZONE) if moment.tzinfo else moment).date().isoformat()


def late_change_cells(change: LateChangeRow) -> tuple[str, ...]:
    """One late change as the cells 日期、案件、操作、操作人、理由."""
    action = f"{change.action}（法定日期 {change.effective_on.isoformat()}）"
    return (_local_date(change.recorded_at), change.case_number, action, change.actor, change.reason)


def section2_grid(report: AnnualReport) -> Grid:
    """表二: four blocks, each a caption row spanning the table, a header row and data rows."""
    width = max(len(b.header) for b in SECTION2)
    cells: list[Cell] = []
    r = 0
    for block in SECTION2:
        cells.append(Cell(r, 0, block.caption, colspan=width, header=True))
        spans = [1] * (len(block.header) - 1) + [width - len(block.header) + 1]
        for c, (title, span) in enumerate(zip(block.header, spans, strict=True)):
            cells.append(Cell(r + 1, c, title, colspan=span, header=True))
        r += 2
        entered = report.section2.get(block.key, {})
        for row_key, label in block.rows:
            cells.append(Cell(r, 0, label))
            for c, fld in enumerate(block.fields, start=1):
                value = entered.get(row_key, {}).get(fld)
                cells.append(Cell(r, c, figure_text(value), colspan=spans[c], value=value,
                                  key=("2", f"{block.key}.{row_key}", fld)))
            r += 1
    return Grid(r, width, tuple(cells), header_rows=0)


def _runs(values: list[str | None], start: int) -> list[tuple[int, int, str | None]]:
    """Consecutive equal values as (first index + start, length, value)."""
    out: list[tuple[int, int, str | None]] = []
    for i, v in enumerate(values):
        if out and out[-1][2] == v and v is not None:
            first, length, _ = out[-1]
            out[-1] = (first, length + 1, v)
        else:
            out.append((i + start, 1, v))
    return out


def section3_grid(report: AnnualReport) -> Grid:
    """表三 with the official merged header and the three merged label columns."""
    org = COLUMNS.index(ORGANISATION_COLUMNS[0]) + 3
    cells = [Cell(0, 0, CORNER, rowspan=3, colspan=3, header=True),
             Cell(0, 3, APPLICANT_HEADER, colspan=len(COLUMNS), header=True),
             Cell(1, org, ORGANISATION_HEADER, colspan=len(ORGANISATION_COLUMNS), header=True)]
    for c, col in enumerate(COLUMNS, start=3):
        if col in ORGANISATION_COLUMNS:
            cells.append(Cell(2, c, COLUMN_TITLES[col], header=True))
        else:
            cells.append(Cell(1, c, COLUMN_TITLES[col], rowspan=2, header=True))
    top = 3
    for first, length, part in _runs([r.part for r in ROWS], top):
        if ROWS[first - top].label == part:  # 一、二、四: one label over the three columns
            cells.append(Cell(first, 0, part or "", colspan=3, header=True))
        else:
            cells.append(Cell(first, 0, part or "", rowspan=length, header=True))
    for first, length, group in _runs([r.group for r in ROWS], top):
        row = ROWS[first - top]
        if group is not None:
            cells.append(Cell(first, 1, group, rowspan=length, header=True))
        elif row.label != row.part:  # （一）（二）（七）: over the second and third columns
            cells.append(Cell(first, 1, row.label, colspan=2, header=True))
    for i, row in enumerate(ROWS, start=top):
        if row.group is not None:
            cells.append(Cell(i, 2, row.label, header=True))
        for c, col in enumerate(COLUMNS, start=3):
            value = report.section3[row.key][col]
            cells.append(Cell(i, c, str(value), value=value, key=("3", row.key, col)))
    return Grid(top + len(ROWS), 3 + len(COLUMNS), tuple(cells), header_rows=top)


def section4_grid(report: AnnualReport) -> Grid:
    """表四: 行政复议 (5 columns) | 行政诉讼 split into 未经复议直接起诉 and 复议后起诉 (5 each), one data row."""
    n = len(APPEAL_COLUMNS)
    cells = [Cell(0, 0, RECONSIDERATION_HEADER, colspan=n, header=True),
             Cell(0, n, LITIGATION_HEADER, colspan=2 * n, header=True)]
    for g, (group, label) in enumerate(APPEAL_GROUPS):
        for j, col in enumerate(APPEAL_COLUMNS):
            c = g * n + j
            if g == 0:
                cells.append(Cell(1, c, APPEAL_COLUMN_TITLES[col], rowspan=2, header=True))
            else:
                cells.append(Cell(2, c, APPEAL_COLUMN_TITLES[col], header=True))
            value = report.section4[group][col]
            cells.append(Cell(3, c, str(value), value=value, key=("4", group, col)))
        if g > 0:
            cells.append(Cell(1, g * n, label, colspan=n, header=True))
    return Grid(4, 3 * n, tuple(cells), header_rows=3)
