"""The annual report as Markdown (quick reading) and as CSV (sections 3 and 4, for spreadsheets).

CSV layout — UTF-8 with a BOM so Excel opens it, comma-separated, two blocks separated by one empty line:

    section,row,row_label,自然人,商业企业,科研机构,社会公益组织,法律服务机构,其他,总计
    3,new,一、本年新收政府信息公开申请数量,…            (25 lines: new, carried_in, 1 … 6.3, total, carried_out)

    section,group,group_label,结果维持,结果纠正,其他结果,尚未审结,总计
    4,reconsideration,行政复议,…                         (3 lines, the groups of SPEC §8)

`row` and `group` are the JSON keys of SPEC §8; a section 3 label under a group reads
「（三）不予公开 / 1.属于国家秘密」, and a litigation group reads 「行政诉讼 / 未经复议直接起诉」.
"""

import csv
import io

from states.report_format import (
    APPEAL_COLUMN_TITLES,
    APPEAL_COLUMNS,
    APPEAL_GROUPS,
    COLUMN_TITLES,
    COLUMNS,
    LITIGATION_HEADER,
    ROWS,
    SECTION2,
    SECTIONS,
)
from workflow.report.layout import (
    LATE_CHANGE_HEADER,
    PLACEHOLDER,
    check_lines,
    check_warning,
    fee_sentence,
    figure_text,
    late_change_cells,
    lock_line,
    narrative,
    report_title,
    row_label,
)
from workflow.report.model import AnnualReport

SECTION3_HEAD: tuple[str, ...] = ("section", "row", "row_label", *(COLUMN_TITLES[c] for c in COLUMNS))
SECTION4_HEAD: tuple[str, ...] = ("section", "group", "group_label", *(APPEAL_COLUMN_TITLES[c] for c in APPEAL_COLUMNS))


def group_label(group: str, label: str) -> str:
    """A section 4 group's flattened label: 行政复议, or 「行政诉讼 / 未经复议直接起诉」."""
    return label if group == APPEAL_GROUPS[0][0] else f"{LITIGATION_HEADER} / {label}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return [*lines, ""]


def _paragraphs(report: AnnualReport, section: str) -> list[str]:
    items = narrative(report, section) or [PLACEHOLDER]
    return [line for p in items for line in (p, "")]


def render_md(report: AnnualReport) -> str:
    """The report as Markdown: the six sections, flattened table headers, combined row labels."""
    title = dict(SECTIONS)
    out = [f"# {report_title(report)}", ""]
    warning = check_warning(report)
    if warning:
        out += [f"> **{warning}**", ">", *(f"> - {line}" for line in check_lines(report)), ""]
    lock = lock_line(report)
    if lock:
        out += [f"**{lock}**", ""]
        if report.late_changes:
            out += _table(list(LATE_CHANGE_HEADER), [list(late_change_cells(c)) for c in report.late_changes])
    out += [f"## {title['1']}", "", *_paragraphs(report, "1"), f"## {title['2']}", ""]
    for block in SECTION2:
        entered = report.section2.get(block.key, {})
        rows = [[label, *(figure_text(entered.get(key, {}).get(f)) for f in block.fields)] for key, label in block.rows]
        out += [f"**{block.caption}**", "", *_table(list(block.header), rows)]
    out += [f"## {title['3']}", ""]
    rows3 = [[row_label(r), *(str(report.section3[r.key][c]) for c in COLUMNS)] for r in ROWS]
    out += _table(["", *(COLUMN_TITLES[c] for c in COLUMNS)], rows3)
    out += [f"## {title['4']}", ""]
    rows4 = [[group_label(g, label), *(str(report.section4[g][c]) for c in APPEAL_COLUMNS)]
             for g, label in APPEAL_GROUPS]
    out += _table(["", *(APPEAL_COLUMN_TITLES[c] for c in APPEAL_COLUMNS)], rows4)
    out += [f"## {title['5']}", "", *_paragraphs(report, "5"), f"## {title['6']}", "", *_paragraphs(report, "6")]
    out.append(fee_sentence(report.fees))
    return "\n".join(out) + "\n"


def render_csv(report: AnnualReport) -> bytes:
    """Sections 3 and 4 as CSV (layout in the module docstring), UTF-8 with BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(SECTION3_HEAD)
    for r in ROWS:
        writer.writerow(["3", r.key, row_label(r), *(report.section3[r.key][c] for c in COLUMNS)])
    writer.writerow([])
    writer.writerow(SECTION4_HEAD)
    for g, label in APPEAL_GROUPS:
        writer.writerow(["4", g, group_label(g, label), *(report.section4[g][c] for c in APPEAL_COLUMNS)])
    return buffer.getvalue().encode("utf-8-sig")
