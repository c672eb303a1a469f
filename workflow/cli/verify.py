"""`ogi verify`: prove that every stored case and appeal is what its unbroken, hash-chained log says."""

import typer

from workflow.cli.base import G, database, fail, out, print_json, progress_bar, run

commands = typer.Typer()


@commands.command()
def verify(
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
    jobs: int | None = typer.Option(None, "--jobs", min=1,
                                    help="同时核对的进程数（默认：两万件以下 1 个，以上最多用 4 个 CPU）"),
) -> None:
    """核对全部案件：状态、结果、期限与办理记录重演一致，记录的哈希链完整（有问题时退出码为 1）。"""
    from rich.markup import escape

    from workflow.verify import verify as check

    with progress_bar("核对办理记录", quiet=as_json, forks=True) as progress:
        result = run(lambda: check(database(), today=G.today, progress=progress, jobs=jobs))
    if as_json:
        print_json(result.as_data())
    else:
        checked = (f"已核对 {result.cases} 件案件（{result.events} 条办理记录）、{result.appeals} 件行政复议和"
                   f"行政诉讼（{result.appeal_events} 条记录）")
        if result.ok:
            out.print(f"{checked}：全部与办理记录的重演一致，记录的哈希链完整。", highlight=False)
            return
        for problem in result.problems:
            out.print(f"[red]✗[/] {escape(problem.message)}", highlight=False)
        out.print(f"{checked}。", highlight=False)
    if not result.ok:
        fail(f"发现 {len(result.problems)} 处问题，涉及 {result.cases_with_problems} 件案件："
             "办理记录或案件数据可能被改动，请从备份核对（见 docs/operations.md）")
