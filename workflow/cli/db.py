"""`ogi db upgrade|current`: the database's schema version, and bringing it to this version of ogi."""

import typer

from workflow.cli.base import database, fail, out, progress_bar, run

commands = typer.Typer()
db_app = typer.Typer(help="数据库结构：升级到本版本（upgrade）、查看当前版本（current）", no_args_is_help=True)
commands.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """把数据库结构升级到本版本 ogi 的版本（一个事务，失败则不作任何改动）；升级前请先备份。"""
    from workflow.migrations import RELEASE_0_1_0, runner

    url = database(check_schema=False).url
    with progress_bar("升级数据库结构"):
        done = run(lambda: runner.upgrade(url))
    if not done.changed:
        out.print(f"数据库结构已是最新版本 {done.after}，无需升级。", highlight=False)
        return
    if done.before.empty:
        out.print(f"已按迁移建立数据库结构（版本 {done.after}）；接着运行 ogi init --agency 机关名称。",
                  highlight=False)
        return
    before = done.before
    was = (f"版本 {before.revision}" if before.versioned else "ogi 0.1.0 建立的结构（无版本记录）"
           if before.revision == RELEASE_0_1_0 else f"无版本记录的结构（相当于 {before.revision}）")
    sealed = f"；已为原有的 {done.sealed} 条办理记录补上哈希链" if done.sealed else ""
    out.print(f"已将数据库结构从{was}升级到 {done.after}{sealed}。建议接着运行 ogi verify 核对。", highlight=False)


@db_app.command("current")
def db_current() -> None:
    """显示数据库结构的版本，以及是否为本版本 ogi 的最新版本（不是时退出码为 1）。"""
    from workflow.db import schema_problem
    from workflow.migrations import HEAD, RELEASE_0_1_0, runner

    url = database(check_schema=False).url
    stored = run(lambda: runner.status(url))
    if stored.empty:
        fail("数据库尚未初始化（没有 ogi 的表）：请运行 ogi init --agency 机关名称")
    if stored.current:
        out.print(f"数据库结构版本：{HEAD}（最新，与本版本 ogi 一致）", highlight=False)
        return
    shown = stored.revision if stored.versioned else (
        f"{stored.revision}（ogi 0.1.0 建立，尚无版本记录）" if stored.revision == RELEASE_0_1_0 else "无版本记录")
    out.print(f"数据库结构版本：{shown}；本版本 ogi 需要 {HEAD}", highlight=False)
    fail(schema_problem(stored) or "")
