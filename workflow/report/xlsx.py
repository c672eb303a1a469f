"""The annual report's tables (表二、表三、表四) as an Excel workbook with the official merged cells."""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from states.report_format import SECTION_TITLES
from workflow.report.layout import (
    Grid,
    check_lines,
    check_warning,
    lock_line,
    report_title,
    section2_grid,
    section3_grid,
    section4_grid,
)
from workflow.report.model import AnnualReport

TOP = 3  # row 1: the report's title, row 2: the section heading, the table from row 3
_THIN = Side(style="thin", color="000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
FONT = "仿宋"
# Column widths per section, in characters: label columns wide and wrapped, figure columns narrow.
WIDTHS: dict[str, list[float]] = {"2": [22.0, 16.0, 16.0, 16.0], "3": [12.0, 16.0, 36.0] + [10.0] * 7, "4": [10.0] * 15}


def _write_grid(ws: Worksheet, grid: Grid) -> None:
    for cell in grid.cells:
        row, col = TOP + cell.row, 1 + cell.col
        target = ws.cell(row=row, column=col)
        if cell.is_figure:
            target.value = cell.value  # int, Decimal or blank: stored as numbers, never as text
            target.alignment = Alignment(horizontal="center", vertical="center")
        else:
            target.value = cell.text
            centred = cell.header and (cell.colspan > 1 or cell.row < grid.header_rows or grid.header_rows == 0)
            target.alignment = Alignment(horizontal="center" if centred else "left", vertical="center",
                                         wrap_text=True)
        target.font = Font(name=FONT, size=10.5)
        for r in range(row, row + cell.rowspan):
            for c in range(col, col + cell.colspan):
                ws.cell(row=r, column=c).border = BORDER
        if cell.rowspan > 1 or cell.colspan > 1:
            ws.merge_cells(start_row=row, start_column=col, end_row=row + cell.rowspan - 1,
                           end_column=col + cell.colspan - 1)


def _sheet(wb: Workbook, report: AnnualReport, section: str, grid: Grid) -> None:
    ws = wb.create_sheet(SECTION_TITLES[section][:31])
    for row, text, size in ((1, report_title(report), 14), (2, SECTION_TITLES[section], 12)):
        ws.cell(row=row, column=1, value=text).font = Font(name=FONT, size=size, bold=row == 1)
        ws.cell(row=row, column=1).alignment = Alignment(horizontal="center" if row == 1 else "left")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=grid.cols)
    _write_grid(ws, grid)
    warning = check_warning(report)
    notes = [warning, *check_lines(report)] if warning else []
    lock = lock_line(report)
    for i, note in enumerate([*notes, *([lock] if lock else [])]):
        ws.cell(row=TOP + grid.rows + 1 + i, column=1, value=note).font = Font(name=FONT, size=10.5, bold=True)
    for i, width in enumerate(WIDTHS[section], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = ws.cell(row=TOP + grid.header_rows, column=1)


def render_xlsx(report: AnnualReport) -> bytes:
    """The workbook: one sheet per section 2, 3 and 4, numbers as numbers, merged cells as in the official table."""
    wb = Workbook()
    if wb.active is not None:
        wb.remove(wb.active)
    _sheet(wb, report, "2", section2_grid(report))
    _sheet(wb, report, "3", section3_grid(report))
    _sheet(wb, report, "4", section4_grid(report))
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
