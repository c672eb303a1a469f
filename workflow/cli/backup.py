"""`ogi backup FILE`: a consistent copy of the SQLite database while others write (PostgreSQL: how, with pg_dump)."""

from pathlib import Path

import typer

from workflow.cli.base import database, out, progress_bar, run

commands = typer.Typer()


@commands.command()
def backup(
    target: Path = typer.Argument(..., help="备份文件（SQLite 数据库文件）"),
    force: bool = typer.Option(False, "--force", help="备份文件已存在时覆盖（正在使用的数据库不会被覆盖）"),
) -> None:
    """备份数据库：其他进程写入时也得到一致的副本（权限 0600）；PostgreSQL 显示 pg_dump 的用法。"""
    from workflow import backup as use_case

    with progress_bar(f"备份到 {target}"):
        made = run(lambda: use_case.backup(database(check_schema=False), target, force=force))
    out.print(f"已备份到 {made.path}：{made.cases} 件案件、{made.events} 条办理记录、"
              f"{made.appeal_events} 条复议诉讼记录（{made.size / 1_048_576:.1f} MB，仅本用户可读写）。"
              f"核对备份：ogi --db {made.path} verify",
              highlight=False)
