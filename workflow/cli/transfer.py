"""`ogi export FILE`, `ogi restore FILE`: every record as versioned JSON lines, and back into an empty database."""

from pathlib import Path

import typer

from workflow.cli.base import G, check_output, database, err, fail, out, progress_bar, run

commands = typer.Typer()


@commands.command()
def export(
    target: Path = typer.Argument(..., help="导出文件（JSON Lines，UTF-8）"),
    force: bool = typer.Option(False, "--force", help="导出文件已存在时覆盖（正在使用的数据库不会被覆盖）"),
    with_secrets: bool = typer.Option(False, "--with-secrets",
                                      help="同时导出密码散列等机密字段（默认不导出；导出后请像数据库一样保管该文件）"),
) -> None:
    """导出全部数据为带版本的 JSON Lines 文件（权限 0600），可恢复到 SQLite 或 PostgreSQL。"""
    from workflow import transfer

    check_output(target, force=force)
    with progress_bar(f"导出到 {target}") as progress:
        made = run(lambda: transfer.export(database(), target, with_secrets=with_secrets, force=force,
                                           progress=progress))
    rows = made.rows
    out.print(f"已导出到 {made.path}：{rows.get('agency', 0)} 个机关、{rows.get('user', 0)} 个用户、"
              f"{rows.get('application', 0)} 件案件、{rows.get('event', 0)} 条办理记录、"
              f"{rows.get('appeal', 0)} 件行政复议和行政诉讼，{len(rows)} 个表共 {made.total} 行"
              f"（{made.size / 1_048_576:.1f} MB，仅本用户可读写）。恢复：ogi --db 新数据库 restore {made.path}",
              highlight=False)
    if made.with_secrets:
        err.print("注意：文件含密码散列等机密字段，请像数据库本身一样保管。", highlight=False)
    elif made.left_out:
        out.print(f"未导出机密字段（{'、'.join(made.left_out)}）：恢复后相关用户须重新设置；需要时加 --with-secrets。",
                  highlight=False)


@commands.command()
def restore(
    source: Path = typer.Argument(..., help="ogi export 导出的文件"),
) -> None:
    """把 ogi export 的文件恢复到空数据库：全部成功或不做任何改动，随后核对。"""
    from rich.markup import escape

    from workflow.db import shown_url
    from workflow.restore import restore as load

    db = database(create=True)
    with progress_bar(f"从 {source} 恢复并核对", forks=True) as progress:  # one bar: rows, then cases checked
        done = run(lambda: load(db, source, today=G.today, progress=progress, verify_progress=progress))
    rows, result = done.rows, done.verification
    out.print(f"已从 {done.path} 恢复到 {shown_url(db.url)}：{rows.get('agency', 0)} 个机关、"
              f"{rows.get('user', 0)} 个用户、{rows.get('application', 0)} 件案件、{rows.get('event', 0)} 条办理记录，"
              f"{len(rows)} 个表共 {done.total} 行"
              f"（{done.exported_at} 由 ogi {done.exported_by} 从 {done.source} 导出）。",
              highlight=False)
    if not done.with_secrets:
        out.print("该文件不含密码散列等机密字段（导出时未加 --with-secrets）。", highlight=False)
    checked = (f"核对：{result.cases} 件案件（{result.events} 条办理记录）、{result.appeals} 件行政复议和行政诉讼"
               f"（{result.appeal_events} 条记录）")
    if result.ok:
        out.print(f"{checked}，全部与办理记录的重演一致，记录的哈希链完整。", highlight=False)
        return
    for problem in result.problems:
        out.print(f"[red]✗[/] {escape(problem.message)}", highlight=False)
    fail(f"数据已恢复，但 ogi verify 发现 {len(result.problems)} 处问题，涉及 {result.cases_with_problems} 件案件："
         "导出文件中的记录与案件数据不一致，请用 ogi --db 原数据库 verify 核对原库（见 docs/operations.md）")
