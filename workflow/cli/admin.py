"""`ogi init`, `user`, `settings`, `calendar`: the agency, its users, its rules and its working-day calendar."""

import sys
from pathlib import Path

import typer
from rich.table import Table

from states.clocks import RULES, ClockKind
from states.inputs import choice_code, choice_label
from workflow import admin, users
from workflow.cli.base import G, database, err, fail, out, parse_date, print_json, progress_bar, run, sqlite_path
from workflow.db import shared_with_others, shown_url

commands = typer.Typer()
user_app = typer.Typer(help="用户管理", no_args_is_help=True)
calendar_app = typer.Typer(help="工作日日历（节假日与调休）", no_args_is_help=True)
commands.add_typer(user_app, name="user")
commands.add_typer(calendar_app, name="calendar")


@commands.command()
def init(agency: str = typer.Option(..., "--agency", help="机关名称（平台上的第一个机关）"),
         code: str = typer.Option("main", "--code", help="该机关的代码（用于 --agency CODE；默认 main）")) -> None:
    """建库并创建机关与 admin 用户。"""
    db = database(create=True)
    run(lambda: admin.init(db, agency=agency, code=code))
    out.print(f"已初始化：{agency}（机关代码 {code}，数据库 {shown_url(db.url)}）。"
              "管理员用户：admin（平台管理员：管理机关、用户和日历）", highlight=False)
    path = sqlite_path(db.url)
    if path is not None and shared_with_others(path):
        err.print(f"注意：数据库文件 {path} 可被其他用户读取或修改（权限 {oct(path.stat().st_mode & 0o777)[2:]}）；"
                  f"申请人信息和办理记录应只有运行 ogi 的用户能访问：chmod 600 {path}", highlight=False)


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="用户名"),
    role: str = typer.Option(..., "--role", help="clerk（承办人）| head（负责人）| admin（管理员）"
                             "| supervisor（主管部门）| platform_admin（平台管理员），代码或中文均可；"
                             "机关用户用 --agency CODE 指定所属机关"),
    display_name: str | None = typer.Option(None, "--name", help="姓名"),
    email: str | None = typer.Option(None, "--email", help="电子邮箱（接收邮件提醒）"),
) -> None:
    """添加用户。"""
    run(lambda: admin.add_user(database(), actor_name=G.user, agency=G.agency,
                                           username=name, role=role, display_name=display_name,
                               email=email))
    out.print(f"已添加用户 {name}（{choice_label('role', choice_code('role', role) or role)}）", highlight=False)


@user_app.command("list")
def user_list(as_json: bool = typer.Option(False, "--json", help="以 JSON 输出")) -> None:
    """列出本机关的用户：角色、状态和名下未办结的案件数。"""
    rows = run(lambda: users.list_users(database(), actor_name=G.user, agency=G.agency))
    if as_json:
        print_json([r.as_data() for r in rows])
        return
    table = Table(title=f"用户（共 {len(rows)} 人）")
    for column in ("用户名", "姓名", "所属机关", "角色", "电子邮箱", "状态", "名下未办结案件"):
        table.add_column(column)
    for r in rows:
        table.add_row(r.username, r.display_name, r.agency or "（平台）", r.role_label, r.email or "",
                      "启用" if r.active else "[red]已停用[/]", str(r.open_cases))
    out.print(table)


def _user_changed(row: users.UserRow, what: str) -> None:
    out.print(f"已{what}：{row.username}（{row.role_label}，{'启用' if row.active else '已停用'}）", highlight=False)
    if not row.active and row.open_cases:
        out.print(f"注意：{row.username} 名下还有 {row.open_cases} 件未办结的案件，提醒将无人接收；"
                  "请负责人用 ogi assign 改派", highlight=False)


@user_app.command("disable")
def user_disable(name: str = typer.Argument(..., help="用户名")) -> None:
    """停用用户：此后该用户的任何操作都被拒绝，其已有的办理记录保留。"""
    _user_changed(run(lambda: users.set_active(database(), actor_name=G.user, agency=G.agency,
                                                           username=name, active=False)), "停用")


@user_app.command("enable")
def user_enable(name: str = typer.Argument(..., help="用户名")) -> None:
    """重新启用已停用的用户。"""
    _user_changed(run(lambda: users.set_active(database(), actor_name=G.user, agency=G.agency,
                                                           username=name, active=True)), "启用")


@user_app.command("role")
def user_role(
    name: str = typer.Argument(..., help="用户名"),
    role: str = typer.Argument(..., help="clerk（承办人）| head（负责人）| admin（管理员），代码或中文"),
) -> None:
    """修改用户的角色。"""
    _user_changed(run(lambda: users.set_role(database(), actor_name=G.user, agency=G.agency,
                                                         username=name, role=role)), "修改角色")


@user_app.command("password")
def user_password(name: str = typer.Argument(..., help="用户名")) -> None:
    """设置用户的网页登录密码：从标准输入读取新密码（在终端中输入两次，不回显）；此前的登录会话随即失效。"""
    if sys.stdin.isatty():
        password = typer.prompt("新密码", hide_input=True, confirmation_prompt="再次输入新密码")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("没有从标准输入读到新密码（例如：printf '%s\\n' \"$新密码\" | ogi --as admin user password li）")
    from workflow import accounts

    run(lambda: accounts.set_password(database(), actor_name=G.user, agency=G.agency, username=name,
                                      password=password))
    out.print(f"已设置用户 {name} 的密码；该用户此前的登录会话已失效", highlight=False)


@commands.command()
def settings(
    pause_on_fee: bool | None = typer.Option(None, "--pause-on-fee/--no-pause-on-fee",
                                             help="待缴费期间答复期限是否暂停（默认暂停）"),
    pause_on_reasons: bool | None = typer.Option(None, "--pause-on-reasons/--no-pause-on-reasons",
                                                 help="待说明理由期间答复期限是否暂停（默认暂停）"),
    body: str | None = typer.Option(None, "--reconsideration-body", help="告知书中的行政复议机关（'' 恢复通用表述）"),
    court: str | None = typer.Option(None, "--court", help="告知书中的人民法院（空字符串恢复通用表述）"),
    payment: str | None = typer.Option(None, "--payment", help="收费通知书中的缴费方式（空字符串恢复通用表述）"),
) -> None:
    """查看或修改本机关的计时规则和告知书中的救济机关、缴费方式（修改须管理员）。"""
    named = {"reconsideration_body": body, "court": court, "payment": payment}
    current = run(lambda: admin.agency_settings(database(), actor_name=G.user, agency=G.agency,
                                                            pause_on_fee=pause_on_fee,
                                                pause_on_reasons=pause_on_reasons, named=named))
    yes = {True: "暂停", False: "不暂停"}
    out.print(f"{current['agency']}：待缴费期间答复期限{yes[current['pause_on_fee']]}；"
              f"待说明理由期间答复期限{yes[current['pause_on_reasons']]}", highlight=False)
    generic = "（未设置，告知书使用通用表述）"
    out.print(f"行政复议机关：{current['reconsideration_body'] or generic}\n人民法院：{current['court'] or generic}\n"
              f"缴费方式：{current['payment'] or generic}", highlight=False)
    if pause_on_fee is not None or pause_on_reasons is not None:
        out.print("已修改：只适用于此后发出的收费通知和说明理由要求，已发生的暂停不受影响。")


@calendar_app.command("show")
def calendar_show(year: int = typer.Argument(..., help="年份"),
                  as_json: bool = typer.Option(False, "--json", help="以 JSON 输出")) -> None:
    """显示某年的节假日、调休上班日及其来源。"""
    data = run(lambda: admin.calendar_show(database(), year=year))
    if as_json:
        print_json(data)
        return
    from workflow.cli.render import render_calendar

    render_calendar(out, data)


def _print_moves(moves: list[admin.DueChange]) -> None:
    if not moves:
        out.print("在办案件的期限均未变化。")
        return
    table = Table(title=f"期限发生变化的在办案件（{len(moves)} 项）")
    for column in ("案件编号", "期限", "原到期日", "新到期日"):
        table.add_column(column)
    for m in moves:
        table.add_row(m.number, RULES[ClockKind(m.clock)].label, m.old.isoformat(), m.new.isoformat())
    out.print(table)


@calendar_app.command("set")
def calendar_set(
    day: str = typer.Argument(..., help="日期 YYYY-MM-DD"),
    kind: str = typer.Argument(..., help="workday（上班）| restday（休息）"),
    source: str = typer.Option(..., "--source", help="依据，如国务院办公厅通知文号"),
) -> None:
    """更正某一天为上班日或休息日，并重算在办案件的期限。"""
    kind = {"上班": "workday", "上班日": "workday", "休息": "restday", "休息日": "restday"}.get(kind, kind)
    if kind not in ("workday", "restday"):
        fail(f"类型 {kind!r} 无效，可选：workday（上班）、restday（休息）")
    d = parse_date(day, "日期")
    assert d is not None
    with progress_bar("重算在办案件的期限") as progress:
        moves = run(lambda: admin.calendar_set(database(), actor_name=G.user, day=d, working=kind == "workday",
                                               source=source, today=G.today, progress=progress))
    out.print(f"已将 {d} 设为{'上班日' if kind == 'workday' else '休息日'}（依据：{source}）", highlight=False)
    _print_moves(moves)


@calendar_app.command("import")
def calendar_import(file: Path = typer.Argument(..., help="TOML 文件：year、source、rest_days、working_days"),
                    dry_run: bool = typer.Option(False, "--dry-run", help="只预览哪些期限会变化，不导入")) -> None:
    """导入一整年的放假安排，并重算在办案件的期限。"""
    with progress_bar("重算在办案件的期限") as progress:
        year, moves = run(lambda: admin.calendar_import(database(), actor_name=G.user, path=file, today=G.today,
                                                        progress=progress, dry_run=dry_run))
    if dry_run:
        out.print(f"预览：导入 {year} 年放假安排（{file}）将改变以下期限；未作任何更改", highlight=False)
    else:
        out.print(f"已导入 {year} 年放假安排（{file}）", highlight=False)
    _print_moves(moves)
