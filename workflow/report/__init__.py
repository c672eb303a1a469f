"""The annual report: its data model and its renderers (json, html, md, xlsx, docx, csv)."""

import json

from workflow.errors import InputError
from workflow.report.model import AnnualReport

FORMATS: tuple[str, ...] = ("json", "html", "md", "xlsx", "docx", "csv")

__all__ = ["FORMATS", "AnnualReport", "render"]


def render(report: AnnualReport, fmt: str) -> bytes:
    """The report in one of FORMATS, as the bytes of a file (text formats are UTF-8)."""
    if fmt == "json":
        return json.dumps(report.to_json(), ensure_ascii=False, indent=2).encode("utf-8")
    if fmt == "html":
        from workflow.report.html import render_html

        return render_html(report).encode("utf-8")
    if fmt == "md":
        from workflow.report.text import render_md

        return render_md(report).encode("utf-8")
    if fmt == "csv":
        from workflow.report.text import render_csv

        return render_csv(report)
    if fmt == "xlsx":
        from workflow.report.xlsx import render_xlsx

        return render_xlsx(report)
    if fmt == "docx":
        from workflow.report.docx import render_docx

        return render_docx(report)
    raise InputError(f"不支持的年度报告格式 {fmt!r}；可选格式：{'、'.join(FORMATS)}")
