"""The complete annual report as a Word document a clerk completes and publishes (python-docx)."""

from io import BytesIO

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from notifications.docx_text import chinese_run
from states.report_format import SECTIONS
from workflow.report.layout import (
    LATE_CHANGE_HEADER,
    PLACEHOLDER,
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
from workflow.report.model import AnnualReport

BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
TITLE_FONT = "宋体"
# Column widths in cm per table (A4 with 2 cm margins leaves 17 cm): label columns wide, figures narrow.
WIDTHS: dict[int, list[float]] = {4: [5.0, 4.0, 4.0, 4.0], 10: [1.4, 2.0, 4.5] + [1.3] * 7, 15: [17 / 15] * 15}


def _run(paragraph: Paragraph, text: str, *, size: float, face: str = BODY_FONT, bold: bool = False) -> None:
    """Add a black run in the given Chinese face."""
    chinese_run(paragraph, text, size=size, face=face, bold=bold).font.color.rgb = RGBColor(0, 0, 0)


def _paragraph(doc: DocumentObject, text: str, *, indent: bool = True, bold: bool = False) -> Paragraph:
    p = doc.add_paragraph()
    if indent:
        p.paragraph_format.first_line_indent = Pt(28)
    _run(p, text, size=14, bold=bold)
    return p


def _heading(doc: DocumentObject, text: str) -> None:
    heading = doc.add_heading(level=1)
    _run(heading, text, size=16, face=HEADING_FONT)


def _cell_text(cell: _Cell, text: str, *, centre: bool) -> None:
    paragraph = cell.paragraphs[0]
    if centre:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(paragraph, text, size=9)


def _grid(doc: DocumentObject, grid: Grid) -> None:
    table = doc.add_table(rows=grid.rows, cols=grid.cols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = WIDTHS.get(grid.cols, [17 / grid.cols] * grid.cols)
    for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
        column.w = Cm(width)
    # Table.cell() rebuilds the whole cell list on every call; take the list once before and once after merging.
    before = table._cells
    for c in grid.cells:
        if c.rowspan > 1 or c.colspan > 1:
            end = (c.row + c.rowspan - 1) * grid.cols + c.col + c.colspan - 1
            before[c.row * grid.cols + c.col].merge(before[end])
    after = table._cells
    for c in grid.cells:
        cell = after[c.row * grid.cols + c.col]
        cell.width = Cm(sum(widths[c.col:c.col + c.colspan]))
        _cell_text(cell, c.text, centre=c.is_figure or c.colspan > 1 or c.row < grid.header_rows)


def _narrative(doc: DocumentObject, report: AnnualReport, section: str) -> None:
    for text in narrative(report, section) or [PLACEHOLDER]:
        _paragraph(doc, text)


def _late_changes(doc: DocumentObject, report: AnnualReport) -> None:
    rows = [LATE_CHANGE_HEADER, *(late_change_cells(c) for c in report.late_changes)]
    table = doc.add_table(rows=len(rows), cols=len(LATE_CHANGE_HEADER))
    table.style = "Table Grid"
    cells = table._cells
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            _cell_text(cells[r * len(values) + c], value, centre=r == 0)


def render_docx(report: AnnualReport) -> bytes:
    """The report as .docx: title, the six headings, narrative or 「（待填写）」, tables 二、三、四, fees, lock line."""
    doc = Document()
    for page in doc.sections:  # A4 portrait, 2 cm margins
        page.page_width, page.page_height = Cm(21), Cm(29.7)
        page.left_margin = page.right_margin = Cm(2)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(title, report_title(report), size=22, face=TITLE_FONT, bold=True)
    warning = check_warning(report)
    for line in [warning, *check_lines(report)] if warning else []:
        _paragraph(doc, line, indent=False, bold=True)
    lock = lock_line(report)
    if lock:
        _paragraph(doc, lock, indent=False, bold=True)
        if report.late_changes:
            _late_changes(doc, report)
    headings = dict(SECTIONS)
    _heading(doc, headings["1"])
    _narrative(doc, report, "1")
    for section, grid in (("2", section2_grid(report)), ("3", section3_grid(report)), ("4", section4_grid(report))):
        _heading(doc, headings[section])
        _grid(doc, grid)
    _heading(doc, headings["5"])
    _narrative(doc, report, "5")
    _heading(doc, headings["6"])
    _narrative(doc, report, "6")
    _paragraph(doc, fee_sentence(report.fees))
    buffer = BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
