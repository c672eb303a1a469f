"""`ogi demo`: build a demo database with a year of realistic cases, and show what a clerk looks at first."""

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from workflow.cli.base import G, fail, out, progress_bar, run, sqlite_path

if TYPE_CHECKING:
    from workflow.demo import DemoView

commands = typer.Typer()


@commands.command()
def demo(
    out_db: str | None = typer.Option(None, "--db-file", help="演示数据库文件（默认 ./ogi-demo.db，每次重建）"),
) -> None:
    """生成一个含一年真实办理情形的演示数据库，并显示承办人首先要看的内容。"""
    from workflow.db import resolve_url
    from workflow.demo import build_demo

    if out_db:
        path = Path(out_db)
    elif G.db:
        found = sqlite_path(resolve_url(G.db))
        if found is None:
            fail("演示数据库只能是 SQLite 文件：请用 --db-file 指定文件名")
        path = found
    else:
        path = Path("ogi-demo.db")
    with progress_bar("生成演示数据") as progress:
        view = run(lambda: build_demo(path, today=G.today, progress=progress))
    render_demo(view)


def render_demo(v: "DemoView") -> None:
    """The clerk's first view of the demo: what is open, what is late, and commands to try."""
    from workflow.cli.render import render_cases

    today, path, clerk, head = v.today, v.path, v.clerk, v.head
    out.print(f"[bold]演示数据库已生成：{path}[/]（{v.agency}，{v.applications} 件申请，{v.actions} 项办理操作，"
              f"今天 {today}）", highlight=False)
    out.print("在办：" + "，".join(f"{k} {n} 件" for k, n in v.open_by_state.items()) + f"；已办结 {v.concluded} 件",
              highlight=False)
    out.print(f"[bold red]已逾期 {v.overdue} 件[/]，5 个工作日内到期 {v.due_soon} 件，"
              f"待负责人审批 {v.pending_approvals} 项", highlight=False)
    if not v.next_year_known:
        out.print(f"[yellow]注意：{today.year + 1} 年放假安排尚未导入，跨年期限均为暂定"
                  f"（发布后用 ogi calendar import 导入）[/]", highlight=False)
    render_cases(out, v.shown, today)
    out.print("\n试试：", highlight=False)
    out.print(f"  ogi --db {path} --as {clerk} cases --overdue", highlight=False)
    if v.example:
        out.print(f"  ogi --db {path} --as {clerk} show {v.example} --explain response", highlight=False)
    out.print(f"  ogi --db {path} --as {head} cases --state under_review", highlight=False)
    out.print(f"  ogi --db {path} calendar show {today.year + 1}", highlight=False)
    out.print(f"  ogi --db {path} --as {head} appeal list", highlight=False)
    out.print(f"  ogi --db {path} --as {head} report {today.year - 1} --format html --out 年报{today.year - 1}.html"
              "   # 年度报告（已锁定），每个非零数字链接到对应案件", highlight=False)
    out.print(f"  ogi --db {path} --as {head} report cell {today.year - 1} carried_out total", highlight=False)
    from workflow.demo import CLERKS, DEMO_PASSWORD, HEAD

    out.print(f"\n网页工作台：ogi --db {path} serve，打开 http://127.0.0.1:8000/ 登录（密码均为 {DEMO_PASSWORD}）：",
              highlight=False)
    out.print(f"  承办人 {'、'.join(CLERKS)}；负责人 {HEAD}；平台管理员 admin", highlight=False)
