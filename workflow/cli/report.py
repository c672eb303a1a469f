"""`ogi report …`: the annual report (国办公开办函〔2021〕30号) — statistics, inputs, lock, export, drill-down."""

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from typer._click import Context
from typer.core import TyperGroup

from states.appeals import DECISIONS
from states.outcomes import APPLICANT_LABELS, OUTCOMES, ApplicantType
from states.report_format import cell_name
from workflow import annual
from workflow.cli.base import G, check_output, database, fail, out, print_json, progress_bar, run, write_output
from workflow.report import FORMATS, render
from workflow.textfiles import read_text

DEFAULT_COMMAND = "export"
BINARY_FORMATS = frozenset({"xlsx", "docx"})


class ReportGroup(TyperGroup):
    """`ogi report 2025 …` means `ogi report export 2025 …`: a first argument that is no subcommand is the year."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        """Route a leading non-command argument to the default `export` command."""
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


report_app = typer.Typer(help="政府信息公开工作年度报告：ogi report 年度 [--format …] 导出；cell、check、input、lock",
                         no_args_is_help=True, cls=ReportGroup)
commands = typer.Typer()
commands.add_typer(report_app, name="report")

_YEAR = typer.Argument(..., help="报告年度，如 2025")


@report_app.command(DEFAULT_COMMAND)
def export(
    year: int = _YEAR,
    fmt: str = typer.Option("json", "--format", help=f"{'|'.join(FORMATS)}（默认 json）"),
    out_file: Path | None = typer.Option(None, "--out", help="输出文件（xlsx、docx 必须指定）"),
    all_agencies: bool = typer.Option(False, "--all-agencies",
                                      help="全平台汇总：表三、表四为各机关之和，并列出各机关的数字和锁定情况"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖（正在使用的数据库不会被覆盖）"),
) -> None:
    """导出年度报告（可省略 export：ogi report 2025 --format html --out 年报.html）。"""
    if fmt not in FORMATS:
        fail(f"--format 的值 {fmt!r} 无效，可选：{'、'.join(FORMATS)}")
    if fmt in BINARY_FORMATS and out_file is None:
        fail(f"{fmt} 是二进制格式，请用 --out 指定输出文件，如 --out 年报{year}.{fmt}")
    if out_file is not None:
        check_output(out_file, force=force)
    with progress_bar(f"统计 {year} 年度报告"):  # one SQL aggregation: a bar without steps, on a terminal only
        if all_agencies:
            from workflow.rollup import rollup

            summed = run(lambda: rollup(database(), actor_name=G.user, year=year, today=G.today))
            report = summed.report
            data = (json.dumps(summed.to_json(), ensure_ascii=False, indent=2, default=str).encode("utf-8")
                    if fmt == "json" else run(lambda: render(report, fmt)))
        else:
            report = run(lambda: annual.build_report(database(), actor_name=G.user, agency=G.agency, year=year,
                                                     today=G.today, with_cells=fmt == "html"))
            data = run(lambda: render(report, fmt))
    if out_file is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    write_output(out_file, data, force=force)
    out.print(f"已导出 {year} 年度报告（{fmt}）：{out_file}", highlight=False)
    if report.checks:
        out.print(f"注意：有 {len(report.checks)} 项勾稽关系不成立，请运行 ogi report check {year}", highlight=False)


def _applicant(code: str) -> str:
    return APPLICANT_LABELS[ApplicantType(code)] if code in ApplicantType.__members__.values() else code


def _outcome(code: str | None) -> str:
    if code is None:
        return ""
    return f"{code} {OUTCOMES[code].label}" if code in OUTCOMES else f"{code}（无效代码）"


@report_app.command("cell")
def cell(
    year: int = _YEAR,
    row: str = typer.Argument(..., help="行：new、carried_in、1 … 6.3、total、carried_out；或表四的 reconsideration、"
                                       "litigation_direct、litigation_after_reconsideration"),
    column: str = typer.Argument(..., help="列：natural … other、total；表四为 upheld、corrected、other、pending、"
                                           "total"),
    all_agencies: bool = typer.Option(False, "--all-agencies", help="全平台汇总的这一格：各机关的件数和案件"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
) -> None:
    """列出年度报告某一格所统计的案件（与统计使用同一条件）。"""
    section = run(lambda: annual.section_of(row))
    if all_agencies:
        _rollup_cell(year, row, column, section, as_json)
        return
    found = run(lambda: annual.cell(database(), actor_name=G.user, agency=G.agency, year=year, row=row, column=column,
                                    section=section, today=G.today))
    if as_json:
        print_json([dataclasses.asdict(c) for c in found])
        return
    out.print(f"{year} 年度 {cell_name(section, row, column)}：{len(found)} 件", highlight=False)
    if section == "3":
        table = Table("案件编号", "申请人", "申请人类型", "收到日期", "办结日期", "办理结果")
        for c in found:
            table.add_row(c.number, c.applicant_name, _applicant(c.applicant_type), str(c.received_on),
                          str(c.concluded_on or ""), _outcome(c.outcome))
    else:
        table = Table("复议/诉讼编号", "案件编号", "申请人", "收到副本日期", "决定（截至 12 月 31 日）")
        for c in found:
            table.add_row(f"#{c.appeal_id}", c.number, c.applicant_name, str(c.appeal_received_on or ""),
                          DECISIONS[c.decision].label if c.decision in DECISIONS else c.decision or "尚未审结")
    if found:
        out.print(table)


def _rollup_cell(year: int, row: str, column: str, section: str, as_json: bool) -> None:
    from workflow.rollup import rollup_cell

    found = run(lambda: rollup_cell(database(), actor_name=G.user, year=year, row=row, column=column,
                                    today=G.today))
    if as_json:
        print_json([a.to_json() for a in found])
        return
    total = sum(len(a.cases) for a in found)
    out.print(f"{year} 年度全平台汇总 {cell_name(section, row, column)}：{total} 件，来自 {len(found)} 个机关",
              highlight=False)
    for a in found:
        numbers = "、".join(c.number for c in a.cases[:20]) + ("等" if len(a.cases) > 20 else "")
        out.print(f"- {a.name}（{a.code}）：{len(a.cases)} 件：{numbers}", highlight=False)
    if found:
        out.print(f"查看某机关的案件明细：ogi report cell {year} {row} {column} --agency 机关代码", highlight=False)


@report_app.command("check")
def check(year: int = _YEAR, all_agencies: bool = typer.Option(
        False, "--all-agencies", help="核对全平台汇总及每个机关的勾稽关系")) -> None:
    """核对年度报告的全部勾稽关系；有不成立的，逐项列出并以状态 1 退出。"""
    if all_agencies:
        _check_rollup(year)
        return
    report = run(lambda: annual.build_report(database(), actor_name=G.user, agency=G.agency, year=year, today=G.today))
    if not report.checks:
        out.print(f"{year} 年度报告的勾稽关系全部成立。", highlight=False)
        return
    out.print(f"{year} 年度报告有 {len(report.checks)} 项勾稽关系不成立：", highlight=False)
    for failure in report.checks:
        cells = f"（{'、'.join(failure.cells)}）" if failure.cells else ""
        out.print(f"- {failure.rule}{cells}：{failure.detail}", highlight=False)
    raise typer.Exit(1)


def _check_rollup(year: int) -> None:
    from workflow.rollup import rollup

    summed = run(lambda: rollup(database(), actor_name=G.user, year=year, today=G.today))
    failing = [(f"{a.name}（{a.code}）", a.checks) for a in summed.agencies if a.checks]
    if summed.report.checks:
        failing.insert(0, ("全平台汇总", summed.report.checks))
    if not failing:
        out.print(f"{year} 年度全平台汇总及 {len(summed.agencies)} 个机关的勾稽关系全部成立。", highlight=False)
        return
    for who, checks in failing:
        out.print(f"{who}：{len(checks)} 项勾稽关系不成立", highlight=False)
        for failure in checks:
            cells = f"（{'、'.join(failure.cells)}）" if failure.cells else ""
            out.print(f"  - {failure.rule}{cells}：{failure.detail}", highlight=False)
    raise typer.Exit(1)


@report_app.command("lock")
def lock(year: int = _YEAR) -> None:
    """锁定年度报告（负责人或管理员，年度结束后）：此后该年度的变动须管理员填写理由并在报告中列明。"""
    done = run(lambda: annual.lock_year(database(), actor_name=G.user, agency=G.agency, year=year, today=G.today))
    out.print(f"已锁定 {year} 年度报告（{done.locked_on}，{done.locked_by}）", highlight=False)


@report_app.command("input")
def report_input(
    year: int = _YEAR,
    file: Path = typer.Option(..., "--file", help="TOML 文件（格式见 docs/examples/report-input.toml）"),
) -> None:
    """填报年度报告中机关掌握的内容：第二部分数字，第一、五、六部分文字（覆盖该年度已填内容）。"""
    text = run(lambda: read_text(file))
    data: dict[str, Any] = run(lambda: annual.set_inputs(database(), actor_name=G.user, agency=G.agency,
                                                                     year=year, text=text,
                                                                today=G.today))
    figures = sum(len(fields) for rows in data["section2"].values() for fields in rows.values())
    out.print(f"已保存 {year} 年度报告填报内容：第二部分 {figures} 项数字，文字部分 {len(data['narrative'])} 段",
              highlight=False)
