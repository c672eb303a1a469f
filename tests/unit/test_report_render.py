"""The annual report renderers: every format prints the official labels and exactly the JSON's numbers."""

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook

import states.report_format as rf
from workflow.errors import InputError
from workflow.report import FORMATS, render
from workflow.report.html import LISTED_PER_CELL
from workflow.report.model import AnnualReport, CellCase, FeeFigures, IdentityFailure, LateChangeRow, cell_key

Grid = dict[tuple[int, int], tuple[str, dict[str, str]]]  # (row, col) → (text, attributes of the origin cell)
ZERO_ROW = "6.3"  # a row left all zero: its cells must not link anywhere


def _report(**kwargs: object) -> AnnualReport:
    report = AnnualReport("某某市某某局", 2024, **kwargs)  # type: ignore[arg-type]
    for i, row in enumerate(rf.ROWS):
        for j, col in enumerate(rf.COLUMNS):
            report.section3[row.key][col] = 0 if row.key == ZERO_ROW else 100 * (i + 1) + j + 1
    for g, (group, _) in enumerate(rf.APPEAL_GROUPS):
        for j, col in enumerate(rf.APPEAL_COLUMNS):
            report.section4[group][col] = 0 if (g, j) == (1, 0) else 10 * (g + 1) + j + 1
    report.section2 = {"article20_1": {"rules": {"issued": 3, "repealed": 1, "in_force": 17},
                                       "normative_documents": {"issued": 8, "repealed": None, "in_force": 42}},
                       "article20_8": {"charges": {"amount": Decimal("12.35")}}}
    return report


def _case(number: str, **kwargs: object) -> CellCase:
    base: dict[str, object] = {"applicant_name": "张三", "applicant_type": "natural", "received_on": date(2024, 3, 1),
                               "concluded_on": date(2024, 3, 20), "outcome": "3.1"}
    return CellCase(number, **{**base, **kwargs})  # type: ignore[arg-type]


class _Tables(HTMLParser):
    """Tables as grids honouring rowspan/colspan, plus every id and each appendix section's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[Grid] = []
        self.ids: dict[str, list[str]] = {}
        self.text: list[str] = []
        self._row = -1
        self._cell: tuple[int, int, int, dict[str, str]] | None = None
        self._buf: list[str] = []
        self._section: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids[a["id"]] = []
            self._section = a["id"] if tag == "section" else self._section
        if tag == "table":
            self.tables.append({})
            self._row = -1
        elif tag == "tr":
            self._row += 1
        elif tag in ("td", "th"):
            grid, col = self.tables[-1], 0
            while (self._row, col) in grid:
                col += 1
            self._cell = (col, int(a.get("rowspan", "1")), int(a.get("colspan", "1")), a)
            self._buf = []
        elif tag == "a" and self._cell is not None:
            self._cell[3]["href"] = a["href"]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            col, rowspan, colspan, attrs = self._cell
            text = "".join(self._buf).strip()
            for r in range(self._row, self._row + rowspan):
                for c in range(col, col + colspan):
                    self.tables[-1][(r, c)] = (text, attrs)
            if self._section:
                self.ids[self._section].append(text)
            self._cell = None
        elif tag == "section":
            self._section = None

    def handle_data(self, data: str) -> None:
        self._buf.append(data)
        self.text.append(data)


def _parse_html(report: AnnualReport) -> _Tables:
    parser = _Tables()
    parser.feed(render(report, "html").decode("utf-8"))
    return parser


def _table_with(parser: _Tables, attr: str, value: str) -> Grid:
    return next(t for t in parser.tables if any(a.get(attr) == value for _, a in t.values()))


def test_json_is_exactly_the_spec_form() -> None:
    report = _report(checks=[IdentityFailure("r", ("c",), "1 ≠ 2")], locked_on=date(2025, 1, 10), locked_by="王")
    data = json.loads(render(report, "json").decode("utf-8"))
    assert data == report.to_json()
    assert set(data) == {"agency", "year", "section3", "section4"}
    assert list(data["section3"]["total"]) == list(rf.COLUMNS)


def test_html_section3_has_the_official_header_labels_and_every_number() -> None:
    report = _report()
    grid = _table_with(_parse_html(report), "data-section", "3")
    for r in range(3):
        for c in range(3):
            assert grid[(r, c)][0] == rf.CORNER
    assert [grid[(0, c)][0] for c in range(3, 10)] == [rf.APPLICANT_HEADER] * 7
    assert grid[(1, 3)][0] == grid[(2, 3)][0] == rf.COLUMN_TITLES["natural"]
    assert grid[(1, 9)][0] == grid[(2, 9)][0] == rf.COLUMN_TITLES["total"]
    assert [grid[(1, c)][0] for c in range(4, 9)] == [rf.ORGANISATION_HEADER] * 5
    assert [grid[(2, c)][0] for c in range(4, 9)] == [rf.COLUMN_TITLES[k] for k in rf.ORGANISATION_COLUMNS]
    data = report.to_json()["section3"]
    for i, row in enumerate(rf.ROWS, start=3):
        assert grid[(i, 0)][0] == row.part
        assert grid[(i, 1)][0] == (row.group or row.label)
        assert grid[(i, 2)][0] == row.label
        for j, col in enumerate(rf.COLUMNS, start=3):
            text, attrs = grid[(i, j)]
            assert (attrs["data-section"], attrs["data-row"], attrs["data-col"]) == ("3", row.key, col)
            assert int(text) == data[row.key][col]
    assert max(r for r, _ in grid) == 2 + len(rf.ROWS)


def test_html_section4_has_the_official_header_and_every_number() -> None:
    report = _report()
    grid = _table_with(_parse_html(report), "data-section", "4")
    assert [grid[(0, c)][0] for c in range(15)] == [rf.RECONSIDERATION_HEADER] * 5 + [rf.LITIGATION_HEADER] * 10
    titles = [rf.APPEAL_COLUMN_TITLES[c] for c in rf.APPEAL_COLUMNS]
    assert [grid[(1, c)][0] for c in range(5)] == [grid[(2, c)][0] for c in range(5)] == titles
    assert [grid[(1, c)][0] for c in range(5, 15)] == [rf.APPEAL_GROUPS[1][1]] * 5 + [rf.APPEAL_GROUPS[2][1]] * 5
    assert [grid[(2, c)][0] for c in range(5, 15)] == titles * 2
    data = report.to_json()["section4"]
    for g, (group, _) in enumerate(rf.APPEAL_GROUPS):
        for j, col in enumerate(rf.APPEAL_COLUMNS):
            text, attrs = grid[(3, 5 * g + j)]
            assert (attrs["data-row"], attrs["data-col"]) == (group, col)
            assert int(text) == data[group][col]


def test_html_section2_prints_the_four_blocks_and_a_missing_figure_blank() -> None:
    grid = _table_with(_parse_html(_report()), "data-section", "2")
    texts = [[grid[(r, c)][0] for c in range(4)] for r in range(1 + max(r for r, _ in grid))]
    assert texts[0] == [rf.SECTION2[0].caption] * 4
    assert texts[1] == list(rf.SECTION2[0].header)
    assert texts[2] == ["规章", "3", "1", "17"]
    assert texts[3] == ["行政规范性文件", "8", "", "42"]
    assert texts[-1] == ["行政事业性收费", "12.35", "12.35", "12.35"]
    assert texts[4] == [rf.SECTION2[1].caption] * 4


def test_html_nonzero_cells_link_to_their_cases_and_zero_cells_do_not() -> None:
    report = _report()
    report.cells = {cell_key("3", "3.1", "natural"): [_case("2024-0001"), _case("2024-0002", applicant_name="李四")],
                    cell_key("4", "reconsideration", "upheld"): [
                        _case("2024-0009", appeal_id=77, decision="maintain", appeal_received_on=date(2024, 5, 6))]}
    parser = _parse_html(report)
    for section in ("3", "4"):
        for text, attrs in _table_with(parser, "data-section", section).values():
            if "data-section" not in attrs:
                continue
            if int(text):
                assert attrs["href"].lstrip("#") in parser.ids
            else:
                assert "href" not in attrs
    block = parser.ids["cell-3-3_1-natural"]
    assert "2024-0001" in block and "2024-0002" in block and "李四（自然人）" in block
    assert "（三）不予公开 / 1.属于国家秘密" in block
    appeal = parser.ids["cell-4-reconsideration-upheld"]
    assert {"77", "2024-0009", "维持", "2024-05-06"} <= set(appeal)
    assert rf.cell_name("3", "3.1", "natural") in "".join(parser.text)


def test_html_lists_a_long_cell_up_to_the_limit_and_says_how_to_see_the_rest() -> None:
    report = _report()
    many = [_case(f"2024-{i:05d}") for i in range(LISTED_PER_CELL + 7)]
    report.cells = {cell_key("3", "new", "total"): many}
    parser = _parse_html(report)
    shown = [text for text in parser.ids["cell-3-new-total"] if re.fullmatch(r"2024-\d{5}", text)]
    assert shown == [c.number for c in many[:LISTED_PER_CELL]]
    note = f"共 {len(many)} 件，此处列出前 {LISTED_PER_CELL} 件；全部案件：ogi report cell 2024 new total"
    assert note in "".join(parser.text)


def test_html_appendix_is_hidden_when_printing() -> None:
    page = render(_report(), "html").decode("utf-8")
    assert "@page" in page and "@media print { .appendix { display: none; }" in page
    assert "附：统计明细" in page and "<link" not in page and "<script" not in page


def test_missing_narrative_shows_the_placeholder_and_entered_paragraphs_are_kept() -> None:
    report = _report(narrative={"overview": "第一段，\n接上。\n  \n第二段。", "5": "问题。"})
    parser = _parse_html(report)
    text = "".join(parser.text)
    assert "第一段，接上。" in text and "第二段。" in text and "问题。" in text
    assert text.count("（待填写）") == 1  # section 6 only
    md = render(report, "md").decode("utf-8")
    assert md.count("（待填写）") == 1 and "问题。" in md
    docx = Document(io.BytesIO(render(report, "docx")))
    paragraphs = [p.text for p in docx.paragraphs]
    assert paragraphs.count("（待填写）") == 1 and "第一段，接上。" in paragraphs and "第二段。" in paragraphs
    assert render(_report(), "html").decode("utf-8").count("（待填写）") == 3


def test_every_format_has_the_title_the_six_headings_and_the_fee_sentence() -> None:
    report = _report(fees=FeeFigures(notices=3, notice_amount=Decimal("300"), payments=2, collected=Decimal("200")))
    fee = "本年度共发出收费通知 3 件，金额 300.00 元；实际收取信息处理费 200.00 元。"
    title = "某某市某某局2024年政府信息公开工作年度报告"
    for fmt in ("html", "md"):
        page = render(report, fmt).decode("utf-8")
        assert title in page and fee in page
        assert [page.index(t) for _, t in rf.SECTIONS] == sorted(page.index(t) for _, t in rf.SECTIONS)
    docx = Document(io.BytesIO(render(report, "docx")))
    assert docx.paragraphs[0].text == title
    headings = [p.text for p in docx.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert headings == [t for _, t in rf.SECTIONS]
    assert fee in [p.text for p in docx.paragraphs]


def test_failed_checks_are_shown_in_html_md_xlsx_and_docx() -> None:
    failure = IdentityFailure("新收 + 上年结转 = （七）总计 + 结转下年度", ("表三「（七）总计」×「自然人」",),
                              "12 + 3 ≠ 10 + 4")
    report = _report(checks=[failure])
    warning = "注意：以下 1 项勾稽关系校验未通过，本报告数据有误，请核实后再发布。"
    line = f"{failure.rule}：{failure.cells[0]}：{failure.detail}"
    for fmt in ("html", "md"):
        page = render(report, fmt).decode("utf-8")
        assert warning in page and line in page
    docx = [p.text for p in Document(io.BytesIO(render(report, "docx"))).paragraphs]
    assert warning in docx and line in docx
    book = load_workbook(io.BytesIO(render(report, "xlsx")))
    for ws in book.worksheets:  # every sheet carries the warning under its table
        values = [c.value for row in ws.iter_rows() for c in row if c.value]
        assert warning in values and line in values, ws.title
    assert "校验未通过" not in render(_report(), "html").decode("utf-8")


def test_lock_line_and_late_changes_appear() -> None:
    change = LateChangeRow(datetime(2025, 2, 3, 17, 0, tzinfo=UTC), date(2024, 12, 30), "2024-0042", "办结", "admin",
                           "漏登办结")
    report = _report(locked_on=date(2025, 1, 10), locked_by="李科长", late_changes=[change])
    line = "本报告数据已于 2025-01-10 锁定（锁定人：李科长）"
    parser = _parse_html(report)
    assert line in "".join(parser.text)
    late = next(t for t in parser.tables if (0, 4) in t and t[(0, 4)][0] == "理由")
    assert [late[(1, c)][0] for c in range(2)] == ["2025-02-04", "2024-0042"]
    assert late[(1, 3)][0] == "admin" and late[(1, 4)][0] == "漏登办结"
    docx = Document(io.BytesIO(render(report, "docx")))
    assert line in [p.text for p in docx.paragraphs]
    assert "漏登办结" in [c.text for t in docx.tables for c in t.rows[-1].cells]
    assert "锁定" not in render(_report(), "html").decode("utf-8")


def _xl(ws: Any, row: int, col: int) -> Any:
    """A cell's value as displayed: a merged range shows its top-left cell."""
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
            return ws.cell(rng.min_row, rng.min_col).value
    return ws.cell(row, col).value


def test_xlsx_has_the_merged_header_and_int_cells_equal_to_the_json() -> None:
    report = _report()
    wb = load_workbook(io.BytesIO(render(report, "xlsx")))
    assert wb.sheetnames == [rf.SECTIONS[1][1], rf.SECTIONS[2][1], rf.SECTIONS[3][1]]
    ws3 = wb[rf.SECTIONS[2][1]]
    merged = {str(r) for r in ws3.merged_cells.ranges}
    assert {"A3:C5", "D3:J3", "D4:D5", "E4:I4", "J4:J5", "A8:A29", "B10:B17"} <= merged
    assert ws3["A3"].value == rf.CORNER and ws3["E4"].value == rf.ORGANISATION_HEADER
    data = report.to_json()
    for i, row in enumerate(rf.ROWS, start=6):
        assert (_xl(ws3, i, 1), _xl(ws3, i, 2), _xl(ws3, i, 3)) == (row.part, row.group or row.label, row.label)
        for j, col in enumerate(rf.COLUMNS, start=4):
            value = ws3.cell(i, j).value
            assert type(value) is int and value == data["section3"][row.key][col]
    ws4 = wb[rf.SECTIONS[3][1]]
    assert {"A3:E3", "F3:O3", "A4:A5", "F4:J4", "K4:O4"} <= {str(r) for r in ws4.merged_cells.ranges}
    numbers = [ws4.cell(6, c).value for c in range(1, 16)]
    assert numbers == [data["section4"][g][c] for g, _ in rf.APPEAL_GROUPS for c in rf.APPEAL_COLUMNS]
    ws2 = wb[rf.SECTIONS[1][1]]
    assert ws2["B5"].value == 3 and ws2["C6"].value is None and ws2["B16"].value == pytest.approx(12.35)


def test_docx_tables_have_merged_headers_labels_and_the_json_numbers() -> None:
    report = _report()
    doc = Document(io.BytesIO(render(report, "docx")))
    table3 = next(t for t in doc.tables if t.cell(0, 0).text == rf.CORNER)
    cells3 = table3._cells  # Table.cell() rebuilds this list on every call

    def cell3(r: int, c: int) -> Any:
        return cells3[r * 10 + c]

    assert cell3(0, 0)._tc is cell3(2, 2)._tc and cell3(0, 3)._tc is cell3(0, 9)._tc
    assert cell3(1, 4)._tc is cell3(1, 8)._tc and cell3(1, 4).text == rf.ORGANISATION_HEADER
    assert cell3(1, 3)._tc is cell3(2, 3)._tc and cell3(3, 0)._tc is cell3(3, 2)._tc
    data = report.to_json()
    for i, row in enumerate(rf.ROWS, start=3):
        assert (cell3(i, 0).text, cell3(i, 1).text, cell3(i, 2).text) == (row.part, row.group or row.label, row.label)
        assert [int(cell3(i, j).text) for j in range(3, 10)] == [data["section3"][row.key][c] for c in rf.COLUMNS]
    table4 = next(t for t in doc.tables if t.cell(0, 0).text == rf.RECONSIDERATION_HEADER)
    assert table4.cell(0, 5)._tc is table4.cell(0, 14)._tc and table4.cell(0, 5).text == rf.LITIGATION_HEADER
    assert [int(table4.cell(3, c).text) for c in range(15)] == [
        data["section4"][g][c] for g, _ in rf.APPEAL_GROUPS for c in rf.APPEAL_COLUMNS]
    fonts = doc.paragraphs[0].runs[0]._element.xml
    assert 'w:eastAsia="' in fonts


def test_markdown_tables_carry_flattened_headers_and_the_json_numbers() -> None:
    report = _report()
    lines = render(report, "md").decode("utf-8").splitlines()
    header = "| " + " | ".join(["", *(rf.COLUMN_TITLES[c] for c in rf.COLUMNS)]) + " |"
    start = lines.index(header) + 2
    data = report.to_json()["section3"]
    for k, row in enumerate(rf.ROWS):
        cells = [c.strip() for c in lines[start + k].strip("|").split("|")]
        label = row.label if row.group is None else f"{row.group} / {row.label}"
        assert cells == [label, *(str(data[row.key][c]) for c in rf.COLUMNS)]
    assert "| 行政诉讼 / 复议后起诉 | " + " | ".join(
        str(report.section4["litigation_after_reconsideration"][c]) for c in rf.APPEAL_COLUMNS) + " |" in lines


def test_csv_has_a_bom_and_one_line_per_table_row_with_the_json_numbers() -> None:
    report = _report()
    raw = render(report, "csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[0] == ["section", "row", "row_label", *(rf.COLUMN_TITLES[c] for c in rf.COLUMNS)]
    data = report.to_json()
    for k, row in enumerate(rf.ROWS, start=1):
        assert lines[k][:2] == ["3", row.key]
        assert [int(v) for v in lines[k][3:]] == [data["section3"][row.key][c] for c in rf.COLUMNS]
    titles = [rf.APPEAL_COLUMN_TITLES[c] for c in rf.APPEAL_COLUMNS]
    assert lines[len(rf.ROWS) + 2] == ["section", "group", "group_label", *titles]
    for g, (group, _) in enumerate(rf.APPEAL_GROUPS, start=len(rf.ROWS) + 3):
        assert lines[g][:2] == ["4", group]
        assert [int(v) for v in lines[g][3:]] == [data["section4"][group][c] for c in rf.APPEAL_COLUMNS]


def test_unknown_format_is_refused_in_chinese_listing_the_formats() -> None:
    with pytest.raises(InputError) as refused:
        render(_report(), "pdf")
    assert "不支持" in str(refused.value) and all(f in str(refused.value) for f in FORMATS)
