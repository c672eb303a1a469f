"""The annual report as one self-contained, print-ready HTML page, each non-zero cell linked to its cases."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from states.appeals import DECISIONS
from states.outcomes import APPLICANT_LABELS, OUTCOMES, ApplicantType
from states.report_format import APPEAL_COLUMN_TITLES, SECTIONS, cell_name
from workflow.report.layout import (
    LATE_CHANGE_HEADER,
    PLACEHOLDER,
    Cell,
    Grid,
    check_lines,
    check_warning,
    fee_sentence,
    late_change_cells,
    lock_line,
    narrative,
    report_title,
    section2_grid,
    section3_grid,
    section4_grid,
)
from workflow.report.model import AnnualReport, CellCase, cell_key

TEMPLATES = Path(__file__).resolve().parent / "templates"
APPENDIX_TITLE = "附：统计明细"
CASE_HEADER: tuple[str, ...] = ("申请编号", "申请人", "收到日期", "办结日期", "办理结果")
APPEAL_HEADER: tuple[str, ...] = ("复议诉讼编号", "申请编号", "申请人", "收到日期", "决定")
NOT_CONCLUDED = "（未办结）"


@dataclass(frozen=True)
class HtmlCell:
    """A grid cell as the template prints it."""

    tag: str
    text: str
    rowspan: int
    colspan: int
    data: dict[str, str]
    href: str | None


def anchor(section: str, row: str, column: str) -> str:
    """The HTML id of a cell's drill-down block, e.g. cell-3-3_1-natural ('.' is not safe in an id)."""
    return "cell-" + cell_key(section, row, column).replace("/", "-").replace(".", "_")


def _html_cell(cell: Cell) -> HtmlCell:
    data: dict[str, str] = {}
    href = None
    if cell.key is not None:
        section, row, col = cell.key
        data = {"data-section": section, "data-row": row, "data-col": col}
        if section in ("3", "4") and cell.value:
            href = "#" + anchor(section, row, col)
    return HtmlCell("th" if cell.header else "td", cell.text, cell.rowspan, cell.colspan, data, href)


def _rows(grid: Grid) -> list[list[HtmlCell]]:
    return [[_html_cell(c) for c in row] for row in grid.by_row()]


def _applicant(case: CellCase) -> str:
    try:
        return f"{case.applicant_name}（{APPLICANT_LABELS[ApplicantType(case.applicant_type)]}）"
    except ValueError:
        return case.applicant_name


def _outcome(code: str | None) -> str:
    if code is None or code not in OUTCOMES:
        return code or NOT_CONCLUDED
    o = OUTCOMES[code]
    return o.label if o.label == o.group_label else f"{o.group_label} / {o.label}"


def _case_row(section: str, case: CellCase) -> list[str]:
    if section == "4":
        decision = case.decision
        label = DECISIONS[decision].label if decision in DECISIONS else decision or APPEAL_COLUMN_TITLES["pending"]
        received = case.appeal_received_on or case.received_on
        return [str(case.appeal_id or ""), case.number, _applicant(case), received.isoformat(), label]
    concluded = case.concluded_on.isoformat() if case.concluded_on else NOT_CONCLUDED
    return [case.number, _applicant(case), case.received_on.isoformat(), concluded, _outcome(case.outcome)]


LISTED_PER_CELL = 500  # a city-wide year lists tens of thousands of cases: the page keeps the first ones per cell


def _more(report: AnnualReport, row: str, col: str, listed: int, total: int) -> str | None:
    """Where to find the rest of a long cell: the command that lists every case behind it."""
    if total <= listed:
        return None
    return f"共 {total} 件，此处列出前 {listed} 件；全部案件：ogi report cell {report.year} {row} {col}"


def _appendix(report: AnnualReport, grids: list[Grid]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for grid in grids:
        for cell in grid.cells:
            if cell.key is None or not cell.value:
                continue
            section, row, col = cell.key
            cases = report.cells.get(cell_key(section, row, col), [])
            shown = cases[:LISTED_PER_CELL]
            blocks.append({"id": anchor(section, row, col), "title": cell_name(section, row, col),
                           "value": cell.value, "header": APPEAL_HEADER if section == "4" else CASE_HEADER,
                           "cases": [_case_row(section, c) for c in shown],
                           "more": _more(report, row, col, len(shown), len(cases))})
    return blocks


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES, encoding="utf-8"), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html", "htm", "j2"]), keep_trailing_newline=True)


def render_html(report: AnnualReport) -> str:
    """The report as one HTML page (inline CSS, A4 @page); the appendix 「附：统计明细」 is not printed."""
    grids = [section3_grid(report), section4_grid(report)]
    context = {
        "title": report_title(report),
        "sections": dict(SECTIONS),
        "placeholder": PLACEHOLDER,
        "narrative": {s: narrative(report, s) for s in ("1", "5", "6")},
        "section2": _rows(section2_grid(report)),
        "section3": _rows(grids[0]),
        "section4": _rows(grids[1]),
        "fees": fee_sentence(report.fees),
        "lock": lock_line(report),
        "late_header": LATE_CHANGE_HEADER,
        "late_changes": [late_change_cells(c) for c in report.late_changes],
        "checks": check_lines(report),
        "check_warning": check_warning(report),
        "appendix_title": APPENDIX_TITLE,
        "appendix": _appendix(report, grids),
    }
    return _environment().get_template("report.html").render(context)
