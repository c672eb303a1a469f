"""`ogi supervise YEAR`: the supervising office's 督办 table of every agency."""

import typer
from rich.table import Table

from workflow.cli.base import G, database, out, print_json, run

commands = typer.Typer()


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


@commands.command()
def supervise(
    year: int = typer.Argument(..., help="年度，如 2026"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
) -> None:
    """督办：各机关某年的申请、办结、按时办结、逾期、按时办结率和复议诉讼纠错率。"""
    from workflow.supervision import supervise as figures

    rows = run(lambda: figures(database(), actor_name=G.user, year=year, today=G.today))
    if as_json:
        print_json([r.as_data() for r in rows])
        return
    table = Table(title=f"{year} 年度各机关办理情况（截至 {G.today}）", title_justify="left")
    for column in ("机关", "代码", "新收申请", "办结", "按时办结", "按时办结率", "当前逾期", "自动办结",
                   "复议诉讼", "已审结", "被纠错", "纠错率"):
        table.add_column(column, justify="left" if column in ("机关", "代码") else "right")
    for r in rows:
        overdue = f"[bold red]{r.overdue_now}[/]" if r.overdue_now else "0"
        table.add_row(r.name, r.code, str(r.applications), str(r.concluded), str(r.on_time), _rate(r.on_time_rate),
                      overdue, str(r.lapses), str(r.appeals), str(r.decided), str(r.corrected),
                      _rate(r.correction_rate))
    out.print(table)
    out.print("按时办结：在答复期限（含延长）届满前办结；逾期不补正、逾期未缴费的自动办结视为按时。"
              "查看逾期案件：ogi cases --all-agencies --overdue", highlight=False)
