"""`ogi import` / `ogi import-appeals`: load an agency's ledger (台账) of past applications and appeals."""

from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from pathlib import Path

import typer

from workflow.cli.base import G, database, fail, out, print_json, progress_bar, run
from workflow.db import Database
from workflow.ledger import ImportRejected, ImportResult, import_appeals, import_applications

Importer = Callable[..., ImportResult]


def _run_import(use_case: Importer, path: Path, dry_run: bool, as_json: bool, what: str) -> None:
    """Run one import and print its counts, or every refused row (exit 1, nothing written)."""
    db: Database = database()
    today: date = G.today
    try:
        with progress_bar(f"导入{what}台账", quiet=as_json) as progress:
            result = use_case(db, actor_name=G.user, agency=G.agency,
                                  path=path, today=today, dry_run=dry_run, progress=progress)
    except ImportRejected as exc:
        if as_json:
            print_json({"imported": False, "errors": [{"line": line, "reason": reason}
                                                      for line, reason in exc.problems]})
        fail(str(exc))
    if as_json:
        print_json({"imported": not dry_run, **asdict(result)})
        return
    head = "检查通过（--dry-run，未写入任何数据）：将导入" if dry_run else "已导入"
    out.print(f"{head} {result.created} 件{what}；跳过 {result.skipped_identical} 件（与已有记录完全相同）；"
              f"台账共 {result.rows} 行", highlight=False)
    for year, count in result.by_year.items():
        out.print(f"  {year} 年收到：{count} 件", highlight=False)

commands = typer.Typer()


@commands.command("import")
def import_ledger(
    file: Path = typer.Argument(..., help="台账文件（.csv 或 .xlsx），列名见 docs/import.md"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查并报告将导入的内容，不写入"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
) -> None:
    """导入历年政府信息公开申请台账（全部通过才写入；重复导入同一文件不会重复登记）。"""
    run(lambda: _run_import(import_applications, file, dry_run, as_json, "申请"))


@commands.command("import-appeals")
def import_appeals_ledger(
    file: Path = typer.Argument(..., help="复议、诉讼台账文件（.csv 或 .xlsx），列名见 docs/import.md"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查并报告将导入的内容，不写入"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
) -> None:
    """导入历年行政复议、行政诉讼台账（申请案件须已登记或已导入）。"""
    run(lambda: _run_import(import_appeals, file, dry_run, as_json, "复议、诉讼案件"))
