"""`ogi agency add|list`: the agencies of the platform (SPEC §12)."""

import typer
from rich.table import Table

from workflow import agencies
from workflow.cli.base import G, database, out, print_json, run

commands = typer.Typer()
agency_app = typer.Typer(help="平台上的机关：添加、列出", no_args_is_help=True)
commands.add_typer(agency_app, name="agency")


@agency_app.command("add")
def agency_add(
    code: str = typer.Option(..., "--code", help="机关代码：字母、数字、-、_、.（例如 swj 或统一社会信用代码）"),
    name: str = typer.Option(..., "--name", help="机关全称，如 某市商务局"),
) -> None:
    """添加机关（平台管理员）；随后用 ogi user add 用户名 --role admin --agency 代码 添加其管理员。"""
    row = run(lambda: agencies.add_agency(database(), actor_name=G.user, code=code, name=name))
    out.print(f"已添加机关 {row.code}：{row.name}。下一步：ogi user add 用户名 --role admin --agency {row.code}",
              highlight=False)


@agency_app.command("list")
def agency_list(as_json: bool = typer.Option(False, "--json", help="以 JSON 输出")) -> None:
    """列出平台上的机关及其用户数、案件数（机关用户只看到本机关）。"""
    rows = run(lambda: agencies.list_agencies(database(), actor_name=G.user))
    if as_json:
        print_json([r.as_data() for r in rows])
        return
    table = Table(title=f"机关（共 {len(rows)} 个）")
    for column in ("代码", "名称", "用户", "未办结案件", "案件总数", "添加时间"):
        table.add_column(column)
    for r in rows:
        table.add_row(r.code, r.name, str(r.users), str(r.open_cases), str(r.cases), r.created_at)
    out.print(table)
