"""Reading a ledger (台账) file: CSV or XLSX rows under English or Chinese headers, with their line numbers."""

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from workflow.errors import InputError

Cell = str | date | None
MAX_LISTED = 50

# The one mapping table: field → the headers accepted for it (the field's own name first).
APPLICATION_HEADERS: dict[str, tuple[str, ...]] = {
    "number": ("number", "编号", "申请编号", "案件编号"),
    "applicant_name": ("applicant_name", "申请人", "申请人姓名或名称", "申请人姓名", "申请人名称"),
    "applicant_type": ("applicant_type", "申请人类型"),
    "channel": ("channel", "申请方式", "渠道", "提交方式"),
    "received_on": ("received_on", "收到日期", "收到申请日期", "收到申请之日"),
    "request": ("request", "申请内容"),
    "state": ("state", "状态", "办理状态"),
    "outcome": ("outcome", "办理结果"),
    "concluded_on": ("concluded_on", "办结日期"),
    "applicant_contact": ("applicant_contact", "联系方式"),
}
APPLICATION_OPTIONAL = frozenset({"applicant_contact"})

APPEAL_HEADERS: dict[str, tuple[str, ...]] = {
    "application_number": ("application_number", "申请编号", "案件编号"),
    "kind": ("kind", "类型", "复议诉讼类型"),
    "route": ("route", "起诉方式"),
    "received_on": ("received_on", "收到日期"),
    "decision": ("decision", "结果", "决定"),
    "decided_on": ("decided_on", "审结日期"),
    "body": ("body", "复议机关/法院", "复议机关", "法院"),
}
APPEAL_OPTIONAL = frozenset({"body"})


class ImportRejected(InputError):
    """A ledger with bad rows: every (line, reason), and nothing imported."""

    def __init__(self, name: str, problems: list[tuple[int, str]]) -> None:
        self.problems = sorted(problems)
        listed = [f"第 {line} 行：{reason}" for line, reason in self.problems[:MAX_LISTED]]
        more = len(self.problems) - MAX_LISTED
        tail = [f"另有 {more} 行错误" if more > 0 else ""]
        lines = len({line for line, _ in self.problems})
        super().__init__("\n".join([f"台账 {name} 有 {lines} 行有误，未导入任何数据：", *listed, *tail]).rstrip())


@dataclass(frozen=True)
class Row:
    """One data row: its line in the spreadsheet (header = line 1) and its cells by field."""

    line: int
    cells: Mapping[str, Cell]

    def text(self, name: str) -> str:
        """The cell as stripped text ('' when empty; a date as YYYY-MM-DD)."""
        value = self.cells.get(name)
        return value.isoformat() if isinstance(value, date) else (value or "")


def _cell(value: object) -> Cell:
    """A spreadsheet value as text or a date (Excel numbers without a spurious '.0')."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _csv_rows(path: Path) -> Iterator[list[object]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        yield from csv.reader(io.StringIO(text, newline=""))
        return
    raise ImportRejected(path.name, [(1, "文件编码无法识别（应为 UTF-8 或 GB18030/GBK）")])


def _xlsx_rows(path: Path) -> Iterator[list[object]]:
    from openpyxl import load_workbook  # only when a workbook is read

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or mislabelled file
        why = "无法读取：不是有效的 .xlsx 文件，或文件已损坏（旧版 .xls 请先另存为 .xlsx）"
        raise ImportRejected(path.name, [(1, why)]) from exc
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        book.close()


def _header(name: str, raw: list[object], table: Mapping[str, tuple[str, ...]],
            optional: frozenset[str]) -> list[str | None]:
    """The field of each column; refuses unknown, repeated and missing headers, naming them."""
    accepted = {h: field for field, names in table.items() for h in names}
    fields: list[str | None] = []
    problems: list[str] = []
    for value in raw:
        text = "" if value is None else str(value).strip().lstrip("\ufeff")
        field = accepted.get(text)
        if text and field is None:
            problems.append(f"未知的列名「{text}」")
        elif field is not None and field in fields:
            problems.append(f"列「{text}」与其他列重复（都表示 {field}）")
        fields.append(field)
    missing = [f"{field}（{'/'.join(names[1:])}）" for field, names in table.items()
               if field not in fields and field not in optional]
    if missing:
        problems.append(f"缺少必填列：{'、'.join(missing)}")
    if problems:
        raise ImportRejected(name, [(1, "；".join(problems))])
    return fields


def read_rows(path: Path, table: Mapping[str, tuple[str, ...]], optional: frozenset[str]) -> list[Row]:
    """Every non-blank data row of a .csv or .xlsx ledger, its cells keyed by field."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(f"不支持的文件类型「{path.suffix or path.name}」：台账须为 .csv 或 .xlsx 文件")
    if not path.is_file():
        raise InputError(f"找不到文件 {path}")
    source = _csv_rows(path) if suffix == ".csv" else _xlsx_rows(path)
    first = next(source, None)
    if first is None:
        raise ImportRejected(path.name, [(1, "文件为空，没有表头")])
    fields = _header(path.name, first, table, optional)
    rows: list[Row] = []
    overflowing: list[tuple[int, str]] = []
    pairs = [(i, f) for i, f in enumerate(fields) if f is not None]
    for line, values in enumerate(source, start=2):
        extra = [str(v).strip() for v in values[len(fields):] if v is not None and str(v).strip()]
        if extra:  # a shifted row: its cells no longer sit under their headers
            overflowing.append((line, f"有 {len(fields) + len(extra)} 个非空单元格，表头只有 {len(fields)} 列"
                                      f"（多出：{'、'.join(extra)}），该行可能错位"))
        if suffix == ".csv":  # text already: only strip it
            cells: dict[str, Cell] = {f: (str(values[i]).strip() or None) if i < len(values) else None
                                      for i, f in pairs}
        else:
            cells = {f: _cell(values[i]) if i < len(values) else None for i, f in pairs}
        if any(v is not None for v in cells.values()):
            rows.append(Row(line, cells))
    if overflowing:
        raise ImportRejected(path.name, overflowing)
    return rows


_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")


def parse_date(value: Cell) -> date | None:
    """A date cell: an Excel date, or YYYY-MM-DD / YYYY/M/D / YYYY年M月D日 text; None if not a date."""
    if value is None or isinstance(value, date):
        return value
    if len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    match = _DATE.fullmatch(value)
    if match is None:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
